"""Ensembles (issue 14): many variants of one network in one compiled run.

Reference for every member: a separate simulation built with that member's values, compared
bitwise (float64, CPU) -- the members are built by the single-network compiler and the chunk
is vmapped over them, so nothing but the batching differs.  Other references: PyNN's Neo
layout (one Segment per run segment), the engine's trace counter (no recompilation).
"""
from __future__ import annotations

import numpy as np
import pytest

import pynn_cbgtc_jax as sim
from pynn_cbgtc_jax.engine.runner import TRACE_COUNT

pytestmark = pytest.mark.unit


def _lif_static(sim, tau_m, seed, sources=20, rate=50.0, p=0.3, weight=0.01, i_offset=0.5):
    """LIF cells driven by Poisson sources through static synapses."""
    sim.setup(timestep=0.1, precision="float64", rng_seed=seed)
    src = sim.Population(sources, sim.SpikeSourcePoisson(rate=rate), label="sources")
    pop = sim.Population(10, sim.IF_cond_exp(tau_m=tau_m, i_offset=i_offset), label="cells")
    sim.Projection(src, pop, sim.FixedProbabilityConnector(p, rng=sim.NumpyRNG(seed=5)),
                   sim.StaticSynapse(weight=weight, delay=1.0))
    return [pop], 100.0


def _lif_poisson(sim, tau_m, seed):
    return _lif_static(sim, tau_m, seed)


def _static_event_table(sim, tau_m, seed):
    """A static table that a single run delivers by the event path (1 000 synapses from 200
    sparse sources) and an ensemble by the dense path (``delivery._dense_for_members``)."""
    return _lif_static(sim, tau_m, seed, sources=200, rate=10.0, p=0.5, weight=0.004,
                       i_offset=0.2)


def _static_event_table_for_members(sim, tau_m, seed):
    """A static table large enough for the ensemble's event path too (6 000 synapses from 600
    sources: ``delivery._dense_for_members`` is false; checked in the test below)."""
    return _lif_static(sim, tau_m, seed, sources=600, rate=10.0, p=1.0, weight=0.0005,
                       i_offset=0.2)


def _lif_stdp(sim, i_offset, seed):
    sim.setup(timestep=0.1, precision="float64", rng_seed=seed)
    src = sim.Population(20, sim.SpikeSourcePoisson(rate=80.0))
    pop = sim.Population(10, sim.IF_cond_exp(i_offset=i_offset))
    sim.Projection(src, pop, sim.FixedProbabilityConnector(0.5, rng=sim.NumpyRNG(seed=4)),
                   sim.STDPMechanism(timing_dependence=sim.SpikePairRule(),
                                     weight_dependence=sim.AdditiveWeightDependence(w_max=0.05),
                                     weight=0.02, delay=1.5))
    return [pop], 300.0


def _rubin_terman_dbs(sim, i_app, seed, plastic):
    """STN (Poisson input, DBS) -> GPe through Tsodyks-Markram synapses, or GPe -> STN
    through STDP synapses."""
    sim.setup(timestep=0.025, precision="float64", rng_seed=seed)
    stn = sim.Population(8, sim.STN_RT2004(I_app=i_app))
    gpe = sim.Population(8, sim.GPe_RT2004())
    src = sim.Population(8, sim.SpikeSourcePoisson(rate=40.0))
    sim.Projection(src, stn, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.002, delay=1.0))
    if plastic == "tm":
        sim.Projection(stn, gpe, sim.FixedProbabilityConnector(0.5, rng=sim.NumpyRNG(seed=3)),
                       sim.TsodyksMarkramSynapse(weight=0.005, delay=2.0),
                       receptor_type="excitatory")
    else:
        sim.Projection(gpe, stn, sim.FixedProbabilityConnector(0.5, rng=sim.NumpyRNG(seed=4)),
                       sim.STDPMechanism(timing_dependence=sim.SpikePairRule(),
                                         weight_dependence=sim.AdditiveWeightDependence(
                                             w_max=0.01), weight=0.002, delay=1.5),
                       receptor_type="inhibitory")
    sim.DBSSource(frequency=130.0, amplitude=2.0).inject_into(stn)
    return [stn, gpe], 100.0


