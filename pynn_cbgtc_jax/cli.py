"""The ``pynn-cbgtc-jax`` command: run PyNN scripts unchanged on this backend, compare with NEST
or NEURON.

::

    pynn-cbgtc-jax run [--as nest] [--progress] SCRIPT [ARGS...]
    pynn-cbgtc-jax compare --against nest|neuron --output DIR [options] SCRIPT [ARGS...]

``run`` makes the backend importable as ``pyNN.cbgtc_jax`` (so ``get_simulator`` and
``--simulator cbgtc_jax`` work) and, with ``--as nest`` (or neuron, brian2), as ``pyNN.nest``,
then runs the script as ``__main__`` with ``sys.argv = [SCRIPT, *ARGS]``.  ``compare`` runs
the script once on pyNN.nest (or pyNN.neuron) and once here (separate processes) and writes
``DIR/report.md``; its exit status is 0 within tolerance and 1 outside it (2 for a usage
error or a script that fails).  ``python -m pynn_cbgtc_jax.cli`` is the same command.
"""
from __future__ import annotations

import argparse
import sys

__all__ = ["main", "build_parser"]


def _add_run(sub):
    p = sub.add_parser(
        "run", help="run a PyNN script on pynn_cbgtc_jax without editing it",
        description="Run a PyNN script on pynn_cbgtc_jax.  pyNN.cbgtc_jax is always available "
                    "(for get_simulator / --simulator cbgtc_jax); --as nest also stands in for "
                    "pyNN.nest, so `import pyNN.nest as sim` runs here.")
    p.add_argument("--as", dest="as_", action="append", default=[],
                   choices=["nest", "neuron", "brian2"],
                   help="also stand in for pyNN.<NAME> (repeatable)")
    p.add_argument("--progress", action="store_true",
                   help="show a progress line on stderr during each run() call")
    p.add_argument("script")
    p.add_argument("args", nargs=argparse.REMAINDER, help="the script's own arguments")


def _signal_tol(text):
    name, _, value = text.partition("=")
    try:
        return name.strip(), float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--signal-tol {text!r}: expected NAME=VALUE, e.g. "
                                         f"v=0.1") from None


def _seeds(text):
    try:
        return [int(s) for s in text.replace(",", " ").split()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--seeds {text!r}: expected integers, e.g. "
                                         f"1,2,3") from None


def _add_compare(sub):
    p = sub.add_parser(
        "compare", help="run a script on pyNN.nest (or pyNN.neuron) and on pynn_cbgtc_jax "
                        "and compare",
        description="Run an unchanged PyNN script on pyNN.nest (or pyNN.neuron) and on "
                    "pynn_cbgtc_jax, compare every recorded population (matched by label) and "
                    "write DIR/report.md.  In the script's arguments {sim} becomes 'nest' (or "
                    "'neuron') / 'cbgtc_jax' and {seed} each of --seeds; in our run pyNN.nest "
                    "is pynn_cbgtc_jax, in a NEURON run pyNN.nest is pyNN.neuron.  Exit status: "
                    "0 within tolerance, 1 outside it, 2 if a run fails.")
    p.add_argument("--against", default="nest", choices=["nest", "neuron"],
                   help="reference simulator (default nest; neuron needs the 'neuron' "
                        "package and compiles PyNN's NMODL mechanisms on first use)")
    p.add_argument("--output", "-o", required=True, metavar="DIR",
                   help="folder for report.md, summary.json, figures/ and runs/")
    p.add_argument("--tolerances", metavar="FILE", help="TOML or JSON tolerance file")
    p.add_argument("--mode", choices=["auto", "exact", "statistical"],
                   help="exact: spike for spike; statistical: rates/CV (default auto: "
                        "statistical when the script has Poisson or noise sources)")
    p.add_argument("--spike-match", type=float, metavar="FRACTION",
                   help="exact: smallest fraction of spikes on an identical step (default 0.99)")
    p.add_argument("--signal-tol", type=_signal_tol, action="append", metavar="NAME=VALUE",
                   help="exact: largest |difference| between spikes of a signal, in its "
                        "units (default v=0.1); repeatable")
    p.add_argument("--rate-tol", type=float, metavar="REL",
                   help="statistical: relative rate tolerance (default 0.03)")
    p.add_argument("--cv-tol", type=float, metavar="REL",
                   help="statistical: relative ISI CV tolerance (default 0.05)")
    p.add_argument("--corr-tol", type=float, metavar="ABS",
                   help="statistical: absolute tolerance of the mean pairwise correlation "
                        "(default: reported only)")
    p.add_argument("--seeds", type=_seeds, metavar="S1,S2,...",
                   help="run once per seed ({seed} in ARGS); statistics are seed-averaged")
    p.add_argument("--sim-names", metavar="REF_NAME,OUR_NAME",
                   help="what {sim} becomes in the reference run and in ours "
                        "(default: the --against name, cbgtc_jax)")
    p.add_argument("--precision", choices=["float32", "float64"],
                   help="our run's default setup(precision=...) (the script's own wins)")
    p.add_argument("--nest-spike-precision", default="on_grid",
                   choices=["on_grid", "off_grid", "script"],
                   help="the NEST run's default setup(spike_precision=...) (default on_grid, "
                        "as our engine; 'script': pyNN.nest's own default); not used against "
                        "NEURON")
    p.add_argument("--timeout", type=float, metavar="S", help="per run, in seconds")
    p.add_argument("--no-figures", action="store_true", help="tables only")
    p.add_argument("--reuse", action="store_true",
                   help="load the runs already in OUTPUT/runs made with the same script, "
                        "arguments and options instead of running them again (regenerates "
                        "the report; a changed script or backend is not detected)")
    p.add_argument("script")
    p.add_argument("args", nargs=argparse.REMAINDER, help="the script's own arguments")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pynn-cbgtc-jax",
        description="Run PyNN scripts unchanged on pynn_cbgtc_jax, and compare them with NEST "
                    "or NEURON.")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_run(sub)
    _add_compare(sub)
    return parser


