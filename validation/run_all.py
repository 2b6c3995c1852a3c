"""Run the cross-simulator validation suite and regenerate ``validation/REPORT.md``.

Every case runs an unchanged PyNN script from ``validation/scripts/`` on pyNN.nest (in
``spike_precision="on_grid"`` mode) and on pynn_cbgtc_jax with
:func:`pynn_cbgtc_jax.compare.compare_script`, and checks it against
``validation/tolerances.toml``:

* single neurons, every standard cell type both simulators have (HH_cond_exp and Izhikevich
  when pynn_cbgtc_jax has them), under DC, a step current and fixed spike trains, 1 s, float64
  (and the default float32 for information): exact comparison;
* networks (COBA, CBGTC) over several seeds, float32: statistical comparison of rates, ISI CV,
  pairwise correlation and the population-rate spectrum;
* multi-compartment cells (``MC_CASES``) against pyNN.neuron, float64: exact comparison.

Usage::

    python validation/run_all.py            # full suite (about 10-15 min on 2 cores)
    python validation/run_all.py --fast     # a subset (~2-3 min); report in --output only

Per-case reports (``report.md`` + figures) go to ``--output`` (default ``output/validation``,
not committed); the summary goes to ``validation/REPORT.md`` (full run) with its figures in
``validation/figures/``.
"""
from __future__ import annotations

import argparse
import datetime
import importlib.util
import math
import os
import platform
import shutil
import sys
import time
import tomllib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from pynn_cbgtc_jax.compare import Tolerances, compare_script  # noqa: E402
from pynn_cbgtc_jax.compare.core import active_to_end  # noqa: E402
from pynn_cbgtc_jax.compare.report import (checks_table, distribution_lines,  # noqa: E402
                                            divergence_lines, format_value)

__all__ = ["CELL_TYPES", "NETWORKS", "MC_CASES", "load_table", "available_cell_types",
           "single_neuron_case", "network_case", "mc_case", "main"]

SCRIPTS = os.path.join(HERE, "scripts")
CELL_TYPES = ["IF_curr_exp", "IF_curr_alpha", "IF_cond_exp", "IF_cond_alpha",
              "EIF_cond_exp_isfa_ista", "EIF_cond_alpha_isfa_ista", "HH_cond_exp", "Izhikevich"]
#: name -> (script, scale, duration ms, seeds), full run and --fast.  COBA below scale 1 is
#: partly silent (its activity dies out at a seed-dependent time), so --fast shortens it instead.
NETWORKS = {
    "coba": ("coba.py", 1.0, 1000.0, list(range(1, 21))),
    "cbgtc": ("cbgtc.py", 1.0, 1000.0, list(range(1, 9))),
}
#: the same, against pyNN.neuron (run when NEURON is installed)
NEURON_NETWORKS = {
    "coba_neuron": ("coba.py", 1.0, 1000.0, [1, 2, 3, 4, 5]),
}
#: networks without a stochastic source, compared exactly until they diverge and statistically
#: after: name -> (script, arguments, seeds or None); ``{seed}`` is a trial (initial v jittered)
EXACT_NETWORKS = {
    "recurrent": ("recurrent_net.py", ["--duration", "500"], None),
    "recurrent_trials": ("recurrent_net.py", ["--duration", "1000", "--trial", "{seed}"],
                         [1, 2, 3, 4, 5]),
}
#: multi-compartment scripts against pyNN.neuron (run when NEURON is installed): name ->
#: (script, arguments); exact comparison
MC_CASES = {
    "ball_and_stick": ("ball_and_stick.py", ["--duration", "200"]),
}
FAST_NETWORKS = {
    "coba": ("coba.py", 1.0, 500.0, [1, 2]),
    "cbgtc": ("cbgtc.py", 0.25, 500.0, [1]),
}
SPECTRUM_BAND = (2.0, 200.0)      # Hz, for the log-PSD distance


# --- tolerance table ------------------------------------------------------------------------------