def _dbs_sweep(sim, frequency_amplitude, seed):
    """DBS frequency x amplitude as Batch values of one DBSSource into STN cells."""
    frequency, amplitude = frequency_amplitude
    sim.setup(timestep=0.025, precision="float64", rng_seed=seed)
    stn = sim.Population(6, sim.STN_RT2004())
    src = sim.Population(6, sim.SpikeSourcePoisson(rate=40.0))
    sim.Projection(src, stn, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.002, delay=1.0))
    sim.DBSSource(frequency=frequency, amplitude=amplitude, pulse_width=0.1).inject_into(stn)
    return [stn], 100.0


def _synapse_values(sim, weight_u, seed):
    """Weights of static synapses and of Tsodyks-Markram synapses (with their U) per member."""
    weight, u = weight_u
    sim.setup(timestep=0.1, precision="float64", rng_seed=seed)
    src = sim.Population(20, sim.SpikeSourcePoisson(rate=60.0))
    pop = sim.Population(10, sim.IF_cond_exp(i_offset=0.3))
    sim.Projection(src, pop, sim.FixedProbabilityConnector(0.3, rng=sim.NumpyRNG(seed=5)),
                   sim.StaticSynapse(weight=weight, delay=1.0), label="static")
    tm = sim.Projection(src, pop, sim.FixedProbabilityConnector(0.3, rng=sim.NumpyRNG(seed=6)),
                        sim.TsodyksMarkramSynapse(weight=0.01, delay=1.0), label="tm")
    tm.set(U=u)
    return [pop], 200.0


def _initial_values(sim, v0, seed):
    """initialize(v=...) per member (Rubin-Terman STN: the gates keep their defaults)."""
    sim.setup(timestep=0.025, precision="float64", rng_seed=seed)
    stn = sim.Population(5, sim.STN_RT2004())
    stn.initialize(v=v0)
    return [stn], 100.0


def _poisson_rates(sim, rate, seed):
    """Spike-source rates per member, set through an Assembly (a small source: per-cell draws;
    a large one, >= 1024 cells: the population-total path with its static bound)."""
    sim.setup(timestep=0.1, precision="float64", rng_seed=seed)
    small = sim.Population(20, sim.SpikeSourcePoisson(rate=10.0))
    large = sim.Population(1500, sim.SpikeSourcePoisson(rate=10.0))
    pop = sim.Population(10, sim.IF_cond_exp())
    (small + large).set(rate=rate)
    for src, w in ((small, 0.01), (large, 0.0005)):
        sim.Projection(src, pop, sim.FixedProbabilityConnector(0.3, rng=sim.NumpyRNG(seed=5)),
                       sim.StaticSynapse(weight=w, delay=1.0))
    return [pop], 100.0


class _Pairs(list):
    """Member values given as (frequency, amplitude) pairs: the ensemble gets two Batches."""


SCENARIOS = {
    "lif_poisson_static": (_lif_poisson, [10.0, 20.0, 30.0]),
    "lif_stdp": (_lif_stdp, [0.0, 0.5, 1.0]),
    "static_event_table_delivered_dense": (_static_event_table, [10.0, 20.0, 30.0]),
    "static_event_table_for_members": (_static_event_table_for_members, [10.0, 20.0, 30.0]),
    "rubin_terman_tm_dbs": (lambda s, v, seed: _rubin_terman_dbs(s, v, seed, "tm"),
                            [0.0, 5.0, 10.0]),
    "rubin_terman_stdp_dbs": (lambda s, v, seed: _rubin_terman_dbs(s, v, seed, "stdp"),
                              [0.0, 5.0, 10.0]),
    "synapse_weights_and_U": (_synapse_values, _Pairs([(0.005, 0.2), (0.01, 0.5),
                                                        (0.02, 0.8)])),
    "initial_v": (_initial_values, [-70.0, -60.0, -50.0]),
    "poisson_rates_through_an_assembly": (_poisson_rates, [20.0, 40.0, 80.0]),
    "dbs_frequency_amplitude": (_dbs_sweep, _Pairs([(50.0, 10.0), (130.0, 10.0),
                                                    (130.0, 30.0)])),
}
SEEDS = [7, 8, 9]


