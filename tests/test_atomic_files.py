"""write_data (Population, Assembly, end()'s record(to_file=...)) writes atomically: a write
that fails midway leaves no file under the final name, keeps an older one intact, and leaves no
temporary file behind; a completed write loads back (.pkl and .nix)."""
import os

import neo
import numpy as np
import pytest

from pynn_cbgtc_jax.files import atomic_path


def _recorded(sim):
    p = sim.Population(3, sim.IF_curr_exp(i_offset=[0.5, 1.0, 2.0]), label="cells")
    p.record(["spikes", "v"])
    sim.run(30.0)
    return p


def _load(path):
    io = neo.io.get_io(str(path))
    try:
        return io.read_block()
    finally:
        if hasattr(io, "close"):
            io.close()


@pytest.mark.parametrize("ext", [".pkl", ".nix"])
def test_write_then_load(sim, tmp_path, ext):
    p = _recorded(sim)
    path = tmp_path / f"data{ext}"
    p.write_data(str(path))
    block = _load(path)
    v = block.segments[0].filter(name="v")[0]
    np.testing.assert_array_equal(np.asarray(v), np.asarray(p.get_data().segments[0]
                                                            .filter(name="v")[0]))
    assert sorted(os.listdir(tmp_path)) == [f"data{ext}"]


@pytest.mark.parametrize("ext", [".pkl", ".nix"])
def test_failed_write_keeps_the_old_file_and_leaves_no_temporary(sim, tmp_path, monkeypatch,
                                                                 ext):
    p = _recorded(sim)
    path = tmp_path / f"data{ext}"
    p.write_data(str(path))
    old = path.read_bytes()
    io_class = neo.io.NixIO if ext == ".nix" else neo.io.PickleIO

    def fail(self, block, **kwargs):
        with open(self.filename, "ab") as f:        # half a file, then the failure
            f.write(b"\0" * 100)
        raise OSError("killed midway")

    monkeypatch.setattr(io_class, "write_block", fail)
    sim.run(10.0)
    with pytest.raises(OSError, match="killed midway"):
        p.write_data(str(path))
    assert path.read_bytes() == old
    with pytest.raises(OSError, match="killed midway"):
        p.write_data(str(tmp_path / f"new{ext}"))
    assert sorted(os.listdir(tmp_path)) == [f"data{ext}"]
    monkeypatch.undo()
    assert len(_load(path).segments[0].filter(name="v")[0]) == 301     # the old, 30 ms file


def test_assembly_and_end_write_atomically(sim, tmp_path, monkeypatch):
    a = sim.Population(2, sim.IF_curr_exp(i_offset=1.0), label="a")
    b = sim.Population(2, sim.IF_curr_exp(i_offset=2.0), label="b")
    a.record("spikes", to_file=str(tmp_path / "a.pkl"))
    sim.run(20.0)
    (a + b).write_data(str(tmp_path / "ab.pkl"))
    assert len(_load(tmp_path / "ab.pkl").segments[0].spiketrains) == 2
    monkeypatch.setattr(neo.io.PickleIO, "write_block",
                        lambda self, block: (_ for _ in ()).throw(OSError("killed")))
    with pytest.raises(OSError, match="killed"):
        sim.end()
    assert sorted(os.listdir(tmp_path)) == ["ab.pkl"]
    monkeypatch.undo()
    sim.end()
    assert len(_load(tmp_path / "a.pkl").segments[0].spiketrains) == 2


def test_nix_io_object_appends_and_is_reopened(sim, tmp_path):
    p = _recorded(sim)
    path = str(tmp_path / "data.nix")
    io = neo.io.NixIO(path, mode="ow")
    p.write_data(io)
    assert len(io.read_all_blocks()) == 1           # usable again after the write
    io.close()
    p.write_data(path)                              # get_io opens NIX read-write: appends
    io = neo.io.NixIO(path, mode="ro")
    assert len(io.read_all_blocks()) == 2
    io.close()


def test_atomic_path_cleans_up_on_failure(tmp_path):
    target = tmp_path / "x.bin"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            assert os.path.dirname(tmp) == str(tmp_path) and tmp.endswith(".bin")
            with open(tmp, "wb") as f:
                f.write(b"partial")
            raise RuntimeError
    assert os.listdir(tmp_path) == []