def load_table(path: str = os.path.join(HERE, "tolerances.toml")) -> dict:
    """``{"single.<type>" | "network": (Tolerances, {key: reason})}`` from the TOML table."""
    with open(path, "rb") as f:
        data = tomllib.load(f)
    out = {}

    def split(entry):
        values = {k: v for k, v in entry.items() if not k.endswith("_reason")}
        reasons = {k[:-len("_reason")]: v for k, v in entry.items() if k.endswith("_reason")}
        return values, reasons

    common_v, common_r = split(data["single"].get("common", {}))
    out["single.common"] = (Tolerances(**common_v), common_r)
    for name, entry in data["single"].items():
        if name == "common":
            continue
        values, reasons = split(entry)
        out[f"single.{name}"] = (Tolerances(**{**common_v, **values}), {**common_r, **reasons})
    for name, entry in data.get("multicompartment", {}).items():
        values, reasons = split(entry)
        out[f"multicompartment.{name}"] = (Tolerances(**values), reasons)
    values, reasons = split(data["network"]["common"])
    out["network"] = (Tolerances(**values), reasons)
    for name, entry in data["network"].items():
        if name != "common":
            own_v, own_r = split(entry)
            out[f"network.{name}"] = (Tolerances(**{**values, **own_v}), own_r)
    return out


def available_cell_types() -> list:
    """The cell types of ``CELL_TYPES`` that pynn_cbgtc_jax has (pyNN.nest has them all)."""
    import pynn_cbgtc_jax
    return [c for c in CELL_TYPES if hasattr(pynn_cbgtc_jax, c)]


# --- cases --------------------------------------------------------------------------------------

def single_neuron_case(celltype: str, output: str, duration: float = 1000.0,
                       precision: str = "float64", table: dict | None = None,
                       figures: bool = True, reuse: bool = False):
    """Compare ``scripts/single_neuron.py CELLTYPE`` on both simulators (exact mode)."""
    table = table or load_table()
    tol, _ = table[f"single.{celltype}"]
    return compare_script(os.path.join(SCRIPTS, "single_neuron.py"),
                          [celltype, "--duration", str(duration), "--precision", precision],
                          output=output, tolerances=tol, figures=figures, reuse=reuse)


def _network_tolerances(name, table):
    """``network.<name>`` (or of the network ``name`` is a variant of: ``coba_neuron`` ->
    ``coba``), else the common network tolerances."""
    return table.get(f"network.{name}", table.get(f"network.{name.split('_')[0]}",
                                                   table["network"]))


def network_case(name: str, output: str, seeds, scale: float | None = None,
                 duration: float | None = None, table: dict | None = None,
                 figures: bool = True, reuse: bool = False):
    """Compare a network script over ``seeds`` (statistical mode), against pyNN.nest or, for
    ``NEURON_NETWORKS``, pyNN.neuron."""
    table = table or load_table()
    script, default_scale, default_duration, _ = {**NETWORKS, **NEURON_NETWORKS}[name]
    tol, _ = _network_tolerances(name, table)
    args = ["--simulator", "{sim}", "--seed", "{seed}",
            "--scale", str(scale or default_scale),
            "--duration", str(duration or default_duration)]
    return compare_script(os.path.join(SCRIPTS, script), args, output=output, tolerances=tol,
                          seeds=seeds, figures=figures, reuse=reuse,
                          against="neuron" if name in NEURON_NETWORKS else "nest")


def exact_network_case(name: str, output: str, table: dict | None = None,
                       figures: bool = True, reuse: bool = False):
    """Compare a deterministic network script (``EXACT_NETWORKS``): exact until divergence."""
    table = table or load_table()
    script, args, seeds = EXACT_NETWORKS[name]
    tol, _ = table[f"network.{name.split('_')[0]}"]
    return compare_script(os.path.join(SCRIPTS, script), ["--simulator", "{sim}", *args],
                          output=output, tolerances=tol, seeds=seeds, figures=figures,
                          reuse=reuse)


def mc_case(name: str, output: str, table: dict | None = None, figures: bool = True,
            reuse: bool = False):
    """Compare a multi-compartment script (``MC_CASES``) with pyNN.neuron, exactly."""
    table = table or load_table()
    script, args = MC_CASES[name]
    tol, _ = table.get(f"multicompartment.{name}", table["multicompartment.common"])
    return compare_script(os.path.join(SCRIPTS, script), args, output=output, tolerances=tol,
                          figures=figures, reuse=reuse, against="neuron")


# --- numbers for the report ---------------------------------------------------------------------

def _single_rows(result):
    """Per protocol: spikes, identical-step %, max |dt|, v between spikes, v RMS."""
    rows = []
    for key, agg in result.populations.items():
        sp, v = agg["spikes"], agg["signals"].get("v", {}).get("diff", {})
        td = np.abs(sp["time_diffs"])
        failed = [c for c in result.checks if c.population == key and c.passed is False]
        rows.append({"protocol": key, "n": sp["n"], "matched": sp["matched"],
                     "total": sp["total"], "max_dt": float(td.max()) if td.size else 0.0,
                     "v_between": v.get("max_abs_between", float("nan")),
                     "v_rms": v.get("rms", float("nan")), "failed": failed})
    return rows


