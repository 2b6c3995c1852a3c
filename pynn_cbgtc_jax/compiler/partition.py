"""One network partitioned over several devices (``setup(devices=...)``): NEST's scheme on a
JAX mesh.

* **Cells**: every neuron population is dealt round-robin over the ``D`` devices, as NEST
  deals neurons over its processes: cell ``c`` lives on device ``c % D`` as local cell
  ``c // D``.  Each device holds ``L = ceil(n / D)`` cells of a population of ``n``; the
  places past the last real cell (``n`` not a multiple of ``D``) hold copies of a real cell
  whose spikes and values are never used.
* **Synapses**: each device stores the synapses onto its own cells (the global table's
  synapses in the global order, so every ring cell sums its inputs in the same order as on one
  device), in its own CSR table over the *global* presynaptic cells, padded to the longest
  device's table with synapses whose ring column lies past the ring (``scatter`` drops them).
* **Spikes**: after the neurons' step, each device's spike counts are all-gathered (one
  collective per step) into the global count vector that every device's delivery, recording
  and spike histories read.
* **Replicated**: spike sources (cheap; the same random numbers as one device), the electrode
  table, the postsynaptic spike histories of plastic synapses and the step counter are
  computed identically on every device.

``partition_build(build, devices)`` turns a one-device ``Build`` into the per-device arrays
(sharded leaves stacked ``[D, ...]``) and a ``Layout`` that maps the loop carry between the
one-device layout (what checkpoints, ``initialize()`` and ``get()`` see) and the devices'.

Random synapse rules (stochastic, quantal release) key their draws by each synapse's place
among its projections' synapses (``SynData.ids``), so they draw the same numbers on any device
or process count.

Several processes (``processes.py``): each process's build holds only the synapses onto its
own cells, so its devices' tables are complete and the other devices' empty here; the padded
table size, the lookup stride and the exchange block are agreed over the processes
(``engine/hosts.py: combine``), and ``Layout.synapses`` maps into this process's table.
"""
from __future__ import annotations

from dataclasses import dataclass

import jax
import numpy as np
from pyNN import errors

from ..engine import hosts
from ..engine.shards import Partition, PartData
from ..engine.spec import Carry, NetSpec, RecData, SynData, SynSpec
from ..engine.spike_sources import SOURCES
from ..engine.synapse_rules import RULES
from .build import owner_group

__all__ = ["Layout", "partition_build", "carry_to_devices", "carry_from_devices"]

@dataclass
class Layout:
    """Host-side maps between the one-device carry and the devices' (NumPy)."""
    devices: tuple
    cells: list              # per population: [D, L] global cell (neurons) or None (sources)
    real: list               # per population: [D, L] bool, a real cell (not padding)
    columns: np.ndarray      # [D, Wl] the global ring column of each local column (-1: none)
    synapses: list           # per synapse group: [D, nl] global position (-1: padding)


