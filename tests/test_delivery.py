"""Spike delivery: the event path reproduces the dense path bit for bit.

Reference: the dense path (every synapse visited once) is the definition of delivery; the
event path (events taken ``batch`` at a time by a while loop) must reproduce it bit for bit
whatever the batch size -- from one batch per step to dozens -- since both add the
contributions to a ring cell in the same order.
"""
import numpy as np
import pytest

from pynn_cbgtc_jax import simulator


def _net(sim):
    rng = sim.NumpyRNG(seed=3)
    src = sim.Population(300, sim.SpikeSourcePoisson(rate=50.0), label="src")
    cells = sim.Population(200, sim.IF_cond_exp(tau_refrac=1.0), label="cells")
    sim.Projection(src, cells, sim.FixedProbabilityConnector(0.2, rng=rng),
                   sim.StaticSynapse(weight=0.002, delay=sim.RandomDistribution(
                       "uniform", low=0.1, high=5.0, rng=rng)))
    sim.Projection(cells, cells, sim.FixedProbabilityConnector(0.1, rng=rng),
                   sim.StaticSynapse(weight=0.004, delay=1.0), receptor_type="inhibitory")
    cells.record(["spikes", "v"])
    return cells


def _result(cells):
    seg = cells.get_data().segments[0]
    return np.asarray(seg.filter(name="v")[0]), [np.asarray(s) for s in seg.spiketrains]


def _run_with(sim, batch, dense):
    sim.setup(timestep=0.1)
    cells = _net(sim)
    sim.run(0.1)
    s = simulator.state.simulation
    s.spec = s.spec._replace(syns=tuple(g._replace(batch=batch, dense=dense)
                                        for g in s.spec.syns))
    from pynn_cbgtc_jax.engine.runner import chunk_function
    s.fn = chunk_function(s.spec)
    sim.run(200.0)
    return _result(cells)


@pytest.mark.parametrize("batch", [8, 64, 4096])
def test_event_and_dense_paths_are_bit_identical(sim, batch):
    # 300 sources at 50 Hz x ~40 synapses: ~60 events per step, so batch 8 needs ~8 loop
    # iterations per step, 64 about one, 4096 one with most of the batch empty
    v_dense, st_dense = _run_with(sim, 4096, True)
    v_event, st_event = _run_with(sim, batch, False)
    assert sum(len(s) for s in st_dense) > 50
    np.testing.assert_array_equal(v_event, v_dense)
    for a, b in zip(st_dense, st_event):
        np.testing.assert_array_equal(a, b)


def test_large_networks_take_the_event_path(sim):
    sim.setup(timestep=0.1)
    src = sim.Population(2000, sim.SpikeSourcePoisson(rate=5.0))
    cells = sim.Population(2000, sim.IF_cond_exp())
    sim.Projection(src, cells, sim.FixedProbabilityConnector(0.1, rng=sim.NumpyRNG(seed=1)),
                   sim.StaticSynapse(weight=0.001))
    sim.run(0.1)
    syn = simulator.state.simulation.spec.syns[0]
    # 400k synapses, ~200 events per step: one pass over every synapse would cost 2000x more
    assert not syn.dense


def test_device_storage_per_synapse(sim):
    """Issue #6: at most 12 bytes per static synapse on the device (int32 ring column,
    float32 weight, small-integer delay) once the table is large enough for the event path."""
    sim.setup(timestep=0.1, min_delay=0.1, max_delay=20.0)
    src = sim.Population(2000, sim.SpikeSourcePoisson(rate=5.0))
    cells = sim.Population(2000, sim.IF_cond_exp())
    rng = sim.NumpyRNG(seed=2)
    prj = sim.Projection(src, cells, sim.FixedProbabilityConnector(0.1, rng=rng),
                         sim.StaticSynapse(weight=0.001, delay=sim.RandomDistribution(
                             "uniform", low=0.1, high=20.0, rng=rng)))
    sim.run(0.1)
    s = simulator.state.simulation
    table = s.data.syns[0]
    per_syn = sum(getattr(table, f).nbytes for f in ("pre", "post", "target", "weight", "delay")
                  ) / len(prj)
    assert not s.spec.syns[0].dense
    assert per_syn <= 12, per_syn


@pytest.mark.parametrize("n_keys", [1, 7, 65_536, 65_537, 500_000, 3_000_000_000])
def test_synapse_order_is_a_stable_sort(n_keys):
    """Reference: ``np.argsort(kind="stable")``.  The CSR tables order synapses by presynaptic
    cell with a 16-bit-digit radix sort (``compiler/build.py: _stable_order``); it must give
    the same permutation (ties in their original order), for one digit, for two, and at the
    digit boundaries."""
    from pynn_cbgtc_jax.compiler.build import _stable_order
    keys = np.random.default_rng(n_keys % 1000).integers(0, n_keys, 50_000).astype(np.int64)
    np.testing.assert_array_equal(_stable_order(keys, n_keys), np.argsort(keys, kind="stable"))


