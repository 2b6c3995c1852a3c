"""Engine contracts: chunking invariance, exact reset, no recompilation on set/reset/run.

References are the contracts themselves: the engine is deterministic (counter-based random
numbers folded with the step number), so the comparisons are bitwise.
"""
import re

import numpy as np
import pytest

from pynn_cbgtc_jax.engine.runner import TRACE_COUNT


def _network(sim, seed=7):
    rng = sim.NumpyRNG(seed=seed)
    exc = sim.Population(80, sim.IF_cond_exp(tau_refrac=2.0), label="exc")
    inh = sim.Population(20, sim.IF_curr_alpha(tau_refrac=2.0, i_offset=0.5), label="inh")
    ad = sim.Population(10, sim.EIF_cond_exp_isfa_ista(), label="adex")
    noise = sim.Population(80, sim.SpikeSourcePoisson(rate=900.0), label="noise")
    exc.initialize(v=sim.RandomDistribution("uniform", low=-65.0, high=-55.0, rng=rng))
    sim.Projection(noise, exc, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.01, delay=0.5))
    sim.Projection(exc, inh, sim.FixedProbabilityConnector(0.2, rng=rng),
                   sim.StaticSynapse(weight=0.3, delay=1.0))
    sim.Projection(inh, exc, sim.FixedProbabilityConnector(0.3, rng=rng),
                   sim.StaticSynapse(weight=0.02, delay=sim.RandomDistribution(
                       "uniform", low=0.5, high=3.0, rng=rng)), receptor_type="inhibitory")
    sim.Projection(exc, ad, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.002, delay=2.0))
    sim.DCSource(amplitude=0.3, start=20.0, stop=60.0).inject_into(ad)
    for p in (exc, inh, ad):
        p.record(["spikes", "v"])
    return exc, inh, ad


def _data(pops):
    out = []
    for p in pops:
        seg = p.get_data().segments[-1]
        out.append((np.asarray(seg.filter(name="v")[0]),
                    [np.asarray(s) for s in seg.spiketrains]))
    return out


def _assert_same(a, b):
    for (va, sa), (vb, sb) in zip(a, b):
        np.testing.assert_array_equal(va, vb)
        for x, y in zip(sa, sb):
            np.testing.assert_array_equal(x, y)


def test_network_is_active(sim):
    exc, inh, ad = _network(sim)
    sim.run(100.0)
    counts = [sum(len(s) for s in p.get_data().segments[0].spiketrains) for p in (exc, inh, ad)]
    assert all(c > 0 for c in counts), counts


def test_run_split_is_bitwise_equal_to_one_run(sim):
    pops = _network(sim)
    sim.run(150.3)
    one = _data(pops)
    sim.setup(timestep=0.1)
    pops = _network(sim)
    for t in (0.1, 37.2, 12.0, 101.0):   # crosses chunk boundaries at arbitrary steps
        sim.run(t)
    _assert_same(one, _data(pops))


def test_reset_is_bitwise_equal_to_fresh_build(sim):
    pops = _network(sim)
    sim.run(120.0)
    first = _data(pops)
    sim.reset()
    sim.run(120.0)
    blocks = [p.get_data() for p in pops]
    assert all(len(b.segments) == 2 for b in blocks)
    _assert_same(first, _data(pops))


def test_no_recompilation_on_set_reset_and_second_run(sim):
    exc, inh, ad = _network(sim)
    prj = sim.Projection(exc, exc, sim.FixedProbabilityConnector(0.1, rng=sim.NumpyRNG(1)),
                         sim.StaticSynapse(weight=0.001, delay=1.0))
    sim.run(10.0)
    traces = TRACE_COUNT["chunk"]
    sim.run(10.0)
    exc.set(tau_m=15.0, i_offset=0.1)
    inh[0:5].set(v_thresh=-52.0)
    prj.set(weight=0.002)
    sim.run(10.0)
    sim.reset()
    exc.initialize(v=-60.0)
    sim.run(25.0)
    assert TRACE_COUNT["chunk"] == traces


def test_set_takes_effect_between_runs(sim):
    cell = sim.Population(1, sim.IF_curr_exp(i_offset=0.0))
    cell.record("spikes")
    sim.run(50.0)
    cell.set(i_offset=2.0)
    sim.run(50.0)
    spikes = np.asarray(cell.get_data().segments[0].spiketrains[0])
    assert spikes.size > 0 and spikes.min() > 50.0


