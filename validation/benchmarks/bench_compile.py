"""First-run compile time of pynn_cbgtc_jax networks, compilation cache off.

Each case runs in a fresh process with ``PYNN_CBGTC_JAX_CACHE=0``, so its first ``run()``
pays the whole compilation (tracing, lowering to StableHLO, XLA compilation) plus the first
steps.  The cases:

* ``cbgtc:S`` / ``coba:S``: the shared benchmark script (``--bench-dir``) at scale ``S`` with
  ``--warmup D --duration D``: the warm-up is the first run (compile + D ms of steps), the
  timed run of the same length needs no compilation, so their difference is the one-off cost;
* ``features``: the every-feature network (``tests/every_feature_network.py``, the one
  ``tests/test_gpu_lowering.py`` lowers for CUDA: every kernel family, spike source, synapse
  rule and electrode, 20 cells a population), first ``run(1.0)`` and second ``run(1.0)``.

JAX's own compile events (``jax.monitoring``) split the first run into tracing + lowering
(jaxpr trace, jaxpr -> MLIR) and XLA's backend compile, summed over that ``run()`` call.
``--repeat N`` runs each case N times (each in a fresh process) and keeps the fastest first run,
the least disturbed by other load.
``--python`` runs the cases with another interpreter (e.g. a venv with another jax); the
repository is put on its ``PYTHONPATH``.  Prints a Markdown table; ``--output FILE`` appends it.

    python validation/benchmarks/bench_compile.py --cases cbgtc:0.25,features
    python validation/benchmarks/bench_compile.py --python /path/to/venv/bin/python
"""
import argparse
import json
import os
import platform
import runpy
import subprocess
import sys
import time

__all__ = ["main"]

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_CASES = "cbgtc:0.25,cbgtc:1,cbgtc:4,coba:1,features"
_RESULT_TAG = "BENCH_COMPILE "

# jax.monitoring duration events -> column
_EVENTS = {
    "/jax/core/compile/jaxpr_trace_duration": "trace_s",
    "/jax/core/compile/jaxpr_to_mlir_module_duration": "lower_s",
    "/jax/core/compile/backend_compile_duration": "xla_s",
}


# --- child process ----------------------------------------------------------------------------

def _listen():
    """Time the first ``pynn_cbgtc_jax.run()``: returns a dict that, after it, holds JAX's
    compile-phase durations (seconds) summed over that call only."""
    import jax
    import pynn_cbgtc_jax
    totals = {column: 0.0 for column in _EVENTS.values()}
    first = {}

    def listener(event, duration, *args, **kwargs):
        column = _EVENTS.get(event)
        if column is not None:
            totals[column] += duration
    jax.monitoring.register_event_duration_secs_listener(listener)
    run = pynn_cbgtc_jax.run

    def first_run(*args, **kwargs):
        if first:
            return run(*args, **kwargs)
        before = dict(totals)
        try:
            return run(*args, **kwargs)
        finally:
            first.update({k: totals[k] - before[k] for k in totals})
    pynn_cbgtc_jax.run = first_run
    return first


def _run_features(totals):
    import pynn_cbgtc_jax as sim
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    from every_feature_network import build              # the network of test_gpu_lowering
    cells, projections = build(sim)
    t0 = time.perf_counter()
    sim.run(1.0)
    t1 = time.perf_counter()
    sim.run(1.0)
    t2 = time.perf_counter()
    result = {"n_neurons": sum(p.size for p in cells),
              "n_synapses": sum(p.size() for p in projections),
              "first_s": t1 - t0, "second_s": t2 - t1, "run_ms": 1.0, **totals}
    sim.end()
    return result