def _record_and_run(pops, t_stop):
    for pop in pops:
        pop.record(["spikes", "v"])
    sim.run(t_stop)


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_every_member_equals_its_separate_simulation(scenario):
    """Bitwise in float64: v of every recorded cell at every step and every spike time."""
    build, values = SCENARIOS[scenario]
    batched = (tuple(sim.Batch(list(column)) for column in zip(*values))
               if isinstance(values, _Pairs) else sim.Batch(values))
    pops, t_stop = build(sim, batched, sim.Batch(SEEDS))
    _record_and_run(pops, t_stop)
    if scenario == "static_event_table_for_members":       # the path the scenario is about
        from pynn_cbgtc_jax import simulator
        from pynn_cbgtc_jax.engine.delivery import _dense_for_members
        spec = simulator.state.simulation.spec
        n_cells = sum(p.size for p in spec.pops)
        assert not any(g.dense or _dense_for_members(g, n_cells) for g in spec.syns)
    ensemble = [[p.get_data(member=m).segments[0] for p in pops] for m in range(len(values))]
    for m, value in enumerate(values):
        singles, _ = build(sim, value, SEEDS[m])
        _record_and_run(singles, t_stop)
        for ours, single in zip(ensemble[m], singles):
            ref = single.get_data().segments[0]
            np.testing.assert_array_equal(ours.filter(name="v")[0].magnitude,
                                          ref.filter(name="v")[0].magnitude,
                                          err_msg=f"{scenario} member {m}")
            for a, b in zip(ours.spiketrains, ref.spiketrains):
                np.testing.assert_array_equal(a.magnitude, b.magnitude)
    sim.end()


def test_set_reset_and_a_second_run_do_not_recompile():
    """One program for the ensemble: set(Batch) with the same N, reset() and run() again
    reuse it (``TRACE_COUNT``), and the new values take effect."""
    (pop,), _ = _lif_poisson(sim, sim.Batch([10.0, 20.0]), sim.Batch([1, 2]))
    pop.record("spikes")
    sim.run(50.0)
    traces = TRACE_COUNT["chunk"]
    counts_before = [sum(pop.get_spike_counts(member=m).values()) for m in range(2)]
    pop.set(tau_m=sim.Batch([40.0, 5.0]))
    sim.reset()
    sim.run(50.0)
    sim.run(10.0)
    assert TRACE_COUNT["chunk"] == traces
    counts_after = [sum(pop.get_spike_counts(member=m).values()) for m in range(2)]
    assert counts_after != counts_before
    sim.end()


def test_data_has_one_segment_per_member_and_run_segment():
    """PyNN's layout per member (a new Segment after reset()), members in order, each
    annotated with its index and Batch values; ``member=i`` gives member i's Block alone."""
    (pop,), _ = _lif_poisson(sim, sim.Batch([10.0, 20.0, 30.0]), sim.Batch([1, 2, 3]))
    pop.record(["spikes", "v"])
    sim.run(20.0)
    sim.reset()
    sim.run(20.0)
    block = pop.get_data()
    assert len(block.segments) == 6
    assert [s.annotations["member"] for s in block.segments] == [0, 0, 1, 1, 2, 2]
    assert [s.annotations["rng_seed"] for s in block.segments] == [1, 1, 2, 2, 3, 3]
    label = f"{pop.label}.tau_m"
    assert [s.annotations[label] for s in block.segments] == [10.0, 10.0, 20.0, 20.0, 30.0,
                                                              30.0]
    one = pop.get_data(member=1)
    assert len(one.segments) == 2 and all(s.annotations["member"] == 1 for s in one.segments)
    np.testing.assert_array_equal(one.segments[1].filter(name="v")[0].magnitude,
                                  block.segments[3].filter(name="v")[0].magnitude)
    with pytest.raises(IndexError, match="3 members"):
        pop.get_data(member=3)
    sim.end()


