"""The Rubin & Terman 2004 cell types driven through PyNN reproduce the published single-cell
behaviour (notes §2.6; the same figures the kernel tests in ``tests/kernels`` check against).

One scenario (float32, the default precision; dt = 0.025 ms, the GP limit; 2.5 s) holds every
cell, so the network is compiled once for the behaviour tests.  Currents are given in nA: at
the default ``area`` of 10 000 µm², 0.1 nA is 1 µA/cm².
"""
import jax
import numpy as np
import pytest
from pyNN import errors

import pynn_cbgtc_jax as sim
from pynn_cbgtc_jax.engine.runner import TRACE_COUNT

DT = 0.025
T_STOP = 2500.0


@pytest.fixture(scope="module")
def scenario():
    """Spike times (ms) per cell label after one run of every single-cell protocol."""
    x64 = jax.config.jax_enable_x64
    sim.setup(timestep=DT)
    cells = {
        "stn": sim.Population(1, sim.STN_RT2004()),
        "stn_rebound": sim.Population(1, sim.STN_RT2004()),
        "gpe": sim.Population(1, sim.GPe_RT2004.normal()),
        "gpe_pd": sim.Population(1, sim.GPe_RT2004.parkinsonian()),
        "gpi": sim.Population(1, sim.GPi_RT2004()),
        "tc": sim.Population(1, sim.TC_RT2004()),
    }
    # -25 µA/cm² for 300 ms = -2.5 nA at 10 000 µm²
    step = sim.StepCurrentSource(times=[500.0, 800.0], amplitudes=[-2.5, 0.0])
    step.inject_into(cells["stn_rebound"])
    # sensorimotor pulses (Rubin & Terman 2004 .set): 5 µA/cm² = 0.5 nA, 5 ms every 50 ms
    sm = sim.DBSSource(amplitude=0.5, frequency=20.0, pulse_width=5.0, start=100.0)
    sm.inject_into(cells["tc"])
    for pop in cells.values():
        pop.record("spikes")
    sim.run(T_STOP)
    spikes = {name: np.asarray(pop.get_data().segments[0].spiketrains[0].magnitude)
              for name, pop in cells.items()}
    sim.end()
    jax.config.update("jax_enable_x64", x64)
    return spikes


def test_stn_fires_spontaneously_at_2_to_3_hz(scenario):
    """Reference: RT2004 STN, 2.6 Hz at I_app = 0 (notes §2.6; the kernel gives 2.7 Hz).  Rate
    from the mean ISI after the 500 ms onset transient; range 2–3.5 Hz (the task's 2–3 Hz plus
    room for the float32 phase of ~5 ISIs)."""
    late = scenario["stn"][scenario["stn"] > 500.0]
    assert len(late) >= 4
    assert 2.0 <= 1000.0 / np.mean(np.diff(late)) <= 3.5


def test_stn_rebound_burst_after_300_ms_hyperpolarising_step(scenario):
    """Reference: RT2004 STN, a rebound burst after a -25 µA/cm² × 300 ms step (notes §2.6:
    5 spikes, ISIs 23–26 ms; the kernel: 5 spikes, ISIs 22, 17, 18, 25 ms).  Silent during the
    step; then at least 3 spikes within 150 ms of release with ISIs < 30 ms -- the spontaneous
    ISI is 370 ms, so this is a burst, not pacemaking."""
    s = scenario["stn_rebound"]
    assert not np.any((s > 520.0) & (s <= 800.0))
    burst = s[(s > 800.0) & (s <= 950.0)]
    assert len(burst) >= 3
    assert np.all(np.diff(burst) < 30.0)


def test_gpe_normal_fires_at_50_to_60_hz(scenario):
    """Reference: RT2004 GPe, 57 Hz at I_app = 2 (notes §2.6; kernel: 56 Hz).  Count in the
    last 1.5 s; the task's 50–60 Hz."""
    s = scenario["gpe"]
    assert 50.0 <= np.sum(s > 1000.0) / 1.5 <= 60.0


