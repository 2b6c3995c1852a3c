"""Build time of the vectorised connectors (a benchmark, not a test).

Builds projections of 1 M synapses with FixedProbability, FixedNumberPre, FixedNumberPost,
FixedTotalNumber and FromList (and 10 M with FixedProbability and FixedNumberPre: the issue-6
target is 10 M synapses in <= 10 s on 2 cores) on pynn_cbgtc_jax, prints a table (connector,
synapses, seconds, M syn/s) and writes it, with the machine, to ``CONNECTORS.md`` beside this
file.  The goal is under 2 s per million synapses on 2 cores.

Every synapse has a random weight (``RandomDistribution('uniform')``, one draw per synapse, as
in most models) and a constant delay; connectors get a ``NumpyRNG`` (PyNN's draws, exactly),
and the ``NativeRNG`` rows show the opt-in fast draws.  The time is that of ``Projection(...)``
(the connector, the parameter evaluation and the projection's own bookkeeping), the best of
``--repeat`` builds for 1 M synapses and a single build for 10 M.

With ``--nest`` the same connectors are also built on pyNN.nest (PyNN's generic path, ~25 s per
million synapses) and on pynn_cbgtc_jax at 0.1 M synapses, each backend in its own process,
for the ratio.

Usage (from the repository root)::

    python validation/benchmarks/bench_connectors.py            # ~1 min on 2 cores
    python validation/benchmarks/bench_connectors.py --nest     # + ~1 min for pyNN.nest
    python validation/benchmarks/bench_connectors.py --quick    # 1 M rows only, no file
"""
from __future__ import annotations

import argparse
import datetime
import gc
import importlib
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
M = 1_000_000


