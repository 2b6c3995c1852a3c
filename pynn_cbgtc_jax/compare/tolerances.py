"""What "the same result" means: comparison modes and their tolerances.

Two modes:

``exact``
    Deterministic inputs (DC, step currents, ``SpikeSourceArray``, seeded connectivity): the
    same spikes are expected on the same time steps.  Checked: the fraction of spikes on an
    identical step (``spike_step_match``) and, per signal named in ``signal_max``, the largest
    difference between spikes (samples from ``mask_before_ms`` before to ``mask_after_ms``
    after a spike of either simulator are left out: there a one-step shift of the upswing is
    not a model difference).  When these fail because the spikes of a recurrent network
    diverged (``core.CHAOS_NOTE``), the part before the divergence time is held to them and
    the part after it to the statistical tolerances below (``rate_rel``, ``cv_rel``,
    ``min_spikes``).
``statistical``
    Poisson input or noise, which no two simulators draw alike: per population the mean rate
    (relative ``rate_rel``, or ``rate_abs_hz`` for nearly silent populations), the mean ISI
    CV (relative ``cv_rel``) and, if ``corr_abs`` is set, the mean pairwise spike-count
    correlation (absolute), averaged over seeds when several are run.  With
    ``sustained_only`` (networks whose self-sustained activity can die out) the averages
    take only the runs still active at the end on each side, and the numbers of such runs
    are compared with a Fisher exact test (``survival_p``).

``auto`` (the default) picks ``statistical`` when either run created a stochastic source
(``SpikeSourcePoisson``, ``NoisyCurrentSource``, ...) and ``exact`` otherwise.

Tolerances come from keyword arguments, CLI flags or a TOML / JSON file::

    mode = "statistical"
    rate_rel = 0.03
    cv_rel = 0.05
    [signal_max]
    v = 0.1
    [populations.gpe]           # overrides for one population (matched by label)
    rate_rel = 0.05
    reason = "..."
"""
from __future__ import annotations

import dataclasses
import json
import math
import os
from dataclasses import dataclass, field
from typing import Any, NamedTuple

__all__ = ["Tolerances", "Check", "load_tolerances", "MODES"]

MODES = ("auto", "exact", "statistical")