def _split_half(values):
    values = np.asarray(values, float)
    if len(values) < 2:
        return float("nan"), float("nan")
    return float(np.mean(values[0::2])), float(np.mean(values[1::2]))


def _log_psd_distance(f, p, q):
    sel = (f >= SPECTRUM_BAND[0]) & (f <= SPECTRUM_BAND[1]) & (p > 0) & (q > 0)
    if not np.any(sel):
        return float("nan")
    return float(np.sqrt(np.mean(np.log10(p[sel] / q[sel]) ** 2)))


def _network_rows(result, duration):
    """Per population: seed statistics of rate, CV, correlation and spectrum, with NEST's
    own split-half (odd vs even seeds) difference as the noise floor, and how many runs kept
    their activity to the end (COBA's self-sustained state can die out)."""
    rows = []
    for key, per_seed in result.per_seed.items():
        sp = [p["spikes"] for p in per_seed if p["spikes"] is not None]
        if not sp:
            continue
        n = len(sp)
        t_stop = per_seed[0]["t_stop"]
        alive = np.array([active_to_end(s, t_stop, duration) for s in sp])
        row = {"population": key, "reference": result.reference, "seeds": n,
               "cells": sp[0]["n_cells"],
               "spikes_min": min(min(s["n"]) for s in sp),
               "sustained": [int(alive[:, 0].sum()), int(alive[:, 1].sum())]}
        for q in ("rate", "cv", "corr"):
            ref = np.array([s[q][0] for s in sp], float)
            test = np.array([s[q][1] for s in sp], float)
            m_ref, m_test = np.nanmean(ref), np.nanmean(test)
            # paired: the same seed gives both simulators the same network and initial state
            se = float(np.nanstd(test - ref, ddof=1) / math.sqrt(n)) if n > 1 else float("nan")
            a, b = _split_half(ref)
            row[q] = {"nest": m_ref, "ours": m_test, "nest_sd": float(np.nanstd(ref)),
                      "ours_sd": float(np.nanstd(test)), "diff": m_test - m_ref,
                      "rel": (m_test - m_ref) / m_ref if m_ref else float("nan"),
                      "se": se, "split_half": b - a,
                      "split_half_rel": (b - a) / a if a else float("nan"),
                      # over the runs whose activity lasted to the end, on each side
                      "sustained": [float(np.nanmean(ref[alive[:, 0]])) if alive[:, 0].any()
                                    else float("nan"),
                                    float(np.nanmean(test[alive[:, 1]])) if alive[:, 1].any()
                                    else float("nan")]}
        f = sp[0]["freq"]
        p_ref = np.mean([s["psd"][0] for s in sp], axis=0)
        p_test = np.mean([s["psd"][1] for s in sp], axis=0)
        split = float("nan")
        if n >= 2:
            split = _log_psd_distance(f, np.mean([s["psd"][0] for s in sp[0::2]], axis=0),
                                      np.mean([s["psd"][0] for s in sp[1::2]], axis=0))
        band = (f >= SPECTRUM_BAND[0]) & (f <= SPECTRUM_BAND[1])
        row["psd"] = {"distance": _log_psd_distance(f, p_ref, p_test), "split_half": split,
                      "peak_nest": float(f[band][np.argmax(p_ref[band])]) if band.any() else None,
                      "peak_ours": float(f[band][np.argmax(p_test[band])]) if band.any() else None}
        row["checks"] = [c for c in result.checks if c.population == key]
        rows.append(row)
    return rows


# --- REPORT.md ------------------------------------------------------------------------------------

def _pct(x):
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:+.1f} %"


def _status(ok):
    return {True: "pass", False: "**MISS**", None: "-"}[ok]


def _versions():
    import jax
    import pyNN
    out = {"python": platform.python_version(), "PyNN": pyNN.__version__, "jax": jax.__version__,
           "numpy": np.__version__}
    try:
        from importlib.metadata import version
        out["NEST"] = version("nest-simulator")
    except Exception:                                  # noqa: BLE001 - informational only
        out["NEST"] = "?"
    try:
        from importlib.metadata import version
        out["NEURON"] = version("neuron")
    except Exception:                                  # noqa: BLE001 - informational only
        pass
    return out


