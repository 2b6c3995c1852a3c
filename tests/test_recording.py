"""Recording and Neo output, against PyNN's conventions (notes/pynn-backend-contract.md sec. 5).

References: PyNN's Recorder contract -- t/dt + 1 samples including t = 0, sample k is the state
at k*dt, spikes as SpikeTrains with PyNN's annotations -- and round trips through the files.
"""
import numpy as np
import pytest
import quantities as pq


def _pop(sim, n=3, **kw):
    p = sim.Population(n, sim.IF_cond_exp(i_offset=np.linspace(0.0, 1.5, n), tau_refrac=2.0, **kw),
                       label="cells")
    p.initialize(v=-65.0)
    return p


def test_signal_shape_units_and_t0_sample(sim):
    p = _pop(sim)
    p.record(["v", "gsyn_exc", "spikes"])
    sim.run(30.0)
    block = p.get_data()
    seg = block.segments[0]
    v = seg.filter(name="v")[0]
    assert v.shape == (301, 3)                   # t/dt + 1 samples, as NEST gives
    assert v.units == pq.mV and seg.filter(name="gsyn_exc")[0].units == pq.uS
    assert float(v.sampling_period.rescale(pq.ms)) == pytest.approx(0.1)
    np.testing.assert_allclose(np.asarray(v)[0], -65.0)        # t = 0 is the initial value
    assert list(v.array_annotations["channel_index"]) == [0, 1, 2]
    assert block.annotations["simulator"] == "pynn_cbgtc_jax"
    assert block.annotations["size"] == 3 and block.annotations["dt"] == 0.1
    st = seg.spiketrains
    assert len(st) == 3 and len(st[0]) == 0 and len(st[2]) > 0
    assert st[2].annotations["source_population"] == "cells"
    assert float(st[2].t_stop) == pytest.approx(30.0)


def test_spike_times_are_step_times_and_v_resets(sim):
    p = _pop(sim, n=1, v_reset=-70.0)
    p.set(i_offset=2.0)
    p.record(["v", "spikes"])
    sim.run(50.0)
    seg = p.get_data().segments[0]
    v = np.asarray(seg.filter(name="v")[0])[:, 0]
    spikes = np.asarray(seg.spiketrains[0])
    assert spikes.size > 2
    steps = np.rint(spikes / 0.1).astype(int)
    np.testing.assert_allclose(spikes, steps * 0.1)
    np.testing.assert_allclose(v[steps], -70.0)      # the sample at a spike is the reset value
    assert np.all(v[steps - 1] < -50.0)


def test_sampling_interval(sim):
    p = _pop(sim)
    p.record("v", sampling_interval=1.0)
    sim.run(20.0)
    v = p.get_data().segments[0].filter(name="v")[0]
    assert v.shape == (21, 3)
    assert float(v.sampling_period.rescale(pq.ms)) == 1.0


def test_record_view_and_two_runs(sim):
    p = _pop(sim, n=5)
    p[1:3].record("v")
    sim.run(10.0)
    sim.run(5.0)
    v = p.get_data().segments[0].filter(name="v")[0]
    assert v.shape == (151, 2)
    assert list(v.array_annotations["channel_index"]) == [1, 2]


def test_reset_gives_new_segment_with_initial_values(sim):
    p = _pop(sim)
    p.record("v")
    sim.run(10.0)
    sim.reset(annotations={"trial": 1})
    p.initialize(v=-60.0)
    sim.run(5.0)
    block = p.get_data()
    assert len(block.segments) == 2
    assert block.segments[0].annotations["trial"] == 1
    v1 = np.asarray(block.segments[1].filter(name="v")[0])
    assert v1.shape == (51, 3)
    np.testing.assert_allclose(v1[0], -60.0)


def test_clear_keeps_only_new_data(sim):
    p = _pop(sim)
    p.record(["spikes"])
    sim.run(100.0)
    n1 = sum(len(s) for s in p.get_data(clear=True).segments[0].spiketrains)
    sim.run(100.0)
    st = p.get_data().segments[0].spiketrains
    assert n1 > 0 and all(np.all(np.asarray(s) > 100.0) for s in st)


@pytest.mark.parametrize("suffix", ["pkl", "nix"])
def test_write_data_round_trip(sim, tmp_path, suffix):
    import neo
    p = _pop(sim)
    p.record(["v", "spikes"])
    sim.run(20.0)
    path = str(tmp_path / f"out.{suffix}")
    p.write_data(path)
    io = neo.io.get_io(path) if suffix == "nix" else neo.io.PickleIO(path)
    block = io.read_block()
    if hasattr(io, "close"):
        io.close()
    written = np.asarray(block.segments[0].filter(name="v")[0])
    np.testing.assert_allclose(written, np.asarray(p.get_data().segments[0].filter(name="v")[0]))


def test_procedural_record_written_at_end(sim, tmp_path):
    import neo
    p = _pop(sim)
    path = str(tmp_path / "proc.pkl")
    sim.record("v", p, path)
    sim.run(5.0)
    sim.end()
    block = neo.io.PickleIO(path).read_block()
    assert block.segments[0].filter(name="v")[0].shape == (51, 3)


def test_get_spike_counts(sim):
    p = _pop(sim)
    p.record("spikes")
    sim.run(100.0)
    counts = p.get_spike_counts()
    seg = p.get_data().segments[0]
    assert [counts[int(i)] for i in p.all_cells] == [len(s) for s in seg.spiketrains]
