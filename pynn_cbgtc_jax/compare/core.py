"""Run one script on a reference simulator and on pynn_cbgtc_jax and compare what it records.

The reference (``against``) is pyNN.nest (default) or pyNN.neuron.  How a script gets its
simulator (the rule):

1. Both runs use the same command line, after replacing the placeholders ``{sim}`` (``nest``
   or ``neuron`` in the reference run, ``cbgtc_jax`` in ours; see ``sim_names``) and
   ``{seed}``.
2. In our run ``pyNN.nest`` (and ``pyNN.neuron``, ``pyNN.brian2``) *is* pynn_cbgtc_jax, and
   ``pyNN.cbgtc_jax`` exists; in a NEURON reference run ``pyNN.nest`` is pyNN.neuron.  So
   ``import pyNN.nest as sim`` needs nothing, ``get_simulator()`` works with ``{sim}`` (or
   with a literal ``nest``), and a ``--simulator {sim}`` option that imports
   ``"pyNN." + name`` works too.
3. The NEST run gets ``setup(spike_precision="on_grid")`` unless the script sets it (our
   engine is on the grid); our run gets ``setup(precision="float64",
   integration_scheme="nest")`` against NEST and ``setup(precision="float64")`` against
   NEURON unless the mode is statistical (``precision`` changes it).

What "exact" can mean against NEURON.  pyNN.neuron runs NEURON's fixed step (``use_cvode``
off): the membrane potential by first-order implicit (backward) Euler at ``dt``, ExpSyn
conductances by their exact exponential, a spike at the end of the first step with
``v > v_thresh`` (on the grid, as ours; its ``v`` sample there is the value before the
reset, ours is ``v_reset``: the spike mask leaves that sample out), refractoriness by clamping
``v`` at ``v_reset`` for ``tau_refrac``.  None of our schemes is backward Euler; in float64
ours are far closer to the exact solution (IF_cond_exp under DC: 4e-11 mV from the closed
form), so what differs is NEURON's own discretisation error, O(dt).  Measured at dt = 0.1 ms
(``validation/scripts/single_neuron.py``, ``tests/test_compare_neuron.py``):

* IF_curr_exp, IF_cond_exp, IF_cond_alpha under DC: exact -- every spike on the same step, v
  within Euler's error between spikes (0.018 mV, its first-order bound
  ``|v0 - v_inf| dt / (2 e tau_m)``).  A threshold crossing that the exact solution places
  less than the Euler lag (here ~0.07 ms) before a grid point is one step later in NEURON, so
  a DC amplitude can also give every NEURON spike one step late (e.g. 0.9 nA).
* the same cells with step currents or synaptic input: 75-90 % of spikes on the same step,
  the others one or a few steps apart, v up to 0.5 mV apart where the spikes agree (Euler's
  error grows with dv/dt): exact only with tolerances of that size.
* EIF_cond_*_isfa_ista, HH_cond_exp, Izhikevich: pyNN.neuron's NMODL models are other
  implementations (spike counts differ by up to a quarter): statistical only.

Networks and stochastic inputs are compared statistically, as against NEST.

Each run is a separate process (``python -m pynn_cbgtc_jax.compare.capture``) started in the
caller's folder, so the two simulators never share a Python interpreter.

An exact comparison also finds the divergence time (the first spike on one side that is not
on the same step on the other); when the whole-run exact checks fail and the spikes diverged
with ``v`` still within tolerance before, the run is judged exactly before the divergence and
statistically after it (``CHAOS_NOTE`` says why).
"""
from __future__ import annotations

import importlib.util
import json
import math
import os
import pickle
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from . import metrics, statistics
from .data import align_cells, recordings_from_blocks
from .tolerances import Check, Tolerances, load_tolerances

__all__ = ["compare_script", "compare_recordings", "Comparison", "RunFailed", "NoData",
           "active_to_end", "DEFAULT_SIM_NAMES", "substitute_args"]

#: ``{sim}`` in the script's arguments becomes these in the NEST run and in ours (against
#: NEURON: ``("neuron", "cbgtc_jax")``).
DEFAULT_SIM_NAMES = ("nest", "cbgtc_jax")
#: ``against`` -> the reference run's capture backend; ``"jax"``: our side.  The reference
#: side is ``"nest"`` in ``runs`` and in the per-seed pairs whichever simulator it is.
_BACKEND_OF = {"nest": "nest", "neuron": "neuron", "jax": "cbgtc_jax"}
#: capture backend -> the ``simulator`` annotation of its Neo blocks (also the name in reports)
_EXPECTED_SIMULATOR = {"nest": "NEST", "neuron": "NEURON", "cbgtc_jax": "pynn_cbgtc_jax"}
#: ``against`` -> our run's integration_scheme in float64 (NEST's own schemes against NEST;
#: against NEURON, whose backward Euler none of ours is, the backend's float64 default)
_SCHEME_AGAINST = {"nest": "nest", "neuron": None}


class RunFailed(RuntimeError):
    """The script failed on one simulator (its exit status and stderr tail are in the message)."""


class NoData(RunFailed):
    """The script ran to its end on one simulator but left no recorded data (the reason, e.g.
    "the script recorded nothing", is in the message)."""


def substitute_args(args: Sequence[str], sim: str, seed) -> list:
    """Replace ``{sim}`` and ``{seed}`` in each argument."""
    out = []
    for a in args:
        a = a.replace("{sim}", sim)
        if seed is not None:
            a = a.replace("{seed}", str(seed))
        out.append(a)
    return out


