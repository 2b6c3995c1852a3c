"""Current sources against closed forms and PyNN's timing conventions.

References: an IF_curr_exp membrane driven by a piecewise-constant current has the closed form
v = v_rest + R I (1 - exp(-s/tau_m)) on each piece (exact integration: float64 tolerance 1e-9 mV);
the AC waveform is offset + A sin(2 pi f (t - start) + phase); noise statistics are checked
against their mean/stdev with 5-sigma tolerances.
"""
import numpy as np
import pytest

TAU_M, CM, V_REST = 20.0, 1.0, -65.0
R = TAU_M / CM   # MOhm: mV per nA


def _cell(sim, n=1):
    sim.setup(timestep=0.1, precision="float64")
    c = sim.Population(n, sim.IF_curr_exp(tau_m=TAU_M, cm=CM, v_rest=V_REST, v_thresh=100.0))
    c.initialize(v=V_REST)
    c.record("v")
    return c


def _v(cell):
    return np.asarray(cell.get_data().segments[0].filter(name="v")[0])


def test_dc_source_closed_form_and_onset_step(sim):
    cell = _cell(sim)
    dc = sim.DCSource(amplitude=0.5, start=10.0, stop=40.0)
    cell.inject(dc)
    sim.run(60.0)
    v = _v(cell)[:, 0]
    t = np.arange(v.size) * 0.1
    on = np.clip(t - 10.0, 0, 30.0)
    expected = V_REST + R * 0.5 * (1 - np.exp(-on / TAU_M))
    expected = np.where(t > 40.0, V_REST + (expected[400] - V_REST) * np.exp(-(t - 40.0) / TAU_M),
                        expected)
    assert v[100] == V_REST and v[101] > V_REST + 0.01      # PyNN test_ticket226
    assert np.max(np.abs(v - expected)) < 1e-9


def test_step_current_source_grid_rounding_and_last_duplicate_wins(sim):
    cell = _cell(sim)
    # 20.04 and 20.02 both round to step 200; NEST keeps the last amplitude
    src = sim.StepCurrentSource(times=[10.0, 20.02, 20.04, 30.0], amplitudes=[0.2, 9.0, 0.6, 0.0])
    cell.inject(src)
    src.record()
    sim.run(40.0)
    i = np.asarray(src.get_data()).ravel()
    assert i.size == 401
    assert i[99] == 0.0 and i[100] == 0.2 and i[199] == 0.2 and i[200] == 0.6 and i[300] == 0.0
    v = _v(cell)[:, 0]
    v20 = V_REST + R * 0.2 * (1 - np.exp(-10.0 / TAU_M))
    v30 = V_REST + R * 0.6 + (v20 - V_REST - R * 0.6) * np.exp(-10.0 / TAU_M)
    assert v[200] == pytest.approx(v20, abs=1e-9) and v[300] == pytest.approx(v30, abs=1e-9)


def test_ac_source_waveform(sim):
    cell = _cell(sim)
    ac = sim.ACSource(amplitude=0.5, offset=0.1, frequency=40.0, phase=30.0, start=5.0, stop=80.0)
    cell.inject(ac)
    ac.record()
    sim.run(100.0)
    sig = ac.get_data()
    i = np.asarray(sig).ravel()
    t = np.arange(i.size) * 0.1
    expected = np.where((t >= 5.0 - 1e-9) & (t < 80.0 - 1e-9),
                        0.1 + 0.5 * np.sin(2 * np.pi * 40.0 * (t - 5.0) / 1000 + np.pi / 6), 0.0)
    assert i.size == 1001
    np.testing.assert_allclose(i, expected, atol=1e-12)


def test_noisy_current_statistics_and_hold_time(sim):
    cell = _cell(sim, n=1)
    noise = sim.NoisyCurrentSource(mean=0.3, stdev=0.2, start=0.0, stop=1e9, dt=0.5)
    cell.inject(noise)
    noise.record()
    sim.run(2000.0)
    i = np.asarray(noise.get_data()).ravel()[:-1]
    held = i.reshape(-1, 5)
    assert np.all(held == held[:, :1])              # one value per 0.5 ms = 5 steps
    values = held[:, 0]
    n = values.size
    # 5-sigma bounds of the sample mean and standard deviation of n Gaussian draws
    assert abs(values.mean() - 0.3) < 5 * 0.2 / np.sqrt(n)
    assert abs(values.std() - 0.2) < 5 * 0.2 / np.sqrt(2 * n)


def test_changing_amplitude_between_runs(sim):
    cell = _cell(sim)
    dc = sim.DCSource(amplitude=0.5, start=0.0)
    cell.inject(dc)
    sim.run(20.0)
    dc.amplitude = -0.5
    sim.run(20.0)
    v = _v(cell)[:, 0]
    assert v[200] > V_REST + 1.0 and v[400] < v[200] - 1.0


def test_record_current_length_includes_t0(sim):
    cell = _cell(sim)
    dc = sim.DCSource(amplitude=0.5, start=50.0, stop=125.0)
    cell.inject(dc)
    dc.record()
    sim.run(100.0)
    sim.run(100.0)
    i = dc.get_data()
    assert len(i) == 2001 and float(i.t_start) == 0.0
    arr = np.asarray(i).ravel()
    assert arr[499] == 0 and arr[500] == 0.5 and arr[1249] == 0.5 and arr[1250] == 0


def test_inject_into_spike_source_is_refused(sim):
    src = sim.Population(2, sim.SpikeSourcePoisson(rate=10.0))
    with pytest.raises(TypeError, match="spike source"):
        src.inject(sim.DCSource(amplitude=1.0))


def test_inject_into_an_assembly_of_views(sim):
    """A DC source into ``Assembly(view, population)``: exactly the viewed cells and the whole
    population take it (limit case: the other cells of the viewed population stay silent).
    Was an AttributeError (the view itself was stored as a target)."""
    sim.setup(timestep=0.1)
    a = sim.Population(4, sim.IF_cond_exp())
    b = sim.Population(2, sim.IF_curr_exp())
    sim.DCSource(amplitude=2.0, start=10.0, stop=90.0).inject_into(sim.Assembly(a[0:2], b))
    a.record("spikes")
    b.record("spikes")
    sim.run(100.0)
    fired_a = [len(st) > 0 for st in a.get_data().segments[0].spiketrains]
    fired_b = [len(st) > 0 for st in b.get_data().segments[0].spiketrains]
    assert fired_a == [True, True, False, False] and fired_b == [True, True]
