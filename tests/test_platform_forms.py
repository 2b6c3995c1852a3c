"""The engine's accelerator forms (``engine/platform.py``): no host round trips a step on a GPU,
the same numbers as the CPU forms.

A GPU is not at hand in CI, so the accelerator forms are checked two ways on the CPU:
``jax.export`` lowers the chunk for CUDA (the loops the CPU form has must be gone), and the
CPU runs the accelerator forms when ``platform._platform_dependent`` is made to pick them
(the network must give the same spikes and membrane potentials, bit for bit).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import export

from pynn_cbgtc_jax.engine import platform, runner


def _event_network(sim):
    """3000 LIF cells, 10 % connectivity (~900k synapses: the event path), Poisson drive;
    spikes and v of 20 cells recorded."""
    sim.setup(timestep=0.1, min_delay=0.1, rng_seed=3)
    cells = sim.Population(3000, sim.IF_curr_exp(tau_refrac=2.0))
    drive = sim.Population(3000, sim.SpikeSourcePoisson(rate=500.0))
    sim.Projection(drive, cells, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.5))
    from pyNN.random import NumpyRNG
    sim.Projection(cells, cells, sim.FixedProbabilityConnector(0.1, rng=NumpyRNG(seed=5)),
                   sim.StaticSynapse(weight=0.004, delay=0.5))
    cells.record("spikes")
    cells[:20].record("v")
    return cells


def _whiles(module: str) -> int:
    return module.count("stablehlo.while")


def test_event_path_lowers_without_loops_for_gpu(sim, monkeypatch):
    """Reference: the same chunk lowered for CUDA with the CPU forms forced.  That one holds
    the one-trip loops of the spike counts and of the event path's synapse indices besides
    everything else (its blocks are few enough to be counted, not searched: no search loop);
    the CUDA lowering with its own forms has exactly those two loops fewer.  (Both are
    CUDA lowerings: the CPU's own lowering of jax >= 0.11 adds rolled Threefry loops.)  The
    network must take the event path, else the test would not look at it."""
    _event_network(sim)
    sim.run(0.1)
    s = sim.simulator.state.simulation
    assert any(not g.dense and g.n_syn > 100_000 for g in s.spec.syns)
    args = (s.data, s.carry, jnp.int32(10))
    jax.clear_caches()
    cuda = export.export(s.fn, platforms=["cuda"])(*args).mlir_module()
    monkeypatch.setattr(platform, "_platform_dependent", lambda *args, cpu, default: cpu(*args))
    jax.clear_caches()
    cpu_forms = export.export(s.fn, platforms=["cuda"])(*args).mlir_module()
    assert _whiles(cpu_forms) - _whiles(cuda) == 2, (_whiles(cpu_forms), _whiles(cuda))


def _run(sim, forms: str):
    runner._CACHE.clear()          # the program of the other forms must not come back
    jax.clear_caches()
    cells = _event_network(sim)
    sim.run(100.0)
    seg = cells.get_data().segments[0]
    spikes = [np.asarray(st) for st in seg.spiketrains]
    v = np.asarray(seg.analogsignals[0])
    sim.end()
    return spikes, v


@pytest.mark.parametrize("forms", ["accelerator"])
def test_accelerator_forms_give_the_cpu_forms_numbers(sim, monkeypatch, forms):
    """Reference: the same network run with the CPU forms.  Spikes and v equal bit for bit:
    the searches give the same integers, and the spike counts are the same integers whether
    they pass through memory or not.  (100 ms at ~60 Hz: ~18k spikes, ~18 a step, each with
    its ~300 synapses found by the searches.)"""
    want_spikes, want_v = _run(sim, "cpu")
    monkeypatch.setattr(platform, "_platform_dependent",
                        lambda *args, cpu, default: default(*args))
    got_spikes, got_v = _run(sim, forms)
    assert sum(s.size for s in want_spikes) > 10_000
    for a, b in zip(want_spikes, got_spikes):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(want_v, got_v)
