"""ClosedLoop (cbgtc/closed_loop.py, engine/closed_loops.py): the controller inside the compiled
program against the same loop written the PyNN way -- run to each call, read the LFP, compute
the biomarker on the host, set() the source -- as the issue asks."""
from __future__ import annotations

import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from pyNN import errors

from pynn_cbgtc_jax.cbgtc.biomarkers import beta_arv

DT, T0, T, TS = 0.01, 200.0, 600.0, 20.0


def _network(sim, loop: bool, seed=5, kp=0.23):
    sim.setup(timestep=DT, precision="float64", rng_seed=seed)
    rng = np.random.default_rng(1)
    stn = sim.Population(30, sim.STN_Otsuka2004(i_offset=-0.125))
    stn.positions = np.vstack([rng.uniform(-2000, 2000, (2, 30)), np.full((1, 30), 500.0)])
    ctx = sim.Population(30, sim.SpikeSourcePoisson(rate=25.0))
    gpe = sim.Population(30, sim.SpikeSourcePoisson(rate=40.0))
    sim.Projection(ctx, stn, sim.FixedProbabilityConnector(0.3, rng=sim.NumpyRNG(2)),
                   sim.StaticSynapse(weight=0.05, delay=1.0), receptor_type="AMPA")
    sim.Projection(gpe, stn, sim.FixedProbabilityConnector(0.2, rng=sim.NumpyRNG(3)),
                   sim.StaticSynapse(weight=0.05, delay=2.0), receptor_type="GABAa")
    lfp = sim.LFPElectrode(stn, contacts=[(0, -1500, 250), (0, 1500, 250)])
    dbs = sim.DBSSource(amplitude=1.0 if loop else 0.0, frequency=130.0, pulse_width=0.06)
    dbs.inject_into(stn)
    controller = sim.PIDController(setpoint=2e-5, kp=kp, ti=0.2, max_value=3.0)
    cl = sim.ClosedLoop(controller, lfp, dbs, start=T0, sampling_interval=0.5,
                        history=4000) if loop else None
    stn.record("spikes")
    return stn, lfp, dbs, controller, cl


def _trains(stn):
    return [np.asarray(st) for st in stn.get_data().segments[0].spiketrains]


def _host_call(lfp, every, biomarker, controller, state):
    """One controller call on the host: the LFP so far, sampled every ``every`` steps from
    t = 0, its last 4000 samples (zeros before the start), the biomarker, the controller."""
    samples = np.asarray(lfp.get_data().segments[0].analogsignals[0])[::every, 0][-4000:]
    history = np.zeros(4000)
    history[-len(samples):] = samples
    y = biomarker(jnp.asarray(history))
    state, u = controller.update(controller.params(), state, y)
    return state, y, u


def _pynn_way(sim, seed=5):
    """The loop on the host: at each call time the LFP so far, sampled every 0.5 ms from t = 0,
    its last 4000 samples (zeros before the start), the biomarker, the controller, set()."""
    stn, lfp, dbs, controller, _ = _network(sim, loop=False, seed=seed)
    every = int(round(0.5 / DT))
    state = controller.initial_state(jnp.float64)
    biomarker = jax.jit(beta_arv)
    ys, us = [], []
    sim.run(T0)
    t = T0
    while True:
        state, y, u = _host_call(lfp, every, biomarker, controller, state)
        ys.append(float(y))
        us.append(float(u))
        dbs.amplitude = float(u)
        if t + TS > T + 1e-9:
            break
        sim.run(TS)
        t += TS
    return np.array(ys), np.array(us), _trains(stn)


def _in_program(sim, seed=5, record_source=False):
    stn, _, dbs, _, loop = _network(sim, loop=True, seed=seed)
    if record_source:
        dbs.record()
    sim.run(T)
    signals = loop.get_data().segments[0].irregularlysampledsignals
    out = (np.asarray(signals[0])[:, 0], np.asarray(signals[1])[:, 0],
           np.asarray(signals[0].times), _trains(stn))
    return out + ((dbs.get_data(),) if record_source else ())


