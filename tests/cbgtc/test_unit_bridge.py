"""The bridge between PyNN units (nA, µS) and the kernels' densities (µA/cm², mS/cm²).

* A PyNN population run equals the kernel's own ``simulate`` with the current converted by
  ``I [µA/cm²] = I [nA] * 1e-3 / area [cm²]`` (float64, same dt): this proves the conversion,
  the alignment of electrode currents with steps, and that the adapter integrates the same
  equations as the kernel.
* A single input spike's conductance is ``w exp(-(t - t_arrival)/tau_syn)`` (closed form).
* Limit case: a conductance with a far reversal and no decay is a current ``g E`` nA, and acts
  as a DC source of that amplitude through the same conversion.
* The same two for GP at dt = 0.05 ms, where it integrates with ``gp.step_exponential``.
"""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pynn_cbgtc_jax.kernels import gp, stn, tc

DT = 0.025
T_STOP = 300.0


def _kernel_run(kernel, pop, i_nA, dt=DT, simulate=None):
    """The kernel alone: parameters and initial state from the PyNN population, current in
    µA/cm² from the nA trace ``i_nA`` (one value per step); ``simulate`` defaults to the
    kernel's ``simulate``."""
    names = list(kernel.Params._fields) + ["area", "i_offset"]
    p = dict(zip(names, pop.get(names, simplify=True)))
    params = kernel.Params(**{k: jnp.float64(p[k]) for k in kernel.Params._fields})
    init = pop.celltype.default_initial_values
    pynn_name = pop.celltype.kernel.initial
    state = kernel.State(*[jnp.float64(init[pynn_name[f]]) for f in kernel.State._fields])
    density = (p["i_offset"] + i_nA) * (1e5 / p["area"])      # nA -> µA/cm² (area in µm²)
    _, v, spiked = jax.jit(simulate or kernel.simulate)(params, state, dt, jnp.asarray(density))
    return np.asarray(v), np.asarray(spiked)


def test_pynn_population_equals_kernel_simulate(cbgtc):
    """Reference: ``kernels.{stn,gp,tc}.simulate`` with the same parameters, initial state and
    current (float64, dt = 0.025 ms, 300 ms, each cell spiking).  Non-default areas and an
    ``i_offset`` exercise the conversion.  Without synaptic input the adapter performs the
    kernel's arithmetic, so the only differences are XLA's operation fusion in two different
    programs (float64 ulps, ~1e-13 mV, amplified on spike upstrokes): tolerance 1e-8 mV, and
    identical spike steps."""
    sim = cbgtc
    sim.setup(timestep=DT, precision="float64")
    cases = {
        stn: sim.Population(1, sim.STN_RT2004(area=5000.0, i_offset=0.05)),
        gp: sim.Population(1, sim.GPi_RT2004(area=20000.0, i_offset=-0.1)),
        tc: sim.Population(1, sim.TC_RT2004(area=12000.0)),
    }
    steps = int(round(T_STOP / DT))
    currents = {  # nA per step: step k uses the value in force at its start k*dt
        stn: np.where(np.arange(steps) * DT >= 100.0, 0.4, 0.0),
        gp: np.full(steps, 0.3),
        tc: np.where((np.arange(steps) * DT) % 50.0 < 5.0, 0.6, 0.0),
    }
    sim.StepCurrentSource(times=[100.0], amplitudes=[0.4]).inject_into(cases[stn])
    sim.DCSource(amplitude=0.3).inject_into(cases[gp])
    sim.DBSSource(amplitude=0.6, frequency=20.0, pulse_width=5.0).inject_into(cases[tc])
    for pop in cases.values():
        pop.record(["spikes", "v"])
    sim.run(T_STOP)
    for kernel, pop in cases.items():
        seg = pop.get_data().segments[0]
        v_pynn = np.asarray(seg.filter(name="v")[0].magnitude)[1:, 0]   # sample k+1: end of step k
        v_kernel, spiked = _kernel_run(kernel, pop, currents[kernel])
        assert spiked.sum() >= 2, kernel.__name__
        np.testing.assert_allclose(v_pynn, v_kernel, rtol=0, atol=1e-8, err_msg=kernel.__name__)
        t_spikes = np.asarray(seg.spiketrains[0].magnitude)
        np.testing.assert_allclose(t_spikes, (np.nonzero(spiked)[0] + 1) * DT, atol=1e-9)


@pytest.mark.parametrize("receptor, tau", [("excitatory", 2.0), ("inhibitory", 7.5)])
def test_single_spike_conductance_is_w_exp(cbgtc, receptor, tau):
    """Reference: closed form ``g(t) = w exp(-(t - t_a)/tau)`` for t >= t_a, 0 before, where
    t_a = spike time + delay (10 + 1.5 ms, both on the grid).  The conductance is advanced by
    the exact factor exp(-dt/tau) per step, so the only error is float64 rounding over 4000
    steps (< 1e-12 relative)."""
    sim = cbgtc
    sim.setup(timestep=DT, precision="float64")
    w = 0.0123                                              # µS
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[10.0]))
    cell = sim.Population(1, sim.TC_RT2004(**{f"tau_syn_{receptor[0].upper()}": tau}))
    sim.Projection(src, cell, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=w, delay=1.5), receptor_type=receptor)
    name = "gsyn_exc" if receptor == "excitatory" else "gsyn_inh"
    cell.record(name)
    sim.run(100.0)
    g = cell.get_data().segments[0].filter(name=name)[0]
    t = g.times.rescale("ms").magnitude
    g = np.asarray(g.magnitude)[:, 0]
    t_a = 11.5
    before = t < t_a - DT / 2
    assert np.all(g[before] == 0.0)
    expected = w * np.exp(-(t[~before] - t_a) / tau)
    np.testing.assert_allclose(g[~before], expected, rtol=1e-12, atol=0)