def test_write_data_writes_every_member(tmp_path):
    import neo
    (pop,), _ = _lif_poisson(sim, sim.Batch([10.0, 20.0]), 1)
    pop.record("spikes")
    sim.run(20.0)
    path = str(tmp_path / "ens.pkl")
    pop.write_data(path)
    block = neo.io.PickleIO(path).read_block()
    assert [s.annotations["member"] for s in block.segments] == [0, 1]
    sim.end()


def test_grid_is_the_cartesian_product():
    g = sim.grid(frequency=[130.0, 180.0], seed=[1, 2, 3])
    assert g["frequency"].values == [130.0] * 3 + [180.0] * 3
    assert g["seed"].values == [1, 2, 3] * 2


def test_batches_of_different_lengths_are_refused():
    sim.setup(rng_seed=sim.Batch([1, 2, 3]))
    with pytest.raises(sim.errors.InvalidParameterValueError, match="3"):
        sim.Population(2, sim.IF_cond_exp(tau_m=sim.Batch([10.0, 20.0])))
    sim.end()


def test_a_batch_that_changes_the_structure_is_refused():
    """spike_times is structure (the event tables), not a number per cell."""
    sim.setup()
    with pytest.raises(sim.errors.InvalidParameterValueError, match="spike_times"):
        sim.Population(2, sim.SpikeSourceArray(spike_times=sim.Batch([[1.0], [2.0]])))
    sim.end()


def test_a_member_value_outside_the_allowed_range_names_the_member():
    sim.setup()
    with pytest.raises(sim.errors.InvalidParameterValueError, match="member 1"):
        sim.Population(2, sim.IF_cond_exp(tau_m=sim.Batch([10.0, -1.0])))
    sim.end()


def test_values_that_change_the_compiled_structure_are_refused_with_the_population():
    """AdEx integrates with substeps when its upswing is steep (v_spike far above v_thresh in
    units of delta_T): members on both sides of that cannot share one program."""
    sim.setup(timestep=0.1)
    pop = sim.Population(2, sim.EIF_cond_exp_isfa_ista(v_spike=sim.Batch([-40.0, 0.0])),
                         label="adex")
    pop.record("spikes")
    with pytest.raises(sim.errors.InvalidParameterValueError, match="adex.*substeps"):
        sim.run(1.0)
    sim.end()


def test_plastic_weights_are_read_back_per_member():
    """After a run each member's STDP weights are its own: equal to the separate simulation's
    (bitwise, float64); without ``member`` the differing values are refused, not averaged or
    taken from member 0."""
    values = [0.0, 1.0]
    _lif_stdp(sim, sim.Batch(values), sim.Batch(SEEDS[:2]))
    sim.run(200.0)
    prj = sim.simulator.state.projections[0]
    ours = [np.asarray(prj.get("weight", format="list", with_address=False, member=m))
            for m in range(2)]
    with pytest.raises(sim.errors.InvalidParameterValueError, match="member=i"):
        prj.get("weight", format="list")
    for m, value in enumerate(values):
        _lif_stdp(sim, value, SEEDS[m])
        sim.run(200.0)
        ref = sim.simulator.state.projections[0].get("weight", format="list",
                                                     with_address=False)
        np.testing.assert_array_equal(ours[m], np.asarray(ref))
    assert not np.array_equal(ours[0], ours[1])
    sim.end()