def test_weight_set_takes_effect_between_runs(sim):
    sim.setup(timestep=0.1, precision="float64")
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[5.0, 305.0]))
    cell = sim.Population(1, sim.IF_curr_exp())
    prj = sim.Projection(src, cell, sim.AllToAllConnector(), sim.StaticSynapse(weight=1.0))
    cell.record("v")
    sim.run(300.0)
    prj.set(weight=2.0)
    sim.run(100.0)
    v = np.asarray(cell.get_data().segments[0].filter(name="v")[0])[:, 0] + 65.0
    # linear membrane: the second PSP is twice the first (the first has decayed to e^-15 = 3e-7)
    assert v[50:1000].max() * 2 == pytest.approx(v[3050:4000].max(), rel=1e-6)


@pytest.mark.parametrize("celltype", ["IF_cond_exp", "EIF_cond_alpha_isfa_ista"])
def test_blow_up_is_reported_with_population_and_time(sim, celltype):
    """The first diverged step, with population and time; also when that step is a run's
    last (the step loop checks the state each step starts from, the chunk its final state
    after the loop): a second network runs exactly to the reported time and must raise."""
    def build():
        cell = sim.Population(2, getattr(sim, celltype)(), label="unstable")
        src = sim.Population(1, sim.SpikeSourceArray(spike_times=[10.0]))
        # an absurd inhibitory conductance: the explicit RK4 step overshoots to +-inf
        sim.Projection(src, cell, sim.AllToAllConnector(),
                       sim.StaticSynapse(weight=1e30, delay=1.0), receptor_type="inhibitory")
        cell.record("v")
        return cell

    cell = build()
    with pytest.raises(sim.NumericalInstabilityError,
                       match=r"'unstable'.*t = 11\.[01]00 ms") as error:
        sim.run(30.0)
    # nothing recorded before the blow-up is lost
    v = cell.get_data().segments[0].filter(name="v")[0]
    assert v.shape[0] >= 112 and np.all(np.isfinite(np.asarray(v)[:111]))
    t = float(re.search(r"t = ([0-9.]+) ms", str(error.value)).group(1))
    sim.end()
    sim.setup(timestep=0.1)
    build()
    with pytest.raises(sim.NumericalInstabilityError, match=rf"t = {t:.3f} ms"):
        sim.run(t)


def test_set_between_runs_reuses_the_synapse_tables_and_equals_a_fresh_build(sim):
    """Reference: a network built from scratch with the new value (bitwise).  A neuron
    parameter set() between runs keeps the synapse tables (no re-sort of the synapses, no
    upload); a weight set() or a tau_syn set() (Tsodyks-Markram's tau_psc) rebuilds them."""
    from pynn_cbgtc_jax import simulator
    pops = _network(sim)
    sim.run(50.0)
    first = simulator.state.simulation.build.data.syns
    pops[0].set(i_offset=0.2)
    sim.run(50.0)
    assert simulator.state.simulation.build.data.syns is not first
    assert all(a is b for a, b in zip(simulator.state.simulation.build.data.syns, first))
    reused = _data(pops)

    sim.setup(timestep=0.1)
    pops = _network(sim)
    sim.run(50.0)
    pops[0].set(i_offset=0.2)
    simulator.state.synapses_changed = True          # force a full rebuild
    sim.run(50.0)
    _assert_same(reused, _data(pops))

    prj = simulator.state.projections[0]                 # noise -> exc, weight 0.01
    prj.set(weight=0.05)
    sim.run(1.0)
    # every table (the one-to-one projection has a table of its own, compiler/build.py)
    weights = np.concatenate([np.asarray(t.weight) for t in simulator.state.simulation.data.syns])
    assert not np.isclose(weights, 0.01).any() and np.isclose(weights, 0.05).sum() == len(prj)


def test_tau_syn_set_updates_tsodyks_markram_tau_psc(sim):
    from pynn_cbgtc_jax import simulator
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[5.0]))
    cell = sim.Population(1, sim.IF_curr_exp(tau_syn_E=2.0))
    sim.Projection(src, cell, sim.AllToAllConnector(),
                   sim.TsodyksMarkramSynapse(weight=0.5, delay=1.0, U=0.5))
    sim.run(1.0)
    def tau_psc():
        return float(np.asarray(simulator.state.simulation.build.data.syns[0].params[3])[0])
    assert tau_psc() == 2.0
    cell.set(tau_syn_E=7.0)
    sim.run(1.0)
    assert tau_psc() == 7.0
