"""Checkpoints: save a running simulation to a file and continue it in another process.

``save(state, path)`` (``sim.checkpoint``) writes everything a continuation needs: the step
counter, the whole loop carry (neuron states, spike-source pointers and ages, the delay ring
buffer and the inputs of the next step, plastic synapse states, postsynaptic spike histories,
divergence flags), the segment counter, and everything recorded so far (the recorders' data of
the current segment, earlier segments kept after ``reset()``, current-source recordings).
Random numbers need no state of their own: every draw comes from ``fold_in(seed, step)``, so
the seed (part of the network's fingerprint) and the step counter determine them.

``load(state, path)`` (``sim.restore``) is called after ``setup()`` and rebuilding the same
network in a new process.  It builds the simulation, compares the network with the fingerprint
stored in the file -- ``dt``, precision, seed, every population's label, cell type, size,
parameters, initial values and recorded cells, every projection's endpoints, synapse type,
receptor, number of synapses and a hash of its connectivity, weights, delays and synapse
parameters, the current sources, and a hash of the compiled arrays -- and refuses a different
network with ``CheckpointMismatchError`` naming what differs.  Then ``run(b)`` gives bitwise the
data of an uninterrupted run.

Format (``FORMAT``, version ``VERSION``): an uncompressed NumPy ``.npz`` archive, read with
``allow_pickle=False``.  Its member ``header`` is UTF-8 JSON (format, version, step, dt,
segment counter, fingerprint, and the layout of the data); every other member is a plain
numeric array: ``carry_<k>`` the carry's leaves in ``jax.tree_util`` order, ``pop<i>_...`` the
recorded data of population ``i``, ``src<k>_...`` current-source recordings.  The file is
written atomically (``files.atomic_path``).

An ensemble (``ensembles.py``) is checkpointed whole: its carry has the members' axis, every
member's recorded data is stored (``pop<i>m<m>_...`` and ``src<k>m<m>_...`` for members >= 1;
the header's ``recorders`` and ``sources`` have one list per member), and the fingerprint holds
the number of members and a hash of every member's values.  Version 2 (the per-member lists);
version-1 files are refused.  An ensemble that runs in groups of members (``MemberGroups``)
saves and restores the groups' carries as one.
"""
from __future__ import annotations

import datetime
import hashlib
import json
import os

import jax
import numpy as np
import quantities as pq
from pyNN import errors

__all__ = ["FORMAT", "VERSION", "CheckpointMismatchError", "save", "load", "fingerprint"]

FORMAT = "pynn_cbgtc_jax checkpoint"
VERSION = 2
_MAX_LISTED = 8          # differences named in a mismatch message


class CheckpointMismatchError(errors.InvalidParameterValueError):
    """``restore()``: the checkpoint was written by a different network (the message names what
    differs: checkpoint value vs this network's)."""


# -- fingerprint --------------------------------------------------------------------------------
def _hash(*objects) -> str:
    """blake2b of arrays and nested tuples/dicts of arrays (dtype, shape and bytes of each)."""
    h = hashlib.blake2b(digest_size=12)

    def feed(obj):
        if isinstance(obj, dict):
            for key in sorted(obj):
                h.update(repr(key).encode())
                feed(obj[key])
        elif isinstance(obj, (tuple, list)):
            h.update(f"({len(obj)}".encode())
            for item in obj:
                feed(item)
        elif obj is None or isinstance(obj, str):
            h.update(repr(obj).encode())
        else:
            a = np.ascontiguousarray(np.asarray(obj))
            if a.dtype == object:
                h.update(repr(a.tolist()).encode())
            else:
                h.update(f"{a.dtype.str}{a.shape}".encode())
                h.update(a.reshape(-1).view(np.uint8))

    for obj in objects:
        feed(obj)
    return h.hexdigest()


def _leaves(tree):
    return [np.asarray(x) for x in jax.tree_util.tree_leaves(tree)]