def test_recorded_currents_are_read_back_per_member():
    """A recorded source whose amplitude is a Batch: ``get_data(member=i)`` is member i's
    current, equal to the separate simulation's (the reference, bitwise); without ``member``
    the differing currents are refused (it gave member 0's, silently), while a source the
    same in every member is read as in one network."""
    def net(amplitude):
        sim.setup(timestep=0.1)
        cells = sim.Population(1, sim.IF_curr_exp())
        varied = sim.NoisyCurrentSource(mean=amplitude, stdev=0.1, dt=0.5, start=1.0)
        shared = sim.DCSource(amplitude=0.2, start=2.0)
        for source in (varied, shared):
            source.inject_into(cells)
            source.record()
        sim.run(20.0)
        return varied, shared
    values = [0.5, 0.7]
    varied, shared = net(sim.Batch(values))
    ours = [np.asarray(varied.get_data(member=m)) for m in range(2)]
    both = np.asarray(shared.get_data())
    with pytest.raises(sim.errors.InvalidParameterValueError, match="member=i"):
        varied.get_data()
    with pytest.raises(sim.errors.InvalidParameterValueError, match="member index"):
        varied.get_data(member=2)
    with pytest.raises(sim.errors.InvalidParameterValueError, match="member_value"):
        varied.mean                                   # it read member 0's
    assert [varied.member_value(m, "mean") for m in range(2)] == values
    assert shared.amplitude == 0.2
    for m, value in enumerate(values):
        single, single_shared = net(value)
        np.testing.assert_array_equal(ours[m], np.asarray(single.get_data()))
        np.testing.assert_array_equal(both, np.asarray(single_shared.get_data()))
    assert not np.array_equal(ours[0], ours[1])
    sim.end()


def test_parameters_and_spike_counts_are_read_back_per_member():
    """``Population.get(name, member=i)`` and ``get_spike_counts(member=i)`` /
    ``mean_spike_count(member=i)``: member i's values and counts, equal to the separate
    simulation's (the reference); a view reads its cells of the member.  Without ``member``
    a Batch parameter, or counts, that differ between members are refused (member 0's came
    back, silently); a parameter the same in every member reads as in one network; reading
    a member leaves the others' values as they were."""
    def net(tau_m, i_offset):
        sim.setup(timestep=0.1)
        cells = sim.Population(3, sim.IF_curr_exp(tau_m=tau_m, i_offset=i_offset, cm=0.5))
        cells.record("spikes")
        sim.run(100.0)
        return cells
    taus, currents = [10.0, 20.0], [[0.8, 1.0, 1.2], [1.5, 1.7, 1.9]]
    cells = net(sim.Batch(taus), sim.Batch(currents))
    ours = [(cells.get("tau_m", member=m), cells[1:].get("i_offset", member=m),
             cells.get_spike_counts(member=m), cells.mean_spike_count(member=m))
            for m in range(2)]
    assert cells.get("cm") == 0.5
    for call in (lambda: cells.get("tau_m"), lambda: cells.get(["cm", "i_offset"]),
                 cells.get_spike_counts, cells.mean_spike_count):
        with pytest.raises(sim.errors.InvalidParameterValueError, match="member=i"):
            call()
    with pytest.raises(sim.errors.InvalidParameterValueError, match="member index"):
        cells.get("tau_m", member=2)
    assert cells.get("tau_m", member=0) == 10.0         # member 1's read did not stay
    for m in range(2):
        single = net(taus[m], currents[m])
        expected = (single.get("tau_m"), single[1:].get("i_offset"),
                    single.get_spike_counts(), single.mean_spike_count())
        assert ours[m][0] == expected[0] and ours[m][2] == expected[2]
        np.testing.assert_array_equal(ours[m][1], expected[1])
        assert ours[m][3] == expected[3]
    assert ours[0][2] != ours[1][2]
    sim.end()


def test_the_memory_estimate_counts_every_member():
    """The carry and step terms of ``compiler.memory.estimate`` are per member: an ensemble of
    N members estimates N times one member's ring buffer and recording buffers (reference:
    the single network's own estimate, exact array sizes)."""
    from pynn_cbgtc_jax.compiler.memory import estimate
    estimates = {}
    for n in (1, 3):
        (pop,), _ = _lif_poisson(sim, sim.Batch([10.0 + k for k in range(n)]) if n > 1
                                 else 10.0, 1)
        pop.record(["spikes", "v"])
        sim.run(1.0)
        estimates[n] = estimate(sim.simulator.state.simulation.build)
        sim.end()
    for term in ("ring buffer (delayed inputs)", "recording buffers (one chunk)"):
        assert estimates[3][term] == 3 * estimates[1][term], term


