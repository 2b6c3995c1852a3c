"""AdEx limit case: with delta_T = 0 and a = b = 0, EIF_cond_exp_isfa_ista is IF_cond_exp.

Reference: NEST's test suite uses the same limit (aeif with Delta_T = a = b = 0 is an LIF).
Agreement to 1e-9 mV (float64) checks that the AdEx equations reduce correctly -- the
exponential term, the adaptation current and the threshold switch to v_thresh -- for both AdEx
schemes (kernels/adex.py): NEST's RKF45 scheme (the float64 default), whose steps grow to the
whole dt on this linear problem, so that one 5th-order step per dt differs from IF_cond_exp's
RK4 step by ~1e-11 mV; and the RK4 scheme (the float32 default), which shares IF_cond_exp's
conductance and RK4 code.
"""
import jax
import jax.numpy as jnp
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
    """With b > 0 each spike adds adaptation current, so fewer spikes than without (limit
    sanity)."""
    _, s0 = _run(sim, sim.EIF_cond_exp_isfa_ista, delta_T=2.0, a=0.0, b=0.0)
    _, s1 = _run(sim, sim.EIF_cond_exp_isfa_ista, delta_T=2.0, a=0.0, b=0.05)
    assert len(s1) < len(s0)


def test_rk4_scheme_without_exponential_and_adaptation_is_if_cond_exp(sim):
    """The same limit for the RK4 scheme, kernel against kernel (float64, 3000 steps, DC and
    synaptic input, spikes and refractoriness included)."""
    from pynn_cbgtc_jax.kernels import adex, lif_cond
    from pynn_cbgtc_jax.kernels.base import Drive
    jax.config.update("jax_enable_x64", True)          # the sim fixture restores it
    f = jnp.float64
    lif_p = lif_cond.Params(**{k: f(COMMON[k]) for k in lif_cond.Params._fields})
    ad_p = adex.Params(**{k: f(COMMON[k]) for k in adex.Params._fields if k in COMMON},
                       v_spike=f(0.0), a=f(0.0), b=f(0.0), delta_T=f(0.0), tau_w=f(100.0))
    lif_c, ad_c = lif_cond.prepare_exp(lif_p, 0.1), adex.prepare_exp(ad_p, 0.1)
    zero = f(0.0)
    lif_s = lif_cond.ExpState(f(-65.0), zero, zero, jnp.int32(0))
    ad_s = adex.ExpState(f(-65.0), zero, zero, zero, jnp.int32(0), zero)
    n_spikes, max_dv = 0, 0.0
    for k in range(3000):
        d = Drive(f(0.01 if k % 70 == 0 else 0.0), f(0.004 if k % 90 == 0 else 0.0), zero)
        lif_s, s1 = lif_cond.step_exp(lif_c, lif_s, d)
        ad_s, s2 = adex.step_exp_rk4(ad_c, ad_s, d)
        assert bool(s1) == bool(s2)
        n_spikes += int(s1)
        max_dv = max(max_dv, abs(float(lif_s.v - ad_s.v)))
    assert n_spikes > 5
    assert max_dv < 1e-9


def test_scheme_follows_precision_and_reset_restarts_step_size(sim):
    """float64 runs NEST's scheme, whose RKF45 step size ``h_ode`` is state and must restart
    from dt at reset() (as NEST's IntegrationStep_): run, reset, run is bitwise equal.  float32
    runs the RK4 scheme, which leaves ``h_ode`` at 0."""
    from pynn_cbgtc_jax.kernels import adex
    from pynn_cbgtc_jax.kernels.base import Drive
    p = {k: 1.0 for k in adex.Params._fields}
    p.update(v_spike=-40.0, v_thresh=-50.0, v_reset=-60.0, v_rest=-65.0, delta_T=2.0,
             tau_m=10.0, tau_w=100.0, a=2.0, b=0.05, cm=0.25, tau_refrac=2.0, i_offset=0.0,
             e_rev_E=0.0, e_rev_I=-80.0, tau_syn_E=5.0, tau_syn_I=5.0)
    for dtype, nest_scheme in ((jnp.float64, True), (jnp.float32, False)):
        jax.config.update("jax_enable_x64", dtype == jnp.float64)
        c = adex.prepare_exp(adex.Params(**{k: dtype(v) for k, v in p.items()}), 0.1)
        zero = dtype(0.0)
        s = adex.ExpState(dtype(-65.0), zero, zero, zero, jnp.int32(0), zero)
        d = Drive(zero, zero, dtype(0.5))
        assert (float(adex.step_exp(c, s, d)[0].h_ode) > 0.0) == nest_scheme
        assert float(adex.step_exp(c, s, d, scheme="nest")[0].h_ode) > 0.0   # forced
        assert float(adex.step_exp(c, s, d, scheme="rk4")[0].h_ode) == 0.0
    sim.setup(timestep=0.1, precision="float64")
    cell = sim.Population(1, sim.EIF_cond_exp_isfa_ista(tau_refrac=2.0, i_offset=0.8))
    cell.record(["v", "spikes"])
    sim.run(150.0)
    sim.reset()
    sim.run(150.0)
    first, second = cell.get_data().segments
    assert len(first.spiketrains[0]) >= 3
    np.testing.assert_array_equal(np.asarray(first.spiketrains[0]),
                                  np.asarray(second.spiketrains[0]))
    np.testing.assert_array_equal(np.asarray(first.filter(name="v")[0]),
                                  np.asarray(second.filter(name="v")[0]))


def test_setup_integration_scheme_selects_the_integration(sim):
    """setup(integration_scheme=...) reaches the kernel.  Reference: the defaults of each precision
    (NEST's scheme in float64, RK4 in float32, checked above): naming the default scheme gives
    bitwise the same spikes, naming the other one gives different spike steps on this
    protocol (1 s of DC, where the schemes put 2 of 17 spikes on different steps); a wrong
    value is refused, naming it."""
    import pytest
    from pyNN import errors

    def spikes(**setup):
        sim.setup(timestep=0.1, **setup)
        cell = sim.Population(1, sim.EIF_cond_exp_isfa_ista(tau_refrac=2.0, i_offset=0.8))
        cell.record("spikes")
        sim.run(1000.0)
        return np.asarray(cell.get_data().segments[0].spiketrains[0])

    for precision, default, other in (("float64", "nest", "rk4"), ("float32", "rk4", "nest")):
        base = spikes(precision=precision)
        np.testing.assert_array_equal(spikes(precision=precision, integration_scheme=default), base)
        changed = spikes(precision=precision, integration_scheme=other)
        assert len(changed) != len(base) or np.abs(changed - base).max() > 0.05
    with pytest.raises(errors.InvalidParameterValueError, match="integration_scheme='euler'"):
        sim.setup(integration_scheme="euler")