def _run(ns) -> int:
    from .compare.launch import run_script
    try:
        run_script(ns.script, ns.args, as_=ns.as_, progress=ns.progress)
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return 0


def _compare(ns) -> int:
    from .compare import RunFailed, compare_script
    from .compare.report import checks_table, describe_event

    names = [s.strip() for s in ns.sim_names.split(",")] if ns.sim_names else None
    if names is not None and (len(names) != 2 or not all(names)):
        print(f"pynn-cbgtc-jax compare: --sim-names {ns.sim_names!r}: give two names, e.g. "
              f"nest,cbgtc_jax", file=sys.stderr)
        return 2
    signal_max = dict(ns.signal_tol) if ns.signal_tol else None
    from .compare.tolerances import load_tolerances
    try:
        tol = load_tolerances(ns.tolerances, spike_step_match=ns.spike_match,
                              signal_max=signal_max, rate_rel=ns.rate_tol, cv_rel=ns.cv_tol,
                              corr_abs=ns.corr_tol)
        result = compare_script(
            ns.script, ns.args, output=ns.output, against=ns.against, tolerances=tol,
            mode=ns.mode, seeds=ns.seeds, precision=ns.precision,
            nest_spike_precision=(None if ns.nest_spike_precision == "script"
                                  else ns.nest_spike_precision),
            sim_names=names, timeout=ns.timeout, figures=not ns.no_figures, reuse=ns.reuse)
    except (RunFailed, ValueError, FileNotFoundError, OSError, ImportError) as exc:
        print(f"pynn-cbgtc-jax compare: {exc}", file=sys.stderr)
        return 2
    failed = result.failed_checks
    one_side = (f", {len(result.missing)} population(s) on one side only"
                if result.missing else "")
    mode = result.mode
    if result.split:
        mode = f"exact until {result.t_div:.4g} ms, statistical after"
    print(f"{'PASS' if result.passed else 'FAIL'} ({mode}): "
          f"{sum(c.passed is True for c in result.checks)} checks passed, {len(failed)} failed"
          f"{one_side}; report: {result.output}/report.md")
    if result.t_div is not None:
        print(f"divergence at {result.t_div:.4g} ms: "
              f"{describe_event(result.divergence['seeds'][0]['event'], result.reference)}")
    if failed:
        print("\n".join(checks_table(failed)))
    if not any(c.passed is not None for c in result.checks):
        print("nothing was checked: no population recorded in both runs had enough spikes or "
              "a signal with a tolerance (see the report)")
    return 0 if result.passed else 1


def main(argv=None) -> int:
    """Entry point of ``pynn-cbgtc-jax``; returns the exit status."""
    ns = build_parser().parse_args(argv)
    if ns.command == "run":
        return _run(ns)
    return _compare(ns)


if __name__ == "__main__":
    sys.exit(main())
