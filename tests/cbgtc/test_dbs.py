"""``DBSSource``: the recorded waveform against its definition, injection, and refusals."""
import numpy as np
import pytest
from pyNN import errors

DT = 0.01


def _record_train(sim, t_stop=50.0, target_slice=slice(1, 3), **parameters):
    """Run a 4-cell STN population with a recorded DBS train injected into a view."""
    sim.setup(timestep=DT)
    stn = sim.Population(4, sim.STN_RT2004())
    dbs = sim.DBSSource(**parameters)
    dbs.inject_into(stn[target_slice])
    dbs.record()
    stn.record("v")
    sim.run(t_stop)
    current = dbs.get_data()
    v = np.asarray(stn.get_data().segments[0].filter(name="v")[0].magnitude)
    return np.asarray(current.magnitude).ravel(), current.times.rescale("ms").magnitude, v, dbs


def test_130_hz_60_us_biphasic_train(cbgtc):
    """Reference: the definition.  At dt = 0.01 ms a 130 Hz train has a period of
    round(1000/130/0.01) = 769 steps (130.04 Hz); from start = 1 ms to stop = 41 ms (steps 100
    to 4100) that is ceil(4000/769) = 6 pulses.  Each is +10 nA for 6 steps (60 µs) followed
    at once by the charge-balanced -10 nA for 6 steps; the net charge of every period is 0
    (exact in float32: the same magnitudes cancel)."""
    i, t, _, dbs = _record_train(cbgtc, amplitude=10.0, frequency=130.0, pulse_width=0.06,
                                 biphasic=True, start=1.0, stop=41.0)
    assert len(i) == len(t) == 5001
    assert dbs.delivered_frequency == pytest.approx(1000.0 / 7.69)
    rising = np.flatnonzero((i[1:] > 0) & (i[:-1] <= 0)) + 1
    np.testing.assert_array_equal(rising, 100 + 769 * np.arange(6))
    for k in rising:
        np.testing.assert_array_equal(i[k:k + 6], 10.0)
        np.testing.assert_array_equal(i[k + 6:k + 12], -10.0)
        assert i[k - 1] == 0.0 and i[k + 12] == 0.0
        assert np.sum(i[k:k + 769]) * DT == 0.0
    assert np.count_nonzero(i > 0) == 6 * 6 and np.count_nonzero(i < 0) == 6 * 6
    assert np.all(i[t >= 41.0] == 0.0)


def test_explicit_asymmetric_second_phase_is_charge_balanced(cbgtc):
    """A long, weak second phase after an interphase gap (cathalmc-style): +8 nA x 0.05 ms, gap
    0.02 ms, then -8 * 0.05 / 0.5 = -0.8 nA x 0.5 ms by default; monophasic has no second
    phase."""
    i, *_ = _record_train(cbgtc, t_stop=10.0, amplitude=8.0, frequency=200.0, pulse_width=0.05,
                          biphasic=True, pulse_width2=0.5, gap=0.02)
    np.testing.assert_array_equal(i[0:5], 8.0)
    np.testing.assert_array_equal(i[5:7], 0.0)
    np.testing.assert_allclose(i[7:57], -0.8, rtol=1e-6)
    assert i[57] == 0.0
    assert abs(np.sum(i[:500])) < 1e-4
    i_mono, *_ = _record_train(cbgtc, t_stop=10.0, amplitude=8.0, frequency=200.0,
                               pulse_width=0.05)
    assert np.all(i_mono >= 0.0) and np.count_nonzero(i_mono[:1000]) == 2 * 5


def test_injects_into_a_view_only(cbgtc):
    """Cells 1 and 2 receive the train (their v departs from the others'); 0 and 3 do not."""
    _, _, v, _ = _record_train(cbgtc, t_stop=5.0, amplitude=20.0, frequency=130.0,
                               pulse_width=0.1)
    np.testing.assert_array_equal(v[:, 0], v[:, 3])
    np.testing.assert_array_equal(v[:, 1], v[:, 2])
    assert np.max(np.abs(v[:, 1] - v[:, 0])) > 1.0


@pytest.mark.parametrize("name, value", [("pulse_width", 0.015), ("pulse_width", 0.005),
                                         ("pulse_width2", 0.025), ("gap", 0.001)])
def test_unresolvable_widths_are_refused(cbgtc, name, value):
    """Widths must be whole multiples of dt (>= dt; the gap may be 0): the message names the
    parameter, dt and the fix."""
    cbgtc.setup(timestep=DT)
    parameters = dict(biphasic=True, **{name: value})
    with pytest.raises(errors.InvalidParameterValueError,
                       match=rf"{name} = {value} ms .* dt = {DT} ms.*setup\(timestep=\.\.\.\)"):
        cbgtc.DBSSource(**parameters)


def test_setting_a_bad_width_later_is_refused_and_keeps_the_old_one(cbgtc):
    cbgtc.setup(timestep=DT)
    dbs = cbgtc.DBSSource(pulse_width=0.06)
    with pytest.raises(errors.InvalidParameterValueError):
        dbs.pulse_width = 0.065
    assert dbs.pulse_width == 0.06


def test_pulse_longer_than_period_and_bad_frequency_are_refused(cbgtc):
    cbgtc.setup(timestep=DT)
    with pytest.raises(errors.InvalidParameterValueError, match="longer than the period"):
        cbgtc.DBSSource(frequency=1000.0, pulse_width=0.6, biphasic=True)
    with pytest.raises(errors.InvalidParameterValueError, match="frequency = 0.0 Hz"):
        cbgtc.DBSSource(frequency=0.0)


def test_parameters_round_trip(cbgtc):
    """PyNN parameters come back as given (nan = the charge-balanced default)."""
    cbgtc.setup(timestep=DT)
    dbs = cbgtc.DBSSource(amplitude=3.0, frequency=130.0, pulse_width=0.09, biphasic=True)
    p = {name: value.base_value for name, value in dbs.get_parameters().items()}
    assert p["amplitude"] == 3.0 and p["frequency"] == 130.0 and p["biphasic"]
    assert np.isnan(p["amplitude2"]) and np.isnan(p["pulse_width2"])
    dbs.amplitude = 6.0                       # the second phase follows (charge balance)
    assert dbs._native["amplitude2"] == pytest.approx(-6.0)
