"""Izhikevich_cond (sPyNNaker's extra model), declared in one file: ``kernels/izhikevich_cond.py``.

References:
* a SciPy solve (DOP853, rtol 1e-11) of the same equations with the reset as an event -- spike
  times and the convergence order of the explicit midpoint scheme;
* the closed form of the exponential conductance, ``g(t) = w exp(-(t - t_arrival)/tau)``;
* sPyNNaker's units: 1 nA of input is 1 mV/ms (``neuron_model_izh_impl.h``).
The model's PyNN contract (jit, vmap, float32/64, t = 0 sample, no recompile on ``set``, CUDA
lowering) is ``test_model_conformance.py``'s, which covers every registered model.
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import pynn_cbgtc_jax as sim

pytestmark = pytest.mark.unit

A, B, C, D = 0.02, 0.2, -65.0, 2.0


def _scipy_spikes(i_nA: float, t_stop: float, dt: float | None = None):
    """Spike times (ms) and v(t_stop) of dv/dt = 0.04 v^2 + 5 v + 140 - u + I (I in nA taken
    as mV/ms), du/dt = a (b v - u), reset at v = 30 mV, from v = -70, u = -14.  With ``dt``
    the reset happens as on a time grid: at the end of the step in which v crossed 30 mV (the
    crossing integrated on to it), and that is the spike time."""
    def rhs(t, y):
        v, u = y
        return [0.04 * v * v + 5.0 * v + 140.0 - u + i_nA, A * (B * v - u)]

    def peak(t, y):
        return y[0] - 30.0
    peak.terminal, peak.direction = True, 1

    t, y, spikes = 0.0, [-70.0, -14.0], []
    while t < t_stop:
        sol = solve_ivp(rhs, (t, t_stop), y, method="DOP853", rtol=1e-11, atol=1e-11,
                        events=peak)
        if sol.status == 1:                     # a spike: reset and go on
            t = float(sol.t_events[0][0])
            v, u = sol.y_events[0][0]
            if dt is not None:
                t_grid = np.ceil(t / dt - 1e-9) * dt
                if t_grid > t:
                    v, u = solve_ivp(rhs, (t, t_grid), [v, u], method="DOP853", rtol=1e-11,
                                     atol=1e-11).y[:, -1]
                t = t_grid
            spikes.append(t)
            y = [C, u + D]
        else:
            return np.array(spikes), float(sol.y[0, -1])
    return np.array(spikes), float(y[0])


def _run(dt: float, t_stop: float, **parameters):
    sim.setup(timestep=dt, precision="float64")
    pop = sim.Population(1, sim.Izhikevich_cond(a=A, b=B, c=C, d=D, **parameters))
    pop.record(["spikes", "v"])
    sim.run(t_stop)
    seg = pop.get_data().segments[0]
    v = np.asarray(seg.filter(name="v")[0].magnitude)[:, 0]
    spikes = np.asarray(seg.spiketrains[0].magnitude)
    sim.end()
    return spikes, v


def test_spike_times_follow_the_scipy_solve_in_spynnaker_units():
    """i_offset = 10 nA taken as 10 mV/ms (sPyNNaker's units; on a 1 pF membrane it would be
    10 000 mV/ms and fire every step).  Reference: the SciPy solve with the reset on the same
    time grid (dt = 0.01 ms), over 300 ms.  The first spikes land on its steps; every ISI is
    within 2 steps of its ISI (measured: at most 2; one step for a crossing that lands on the
    next step, the second for the scheme's O(dt^2) error on a 19 ms ISI, 0.1 % of it), so the
    19 spikes drift apart by at most 0.05 ms."""
    dt = 0.01
    ref, _ = _scipy_spikes(10.0, 300.0, dt=dt)
    ours, _ = _run(dt, 300.0, i_offset=10.0)
    assert len(ref) >= 8
    assert len(ours) == len(ref), (ours, ref)
    np.testing.assert_array_equal(ours[:5], ref[:5])
    assert np.max(np.abs(np.diff(ours) - np.diff(ref))) <= 2 * dt + 1e-9, (ours, ref)


def test_midpoint_scheme_converges_with_order_two():
    """v at 8 ms, in the upswing before the first spike (I = 4 nA, first spike at 9.1 ms), at
    dt = 0.1, 0.05, 0.025 ms against the SciPy solve: errors 0.049, 0.013, 0.0032 mV (measured),
    falling by ~4 per halving -- fitted order in [1.8, 2.2], the asymptotic regime of a
    second-order method (the reference is ~1e-9 mV accurate)."""
    ref_spikes, v_ref = _scipy_spikes(4.0, 8.0)
    assert len(ref_spikes) == 0
    errors = []
    for dt in (0.1, 0.05, 0.025):
        spikes, v = _run(dt, 8.0, i_offset=4.0)
        assert len(spikes) == 0
        errors.append(abs(v[-1] - v_ref))
    order = np.polyfit(np.log([0.1, 0.05, 0.025]), np.log(errors), 1)[0]
    assert 1.8 <= order <= 2.2, (errors, order)


def test_conductance_is_the_closed_form_exponential():
    """A spike of weight 0.002 uS arriving at 5 ms (sent at 4 ms, delay 1 ms): the recorded
    gsyn_exc is 0.002 exp(-(t - 5)/tau_syn_E) from then on, and 0 before (float64, 1e-12
    relative: one multiplication by exp(-dt/tau) per step)."""
    sim.setup(timestep=0.1, precision="float64")
    pop = sim.Population(1, sim.Izhikevich_cond(tau_syn_E=3.0))
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[4.0]))
    sim.Projection(src, pop, sim.OneToOneConnector(),
                   sim.StaticSynapse(weight=0.002, delay=1.0), receptor_type="excitatory")
    pop.record(["gsyn_exc", "v"])
    sim.run(30.0)
    seg = pop.get_data().segments[0]
    g = np.asarray(seg.filter(name="gsyn_exc")[0].magnitude)[:, 0]
    v = np.asarray(seg.filter(name="v")[0].magnitude)[:, 0]
    sim.end()
    t = np.arange(g.size) * 0.1
    after = t >= 5.0 - 1e-9
    assert np.all(g[~after] == 0.0)
    np.testing.assert_allclose(g[after], 0.002 * np.exp(-(t[after] - 5.0) / 3.0), rtol=1e-12)
    # the excitatory conductance (E = 0 mV) depolarises the cell, which rests at -70 mV without it
    assert np.all(v[t <= 5.0 + 1e-9] == -70.0) and v[after][1] > -70.0


def test_parameters_are_checked_at_the_pynn_boundary():
    """The declared ranges reach the PyNN layer without code of their own (tau_syn_E > 0)."""
    sim.setup(timestep=0.1)
    with pytest.raises(sim.errors.InvalidParameterValueError, match="tau_syn_E"):
        sim.Population(2, sim.Izhikevich_cond(tau_syn_E=0.0))
    sim.end()