def test_in_program_loop_equals_the_pynn_way(cbgtc):
    """Reference: the same controller, biomarker function and network run the PyNN way
    (float64).  The LFP samples are the same numbers; the biomarker is compiled into two
    different programs, so it may differ in its last bits (measured 2.6e-18 mV on ~5e-5 mV,
    outputs 3.6e-14 mA): tolerances 1e-12 relative; every spike the same (577 spikes
    measured in 800 ms)."""
    sim = cbgtc
    y, u, times, trains, current = _in_program(sim, record_source=True)
    sim.end()
    # the recorded source current is the scaled one: each call's u during its period's pulses
    t_rec, i_rec = np.asarray(current.times), np.asarray(current)[:, 0]
    for k, tk in enumerate(times[:-1]):
        window = (t_rec >= tk) & (t_rec < tk + TS)
        assert i_rec[window].max() == pytest.approx(u[k], rel=1e-12, abs=1e-15)
    assert np.all(i_rec[t_rec < T0] == 0.0)
    y_ref, u_ref, trains_ref = _pynn_way(sim)
    np.testing.assert_allclose(times, T0 + TS * np.arange(len(y_ref)))
    np.testing.assert_allclose(y, y_ref, rtol=1e-12)
    np.testing.assert_allclose(u, u_ref, rtol=1e-12, atol=1e-12)
    assert u.max() > 0.1 and len(np.unique(np.round(u, 6))) > 5     # the loop acts
    assert sum(len(t) for t in trains) > 200
    for a, b in zip(trains, trains_ref):
        np.testing.assert_allclose(a, b, atol=1e-9)


def test_ensemble_members_run_their_own_loops(cbgtc):
    """Reference: each member's single run (the loop's state is part of the carry, with a
    member axis; the call's branch depends on the step alone and stays a branch).  Tolerance
    as above: the biomarker is compiled batched."""
    sim = cbgtc
    singles = []
    for seed in (5, 6):
        y, u, _, _ = _in_program(sim, seed)
        singles.append((y, u))
        sim.end()
    stn, _, _, _, loop = _network(sim, loop=True, seed=sim.Batch([5, 6]))
    sim.run(T)
    for m, (y, u) in enumerate(singles):
        signals = loop.get_data(member=m).segments[0].irregularlysampledsignals
        np.testing.assert_allclose(np.asarray(signals[0])[:, 0], y, rtol=1e-12)
        np.testing.assert_allclose(np.asarray(signals[1])[:, 0], u, rtol=1e-12, atol=1e-12)
    assert not np.allclose(singles[0][1], singles[1][1])


def test_bad_loops_are_refused(cbgtc):
    sim = cbgtc
    stn, lfp, dbs, controller, _ = _network(sim, loop=False)
    for kwargs, match in ((dict(sampling_interval=0.005), "sampling_interval"),
                          (dict(sampling_interval=0.3), "multiple"),
                          (dict(history=100), "history"),
                          (dict(start=0.25), "start")):
        with pytest.raises(errors.InvalidParameterValueError, match=match):
            sim.ClosedLoop(controller, lfp, dbs, **kwargs)
    with pytest.raises(errors.InvalidParameterValueError, match="controller"):
        sim.ClosedLoop(object(), lfp, dbs)
    with pytest.raises(errors.InvalidParameterValueError, match="LFPElectrode"):
        sim.ClosedLoop(controller, stn, dbs)
    sim.ClosedLoop(controller, lfp, dbs)
    with pytest.raises(errors.InvalidParameterValueError, match="already controls"):
        sim.ClosedLoop(controller, lfp, dbs)
    idle = sim.DCSource(amplitude=1.0)
    sim.ClosedLoop(controller, lfp, idle)
    with pytest.raises(errors.InvalidParameterValueError, match="inject"):
        sim.run(1.0)


def test_a_grid_of_controller_gains_runs_in_one_program(cbgtc):
    """Reference: each gain's single run.  ``PIDController(kp=Batch([...]))`` makes the gain a
    batched number of the program (one compiled run for the grid); every member equals its own
    run (tolerance as above)."""
    sim = cbgtc
    gains = [0.1, 0.5]
    singles = []
    for kp in gains:
        stn, _, _, _, loop = _network(sim, loop=True, kp=kp)
        sim.run(T)
        singles.append(np.asarray(loop.get_data().segments[0].irregularlysampledsignals[1]))
        sim.end()
    stn, _, _, controller, loop = _network(sim, loop=True, kp=sim.Batch(gains))
    assert sim.simulator.state.members == 2 and controller.params(1).kp == 0.5
    sim.run(T)
    for m, single in enumerate(singles):
        output = np.asarray(loop.get_data(member=m).segments[0].irregularlysampledsignals[1])
        np.testing.assert_allclose(output, single, rtol=1e-12, atol=1e-12)
    assert not np.allclose(singles[0], singles[1])