def _run_script(totals, bench_dir, name, scale, duration):
    script = os.path.join(bench_dir, f"{name}.py")
    sys.argv = [script, "--simulator", "pynn_cbgtc_jax", "--scale", str(scale),
                "--duration", str(duration), "--warmup", str(duration)]
    sys.path.insert(0, bench_dir)                      # benchutil
    import benchutil
    captured = {}
    report = benchutil.report

    def keep(*args, **kwargs):
        captured.update(report(*args, **kwargs))
        return captured
    benchutil.report = keep
    runpy.run_path(script, run_name="__main__")
    return {"n_neurons": captured["n_neurons"], "n_synapses": captured["n_synapses"],
            "first_s": captured["warmup_s"], "second_s": captured["run_s"],
            "run_ms": duration, "build_s": captured["build_s"], **totals}


def _child(case, bench_dir, duration):
    totals = _listen()
    import jax
    if case == "features":
        result = _run_features(totals)
    else:
        name, scale = case.split(":")
        result = _run_script(totals, bench_dir, name, float(scale), duration)
    result.update(case=case, python=platform.python_version(), jax=jax.__version__,
                  loadavg=round(os.getloadavg()[0], 2))
    print(_RESULT_TAG + json.dumps(result), flush=True)


# --- parent ------------------------------------------------------------------------------------

def _run_case(python, case, bench_dir, duration, timeout):
    env = dict(os.environ, PYNN_CBGTC_JAX_CACHE="0")
    env.pop("JAX_COMPILATION_CACHE_DIR", None)          # would switch the cache back on
    env["PYTHONPATH"] = os.pathsep.join(p for p in (ROOT, env.get("PYTHONPATH")) if p)
    cmd = [python, os.path.abspath(__file__), "--child", case, "--bench-dir", bench_dir,
           "--duration", str(duration)]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"case": case, "error": f"timed out after {timeout:g} s"}
    for line in out.stdout.splitlines():
        if line.startswith(_RESULT_TAG):
            return json.loads(line[len(_RESULT_TAG):])
    return {"case": case, "error": (out.stderr or out.stdout)[-300:].replace("\n", " ")}


def _row(r):
    if "error" in r:
        return f"| {r['case']} | | | | | {r['error']} | | | | | |"
    one_off = r["first_s"] - r["second_s"]
    return (f"| {r['case']} | {r['python']} | {r['jax']} | {r['n_neurons']:,} | "
            f"{r['n_synapses']:,} | {r['first_s']:.1f} | {r['second_s']:.2f} | {one_off:.1f} | "
            f"{r['trace_s'] + r['lower_s']:.1f} | {r['xla_s']:.1f} | {r['loadavg']:.1f} |")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--python", default=sys.executable,
                   help="interpreter that runs the cases (default: this one)")
    p.add_argument("--cases", default=DEFAULT_CASES,
                   help="comma-separated: cbgtc:SCALE, coba:SCALE, features "
                        f"(default {DEFAULT_CASES})")
    p.add_argument("--bench-dir", default=os.path.join(os.path.dirname(ROOT), "shared", "bench"),
                   help="folder of the shared cbgtc.py / coba.py")
    p.add_argument("--duration", type=float, default=10.0,
                   help="ms of the first (and of the second) run of the script cases")
    p.add_argument("--repeat", type=int, default=1,
                   help="fresh processes per case; the fastest first run is kept (default 1)")
    p.add_argument("--timeout", type=float, default=1800.0, help="seconds per case")
    p.add_argument("--output", help="append the Markdown table to this file")
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        _child(args.child, args.bench_dir, args.duration)
        return
    rows = ["| case | python | jax | neurons | synapses | first run s | second run s | "
            "one-off s | trace + lower s | XLA compile s | load |",
            "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    print("\n".join(rows), flush=True)
    for case in args.cases.split(","):
        results = [_run_case(args.python, case, args.bench_dir, args.duration, args.timeout)
                   for _ in range(args.repeat)]
        ok = [r for r in results if "error" not in r]
        rows.append(_row(min(ok, key=lambda r: r["first_s"]) if ok else results[0]))
        print(rows[-1], flush=True)
    if args.output:
        with open(args.output, "a") as f:
            f.write("\n" + "\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