def fingerprint(state, simulation) -> dict:
    """The network's identity, item by item (name -> value), in a stable order.

    Counts, labels, types and sizes are given in words; parameters, initial values, recorded
    cells, connectivity and the compiled arrays as hashes.
    """
    from .simulation import _initial_state
    build = simulation.build
    dtype = np.dtype(simulation.spec.dtype)
    fp = {"time step dt (ms)": repr(float(state.dt)),
          "precision": str(state.precision),
          "rng_seed": int(state.rng_seed),
          "integration_scheme": repr(state.integration_scheme),
          "number of populations": len(state.populations),
          "population labels": [p.label for p in state.populations]}
    index = {id(p): i for i, p in enumerate(simulation.populations)}
    for i, pop in enumerate(state.populations):
        name = f"population {i} ({pop.label!r})"
        fp[f"{name} cell type and size"] = f"{type(pop.celltype).__name__} x {pop.size}"
        j = index.get(id(pop))
        if j is not None:
            fp[f"{name} parameters"] = _hash(_leaves(build.data.params[j]))
            if pop.celltype.injectable:
                fp[f"{name} initial values"] = _hash(_leaves(_initial_state(pop, dtype)))
        recorder = pop.recorder
        recorded = {v.name: np.sort(np.fromiter((int(x) for x in ids), np.int64)) - pop.first_id
                    for v, ids in recorder.recorded.items() if ids}     # population indices
        fp[f"{name} recorded variables"] = ", ".join(
            f"{v} ({len(ids)} cells)" for v, ids in sorted(recorded.items())) or "none"
        fp[f"{name} recorded cells"] = _hash(recorded)
        fp[f"{name} sampling interval (ms)"] = repr(float(recorder.sampling_interval))
    fp["number of projections"] = len(state.projections)
    for k, prj in enumerate(state.projections):
        prj._consolidate()
        name = f"projection {k} ({prj.label!r})"
        fp[f"{name} endpoints, type and size"] = (
            f"{prj.pre.label} -> {prj.post.label}, {type(prj.synapse_type).__name__}, "
            f"receptor {prj.receptor_type!r}, {len(prj._pre)} synapses")
        fp[f"{name} connectivity, weights, delays and synapse parameters"] = _hash(
            prj._pre, prj._post, prj._params)
    fp["number of current sources"] = len(state.current_sources)
    for k, src in enumerate(state.current_sources):
        name = f"current source {k} ({type(src).__name__})"
        fp[f"{name} parameters, targets and recording"] = _hash(
            src._native, [(t[0].label, t[1]) for t in src._targets], str(src._recording))
    if state.members:     # ensembles: every member's values (ensembles.py)
        fp["ensemble members"] = int(state.members)
        fp["ensemble values"] = _hash(
            None if state.rng_seeds is None else list(state.rng_seeds),
            [(getattr(p, "_batches", {}), getattr(p, "_initial_batches", {}))
             for p in state.populations],
            [getattr(prj, "_batches", {}) for prj in state.projections],
            [src.__dict__.get("_members") and [m["_native"] for m in src._members]
             for src in state.current_sources])
    fp["compiled structure"] = _hash(repr(simulation.spec))
    fp["compiled arrays"] = _hash(_leaves(build.data))
    return fp


def _is_hash(value) -> bool:
    return isinstance(value, str) and len(value) == 24 and all(c in "0123456789abcdef"
                                                               for c in value)


def _differences(saved: dict, current: dict) -> list:
    out = []
    for key in list(saved) + [k for k in current if k not in saved]:
        a, b = saved.get(key, "(absent)"), current.get(key, "(absent)")
        if a == b:
            continue
        if _is_hash(a) and _is_hash(b):
            out.append(f"{key} differ (hash {a} in the checkpoint, {b} in this network)")
        else:
            out.append(f"{key}: {a} in the checkpoint, {b} in this network")
    return out