# -- cases ------------------------------------------------------------------------------------
# (label, connector class name, args, n_pre, n_post, rng: "numpy" | "native" | None); FromList
# args None: a list of random rows is made outside the timed part
def cases(scale: float):
    """Cases of ``scale`` x 1 M synapses (FixedProbability and DistanceDependent: expected).

    The side that PyNN loops over keeps 10 k cells at every scale, so that per-cell costs
    (a permutation of 10 k cells for FixedNumber*) are those of the 1 M case.
    """
    n = 10_000
    m = int(round(n * scale))                 # the other side: n * scale cells
    return [
        ("FixedProbability p=0.1", "FixedProbabilityConnector", (0.1,), n, m // 10, "numpy"),
        ("FixedProbability p=0.1, NativeRNG", "FixedProbabilityConnector", (0.1,), n, m // 10,
         "native"),
        ("FixedNumberPre n=100", "FixedNumberPreConnector", (100,), n, m, "numpy"),
        ("FixedNumberPre n=100, NativeRNG", "FixedNumberPreConnector", (100,), n, m,
         "native"),
        ("FixedNumberPost n=100", "FixedNumberPostConnector", (100,), m, n, "numpy"),
        ("FixedNumberPost n=100, NativeRNG", "FixedNumberPostConnector", (100,), m, n,
         "native"),
        ("FixedTotalNumber", "FixedTotalNumberConnector", (int(M * scale),), n, n, "numpy"),
        ("FromList (i, j, weight, delay)", "FromListConnector", None, n, m // 10, None),
        ("DistanceDependent 0.4*exp(-d/2000)", "DistanceDependentProbabilityConnector",
         ("0.4*exp(-d/2000.0)",), n, m // 10, "numpy"),
    ]


LARGE = [   # the issue-6 target: 10 M synapses in <= 10 s on 2 cores
    ("FixedProbability p=0.1", "FixedProbabilityConnector", (0.1,), 10_000, 10_000, "numpy"),
    ("FixedProbability p=0.1, NativeRNG", "FixedProbabilityConnector", (0.1,), 10_000, 10_000,
     "native"),
    ("FixedNumberPre n=1000", "FixedNumberPreConnector", (1000,), 10_000, 10_000, "numpy"),
    ("FixedNumberPre n=1000, NativeRNG", "FixedNumberPreConnector", (1000,), 10_000, 10_000,
     "native"),
]


def from_list(n_pre: int, n_post: int, n: int) -> np.ndarray:
    """A connection list of ``n`` random rows (i, j, weight, delay), in random order."""
    rs = np.random.RandomState(0)
    return np.column_stack([rs.randint(0, n_pre, n), rs.randint(0, n_post, n),
                            rs.uniform(0.0, 0.01, n), rs.uniform(0.5, 3.0, n)])


def build(sim, case, repeat: int, rows: int) -> tuple[int, float, float]:
    """(synapses, best wall seconds, best CPU seconds of ``repeat`` builds) for one case on
    backend module ``sim``.  CPU time (this process) is the figure that other jobs on a
    shared machine do not inflate."""
    from pyNN.random import NativeRNG, NumpyRNG, RandomDistribution
    label, name, args, n_pre, n_post, rng = case
    best, best_cpu, size = np.inf, np.inf, 0
    for trial in range(repeat):
        sim.setup(timestep=0.1, min_delay=0.1, max_delay=10.0)
        # PyNN's default structure puts cells on a line 1 unit apart: distances up to 10 k
        pre = sim.Population(n_pre, sim.IF_cond_exp())
        post = sim.Population(n_post, sim.IF_cond_exp())
        kw = {}
        if rng == "numpy":
            kw["rng"] = NumpyRNG(seed=1234 + trial)
        elif rng == "native":
            kw["rng"] = NativeRNG(seed=1234 + trial)
        if args is None:
            connector = getattr(sim, name)(from_list(n_pre, n_post, rows))
        else:
            connector = getattr(sim, name)(*args, **kw)
        synapse = sim.StaticSynapse(
            weight=RandomDistribution("uniform", (0.0, 0.01), rng=NumpyRNG(seed=99)),
            delay=1.0)
        gc.collect()
        start, start_cpu = time.perf_counter(), time.process_time()
        projection = sim.Projection(pre, post, connector, synapse)
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - start_cpu)
        size = projection.size()
        del projection, connector
        sim.end()
        gc.collect()
    return size, best, best_cpu


def run_backend(module: str, scale: float, large: bool, repeat: int, only) -> list:
    """Cases on one backend: a list of (label, synapses, wall seconds, CPU seconds)."""
    sim = importlib.import_module(module)
    out = []
    for case in cases(scale) + (LARGE if large else []):
        if only is not None and case[1] not in only:
            continue
        if module == "pyNN.nest" and case[5] == "native":
            continue                   # the NativeRNG rows are this backend's own draws
        size, seconds, cpu = build(sim, case, 1 if case in LARGE else repeat, int(M * scale))
        out.append((case[0], size, seconds, cpu))
        print(f"  {module:15s} {case[0]:36s} {size:>11,d} {seconds:8.3f} s  (CPU {cpu:.3f} s)",
              file=sys.stderr, flush=True)
    return out


def in_subprocess(module: str, scale: float, large: bool, repeat: int, only):
    """``run_backend`` in a fresh interpreter (a clean heap; NEST and JAX kept apart):
    (rows, version of the simulator)."""
    command = [sys.executable, __file__, "--worker", module, "--scale", str(scale),
               "--repeat", str(repeat)]
    if large:
        command.append("--large")
    if only:
        command += ["--only", ",".join(only)]
    result = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    return [tuple(row) for row in report["rows"]], report["version"]


def version_of(module: str) -> str:
    if module == "pyNN.nest":
        import nest
        return f"NEST {nest.__version__}"
    return module


# -- report -----------------------------------------------------------------------------------
def machine() -> list[str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import pyNN
    lines = [f"- CPU: {cpu}, `nproc` = {os.cpu_count()} "
             f"(`os.sched_getaffinity`: {len(os.sched_getaffinity(0))})",
             f"- Python {platform.python_version()}, NumPy {np.__version__}, "
             f"PyNN {pyNN.__version__}, {platform.system()} {platform.release()}",
             f"- run on {datetime.date.today().isoformat()}"]
    return lines


def table(rows) -> list[str]:
    out = ["| connector | synapses | seconds | M syn/s | CPU seconds | M syn/CPU s |",
           "|---|---:|---:|---:|---:|---:|"]
    for label, size, seconds, cpu in rows:
        out.append(f"| {label} | {size:,d} | {seconds:.2f} | {size / seconds / M:.2f} | "
                   f"{cpu:.2f} | {size / cpu / M:.2f} |")
    return out


def ratio_table(ours, theirs) -> list[str]:
    out = ["| connector | synapses | pynn_cbgtc_jax CPU s | pyNN.nest CPU s | ratio |",
           "|---|---:|---:|---:|---:|"]
    nest = {row[0]: row for row in theirs}
    for label, size, seconds, cpu in ours:
        if label in nest:
            nest_cpu = nest[label][3]
            out.append(f"| {label} | {size:,d} | {cpu:.3f} | {nest_cpu:.2f} | "
                       f"{nest_cpu / cpu:.0f}x |")
    return out


NOTES = """
## Notes

- Exactness: with a `NumpyRNG` every connector above builds PyNN's generic network for the same
  seed (same pre, post, weight, delay; `tests/test_connectors.py` compares them with
  `np.array_equal`).  `NativeRNG` rows draw the same distributions from a NumPy `Generator`
  seeded from `NativeRNG.seed` (or `setup(rng_seed=...)`) and the projection's index: other
  numbers than PyNN's, not comparable across backends.
- FixedNumberPre/Post without replacement, exact: PyNN draws `rng.permutation(n_pre)` per
  postsynaptic cell (`n_post` per presynaptic cell for Post), ~25 ns x that size, whatever `n`
  is.  Their cost is per cell, not per synapse: 10 k x 10 k with n = 100 costs what n = 1000
  costs.  `rng=NativeRNG(seed)` draws each cell's remainder with `Generator.choice`
  (O(n)): the opt-in fast mode.
- FixedProbability with `NativeRNG`: the gaps between connected pairs are geometric, so
  the draws cost O(synapses) instead of one uniform per candidate pair (PyNN's map):
  what makes 1M-neuron networks buildable (CBGTC at scale 200, 137 M synapses, 1e11
  candidate pairs: 23 s here, `validation/benchmarks/native_rng.py`).
- FixedTotalNumber: PyNN draws one source and one target per Python iteration (0.02 M
  syn/s); ours reads the same 32-bit words through NumPy's rejection sampler, vectorised.
- FromList: PyNN deep-copies the synapse parameters and calls `_convergent_connect` once per
  target; ours groups and evaluates them once.
- Wall time on a shared 2-core machine follows the load (fresh pages for 80 MB arrays are
  slow when memory bandwidth is contended); CPU time is the stable figure.  At 10 M synapses
  `Projection._consolidate` (projections.py) copies every parameter array twice
  (`np.concatenate(...).astype(float)`) and `_round_delays` rounds a constant delay once per
  synapse: together ~0.5 s of CPU per 10 M synapses here.
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nest", action="store_true",
                        help="also build on pyNN.nest at 0.1 M synapses, for the ratio")
    parser.add_argument("--quick", action="store_true",
                        help="1 M synapses only, one build each, nothing written")
    parser.add_argument("--repeat", type=int, default=3, help="builds per 1 M case (best)")
    parser.add_argument("--only", default=None,
                        help="comma-separated connector class names to run")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--scale", type=float, default=1.0, help=argparse.SUPPRESS)
    parser.add_argument("--large", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    only = args.only.split(",") if args.only else None

    if args.worker:                           # one backend; rows as JSON on stdout
        rows = run_backend(args.worker, args.scale, args.large, args.repeat, only)
        print(json.dumps({"rows": rows, "version": version_of(args.worker)}))
        return

    repeat = 1 if args.quick else args.repeat
    print("pynn_cbgtc_jax", file=sys.stderr)
    load_before = os.getloadavg()[0]
    ours, _ = in_subprocess("pynn_cbgtc_jax", 1.0, not args.quick, repeat, only)
    lines = ["# Connector build times", "",
             "Written by `validation/benchmarks/bench_connectors.py` (a benchmark, not a test).",
             "", "Machine:", ""] + machine() + [
        f"- 1-minute load average {load_before:.1f} before and {os.getloadavg()[0]:.1f} after "
        "the pynn_cbgtc_jax runs (other jobs on the machine inflate the times)"] + [
        "", "Weights `RandomDistribution('uniform')` (one draw per synapse), delay 1 ms; "
        f"wall and CPU time of `Projection(...)`, best of {repeat} builds at 1 M, one build "
        "at 10 M.  Goal: < 2 s per million synapses; 10 M in <= 10 s (issue 6).", ""]
    lines += table(ours)
    if args.nest:
        print("ratio at 0.1 M synapses: pynn_cbgtc_jax, then pyNN.nest", file=sys.stderr)
        small_ours, _ = in_subprocess("pynn_cbgtc_jax", 0.1, False, repeat, only)
        small_nest, nest_version = in_subprocess("pyNN.nest", 0.1, False, 1, only)
        lines += ["", "## Against pyNN.nest (PyNN's generic connectors), 0.1 M synapses", "",
                  f"{nest_version}; same script, same seeds, same sizes; the side each "
                  "cell draws from keeps 10 k cells; one build on NEST.", ""]
        lines += ratio_table(small_ours, small_nest)
    lines += NOTES.splitlines()
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.quick:
        (HERE / "CONNECTORS.md").write_text(text)
        print(f"written to {HERE / 'CONNECTORS.md'}", file=sys.stderr)


if __name__ == "__main__":
    main()
