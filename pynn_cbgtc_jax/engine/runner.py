"""The compiled chunk: one loop over up to ``spec.chunk`` steps of the whole network.

``chunk_function(spec)`` returns the jit-compiled ``(data, carry, n_active) -> (carry, outputs)``
for a network structure, cached by its ``NetSpec`` so a rebuilt but identical network (a second
``setup()``) reuses it.  The number of steps ``n_active <= spec.chunk`` is traced: a
``lax.while_loop`` runs exactly that many steps and writes each step's outputs into row ``j``
of ``[spec.chunk, ...]`` buffers (rows past ``n_active`` stay zero).  That keeps one compiled
program for every run length and chunk size (the host sizes chunks by wall time), makes
``run(a + b)`` bitwise equal to ``run(a); run(b)``, and costs nothing for the steps not run
(a ``lax.scan`` over ``spec.chunk`` steps that skipped the rest with ``lax.cond`` copied the
whole carry in every skipped step: 0.3 s per call for an 82 MB carry).  ``TRACE_COUNT``
counts traces, so tests can prove that ``set()``, ``reset()``, a second ``run()`` and another
chunk size do not recompile.
"""
from __future__ import annotations

from collections import Counter, OrderedDict
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp

from ..kernels.base import Drive
from ..kernels.registry import NEURON_MODELS
from ..kernels.sources import uniform_cells
from . import platform
from .delivery import clear_slot, deliver, population_input, read_slot
from .lanes import population_step
from .shards import exchange_blocks, first_bad_anywhere, sharded_chunk
from .closed_loops import advance_loops, modulate_sources
from .electrodes import injected, recorded_amplitudes, source_amplitudes
from .source_blocks import block_counts, block_params, source_blocks
from .spec import Carry, NetData, NetSpec, probe_value, signal_values
from .spike_sources import SOURCES
from .spike_timing import record_post_spikes

__all__ = ["TRACE_COUNT", "StepOutputs", "chunk_function"]

TRACE_COUNT = Counter()
#: compiled chunk programs kept in memory, least recently used dropped first: a script that
#: builds many different networks (a parameter sweep over structures) does not grow without
#: bound; one network needs one program (two when it records differently in another run)
PROGRAM_CACHE_SIZE = 16
_CACHE: OrderedDict = OrderedDict()
#: the name of an ensemble's member axis (``jax.vmap(axis_name=...)``), for the few reductions
#: over members that keep a loop's trip count or a conditional's branch the same for all of
#: them (``delivery.deliver``, ``kernels/sources.py: poisson_block_counts``)
MEMBER_AXIS = "members"


class StepOutputs(NamedTuple):
    spikes: tuple            # per population: uint8 counts of the recorded cells
    signals: tuple           # per population: tuple of recorded signal values
    currents: object         # [S] recorded source amplitudes, or ()
    probes: tuple = ()       # every probe's value (population order, then probe order)
    control: tuple = ()      # per closed loop: (last biomarker, output in effect)


def _prepare_all(spec: NetSpec, data: NetData):
    """Per population the model's coefficients (None for spike sources); per source block its
    concatenated parameters.  Evaluated once per chunk, outside the step loop."""
    coeffs = []
    for pop, params in zip(spec.pops, data.params):
        model = NEURON_MODELS.get(pop.kind)
        coeffs.append(None if model is None else
                      jax.vmap(model.prepare, in_axes=(0, None))(params, data.dt))
    return coeffs, tuple(block_params(b, data.params) for b in source_blocks(spec.pops))