# -- recorded data ------------------------------------------------------------------------------
def _merge_signal_blocks(blocks):
    """Consecutive blocks of the same cells as one block (same ``_get_all_signals`` result)."""
    merged = []
    for steps, ids, values in blocks:
        if merged and np.array_equal(merged[-1][1], ids) and merged[-1][2][0].dtype == values.dtype:
            merged[-1][0].append(steps)
            merged[-1][2].append(values)
        else:
            merged.append(([steps], ids, [values]))
    return [(np.concatenate(s), ids, np.concatenate(v)) for s, ids, v in merged]


def _ms(quantity) -> float:
    return float(pq.Quantity(quantity).rescale(pq.ms).magnitude)


def _json_safe(value):
    try:
        json.dumps(value)
        return value
    except TypeError:
        return str(value)


def _segment_out(segment, prefix, arrays) -> dict:
    """A Neo segment of pyNN's recorder (spike trains and analog signals) as arrays + JSON."""
    if len(segment.irregularlysampledsignals) or len(segment.events) or len(segment.epochs):
        raise NotImplementedError("checkpoint(): a cached segment holds irregularly sampled "
                                  "signals, events or epochs, which checkpoints do not store.")
    meta = {"name": segment.name, "description": segment.description,
            "rec_datetime": segment.rec_datetime.isoformat() if segment.rec_datetime else None,
            "annotations": {k: _json_safe(v) for k, v in segment.annotations.items()},
            "spiketrains": None, "signals": []}
    trains = list(segment.spiketrains)
    if trains:
        first = trains[0]
        meta["spiketrains"] = {"t_start": _ms(first.t_start), "t_stop": _ms(first.t_stop),
                               "source_population": first.annotations.get("source_population")}
        arrays[f"{prefix}_st_times"] = np.concatenate(
            [np.asarray(st.rescale(pq.ms).magnitude, float) for st in trains])
        arrays[f"{prefix}_st_counts"] = np.array([len(st) for st in trains], np.int64)
        arrays[f"{prefix}_st_channel"] = np.array([st.annotations["channel_id"] for st in trains],
                                                  np.int64)
        arrays[f"{prefix}_st_index"] = np.array([st.annotations["source_index"] for st in trains],
                                                np.int64)
    for k, sig in enumerate(segment.analogsignals):
        meta["signals"].append({"name": sig.name, "units": sig.units.dimensionality.string,
                                "t_start": _ms(sig.t_start),
                                "sampling_period": _ms(sig.sampling_period),
                                "source_population": sig.annotations.get("source_population")})
        arrays[f"{prefix}_sig{k}"] = np.asarray(sig.magnitude)
        arrays[f"{prefix}_sig{k}_channel_ids"] = np.asarray(sig.annotations["channel_ids"])
        arrays[f"{prefix}_sig{k}_channel_index"] = np.asarray(
            sig.array_annotations["channel_index"])
    return meta


def _segment_in(meta, prefix, arrays):
    import neo
    from neo.core.spiketrainlist import SpikeTrainList
    segment = neo.Segment(name=meta["name"], description=meta["description"],
                          rec_datetime=(datetime.datetime.fromisoformat(meta["rec_datetime"])
                                        if meta["rec_datetime"] else None))
    segment.annotate(**meta["annotations"])
    st = meta["spiketrains"]
    if st is not None:
        channels = arrays[f"{prefix}_st_channel"]
        ids = np.repeat(channels, arrays[f"{prefix}_st_counts"])
        segment.spiketrains = SpikeTrainList.from_spike_time_array(
            arrays[f"{prefix}_st_times"] * pq.ms, ids, channels, t_stop=st["t_stop"] * pq.ms,
            units="ms", t_start=st["t_start"] * pq.ms, source_population=st["source_population"],
            source_index=arrays[f"{prefix}_st_index"])
        segment.spiketrains.segment = segment
    for k, sm in enumerate(meta["signals"]):
        signal = neo.AnalogSignal(
            arrays[f"{prefix}_sig{k}"], units=sm["units"], t_start=sm["t_start"] * pq.ms,
            sampling_period=sm["sampling_period"] * pq.ms, name=sm["name"],
            channel_ids=arrays[f"{prefix}_sig{k}_channel_ids"],
            source_population=sm["source_population"],
            array_annotations={"channel_index": arrays[f"{prefix}_sig{k}_channel_index"]})
        segment.analogsignals.append(signal)
        signal.segment = segment
    return segment


