"""Current-based LIF neurons against their closed-form subthreshold solutions.

Reference: the linear ODEs solved by hand (exponential and alpha synaptic currents, constant
i_offset).  The kernels use exact propagators, so in float64 only round-off remains: the
tolerance 1e-6 mV (asked for by the design) leaves 4-5 orders of magnitude of margin over the
~1e-11 mV round-off we see.
"""
import numpy as np
import pytest

TAU_M, CM, V_REST, I_OFFSET = 20.0, 0.5, -65.0, 0.2
W, T_SPIKE, DELAY = 0.4, 10.0, 1.5


def _membrane_step_response(t):
    return V_REST + I_OFFSET * TAU_M / CM * (1 - np.exp(-t / TAU_M))


def _psp_exp(s, tau_s):
    s = np.maximum(s, 0.0)
    return W / CM * tau_s * TAU_M / (TAU_M - tau_s) * (np.exp(-s / TAU_M) - np.exp(-s / tau_s))


def _psp_alpha(s, tau_s):
    # current w e s/tau exp(-s/tau) filtered by the membrane
    s = np.maximum(s, 0.0)
    a = 1.0 / tau_s - 1.0 / TAU_M
    return (W * np.e / (CM * tau_s) * np.exp(-s / TAU_M)
            * (1 - np.exp(-a * s) * (1 + a * s)) / a ** 2)


def _run(sim, celltype, tau_s, dt):
    sim.setup(timestep=dt, precision="float64")
    cell = sim.Population(1, celltype(tau_m=TAU_M, cm=CM, v_rest=V_REST, i_offset=I_OFFSET,
                                      tau_syn_E=tau_s, v_thresh=0.0))
    cell.initialize(v=V_REST)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[T_SPIKE]))
    sim.Projection(src, cell, sim.AllToAllConnector(), sim.StaticSynapse(weight=W, delay=DELAY))
    cell.record("v")
    sim.run(80.0)
    v = cell.get_data().segments[0].filter(name="v")[0]
    return np.asarray(v.times), np.asarray(v)[:, 0]


@pytest.mark.parametrize("dt", [0.1, 0.05])
@pytest.mark.parametrize("tau_s", [5.0, 2.0, 20.0])   # 20 = tau_m: the propagator's singular case
def test_if_curr_exp_matches_closed_form(sim, dt, tau_s):
    t, v = _run(sim, sim.IF_curr_exp, tau_s, dt)
    expected = _membrane_step_response(t) + _psp_exp(t - T_SPIKE - DELAY, tau_s) \
        if tau_s != TAU_M else _membrane_step_response(t) + W / CM * np.maximum(
            t - T_SPIKE - DELAY, 0) * np.exp(-np.maximum(t - T_SPIKE - DELAY, 0) / TAU_M)
    assert t.size == int(round(80.0 / dt)) + 1          # t/dt + 1 samples, t = 0 included
    assert np.max(np.abs(v - expected)) < 1e-6


@pytest.mark.parametrize("tau_s", [0.5, 3.0])
def test_if_curr_alpha_matches_closed_form(sim, tau_s):
    t, v = _run(sim, sim.IF_curr_alpha, tau_s, 0.1)
    expected = _membrane_step_response(t) + _psp_alpha(t - T_SPIKE - DELAY, tau_s)
    assert np.max(np.abs(v - expected)) < 1e-6


def test_psp_starts_one_step_after_arrival(sim):
    """NEST's convention: a spike at t_s with delay d first moves v at t_s + d + dt."""
    t, v = _run(sim, sim.IF_curr_exp, 5.0, 0.1)
    base = _membrane_step_response(t)
    arrival = int(round((T_SPIKE + DELAY) / 0.1))
    assert abs(v[arrival] - base[arrival]) < 1e-9
    assert v[arrival + 1] - base[arrival + 1] > 1e-4
