"""HH_cond_exp and Izhikevich against pyNN.nest, and HH against a high-accuracy SciPy solve.

References and tolerances, with their reasons:

* Izhikevich vs NEST ``izhikevich`` (float64, dt = 0.1 ms): both take the same forward-Euler
  step (NEST's ``consistent_integration``), so only round-off differs -> spike steps identical,
  v and u within 1e-9 (we see ~2e-11 mV near the 30 mV cut-off, where v^2 amplifies round-off).
* HH_cond_exp vs NEST ``hh_cond_exp_traub`` (float64, dt = 0.1 ms; the float64 default is
  NEST's own RKF45 scheme, ``kernels/hh.py``): spike steps identical, also over 1 s of the
  validation suite's step protocol, whose peaks close to step boundaries moved 2 of 49 spikes
  by a step with the RK4 scheme (validation/findings.md, "hh-peak-detection"); v within
  1e-2 mV: the same RKF45 steps as NEST, so only round-off differs (measured 5e-9 mV in 200 ms,
  1e-7 mV in 1 s), unless round-off flips one accept/reject decision of the step-size control,
  after which the runs differ by about its tolerance (1e-3).  The conductances are integrated
  by the same RKF45 steps -> 1e-12 uS (measured 7e-18).
* HH_cond_exp vs ``scipy.integrate.solve_ivp`` (DOP853, rtol = atol = 1e-12) of the same
  equations: the RK4 scheme (10 substeps of 0.01 ms) within 0.05 mV over 8 spikes (measured
  0.010 mV); NEST's scheme, which controls only an absolute error of 1e-3 per RKF45 step, is
  ~0.65 mV from it at the spike peaks (dv/dt ~ 500 mV/ms; measured 0.644 mV) -> between 0.3 and
  1.5 mV, i.e. NEST's accuracy, not ours.
"""
import os

import numpy as np
import pytest

os.environ.setdefault("PYNEST_QUIET", "1")

DT = 0.1


def _nest():
    return pytest.importorskip("pyNN.nest", reason="nest-simulator is not installed")


def _setup(sim, nest_sim, dt=DT):
    if sim is nest_sim:
        sim.setup(timestep=dt, min_delay=0.1, spike_precision="on_grid", verbosity="error")
    else:
        sim.setup(timestep=dt, min_delay=0.1, precision="float64")


def _two_cells(sim, nest_sim, celltype, params, w_exc, w_inh, dc, steps, record):
    """Two cells: shared input spikes on both receptors, a DC pulse on one, a step current
    on the other (the protocol of ``test_vs_nest.py``)."""
    _setup(sim, nest_sim)
    cells = sim.Population(2, getattr(sim, celltype)(**params))
    exc = sim.Population(1, sim.SpikeSourceArray(spike_times=[5.0, 10.05, 20.0, 20.0, 50.0, 130.0]))
    inh = sim.Population(1, sim.SpikeSourceArray(spike_times=[15.0, 30.0, 140.0]))
    sim.Projection(exc, cells, sim.AllToAllConnector(), sim.StaticSynapse(weight=w_exc, delay=1.0))
    sim.Projection(inh, cells, sim.AllToAllConnector(), sim.StaticSynapse(weight=w_inh, delay=1.5),
                   receptor_type="inhibitory")
    cells[1:2].inject(sim.DCSource(amplitude=dc, start=60.0, stop=150.0))
    cells[0:1].inject(sim.StepCurrentSource(times=[100.0, 120.0], amplitudes=steps))
    cells.record(record)
    sim.run(200.0)
    seg = cells.get_data().segments[0]
    out = {name: seg.filter(name=name)[0] for name in record if name != "spikes"}
    out["spike_steps"] = [np.rint(np.asarray(s) / DT).astype(int) for s in seg.spiketrains]
    sim.end()
    return out


def _assert_same_spikes(a, b, minimum):
    assert sum(len(s) for s in a["spike_steps"]) >= minimum
    for x, y in zip(a["spike_steps"], b["spike_steps"]):
        np.testing.assert_array_equal(y, x)


@pytest.mark.nest
def test_izhikevich_matches_nest(sim):
    nest_sim = _nest()
    args = ("Izhikevich", dict(i_offset=0.005), 5.0, -5.0, 0.01, [0.01, -0.005],
            ["spikes", "v", "u"])
    ref = _two_cells(nest_sim, nest_sim, *args)
    ours = _two_cells(sim, nest_sim, *args)
    _assert_same_spikes(ref, ours, minimum=15)
    for name in ("v", "u"):
        assert ours[name].shape == ref[name].shape == (2001, 2)
        assert np.max(np.abs(np.asarray(ours[name]) - np.asarray(ref[name]))) < 1e-9
    assert str(ours["v"].units.dimensionality) == "mV"
    assert str(ours["u"].units.dimensionality) == "mV/ms"