def _step(spec: NetSpec, data: NetData, prepared, carry: Carry):
    """Advance the whole network by one step ``carry.step``; returns (carry, outputs).

    Spike sources are drawn a kind at a time (``source_blocks.py``), neurons a population at a
    time (a further population of a model already present, its recording included, adds
    ~300-420 instructions to the program: issue 18)."""
    k = carry.step
    # The slot of step k was read at the end of step k - 1 (``carry.inputs``).  Ring order per
    # step -- clear that slot, deliver, read the next slot -- lets XLA update the ring in place:
    # a read of the ring followed by a write in the same step makes it copy the whole ring.
    ring = clear_slot(carry.ring, k, spec.width, spec.ring)
    states, counts, bad, signals = advance_cells(spec, data, prepared, carry, carry.inputs)
    counts = counts + detector_counts(spec, carry.states, states)
    # the spike counts in memory once; every consumer (delivery, recording, STDP history) reads
    # them from there instead of recomputing a population's step
    all_counts = platform.in_memory(
        jnp.concatenate(counts) if counts else jnp.zeros(0, jnp.int32), k)
    ring, syn_states, history, spikes = deliver_spikes(spec, data, all_counts, ring,
                                                       carry.syn_states, carry.history, k)
    inputs = read_slot(ring, k + 1, spec.width, spec.ring)
    probe_values = probes(spec, data, states)
    control = (advance_loops(spec, data.loops, carry.control, probe_values, k, data.dt)
               if spec.loops else ())
    outputs = StepOutputs(spikes=spikes, signals=signals,
                          currents=recorded_currents(spec, data, k, control),
                          probes=probe_values,
                          control=tuple((c.biomarker, c.output) for c in control))
    return Carry(step=k + 1, states=states, ring=ring, inputs=inputs,
                 syn_states=syn_states, history=history, bad_step=bad,
                 control=control), outputs


def advance_cells(spec: NetSpec, data: NetData, prepared, carry: Carry, slot):
    """Step ``carry.step`` of every population: ``(states, counts, bad_step, signals)``.

    ``slot``: the ring inputs of the step (``read_slot(ring, k)``); ``counts`` per population
    the int32 spikes of its cells (a partitioned network's neurons: this device's cells);
    ``signals`` the recorded values of the new states."""
    k = carry.step
    part = spec.partition                   # None, or this device's part of the network
    sizes = part.sizes if part else tuple(p.size for p in spec.pops)
    dtype = jnp.dtype(spec.dtype)
    member_axis = MEMBER_AXIS if spec.members else None
    coeffs, block_data = prepared
    e_spec, e_data = spec.electrodes, data.electrodes
    amps = source_amplitudes(e_spec, e_data, k, dtype) if e_spec.n_sources else None
    if spec.loops:
        amps = modulate_sources(spec, carry.control, amps, e_data, k)
    i_all = injected(e_spec, e_data, amps, k, dtype) if e_spec.n_sources else None
    states, counts = list(carry.states), [None] * len(spec.pops)
    bad = list(carry.bad_step)
    for block, params in zip(source_blocks(spec.pops), block_data):
        c, st = block_counts(block, params, carry.states, data.key, k, data.dt, member_axis)
        for i, ci, si in zip(block.members, c, st):
            counts[i], states[i] = ci, si
    for i, pop in enumerate(spec.pops):
        params, state = data.params[i], carry.states[i]
        if pop.kind in SOURCES and not SOURCES[pop.kind].block:
            counts[i], states[i] = SOURCES[pop.kind].draw(params, state, k, pop)
        elif pop.kind in NEURON_MODELS:
            model = NEURON_MODELS[pop.kind]
            inp = population_input(slot, pop.ring_offset, pop.size, pop.n_receptors)
            receptors = tuple(inp)
            exc, inh = (receptors + (jnp.zeros(pop.size, dtype),) * 2)[:2]
            offset = e_spec.targets[i] if e_spec.n_sources else -1
            i_inj = (i_all[offset:offset + sizes[i]] if offset >= 0
                     else jnp.zeros(sizes[i], dtype))
            field = e_spec.field_targets[i] if e_spec.field_targets else -1
            i_field = i_all[field:field + sizes[i]] if field >= 0 else None
            rand = (uniform_cells(jax.random.fold_in(jax.random.fold_in(data.key, i), k),
                                  sizes[i], dtype) if model.random else None)
            if part:        # the whole population's values, this device's cells
                i_inj = i_inj[data.layout.cells[i]]
                i_field = None if i_field is None else i_field[data.layout.cells[i]]
                rand = None if rand is None else rand[data.layout.cells[i]]
            step = (partial(model.step, n_sub=pop.substeps) if model.substeps is not None
                    else model.step)
            if pop.scheme:
                step = partial(step, scheme=pop.scheme)
            states[i], spiked = population_step(step, coeffs[i], state,
                                                Drive(exc, inh, i_inj, rand, receptors,
                                                      i_field))
            counts[i] = spiked.astype(jnp.int32)
            bad[i] = _first_bad(bad[i], state, jnp.maximum(k - 1, 0))
    signals = tuple(tuple(signal_values(states[i], field, idx)
                          for (field, _), idx in zip(rs.signals, rd.signals))
                    for i, (rs, rd) in enumerate(zip(spec.recs, data.recs)))
    return tuple(states), counts, tuple(bad), signals