def test_far_reversal_conductance_acts_as_a_current_in_nA(cbgtc):
    """Limit case: with ``e_rev_E`` = 1e9 mV and ``tau_syn_E`` = 1e12 ms, a conductance ``g``
    after arrival is the constant current ``g (E - v)`` = ``g E (1 - v/E)`` nA, i.e. ``g E`` to
    a relative 1e-7 (|v| < 100 mV).  It must act as a DCSource of ``g E`` = 0.5 nA switched on
    at the arrival: the synaptic current passes through the same nA -> µA/cm² conversion.
    Tolerance 1e-3 mV: at E = 1e7 mV the 1e-5 relative difference gave 2.4e-3 mV at the spike
    upstroke (dv/dt ~ 100 mV/ms turns a tiny delay into mV); it scales with 1/E (measured
    2.4e-5 mV here)."""
    sim = cbgtc
    sim.setup(timestep=DT, precision="float64")
    v_syn, v_dc = _far_reversal_vs_dc(sim, sim.TC_RT2004, pulse=(21.0, 26.0))
    assert v_dc.max() > -20.0                               # the pulse made the relay spike
    np.testing.assert_allclose(v_syn, v_dc, rtol=0, atol=1e-3)


def _far_reversal_vs_dc(sim, celltype, pulse):
    """v of a cell with a 0.5e-9 µS conductance at e_rev_E = 1e9 mV (0.5 nA) switched on by a
    spike at 20 ms (acting from 21 ms) and off by a DC of -0.5 nA at ``pulse[1]``, and of a cell
    with a 0.5 nA DC pulse over ``pulse``."""
    E, g = 1e9, 0.5e-9                                      # mV, µS: g E = 0.5 nA
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[20.0]))
    syn_cell = sim.Population(1, celltype(e_rev_E=E, tau_syn_E=1e12))
    dc_cell = sim.Population(1, celltype())
    sim.Projection(src, syn_cell, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=g, delay=1.0), receptor_type="excitatory")
    # the conductance arrives at the end of the step ending at 21 ms: it acts from the next step
    sim.DCSource(amplitude=g * E, start=pulse[0], stop=pulse[1]).inject_into(dc_cell)
    sim.DCSource(amplitude=-g * E, start=pulse[1]).inject_into(syn_cell)
    for pop in (syn_cell, dc_cell):
        pop.record(["v", "spikes"])
    sim.run(100.0)
    return tuple(np.asarray(p.get_data().segments[0].filter(name="v")[0].magnitude)[:, 0]
                 for p in (syn_cell, dc_cell))


def test_gp_above_rk4_limit_equals_kernel_simulate_exponential(cbgtc):
    """Reference: ``gp.simulate_exponential`` (float64, dt = 0.05 ms > gp.DT_MAX, 300 ms, GPi
    with a non-default area, i_offset and a DC source).  Without synaptic input the adapter's
    exponential step is the kernel's, its synaptic terms adding exact zeros (the membrane
    reversal is rebuilt as ``G v_inf / G``, a rounding); measured 7e-12 mV.  Tolerance
    1e-8 mV, as for RK4, and identical spike steps."""
    sim = cbgtc
    dt = gp.DT_MAX_EXPONENTIAL
    sim.setup(timestep=dt, precision="float64")
    pop = sim.Population(1, sim.GPi_RT2004(area=20000.0, i_offset=-0.1))
    sim.DCSource(amplitude=0.3).inject_into(pop)
    pop.record(["spikes", "v"])
    sim.run(T_STOP)
    seg = pop.get_data().segments[0]
    v_pynn = np.asarray(seg.filter(name="v")[0].magnitude)[1:, 0]
    steps = int(round(T_STOP / dt))
    v_kernel, spiked = _kernel_run(gp, pop, np.full(steps, 0.3), dt, gp.simulate_exponential)
    assert spiked.sum() >= 10
    np.testing.assert_allclose(v_pynn, v_kernel, rtol=0, atol=1e-8)
    np.testing.assert_allclose(np.asarray(seg.spiketrains[0].magnitude),
                               (np.nonzero(spiked)[0] + 1) * dt, atol=1e-9)


def test_gp_exponential_far_reversal_conductance_acts_as_a_current(cbgtc):
    """Limit case of ``test_far_reversal_conductance_acts_as_a_current_in_nA`` for GP at
    dt = 0.05 ms, where the synaptic conductance joins the membrane conductance of the
    exponential scheme: ``g`` = 0.5e-9 µS at ``e_rev_E`` = 1e9 mV adds 5e-9 mS/cm² to ``G`` and
    0.5 nA (5 µA/cm²) to ``G v_inf``, so it must act as a 0.5 nA DC source.  The Parkinsonian
    GPe is silent; the 10 ms pulse makes it spike.  Tolerance 1e-3 mV as for TC (the
    difference is the 1e-7 relative ``v/E`` term and the 5e-9 mS/cm², amplified on the
    upstroke)."""
    sim = cbgtc
    sim.setup(timestep=gp.DT_MAX_EXPONENTIAL, precision="float64")
    v_syn, v_dc = _far_reversal_vs_dc(sim, sim.GPe_RT2004.parkinsonian, pulse=(21.0, 31.0))
    assert v_dc.max() > -20.0                               # the pulse made the cell spike
    np.testing.assert_allclose(v_syn, v_dc, rtol=0, atol=1e-3)