def _expected_owners(lengths, events):
    """NumPy's reference for the event path's lookup: the cell of each event (``searchsorted``
    on the running sum of the cells' events), the first event of that cell's row, and whether
    the event exists (below the step's total)."""
    last = np.cumsum(lengths)
    cell = np.minimum(np.searchsorted(last, events, side="right"), len(lengths) - 1)
    return cell, last[cell] - lengths[cell], events < last[-1]


@pytest.mark.parametrize("count_limit, forms", [(None, "cpu"), (0, "cpu"), (0, "accelerator")])
def test_block_lookup_finds_the_cell_of_every_event(monkeypatch, count_limit, forms):
    """``delivery._owners`` (block, then cell within the block) against NumPy's
    ``searchsorted`` over every cell: cell, first event and end of the row of every valid
    event.  A cell count that is not a multiple of ``BLOCK``, silent cells and silent whole
    blocks, one long row spanning many events; the blocks counted in one pass (default) and
    searched (``COUNT_LIMIT`` 0: the CPU's loop, and the accelerators' unrolled search run
    here on the CPU); one network and members ``vmap``-ed.  Integers: exact."""
    import jax
    import jax.numpy as jnp
    from pynn_cbgtc_jax.engine import delivery, platform
    if count_limit is not None:
        monkeypatch.setattr(delivery, "COUNT_LIMIT", count_limit)
    if forms == "accelerator":
        monkeypatch.setattr(platform, "_platform_dependent",
                            lambda *args, cpu, default: default(*args))
    rng = np.random.default_rng(3)
    n_cells = 5 * delivery.BLOCK + 7
    lengths = rng.integers(1, 6, (4, n_cells)) * (rng.random((4, n_cells)) < 0.4)
    lengths[:, delivery.BLOCK:3 * delivery.BLOCK] = 0           # two silent blocks
    lengths[2, 10] = 300                                        # one long row
    lengths = lengths.astype(np.int32)
    events = np.arange(int(lengths.sum(axis=1).max()) + 5, dtype=np.int32)

    def lookup(length, q):
        padded, block_last = delivery._blocks(length)
        cell, start, end = delivery._owners(padded, block_last, q)
        return jnp.minimum(cell, n_cells - 1), start, end

    found = [np.asarray(x) for x in jax.jit(jax.vmap(lookup, in_axes=(0, None)))(
        jnp.asarray(lengths), jnp.asarray(events))]
    for m in range(4):
        cell, start, valid = _expected_owners(lengths[m], events)
        assert valid.sum() > 100
        np.testing.assert_array_equal(found[0][m][valid], cell[valid])
        np.testing.assert_array_equal(found[1][m][valid], start[valid])
        np.testing.assert_array_equal(found[2][m][valid], (start + lengths[m][cell])[valid])
    one = np.asarray(jax.jit(lookup)(jnp.asarray(lengths[1]), jnp.asarray(events))[0])
    cell, _, valid = _expected_owners(lengths[1], events)
    np.testing.assert_array_equal(one[valid], cell[valid])


@pytest.mark.parametrize("members", [None, 3])
def test_strided_owner_lookup_equals_a_lookup_of_every_event(members):
    """``delivery._batch_cells`` looks up every ``group``-th event and decides the others
    from their neighbours' owners; reference: NumPy's ``searchsorted`` of every event, for
    every valid event (below the step's total), and the validity itself.  Rows as short as
    ``group`` (the bound ``SynSpec.group`` relies on), long rows, silent cells between them,
    batches starting mid-row and past the total; one network and an ensemble's members
    (``vmap``-ed).  Integers: equality is exact."""
    import jax
    import jax.numpy as jnp
    from pynn_cbgtc_jax.compiler.build import owner_group
    from pynn_cbgtc_jax.engine import delivery
    rng = np.random.default_rng(11)
    n_cells, batch, group = 200, 64, 8
    m = members or 1
    rows = rng.choice([8, 9, 15, 16, 40, 130], (m, n_cells))
    assert owner_group(rows[0], batch) == group
    lengths = (rows * (rng.random((m, n_cells)) < 0.3)).astype(np.int32)
    totals = lengths.sum(axis=1)

    def run(length, first):
        padded, block_last = delivery._blocks(length)
        cell, position, valid = delivery._batch_cells(padded, block_last, first, batch, group)
        return jnp.minimum(cell, n_cells - 1), position, valid

    for first in (0, 5, 72, 333, int(totals.min()) - 3, int(totals.max()) + 9):
        if members:
            found = jax.jit(jax.vmap(run, in_axes=(0, None)))(jnp.asarray(lengths),
                                                              jnp.int32(first))
        else:
            found = [x[None] for x in jax.jit(run)(jnp.asarray(lengths[0]), jnp.int32(first))]
        found = [np.asarray(x) for x in found]
        events = first + np.arange(batch)
        for k in range(m):
            cell, start, valid = _expected_owners(lengths[k], events)
            np.testing.assert_array_equal(found[2][k], valid)
            np.testing.assert_array_equal(found[0][k][valid], cell[valid])
            np.testing.assert_array_equal(found[1][k][valid], (events - start)[valid])