def detector_counts(spec: NetSpec, old_states, new_states) -> list:
    """The spikes of the populations' further detectors (``PopSpec.detectors``), in global
    cell order after every population's: an upward crossing of the threshold by ``v`` at the
    detector's node between the step's start and end, as the cell's own detector (NEURON's
    NetCon without interpolation) -- int32 [size] each."""
    out = []
    for i, pop in enumerate(spec.pops):
        for node, threshold, _ in pop.detectors:
            before, after = old_states[i].v[:, node], new_states[i].v[:, node]
            out.append(((before < threshold) & (after >= threshold)).astype(jnp.int32))
    return out


def deliver_spikes(spec: NetSpec, data: NetData, all_counts, ring, syn_states, history, k):
    """The spikes ``all_counts`` (every cell of the network) of step ``k`` over every synapse
    group into ``ring``, then into the postsynaptic spike histories: ``(ring, syn_states,
    history, recorded spike counts)``."""
    part = spec.partition
    sizes = part.sizes if part else tuple(p.size for p in spec.pops)
    member_axis = MEMBER_AXIS if spec.members else None
    new_states = []
    for g, (gspec, gdata) in enumerate(zip(spec.syns, data.syns)):
        key = jax.random.fold_in(jax.random.fold_in(data.key, 1_000_000 + g), k)
        st, ring = deliver(gspec, gdata, all_counts, syn_states[g], ring, history,
                           k, data.dt, key, spec.width, spec.ring, member_axis)
        new_states.append(st)
    if spec.history:
        history = record_post_spikes(history, all_counts,
                                     ((k + 1) * data.dt).astype(jnp.dtype(spec.dtype)),
                                     data.post_tau)
    counts = [all_counts[p.cell_offset:p.cell_offset + n] for p, n in zip(spec.pops, sizes)]
    spikes = tuple(jnp.minimum(counts[i][rd.spikes], 255).astype(jnp.uint8)
                   for i, rd in enumerate(data.recs))
    return ring, tuple(new_states), history, spikes


def recorded_currents(spec: NetSpec, data: NetData, k, control=()):
    """The recorded sources' samples at ``t_{k+1}`` (the current of the step that starts
    there; closed loops' sources scaled by the output ``control`` sets for it), or ()."""
    e_spec, e_data, dtype = spec.electrodes, data.electrodes, jnp.dtype(spec.dtype)
    if not e_spec.record:
        return ()
    amps = modulate_sources(spec, control, source_amplitudes(e_spec, e_data, k + 1, dtype),
                            e_data, k + 1)
    return recorded_amplitudes(e_spec, e_data, amps, k + 1, dtype)


# No physical state reaches 1e12 in PyNN units (mV, nA, uS): beyond it the integration has
# diverged even if the numbers are still finite (NEST's aeif models stop at |V| > 1e3 mV).
_DIVERGED = 1e12


def _first_bad(bad, state, step):
    """``bad`` (the first step whose end state diverged, -1: none yet), or ``step`` if it is
    -1 and ``state`` -- the state at the end of ``step`` -- is not sane.

    The step loop checks the state each step *starts* from (a loop variable, in memory), and
    the chunk checks its final state once: the same first step as checking every new state,
    but checking a new state fused its whole computation (an RK4 step's last combination)
    into one more reduction per population and step (CBGTC example, 32 members: ~7 % of the
    step)."""
    return jnp.where((bad < 0) & ~_sane(state), step, bad)