def _findings(path=os.path.join(HERE, "findings.md")):
    """``{id: (title, text)}`` from ``findings.md`` (sections ``## <id>: <title>``)."""
    if not os.path.exists(path):
        return {}
    out, current = {}, None
    with open(path) as f:
        for line in f:
            if line.startswith("## "):
                ident, _, title = line[3:].strip().partition(":")
                current = ident.strip()
                out[current] = [title.strip(), []]
            elif current:
                out[current][1].append(line)
    return {k: (t, "".join(lines).strip()) for k, (t, lines) in out.items()}


def _applies(ident, singles, networks):
    """Which measured cases show the effect a finding explains (the rule per finding id)."""
    hits = []
    for (celltype, precision), (_, rows) in singles.items():
        for r in rows:
            fails = [c for c in r["failed"]]
            if ident == "ssa-rounding" and r["protocol"] == "array" and fails:
                hits.append(f"{celltype} array ({precision})")
            if (ident == "adex-spike-step" and celltype.startswith("EIF") and fails
                    and precision == "float64" and r["protocol"] != "array"):
                hits.append(f"{celltype} {r['protocol']} ({r['matched']}/{r['total']})")
            if (ident == "hh-peak-detection" and celltype == "HH_cond_exp" and fails
                    and precision == "float64" and r["protocol"] != "array"):
                hits.append(f"{celltype} {r['protocol']}")
            if (ident == "izhikevich-float32" and celltype == "Izhikevich"
                    and precision == "float32" and r["matched"] < r["total"]):
                hits.append(f"{celltype} {r['protocol']} ({r['matched']}/{r['total']})")
    for name, (rows, _, _, _) in networks.items():
        for row in rows:
            if ident == f"network-{name}" and any(c.passed is False for c in row["checks"]):
                silent = row["seeds"] - min(row["sustained"])
                hits.append(f"{name} {row['population']}"
                            + (f" ({silent} run(s) silent before the end)" if silent else ""))
    return hits


def _network_summary_lines(name, row, tol):
    """Summary-table rows of one network population: rate and CV against the targets, over
    all runs or (``tol.sustained_only``) over the runs active to the end, with the test of how
    many runs stayed active."""
    r, c = row["rate"], row["cv"]
    checks = {x.quantity.split()[0]: x for x in row["checks"]}
    status = {q: _status(checks[q].passed) if q in checks else _status(None)
              for q in ("rate", "ISI", "runs")}
    pop, n = f"{name} {row['population']}", row["seeds"]
    alive = f"{row['reference']} {row['sustained'][0]}/{n} runs, ours {row['sustained'][1]}/{n}"
    if not tol.sustained_only:
        se_rel = r["se"] / r["nest"] if r["nest"] else float("nan")
        lines = [f"| {pop} (seeds: {n}) | mean rate | within {100 * tol.rate_rel:g} % | "
                 f"{_pct(r['rel'])} ({r['nest']:.2f} vs {r['ours']:.2f} Hz; s.e. "
                 f"{_pct(se_rel)}) | {status['rate']} |",
                 f"| {pop} | mean ISI CV | within {100 * tol.cv_rel:g} % | {_pct(c['rel'])} "
                 f"({c['nest']:.3f} vs {c['ours']:.3f}) | {status['ISI']} |"]
        if min(row["sustained"]) < n:
            rs, cs = r["sustained"], c["sustained"]
            lines.append(f"| {pop}, runs active to the end only | mean rate / ISI CV | "
                         f"(information) | {alive}: {_pct((rs[1] - rs[0]) / rs[0])} "
                         f"({rs[0]:.2f} vs {rs[1]:.2f} Hz) / {_pct((cs[1] - cs[0]) / cs[0])} | - |")
        return lines
    rs, cs = r["sustained"], c["sustained"]
    p_value = checks["runs"].measured if "runs" in checks else float("nan")
    return [f"| {pop} (seeds: {n}) | runs active to the end | Fisher p >= "
            f"{format_value(tol.survival_p)} | {alive}: p = {format_value(p_value, 3)} | "
            f"{status['runs']} |",
            f"| {pop}, runs active to the end | mean rate | within {100 * tol.rate_rel:g} % | "
            f"{_pct((rs[1] - rs[0]) / rs[0])} ({rs[0]:.2f} vs {rs[1]:.2f} Hz) | "
            f"{status['rate']} |",
            f"| {pop}, runs active to the end | mean ISI CV | within {100 * tol.cv_rel:g} % | "
            f"{_pct((cs[1] - cs[0]) / cs[0])} ({cs[0]:.3f} vs {cs[1]:.3f}) | {status['ISI']} |",
            f"| {pop}, all runs | mean rate / ISI CV | (information) | {_pct(r['rel'])} "
            f"({r['nest']:.2f} vs {r['ours']:.2f} Hz) / {_pct(c['rel'])} | - |"]