@pytest.mark.nest
def test_hh_cond_exp_matches_nest(sim):
    nest_sim = _nest()
    args = ("HH_cond_exp", {}, 0.02, 0.02, 0.5, [0.3, -0.2],
            ["spikes", "v", "gsyn_exc", "gsyn_inh"])
    ref = _two_cells(nest_sim, nest_sim, *args)
    ours = _two_cells(sim, nest_sim, *args)
    _assert_same_spikes(ref, ours, minimum=6)
    assert ours["v"].shape == ref["v"].shape == (2001, 2)
    assert np.max(np.abs(np.asarray(ours["v"]) - np.asarray(ref["v"]))) < 1e-2
    for name in ("gsyn_exc", "gsyn_inh"):
        assert str(ours[name].units.dimensionality) == "uS"
        assert np.max(np.abs(np.asarray(ours[name]) - np.asarray(ref[name]))) < 1e-12


def _hh_step_protocol(sim, nest_sim):
    """validation/scripts/single_neuron.py's ``step`` protocol for HH_cond_exp: 1 s of a step
    current through sub-threshold, supra-threshold, negative and strong amplitudes."""
    _setup(sim, nest_sim)
    cell = sim.Population(1, sim.HH_cond_exp())
    cell.inject(sim.StepCurrentSource(times=[100.0, 300.0, 500.0, 650.0, 800.0, 900.0],
                                      amplitudes=[0.2, 0.5, -0.2, 1.0, 0.4, 0.0]))
    cell.record(["spikes", "v"])
    sim.run(1000.0)
    seg = cell.get_data().segments[0]
    v = np.asarray(seg.filter(name="v")[0])[:, 0]
    steps = np.rint(np.asarray(seg.spiketrains[0]) / DT).astype(int)
    sim.end()
    return v, steps


@pytest.mark.nest
def test_hh_step_protocol_one_second_spike_for_spike(sim):
    """Regression for validation/findings.md "hh-peak-detection": with RK4 (more accurate than
    NEST) 47 of these 49 spikes were on NEST's steps, because a spike is stamped at the step
    after the peak and two peaks lay within NEST's integration error of a step boundary.  With
    NEST's RKF45 scheme (the float64 default) all are, and v agrees to round-off (tolerance
    as in ``test_hh_cond_exp_matches_nest``)."""
    nest_sim = _nest()
    v_nest, s_nest = _hh_step_protocol(nest_sim, nest_sim)
    v_jax, s_jax = _hh_step_protocol(sim, nest_sim)
    assert len(s_nest) >= 45
    np.testing.assert_array_equal(s_jax, s_nest)
    assert np.max(np.abs(v_jax - v_nest)) < 1e-2


def _hh_rhs(i_offset, p):
    """The Traub–Miles equations in NumPy (PyNN units), for SciPy."""
    def f(t, y):
        v, m, h, n = y
        V = v - p["v_offset"]
        am = 0.32 * (13 - V) / np.expm1((13 - V) / 4)
        bm = 0.28 * (V - 40) / np.expm1((V - 40) / 5)
        ah = 0.128 * np.exp((17 - V) / 18)
        bh = 4 / (1 + np.exp((40 - V) / 5))
        an = 0.032 * (15 - V) / np.expm1((15 - V) / 5)
        bn = 0.5 * np.exp((10 - V) / 40)
        i_ion = (p["gbar_Na"] * m ** 3 * h * (v - p["e_rev_Na"])
                 + p["gbar_K"] * n ** 4 * (v - p["e_rev_K"]) + p["g_leak"] * (v - p["e_rev_leak"]))
        return [(i_offset - i_ion) / p["cm"], am - (am + bm) * m, ah - (ah + bh) * h,
                an - (an + bn) * n]
    return f


def _hh_vs_scipy(sim, **setup_kw):
    """100 ms of DC from PyNN's initial values; returns (v, spike steps, SciPy's v, params)."""
    from scipy.integrate import solve_ivp
    sim.setup(timestep=DT, precision="float64", **setup_kw)
    cell = sim.Population(1, sim.HH_cond_exp(i_offset=0.5))
    cell.record(["v", "spikes"])
    sim.run(100.0)
    seg = cell.get_data().segments[0]
    v = np.asarray(seg.filter(name="v")[0])[:, 0]
    spikes = np.asarray(seg.spiketrains[0])
    p = sim.HH_cond_exp.default_parameters
    t = DT * np.arange(v.size)
    init = sim.HH_cond_exp.default_initial_values
    ref = solve_ivp(_hh_rhs(0.5, p), (0.0, t[-1]), [init[k] for k in ("v", "m", "h", "n")],
                    t_eval=t, method="DOP853", rtol=1e-12, atol=1e-12).y[0]
    return v, np.rint(spikes / DT).astype(int), ref, p