def _deal(n: int, D: int):
    """``[D, L]`` cells of a population of ``n`` dealt round-robin, padded with a real cell of
    the same device (or cell 0), and which are real."""
    L = -(-n // D)
    cells = np.arange(D)[:, None] + D * np.arange(L)[None, :]
    real = cells < n
    fill = np.where(real.any(axis=1), cells[:, 0], 0)
    return np.where(real, cells, fill[:, None]).astype(np.int32), real


def _local_table(rule, spec: SynSpec, data: SynData, dev_of_col, lcol_of_col, n_cells, D,
                 drop):
    """Per device the synapses onto its cells, in global order, padded; [D, nl] positions."""
    n_syn = data.target.shape[0]
    lengths = np.diff(data.row_ptr[:n_cells + 1])
    pre = np.repeat(np.arange(n_cells, dtype=np.int32), lengths)
    device = dev_of_col[data.target]
    picks = [np.flatnonzero(device == d) for d in range(D)]
    nl = int(hosts.combine(max(max(len(p) for p in picks), 1), "max"))
    positions = np.full((D, nl), -1, np.int64)
    for d, p in enumerate(picks):
        positions[d, :len(p)] = p
    safe = np.where(positions >= 0, positions, np.maximum(positions[:, :1], 0))
    real = positions >= 0
    row_ptr = np.zeros((D, n_cells + 2), np.int32)
    group = spec.group
    for d, p in enumerate(picks):
        local_lengths = np.bincount(pre[p], minlength=n_cells)
        row_ptr[d, 1:n_cells + 1] = np.cumsum(local_lengths)
        row_ptr[d, n_cells + 1] = nl
        group = min(group, owner_group(local_lengths, spec.batch))
    take = (lambda a: a[safe]) if n_syn else (lambda a: np.zeros((D, nl), a.dtype))
    target = np.where(real, lcol_of_col[data.target][safe] if n_syn else 0, drop)
    local = SynData(
        row_ptr=row_ptr,
        pre=take(data.pre) if data.pre.shape[0] == n_syn else np.zeros((D, 0), np.int32),
        post=take(data.post) if data.post.shape[0] == n_syn else np.zeros((D, 0), np.int32),
        target=target.astype(np.int32), weight=take(data.weight), delay=take(data.delay),
        params=tuple(take(p) for p in data.params),
        ids=take(data.ids) if RULES[rule].random else ())
    group = int(hosts.combine(group, "min"))
    return spec._replace(n_syn=nl, group=group), local, positions


def partition_build(build, devices: tuple):
    """``(spec, data, layout)`` of the one-device ``build`` partitioned over ``devices``:
    ``spec`` the per-device ``NetSpec`` (``spec.partition`` set), ``data`` NumPy leaves with
    the sharded ones stacked ``[D, ...]`` (``data_specs``), ``layout`` the carry maps."""
    spec, data, D = build.spec, build.data, len(devices)
    if any(rs.probes for rs in spec.recs):
        raise errors.InvalidParameterValueError(
            f"setup(devices={D} devices): an LFPElectrode records a sum over a population's "
            f"cells, which a network split over devices does not compute yet; run it on one "
            f"device (setup(devices=None)), or split an ensemble of it instead.")
    if any(p.detectors for p in spec.pops):
        raise errors.InvalidParameterValueError(
            f"setup(devices={D} devices): a cell type with further spike detectors "
            f"(spike_detectors, e.g. Cortex_Pospischil2008's middle_axon_node) does not run "
            f"split over devices yet; run it on one device (setup(devices=None)), or split an "
            f"ensemble of it instead.")
    n_cells = sum(p.size for p in spec.pops)
    pops, params, cells, reals, recs, rdata, orders = [], [], [], [], [], [], []
    col_parts, dev_of_col, lcol_of_col = [], np.zeros(spec.width, np.int64), \
        np.zeros(spec.width, np.int64)
    gather, neuron_offset, ring = [], 0, 0
    total_local = sum(-(-p.size // D) for p in spec.pops if p.kind not in SOURCES)
    for p, prm, rs, rd in zip(spec.pops, data.params, spec.recs, data.recs):
        if p.kind in SOURCES:
            pops.append(p)
            params.append(prm)
            cells.append(np.zeros((D, 0), np.int32))
            reals.append(None)
            recs.append(rs)
            rdata.append(rd)
            orders.append(tuple(np.arange(len(idx), dtype=np.int32) for idx in rd.signals))
            continue
        dealt, real = _deal(p.size, D)
        L = dealt.shape[1]
        pops.append(p._replace(size=L, ring_offset=ring))
        params.append(jax.tree_util.tree_map(lambda leaf: np.asarray(leaf)[dealt], prm))
        cells.append(dealt)
        reals.append(real)
        columns = np.full((D, p.n_receptors, L), -1, np.int64)
        for r in range(p.n_receptors):
            g = p.ring_offset + r * p.size + dealt
            columns[:, r, :] = np.where(real, g, -1)
            c = np.arange(p.size)
            dev_of_col[p.ring_offset + r * p.size + c] = c % D
            lcol_of_col[p.ring_offset + r * p.size + c] = ring + r * L + c // D
        col_parts.append(columns.reshape(D, -1))
        ring += p.n_receptors * L
        c = np.arange(p.size)
        gather.append((c % D) * total_local + neuron_offset + c // D)
        neuron_offset += L
        local_idx, order, n_local = [], [], []
        for idx in rd.signals:
            owner, at = idx % D, idx // D
            R = max(int(np.bincount(owner, minlength=D).max()), 1)
            table = np.zeros((D, R), np.int32)
            place = np.zeros(idx.size, np.int32)
            for d in range(D):
                mine = np.flatnonzero(owner == d)
                table[d, :mine.size] = at[mine]
                place[mine] = d * R + np.arange(mine.size)
            local_idx.append(table)
            order.append(place)
            n_local.append(R)
        recs.append(rs._replace(signals=tuple((f, R) for (f, _), R in zip(rs.signals, n_local))))
        rdata.append(rd._replace(signals=tuple(local_idx)))
        orders.append(tuple(order))
    width = max(ring, 1)
    columns = (np.concatenate(col_parts, axis=1) if col_parts else np.full((D, 1), -1))
    if columns.shape[1] < width:        # no receptor column anywhere: one padding column
        columns = np.full((D, width), -1)
    drop = spec.ring * width                       # past the ring: dropped by the scatter
    if 2 * drop >= np.iinfo(np.int32).max:
        raise errors.InvalidParameterValueError(
            f"setup(devices={D} devices): the ring buffer of one device ({spec.ring} x "
            f"{width} columns) is too large for int32 indices; use more devices.")
    syn_specs, syn_data, positions = [], [], []
    for g, s in zip(spec.syns, data.syns):
        gs, gd, pos = _local_table(g.rule, g, s, dev_of_col, lcol_of_col, n_cells, D, drop)
        syn_specs.append(gs)
        syn_data.append(gd)
        positions.append(pos)
    # steps per spike exchange: the shortest delay (no synapse: a chunk)
    block = int(hosts.combine(
        min([int(np.min(s.delay)) for s in data.syns if s.delay.size] + [spec.chunk]), "min"))
    local_spec = spec._replace(
        pops=tuple(pops), syns=tuple(syn_specs), recs=tuple(recs), width=width,
        partition=Partition(devices=tuple(devices), sizes=tuple(p.size for p in spec.pops),
                            block=max(block, 1)))
    layout_data = PartData(
        cells=tuple(cells),
        gather=(np.concatenate(gather) if gather else np.zeros(0, np.int64)).astype(np.int32),
        signal_order=tuple(orders))
    local_data = data._replace(params=tuple(params), syns=tuple(syn_data),
                               recs=tuple(RecData(*r) for r in rdata), layout=layout_data)
    layout = Layout(devices=tuple(devices), cells=[c if r is not None else None
                                                   for c, r in zip(cells, reals)],
                    real=reals, columns=columns, synapses=positions)
    return local_spec, local_data, layout


# -- the carry between layouts ------------------------------------------------------------------
def carry_to_devices(layout: Layout, spec: NetSpec, carry: Carry) -> Carry:
    """The one-device carry (NumPy) in the devices' layout (sharded leaves ``[D, ...]``)."""
    ring_len = spec.ring
    states = []
    for i, st in enumerate(carry.states):
        cells = layout.cells[i]
        states.append(st if cells is None else
                      type(st)(*(np.asarray(leaf)[cells] for leaf in st)))
    cols = layout.columns
    ring = _to_columns(np.asarray(carry.ring), ring_len, cols)
    inputs = _to_columns(np.asarray(carry.inputs), 1, cols)
    syn_states = tuple(tuple(_take(a, pos) for a in group)
                       for group, pos in zip(carry.syn_states, layout.synapses))
    return carry._replace(states=tuple(states), ring=ring, inputs=inputs,
                          syn_states=syn_states)


def _take(values, positions):
    """``values`` [n, ...] at ``positions`` [D, nl] (-1: padding, any value); zeros where
    this process holds none of the table (several processes: other processes' synapses)."""
    values = np.asarray(values)
    if values.shape[0] == 0:
        return np.zeros(positions.shape + values.shape[1:], values.dtype)
    return values[np.maximum(positions, 0)]


def _to_columns(flat, rows: int, cols):
    """``[rows * W]`` one-device columns -> ``[D, rows * Wl]`` (zero in padding columns)."""
    x = flat.reshape(rows, -1)                           # [rows, W]
    local = x[:, np.maximum(cols, 0)]                    # [rows, D, Wl]
    local = np.where(cols[None] >= 0, local, 0)
    return np.ascontiguousarray(local.transpose(1, 0, 2)).reshape(cols.shape[0], -1)


def _from_columns(local, rows: int, cols, width: int):
    """Inverse of ``_to_columns``: ``[D, rows * Wl]`` -> ``[rows * W]``."""
    D = cols.shape[0]
    x = np.asarray(local).reshape(D, rows, -1)
    out = np.zeros((rows, width), x.dtype)
    d, j = np.nonzero(cols >= 0)
    out[:, cols[d, j]] = x[d, :, j].T
    return out.reshape(-1)


def _gather_back(sharded, index, real, n: int):
    """A sharded leaf ``[D, L, ...]`` in the one-device layout ``[n, ...]``: the real entries
    (``real`` [D, L]) at their one-device positions ``index`` [D, L]."""
    sharded = np.asarray(sharded)
    out = np.zeros((n,) + sharded.shape[2:], sharded.dtype)
    out[index[real]] = sharded[real]
    return out


def carry_from_devices(layout: Layout, spec: NetSpec, width: int, n_syn: list,
                       carry: Carry) -> Carry:
    """The devices' carry (NumPy, sharded leaves ``[D, ...]``) in the one-device layout;
    ``width`` the one-device ring width, ``n_syn`` each group's one-device synapse count."""
    states = []
    for i, st in enumerate(carry.states):
        cells, real = layout.cells[i], layout.real[i]
        if cells is None:
            states.append(st)
            continue
        n = int(real.sum())
        states.append(type(st)(*(_gather_back(leaf, cells, real, n) for leaf in st)))
    syn_states = tuple(tuple(_gather_back(a, pos, pos >= 0, n) for a in group)
                       for group, pos, n in zip(carry.syn_states, layout.synapses, n_syn))
    return carry._replace(
        states=tuple(states),
        ring=_from_columns(carry.ring, spec.ring, layout.columns, width),
        inputs=_from_columns(carry.inputs, 1, layout.columns, width),
        syn_states=syn_states)
