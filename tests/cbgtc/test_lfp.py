"""LFPElectrode (cbgtc/lfp.py): the field of a population's synaptic currents, summed on the
device every step, against the same sum done on the host from the recorded per-cell currents
with the point-source formula written here; ensembles, segments and bad input."""
from __future__ import annotations

import numpy as np
import pytest
from pyNN import errors

SIGMA = 0.27
CONTACTS = [(0.0, -1500.0, 250.0), (0.0, 1500.0, 250.0)]   # Fleming's bipolar contacts (um)


def _network(sim, n=20, rate=50.0, seed=1):
    rng = np.random.default_rng(seed)
    stn = sim.Population(n, sim.STN_Otsuka2004(i_offset=-0.125))
    stn.positions = np.vstack([rng.uniform(-2000, 2000, (2, n)), np.full((1, n), 500.0)])
    src = sim.Population(n, sim.SpikeSourcePoisson(rate=rate))
    gpe = sim.Population(n, sim.SpikeSourcePoisson(rate=rate / 2))
    sim.Projection(src, stn, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.05, delay=1.0),
                   receptor_type="AMPA")
    sim.Projection(gpe, stn, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.1, delay=2.0),
                   receptor_type="GABAa")
    return stn


def _host_lfp(stn, contacts):
    """Reference: phi = sum_n (I_AMPA + I_GABAa)_n / (4 pi sigma r_n) per contact (mV for nA
    and um: 1e-9 A / (4 pi S/m 1e-6 m) = 1e-3 V), first contact minus second."""
    seg = stn.get_data().segments[0]
    total = (np.asarray(seg.filter(name="AMPA.i")[0])
             + np.asarray(seg.filter(name="GABAa.i")[0]))
    xyz = np.asarray(stn.positions).T
    signal = 0.0
    for sign, contact in zip((1.0, -1.0), contacts):
        r = np.sqrt(((xyz - np.asarray(contact)) ** 2).sum(axis=1))
        signal = signal + sign * total @ (1.0 / (4 * np.pi * SIGMA * r))
    return signal


@pytest.mark.parametrize("contacts", [CONTACTS, CONTACTS[:1]], ids=["bipolar", "monopolar"])
def test_device_sum_equals_the_host_sum_of_recorded_currents(cbgtc, contacts):
    """Reference: the formula above on the recorded currents (float64; the two sums differ only
    in summation order: tolerance 1e-12 of the signal's range)."""
    sim = cbgtc
    sim.setup(timestep=0.01, precision="float64")
    stn = _network(sim)
    lfp = sim.LFPElectrode(stn, contacts=contacts, sigma=SIGMA)
    stn.record(["AMPA.i", "GABAa.i"])
    sim.run(40.0)
    sim.run(20.0)                              # a second run continues the same segment
    signal = lfp.get_data().segments[0].analogsignals[0]
    assert str(signal.units.dimensionality) == "mV" and signal.shape == (6001, 1)
    assert float(signal.sampling_period) == pytest.approx(0.01)
    expected = _host_lfp(stn, contacts)
    assert np.abs(expected).max() > 1e-5
    assert np.max(np.abs(np.asarray(signal)[:, 0] - expected)) <= 1e-12 * np.ptp(expected)


def test_each_ensemble_member_and_segment_has_its_own_signal(cbgtc):
    """Reference: a member of an ensemble equals the single run with its seed.  The cells are
    bitwise equal (the ensembles contract); the LFP is a dot product over cells, which XLA sums
    in another order when batched: measured 2.5e-13 relative, last-bit differences, so 1e-12 of
    the signal's range.  reset() starts a new segment."""
    sim = cbgtc
    singles = []
    for seed in (3, 4):
        sim.setup(timestep=0.01, precision="float64", rng_seed=seed)
        lfp = sim.LFPElectrode(_network(sim), contacts=CONTACTS)
        sim.run(30.0)
        singles.append(np.asarray(lfp.get_data().segments[0].analogsignals[0]))
        sim.end()
    sim.setup(timestep=0.01, precision="float64", rng_seed=sim.Batch([3, 4]))
    lfp = sim.LFPElectrode(_network(sim), contacts=CONTACTS)
    sim.run(30.0)
    for m, single in enumerate(singles):
        member = np.asarray(lfp.get_data(member=m).segments[0].analogsignals[0])
        assert np.max(np.abs(member - single)) <= 1e-12 * np.ptp(single)
    assert not np.array_equal(singles[0], singles[1])
    with pytest.raises(errors.InvalidParameterValueError, match="member"):
        lfp.get_data()
    sim.reset()
    sim.run(10.0)
    segments = lfp.get_data(member=1).segments
    assert len(segments) == 2 and segments[1].analogsignals[0].shape == (1001, 1)
    second = np.asarray(segments[1].analogsignals[0])
    assert np.max(np.abs(second - singles[1][:1001])) <= 1e-12 * np.ptp(singles[1])


def test_bad_electrodes_are_refused_with_the_argument_named(cbgtc):
    sim = cbgtc
    sim.setup(timestep=0.01)
    stn = _network(sim, n=3)
    for kwargs, match in ((dict(contacts=[(0, 0)]), "contacts"),
                          (dict(contacts=[(0, 0, 0)] * 3), "contacts"),
                          (dict(contacts=[(0, 0, np.nan)]), "finite"),
                          (dict(contacts=CONTACTS, sigma=0.0), "sigma"),
                          (dict(contacts=CONTACTS, currents=("NMDA.i",)), "NMDA.i")):
        with pytest.raises(errors.InvalidParameterValueError, match=match):
            sim.LFPElectrode(stn, **kwargs)
    with pytest.raises(errors.InvalidParameterValueError, match="Population"):
        sim.LFPElectrode(stn[0:2], contacts=CONTACTS)
    stn.positions = np.zeros((3, 3))
    sim.LFPElectrode(stn, contacts=[(0.0, 0.0, 0.0)])
    with pytest.raises(errors.InvalidParameterValueError, match="distance 0"):
        sim.run(1.0)
