"""``report.md``, ``summary.json`` and PNG figures of a :class:`~.core.Comparison`."""
from __future__ import annotations

import json
import math
import os
import re

import numpy as np

__all__ = ["write_report", "format_value", "checks_table", "divergence_lines", "describe_event",
           "distribution_lines"]

_OURS = "pynn_cbgtc_jax"     # the reference's name is the Comparison's ``reference``
_C_REF, _C_OURS = "black", "tab:red"


def format_value(x, digits: int = 4) -> str:
    """Compact number for a table (``-`` for None / NaN)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    x = float(x)
    if x == 0:
        return "0"
    if abs(x) >= 1e4 or abs(x) < 1e-3:
        return f"{x:.{max(digits - 2, 1)}e}"
    return f"{x:.{digits}g}"


def _verdict(passed):
    return {True: "pass", False: "**FAIL**", None: "report only"}[passed]


def checks_table(checks) -> list:
    """Markdown lines of a checks table."""
    lines = ["| population | quantity | measured | limit | result | detail |",
             "|---|---|---:|---:|---|---|"]
    for c in checks:
        limit = "-" if c.limit is None else f"{c.relation} {format_value(c.limit)}"
        lines.append(f"| {c.population} | {c.quantity} | {format_value(c.measured)} | {limit} "
                     f"| {_verdict(c.passed)} | {c.detail} |")
    return lines


def describe_event(e: dict | None, reference: str = "NEST") -> str:
    """One line for a divergence event of ``summary.json`` (``-`` for none); ``reference``
    names the reference simulator."""
    if not e:
        return "-"
    if e["kind"].startswith("spike"):
        return (f"{e['population']}[{e['cell']}] at {e['t']:.4g} ms: {e['kind']} ({reference}'s "
                f"spike {format_value(e['ref'])} ms, ours {format_value(e['test'])} ms)")
    return (f"{e['population']}[{e['cell']}] at {e['t']:.4g} ms: {e['kind']} ({reference} "
            f"{format_value(e['ref'])}, ours {format_value(e['test'])})")


def divergence_lines(result, heading: str = "## Divergence") -> list:
    """The "Divergence" section of report.md (exact mode only)."""
    div, ref = result.divergence, result.reference
    if not div:
        return []
    lines = [heading, "",
             f"* judged: **{div['judged']}**" + (f" ({div['why']})" if div.get("why") else "")]
    for seed, d in zip(result.seeds, div["seeds"]):
        tag = "" if seed is None else f" (seed {seed})"
        if d["t_div"] is None:
            lines.append(f"* divergence time{tag}: none, every spike is on the same step in "
                         f"both runs")
        else:
            lines.append(f"* divergence time{tag}: **{d['t_div']:.4g} ms**, started by "
                         f"{describe_event(d['event'], ref)}")
        lines.append(f"* first signal difference above tolerance{tag}: "
                     f"{describe_event(d['first_signal_event'], ref)}")
    lines += ["", "| population | first differing spike | first signal difference |",
              "|---|---|---|"]
    for key, p in div["populations"].items():
        sig = min((dict(e, population=key) for e in p["signals"].values() if e),
                  default=None, key=lambda e: e["t"])
        spike = dict(p["spike"], population=key) if p["spike"] else None
        lines.append(f"| {key} | {describe_event(spike, ref)} | {describe_event(sig, ref)} |")
    if result.split:
        lines += ["", f"| population | spikes {ref} after | spikes ours after | rate {ref} (Hz) "
                  f"| rate ours (Hz) | ISI CV {ref} | ISI CV ours |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
        for key, agg in result.populations.items():
            a = agg.get("after")
            if a is None:
                continue
            lines.append(f"| {key} | {a['n'][0]} | {a['n'][1]} | {format_value(a['rate'][0])} "
                         f"| {format_value(a['rate'][1])} | {format_value(a['cv'][0], 3)} "
                         f"| {format_value(a['cv'][1], 3)} |")
    lines += ["", div["note"], ""]
    return lines


def _judged_distributions(result):
    """``{key: (distributions, window)}`` of the part judged statistically: the whole run in
    statistical mode, the part after the divergence time when split."""
    out = {}
    for key, agg in result.populations.items():
        if result.split and agg.get("after"):
            out[key] = (agg["after"]["distributions"], "after the divergence")
        elif result.mode == "statistical" and agg["spikes"] is not None:
            out[key] = (agg["spikes"]["distributions"], "whole run")
    return out


def _verdict_of(result, key, prefix):
    check = next((c for c in result.checks if c.population == key
                  and c.quantity.startswith(prefix)), None)
    return "-" if check is None else _verdict(check.passed)


def distribution_lines(result, heading: str = "## Distributions over cells") -> list:
    """The "Distributions over cells" section of report.md (statistical / split runs)."""
    from .core import DISTRIBUTIONS_NOTE
    from .statistics import MEASURES
    judged = _judged_distributions(result)
    if not judged:
        return []
    lines = [heading, "",
             f"| population | window | measure | n {result.reference} | n ours "
             f"| mean {result.reference} | mean ours | KS D "
             "| KS p | Cohen's d | cross / seed-to-seed D | result |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|"]
    for key, (dist, window) in judged.items():
        for q, label in MEASURES.items():
            t = dist["measures"][q]["test"]
            between, within = dist["measures"][q]["yardstick"]
            yard = ("-" if math.isnan(between) else
                    f"{format_value(between, 3)} / {format_value(within, 3)}")
            lines.append(f"| {key} | {window} | {label} | {t['n'][0]} | {t['n'][1]} "
                         f"| {format_value(t['mean'][0], 3)} | {format_value(t['mean'][1], 3)} "
                         f"| {format_value(t['ks_d'], 3)} | {format_value(t['ks_p'], 2)} "
                         f"| {format_value(t['cohen_d'], 2)} | {yard} "
                         f"| {_verdict_of(result, key, label + ' over cells')} |")
        psd = dist["psd"]
        between, within = psd["yardstick"]
        yard = ("-" if math.isnan(between) else
                f"{format_value(between, 3)} / {format_value(within, 3)}")
        lines.append(f"| {key} | {window} | population-rate log-PSD distance | | | | "
                     f"| {format_value(psd['distance'], 3)} | | | {yard} "
                     f"| {_verdict_of(result, key, 'population-rate spectrum')} |")
    lines += ["", DISTRIBUTIONS_NOTE, ""]
    return lines


def _distribution_figure(key, dist, window, path, plt, ref):
    """Empirical CDFs of the four measures over cells, the reference's (``ref``) and ours."""
    from .statistics import MEASURES
    fig, axes = plt.subplots(1, len(MEASURES), figsize=(12, 2.8), dpi=80)
    for ax, (q, label) in zip(axes, MEASURES.items()):
        for k, (colour, name, ls) in enumerate(((_C_REF, ref, "-"), (_C_OURS, _OURS, "--"))):
            x = np.sort(dist["samples"][q][k])
            if x.size:
                ax.step(x, np.arange(1, x.size + 1) / x.size, where="post", color=colour,
                        ls=ls, label=f"{name} (n {x.size})")
        t = dist["measures"][q]["test"]
        ax.set_title(f"{label}\nKS D {format_value(t['ks_d'], 2)}, d "
                     f"{format_value(t['cohen_d'], 2)}", fontsize=9)
        ax.set_ylabel("fraction of cells" if q != "corr" else "fraction of pairs")
        ax.legend(fontsize=7, loc="lower right")
    fig.suptitle(f"{key}: distributions over cells ({window})", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _mark_divergence(ax, t_div):
    if t_div is not None:
        ax.axvline(t_div, color="tab:orange", lw=1.2, ls=":", label=f"divergence {t_div:.4g} ms")


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def _figures(result, fig_dir):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(fig_dir, exist_ok=True)
    made, ref = {}, result.reference
    for key, agg in result.populations.items():
        files = []
        sp = agg["spikes"]
        if sp is not None and (sp["n"][0] or sp["n"][1]):
            fig, ax = plt.subplots(figsize=(8, 0.6 + 0.25 * min(max(len(sp["raster"][0]), 1), 40)
                                   + 1.2), dpi=80)
            for k, (trains, colour, off, label) in enumerate(
                    ((sp["raster"][0], _C_REF, 0.0, ref),
                     (sp["raster"][1], _C_OURS, 0.4, _OURS))):
                for i, t in enumerate(trains):
                    ax.plot(t, np.full(len(t), i + off), "|", color=colour, ms=6,
                            label=label if i == 0 else None)
            _mark_divergence(ax, result.t_div)
            ax.set_xlabel("time (ms)")
            ax.set_ylabel("cell")
            ax.set_title(f"{key}: spikes (first {len(sp['raster'][0])} cells; "
                         f"{ref} below, ours above)")
            ax.legend(loc="upper right", fontsize=8)
            fig.tight_layout()
            name = f"{_safe(key)}_raster.png"
            fig.savefig(os.path.join(fig_dir, name))
            plt.close(fig)
            files.append(name)
            td = sp["time_diffs"]
            if td.size and np.any(td != 0):
                fig, ax = plt.subplots(figsize=(5, 3), dpi=80)
                ax.hist(td, bins=41, color="tab:blue")
                ax.set_xlabel(f"t_ours - t_{ref} (ms), nearest spike of the same cell")
                ax.set_ylabel("spikes")
                ax.set_title(f"{key}: spike-time differences")
                fig.tight_layout()
                name = f"{_safe(key)}_spike_time_diff.png"
                fig.savefig(os.path.join(fig_dir, name))
                plt.close(fig)
                files.append(name)
            spectrum = (agg["after"] if result.split and agg.get("after") else
                        sp if result.mode == "statistical" else None)
            if spectrum is not None and len(spectrum["freq"]) > 1:
                fig, ax = plt.subplots(figsize=(5, 3), dpi=80)
                f = spectrum["freq"]
                sel = (f > 0) & (f <= 200)
                ax.semilogy(f[sel], spectrum["psd"][0][sel], color=_C_REF, label=ref)
                ax.semilogy(f[sel], spectrum["psd"][1][sel], color=_C_OURS, ls="--", label=_OURS)
                ax.set_xlabel("frequency (Hz)")
                ax.set_ylabel("PSD (Hz²/Hz)")
                ax.set_title(f"{key}: population-rate spectrum"
                             + (" after divergence" if spectrum is not sp else ""))
                ax.legend(fontsize=8)
                fig.tight_layout()
                name = f"{_safe(key)}_spectrum.png"
                fig.savefig(os.path.join(fig_dir, name))
                plt.close(fig)
                files.append(name)
        for sig_name, sig in agg["signals"].items():
            times, a, b = sig["trace"]
            if a is None:
                continue
            fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(8, 4.5), dpi=80, sharex=True,
                                           gridspec_kw={"height_ratios": [2, 1]})
            ax1.plot(times, a, color=_C_REF, lw=1, label=ref)
            ax1.plot(times, b, color=_C_OURS, lw=1, ls="--", label=_OURS)
            ax1.set_ylabel(f"{sig_name} ({sig['units']})")
            ax1.set_title(f"{key}: {sig_name} of the first recorded cell")
            ax1.legend(fontsize=8, loc="upper right")
            _mark_divergence(ax1, result.t_div)
            _mark_divergence(ax2, result.t_div)
            ax2.plot(times, b - a, color="tab:blue", lw=0.8)
            ax2.set_ylabel(f"ours - {ref}")
            ax2.set_xlabel("time (ms)")
            fig.tight_layout()
            name = f"{_safe(key)}_{_safe(sig_name)}.png"
            fig.savefig(os.path.join(fig_dir, name))
            plt.close(fig)
            files.append(name)
        judged = _judged_distributions(result).get(key)
        if judged is not None:
            name = f"{_safe(key)}_distributions.png"
            _distribution_figure(key, *judged, os.path.join(fig_dir, name), plt, ref)
            files.append(name)
        made[key] = files
    if result.mode == "statistical":
        keys = [k for k, a in result.populations.items() if a["spikes"] is not None]
        if keys:
            fig, axes = plt.subplots(1, 2, figsize=(10, 3.5), dpi=80)
            x = np.arange(len(keys))
            for ax, q, label in ((axes[0], "rate", "mean rate (Hz)"),
                                 (axes[1], "cv", "mean ISI CV")):
                for k, (colour, name) in enumerate(((_C_REF, ref), (_C_OURS, _OURS))):
                    vals = [result.populations[p]["spikes"][q][k] for p in keys]
                    err = ([result.populations[p]["spikes"]["rate_sd"][k] for p in keys]
                           if q == "rate" else None)
                    ax.bar(x + (k - 0.5) * 0.4, vals, 0.4, yerr=err, color=colour,
                           alpha=0.8, label=name)
                ax.set_xticks(x, keys, rotation=45, ha="right")
                ax.set_ylabel(label)
            axes[0].legend(fontsize=8)
            fig.suptitle(f"seed-averaged over {len(result.seeds)} seed(s) (error bars: s.d.)")
            fig.tight_layout()
            fig.savefig(os.path.join(fig_dir, "summary.png"))
            plt.close(fig)
            made["_summary"] = ["summary.png"]
    return made


