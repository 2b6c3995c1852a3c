"""Numbers of an exact comparison of two recordings of one population (NumPy only, no Neo):
spikes on the same step, signal differences, the divergence time.  The statistical measures
(rates, CV, LV, correlations, spectra, tests) are in :mod:`.statistics`.

Spike trains are lists of 1-D arrays of times in ms, one per cell, in the same cell order in
both recordings; signals are ``[n_samples, n_cells]`` arrays on the same time grid.  Every
function is pure and documented with its definition, so a reader of ``report.md`` can tell
exactly what a number means.
"""
from __future__ import annotations

import math
from collections import Counter
from typing import NamedTuple, Sequence

import numpy as np

__all__ = ["SpikeMatch", "spike_step_match", "spike_time_differences", "spike_mask",
           "signal_differences", "SignalDiff", "Divergence", "first_spike_divergence",
           "first_signal_divergence", "clip_trains"]

Trains = Sequence[np.ndarray]


class SpikeMatch(NamedTuple):
    """Spikes on identical time steps: ``matched`` of ``total`` (= sum over cells of the larger
    of the two counts, so a missing or extra spike counts against the fraction)."""

    matched: int
    total: int

    @property
    def fraction(self) -> float:
        return 1.0 if self.total == 0 else self.matched / self.total


def _steps(times: np.ndarray, dt: float) -> np.ndarray:
    return np.rint(np.asarray(times, dtype=float) / dt).astype(np.int64)


def spike_step_match(ref: Trains, test: Trains, dt: float) -> SpikeMatch:
    """Count spikes that fall on the same time step (``rint(t / dt)``) in the same cell.

    Per cell the matched count is the size of the multiset intersection of the two step
    lists; the total is the larger of the two spike counts.
    """
    matched = total = 0
    for a, b in zip(ref, test):
        ca, cb = Counter(_steps(a, dt).tolist()), Counter(_steps(b, dt).tolist())
        matched += sum((ca & cb).values())
        total += max(len(a), len(b))
    return SpikeMatch(matched, total)


def spike_time_differences(ref: Trains, test: Trains, window: float = 5.0) -> np.ndarray:
    """``t_test - t_ref`` (ms) of each reference spike and the nearest test spike of the same
    cell, for pairs closer than ``window`` ms (unpaired spikes are left out)."""
    out = []
    for a, b in zip(ref, test):
        a, b = np.asarray(a, float), np.sort(np.asarray(b, float))
        if not len(a) or not len(b):
            continue
        j = np.clip(np.searchsorted(b, a), 1, len(b) - 1) if len(b) > 1 else np.zeros(len(a),
                                                                                     int)
        left = b[np.maximum(j - 1, 0)]
        right = b[j]
        nearest = np.where(np.abs(left - a) <= np.abs(right - a), left, right)
        d = nearest - a
        out.append(d[np.abs(d) < window])
    return np.concatenate(out) if out else np.zeros(0)


def spike_mask(times: np.ndarray, trains: Sequence[Trains], dt: float, before_ms: float,
               after_ms: float) -> np.ndarray:
    """Boolean ``[n_samples, n_cells]``: True where a sample lies within ``before_ms`` before
    to ``after_ms`` after a spike of that cell in any of ``trains`` (those samples are left out
    of the "between spikes" signal difference)."""
    times = np.asarray(times, float)
    n_cells = len(trains[0]) if trains else 0
    mask = np.zeros((len(times), n_cells), bool)
    for group in trains:
        for c, t in enumerate(group):
            for s in np.asarray(t, float):
                lo = np.searchsorted(times, s - before_ms - 1e-9 * dt)
                hi = np.searchsorted(times, s + after_ms + 1e-9 * dt, side="right")
                mask[lo:hi, c] = True
    return mask


class SignalDiff(NamedTuple):
    """Differences ``test - ref`` of one signal, in the signal's units."""

    max_abs: float            # over all samples and cells
    rms: float                # over all samples and cells
    max_abs_between: float    # over samples outside the spike mask (NaN if all masked)
    n_samples: int


