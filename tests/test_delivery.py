"""Spike delivery: event path, dense path and their growth give the same bits.

Reference: the dense path (every synapse visited once) is the definition of delivery; the
event path must reproduce it bit for bit, including when it overflows mid-run and is enlarged.
"""
import numpy as np

from pynn_cbgtc_jax import simulator


def _net(sim):
    rng = sim.NumpyRNG(seed=3)
    src = sim.Population(300, sim.SpikeSourcePoisson(rate=50.0), label="src")
    cells = sim.Population(200, sim.IF_cond_exp(tau_refrac=1.0), label="cells")
    sim.Projection(src, cells, sim.FixedProbabilityConnector(0.2, rng=rng),
                   sim.StaticSynapse(weight=0.002, delay=sim.RandomDistribution(
                       "uniform", low=0.1, high=5.0, rng=rng)))
    sim.Projection(cells, cells, sim.FixedProbabilityConnector(0.1, rng=rng),
                   sim.StaticSynapse(weight=0.004, delay=1.0), receptor_type="inhibitory")
    cells.record(["spikes", "v"])
    return cells


def _result(cells):
    seg = cells.get_data().segments[0]
    return np.asarray(seg.filter(name="v")[0]), [np.asarray(s) for s in seg.spiketrains]


def _run_with(sim, max_spikes, max_events, dense):
    sim.setup(timestep=0.1)
    cells = _net(sim)
    sim.run(0.1)
    s = simulator.state.simulation
    s.spec = s.spec._replace(syns=tuple(g._replace(max_spikes=max_spikes, max_events=max_events,
                                                   dense=dense) for g in s.spec.syns))
    from pynn_cbgtc_jax.engine.runner import chunk_function
    s.fn = chunk_function(s.spec)
    s.capacity = {g.rule: (max_spikes, max_events) for g in s.spec.syns}
    sim.run(200.0)
    return _result(cells), s.spec.syns[0]


def test_event_and_dense_paths_are_bit_identical(sim):
    (v_dense, st_dense), _ = _run_with(sim, 500, 10 ** 6, True)
    (v_event, st_event), syn = _run_with(sim, 500, 2 ** 15, False)
    assert not syn.dense
    assert sum(len(s) for s in st_dense) > 50
    np.testing.assert_array_equal(v_event, v_dense)
    for a, b in zip(st_dense, st_event):
        np.testing.assert_array_equal(a, b)


def test_event_path_grows_after_overflow_without_changing_results(sim):
    (v_dense, st_dense), _ = _run_with(sim, 500, 10 ** 6, True)
    (v_small, st_small), syn = _run_with(sim, 4, 64, False)
    # 300 sources at 50 Hz give ~1.5 spikes x 40 synapses per step: 64 events overflow often
    assert syn.max_events > 64 or syn.dense
    np.testing.assert_array_equal(v_small, v_dense)
    for a, b in zip(st_dense, st_small):
        np.testing.assert_array_equal(a, b)