def _fm_network(sim, loop: bool):
    stn, lfp, _, _, _ = _network(sim, loop=False)
    controller = sim.PIDController(setpoint=2e-5, kp=19.3, ti=0.2, max_value=250.0)
    if loop:
        source = sim.DBSSource(amplitude=2.0, frequency=130.0, pulse_width=0.06)
        cl = sim.ClosedLoop(controller, lfp, source, start=T0, target="frequency")
    else:
        source, cl = sim.StepCurrentSource(times=[0.0], amplitudes=[0.0]), None
    source.inject_into(stn)
    source.record()
    return stn, lfp, source, controller, cl


def test_frequency_loop_equals_pulses_played_the_pynn_way(cbgtc):
    """Reference: the PyNN way of Fleming's frequency controller -- at each call the host
    computes the biomarker and the new rate f, then the pulse onsets up to the next call (the
    first one period round(1000 / (f dt)) steps after the last onset, never before the call;
    none at 0 Hz) and plays them through a StepCurrentSource (2 nA, 0.06 ms).  Same currents
    step by step, biomarkers and rates to 1e-12, every spike the same."""
    sim = cbgtc
    stn, _, dbs, _, loop = _fm_network(sim, loop=True)
    sim.run(T)
    signals = loop.get_data().segments[0].irregularlysampledsignals
    y, f = np.asarray(signals[0])[:, 0], np.asarray(signals[1])[:, 0]
    current = np.asarray(dbs.get_data())[:, 0]
    trains = _trains(stn)
    sim.end()

    stn, lfp, pulses, controller, _ = _fm_network(sim, loop=False)
    every, width, period_call = int(round(0.5 / DT)), 6, int(round(TS / DT))
    state = controller.initial_state(jnp.float64)
    biomarker = jax.jit(beta_arv)
    times, amps, last, ys, fs = [0.0], [0.0], -10 ** 9, [], []
    sim.run(T0)
    k = int(round(T0 / DT))
    while True:
        state, y_k, f_k = _host_call(lfp, every, biomarker, controller, state)
        ys.append(float(y_k))
        fs.append(float(f_k))
        if float(f_k) > 0:
            period = max(int(round(1000.0 / (float(f_k) * DT))), 1)
            onset = max(k, last + period)
            while onset < k + period_call:
                times += [onset * DT, (onset + width) * DT]
                amps += [2.0, 0.0]
                last, onset = onset, onset + period
        pulses.set_parameters(times=times, amplitudes=amps)
        if k * DT + TS > T + 1e-9:
            break
        sim.run(TS)
        k += period_call
    np.testing.assert_allclose(y, ys, rtol=1e-12)
    np.testing.assert_allclose(f, fs, rtol=1e-12, atol=1e-9)
    assert f.max() > 50.0 and (np.asarray(pulses.get_data())[:, 0] > 0).sum() > 100
    # the sample at a call's time belongs to the step that starts there; the PyNN way recorded
    # it at the end of the previous run, before set_parameters() changed that step's current
    played = np.asarray(pulses.get_data())[:, 0]
    calls = np.round(T0 / DT + np.arange(len(fs)) * period_call).astype(int)
    same = np.ones(len(played), bool)
    same[calls] = False
    np.testing.assert_array_equal(current[same], played[same])
    for a, b in zip(trains, _trains(stn)):
        np.testing.assert_allclose(a, b, atol=1e-9)


def test_a_controller_made_before_setup_still_makes_the_ensemble(cbgtc):
    """A controller built before ``setup()`` (which forgets earlier Batches): the ClosedLoop
    registers its members in the current simulation, so no gain of the grid is dropped."""
    sim = cbgtc
    controller = sim.PIDController(setpoint=2e-5, kp=sim.Batch([0.1, 0.5]), ti=0.2)
    stn, lfp, dbs, _, _ = _network(sim, loop=False)
    assert sim.simulator.state.members == 0
    dbs.amplitude = 1.0
    sim.ClosedLoop(controller, lfp, dbs, start=T0)
    assert sim.simulator.state.members == 2