def _distribution_summary_line(name, row):
    """Targets-table row: the distribution and spectrum checks of one network population."""
    checks = [c for c in row["checks"] if "over cells" in c.quantity
              or c.quantity.startswith("population-rate spectrum")]
    if not checks:
        return []
    failed = [c.quantity.split(" over cells")[0].split(",")[0] for c in checks
              if c.passed is False]
    n_pass = sum(c.passed is True for c in checks)
    status = _status(False if failed else True if n_pass else None)
    return [f"| {name} {row['population']} | distributions over cells (rate, CV, LV, corr.), "
            f"spectrum | KS / effect size / seed-to-seed | {n_pass} of {len(checks)} pass"
            + (f"; differ: {', '.join(failed)}" if failed else "") + f" | {status} |"]


def _exact_network_summary_lines(name, result):
    """Targets-table rows of a deterministic network: the verdict, the divergence time."""
    t_div = [d["t_div"] for d in result.divergence["seeds"]]
    shown = ", ".join("none" if t is None else f"{t:.4g} ms" for t in t_div)
    n_pass = sum(c.passed is True for c in result.checks)
    n_fail = sum(c.passed is False for c in result.checks)
    n_open = sum(c.passed is None for c in result.checks)
    return [f"| {name} ({len(t_div)} run{'s' if len(t_div) > 1 else ''}) | exact until the "
            f"divergence, statistical after | all checks | divergence at {shown}; {n_pass} "
            f"passed, {n_fail} failed, {n_open} reported only | "
            f"{_status(result.passed if n_fail or n_pass else None)} |"]


def _exact_network_lines(exact, figure_dir):
    """The "Deterministic networks" part of REPORT.md."""
    lines = ["## Deterministic networks: exact until they diverge, statistical after", "",
             "No stochastic source: our run uses float64 and NEST's integration scheme, so "
             "both compute the same trajectory until round-off flips one spike (the divergence "
             "time); the part before it is held to the exact targets, the part after it to the "
             "statistical ones (`compare`'s two-part judgement).  `recurrent_trials`: five "
             "trials of the same network whose initial v differ by N(0, 1 mV) draws (the same "
             "in both simulators), 1000 ms each.", ""]
    for name, result in exact.items():
        script, args, seeds = EXACT_NETWORKS[name]
        lines += [f"### {name} (`validation/scripts/{script} {' '.join(args)}`"
                  + (f", trials {', '.join(map(str, seeds))}" if seeds else "") + ")", "",
                  f"Verdict: **{'pass' if result.passed else 'MISS'}**.", "",
                  *checks_table(result.checks), ""]
        lines += divergence_lines(result, f"#### {name}: divergence")
        lines += distribution_lines(result, f"#### {name}: distributions over cells")
        raster = os.path.join(figure_dir or "", f"{name}_raster.png")
        if figure_dir and os.path.exists(raster):
            lines += [f"![{name}](figures/{name}_raster.png)", ""]
    return lines


