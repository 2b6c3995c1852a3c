"""The same PyNN script on pyNN.nest and on pynn_cbgtc_jax, compared number by number.

Reference: pyNN.nest 0.13 with NEST 3 in ``spike_precision="on_grid"`` mode (the fair
comparison for a fixed-step engine).  Deterministic inputs (SpikeSourceArray, DC and step
currents) and the same NumpyRNG seeds give the same network on both, so spike times must agree
exactly on the grid.  Voltage tolerances per model, with their reason:

* IF_curr_*: both integrate exactly -> 1e-9 mV (float64 round-off);
* IF_cond_*: our RK4 vs NEST's RKF45 (abs. tolerance 1e-3 on its own error estimate) -> 1e-3 mV;
* EIF_* (float64: NEST's own RKF45 sub-steps, kernels/adex.py): round-off, measured < 1e-8 mV,
  unless round-off flips one accept/reject decision of the step-size control, after which v
  differs by about the RKF45 tolerance (up to 4e-3 mV seen in 1 s runs) -> 1e-2 mV.
"""
import os

import numpy as np
import pytest

os.environ.setdefault("PYNEST_QUIET", "1")
nest_sim = pytest.importorskip("pyNN.nest", reason="nest-simulator is not installed")

pytestmark = pytest.mark.nest

V_TOL = {"IF_curr_exp": 1e-9, "IF_curr_alpha": 1e-9, "IF_cond_exp": 1e-3,
         "IF_cond_alpha": 1e-3, "EIF_cond_exp_isfa_ista": 1e-2, "EIF_cond_alpha_isfa_ista": 1e-2}


def _setup(sim, **kw):
    if sim is nest_sim:
        sim.setup(timestep=0.1, min_delay=0.1, spike_precision="on_grid", verbosity="error", **kw)
    else:
        sim.setup(timestep=0.1, min_delay=0.1, precision="float64", **kw)


def _single_cells(sim, celltype):
    _setup(sim)
    params = dict(tau_refrac=2.0)
    params.update({"cm": 0.2, "i_offset": 0.1} if celltype.startswith("IF")
                  else {"i_offset": 0.3})
    cells = sim.Population(2, getattr(sim, celltype)(**params))
    exc = sim.Population(1, sim.SpikeSourceArray(spike_times=[5.0, 10.05, 20.0, 20.0, 50.0]))
    inh = sim.Population(1, sim.SpikeSourceArray(spike_times=[15.0, 30.0]))
    cond = "cond" in celltype
    sim.Projection(exc, cells, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=0.02 if cond else 1.0, delay=1.0))
    sim.Projection(inh, cells, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=0.02 if cond else -1.0, delay=1.5),
                   receptor_type="inhibitory")
    cells[1:2].inject(sim.DCSource(amplitude=0.3 if celltype.startswith("EIF") else 0.6,
                                   start=60.0, stop=150.0))
    cells[0:1].inject(sim.StepCurrentSource(times=[100.0, 120.0], amplitudes=[0.4, -0.2]))
    cells.record(["spikes", "v"])
    sim.run(200.0)
    seg = cells.get_data().segments[0]
    v = np.asarray(seg.filter(name="v")[0])
    spikes = [np.asarray(s) for s in seg.spiketrains]
    sim.end()
    return v, spikes


@pytest.mark.parametrize("celltype", list(V_TOL))
def test_single_neuron_matches_nest(sim, celltype):
    v_nest, s_nest = _single_cells(nest_sim, celltype)
    v_jax, s_jax = _single_cells(sim, celltype)
    assert v_jax.shape == v_nest.shape == (2001, 2)
    assert sum(len(s) for s in s_nest) > 2                # spikes, resets, refractoriness tested
    for a, b in zip(s_nest, s_jax):
        np.testing.assert_array_equal(np.rint(a / 0.1), np.rint(b / 0.1))
    assert np.max(np.abs(v_jax - v_nest)) < V_TOL[celltype]


def _dc_one_second(sim, celltype):
    """validation/scripts/single_neuron.py's ``dc`` protocol: 0.8 nA from 100 to 900 ms."""
    _setup(sim)
    cell = sim.Population(1, getattr(sim, celltype)(tau_refrac=2.0))
    cell.inject(sim.DCSource(amplitude=0.8, start=100.0, stop=900.0))
    cell.record(["spikes", "v"])
    sim.run(1000.0)
    seg = cell.get_data().segments[0]
    v = np.asarray(seg.filter(name="v")[0])[:, 0]
    spikes = np.asarray(seg.spiketrains[0])
    sim.end()
    return v, spikes


@pytest.mark.parametrize("celltype", ["EIF_cond_exp_isfa_ista", "EIF_cond_alpha_isfa_ista"])
def test_adex_dc_one_second_spike_for_spike(sim, celltype):
    """Regression for validation/findings.md "adex-spike-step": 14 spikes in 1 s of regular
    firing, where resetting at the interpolated crossing (instead of inside NEST's RKF45
    sub-steps) moved the 11th and 14th spike by a step and v by 0.18 mV.  Now every spike is on
    NEST's step and v is within 0.02 mV between spikes: the same RKF45 steps as NEST, so only
    round-off differs (measured 4e-6 mV; up to 4e-3 mV where a round-off difference flips one
    accept/reject decision of the step-size control and the runs then differ by about the
    RKF45 tolerance, validation/findings.md).  "Between spikes" leaves out the 1 ms before each
    spike, the upswing, as
    validation/tolerances.toml does."""
    v_nest, s_nest = _dc_one_second(nest_sim, celltype)
    v_jax, s_jax = _dc_one_second(sim, celltype)
    assert len(s_nest) >= 10
    np.testing.assert_array_equal(np.rint(s_jax / 0.1), np.rint(s_nest / 0.1))
    between = np.ones(len(v_nest), bool)
    for k in np.rint(s_nest / 0.1).astype(int):      # v sample k is at t = k dt
        between[max(k - 10, 0):k + 1] = False
    assert np.max(np.abs(v_jax - v_nest)[between]) < 0.02