def _sane(state):
    """True while every floating-point state variable of the population is finite and bounded."""
    ok = jnp.bool_(True)
    for leaf in state:
        if jnp.issubdtype(leaf.dtype, jnp.floating):
            ok = ok & jnp.all(jnp.abs(leaf) < _DIVERGED)   # also False for NaN
    return ok


def probes(spec: NetSpec, data: NetData, states):
    """Every probe's value at ``states`` (``spec.probe_value``), a flat tuple."""
    return tuple(probe_value(states[i], fields, weights)
                 for i, (rs, rd) in enumerate(zip(spec.recs, data.recs))
                 for fields, weights in zip(rs.probes, rd.probes))


def _idle_outputs(spec: NetSpec, data: NetData):
    dtype = jnp.dtype(spec.dtype)
    return StepOutputs(
        spikes=tuple(jnp.zeros(rs.spikes, jnp.uint8) for rs in spec.recs),
        signals=tuple(tuple(jnp.zeros(n, dtype) for _, n in rs.signals) for rs in spec.recs),
        currents=(jnp.zeros(spec.electrodes.n_sources, dtype) if spec.electrodes.record else ()),
        probes=tuple(jnp.zeros((), dtype) for rs in spec.recs for _ in rs.probes),
        control=tuple((jnp.zeros((), dtype), jnp.zeros((), dtype)) for _ in spec.loops))


def carry_axes(carry: Carry, members: int):
    """The member axis of each leaf of an ensemble's carry (None: one for all members): the
    step counter is one for all members (a batched counter would turn every read and clear of
    the ring buffer's slot into a gather and a scatter)."""
    axes = jax.tree_util.tree_map(lambda _: 0, carry)
    return axes._replace(step=None) if members else axes


def _ensemble_chunk(spec: NetSpec, single):
    """The chunk of an ensemble: ``single`` (one network's chunk) vmapped over the members --
    the data leaves flagged in ``spec.batched`` and the carry as ``carry_axes``."""

    def chunk(data: NetData, carry: Carry, n_active):
        axes = jax.tree_util.tree_unflatten(jax.tree_util.tree_structure(data),
                                            [0 if b else None for b in spec.batched])
        c_axes = carry_axes(carry, spec.members)
        return jax.vmap(single, in_axes=(axes, c_axes, None), out_axes=(c_axes, 0),
                        axis_name=MEMBER_AXIS)(data, carry, n_active)

    return chunk


def chunk_function(spec: NetSpec):
    """The jit-compiled chunk for ``spec`` (cached)."""
    if spec in _CACHE:
        _CACHE.move_to_end(spec)
        return _CACHE[spec]

    def chunk(data: NetData, carry: Carry, n_active):
        TRACE_COUNT["chunk"] += 1
        prepared = _prepare_all(spec, data)
        # rows past n_active stay zero; the host reads the first n_active
        rows = jax.tree_util.tree_map(lambda x: jnp.zeros((spec.chunk,) + x.shape, x.dtype),
                                      _idle_outputs(spec, data))

        def body(loop):
            j, c, out = loop
            c, o = _step(spec, data, prepared, c)
            out = jax.tree_util.tree_map(
                lambda buf, x: jax.lax.dynamic_update_index_in_dim(buf, x, j, 0), out, o)
            return j + 1, c, out

        if spec.partition:
            carry, rows = exchange_blocks(spec, data, prepared, carry, n_active, rows)
        else:
            _, carry, rows = jax.lax.while_loop(lambda loop: loop[0] < n_active, body,
                                                (jnp.int32(0), carry, rows))
        bad = tuple(_first_bad(b, st, carry.step - 1) if pop.kind in NEURON_MODELS else b
                    for pop, b, st in zip(spec.pops, carry.bad_step, carry.states))
        if spec.partition:
            bad = tuple(first_bad_anywhere(b) for b in bad)
        return carry._replace(bad_step=bad), rows

    if spec.members:
        chunk = _ensemble_chunk(spec, chunk)
    if spec.partition:
        chunk = sharded_chunk(spec, chunk)

    fn = jax.jit(chunk)
    _CACHE[spec] = fn
    while len(_CACHE) > PROGRAM_CACHE_SIZE:
        _CACHE.popitem(last=False)
    return fn
