"""Network statistics of a comparison: distributions over cells, two-sample tests, spectra.

The validation measures of Gutzen et al. (2018, "Reproducible neural network simulations:
statistical methods for model validation on the level of network activity data", Front.
Neuroinform. 12:90) as NetworkUnit computes them, with Elephant for every measure and SciPy for
every test (nothing here is written by hand):

* per cell, over a window ``[t_from, t_to)``: firing rate (``elephant.statistics.
  mean_firing_rate``, Hz), ISI coefficient of variation ``CV = sd(ISI) / mean(ISI)``
  (``elephant.statistics.cv`` of ``isi``, cells with >= 2 ISIs), local variation
  ``LV = 3/(n-1) sum ((I_i - I_{i+1}) / (I_i + I_{i+1}))^2`` (Shinomoto et al. 2003,
  ``elephant.statistics.lv``, cells with >= 2 ISIs);
* per pair of firing cells (the first ``max_cells``): Pearson correlation of spike counts in
  ``bin_ms`` bins (``elephant.spike_train_correlation.correlation_coefficient``);
* the population rate's power spectrum (``elephant.statistics.time_histogram`` at 1 ms,
  ``elephant.spectral.welch_psd``).

Two samples of a measure (NEST's cells and ours) are compared by the two-sample
Kolmogorov-Smirnov test (``scipy.stats.ks_2samp``: statistic ``D``, p-value) and an effect size,
Cohen's ``d = (mean_test - mean_ref) / s_pooled``.  With several seeds, each simulator's
seed-to-seed spread is the yardstick (:func:`seed_yardstick`): the ``D`` of every cross-simulator
pair of seeds against the ``D`` of every same-simulator pair.
"""
from __future__ import annotations

import math
import warnings
from itertools import combinations, product
from typing import NamedTuple, Sequence

import numpy as np

__all__ = ["MEASURES", "per_cell_measures", "DistributionTest", "compare_samples",
           "seed_yardstick", "population_psd", "log_psd_distance", "fisher_exact_p"]

#: measure name -> what a report calls it
MEASURES = {"rate": "firing rate (Hz)", "cv": "ISI CV", "lv": "ISI LV",
            "corr": "pairwise correlation"}


def _spiketrains(trains, t_from, t_to):
    import neo
    import quantities as pq
    out = []
    for t in trains:
        t = np.asarray(t, float)
        out.append(neo.SpikeTrain(t[(t >= t_from) & (t < t_to)], units=pq.ms, t_start=t_from,
                                  t_stop=t_to))
    return out


def _ks(a, b):
    """``scipy.stats.ks_2samp``, exact p-value for small samples and the asymptotic one for
    large (where SciPy's exact computation gives up with a warning)."""
    from scipy.stats import ks_2samp
    with warnings.catch_warnings():
        # where the exact p-value does not converge SciPy says so and uses the asymptotic one
        warnings.filterwarnings("ignore", message="ks_2samp: Exact calculation unsuccessful")
        return ks_2samp(a, b, method="exact" if len(a) * len(b) <= 10_000 else "asymp")


def per_cell_measures(trains: Sequence[np.ndarray], t_from: float, t_to: float,
                      bin_ms: float = 5.0, max_cells: int = 200) -> dict:
    """``{"rate", "cv", "lv", "corr"}`` -> 1-D arrays of values over cells (pairs for corr).

    ``trains``: spike times (ms) per cell; only spikes with ``t_from <= t < t_to`` count.
    Cells without enough ISIs have no CV/LV; silent cells and cells with a constant count
    have no correlation (left out, not zero).  Correlations are over the whole ``bin_ms``
    bins of the window: spikes in a shorter last bin do not enter them."""
    with warnings.catch_warnings():
        # Elephant 1.x passes quantities' deprecated `copy` argument
        warnings.filterwarnings("ignore", message=".*'copy' argument")
        return _measures(trains, t_from, t_to, bin_ms, max_cells)


def _measures(trains, t_from, t_to, bin_ms, max_cells):
    from elephant import statistics
    from elephant.conversion import BinnedSpikeTrain
    from elephant.spike_train_correlation import correlation_coefficient
    import quantities as pq

    sts = _spiketrains(trains, t_from, t_to)
    out = {"rate": np.array([float(statistics.mean_firing_rate(st).rescale("Hz").magnitude)
                             for st in sts])}
    cv, lv = [], []
    for st in sts:
        if len(st) >= 3:
            isi = statistics.isi(st).magnitude
            cv.append(float(statistics.cv(isi)))
            lv.append(float(statistics.lv(isi)))
    out["cv"], out["lv"] = np.array(cv), np.array(lv)
    active = [st for st in sts if len(st)][:max_cells]
    corr = np.zeros(0)
    if len(active) >= 2 and t_to - t_from >= 2 * bin_ms:
        with warnings.catch_warnings():
            # spikes in an incomplete last bin are dropped; constant-count cells give NaN
            # rows (left out below)
            warnings.simplefilter("ignore")
            binned = BinnedSpikeTrain(active, bin_size=bin_ms * pq.ms, t_start=t_from * pq.ms,
                                      t_stop=t_to * pq.ms, tolerance=None)
            c = correlation_coefficient(binned)
        corr = c[np.triu_indices(len(c), k=1)]
        corr = corr[np.isfinite(corr)]
    out["corr"] = corr
    return out