def test_a_batch_of_delays_is_refused():
    sim.setup()
    a, b = sim.Population(2, sim.IF_cond_exp()), sim.Population(2, sim.IF_cond_exp())
    prj = sim.Projection(a, b, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.01))
    with pytest.raises(sim.errors.InvalidParameterValueError, match="delay.*ring buffer"):
        prj.set(delay=sim.Batch([1.0, 2.0]))
    sim.end()


def test_an_ensemble_too_large_for_the_device_runs_in_groups(monkeypatch, caplog):
    """With device memory for 2 of 4 members (the estimate's shared part + 2.5 members'), the
    ensemble runs as groups of 2 one after the other, says so once, and every member's data
    equals the all-at-once ensemble's bitwise (which equals separate runs: above).  With
    three CPU cores and the memory for all, it runs as groups of 2 on two threads at once,
    silently, with the same data."""
    from pynn_cbgtc_jax import simulation as simulation_module
    from pynn_cbgtc_jax.compiler import memory
    from pynn_cbgtc_jax.simulation import MemberGroups

    def run(free, cores):
        monkeypatch.setattr(simulation_module, "cpu_workers", lambda: cores)
        if free is not None:
            monkeypatch.setattr(memory, "free_device_bytes", lambda: (free, "test device"))
        (pop,), _ = _lif_poisson(sim, sim.Batch([10.0, 20.0, 30.0, 40.0]), sim.Batch(SEEDS + [10]))
        pop.record(["spikes", "v"])
        sim.run(50.0)
        sim.reset()
        sim.run(20.0)
        blocks = [pop.get_data(member=m) for m in range(4)]
        simulation = sim.simulator.state.simulation
        build = simulation.build
        sim.end()
        return blocks, simulation, build

    whole, simulation, build = run(None, 1)
    assert not isinstance(simulation, MemberGroups)
    with caplog.at_level("WARNING", logger="PyNN"):
        parallel, simulation, _ = run(None, 3)
    assert isinstance(simulation, MemberGroups)
    assert (simulation.size, simulation.workers, len(simulation.groups)) == (2, 2, 2)
    assert not caplog.records
    total = sum(memory.estimate(build).values())
    one = sum(memory.estimate(build.member_builds[0]).values())
    per_member = (total - one) / 3
    free = int((one - per_member + 2.5 * per_member) * memory.HEADROOM)
    with caplog.at_level("WARNING", logger="PyNN"):
        grouped, simulation, _ = run(free, 3)
    assert isinstance(simulation, MemberGroups) and simulation.size == 2
    assert simulation.workers == 1
    assert sum("groups of 2 members" in r.getMessage() for r in caplog.records) == 1
    for a, b, c in zip(whole, grouped, parallel):
        assert len(a.segments) == len(b.segments) == len(c.segments) == 2
        for sa, sb, sc in zip(a.segments, b.segments, c.segments):
            for other in (sb, sc):
                np.testing.assert_array_equal(sa.filter(name="v")[0].magnitude,
                                              other.filter(name="v")[0].magnitude)
                np.testing.assert_array_equal(
                    np.concatenate([st.magnitude for st in sa.spiketrains]),
                    np.concatenate([st.magnitude for st in other.spiketrains]))


@pytest.mark.parametrize("cores", [(1, 1), (2, 2), (2, 1)],
                         ids=["whole", "groups", "groups_then_whole"])