def write_summary(path, singles, networks, skipped, table, elapsed, fast, figure_dir=None,
                  case_dir=None, reuse=False, exact=None, mc=None):
    """Write the suite's REPORT.md."""
    how = f"python validation/run_all.py{' --fast' if fast else ''}{' --reuse' if reuse else ''}"
    lines = ["# Validation report: pynn_cbgtc_jax against pyNN.nest (and pyNN.neuron)", "",
             f"Generated by `{how}` on "
             f"{datetime.date.today().isoformat()} in {elapsed / 60:.1f} min"
             f"{' (re-analysing earlier runs)' if reuse else ''} "
             f"({os.cpu_count()} CPUs, {platform.machine()}, JAX on CPU).  Versions: "
             + ", ".join(f"{k} {v}" for k, v in _versions().items()) + ".", "",
             "Reference: pyNN.nest with `setup(spike_precision=\"on_grid\")`, dt = 0.1 ms.  "
             "Every case runs an unchanged script from `validation/scripts/` in two processes "
             "(`pynn_cbgtc_jax.compare.compare_script`); tolerances and their reasons are in "
             "`validation/tolerances.toml` (table at the end).", ""]
    # --- targets ---
    lines += ["## Targets", "",
              "| case | quantity | target | measured | result |", "|---|---|---|---|---|"]
    for (celltype, precision), (result, rows) in singles.items():
        if precision != "float64":
            continue
        tol, _ = table[f"single.{celltype}"]
        matched = sum(r["matched"] for r in rows)
        total = sum(r["total"] for r in rows)
        frac = matched / total if total else 1.0
        worst = min(rows, key=lambda r: r["matched"] / r["total"] if r["total"] else 1.0)
        lines.append(f"| {celltype} (4 protocols) | spikes on identical step | "
                     f">= {100 * tol.spike_step_match:g} % | {100 * frac:.1f} % ({matched}/{total}"
                     f"; worst: {worst['protocol']} {worst['matched']}/{worst['total']}) | "
                     f"{_status(frac >= tol.spike_step_match)} |")
        v_lim = tol.signal_max.get("v")
        v_max = max(r["v_between"] for r in rows)
        which = max(rows, key=lambda r: r["v_between"])["protocol"]
        v_exact = max(r["v_between"] for r in rows if r["protocol"] != "array")
        v_ok = all(r["v_between"] <= v_lim for r in rows)
        only_array = not v_ok and v_exact <= v_lim
        lines.append(f"| {celltype} | v between spikes, max | <= {format_value(v_lim)} mV | "
                     f"{format_value(v_max)} mV ({which}); without `array`: "
                     f"{format_value(v_exact)} mV | {_status(v_ok)}"
                     f"{' (only `array`)' if only_array else ''} |")
    for ct in skipped:
        lines.append(f"| {ct} | - | - | not in pynn_cbgtc_jax yet: skipped | - |")
    for name, (rows, _, _, _) in networks.items():
        tol_net, _ = _network_tolerances(name, table)
        for row in rows:
            lines += _network_summary_lines(name, row, tol_net)
            lines += _distribution_summary_line(name, row)
    for name, result in (exact or {}).items():
        lines += _exact_network_summary_lines(name, result)
    for name, result in (mc or {}).items():
        n_pass = sum(c.passed is True for c in result.checks)
        lines.append(f"| {name} (multi-compartment, against {result.reference}) | exact | "
                     f"every spike on the same step, v within the table | {n_pass} of "
                     f"{len(result.checks)} checks pass | {_status(result.passed)} |")
    lines += ["", "`array` is the protocol whose input times are written as a user writes them "
              "(e.g. 71.4 ms); see the findings below.  s.e.: standard error of the seed-averaged "
              "difference (paired by seed).", ""]
    # --- single neuron detail ---
    lines += ["## Single neurons", "",
              "One cell per protocol, 1 s: `dc` (DCSource 100-900 ms), `step` "
              "(StepCurrentSource through sub- and supra-threshold, negative and strong "
              "amplitudes), `array` (SpikeSourceArray bursts, 0.7 ms apart, through exc. and inh. "
              "synapses), `array_exact` (the same, 1 ms apart, every time exactly representable).",
              "",
              "| cell type | precision | protocol | spikes NEST / ours | identical step | "
              "max abs(Δt) (ms) | v max abs diff between spikes (mV) | v RMS diff (mV) |",
              "|---|---|---|---:|---:|---:|---:|---:|"]
    for (celltype, precision), (_, rows) in singles.items():
        for r in rows:
            frac = r["matched"] / r["total"] if r["total"] else 1.0
            lines.append(f"| {celltype} | {precision} | {r['protocol']} | {r['n'][0]} / "
                         f"{r['n'][1]} | {100 * frac:.1f} % | {format_value(r['max_dt'])} | "
                         f"{format_value(r['v_between'])} | {format_value(r['v_rms'])} |")
    lines += ["", "float32 rows (the default precision) are for information: the targets apply "
              "to the float64 rows, NEST's own precision.", ""]
    # --- networks ---
    if networks:
        lines += ["## Networks", "",
                  "Seed-averaged over the seeds listed (each seed: connectivity, initial values "
                  "and the simulator's Poisson generators).  `NEST split-half`: the same "
                  "difference between NEST's odd and even seeds, i.e. the noise floor of the "
                  "measurement.  Correlation: mean Pearson r of 5 ms spike counts over pairs of "
                  "the first 200 firing cells.  Active to the end: a spike in the last 10 % of "
                  "the run.  Spectrum: Welch PSD of the population rate "
                  f"(1 ms bins, 256 ms windows); distance = RMS of log10(PSD ratio) over "
                  f"{SPECTRUM_BAND[0]:g}-{SPECTRUM_BAND[1]:g} Hz (dex).", ""]
        for name, (rows, scale, duration, result) in networks.items():
            script = {**NETWORKS, **NEURON_NETWORKS}[name][0]
            ref = result.reference
            lines += [f"### {name} (`validation/scripts/{script}`, scale {scale:g}, "
                      f"{duration:g} ms, float32, against {ref})", "",
                      f"| population | cells | active to the end (runs) | rate {ref} (Hz) | "
                      f"rate ours (Hz) | diff | {ref} split-half | ISI CV {ref} | ISI CV ours | "
                      f"diff | {ref} split-half | corr. {ref} | corr. ours | PSD distance (dex) "
                      f"| {ref} split-half (dex) | PSD peak {ref} / ours (Hz) |",
                      "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
                      "---:|---|"]
            for row in rows:
                r, c, k, p = row["rate"], row["cv"], row["corr"], row["psd"]
                lines.append(
                    f"| {row['population']} | {row['cells']} | {ref} {row['sustained'][0]}, "
                    f"ours {row['sustained'][1]} of {row['seeds']} | {r['nest']:.2f} ± "
                    f"{r['nest_sd']:.2f} | {r['ours']:.2f} ± {r['ours_sd']:.2f} | "
                    f"{_pct(r['rel'])} | {_pct(r['split_half_rel'])} | {c['nest']:.3f} | "
                    f"{c['ours']:.3f} | {_pct(c['rel'])} | {_pct(c['split_half_rel'])} | "
                    f"{format_value(k['nest'], 3)} | {format_value(k['ours'], 3)} | "
                    f"{format_value(p['distance'], 3)} | {format_value(p['split_half'], 3)} | "
                    f"{format_value(p['peak_nest'], 3)} / {format_value(p['peak_ours'], 3)} |")
            if figure_dir and os.path.exists(os.path.join(figure_dir, f"{name}_summary.png")):
                lines += ["", f"![{name}](figures/{name}_summary.png)"]
            lines.append("")
            lines += distribution_lines(result, f"#### {name}: distributions over cells")
    if exact:
        lines += _exact_network_lines(exact, figure_dir)
    if mc:
        lines += ["## Multi-compartment cells (against pyNN.neuron)", "",
                  "PyNN's `MultiCompartmentNeuron` scripts, unchanged, on pyNN.neuron (NEURON's "
                  "exact hh rates) and here in float64 (issue 16).", ""]
        for name, result in mc.items():
            script, args = MC_CASES[name]
            lines += [f"### {name} (`validation/scripts/{script} {' '.join(args)}`)", "",
                      f"Verdict: **{'pass' if result.passed else 'MISS'}**.", "",
                      *checks_table(result.checks), ""]
    # --- findings ---
    findings = _findings()
    if findings:
        lines += ["## Findings: why a target is missed", "",
                  "Hand-written analysis (`validation/findings.md`); the line under each title "
                  "is computed by this run.", ""]
        for ident, (title, text) in findings.items():
            hits = _applies(ident, singles, networks)
            seen = (f"**Seen in this run:** {', '.join(hits)}." if hits
                    else "**Not seen in this run.**")
            lines += [f"### {title}", "", seen, "", text, ""]
    # --- tolerance table ---
    lines += ["## Tolerance table", "", "| case | quantity | value | reason |", "|---|---|---|---|"]
    common_tol, common_reasons = table.get("single.common", (None, {}))
    for case, (tol, reasons) in table.items():
        for key, reason in reasons.items():
            value = getattr(tol, key)
            if (case.startswith("single.") and case != "single.common"
                    and common_reasons.get(key) == reason
                    and getattr(common_tol, key) == value):
                continue                        # shown once, under single.common
            if isinstance(value, dict):
                value = ", ".join(f"{k} = {format_value(v)}" for k, v in value.items())
            lines.append(f"| {case} | `{key}` | {value} | {reason} |")
    if case_dir:
        lines += ["", f"Per-case reports with figures: `{case_dir}/<case>/report.md` "
                  "(regenerated, not committed)."]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


