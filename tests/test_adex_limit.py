"""AdEx limit case: with delta_T = 0 and a = b = 0, EIF_cond_exp_isfa_ista is IF_cond_exp.

Reference: NEST's test suite uses the same limit (aeif with Delta_T = a = b = 0 is an LIF).  The
two kernels share the conductance and RK4 code but not the right-hand side, so agreement to
1e-9 mV (float64) checks that the AdEx equations reduce correctly -- the exponential term, the
adaptation current and the threshold switch to v_thresh.
"""
import numpy as np

COMMON = dict(cm=0.25, tau_m=15.0, v_rest=-65.0, v_reset=-68.0, v_thresh=-52.0,
              tau_refrac=2.0, tau_syn_E=3.0, tau_syn_I=6.0, e_rev_E=0.0, e_rev_I=-75.0,
              i_offset=0.32)


def _run(sim, celltype, **extra):
    sim.setup(timestep=0.1, precision="float64")
    cell = sim.Population(1, celltype(**COMMON, **extra))
    cell.initialize(v=-65.0)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=np.arange(5.0, 200.0, 7.0)))
    sim.Projection(src, cell, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.01, delay=1.0))
    sim.Projection(src, cell, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.004, delay=4.0),
                   receptor_type="inhibitory")
    cell.record(["v", "spikes"])
    sim.run(300.0)
    seg = cell.get_data().segments[0]
    return np.asarray(seg.filter(name="v")[0])[:, 0], np.asarray(seg.spiketrains[0])


def test_adex_without_exponential_and_adaptation_is_if_cond_exp(sim):
    v_lif, s_lif = _run(sim, sim.IF_cond_exp)
    v_adex, s_adex = _run(sim, sim.EIF_cond_exp_isfa_ista, delta_T=0.0, a=0.0, b=0.0,
                          tau_w=100.0, v_spike=0.0)
    assert len(s_lif) > 5                     # the comparison covers spikes and resets
    np.testing.assert_array_equal(s_adex, s_lif)
    assert np.max(np.abs(v_adex - v_lif)) < 1e-9


def test_adaptation_slows_firing(sim):
    """With b > 0 each spike adds adaptation current, so fewer spikes than without (limit sanity)."""
    _, s0 = _run(sim, sim.EIF_cond_exp_isfa_ista, delta_T=2.0, a=0.0, b=0.0)
    _, s1 = _run(sim, sim.EIF_cond_exp_isfa_ista, delta_T=2.0, a=0.0, b=0.05)
    assert len(s1) < len(s0)