@dataclass(frozen=True)
class Tolerances:
    """Tolerances of a comparison (units: fractions, ms, Hz, and the signal's own units)."""

    mode: str = "auto"
    #: exact: smallest allowed fraction of spikes on an identical time step
    spike_step_match: float = 0.99
    #: exact: largest allowed |difference| between spikes, per signal name (signal units)
    signal_max: dict = field(default_factory=lambda: {"v": 0.1})
    #: exact: samples this long before / after a spike are not "between spikes" (ms)
    mask_before_ms: float = 1.0
    mask_after_ms: float = 0.0
    #: statistical: relative tolerance of the mean rate, and an absolute floor (Hz)
    rate_rel: float = 0.03
    rate_abs_hz: float = 0.1
    #: statistical: relative tolerance of the mean ISI CV, and an absolute floor for nearly
    #: regular firing (CV below cv_abs / cv_rel = 0.1): one 0.1 ms step of jitter on a 10 ms
    #: ISI is a CV of ~0.007
    cv_rel: float = 0.05
    cv_abs: float = 0.005
    #: statistical: absolute tolerance of the mean pairwise correlation (None: report only)
    corr_abs: float | None = None
    #: statistical: populations with fewer spikes (per seed, either run) are only reported
    min_spikes: int = 20
    #: statistical, distributions over cells (rate, ISI CV, LV, pairwise correlation; see
    #: core.DISTRIBUTIONS_NOTE): a distribution differs only when all three hold -- the KS test
    #: rejects at ``ks_alpha`` (the false-alarm probability of the whole comparison: Bonferroni
    #: over its distribution tests), the difference is material (``|Cohen's d| >
    #: effect_size_max`` or ``KS D > ks_d_max``), and with >= 3 seeds it exceeds the seed-to-
    #: seed yardstick.  0.2 is Cohen's "small" effect; a KS D of 0.2 is 20 percentage points
    #: between the two cumulative distributions somewhere.
    ks_alpha: float = 0.01
    effect_size_max: float = 0.2
    ks_d_max: float = 0.2
    #: statistical: distributions with fewer values (cells, pairs) on either side are reported
    min_values: int = 10
    #: statistical, >= 3 seeds: largest allowed ratio of the cross-simulator log-PSD distance
    #: of the population rate to the largest same-simulator one (seed to seed); with 3 seeds of
    #: Poisson populations the ratio's 99th percentile is 1.01 under the null
    psd_ratio: float = 1.25
    #: statistical: for networks whose activity can die out (self-sustained states): compare
    #: rate, CV and correlation over the runs active to the end on each side, and the numbers
    #: of such runs with a two-sided Fisher exact test
    sustained_only: bool = False
    #: statistical, with sustained_only: smallest allowed p-value of that test
    survival_p: float = 0.01
    #: per-population overrides: {label: {field: value, "reason": str}}
    populations: dict = field(default_factory=dict)
    #: free text, shown in the report
    reason: str = ""

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"tolerance mode {self.mode!r}: allowed values are "
                             f"{', '.join(MODES)}.")
        if not 0.0 <= self.survival_p <= 1.0:
            raise ValueError(f"tolerance survival_p = {self.survival_p!r}: must be a "
                             f"probability in [0, 1].")
        for name in ("spike_step_match", "rate_rel", "rate_abs_hz", "cv_rel",
                     "mask_before_ms", "mask_after_ms", "ks_alpha", "cv_abs", "effect_size_max",
                     "ks_d_max", "min_values", "psd_ratio"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and value >= 0):
                raise ValueError(f"tolerance {name} = {value!r}: must be a number >= 0.")

    def for_population(self, label: str) -> "Tolerances":
        """These tolerances with the overrides for population ``label`` (the part of a
        ``"label#k"`` / ``"label[segN]"`` key before the marker) applied."""
        base = label.split("#")[0].split("[")[0]
        over = dict(self.populations.get(label, self.populations.get(base, {})))
        if not over:
            return self
        if "signal_max" in over:
            over["signal_max"] = {**self.signal_max, **over["signal_max"]}
        return dataclasses.replace(self, populations={}, **over)

    def updated(self, **changes) -> "Tolerances":
        """A copy with ``changes`` (``None`` values are ignored; dicts are merged)."""
        changes = {k: v for k, v in changes.items() if v is not None}
        for key in ("signal_max", "populations"):
            if key in changes:
                changes[key] = {**getattr(self, key), **changes[key]}
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


_FIELDS = {f.name for f in dataclasses.fields(Tolerances)}


def _check_keys(data: dict, where: str, allowed: set):
    unknown = set(data) - allowed
    if unknown:
        raise ValueError(f"{where}: unknown tolerance key(s) {sorted(unknown)}; allowed keys "
                         f"are {sorted(allowed)}.")


def load_tolerances(source: "str | os.PathLike | dict | Tolerances | None" = None,
                    **overrides: Any) -> Tolerances:
    """Build :class:`Tolerances` from a TOML or JSON file, a dict or an existing instance,
    then apply ``overrides`` (``None`` values ignored)."""
    if source is None:
        tol = Tolerances()
    elif isinstance(source, Tolerances):
        tol = source
    else:
        if isinstance(source, dict):
            data, where = dict(source), "tolerances"
        else:
            path = os.fspath(source)
            with open(path, "rb") as f:
                if path.endswith(".json"):
                    data = json.load(f)
                else:
                    import tomllib
                    data = tomllib.load(f)
            where = path
        _check_keys(data, where, _FIELDS)
        for label, over in data.get("populations", {}).items():
            _check_keys(over, f"{where} [populations.{label}]", _FIELDS - {"populations"})
        tol = Tolerances(**data)
    return tol.updated(**overrides)


class Check(NamedTuple):
    """One verdict: ``measured`` against ``limit`` for ``quantity`` of ``population``."""

    population: str
    quantity: str
    measured: float
    limit: float
    relation: str              # ">=" or "<="
    passed: bool | None        # None: reported only (not enough data, or no limit set)
    detail: str = ""

    @staticmethod
    def make(population, quantity, measured, limit, relation, detail="", report_only=False):
        if report_only or limit is None or measured is None or (
                isinstance(measured, float) and math.isnan(measured)):
            return Check(population, quantity, measured, limit, relation, None, detail)
        ok = measured >= limit if relation == ">=" else measured <= limit
        return Check(population, quantity, measured, limit, relation, bool(ok), detail)