def _key(i: int, member: int) -> str:
    """The array-name key of object ``i`` and ensemble member ``member`` (plain ``i`` for
    member 0, so a network's checkpoint reads as before)."""
    return f"{i}" if not member else f"{i}m{member}"


def _recorder_out(recorder, i, arrays) -> dict:
    p = f"pop{i}"
    if recorder._spikes:
        arrays[f"{p}_spike_ids"] = np.concatenate([s[0] for s in recorder._spikes])
        arrays[f"{p}_spike_times"] = np.concatenate([s[1] for s in recorder._spikes])
    signals = {}
    for name, blocks in recorder._signals.items():
        merged = _merge_signal_blocks(blocks)
        signals[name] = len(merged)
        for b, (steps, ids, values) in enumerate(merged):
            arrays[f"{p}_{name}_{b}_steps"] = steps
            arrays[f"{p}_{name}_{b}_ids"] = ids
            arrays[f"{p}_{name}_{b}_values"] = values
    cache = [_segment_out(seg, f"{p}_cache{c}", arrays) for c, seg in enumerate(recorder.cache)]
    return {"spikes": bool(recorder._spikes), "signals": signals, "cache": cache,
            "recording_start_time": _ms(recorder._recording_start_time),
            "clear_flag": bool(recorder.clear_flag)}


def _recorder_in(recorder, i, meta, arrays):
    p = f"pop{i}"
    recorder._spikes = ([(arrays[f"{p}_spike_ids"], arrays[f"{p}_spike_times"])]
                        if meta["spikes"] else [])
    recorder._signals = {name: [(arrays[f"{p}_{name}_{b}_steps"], arrays[f"{p}_{name}_{b}_ids"],
                                 arrays[f"{p}_{name}_{b}_values"]) for b in range(n)]
                         for name, n in meta["signals"].items()}
    recorder.cache.clear()
    for c, seg_meta in enumerate(meta["cache"]):
        recorder.cache.store(_segment_in(seg_meta, f"{p}_cache{c}", arrays))
    recorder._recording_start_time = meta["recording_start_time"] * pq.ms
    recorder.clear_flag = meta["clear_flag"]


# -- save / load --------------------------------------------------------------------------------
def _members(state) -> range:
    """The ensemble members whose recorded data a checkpoint holds (one for a network)."""
    return range(max(1, state.members))


def _one_process(state, call: str) -> None:
    """Refuse a checkpoint of a run over several processes: each holds only the synapses
    onto its own cells (``processes.py``), and one file per process is not written yet."""
    if state.processes > 1:
        raise errors.InvalidParameterValueError(
            f"{call} with {state.processes} processes: each process holds only the synapses "
            f"onto its own cells, so no process has the whole network's state to write or "
            f"read; checkpoint a run of one process (setup(devices=...) splits a network "
            f"over the devices of one process, and its checkpoints work).")