class _Run:
    """One capture process (started at construction; ``finish()`` waits and loads)."""

    def __init__(self, script, args, backend, run_dir, precision, nest_spike_precision,
                 timeout, env=None, integration_scheme=None):
        run_dir = os.path.abspath(run_dir)
        os.makedirs(run_dir, exist_ok=True)
        cmd = [sys.executable, "-m", "pynn_cbgtc_jax.compare.capture", "--backend", backend,
               "--out", run_dir]
        if backend == "cbgtc_jax" and precision:
            cmd += ["--precision", precision]
        if backend == "cbgtc_jax" and integration_scheme:
            cmd += ["--integration-scheme", integration_scheme]
        if backend == "nest":
            cmd += ["--nest-spike-precision", nest_spike_precision or "script"]
        cmd += [os.path.abspath(script), *args]
        environ = dict(os.environ, PYNEST_QUIET="1", MPLBACKEND="Agg", **(env or {}))
        self.script, self.args, self.backend, self.run_dir = script, args, backend, run_dir
        self.timeout = timeout
        self.t0 = time.perf_counter()
        self.out = open(os.path.join(run_dir, "stdout.txt"), "w")
        self.err = open(os.path.join(run_dir, "stderr.txt"), "w")
        # As `python SCRIPT ARGS` run here: relative paths in ARGS are the caller's.
        self.proc = subprocess.Popen(cmd, stdout=self.out, stderr=self.err, env=environ,
                                     cwd=os.getcwd())

    def finish(self):
        try:
            code = self.proc.wait(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            code = f"killed after the {self.timeout} s timeout"
        finally:
            self.out.close()
            self.err.close()
        wall = time.perf_counter() - self.t0
        meta_path = os.path.join(self.run_dir, "meta.json")
        what = f"{os.path.basename(self.script)} {' '.join(self.args)}".strip()
        if code != 0 or not os.path.exists(meta_path):
            with open(os.path.join(self.run_dir, "stderr.txt")) as f:
                tail = f.read().strip().splitlines()[-15:]
            how = (f"failed on {self.backend} (exit status {code})" if code != 0 else
                   f"ended normally on {self.backend} but its capture process wrote no "
                   f"{meta_path}")
            raise RunFailed(f"{what} {how}; last lines of its stderr "
                            f"({self.run_dir}/stderr.txt):\n" + "\n".join(tail))
        meta, blocks = _load_run(self.run_dir)
        if not blocks:
            raise NoData(f"{what} produced no data on {self.backend}: "
                         f"{meta.get('no_data') or 'no Neo block captured'}.  A comparison "
                         f"needs populations with record() called before run().")
        meta["process_wall_s"] = wall
        with open(meta_path, "w") as f:
            json.dump(meta, f, indent=1)
        return meta, blocks

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def _load_run(run_dir):
    with open(os.path.join(run_dir, "meta.json")) as f:
        meta = json.load(f)
    with open(os.path.join(run_dir, "blocks.pkl"), "rb") as f:
        blocks = pickle.load(f)
    return meta, blocks


def _reusable(run_dir, script, args, defaults) -> bool:
    try:
        with open(os.path.join(run_dir, "meta.json")) as f:
            meta = json.load(f)
    except (OSError, ValueError):
        return False
    return (meta.get("status") == 0 and meta.get("args") == list(args)
            and meta.get("setup_defaults") == defaults
            and os.path.abspath(meta.get("script", "")) == os.path.abspath(script)
            and os.path.exists(os.path.join(run_dir, "blocks.pkl")))


# --- per-population numbers ---------------------------------------------------------------------

def _spike_divergence(ref, test):
    """The first spike of one population that is not on the same step in the other run."""
    if ref.spikes is None or test.spikes is None:
        return None
    cells, r, t = align_cells(ref.spike_cells, ref.spikes, test.spike_cells, test.spikes,
                              np.zeros(0))
    return metrics.first_spike_divergence(r, t, ref.dt, cells)


def _div_dict(d):
    return None if d is None else d._asdict()


def _pop_numbers(ref, test, tol: Tolerances, t_div=None, spike_div=None):
    """Numbers for one population (one seed): spikes and signals, NEST = ref, ours = test.

    ``t_div`` (ms): the divergence time of the whole network (the earliest spike divergence
    of any population); with it, ``before`` holds the exact numbers of ``t < t_div`` and
    ``after`` the statistical ones of ``t >= t_div``."""
    out = {"cells": max(ref.size, test.size), "dt": ref.dt,
           "duration_ms": ref.t_stop - ref.t_start, "t_start": ref.t_start,
           "t_stop": ref.t_stop, "spikes": None, "signals": {},
           "divergence": {"t_div": t_div, "spike": _div_dict(spike_div), "signals": {}},
           "before": None if t_div is None else {"matched": None, "total": None, "signals": {}},
           "after": None}
    trains = {}
    if ref.spikes is not None and test.spikes is not None:
        cells, r, t = align_cells(ref.spike_cells, ref.spikes, test.spike_cells, test.spikes,
                                  np.zeros(0))
        trains = dict(zip(cells.tolist(), zip(r, t)))
        if t_div is not None:
            rb, tb = (metrics.clip_trains(x, t_to=t_div, dt=ref.dt) for x in (r, t))
            ra, ta = (metrics.clip_trains(x, t_from=t_div, dt=ref.dt) for x in (r, t))
            before = metrics.spike_step_match(rb, tb, ref.dt)
            out["before"].update(matched=before.matched, total=before.total)
            # the divergence step belongs to "after" (clip_trains): start half a step early
            out["after"] = _window_numbers(ra, ta, t_div - 0.5 * ref.dt, ref.t_stop)
        whole = _window_numbers(r, t, ref.t_start, ref.t_stop)
        match = metrics.spike_step_match(r, t, ref.dt)
        out["spikes"] = {
            "n_cells": len(cells), **whole,
            "matched": match.matched, "total": match.total,
            "time_diffs": metrics.spike_time_differences(r, t),
            "raster": [r[:40], t[:40]],
            "last_spike": [max((float(x.max()) for x in r if len(x)), default=float("nan")),
                           max((float(x.max()) for x in t if len(x)), default=float("nan"))],
        }
    for name in sorted(set(ref.signals) & set(test.signals)):
        a, b = ref.signals[name], test.signals[name]
        cells, ia, ib = np.intersect1d(a.cells, b.cells, return_indices=True)
        va, vb = a.values[:, ia], b.values[:, ib]
        n = min(len(va), len(vb))
        mask = None
        if trains:
            empty = (np.zeros(0), np.zeros(0))
            per_cell = [trains.get(c, empty) for c in cells.tolist()]
            mask = metrics.spike_mask(a.times[:n], [[p[0] for p in per_cell],
                                                    [p[1] for p in per_cell]],
                                      ref.dt, tol.mask_before_ms, tol.mask_after_ms)
        diff = metrics.signal_differences(va[:n], vb[:n], mask)
        limit = tol.signal_max.get(name)
        if limit is not None:
            out["divergence"]["signals"][name] = _div_dict(metrics.first_signal_divergence(
                a.times[:n], va[:n], vb[:n], limit, mask, cells, name))
        if out["before"] is not None:
            m = int(np.searchsorted(a.times[:n], t_div - 0.5 * ref.dt))
            out["before"]["signals"][name] = metrics.signal_differences(
                va[:m], vb[:m], None if mask is None else mask[:m]).max_abs_between
        out["signals"][name] = {"units": a.units, "diff": diff._asdict(),
                                "n_cells": len(cells),
                                "trace": [a.times[:n], va[:n, 0] if len(cells) else None,
                                          vb[:n, 0] if len(cells) else None]}
    return out


def _window_numbers(ref_trains, test_trains, t_from, t_to) -> dict:
    """Spike counts, per-cell measures (``statistics.per_cell_measures``), their means and the
    population-rate spectrum of both runs over ``[t_from, t_to)``."""
    measures = [statistics.per_cell_measures(x, t_from, t_to) for x in (ref_trains, test_trains)]
    spectra = [statistics.population_psd(x, t_from, t_to) for x in (ref_trains, test_trains)]
    return {"duration_ms": t_to - t_from,
            "n": [int(sum(len(x) for x in side)) for side in (ref_trains, test_trains)],
            "measures": measures,
            **{q: [_nanmean(m[q]) for m in measures] for q in ("rate", "cv", "lv", "corr")},
            "freq": spectra[0][0], "psd": [spectra[0][1], spectra[1][1]]}


def _nanmean(values):
    values = [v for v in values if v is not None and not (isinstance(v, float) and
                                                           math.isnan(v))]
    return float(np.mean(values)) if values else float("nan")


def _nanmax(values):
    values = [v for v in values if not math.isnan(v)]
    return max(values) if values else float("nan")


#: a run is "active to the end" when its last spike falls in the final tenth of the run
ACTIVE_TAIL = 0.1


def active_to_end(s, t_stop, duration):
    """Per side (NEST, ours): was the population still spiking in the run's last tenth?"""
    return [bool(s["last_spike"][k] >= t_stop - ACTIVE_TAIL * duration) for k in (0, 1)]


def _aggregate(per_seed, sustained_only: bool = False):
    """Seed-averaged (statistical) and pooled (exact) numbers of one population.

    With ``sustained_only`` the seed averages of rate, CV and correlation (and the smallest
    spike count) take, on each side, only the runs active to the end."""
    first = per_seed[0]
    agg = {"cells": first["cells"], "dt": first["dt"], "duration_ms": first["duration_ms"],
           "seeds": len(per_seed), "spikes": None, "signals": {}}
    sp = [p["spikes"] for p in per_seed if p["spikes"] is not None]
    if sp:
        alive = [active_to_end(s, first["t_stop"], first["duration_ms"]) for s in sp]
        use = [[a[k] or not sustained_only for a in alive] for k in (0, 1)]

        def mean(q, k):
            return _nanmean([s[q][k] for s, u in zip(sp, use[k]) if u])

        agg["spikes"] = {
            "n_cells": sp[0]["n_cells"],
            "n": [int(sum(s["n"][k] for s in sp)) for k in (0, 1)],
            "n_min": [min((s["n"][k] for s, u in zip(sp, use[k]) if u), default=0)
                      for k in (0, 1)],
            "active_to_end": [sum(a[k] for a in alive) for k in (0, 1)],
            "sustained_only": sustained_only,
            "rate": [mean("rate", k) for k in (0, 1)],
            "rate_sd": [float(np.std([s["rate"][k] for s in sp])) for k in (0, 1)],
            "cv": [mean("cv", k) for k in (0, 1)],
            "lv": [mean("lv", k) for k in (0, 1)],
            "corr": [mean("corr", k) for k in (0, 1)],
            "distributions": _distributions(sp, use),
            # per seed used on both sides: (NEST, ours) of each mean, for _unresolved
            "paired": {q: [(s[q][0], s[q][1]) for s, u0, u1 in zip(sp, *use) if u0 and u1]
                       for q in ("rate", "cv", "corr")},
            "matched": sum(s["matched"] for s in sp), "total": sum(s["total"] for s in sp),
            "time_diffs": np.concatenate([s["time_diffs"] for s in sp]),
            "freq": sp[0]["freq"],
            "psd": [np.mean([s["psd"][k] for s in sp], axis=0) for k in (0, 1)],
            "raster": sp[0]["raster"],
        }
    agg["divergence"] = [p["divergence"] for p in per_seed]
    agg["before"], agg["after"] = _split_aggregate(per_seed)
    for name in per_seed[0]["signals"]:
        sig = [p["signals"][name] for p in per_seed if name in p["signals"]]
        d = [s["diff"] for s in sig]
        n_tot = sum(x["n_samples"] for x in d)
        agg["signals"][name] = {
            "units": sig[0]["units"], "n_cells": sig[0]["n_cells"], "trace": sig[0]["trace"],
            "diff": {"max_abs": max(x["max_abs"] for x in d),
                     "rms": math.sqrt(sum(x["rms"] ** 2 * x["n_samples"] for x in d)
                                      / max(n_tot, 1)),
                     "max_abs_between": _nanmax([x["max_abs_between"] for x in d]),
                     "n_samples": n_tot}}
    return agg


#: the seed-to-seed yardstick is used from this many seeds on: with two, the mean of the four
#: cross-simulator KS distances exceeds the larger of the two same-simulator ones in ~24 % of
#: draws from one distribution; with three, ~3.5 % (gamma samples of 100 values, 400 draws)
YARDSTICK_SEEDS = 3


def _distributions(parts, use=None) -> dict:
    """Per measure: the KS test and Cohen's d of the pooled per-cell values of the used seeds
    (``statistics.compare_samples``) and the seed-to-seed yardstick; for the population-rate
    spectrum, the log-PSD distance of the seed-averaged spectra and its yardstick.
    ``use[k][i]``: seed ``i`` counts on side ``k`` (default: all)."""
    use = use or [[True] * len(parts)] * 2
    side = [[p for p, u in zip(parts, use[k]) if u] for k in (0, 1)]
    out = {"seeds": [len(side[0]), len(side[1])], "measures": {}, "samples": {}}
    for q in statistics.MEASURES:
        per_seed = [[p["measures"][k][q] for p in side[k]] for k in (0, 1)]
        pooled = [np.concatenate(x) if x else np.zeros(0) for x in per_seed]
        out["samples"][q] = pooled
        out["measures"][q] = {"test": statistics.compare_samples(*pooled)._asdict(),
                              "yardstick": statistics.seed_yardstick(*per_seed)}
    spectra = [[(p["freq"], p["psd"][k]) for p in side[k]] for k in (0, 1)]
    mean = []
    for k in (0, 1):
        same_grid = spectra[k] and len({len(f) for f, _ in spectra[k]}) == 1
        mean.append((spectra[k][0][0], np.mean([p for _, p in spectra[k]], axis=0))
                    if same_grid else (np.zeros(0), np.zeros(0)))
    out["psd"] = {"distance": statistics.log_psd_distance(*mean),
                  "yardstick": statistics.seed_yardstick(*spectra,
                                                         distance=statistics.log_psd_distance)}
    return out


def _split_aggregate(per_seed):
    """Before / after the divergence, over seeds; a seed that did not diverge counts whole
    in ``before``.  ``(None, None)`` when no seed diverged."""
    if all(p["divergence"]["t_div"] is None for p in per_seed):
        return None, None
    matched = total = 0
    has_spikes = False
    signals = {}
    for p in per_seed:
        whole = p["before"] is None
        part = p["spikes"] if whole else p["before"]
        if part is not None and part["matched"] is not None:
            has_spikes = True
            matched, total = matched + part["matched"], total + part["total"]
        sig = ({n: v["diff"]["max_abs_between"] for n, v in p["signals"].items()} if whole
               else p["before"]["signals"])
        for name, value in sig.items():
            signals.setdefault(name, []).append(value)
    before = {"matched": matched if has_spikes else None, "total": total if has_spikes else None,
              "signals": {n: _nanmax(v) for n, v in signals.items()}}
    aft = [p["after"] for p in per_seed if p["after"] is not None]
    after = None if not aft else {
        "n": [int(sum(a["n"][k] for a in aft)) for k in (0, 1)],
        "n_min": [min(a["n"][k] for a in aft) for k in (0, 1)],
        "rate": [_nanmean([a["rate"][k] for a in aft]) for k in (0, 1)],
        "cv": [_nanmean([a["cv"][k] for a in aft]) for k in (0, 1)],
        "distributions": _distributions(aft),
        "paired": {q: [tuple(a[q]) for a in aft] for q in ("rate", "cv")},
        "freq": aft[0]["freq"] if len({len(a["freq"]) for a in aft}) == 1 else np.zeros(0),
        "psd": ([np.mean([a["psd"][k] for a in aft], axis=0) for k in (0, 1)]
                if len({len(a["freq"]) for a in aft}) == 1 else [np.zeros(0), np.zeros(0)]),
        "duration_ms": min(a["duration_ms"] for a in aft), "seeds": len(aft)}
    return before, after


def _unresolved(check: Check, pairs, relative: bool) -> Check:
    """A failed seed-averaged check that the seeds cannot resolve becomes "report only".

    With >= ``YARDSTICK_SEEDS`` seeds run on both sides, the per-seed differences ``d_i =
    ours_i - NEST_i`` (the same seed builds the same network on both) give a paired 99 %
    interval for the mean difference, ``mean(d) +- t(0.995, k-1) sd(d) / sqrt(k)``; when it
    contains 0 the seeds do not show a difference, and when it also reaches beyond the
    tolerance they cannot show agreement either: neither pass nor failure, more seeds are
    needed (a bursting network whose statistics vary strongly from run to run)."""
    from scipy.stats import t as student_t
    if check.passed is not False:
        return check
    d = np.array([b - a for a, b in pairs if not (math.isnan(a) or math.isnan(b))])
    k = len(d)
    if k < YARDSTICK_SEEDS:
        return check
    half = float(student_t.ppf(0.995, k - 1) * d.std(ddof=1) / math.sqrt(k))
    if abs(d.mean()) > half:
        return check
    ref = np.mean([a for a, _ in pairs])
    scale = abs(ref) if relative and ref else 1.0
    return check._replace(passed=None, detail=(
        f"{check.detail}; not resolved by {k} seeds: paired 99 % interval of the difference "
        f"{d.mean() / scale:+.3g} +- {half / scale:.3g}{' (relative)' if relative else ''} "
        f"contains 0 -- "
        f"run more seeds"))


def _cv_check(key, c_ref, c_test, tol: Tolerances, paired, report_only, suffix="", note=""):
    """The mean ISI CV check: relative (``cv_rel``), or absolute (``cv_abs``) for nearly
    regular trains whose CV is too small for a relative difference to mean anything (two
    perfectly regular trains have CVs of round-off size)."""
    if math.isnan(c_ref) or math.isnan(c_test):
        return []
    if c_ref * tol.cv_rel >= tol.cv_abs:
        return [_unresolved(Check.make(key, f"ISI CV rel. diff{suffix}",
                                       abs(c_test - c_ref) / c_ref, tol.cv_rel, "<=",
                                       f"{c_ref:.3g} vs {c_test:.3g}{note}",
                                       report_only=report_only), paired, True)]
    return [_unresolved(Check.make(key, f"ISI CV abs. diff{suffix}", abs(c_test - c_ref),
                                   tol.cv_abs, "<=", f"{c_ref:.3g} vs {c_test:.3g}{note}",
                                   report_only=report_only), paired, False)]


def _checks(key, agg, tol: Tolerances, mode: str, alpha: float = math.nan):
    """Whole-run checks of one population; ``alpha``: the per-test KS level (statistical)."""
    full_tol, tol = tol, tol.for_population(key)
    checks = []
    sp = agg["spikes"]
    if mode == "exact":
        if sp is not None:
            frac = 1.0 if sp["total"] == 0 else sp["matched"] / sp["total"]
            checks.append(Check.make(key, "spikes on identical step", frac,
                                     tol.spike_step_match, ">=",
                                     f"{sp['matched']} of {sp['total']}",
                                     report_only=sp["total"] == 0))
        for name, s in agg["signals"].items():
            limit = tol.signal_max.get(name)
            checks.append(Check.make(key, f"{name} max abs diff between spikes",
                                     s["diff"]["max_abs_between"], limit, "<=",
                                     s["units"], report_only=limit is None))
        return checks
    if sp is None:
        return checks
    if tol.sustained_only:
        a, b, n = *sp["active_to_end"], agg["seeds"]
        checks.append(Check.make(key, "runs active to the end, Fisher p",
                                 statistics.fisher_exact_p(a, n, b, n), tol.survival_p, ">=",
                                 f"reference {a}/{n}, ours {b}/{n}"))
    enough = min(sp["n_min"]) >= tol.min_spikes
    r_ref, r_test = sp["rate"]
    paired = sp["paired"]
    if r_ref * tol.rate_rel >= tol.rate_abs_hz:
        checks.append(_unresolved(Check.make(key, "rate rel. diff", abs(r_test - r_ref) / r_ref,
                                             tol.rate_rel, "<=",
                                             f"{r_ref:.3g} vs {r_test:.3g} Hz",
                                             report_only=not enough), paired["rate"], True))
    else:
        checks.append(_unresolved(Check.make(key, "rate abs diff (Hz)", abs(r_test - r_ref),
                                             tol.rate_abs_hz, "<=",
                                             f"{r_ref:.3g} vs {r_test:.3g} Hz",
                                             report_only=not enough), paired["rate"], False))
    checks += _cv_check(key, *sp["cv"], tol, paired["cv"], not enough)
    k_ref, k_test = sp["corr"]
    if not (math.isnan(k_ref) or math.isnan(k_test)):
        checks.append(_unresolved(Check.make(key, "pairwise corr. abs diff", abs(k_test - k_ref),
                                             tol.corr_abs, "<=", f"{k_ref:.3g} vs {k_test:.3g}",
                                             report_only=not enough or tol.corr_abs is None),
                                  paired["corr"], False))
    return checks + _distribution_checks(key, sp["distributions"], full_tol, alpha,
                                         min(sp["n_min"]))


#: how distributions over cells are judged (in report.md)
DISTRIBUTIONS_NOTE = (
    "Distributions over cells (Gutzen et al. 2018): per population, the firing rate, ISI CV "
    "and LV of each cell and the spike-count correlation of each pair of firing cells (5 ms "
    "bins, first 200 firing cells), pooled over seeds, computed with Elephant; compared by the "
    "two-sample Kolmogorov-Smirnov test (SciPy) and Cohen's d.  A distribution differs only if "
    "the KS test rejects at the comparison's false-alarm level (Bonferroni over its tests), "
    "the difference is material (|d| or KS D above the limits) and, with >= 3 seeds, the "
    "simulators differ more than each differs from itself between seeds (mean cross-simulator "
    "KS D above the largest same-simulator one).  Correlation pairs share cells, so their KS "
    "p-value is optimistic; the materiality and seed conditions guard it.")


def _n_distribution_tests(dists, tol: Tolerances) -> int:
    """How many distribution tests with enough values a comparison makes (for Bonferroni)."""
    return sum(min(m["test"]["n"]) >= tol.for_population(key).min_values
               for key, d in dists.items() if d is not None for m in d["measures"].values())


def _distribution_checks(key, dist, tol: Tolerances, alpha: float, n_spikes: int,
                         suffix: str = ""):
    """Checks of the distributions over cells and of the population-rate spectrum (see
    ``DISTRIBUTIONS_NOTE``); ``alpha``: the per-test KS level; ``n_spikes``: the smallest
    spike count of a run (below ``min_spikes`` every check is only reported)."""
    tol = tol.for_population(key)
    checks = []
    if n_spikes < tol.min_spikes:
        return [Check(key, f"distributions over cells{suffix}", float(n_spikes),
                      float(tol.min_spikes), ">=", None, f"not informative: {n_spikes} spikes "
                      f"in a run (< min_spikes = {tol.min_spikes})")]
    use_seeds = min(dist["seeds"]) >= YARDSTICK_SEEDS
    for q, label in statistics.MEASURES.items():
        m = dist["measures"][q]
        test, (between, within) = m["test"], m["yardstick"]
        n, mean = test["n"], test["mean"]
        if min(n) < tol.min_values:
            checks.append(Check(key, f"{label} over cells{suffix}", test["ks_p"], alpha, ">=",
                                None, f"not informative: {min(n)} values (< min_values = "
                                f"{tol.min_values})"))
            continue
        significant = test["ks_p"] < alpha
        material = (abs(test["cohen_d"]) > tol.effect_size_max
                    or test["ks_d"] > tol.ks_d_max)
        beyond = not (use_seeds and between <= within)
        detail = (f"mean {mean[0]:.3g} vs {mean[1]:.3g} (n {n[0]} / {n[1]}); KS D "
                  f"{test['ks_d']:.3g}; Cohen's d {test['cohen_d']:+.2f}")
        if not math.isnan(between):
            detail += (f"; cross-simulator D {between:.3g} vs seed-to-seed <= {within:.3g}"
                       + ("" if use_seeds else f" (not used: < {YARDSTICK_SEEDS} seeds)"))
        if significant and not material:
            detail += (f"; passes: not material (|d| <= {tol.effect_size_max:g}, "
                       f"D <= {tol.ks_d_max:g})")
        elif significant and not beyond:
            detail += "; passes: within the seed-to-seed spread"
        checks.append(Check(key, f"{label} over cells, KS p{suffix}", test["ks_p"], alpha,
                            ">=", not (significant and material and beyond), detail))
    between, within = dist["psd"]["yardstick"]
    distance = dist["psd"]["distance"]
    if use_seeds and not (math.isnan(between) or math.isnan(within)):
        checks.append(Check.make(key, f"population-rate spectrum, cross / seed-to-seed "
                                 f"log-PSD distance{suffix}", between / within if within else
                                 math.inf, tol.psd_ratio, "<=",
                                 f"mean |log10 PSD ratio| 0-200 Hz: cross {between:.3g}, "
                                 f"seed-to-seed <= {within:.3g}"))
    elif not math.isnan(distance):
        checks.append(Check(key, f"population-rate spectrum, log-PSD distance{suffix}",
                            distance, None, "<=", None,
                            f"not informative with {min(dist['seeds'])} seed(s), judged with >= "
                            f"{YARDSTICK_SEEDS}: mean |log10 PSD ratio| 0-200 Hz of the "
                            f"seed-averaged spectra"))
    return checks


def _split_checks(key, agg, tol: Tolerances, alpha: float = math.nan):
    """Checks of a run that diverged: exact before ``t_div``, statistical from it on
    (``alpha``: the per-test KS level of the distributions after it)."""
    full_tol, tol = tol, tol.for_population(key)
    checks = []
    before, after = agg["before"], agg["after"]
    if before is None:
        return checks
    if before["matched"] is not None:
        m, t = before["matched"], before["total"]
        checks.append(Check.make(key, "spikes on identical step before divergence",
                                 1.0 if t == 0 else m / t, tol.spike_step_match, ">=",
                                 f"{m} of {t}", report_only=t == 0))
    for name, value in before["signals"].items():
        limit = tol.signal_max.get(name)
        checks.append(Check.make(key, f"{name} max abs diff between spikes before divergence",
                                 value, limit, "<=", agg["signals"][name]["units"],
                                 report_only=limit is None))
    if after is None:
        return checks
    n_min = min(after["n_min"])
    enough = n_min >= tol.min_spikes
    note = "" if enough else (f"; not informative: {n_min} spikes after divergence "
                              f"(< min_spikes = {tol.min_spikes})")
    r_ref, r_test = after["rate"]
    paired = after["paired"]
    if r_ref * tol.rate_rel >= tol.rate_abs_hz:
        checks.append(_unresolved(Check.make(
            key, "rate rel. diff after divergence", abs(r_test - r_ref) / r_ref, tol.rate_rel,
            "<=", f"{r_ref:.3g} vs {r_test:.3g} Hz{note}", report_only=not enough),
            paired["rate"], True))
    elif not math.isnan(r_ref):
        checks.append(_unresolved(Check.make(
            key, "rate abs diff (Hz) after divergence", abs(r_test - r_ref), tol.rate_abs_hz,
            "<=", f"{r_ref:.3g} vs {r_test:.3g} Hz{note}", report_only=not enough),
            paired["rate"], False))
    checks += _cv_check(key, *after["cv"], tol, paired["cv"], not enough,
                        " after divergence", note)
    return checks + _distribution_checks(key, after["distributions"], full_tol, alpha, n_min,
                                         " after divergence")


#: why a recurrent network's runs part (in report.md and summary.json)
CHAOS_NOTE = (
    "Divergence of a recurrent network is expected: the two simulators do not round alike "
    "(they add the synaptic inputs arriving in one step in different orders, an adaptive "
    "integrator places its sub-steps differently), so their numbers differ in the last bits; "
    "sooner or later such a round-off difference puts one membrane potential on the other "
    "side of the threshold, one spike appears (or vanishes) in one run only, and through the "
    "recurrent connections it changes everything after it (chaotic dynamics amplify any "
    "perturbation).  So the runs are compared exactly up to the first differing spike and "
    "statistically after it (mean rate and ISI CV per population, and the distributions over "
    "cells of rate, CV, LV and pairwise correlation).  A difference of v above the "
    "tolerance *before* the first differing spike is not explained this way: round-off "
    "alone cannot move a potential by that much while every spike is the same.")


def _divergence_summary(events, populations, split: bool, why: str | None = None) -> dict:
    """The divergence part of ``summary.json``: per seed the network's divergence time and the
    event that started it, the first signal difference above tolerance, and per population
    its own first events."""
    per_seed = []
    for spike_event, signal_event in events:
        per_seed.append({
            "t_div": None if spike_event is None else spike_event[0],
            "event": None if spike_event is None else {"population": spike_event[1],
                                                        **spike_event[2]._asdict()},
            "first_signal_event": None if signal_event is None else {
                "population": signal_event[1], **signal_event[2]}})
    pops = {key: {"spike": agg["divergence"][0]["spike"],
                  "signals": agg["divergence"][0]["signals"]}
            for key, agg in populations.items()}
    return {"judged": "exact before, statistical after divergence" if split else "exact",
            "why": why, "seeds": per_seed, "populations": pops, "note": CHAOS_NOTE}


@dataclass
class Comparison:
    """The outcome of :func:`compare_script` (``passed`` is the verdict)."""

    script: str
    args: list
    seeds: list
    mode: str
    tolerances: Tolerances
    populations: dict                          # key -> aggregated numbers
    checks: list                               # [Check]
    missing: dict = field(default_factory=dict)    # key -> "only in the reference run" / ours
    runs: list = field(default_factory=list)       # per seed: {"nest": meta, "jax": meta}
    output: str | None = None
    per_seed: dict = field(default_factory=dict)   # key -> [numbers of each seed]
    divergence: dict | None = None                 # exact mode: see _divergence_summary
    reference: str = "NEST"                        # the reference simulator's name

    @property
    def t_div(self) -> float | None:
        """The divergence time (ms) of the first seed; ``None``: no spike differs."""
        if not self.divergence or not self.divergence["seeds"]:
            return None
        return self.divergence["seeds"][0]["t_div"]

    @property
    def split(self) -> bool:
        """Judged exactly before the divergence time and statistically after it."""
        return bool(self.divergence) and self.divergence["judged"] != "exact"

    @property
    def failed_checks(self):
        return [c for c in self.checks if c.passed is False]

    @property
    def passed(self) -> bool:
        evaluated = [c for c in self.checks if c.passed is not None]
        return bool(evaluated) and not self.failed_checks and not self.missing

    def summary(self) -> dict:
        """JSON-able numbers (no arrays) for tables and scripts."""
        pops = {}
        for key, agg in self.populations.items():
            entry = {k: agg[k] for k in ("cells", "dt", "duration_ms", "seeds")}
            sp = agg["spikes"]
            if sp is not None:
                td = np.abs(sp["time_diffs"])
                entry["spikes"] = {k: sp[k] for k in ("n_cells", "n", "rate", "rate_sd", "cv",
                                                      "corr", "matched", "total")}
                entry["spikes"]["max_abs_time_diff_ms"] = float(td.max()) if td.size else 0.0
            entry["signals"] = {n: {"units": s["units"], **s["diff"]}
                                for n, s in agg["signals"].items()}
            judged = (agg["after"] if self.split and agg.get("after") else
                      sp if self.mode == "statistical" else None)
            if judged is not None:
                d = judged["distributions"]
                entry["distributions"] = {
                    "window": "after divergence" if judged is not sp else "whole run",
                    "seeds": d["seeds"], "measures": d["measures"], "psd": d["psd"]}
            pops[key] = entry
        return {"script": self.script, "args": self.args, "seeds": self.seeds,
                "mode": self.mode, "passed": self.passed, "missing": self.missing,
                "tolerances": self.tolerances.as_dict(), "populations": pops,
                "checks": [c._asdict() for c in self.checks],
                "divergence": self.divergence, "runs": self.runs, "reference": self.reference}


def require_compare_extra(figures: bool = False) -> None:
    """Raise ``ImportError`` naming the ``[compare]`` extra when its packages are missing
    (Elephant and SciPy for the statistics, matplotlib for figures)."""
    wanted = ("elephant", "scipy") + (("matplotlib",) if figures else ())
    missing = [m for m in wanted if importlib.util.find_spec(m) is None]
    if missing:
        raise ImportError(
            f"pynn-cbgtc-jax compare needs {', '.join(missing)}, which the backend itself does "
            f"not: install the [compare] extra, pip install 'pynn_cbgtc_jax[compare]' (in a "
            f"checkout: pip install -e '.[compare]').")


def compare_recordings(per_seed_blocks, tolerances: Tolerances, mode: str = "exact",
                       script: str = "", args=(), seeds=(None,), runs=()) -> Comparison:
    """Compare captured blocks: ``per_seed_blocks`` is a list of ``(nest_blocks,
    jax_blocks)`` dicts ``{key: neo.Block}``, one pair per seed."""
    require_compare_extra()
    numbers, missing, events = {}, {}, []
    for ref_blocks, test_blocks in per_seed_blocks:
        ref, test = recordings_from_blocks(ref_blocks), recordings_from_blocks(test_blocks)
        for key in set(ref) ^ set(test):
            missing[key] = "only in the reference run" if key in ref else "only in our run"
        common = sorted(set(ref) & set(test))
        spike_div = {key: _spike_divergence(ref[key], test[key]) for key in common}
        first = min(((d.t, key, d) for key, d in spike_div.items() if d is not None),
                    default=None, key=lambda e: (e[0], e[1]))
        t_div = first[0] if mode == "exact" and first is not None else None
        sig_events = []
        for key in common:
            numbers.setdefault(key, []).append(
                _pop_numbers(ref[key], test[key], tolerances.for_population(key), t_div,
                             spike_div[key]))
            sig_events += [(d["t"], key, d) for d in
                           numbers[key][-1]["divergence"]["signals"].values() if d]
        events.append((first, min(sig_events, default=None, key=lambda e: (e[0], e[1]))))
    populations = {key: _aggregate(v, tolerances.for_population(key).sustained_only)
                   for key, v in numbers.items()}
    alpha = tolerances.ks_alpha / max(1, _n_distribution_tests(
        {k: a["spikes"] and a["spikes"]["distributions"] for k, a in populations.items()},
        tolerances))
    checks = [c for key, agg in populations.items()
              for c in _checks(key, agg, tolerances, mode, alpha)]
    split, why = False, None
    if (mode == "exact" and any(c.passed is False for c in checks)
            and any(agg["after"] is not None for agg in populations.values())):
        # The whole-run exact checks failed and the spikes diverged: if the runs agree exactly
        # before the divergence, judge the rest statistically (CHAOS_NOTE says why).
        alpha_after = tolerances.ks_alpha / max(1, _n_distribution_tests(
            {k: a["after"] and a["after"]["distributions"] for k, a in populations.items()},
            tolerances))
        split_checks = [c for key, agg in populations.items()
                        for c in _split_checks(key, agg, tolerances, alpha_after)]
        bad = [c for c in split_checks
               if c.passed is False and c.quantity.endswith("before divergence")]
        split = not bad
        if bad:
            why = ("judged exactly over the whole run: the runs already differ before the "
                   "first differing spike (" + "; ".join(
                       f"{c.population} {c.quantity} {c.measured:.3g}" for c in bad) + ")")
            checks += bad           # they name the population whose runs differed first
    if split:
        judged = sorted({c.population for c in split_checks
                         if c.quantity.endswith("after divergence") and c.passed is not None})
        if judged:
            checks = split_checks
        else:
            # Nothing to judge statistically (e.g. unconnected single neurons): the failed
            # whole-run checks stay, next to the uninformative ones after the divergence.
            split = False
            why = ("judged exactly over the whole run: too few spikes after the divergence "
                   "in every population for a statistical judgement")
            checks += [c for c in split_checks if c.quantity.endswith("after divergence")]
        checks.append(Check(
            "(all)", "populations judged statistically after divergence", float(len(judged)),
            1.0, ">=", bool(judged), ", ".join(judged) if judged else why))
    checks += [Check(key, "recorded in both runs", 0.0, 1.0, ">=", False, reason)
               for key, reason in missing.items()]
    divergence = (_divergence_summary(events, populations, split, why) if mode == "exact"
                  else None)
    return Comparison(script, list(args), list(seeds), mode, tolerances, populations, checks,
                      missing, list(runs), per_seed=numbers, divergence=divergence)


def compare_script(script: str, args: Sequence[str] = (), output: str | None = None,
                   against: str = "nest", tolerances=None, mode: str | None = None,
                   seeds: Sequence | None = None, precision: str | None = None,
                   nest_spike_precision: str | None = "on_grid",
                   sim_names: Sequence[str] | None = None, timeout: float | None = None,
                   figures: bool = True, parallel: bool = True,
                   reuse: bool = False) -> Comparison:
    """Run ``script`` unchanged on pyNN.nest (or pyNN.neuron) and on pynn_cbgtc_jax and
    compare the recordings.

    Parameters
    ----------
    script, args
        The PyNN script and its arguments; ``{sim}`` and ``{seed}`` are placeholders (see the
        module docstring for how the script gets its simulator).
    output
        Folder for ``report.md``, ``summary.json``, ``figures/`` and the raw runs
        (``runs/<seed>/<against>/`` and ``runs/<seed>/jax/``); ``None``: a temporary folder,
        removed afterwards, and no report.
    against
        The reference simulator: ``"nest"`` or ``"neuron"`` (pyNN.neuron; needs the
        ``neuron`` package, see the module docstring for what matches exactly).
    tolerances
        A :class:`Tolerances`, a dict, or the path of a TOML / JSON file.
    mode
        ``"exact"``, ``"statistical"`` or ``"auto"`` (overrides the tolerances' mode).
    seeds
        Run once per seed (``{seed}`` must appear in ``args``); statistics are seed-averaged.
    precision
        Our run's default ``setup(precision=...)`` (``"float32"``/``"float64"``).  ``None``:
        ``"float64"`` (against NEST with ``integration_scheme="nest"``, NEST's arithmetic and
        scheme, so the runs can agree spike for spike) unless the mode is ``"statistical"``
        (then the backend's float32 default).  The script's own ``setup()`` arguments win.
    nest_spike_precision
        The NEST run's default ``setup(spike_precision=...)``; ``None`` leaves pyNN.nest's.
        Not used against NEURON.
    sim_names
        What ``{sim}`` becomes in the reference run and in ours; ``None``: ``against`` and
        ``"cbgtc_jax"``.
    timeout
        Seconds allowed to each run.
    figures
        Write PNG figures with the report.
    parallel
        Run the reference and the JAX process of a seed at the same time (two cores).
    reuse
        Load the runs already in ``output/runs/`` made with the same script, arguments and
        options instead of running them again (a changed script or backend is not
        detected: use it to regenerate reports only).

    Returns
    -------
    Comparison
        ``.passed`` is the verdict, ``.checks`` the individual checks, ``.reference`` the
        reference simulator's name.
    """
    if against not in _SCHEME_AGAINST:
        raise ValueError(f"against={against!r}: allowed values are "
                         f"{', '.join(map(repr, _SCHEME_AGAINST))} (pyNN.brian2 does not "
                         f"import with numpy 2.4 here).")
    sim_names = tuple(sim_names) if sim_names else (against, DEFAULT_SIM_NAMES[1])
    spike_precision = nest_spike_precision if against == "nest" else None
    require_compare_extra(figures and output is not None)
    tol = load_tolerances(tolerances, mode=mode)
    seed_list = list(seeds) if seeds else [None]
    if seeds and not any("{seed}" in a for a in args):
        raise ValueError("seeds were given but no argument contains the {seed} placeholder; "
                         "every run would be the same.  Add e.g. '--seed {seed}' to the "
                         "script's arguments.")
    if not os.path.isfile(script):
        raise FileNotFoundError(f"no such script: {script!r}")
    tmp = None
    if output is None:
        tmp = tempfile.TemporaryDirectory(prefix="pynn_cbgtc_jax_compare_")
        base = tmp.name
    else:
        base = os.path.abspath(output)          # the caller's folder, not the script's
        os.makedirs(base, exist_ok=True)
    # Exact (and auto) comparisons run our side in float64 (against NEST also with NEST's own
    # integration scheme); a statistical one keeps the backend's default (float32, fast).
    scheme = None
    if precision is None and tol.mode != "statistical":
        precision = "float64"
    if precision == "float64":
        scheme = _SCHEME_AGAINST[against]
    sides = (("nest", sim_names[0], _BACKEND_OF[against], against),
             ("jax", sim_names[1], _BACKEND_OF["jax"], "jax"))
    try:
        pairs, runs = [], []
        for seed in seed_list:
            tag = "run" if seed is None else f"seed{seed}"
            metas, blocks, started = {}, {}, {}
            try:
                for side, sim, backend, folder in sides:
                    run_args = substitute_args(args, sim, seed)
                    run_dir = os.path.join(base, "runs", tag, folder)
                    defaults = (_jax_defaults(precision, scheme) if side == "jax" else
                                {"spike_precision": spike_precision} if spike_precision else {})
                    if reuse and _reusable(run_dir, script, run_args, defaults):
                        metas[side], blocks[side] = _load_run(run_dir)
                        continue
                    started[side] = _Run(script, run_args, backend, run_dir, precision,
                                         spike_precision, timeout, integration_scheme=scheme)
                    if not parallel:
                        metas[side], blocks[side] = started[side].finish()
                for side in metas:
                    _check_simulator(blocks[side], metas[side]["backend"], script)
                for side, run in started.items():
                    if side not in metas:
                        metas[side], blocks[side] = run.finish()
                        _check_simulator(blocks[side], run.backend, script)
            finally:
                for run in started.values():
                    run.kill()
            pairs.append((blocks["nest"], blocks["jax"]))
            runs.append({"seed": seed, **metas})
        chosen = tol.mode
        if chosen == "auto":
            stochastic = any(m["stochastic"] for r in runs for m in (r["nest"], r["jax"]))
            chosen = "statistical" if stochastic else "exact"
        result = compare_recordings(pairs, tol, chosen, script, args, seed_list, runs)
        result.reference = _EXPECTED_SIMULATOR[_BACKEND_OF[against]]
        if output is not None:
            from .report import write_report
            result.output = output
            write_report(result, output, figures=figures)
        return result
    finally:
        if tmp is not None:
            tmp.cleanup()


def _jax_defaults(precision, scheme) -> dict:
    """Our run's setup() defaults, as ``capture`` records them in ``meta.json``."""
    out = {"precision": precision} if precision else {}
    if scheme:
        out["integration_scheme"] = scheme
    return out


def _check_simulator(blocks, backend, script):
    expected = _EXPECTED_SIMULATOR[backend]
    for key, block in blocks.items():
        got = block.annotations.get("simulator")
        if got != expected:
            raise RunFailed(f"{script}: population {key!r} of the {backend} run was simulated "
                            f"by {got!r}, not {expected!r}; the script imports its simulator "
                            f"in a way the comparison cannot redirect (e.g. a hard-coded "
                            f"module other than pyNN.nest, or `import nest`).")
