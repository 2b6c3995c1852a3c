"""Checkpoints: ``checkpoint(path)`` in one process, ``restore(path)`` + ``run(b)`` in another
equals ``run(a + b)`` bit for bit; a different network is refused; the file is written
atomically.

Reference: the uninterrupted run.  The engine is deterministic (random numbers from
``fold_in(seed, step)``), so the comparisons are bitwise (``np.array_equal``) on the CPU.
"""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pynn_cbgtc_jax.checkpoint import VERSION
from pynn_cbgtc_jax.engine.runner import TRACE_COUNT

SCRIPT = Path(__file__).parent / "scripts" / "checkpoint_net.py"


def _net():
    spec = importlib.util.spec_from_file_location("checkpoint_net", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _script(*args):
    proc = subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]


def _assert_same_files(a, b):
    with np.load(a) as x, np.load(b) as y:
        assert sorted(x.files) == sorted(y.files)
        for name in x.files:
            assert np.array_equal(x[name], y[name], equal_nan=True), name


def test_restore_in_a_new_process_continues_bitwise(tmp_path):
    """Poisson sources, STDP (SpikePairRule), a SpikeSourceArray, a recorded DC source, v
    recorded (one view sampled every 3 steps) and an earlier segment kept by reset()."""
    path = tmp_path / "net.npz"
    _script("first", path, "-")
    _script("second", path, tmp_path / "continued.npz")
    _script("whole", path, tmp_path / "whole.npz")
    _assert_same_files(tmp_path / "continued.npz", tmp_path / "whole.npz")
    with np.load(tmp_path / "whole.npz") as data:
        assert sum(data[k].size for k in data.files if "_1_spikes_" in k) > 100   # active
        weights = data["stdp_weights"]
        assert np.unique(weights).size > 10             # STDP moved the weights
        assert data["exc_1_v"].shape == (1452, 60)      # the whole segment, from t = 0


def test_restore_in_process_does_not_recompile(sim, tmp_path):
    net = _net()
    pops, dc, plastic = net.build()
    sim.run(net.A + net.B)
    net.save_data(pops, dc, plastic, tmp_path / "whole.npz")
    pops, dc, plastic = net.build()
    sim.run(net.A)
    sim.checkpoint(tmp_path / "net.npz")
    sim.run(5.0)                      # the checkpointed simulation goes on; restore goes back
    pops, dc, plastic = net.build()
    traces = TRACE_COUNT["chunk"]
    assert sim.restore(tmp_path / "net.npz") == pytest.approx(net.A)
    sim.run(net.B)
    assert TRACE_COUNT["chunk"] == traces
    net.save_data(pops, dc, plastic, tmp_path / "continued.npz")
    _assert_same_files(tmp_path / "continued.npz", tmp_path / "whole.npz")


@pytest.mark.parametrize("variant, named", [
    ("weight", "projection 1 ('stdp') connectivity, weights, delays and synapse parameters"),
    ("size", "population 1 ('exc') cell type and size: IF_cond_exp x 60 in the checkpoint, "
             "IF_cond_exp x 61 in this network"),
    ("dt", "time step dt (ms): 0.1 in the checkpoint, 0.05 in this network"),
])
def test_a_different_network_is_refused_naming_the_difference(sim, tmp_path, variant, named):
    net = _net()
    net.build()
    sim.run(10.0)
    sim.checkpoint(tmp_path / "net.npz")
    net.build(variant)
    with pytest.raises(sim.CheckpointMismatchError) as info:
        sim.restore(tmp_path / "net.npz")
    assert named in str(info.value)
    assert isinstance(info.value, sim.errors.InvalidParameterValueError)


def test_more_populations_are_refused(sim, tmp_path):
    p = sim.Population(3, sim.IF_curr_exp(), label="a")
    p.record("v")
    sim.run(1.0)
    sim.checkpoint(tmp_path / "net.npz")
    sim.setup(timestep=0.1)
    sim.Population(3, sim.IF_curr_exp(), label="a").record("v")
    sim.Population(2, sim.IF_curr_exp(), label="b")
    with pytest.raises(sim.CheckpointMismatchError,
                       match=r"number of populations: 1 in the checkpoint, 2 in this network"):
        sim.restore(tmp_path / "net.npz")


def test_recorded_variables_must_match(sim, tmp_path):
    p = sim.Population(3, sim.IF_curr_exp(), label="a")
    p.record("v")
    sim.run(1.0)
    sim.checkpoint(tmp_path / "net.npz")
    sim.setup(timestep=0.1)
    sim.Population(3, sim.IF_curr_exp(), label="a").record(["v", "spikes"])
    with pytest.raises(sim.CheckpointMismatchError,
                       match=r"recorded variables: v \(3 cells\) in the checkpoint, "
                             r"spikes \(3 cells\), v \(3 cells\) in this network"):
        sim.restore(tmp_path / "net.npz")


def test_not_a_checkpoint_is_refused(sim, tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip file")
    sim.Population(1, sim.IF_curr_exp())
    with pytest.raises(sim.errors.InvalidParameterValueError, match="not a readable checkpoint"):
        sim.restore(bad)


def test_checkpoint_is_written_atomically(sim, tmp_path, monkeypatch):
    p = sim.Population(4, sim.IF_curr_exp(i_offset=1.0))
    p.record(["spikes", "v"])
    sim.run(20.0)
    path = tmp_path / "net.npz"
    sim.checkpoint(path)
    old = path.read_bytes()

    def half_then_fail(file, **arrays):
        file.write(b"PK\x03\x04 half a zip file")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", half_then_fail)
    sim.run(5.0)
    with pytest.raises(OSError, match="disk full"):
        sim.checkpoint(path)                            # over an older checkpoint
    assert path.read_bytes() == old
    with pytest.raises(OSError, match="disk full"):
        sim.checkpoint(tmp_path / "new.npz")            # no file before
    assert sorted(os.listdir(tmp_path)) == ["net.npz"]  # and no temporary file left
    monkeypatch.undo()
    sim.restore(path)                                   # the old checkpoint still loads
    assert sim.get_current_time() == pytest.approx(20.0)


def test_another_format_version_is_refused(sim, tmp_path):
    sim.Population(2, sim.IF_curr_exp(), label="a").record("v")
    sim.run(1.0)
    path = tmp_path / "net.npz"
    sim.checkpoint(path)
    with np.load(path) as archive:
        arrays = {name: archive[name] for name in archive.files}
    header = arrays["header"].tobytes().decode().replace(f'"version": {VERSION}',
                                                         '"version": 99')
    arrays["header"] = np.frombuffer(header.encode(), np.uint8)
    np.savez(path, **arrays)
    with pytest.raises(sim.errors.InvalidParameterValueError,
                       match=rf"version 99; this pynn_cbgtc_jax reads .* version {VERSION}"):
        sim.restore(path)