def _network(sim, seed=1234):
    """80 exc + 20 inh IF_cond_exp, recurrent FixedProbability, fixed input spike trains."""
    _setup(sim)
    rng = np.random.default_rng(seed)
    exc = sim.Population(80, sim.IF_cond_exp(tau_refrac=2.0, cm=0.2, v_rest=-60.0, v_reset=-60.0,
                                             v_thresh=-50.0, tau_syn_E=5.0, tau_syn_I=10.0,
                                             e_rev_I=-80.0), label="exc")
    inh = sim.Population(20, sim.IF_cond_exp(tau_refrac=2.0, cm=0.2, v_rest=-60.0,
                                             v_reset=-60.0, v_thresh=-50.0), label="inh")
    exc.initialize(v=rng.uniform(-60.0, -52.0, 80))
    inh.initialize(v=rng.uniform(-60.0, -52.0, 20))
    trains = [np.round(np.sort(rng.uniform(1.0, 300.0, 15)), 1) for _ in range(40)]
    src = sim.Population(40, sim.SpikeSourceArray(spike_times=trains))
    conn_rng = sim.NumpyRNG(seed=seed)
    syn_e = sim.StaticSynapse(weight=0.004, delay=1.0)
    syn_i = sim.StaticSynapse(weight=0.03, delay=1.5)
    sim.Projection(src, exc, sim.FixedProbabilityConnector(0.3, rng=conn_rng),
                   sim.StaticSynapse(weight=0.008, delay=1.0))
    sim.Projection(src, inh, sim.FixedProbabilityConnector(0.3, rng=conn_rng),
                   sim.StaticSynapse(weight=0.008, delay=1.0))
    for pre, syn, rec in ((exc, syn_e, "excitatory"), (inh, syn_i, "inhibitory")):
        for post in (exc, inh):
            sim.Projection(pre, post, sim.FixedProbabilityConnector(0.1, rng=conn_rng), syn,
                           receptor_type=rec)
    exc.record("spikes")
    inh.record("spikes")
    sim.run(300.0)
    result = [[np.asarray(s) for s in p.get_data().segments[0].spiketrains] for p in (exc, inh)]
    sim.end()
    return result


def test_network_spike_counts_match_nest(sim):
    nest_trains = _network(nest_sim)
    jax_trains = _network(sim)
    for pop_n, pop_j in zip(nest_trains, jax_trains):
        counts_n = np.array([len(s) for s in pop_n])
        counts_j = np.array([len(s) for s in pop_j])
        assert counts_n.sum() > 100                                # an active network
        # Same network, same inputs: the runs agree spike for spike for the first ~60 ms, then
        # a threshold grazed within NEST's RKF45 error tolerance (1e-3 mV) moves one spike by
        # a step and the recurrent network diverges.  The counts stay within 5 % per
        # population and per-neuron counts stay strongly correlated.
        assert abs(counts_j.sum() - counts_n.sum()) <= 0.05 * counts_n.sum()
        assert np.corrcoef(counts_n, counts_j)[0, 1] > 0.95


def test_network_first_60_ms_identical(sim):
    nest_trains = _network(nest_sim)
    jax_trains = _network(sim)
    for pop_n, pop_j in zip(nest_trains, jax_trains):
        for a, b in zip(pop_n, pop_j):
            np.testing.assert_array_equal(np.rint(a[a < 60.0] / 0.1), np.rint(b[b < 60.0] / 0.1))


def _arrival_steps(sim, times):
    """Per SpikeSourceArray time (one source and one IF_cond_exp cell each, delay 1 ms): the
    first sample with gsyn_exc > 0."""
    _setup(sim)
    src = sim.Population(len(times), sim.SpikeSourceArray(spike_times=[[t] for t in times]))
    cells = sim.Population(len(times), sim.IF_cond_exp())
    sim.Projection(src, cells, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.01, delay=1.0))
    cells.record("gsyn_exc")
    sim.run(max(times) + 5.0)
    g = np.asarray(cells.get_data().segments[0].filter(name="gsyn_exc")[0])
    sim.end()
    return np.argmax(g > 0, axis=0)


def test_spike_source_array_times_arrive_on_nests_steps(sim):
    """Reference: pyNN.nest.  Times a user writes, including ones where pyNN.nest's
    ``t - min_delay`` lands a hair above a grid point in binary (71.4 - 0.1 = 71.30000000000001:
    NEST delivers one step later than ceil(t/dt)) -- validation/findings.md "ssa-rounding"."""
    times = [0.3, 10.05, 20.7, 22.1, 30.3, 71.3, 71.4, 0.7 * 37, 0.7 * 101, 12.345]
    ours = _arrival_steps(sim, times)
    theirs = _arrival_steps(nest_sim, times)
    np.testing.assert_array_equal(ours, theirs)
    assert ours[6] == round(71.4 / 0.1) + 10 + 1      # the shifted one (sample = step + 1)