def save(state, path) -> None:
    """Write a checkpoint of the simulation of ``state`` to ``path`` (atomically)."""
    from .files import atomic_path
    from .simulation import ensure_simulation
    _one_process(state, f"checkpoint({path!r})")
    simulation = ensure_simulation(state)
    arrays = {}
    leaves = jax.device_get(jax.tree_util.tree_leaves(simulation.carry))
    for k, leaf in enumerate(leaves):
        arrays[f"carry_{k}"] = np.asarray(leaf)
    recorders = []          # per member (ensembles), per population
    for m in _members(state):
        recorders.append([])
        for i, pop in enumerate(state.populations):
            with pop.recorder.member(m):
                recorders[-1].append(_recorder_out(pop.recorder, _key(i, m), arrays))
    sources = []            # per member, per source
    for m in _members(state):
        sources.append([])
        for k, src in enumerate(state.current_sources):
            data = (getattr(src, "_record_data", []) if not m
                    else src.__dict__.get("_member_data", {}).get(m, []))
            sources[-1].append(bool(data))
            if data:
                arrays[f"src{_key(k, m)}_times"] = np.concatenate([np.asarray(d[0]) for d in data])
                arrays[f"src{_key(k, m)}_values"] = np.concatenate([np.asarray(d[1])
                                                                     for d in data])
    header = {"format": FORMAT, "version": VERSION,
              "written": datetime.datetime.now(datetime.timezone.utc).isoformat(),
              "step": int(state.step), "t": float(state.t), "dt": float(state.dt),
              "segment_counter": int(state.segment_counter), "running": bool(state.running),
              "sampled_start": bool(simulation._sampled_start),
              "carry_leaves": len(leaves), "recorders": recorders, "sources": sources,
              "fingerprint": fingerprint(state, simulation)}
    arrays["header"] = np.frombuffer(json.dumps(header).encode("utf-8"), np.uint8)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)


def _read(path):
    try:
        with np.load(os.fspath(path), allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
        header = json.loads(arrays.pop("header").tobytes().decode("utf-8"))
    except (OSError, ValueError, KeyError) as e:
        raise errors.InvalidParameterValueError(
            f"restore({path!r}): not a readable checkpoint ({type(e).__name__}: {e}); give a "
            f"file written by sim.checkpoint().") from e
    if header.get("format") != FORMAT or header.get("version") != VERSION:
        raise errors.InvalidParameterValueError(
            f"restore({path!r}): format {header.get('format')!r} version "
            f"{header.get('version')!r}; this pynn_cbgtc_jax reads {FORMAT!r} version {VERSION}.")
    return header, arrays


def load(state, path) -> None:
    """Restore the checkpoint ``path`` into the network built in ``state`` (see module doc)."""
    from .simulation import ensure_simulation
    _one_process(state, f"restore({path!r})")
    header, arrays = _read(path)
    simulation = ensure_simulation(state)
    differences = _differences(header["fingerprint"], fingerprint(state, simulation))
    if differences:
        listed = "; ".join(differences[:_MAX_LISTED])
        more = (f" (and {len(differences) - _MAX_LISTED} more)"
                if len(differences) > _MAX_LISTED else "")
        raise CheckpointMismatchError(
            f"restore({path!r}): the checkpoint is of a different network: {listed}{more}. "
            f"Build exactly the network that was checkpointed (same script, same setup() "
            f"arguments) before calling restore().")
    leaves, treedef = jax.tree_util.tree_flatten(simulation.carry)
    saved = [arrays[f"carry_{k}"] for k in range(header["carry_leaves"])]
    bad = [k for k, (a, b) in enumerate(zip(saved, leaves))
           if a.shape != b.shape or a.dtype != b.dtype]
    if len(saved) != len(leaves) or bad:
        raise CheckpointMismatchError(
            f"restore({path!r}): the simulation state has a different layout (state arrays "
            f"{len(saved)} vs {len(leaves)}, first different: {bad[:1]}); the checkpoint is of "
            f"a different network or pynn_cbgtc_jax version.")
    simulation.carry = jax.device_put(jax.tree_util.tree_unflatten(treedef, saved))
    simulation._sampled_start = header["sampled_start"]
    state.step = header["step"]
    state.segment_counter = header["segment_counter"]
    state.running = header["running"]
    for m, metas in zip(_members(state), header["recorders"]):
        for i, (pop, meta) in enumerate(zip(state.populations, metas)):
            with pop.recorder.member(m):
                _recorder_in(pop.recorder, _key(i, m), meta, arrays)
    for m, flags in zip(_members(state), header["sources"]):
        for k, (src, has) in enumerate(zip(state.current_sources, flags)):
            data = [(arrays[f"src{_key(k, m)}_times"], arrays[f"src{_key(k, m)}_values"])] \
                if has else []
            if m:
                src.__dict__.setdefault("_member_data", {})[m] = data
            else:
                object.__setattr__(src, "_record_data", data)