# --- main ---------------------------------------------------------------------------------------

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fast", action="store_true",
                        help="six LIF/AdEx types in float64 only, fewer seeds and smaller "
                             "networks; the report goes to OUTPUT/REPORT.md")
    parser.add_argument("--output", default=os.path.join(ROOT, "output", "validation"),
                        help="folder for the per-case reports (default output/validation)")
    parser.add_argument("--only", choices=["single", "network"], help="run one part only")
    parser.add_argument("--reuse", action="store_true",
                        help="use the runs already in OUTPUT (same arguments) instead of "
                             "simulating again: regenerates the reports only")
    parser.add_argument("--report", help="where to write the summary (default: "
                                         "validation/REPORT.md, or OUTPUT/REPORT.md with --fast)")
    ns = parser.parse_args(argv)
    t0 = time.perf_counter()
    table = load_table()
    os.makedirs(ns.output, exist_ok=True)
    singles, networks, exact, skipped = {}, {}, {}, []
    if ns.only in (None, "single"):
        present = available_cell_types()
        skipped = [c for c in CELL_TYPES if c not in present]
        precisions = ["float64"] if ns.fast else ["float64", "float32"]
        for precision in precisions:
            for celltype in present:
                out = os.path.join(ns.output, f"single_{celltype}_{precision}")
                t = time.perf_counter()
                result = single_neuron_case(celltype, out, precision=precision, table=table,
                                            reuse=ns.reuse)
                rows = _single_rows(result)
                singles[(celltype, precision)] = (result, rows)
                print(f"single {celltype:26s} {precision}: "
                      f"{'pass' if result.passed else 'MISS'}  "
                      + "  ".join(f"{r['protocol']} {r['matched']}/{r['total']}" for r in rows)
                      + f"  ({time.perf_counter() - t:.0f} s)", flush=True)
    report = ns.report or (os.path.join(ns.output, "REPORT.md") if ns.fast
                           else os.path.join(HERE, "REPORT.md"))
    figure_dir = os.path.join(os.path.dirname(os.path.abspath(report)), "figures")
    if ns.only in (None, "network"):
        chosen = dict(FAST_NETWORKS if ns.fast else NETWORKS)
        if not ns.fast and importlib.util.find_spec("neuron") is not None:
            chosen.update(NEURON_NETWORKS)
        for name, (script, scale, duration, seeds) in chosen.items():
            out = os.path.join(ns.output, f"network_{name}")
            t = time.perf_counter()
            result = network_case(name, out, seeds, scale=scale, duration=duration,
                                  table=table, reuse=ns.reuse)
            networks[name] = (_network_rows(result, duration), scale, duration, result)
            print(f"network {name}: {'pass' if result.passed else 'MISS'} "
                  f"({time.perf_counter() - t:.0f} s)", flush=True)
            summary_png = os.path.join(out, "figures", "summary.png")
            if os.path.exists(summary_png):
                os.makedirs(figure_dir, exist_ok=True)
                shutil.copy(summary_png, os.path.join(figure_dir, f"{name}_summary.png"))
        for name in ([] if ns.fast else EXACT_NETWORKS):
            out = os.path.join(ns.output, f"network_{name}")
            t = time.perf_counter()
            exact[name] = exact_network_case(name, out, table=table, reuse=ns.reuse)
            print(f"network {name}: {'pass' if exact[name].passed else 'MISS'} "
                  f"({time.perf_counter() - t:.0f} s)", flush=True)
            pop = exact[name].divergence["seeds"][0]["event"]
            raster = (os.path.join(out, "figures", f"{pop['population']}_raster.png")
                      if pop else None)
            if raster and os.path.exists(raster):
                os.makedirs(figure_dir, exist_ok=True)
                shutil.copy(raster, os.path.join(figure_dir, f"{name}_raster.png"))
    mc = {}
    if ns.only in (None, "network") and importlib.util.find_spec("neuron") is not None:
        for name in MC_CASES:
            t = time.perf_counter()
            mc[name] = mc_case(name, os.path.join(ns.output, f"mc_{name}"), table=table,
                               reuse=ns.reuse)
            print(f"multi-compartment {name}: {'pass' if mc[name].passed else 'MISS'} "
                  f"({time.perf_counter() - t:.0f} s)", flush=True)
    elapsed = time.perf_counter() - t0
    write_summary(report, singles, networks, skipped, table, elapsed, ns.fast, figure_dir,
                  os.path.relpath(ns.output, ROOT), reuse=ns.reuse, exact=exact, mc=mc)
    print(f"wrote {report} ({elapsed / 60:.1f} min)")
    ok = all(r.passed for r, _ in singles.values()) and all(
        all(c.passed is not False for row in rows for c in row["checks"])
        for rows, _, _, _ in networks.values()) and all(r.passed for r in exact.values()) \
        and all(r.passed for r in mc.values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