def test_recruited_sources_follow_the_output_threshold(cbgtc):
    """Reference: the rule itself -- a recruited source delivers its own current while the
    output in effect is at least its threshold, nothing below (Fleming's GPe cells, reached
    from a DBS amplitude on): its recorded current over each call's period against that call's
    output, exactly."""
    sim = cbgtc
    stn, lfp, dbs, controller, _ = _network(sim, loop=False)
    dbs.amplitude = 1.0
    extra = sim.DCSource(amplitude=0.5)
    extra.inject_into(stn[0:1])
    extra.record()
    loop = sim.ClosedLoop(controller, lfp, dbs, start=T0, recruits=[(extra, 1.5)])
    sim.run(T)
    signals = loop.get_data().segments[0].irregularlysampledsignals
    times, u = np.asarray(signals[1].times), np.asarray(signals[1])[:, 0]
    current = extra.get_data()
    t_rec, i_rec = np.asarray(current.times), np.asarray(current)[:, 0]
    assert (u >= 1.5).any() and (u < 1.5).any()
    for k, tk in enumerate(times[:-1]):
        window = (t_rec >= tk) & (t_rec < tk + TS)
        np.testing.assert_array_equal(i_rec[window], 0.5 if u[k] >= 1.5 else 0.0)
    assert np.all(i_rec[t_rec < T0] == 0.0)


def test_recruited_sources_pulse_with_a_frequency_loop(cbgtc):
    """Reference: the loop's own source.  Under a frequency loop a recruited DBSSource plays
    one pulse of its own shape (3 nA, the source's width) at each onset of the loop's source
    (2 nA) while the rate in effect reaches its threshold: with threshold 0 its recorded
    current is the loop source's x 1.5 at every step; with a threshold between the rates the
    loop takes, the same over the calls whose rate reaches it and 0 over the others."""
    sim = cbgtc
    stn, lfp, _, controller, _ = _network(sim, loop=False)
    dbs = sim.DBSSource(amplitude=2.0, frequency=130.0, pulse_width=0.06)
    always = sim.DBSSource(amplitude=3.0, frequency=130.0, pulse_width=0.06)
    fast = sim.DBSSource(amplitude=3.0, frequency=130.0, pulse_width=0.06)
    for source in (dbs, always, fast):
        source.inject_into(stn[0:1])
        source.record()
    controller = sim.PIDController(setpoint=2e-5, kp=19.3, ti=0.2, max_value=250.0)
    threshold = 120.0
    loop = sim.ClosedLoop(controller, lfp, dbs, start=T0, target="frequency",
                          recruits=[(always, 0.0), (fast, threshold)])
    sim.run(T)
    signals = loop.get_data().segments[0].irregularlysampledsignals
    times, f = np.asarray(signals[1].times), np.asarray(signals[1])[:, 0]
    main, a, b = (np.asarray(s.get_data())[:, 0] for s in (dbs, always, fast))
    t_rec = np.asarray(dbs.get_data().times)
    assert (main > 0).sum() > 100 and (f >= threshold).any() and (f < threshold).any()
    np.testing.assert_array_equal(a, 1.5 * main)
    for k, tk in enumerate(times):
        window = (t_rec > tk - DT / 2) & (t_rec < tk + TS - DT / 2)
        np.testing.assert_array_equal(b[window], 1.5 * main[window] if f[k] >= threshold
                                      else 0.0)
    with pytest.raises(errors.InvalidParameterValueError, match="no pulses"):
        sim.ClosedLoop(sim.PIDController(setpoint=2e-5, kp=1.0), lfp,
                       sim.DBSSource(amplitude=1.0, frequency=130.0, pulse_width=0.06),
                       target="frequency", recruits=[(sim.DCSource(amplitude=1.0), 0.0)])


def test_a_checkpoint_continues_the_loop_bitwise(tmp_path):
    """Reference: the straight run.  A checkpoint at 400 ms restored in a fresh process (the
    loop's history, output and controller state are part of the carry) gives the calls after
    it bit for bit (the controller's identity in the compiled structure is its kind and period,
    no object address, so the structure hash matches across processes)."""
    import subprocess
    import sys
    script = pathlib.Path(__file__).parents[1] / "scripts" / "closed_loop_checkpoint.py"
    for mode in ("full", "save", "restore"):
        out = subprocess.run([sys.executable, str(script), mode, str(tmp_path)],
                             capture_output=True, text=True, timeout=600)
        assert out.returncode == 0, out.stderr[-3000:]
    full, restored = np.load(tmp_path / "full.npy"), np.load(tmp_path / "restore.npy")
    assert len(restored) == 10 and len(full) == 21
    np.testing.assert_array_equal(restored, full[-10:])
