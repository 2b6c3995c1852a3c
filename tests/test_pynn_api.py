"""The PyNN namespace and object API, against PyNN's documented behaviour.

References: the list of names a PyNN backend exports (notes/pynn-backend-contract.md 1.1), the
semantics of get/set/len before a run (trap 10), Connection objects (trap 9), delay rounding
(trap 3) and Poisson statistics (mean and Fano factor of a Poisson process).
"""
import numpy as np
import pytest

NAMES = """setup end run run_until run_for reset initialize get_current_time get_time_step
get_min_delay get_max_delay num_processes rank Population PopulationView Assembly Projection
NumpyRNG GSLRNG RandomDistribution NativeRNG space Space create connect record record_v
record_gsyn set list_standard_models errors random
AllToAllConnector OneToOneConnector FixedProbabilityConnector DistanceDependentProbabilityConnector
IndexBasedProbabilityConnector DisplacementDependentProbabilityConnector FromListConnector
FromFileConnector FixedNumberPreConnector FixedNumberPostConnector FixedTotalNumberConnector
SmallWorldConnector CSAConnector CloneConnector ArrayConnector
IF_curr_exp IF_curr_alpha IF_cond_exp IF_cond_alpha EIF_cond_exp_isfa_ista
EIF_cond_alpha_isfa_ista SpikeSourceArray SpikeSourcePoisson StaticSynapse
DCSource StepCurrentSource ACSource NoisyCurrentSource""".split()


@pytest.mark.parametrize("name", NAMES)
def test_namespace(sim, name):
    assert hasattr(sim, name)


def test_list_standard_models(sim):
    models = sim.list_standard_models()
    for name in ("IF_curr_exp", "IF_cond_exp", "EIF_cond_alpha_isfa_ista", "SpikeSourcePoisson",
                 "SpikeSourceArray"):
        assert name in models


def test_state_queries(sim):
    sim.setup(timestep=0.05, min_delay=0.5, max_delay=4.0)
    assert sim.get_time_step() == 0.05
    assert sim.get_min_delay() == 0.5 and sim.get_max_delay() == 4.0
    assert sim.num_processes() == 1 and sim.rank() == 0
    sim.run_until(12.7)
    assert sim.get_current_time() == pytest.approx(12.7)


def test_auto_min_delay_is_the_smallest_delay(sim):
    a = sim.Population(2, sim.IF_curr_exp())
    sim.Projection(a, a, sim.AllToAllConnector(), sim.StaticSynapse(delay=0.5))
    sim.Projection(a, a, sim.AllToAllConnector(), sim.StaticSynapse(delay=2.0))
    assert sim.get_min_delay() == 0.5 and sim.get_max_delay() == 2.0


def test_projection_before_run_get_set_len(sim):
    pre = sim.Population(4, sim.IF_cond_exp())
    post = sim.Population(3, sim.IF_cond_exp())
    prj = sim.Projection(pre, post, sim.AllToAllConnector(),
                         sim.StaticSynapse(weight=0.01, delay=0.33))
    assert len(prj) == prj.size() == 12
    w = prj.get("weight", format="array")
    assert w.shape == (4, 3) and np.all(w == 0.01)
    np.testing.assert_allclose(prj.get("delay", format="array"), 0.3)   # rounded to the grid
    prj.set(weight=np.arange(12.0).reshape(4, 3) * 0.001)
    lst = prj.get(["weight"], format="list")
    assert sorted(round(x[2] * 1000) for x in lst) == list(range(12))
    c = prj[2]
    c.weight = 0.5
    assert prj.get("weight", format="array")[c.presynaptic_index, c.postsynaptic_index] == 0.5
    assert len(list(prj.connections)) == 12


def test_population_get_set_and_views(sim):
    p = sim.Population(5, sim.IF_cond_exp(tau_m=10.0))
    assert p.get("tau_m") == 10.0
    p[1:3].set(tau_m=30.0)
    np.testing.assert_allclose(p.get("tau_m"), [10, 30, 30, 10, 10])
    p.set(v_thresh=sim.RandomDistribution("uniform", low=-52.0, high=-48.0,
                                          rng=sim.NumpyRNG(3)))
    vt = p.get("v_thresh")
    assert np.all((vt >= -52) & (vt <= -48)) and np.unique(vt).size == 5


def test_assembly_records_and_merges(sim):
    a = sim.Population(2, sim.IF_cond_exp(i_offset=1.0), label="a")
    b = sim.Population(3, sim.IF_curr_exp(i_offset=1.0), label="b")
    asm = a + b
    asm.record(["spikes", "v"])
    sim.run(50.0)
    block = asm.get_data()
    assert len(block.segments[0].spiketrains) == 5
    assert sum(len(s) for s in block.segments[0].spiketrains) > 0


def test_poisson_source_rate_and_window(sim):
    sim.setup(timestep=0.1, rng_seed=11)
    n, rate = 200, 40.0
    src = sim.Population(n, sim.SpikeSourcePoisson(rate=rate, start=100.0, duration=1000.0))
    src.record("spikes")
    sim.run(1500.0)
    trains = src.get_data().segments[0].spiketrains
    counts = np.array([len(s) for s in trains])
    all_t = np.concatenate([np.asarray(s) for s in trains])
    assert all_t.min() > 100.0 and all_t.max() <= 1100.0
    # mean count 40 per cell: the population mean is within 5 standard errors of it, and the
    # Fano factor of a Poisson process is 1 (5 standard errors of a variance estimate: ~0.5)
    assert abs(counts.mean() - rate) < 5 * np.sqrt(rate / n)
    assert abs(counts.var() / counts.mean() - 1.0) < 0.5


def test_poisson_multiplicity_at_high_rate(sim):
    """rate x dt = 0.5: Bernoulli spiking would give 0.39 spikes/step; Poisson gives 0.5."""
    src = sim.Population(100, sim.SpikeSourcePoisson(rate=5000.0))
    src.record("spikes")
    sim.run(100.0)
    n = sum(len(s) for s in src.get_data().segments[0].spiketrains)
    expected = 100 * 5000.0 * 0.1
    assert abs(n - expected) < 5 * np.sqrt(expected)


def test_update_spike_source_array_between_runs(sim):
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[5.0, 15.0]))
    src.record("spikes")
    sim.run(10.0)
    src.set(spike_times=[5.0, 12.0, 18.0])
    sim.run(10.0)
    np.testing.assert_allclose(np.asarray(src.get_data().segments[0].spiketrains[0]),
                               [5.0, 12.0, 18.0])


def test_setup_again_resets_everything(sim):
    sim.Population(3, sim.IF_cond_exp())
    sim.run(5.0)
    sim.setup(timestep=0.1)
    assert sim.get_current_time() == 0.0
    p = sim.Population(2, sim.IF_cond_exp())
    assert int(p.first_id) == 0