def signal_differences(ref: np.ndarray, test: np.ndarray,
                       mask: np.ndarray | None = None) -> SignalDiff:
    """Max and RMS of ``test - ref`` over the common samples; the "between spikes" max leaves
    out samples where ``mask`` is True."""
    n = min(len(ref), len(test))
    d = np.asarray(test[:n], float) - np.asarray(ref[:n], float)
    if d.size == 0:
        return SignalDiff(float("nan"), float("nan"), float("nan"), 0)
    between = d if mask is None else d[~mask[:n]]
    return SignalDiff(float(np.max(np.abs(d))), float(np.sqrt(np.mean(d ** 2))),
                      float(np.max(np.abs(between))) if between.size else float("nan"), n)


class Divergence(NamedTuple):
    """The first event at which two runs differ.

    ``t`` (ms) is the time of the event, ``cell`` the population index, ``kind`` what happened
    (``"spike in reference only"``, ``"spike in ours only"``, ``"v differs"``), ``ref`` and ``test``
    the two runs' values: for a spike the spike times (ms; the other run's next spike of that
    cell, NaN if it has none), for a signal the two samples.
    """

    t: float
    cell: int
    kind: str
    ref: float
    test: float


def first_spike_divergence(ref: Trains, test: Trains, dt: float,
                           cells: Sequence[int] | None = None) -> Divergence | None:
    """The first spike on the ``dt`` grid that one run has and the other has not.

    Per cell, the sorted step lists (``rint(t / dt)``) are walked together; at the first index
    where they differ (or one list ends) the earlier of the two spikes is the event.  Over
    cells the earliest event wins (the lowest cell index on a tie).  ``None``: every spike of
    every cell is on the same step in both runs.
    """
    best = None
    for c, (a, b) in enumerate(zip(ref, test)):
        a, b = np.sort(np.asarray(a, float)), np.sort(np.asarray(b, float))
        sa, sb = _steps(a, dt), _steps(b, dt)
        n = min(len(sa), len(sb))
        diff = np.flatnonzero(sa[:n] != sb[:n])
        k = int(diff[0]) if diff.size else (n if len(sa) != len(sb) else None)
        if k is None:
            continue
        ta = a[k] if k < len(a) else math.nan
        tb = b[k] if k < len(b) else math.nan
        in_ref = k < len(sa) and (k >= len(sb) or sa[k] < sb[k])
        step = int(sa[k] if in_ref else sb[k])
        if best is None or step < best[0]:
            cell = int(cells[c]) if cells is not None else c
            kind = "spike in reference only" if in_ref else "spike in ours only"
            best = (step, Divergence(step * dt, cell, kind, float(ta), float(tb)))
    return None if best is None else best[1]


def first_signal_divergence(times: np.ndarray, ref: np.ndarray, test: np.ndarray, limit: float,
                            mask: np.ndarray | None = None, cells: Sequence[int] | None = None,
                            name: str = "v") -> Divergence | None:
    """The first sample (outside ``mask``, as in :func:`signal_differences`) where
    ``|test - ref| > limit``; ``None`` if there is none."""
    n = min(len(ref), len(test), len(times))
    d = np.abs(np.asarray(test[:n], float) - np.asarray(ref[:n], float)) > limit
    if mask is not None:
        d &= ~mask[:n]
    rows = np.flatnonzero(d.any(axis=1)) if d.ndim == 2 else np.zeros(0, int)
    if not rows.size:
        return None
    i = int(rows[0])
    j = int(np.flatnonzero(d[i])[0])
    cell = int(cells[j]) if cells is not None else j
    return Divergence(float(times[i]), cell, f"{name} differs by more than {limit:g}",
                      float(ref[i, j]), float(test[i, j]))


def clip_trains(trains: Trains, t_from: float = -math.inf, t_to: float = math.inf,
                dt: float | None = None) -> list:
    """The spikes of each train with ``t_from <= t < t_to`` (compared on the ``dt`` grid
    when ``dt`` is given, so a spike on the divergence step is "after" it)."""
    out = []
    for t in trains:
        t = np.asarray(t, float)
        if dt is None:
            out.append(t[(t >= t_from) & (t < t_to)])
        else:
            s = _steps(t, dt)
            lo = -np.inf if math.isinf(t_from) else round(t_from / dt)
            hi = np.inf if math.isinf(t_to) else round(t_to / dt)
            out.append(t[(s >= lo) & (s < hi)])
    return out
