"""Recorded spikes as events (engine/spike_fetch.py): the device's compaction and the host's
word scan give exactly ``np.nonzero``'s events, and a network records the same spike trains
whichever path brings them to the host.

Reference: ``np.nonzero`` on the raster (exact: integer events, no tolerance); for the
network, the same script with the host path (the CPU default), compared spike for spike.
"""
import numpy as np
import pytest

import pynn_cbgtc_jax as sim
from pynn_cbgtc_jax.engine import spike_fetch
from pynn_cbgtc_jax.engine.runner import StepOutputs
from pynn_cbgtc_jax.engine.spike_fetch import fetch_outputs, raster_events


def _raster(shape, density, seed):
    rng = np.random.default_rng(seed)
    raster = (rng.random(shape) < density) * rng.integers(1, 4, shape)
    return raster.astype(np.uint8)


def _same_as_nonzero(events, raster):
    index = np.nonzero(raster)
    assert len(events.index) == len(index)
    for got, want in zip(events.index, index):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(events.counts, raster[index])


@pytest.mark.parametrize("shape", [(7, 13), (64, 1001), (3, 5, 17), (4, 0), (1, 1)])
@pytest.mark.parametrize("density", [0.0, 0.01, 0.5, 1.0])
def test_host_word_scan_is_nonzero(shape, density):
    """Sizes that are not multiples of 8 (the padding), empty, full and member-axis rasters."""
    raster = _raster(shape, density, 1)
    _same_as_nonzero(raster_events(raster), raster)


@pytest.mark.parametrize("density", [0.01, 0.9])
@pytest.mark.parametrize("members", [None, 3])
def test_device_compaction_is_nonzero_of_the_live_rows(monkeypatch, density, members):
    """Compacted on the device (capacity 1/16 of the entries: 0.9 overflows it and takes the
    dense fallback): the events of the first ``n`` rows only (rows past ``n`` are stale)."""
    monkeypatch.setattr(spike_fetch, "COMPACT_MIN_ENTRIES", 16)
    shape = (40, 300) if members is None else (members, 40, 300)
    raster = _raster(shape, density, 2)
    n = 29
    outputs = StepOutputs(spikes=(raster, raster[..., :5]), signals=(), currents=())
    for compact in (True, False):
        got, bad = fetch_outputs(outputs, np.int32(-1), n, compact)
        assert int(bad) == -1
        _same_as_nonzero(got.spikes[0], raster[..., :n, :])
        _same_as_nonzero(got.spikes[1], raster[..., :n, :5])


def _network(batch=False):
    sim.setup(timestep=0.1, rng_seed=sim.Batch([3, 4]) if batch else 7)
    rates = sim.Batch([20.0, 80.0]) if batch else 50.0
    src = sim.Population(300, sim.SpikeSourcePoisson(rate=rates))
    pop = sim.Population(200, sim.IF_curr_exp(tau_m=12.0))
    sim.Projection(src, pop, sim.FixedProbabilityConnector(0.1, rng=sim.NumpyRNG(5)),
                   sim.StaticSynapse(weight=1.5, delay=0.5))
    src.record("spikes")
    pop.record("spikes")
    sim.run(150.0)
    members = range(2) if batch else [None]
    trains = [[[np.asarray(st) for st in
                (p.get_data(member=m) if batch else p.get_data()).segments[0].spiketrains]
               for p in (src, pop)] for m in members]
    sim.end()
    return trains


@pytest.mark.parametrize("batch", [False, True])
def test_a_network_records_the_same_spikes_compacted_on_the_device(monkeypatch, batch):
    """The same script with the host path and with the device path forced on the CPU (with a
    capacity small enough that some chunks overflow into the dense fallback)."""
    host = _network(batch)
    monkeypatch.setattr(spike_fetch, "compacts_on", lambda platform: True)
    monkeypatch.setattr(spike_fetch, "COMPACT_MIN_ENTRIES", 16)
    monkeypatch.setattr(spike_fetch, "COMPACT_DENSITY", 1 / 400)
    device = _network(batch)
    assert sum(len(t) for member in host for p in member for t in p) > 500
    for a, b in zip(host, device):
        for pa, pb in zip(a, b):
            for ta, tb in zip(pa, pb):
                np.testing.assert_array_equal(ta, tb)
