"""``setup(devices=...)``: the same results on one device and on several (issue 15).

Reference: the one-device run of the same script, compared bitwise (``np.array_equal``) in
float64 on the CPU.  Members of an ensemble are independent and each group of members runs the
one-device program on its own device.  A network partitioned over devices sums every ring cell's
inputs in the one-device order and steps each cell with the same arithmetic (kernels run over
at least 16 lanes, ``engine/lanes.py``), so it too must match bit for bit.  Several devices
are simulated CPU devices (``XLA_FLAGS=--xla_force_host_platform_device_count``), which must be
set before JAX starts: each run is a subprocess (``tests/scripts/devices_run.py``).
"""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from pyNN import errors

import pynn_cbgtc_jax as sim

SCRIPT = Path(__file__).parent / "scripts" / "devices_run.py"


def _run(tmp_path, n_host, devices, members=0):
    out = tmp_path / f"run_{n_host}_{devices}_{members}.npz"
    proc = subprocess.run([sys.executable, str(SCRIPT), str(out), str(n_host), str(devices),
                           str(members)], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return np.load(out)


def _assert_same(a, b):
    # a process of several also saves what get_data(gather=False) gave it (local_*, all_*)
    # its projections' sizes (nsyn_*), whether they were drawn by column (bycol_*) and what
    # checkpoint() did (proc_*)
    assert sorted(a.files) == sorted(f for f in b.files if not f.startswith(
        ("local_", "all_", "nsyn_", "bycol_", "proc_")))
    for name in a.files:
        if name not in ("devices", "processes"):
            assert np.array_equal(a[name], b[name], equal_nan=True), name


def test_an_ensemble_split_over_four_devices_equals_one_device(tmp_path):
    """6 members on 4 devices: groups of 2 members on 3 devices, each bitwise equal to the
    one-device ensemble (every kind of cell, source, synapse and electrode; set, initialize,
    reset between runs)."""
    one = _run(tmp_path, 1, "none", members=6)
    four = _run(tmp_path, 4, 4, members=6)
    assert len(one["devices"]) == 1
    assert len(four["devices"]) == 3, four["devices"]
    assert sum(one[k].size for k in one.files if k.startswith("spikes_")) > 100
    _assert_same(one, four)


@pytest.fixture(scope="module")
def one_device(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("one"), 1, "none")


@pytest.mark.parametrize("n_devices", [2, 3, 4])
def test_one_network_partitioned_over_devices_equals_one_device(one_device, tmp_path,
                                                                n_devices):
    """The every-feature network (8 cell families, Poisson/gamma/array sources, static,
    Tsodyks-Markram and STDP synapses, DC/noisy/DBS electrodes; 20 cells a population, so 3
    devices leave padding) split over 2, 3 and 4 devices: every recorded value, spike and
    plastic weight bitwise equal to one device, through set(), initialize() and reset()."""
    split = _run(tmp_path, 4, n_devices)
    assert len(split["devices"]) == n_devices, split["devices"]
    assert sum(one_device[k].size for k in one_device.files if k.startswith("spikes_")) > 20
    _assert_same(one_device, split)


@pytest.mark.parametrize("written, continued", [(3, "none"), ("none", 2)])
def test_a_checkpoint_continues_on_another_device_count(tmp_path, written, continued):
    """A checkpoint holds the one-device layout: written on 3 devices and continued on one
    (and the other way round), the run equals the uninterrupted one-device run bit for bit
    (an STN population's v across the restore, and STDP weights)."""
    script = Path(__file__).parent / "scripts" / "devices_checkpoint.py"
    ck = tmp_path / "net.ckpt"

    def run(mode, devices, out=tmp_path / "unused.npz"):
        proc = subprocess.run([sys.executable, str(script), mode, str(devices), str(ck),
                               str(out)], capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr[-3000:]
        return out

    full = np.load(run("full", "none", tmp_path / "full.npz"))
    run("save", written)
    resumed = np.load(run("load", continued, tmp_path / "resumed.npz"))
    assert full["v"].shape == resumed["v"].shape == (200, 20)
    for name in ("v", "w"):
        assert np.array_equal(full[name], resumed[name], equal_nan=True), name


def _free_port() -> int:
    import socket
    with socket.socket() as sock:
        sock.bind(("localhost", 0))
        return sock.getsockname()[1]


def test_two_processes_equal_one_process(one_device, tmp_path):
    """The same script as two processes on localhost (``setup(distributed=True)``, each with
    2 simulated CPU devices, collectives through gloo): the network partitioned over the 4
    devices of both; each rank holds all the recorded data, bitwise equal to one device, and
    ``rank()``/``num_processes()`` answer 0/1 and 2.  Each process keeps only the synapses
    onto its own cells (together all of them, none twice), yet ``Projection.get`` gives every
    synapse in the one-process order (list and array formats, plastic weights included).
    NativeRNG connectors draw only the process's own targets' synapses, the same ones."""
    import os
    port = _free_port()
    procs = []
    for rank in range(2):
        env = dict(os.environ, JAX_COORDINATOR_ADDRESS=f"localhost:{port}",
                   JAX_NUM_PROCESSES="2", JAX_PROCESS_ID=str(rank))
        procs.append(subprocess.Popen(
            [sys.executable, str(SCRIPT), str(tmp_path / f"rank{rank}.npz"), "2", "none"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    try:
        errors_ = [p.communicate(timeout=600)[1] for p in procs]
    finally:
        for p in procs:
            p.kill()
    for p, err in zip(procs, errors_):
        assert p.returncode == 0, err[-3000:]
    outs = []
    for rank in range(2):
        out = np.load(tmp_path / f"rank{rank}.npz")
        assert list(out["processes"]) == [rank, 2]
        assert len(out["devices"]) == 4
        _assert_same(one_device, out)
        outs.append(out)
    # synapses: len(prj) and size(gather=False) are this process's, size() everyone's
    sizes = [k for k in outs[0].files if k.startswith("nsyn_")]
    assert sizes
    for k in sizes:
        (n0, local0, all0), (n1, local1, all1) = outs[0][k], outs[1][k]
        assert n0 == local0 and n1 == local1 and all0 == all1 == n0 + n1, k
        if all0 >= 20:
            assert 0 < n0 < all0, k
    # the NativeRNG connectors that draw target by target (FixedProbability, FixedNumberPre,
    # FixedTotalNumber, distance-dependent) and both all-to-all ones (NativeRNG or constant
    # weights) made only each process's own targets' synapses; the others (NumpyRNG,
    # FixedNumberPost, clone, list) drew everything and kept their own
    by_column = [int(k[len("bycol_"):]) for k in outs[0].files
                 if k.startswith("bycol_") and outs[0][k]]
    assert len(by_column) == 6 and all(outs[1][f"bycol_{j}"] for j in by_column), by_column
    # a checkpoint is refused with a reason, not written from one process's synapses
    for out in outs:
        assert "each process holds only the synapses" in str(out["proc_checkpoint"])
    # a delay refused by the process that owns its target (rank 0: cell 0): the other process
    # raises too, instead of waiting for it in a collective
    assert "below the minimum" in str(outs[0]["proc_error"])
    assert "another process could not create its synapses" in str(outs[1]["proc_error"])
    # get_data(gather=False): each rank its own cells (those on its 2 devices), together all
    # of them, none twice (pyNN.nest's local data)
    for p in (k[len("local_"):] for k in outs[0].files if k.startswith("local_")):
        local = [set(out[f"local_{p}"]) for out in outs]
        cells = set(outs[0][f"all_{p}"])
        assert not local[0] & local[1] and local[0] | local[1] == cells
        if len(cells) >= 4:
            assert local[0] and local[1]


@pytest.mark.parametrize("value, fragment", [
    (0, "between 1 and 1 devices"), (2, "between 1 and 1 devices"), ("every", "'all'"),
    (1.5, "not float"), (True, "not bool"), ([], "an empty list"), (["cpu:0"], "is not one of"),
])
def test_setup_refuses_devices_it_cannot_use(value, fragment):
    with pytest.raises(errors.InvalidParameterValueError) as info:
        sim.setup(devices=value)
    message = str(info.value)
    assert fragment in message and "devices" in message
    assert "xla_force_host_platform_device_count" in message    # the fix for the CPU


def test_setup_accepts_the_devices_it_has():
    import jax
    for value in (None, 1, "all", [jax.devices()[0]]):
        sim.setup(devices=value)
        src = sim.Population(3, sim.SpikeSourcePoisson(rate=100.0))
        cells = sim.Population(2, sim.IF_curr_exp())
        sim.Projection(src, cells, sim.AllToAllConnector(), sim.StaticSynapse(weight=1.0))
        cells.record("spikes")
        sim.run(20.0)
        assert cells.get_data().segments[0].spiketrains


def test_setup_refuses_a_device_listed_twice():
    import jax
    with pytest.raises(errors.InvalidParameterValueError, match="listed twice"):
        sim.setup(devices=[jax.devices()[0]] * 2)


def test_distributed_setup_names_the_missing_environment(monkeypatch):
    monkeypatch.setenv("JAX_NUM_PROCESSES", "2")
    monkeypatch.delenv("JAX_COORDINATOR_ADDRESS", raising=False)
    monkeypatch.delenv("JAX_PROCESS_ID", raising=False)
    with pytest.raises(errors.InvalidParameterValueError,
                       match="JAX_COORDINATOR_ADDRESS, JAX_PROCESS_ID not"):
        sim.setup(distributed=True)


def test_importing_the_backend_does_not_start_jax():
    """``jax.distributed.initialize`` (``setup(distributed=True)``) must come before JAX's
    backend starts: the import computes nothing with JAX (the Rubin-Terman cells' steady-state
    initial values are computed at first use)."""
    code = ("import pynn_cbgtc_jax as sim\nfrom jax._src import xla_bridge\n"
            "assert not xla_bridge._backends, 'backend started at import'\n"
            "assert abs(sim.STN_RT2004.default_initial_values['v'] + 60.0) < 1e-12\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
