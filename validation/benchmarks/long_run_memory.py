"""Host memory of a long run: 1e6 steps recording the spikes of 1,000 cells.

A benchmark, not a test: it prints figures.  Recorded data goes to the host after every chunk
(see ``simulation.py``), so the peak resident set is the process (Python, JAX, the compiled
program) plus the spikes themselves (16 bytes each: int64 id, float64 time), not a function of
the number of steps.  The goal is < 1 GB.

    python validation/benchmarks/long_run_memory.py [--steps 1000000] [--cells 1000]

Prints one JSON line: steps, cells, spikes, wall time, peak RSS (MB) before and after the run
and after ``get_data()`` (``resource.getrusage``; on Linux ``ru_maxrss`` is in kB) and the bytes
held by the recorder.  Measured on the 2-core development machine: 1e6 steps, 1.87M spikes,
30-40 s, peak RSS 350-429 MB after the run (315-407 MB before it: Python, JAX, compilation)
and 437 MB after ``get_data()``; ``/usr/bin/time -v``: 447 MB maximum resident set.
"""
import argparse
import json
import resource
import time

import pynn_cbgtc_jax as sim


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0     # kB -> MB (Linux)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1_000_000)
    parser.add_argument("--cells", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=20.0, help="Poisson input per cell (Hz)")
    args = parser.parse_args()
    sim.setup(timestep=0.1)
    cells = sim.Population(args.cells, sim.IF_curr_exp(tau_refrac=2.0), label="cells")
    noise = sim.Population(args.cells, sim.SpikeSourcePoisson(rate=args.rate), label="noise")
    sim.Projection(noise, cells, sim.OneToOneConnector(), sim.StaticSynapse(weight=5.0, delay=1.0))
    cells.record("spikes")
    sim.run(0.1)                        # compile
    before = peak_rss_mb()
    start = time.perf_counter()
    sim.run((args.steps - 1) * 0.1)
    wall = time.perf_counter() - start
    after = peak_rss_mb()
    spikes = sum(len(ids) for ids, _ in cells.recorder._spikes)
    held = sum(ids.nbytes + t.nbytes for ids, t in cells.recorder._spikes)
    n_trains = len(cells.get_data().segments[0].spiketrains)      # the Neo block, once
    print(json.dumps({"steps": sim.simulator.state.step, "cells": args.cells, "spikes": spikes,
                      "wall_s": round(wall, 1), "peak_rss_mb_before_run": round(before),
                      "peak_rss_mb": round(after), "recorded_mb": round(held / 2 ** 20, 1),
                      "spike_blocks": len(cells.recorder._spikes), "spiketrains": n_trains,
                      "peak_rss_mb_after_get_data": round(peak_rss_mb())}))
    sim.end()


if __name__ == "__main__":
    main()