def test_hh_matches_scipy_solution(sim):
    """No reset in HH, so the whole run is one ODE solve; PyNN's initial values m=0, h=1, n=0.
    The RK4 scheme (chosen explicitly: the float64 default is NEST's scheme)."""
    v, spikes, ref, p = _hh_vs_scipy(sim, integration_scheme="rk4")
    assert np.max(np.abs(v - ref)) < 0.05
    # NEST's rule: a spike at the end of the step in which v falls after reaching v_offset + 30
    peak = (ref[1:] >= p["v_offset"] + 30.0) & (ref[1:] < ref[:-1])
    first = np.flatnonzero(peak & ~np.r_[False, peak[:-1]]) + 1
    assert len(spikes) == 8
    np.testing.assert_array_equal(spikes, first)


def test_hh_nest_scheme_has_nests_accuracy(sim):
    """The float64 default, NEST's RKF45 with absolute tolerance 1e-3, is ~0.65 mV from the
    SciPy solution at the spike peaks (as NEST is): more than RK4's 0.01 mV, so the default is
    not RK4, and less than 1.5 mV; here the spike steps are still the exact solution's."""
    v, spikes, ref, p = _hh_vs_scipy(sim)
    assert 0.3 < np.max(np.abs(v - ref)) < 1.5
    rk4_v, rk4_spikes, _, _ = _hh_vs_scipy(sim, integration_scheme="rk4")
    np.testing.assert_array_equal(spikes, rk4_spikes)


def test_hh_scheme_choice_and_step_size_state(sim):
    """Kernel level: float64 -> NEST's scheme (the RKF45 step size h_ode is carried, 0 means
    "start with dt"), float32 -> RK4 (h_ode passed through), an explicit scheme wins, an unknown
    one is refused with the allowed names (``sim``: restores x64 mode afterwards)."""
    import jax
    import jax.numpy as jnp
    from pynn_cbgtc_jax.kernels import hh
    from pynn_cbgtc_jax.kernels.base import Drive

    jax.config.update("jax_enable_x64", True)

    def one_step(dtype, scheme=None):
        f = lambda x: jnp.asarray(x, dtype)                       # noqa: E731
        p = hh.Params(*map(f, (20.0, 6.0, 0.01, 0.2, -63.0, 50.0, -90.0, -65.0, 0.0, -80.0,
                               0.2, 2.0, 1.0)))
        s = hh.State(f(-65.0), f(0.0), f(1.0), f(0.0), f(0.0), f(0.0),
                     jnp.asarray(0, jnp.int32), f(0.0))
        zero = f(0.0)
        s1, _ = hh.step(hh.prepare(p, f(0.1)), s, Drive(zero, zero, zero, None, ()),
                        scheme=scheme)
        assert s1.v.dtype == dtype
        return float(s1.h_ode), float(s1.v)

    h64, v64 = one_step(jnp.float64)
    assert 0.0 < h64 <= 0.5                  # RKF45 proposes its next size (at most 5 dt)
    h32, v32 = one_step(jnp.float32)
    assert h32 == 0.0
    assert one_step(jnp.float64, "rk4")[0] == 0.0
    assert one_step(jnp.float32, "nest")[0] > 0.0
    assert abs(v64 - v32) < 1e-3             # one step from rest: both schemes agree
    with pytest.raises(ValueError, match="'nest', 'rk4'"):
        one_step(jnp.float64, "euler")


def test_hh_reset_restarts_nest_step_size(sim):
    """reset() restarts the RKF45 step size at dt as NEST's init_buffers_ does, so a second
    run after reset() repeats the first exactly."""
    sim.setup(timestep=DT, precision="float64")
    cell = sim.Population(1, sim.HH_cond_exp(i_offset=0.5))
    cell.record("v")
    sim.run(30.0)
    sim.reset()
    sim.run(30.0)
    segs = cell.get_data().segments
    v0, v1 = (np.asarray(s.filter(name="v")[0])[:, 0] for s in segs)
    np.testing.assert_array_equal(v0, v1)


def test_hh_initial_values_and_recordables(sim):
    """PyNN's names, defaults and recordables; initialize() of the gates reaches the kernel."""
    celltype = sim.HH_cond_exp()
    assert sorted(celltype.get_parameter_names()) == sorted(sim.HH_cond_exp.default_parameters)
    assert set(celltype.recordable) == {"spikes", "v", "gsyn_exc", "gsyn_inh"}
    sim.setup(timestep=DT)
    cells = sim.Population(3, celltype)
    cells.initialize(v=[-65.0, -70.0, -70.0], m=[0.0, 0.0, 0.1], h=[1.0, 1.0, 0.5],
                     n=[0.0, 0.0, 0.4])
    cells.record(["v", "gsyn_exc"])
    sim.run(5.0)
    data = cells.get_data().segments[0]
    v = np.asarray(data.filter(name="v")[0])
    assert v.shape == (51, 3) and data.filter(name="gsyn_exc")[0].shape == (51, 3)
    np.testing.assert_array_equal(v[0], [-65.0, -70.0, -70.0])
    assert np.all(np.isfinite(v))
    assert np.max(np.abs(v[:, 2] - v[:, 1])) > 1.0     # the gates' initial values act
