"""Long runs: chunk sizes follow the measured wall time without recompiling, and Ctrl-C stops a
run within a second at a chunk boundary that ``get_data()`` and a further ``run()`` accept.

References: the engine contract (any chunk split is bitwise the same run) and the step counter
(a consistent stop has ``step + 1`` samples per recorded signal and no spike after ``t``).
"""
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from pynn_cbgtc_jax.engine.runner import TRACE_COUNT

SCRIPT = Path(__file__).parent / "scripts" / "interrupted_run.py"


def _net(sim):
    cells = sim.Population(30, sim.IF_cond_exp(tau_refrac=2.0), label="cells")
    noise = sim.Population(30, sim.SpikeSourcePoisson(rate=800.0), label="noise")
    sim.Projection(noise, cells, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.01, delay=0.5))
    sim.Projection(cells, cells, sim.FixedProbabilityConnector(0.2, rng=sim.NumpyRNG(seed=1)),
                   sim.StaticSynapse(weight=0.002, delay=1.0))
    cells.record(["spikes", "v"])
    return cells


def _data(cells):
    seg = cells.get_data().segments[-1]
    return np.asarray(seg.filter(name="v")[0]), [np.asarray(s) for s in seg.spiketrains]


def test_chunk_sizes_change_without_recompiling_or_changing_results(sim):
    cells = _net(sim)
    sim.run(0.1)
    traces = TRACE_COUNT["chunk"]
    simulation = sim.simulator.state.simulation
    for steps in (1, 7, 1000, 3, 250):
        simulation._call_steps = steps          # as the wall-time measurement would set it
        sim.run(23.3)
    assert TRACE_COUNT["chunk"] == traces
    v1, s1 = _data(cells)
    sim.setup(timestep=0.1)
    cells = _net(sim)
    sim.run(0.1 + 5 * 23.3)
    v2, s2 = _data(cells)
    assert np.array_equal(v1, v2) and all(np.array_equal(a, b) for a, b in zip(s1, s2))
    assert sum(len(s) for s in s1) > 0


def test_chunk_size_follows_wall_time(sim):
    _net(sim)
    sim.run(1.0)
    simulation = sim.simulator.state.simulation
    simulation._size_calls(100, 1.0)             # 10 ms per step -> 25 steps in 0.25 s
    assert simulation._call_steps == 25
    simulation._size_calls(10, 1e-5)             # fast: capped at the compiled chunk
    assert simulation._call_steps == simulation.spec.chunk
    simulation._size_calls(1, 60.0)              # very slow: one step per call
    assert simulation._call_steps == 1


def test_sigint_stops_within_a_second_and_the_run_continues():
    proc = subprocess.Popen([sys.executable, str(SCRIPT)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "READY", proc.stderr.read()[-3000:]
        time.sleep(1.0)
        sent = time.time()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=300)
    finally:
        proc.kill()
    assert proc.returncode == 0, err[-3000:]
    result = json.loads(out.strip().splitlines()[-1])
    assert result["interrupted"], result
    latency = result["caught"] - sent
    assert latency < 1.0, f"Ctrl-C took {latency:.2f} s to stop the run"
    assert "Simulation interrupted (Ctrl-C) at t =" in result["message"]
    assert result["carry_step"] == result["step"] > 1
    assert result["v_samples"] == result["step"] + 1
    assert result["last_spike"] <= result["t"] + 1e-9
    assert result["spikes"] > 0
    assert result["continued_equal"]
