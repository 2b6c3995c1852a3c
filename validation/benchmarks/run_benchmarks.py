"""Side-by-side benchmarks: the shared PyNN benchmark scripts on pynn_cbgtc_jax and pyNN.nest.

Runs ``coba.py`` and ``cbgtc.py`` (from ``--bench-dir``, default ``../shared/bench`` next to
the repository) at several scales, each in its own process with ``--warmup`` to separate the
first-run costs (JAX compilation, NEST's connection finalisation) from stepping, and prints a
Markdown table: build, first-run (warm-up), stepping time, real-time factor, peak memory and
rates, with the ratio to NEST measured in the same invocation.  ``--output FILE`` appends the
table to FILE (e.g. RESULTS.md).

    python validation/benchmarks/run_benchmarks.py --scales 1 --nest-threads 2
"""
import argparse
import json
import os
import platform
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_one(bench_dir, script, simulator, scale, duration, warmup, threads, timeout,
            native_rng=False):
    cmd = [sys.executable, os.path.join(bench_dir, script), "--simulator", simulator,
           "--scale", str(scale), "--duration", str(duration), "--warmup", str(warmup)]
    if native_rng:
        cmd.insert(1, os.path.join(os.path.dirname(os.path.abspath(__file__)), "native_rng.py"))
    if simulator == "nest":
        cmd += ["--threads", str(threads)]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                             env=dict(os.environ, PYNEST_QUIET="1"))
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:g} s"}
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or not lines:
        return {"error": (out.stderr or out.stdout)[-300:]}
    return json.loads(lines[-1])


def machine():
    cpu = ""
    if os.path.exists("/proc/cpuinfo"):
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    import jax
    return (f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, "
            f"jax {jax.__version__} on {jax.devices()[0].platform}")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bench-dir", default=os.path.join(os.path.dirname(ROOT), "shared", "bench"))
    p.add_argument("--benchmarks", default="coba,cbgtc")
    p.add_argument("--scales", default="1")
    p.add_argument("--duration", type=float, default=1000.0)
    p.add_argument("--warmup", type=float, default=10.0)
    p.add_argument("--nest-threads", type=int, default=2)
    p.add_argument("--no-nest", action="store_true", help="only pynn_cbgtc_jax")
    p.add_argument("--timeout", type=float, default=1800.0)
    p.add_argument("--output", help="append the Markdown table to this file")
    p.add_argument("--native-rng", action="store_true",
                   help="pynn_cbgtc_jax draws the connections with a NativeRNG (O(synapses), "
                        "for 1M-neuron scales; see native_rng.py)")
    args = p.parse_args(argv)
    rows = ["| benchmark | scale | neurons | synapses | simulator | build s | first run s "
            "(warm-up) | stepping s | RT factor | ratio to NEST | peak RSS MB | rates (Hz) |",
            "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---|"]
    sims = ["pynn_cbgtc_jax"] + ([] if args.no_nest else ["nest"])
    for bench in args.benchmarks.split(","):
        for scale in [float(s) for s in args.scales.split(",")]:
            results = {sim: run_one(args.bench_dir, f"{bench}.py", sim, scale, args.duration,
                                    args.warmup, args.nest_threads, args.timeout,
                                    args.native_rng and sim == "pynn_cbgtc_jax")
                       for sim in sims}
            nest_run = results.get("nest", {}).get("run_s")
            for sim, r in results.items():
                if "error" in r:
                    rows.append(f"| {bench} | {scale:g} | | | {sim} | failed: "
                                f"{r['error'].splitlines()[-1] if r['error'] else ''} |||||||")
                    continue
                ratio = f"{r['run_s'] / nest_run:.2f}" if nest_run and sim != "nest" else ""
                label = sim + (f" ({args.nest_threads} thr)" if sim == "nest" else "")
                rates = ", ".join(f"{k} {v:.1f}" for k, v in r["mean_rate_hz"].items())
                rows.append(f"| {bench} | {scale:g} | {r['n_neurons']} | {r['n_synapses']} | "
                            f"{label} | {r['build_s']:.2f} | {r['warmup_s'] or 0:.2f} | "
                            f"{r['run_s']:.2f} | {r['realtime_factor']:.2f} "
                            f"| {ratio} | {r['peak_rss_mb']:.0f} | {rates} |")
            print("\n".join(rows[-len(results):]), flush=True)
    table = "\n".join(rows)
    header = (f"\nMachine: {machine()}; {args.duration:g} ms simulated after a "
              f"{args.warmup:g} ms warm-up run; stepping = the timed run.\n\n")
    print(header + table)
    if args.output:
        with open(args.output, "a") as fh:
            fh.write(header + table + "\n")


if __name__ == "__main__":
    main()