class DistributionTest(NamedTuple):
    """Two samples of one measure: KS statistic and p-value, Cohen's d, sizes and means."""

    ks_d: float
    ks_p: float
    cohen_d: float
    n: tuple
    mean: tuple


def compare_samples(ref: np.ndarray, test: np.ndarray) -> DistributionTest:
    """KS test (``scipy.stats.ks_2samp``, two-sided) and Cohen's d of ``test`` against ``ref``;
    NaNs when either sample has fewer than 2 values."""
    ref, test = np.asarray(ref, float), np.asarray(test, float)
    n = (len(ref), len(test))
    if min(n) < 2:
        nan = float("nan")
        return DistributionTest(nan, nan, nan, n,
                                (float(np.mean(ref)) if n[0] else nan,
                                 float(np.mean(test)) if n[1] else nan))
    ks = _ks(ref, test)
    pooled = math.sqrt(((n[0] - 1) * ref.var(ddof=1) + (n[1] - 1) * test.var(ddof=1))
                       / (n[0] + n[1] - 2))
    diff = test.mean() - ref.mean()
    d = 0.0 if diff == 0 else (math.copysign(math.inf, diff) if pooled == 0 else diff / pooled)
    return DistributionTest(float(ks.statistic), float(ks.pvalue), float(d), n,
                            (float(ref.mean()), float(test.mean())))


def _ks_d(a, b):
    if min(len(a), len(b)) < 2:
        return float("nan")
    return float(_ks(a, b).statistic)


def seed_yardstick(ref_seeds: Sequence[np.ndarray], test_seeds: Sequence[np.ndarray],
                   distance=_ks_d) -> tuple:
    """``(between, within)``: the mean ``distance`` over every cross-simulator pair of seeds
    (NEST seed i, ours seed j) and the largest over every same-simulator pair (NEST i, NEST j;
    ours i, ours j; i < j).  NaNs with fewer than two seeds a side.

    If the two simulators draw from the same distribution, the cross pairs are pairs of
    independent realisations exactly like the same-simulator pairs, so their mean lies below
    the largest same-simulator distance except by a rare chance; ``between > within`` says the
    simulators differ more than either differs from itself between seeds."""
    if min(len(ref_seeds), len(test_seeds)) < 2:
        return float("nan"), float("nan")
    cross = [distance(a, b) for a, b in product(ref_seeds, test_seeds)]
    same = [distance(a, b) for side in (ref_seeds, test_seeds)
            for a, b in combinations(side, 2)]
    cross, same = [x for x in cross if not math.isnan(x)], [x for x in same
                                                              if not math.isnan(x)]
    if not cross or not same:
        return float("nan"), float("nan")
    return float(np.mean(cross)), float(np.max(same))


def population_psd(trains: Sequence[np.ndarray], t_from: float, t_to: float,
                   bin_ms: float = 1.0, segment_ms: float = 256.0) -> tuple:
    """Welch power spectrum of the population rate (Hz per cell in ``bin_ms`` bins): Hann
    windows of ``segment_ms``, half overlapping, constant detrend (``elephant.spectral.
    welch_psd``).  Returns ``(freqs_hz, psd)`` (psd in Hz^2/Hz); empty arrays when the window
    holds fewer than 8 bins."""
    import quantities as pq
    from elephant import spectral, statistics

    n_bins = int(math.floor((t_to - t_from) / bin_ms + 1e-9))
    if n_bins < 8 or not len(trains):
        return np.zeros(0), np.zeros(0)
    t_to = t_from + n_bins * bin_ms
    rate = statistics.time_histogram(_spiketrains(trains, t_from, t_to), bin_ms * pq.ms,
                                     t_start=t_from * pq.ms, t_stop=t_to * pq.ms,
                                     output="rate")
    signal = np.asarray(rate.rescale("Hz").magnitude, float).ravel()
    len_segment = min(int(round(segment_ms / bin_ms)), n_bins)
    freqs, psd = spectral.welch_psd(signal, len_segment=len_segment, overlap=0.5,
                                    fs=1000.0 / bin_ms, window="hann")
    return np.asarray(freqs, float), np.asarray(psd, float)


def log_psd_distance(a: tuple, b: tuple, f_max: float = 200.0) -> float:
    """Mean over frequencies ``0 < f <= f_max`` of ``|log10 psd_a - log10 psd_b|`` (both on
    the same frequency grid; bins where either is 0 are left out); NaN if none is left."""
    (fa, pa), (fb, pb) = a, b
    n = min(len(fa), len(fb))
    if n == 0 or not np.allclose(fa[:n], fb[:n]):
        return float("nan")
    sel = (fa[:n] > 0) & (fa[:n] <= f_max) & (pa[:n] > 0) & (pb[:n] > 0)
    if not sel.any():
        return float("nan")
    return float(np.mean(np.abs(np.log10(pa[:n][sel]) - np.log10(pb[:n][sel]))))


def fisher_exact_p(a: int, n_a: int, b: int, n_b: int) -> float:
    """Two-sided Fisher exact test (``scipy.stats.fisher_exact``) of ``a`` successes in ``n_a``
    trials against ``b`` in ``n_b``."""
    from scipy.stats import fisher_exact
    return float(fisher_exact([[a, n_a - a], [b, n_b - b]]).pvalue)