def write_report(result, output: str, figures: bool = True) -> str:
    """Write ``report.md``, ``summary.json`` and ``figures/*.png`` into ``output``; returns
    the path of ``report.md``."""
    os.makedirs(output, exist_ok=True)
    with open(os.path.join(output, "summary.json"), "w") as f:
        json.dump(result.summary(), f, indent=1, default=_json_default)
    made = _figures(result, os.path.join(output, "figures")) if figures else {}
    cmd = " ".join([os.path.basename(result.script), *result.args])
    verdict = "PASS" if result.passed else "FAIL"
    lines = [f"# `{cmd}`: {verdict}", ""]
    first = result.runs[0] if result.runs else {}
    nest_meta, jax_meta = first.get("nest", {}), first.get("jax", {})
    ref = result.reference
    stochastic = sorted({t for r in result.runs for m in (r["nest"], r["jax"])
                         for t in m.get("stochastic", [])})
    why = (f"stochastic sources in the script: {', '.join(stochastic)}" if stochastic
           else "no stochastic source in the script")
    lines += [
        f"* reference: {nest_meta.get('module', 'pyNN.nest')} ({ref}; "
        f"`{json.dumps(nest_meta.get('setup_defaults', {}))}` as "
        f"setup() defaults) &nbsp; test: pynn_cbgtc_jax "
        f"(`{json.dumps(jax_meta.get('setup_defaults', {}))}`)",
        f"* mode: **{result.mode}** (tolerances mode `{result.tolerances.mode}`; {why})",
        f"* seeds: {', '.join(str(s) for s in result.seeds) if result.seeds != [None] else '-'}",
        "* wall time per run (s, whole process): " + ", ".join(
            f"{r['seed'] if r['seed'] is not None else 'run'}: {ref} "
            f"{r['nest']['process_wall_s']:.1f} / ours {r['jax']['process_wall_s']:.1f}"
            for r in result.runs),
        "",
        "## Checks", "", *checks_table(result.checks), ""]
    lines += divergence_lines(result)
    lines += distribution_lines(result)
    lines += ["## Populations", "",
              f"| population | cells | spikes {ref} | spikes ours | rate {ref} (Hz) | rate ours "
              f"(Hz) | ISI CV {ref} | ISI CV ours | corr. {ref} | corr. ours | identical step "
              "| max abs(Δt) (ms) |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for key, agg in result.populations.items():
        sp = agg["spikes"]
        if sp is None:
            lines.append(f"| {key} | {agg['cells']} | spikes not recorded |||||||||| ")
            continue
        frac = 1.0 if sp["total"] == 0 else sp["matched"] / sp["total"]
        td = np.abs(sp["time_diffs"])
        lines.append(
            f"| {key} | {sp['n_cells']} | {sp['n'][0]} | {sp['n'][1]} "
            f"| {format_value(sp['rate'][0])} | {format_value(sp['rate'][1])} "
            f"| {format_value(sp['cv'][0], 3)} | {format_value(sp['cv'][1], 3)} "
            f"| {format_value(sp['corr'][0], 3)} | {format_value(sp['corr'][1], 3)} "
            f"| {100 * frac:.2f} % | {format_value(float(td.max()) if td.size else 0.0)} |")
    lines += ["", "Rates, CV and correlation are seed-averaged; spike counts and identical-step "
              "fractions are summed over seeds.  ISI CV: mean over cells with >= 2 intervals; "
              "correlation: mean Pearson r of 5 ms spike counts over pairs of the first 200 "
              "firing cells; identical step: spikes on the same `rint(t/dt)` step in the same "
              "cell / the larger of the two counts.", ""]
    sig_rows = [(k, n, s) for k, a in result.populations.items() for n, s in a["signals"].items()]
    if sig_rows:
        lines += ["## Signals", "",
                  "| population | signal | cells | max abs diff | RMS diff | max abs diff "
                  "between spikes | units |", "|---|---|---:|---:|---:|---:|---|"]
        for key, name, s in sig_rows:
            d = s["diff"]
            lines.append(f"| {key} | {name} | {s['n_cells']} | {format_value(d['max_abs'])} "
                         f"| {format_value(d['rms'])} | {format_value(d['max_abs_between'])} "
                         f"| {s['units']} |")
        lines += ["", f"Between spikes: samples from {result.tolerances.mask_before_ms} ms "
                  f"before to {result.tolerances.mask_after_ms} ms after a spike of either "
                  f"simulator are left out.", ""]
    if result.missing:
        lines += ["## Populations recorded on one side only", ""]
        lines += [f"* {k}: {v}" for k, v in result.missing.items()] + [""]
    if made:
        lines += ["## Figures", ""]
        for key, files in made.items():
            for name in files:
                lines.append(f"![{key}](figures/{name})")
            lines.append("")
    lines += ["## Tolerances", "", "```json",
              json.dumps(result.tolerances.as_dict(), indent=1), "```", ""]
    path = os.path.join(output, "report.md")
    with open(path, "w") as f:
        f.write("\n".join(lines))
    return path


def _json_default(x):
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, (np.floating, np.integer)):
        return x.item()
    raise TypeError(f"not JSON-serialisable: {type(x)}")