def test_an_ensemble_checkpoint_continues_every_member_bitwise(tmp_path, monkeypatch, cores):
    """run(30); checkpoint; a fresh setup() of the same ensemble; restore; run(20): every
    member's data equals an uninterrupted run(50)'s, bitwise (the single-network contract of
    tests/test_checkpoint.py, per member); a different Batch is refused.  ``cores``: the CPU
    cores when writing and when restoring -- with 2 the 3 members run as groups of 2 and 1
    on two threads (``MemberGroups``), whose checkpoint is the whole ensemble's."""
    from pynn_cbgtc_jax import simulation as simulation_module
    values, seeds = [10.0, 20.0, 30.0], sim.Batch([1, 2, 3])
    monkeypatch.setattr(simulation_module, "cpu_workers", lambda: cores[0])

    def build(tau):
        (pop,), _ = _lif_static(sim, sim.Batch(tau), seeds)
        pop.record(["spikes", "v"])
        return pop

    pop = build(values)
    sim.run(50.0)
    whole = [pop.get_data(member=m).segments[0] for m in range(3)]
    pop = build(values)
    sim.run(30.0)
    path = str(tmp_path / "ensemble.npz")
    sim.checkpoint(path)
    monkeypatch.setattr(simulation_module, "cpu_workers", lambda: cores[1])
    pop = build(values)
    sim.restore(path)
    sim.run(20.0)
    for m in range(3):
        seg = pop.get_data(member=m).segments[0]
        np.testing.assert_array_equal(seg.filter(name="v")[0].magnitude,
                                      whole[m].filter(name="v")[0].magnitude)
        for a, b in zip(seg.spiketrains, whole[m].spiketrains):
            np.testing.assert_array_equal(a.magnitude, b.magnitude)
    build([10.0, 20.0, 31.0])
    with pytest.raises(sim.CheckpointMismatchError, match="ensemble values|compiled arrays"):
        sim.restore(path)
    sim.end()


def test_a_plain_value_after_a_batch_holds_for_every_member():
    """``set``/``initialize``/``Projection.set`` with one value after a Batch of the same
    parameter give every member that value (reference: the host copies of each member's
    values, which the export reads)."""
    (pop,), _ = _lif_static(sim, sim.Batch([10.0, 20.0]), 1)
    prj = sim.simulator.state.projections[0]
    pop.initialize(v=sim.Batch([-70.0, -60.0]))
    prj.set(weight=sim.Batch([0.01, 0.02]))
    pop.set(tau_m=15.0)
    pop.initialize(v=-65.0)
    prj.set(weight=0.03)
    assert np.all(pop._batches["tau_m"] == 15.0)
    assert np.all(pop._initial_batches["v"] == -65.0)
    assert np.all(prj._batches["weight"] == 0.03)
    sim.end()


@pytest.mark.parametrize("bad", [0, 1])
def test_a_diverging_member_of_a_group_is_named_and_no_data_is_lost(monkeypatch, bad):
    """Two CPU cores: members 0 and 1 run as two groups side by side.  Member ``bad``'s absurd
    inhibitory weight makes its cells diverge at the input's arrival (t = 11.0-11.1 ms, as the
    single-network test in tests/test_engine_contracts.py); the error names that member -- its
    index in the ensemble, not in its group -- and the other member's data of the same chunk
    is routed before the error (finite and as long as the diverged member's)."""
    from pynn_cbgtc_jax import simulation as simulation_module
    monkeypatch.setattr(simulation_module, "cpu_workers", lambda: 2)
    sim.setup(timestep=0.1)
    cell = sim.Population(2, sim.IF_cond_exp(), label="unstable")
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[10.0]))
    sim.Projection(src, cell, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=sim.Batch([1e30 if m == bad else 0.01
                                                      for m in range(2)]), delay=1.0),
                   receptor_type="inhibitory")
    cell.record("v")
    with pytest.raises(sim.NumericalInstabilityError,
                       match=rf"'unstable'.* in ensemble member {bad}: .*t = 11\.[01]00 ms"):
        sim.run(30.0)
    assert isinstance(sim.simulator.state.simulation, simulation_module.MemberGroups)
    v_bad, v_good = (np.asarray(cell.get_data(member=m).segments[0].filter(name="v")[0])
                     for m in (bad, 1 - bad))
    assert v_good.shape == v_bad.shape and v_good.shape[0] >= 112
    assert np.all(np.isfinite(v_good))
    sim.end()