def test_gpe_parkinsonian_preset_is_silent(scenario):
    """Reference: RT2004 ``.setpark``, I_app = -2.2: silent without input (no spike at all)."""
    assert len(scenario["gpe_pd"]) == 0


def test_gpi_fires_at_about_85_hz(scenario):
    """Reference: RT2004 GP at I_app = 5, 85 Hz (notes §2.6; kernel 84 Hz); ±10 Hz."""
    assert 75.0 <= np.sum(scenario["gpi"] > 1000.0) / 1.5 <= 95.0


def test_tc_relays_one_spike_per_5_ms_pulse(scenario):
    """Reference: RT2004 TC, exactly one spike per 5 µA/cm² × 5 ms pulse (notes §2.6).  Silent
    before the first pulse (100 ms); each spike within 25 ms of its pulse onset (the error-index
    window)."""
    s = scenario["tc"]
    onsets = np.arange(100.0, T_STOP, 50.0)
    assert not np.any(s < 100.0)
    per_pulse = np.histogram(s, bins=np.r_[onsets, T_STOP])[0]
    assert np.all(per_pulse[:-1] == 1)
    assert np.all((s - 100.0) % 50.0 < 25.0)


@pytest.mark.parametrize("celltype, dt_max", [
    (sim.STN_RT2004, 0.05), (sim.GPe_RT2004, 0.025), (sim.GPi_RT2004, 0.025),
    (sim.TC_RT2004, 0.05)])
def test_time_step_above_the_kernel_limit_is_refused(cbgtc, celltype, dt_max):
    """The error names dt, the limit and the fix, at Population creation (before any run)."""
    cbgtc.setup(timestep=2 * dt_max)
    with pytest.raises(errors.InvalidParameterValueError,
                       match=rf"dt = {2 * dt_max} ms.*{dt_max} ms.*setup\(timestep={dt_max}\)"):
        cbgtc.Population(2, celltype())
    cbgtc.setup(timestep=dt_max)
    cbgtc.Population(2, celltype())


@pytest.mark.parametrize("name", ["area", "C_m", "tau_syn_E"])
def test_non_positive_divisors_are_refused(cbgtc, name):
    cbgtc.setup(timestep=0.025)
    with pytest.raises(errors.InvalidParameterValueError, match=f"{name} = 0"):
        cbgtc.Population(1, cbgtc.STN_RT2004(**{name: 0.0}))


def test_recordables_have_pynn_units(cbgtc):
    """v in mV, gates and Ca dimensionless, conductances in µS; the recording starts at the
    declared initial values (gates at their steady state for v = -60 mV)."""
    cbgtc.setup(timestep=0.05)
    stn = cbgtc.Population(1, cbgtc.STN_RT2004())
    stn.record(["v", "h", "n", "r", "f", "Ca", "gsyn_exc", "gsyn_inh"])
    cbgtc.run(1.0)
    signals = {s.name: s for s in stn.get_data().segments[0].analogsignals}
    assert str(signals["v"].units.dimensionality) == "mV"
    assert str(signals["gsyn_exc"].units.dimensionality) == "uS"
    assert str(signals["Ca"].units.dimensionality) == "dimensionless"
    for name, value in cbgtc.STN_RT2004.default_initial_values.items():
        assert float(signals[name][0, 0]) == pytest.approx(value, rel=1e-6, abs=1e-12)


def test_set_parameters_does_not_recompile(cbgtc):
    """Parameters are traced (STYLE habit 4): switching the GPe preset needs no new trace."""
    cbgtc.setup(timestep=0.025)
    gpe = cbgtc.Population(2, cbgtc.GPe_RT2004())
    gpe.record("spikes")
    cbgtc.run(5.0)
    before = TRACE_COUNT["chunk"]
    gpe.set(I_app=-2.2)
    cbgtc.run(5.0)
    assert TRACE_COUNT["chunk"] == before
