"""Recorder: receives each chunk's recorded data from the engine and hands it to PyNN.

PyNN's ``pyNN.recording.Recorder`` builds the Neo objects; this class only keeps the host-side
data of the current segment: spikes as (ids, times) arrays and signals as blocks of samples with
their absolute step numbers, so views, ``clear=True`` and ``sampling_interval`` are plain array
selections.
"""
from __future__ import annotations

import numbers
from contextlib import contextmanager

import numpy as np
from pyNN import errors, recording

from . import simulator
from .native import user_recorded

__all__ = ["Recorder", "member_annotations"]


def member_annotations(member: int) -> dict:
    """Annotations of ensemble member ``member``'s segments: its index and its value of every
    Batch -- ``rng_seed``, ``<population label>.<parameter>`` (a number when all cells
    share it, else a list), ``<projection label>.<parameter>`` and
    ``<source type><index>.<parameter>`` of current sources."""
    state = simulator.state
    out = {"member": int(member)}
    if state.rng_seeds is not None:
        out["rng_seed"] = int(state.rng_seeds[member])
    for pop in state.populations:
        for name, values in getattr(pop, "_batches", {}).items():
            row = np.asarray(values[member])
            out[f"{pop.label}.{name}"] = (float(row[0]) if np.all(row == row[0])
                                          else row.tolist())
    for prj in state.projections:
        for name, values in getattr(prj, "_batches", {}).items():
            row = np.asarray(values[member])
            out[f"{prj.label}.{name}"] = (float(row[0]) if row.size and np.all(row == row[0])
                                          else row.tolist())
    for src in state.current_sources:
        for name in sorted(src.__dict__.get("_batched", ())):
            out[f"{type(src).__name__}{src._index}.{name}"] = src.member_value(member, name)
    return out


def _check_interval(value, dt: float):
    """Refuse a sampling interval that is not a number, shorter than ``dt`` or not a
    multiple of it (``InvalidParameterValueError`` naming the value, dt and valid values)."""
    what = "record(sampling_interval)"
    if not isinstance(value, numbers.Real):
        raise errors.InvalidParameterValueError(
            f"{what} = {value!r}: must be a number of ms, a multiple of dt = {dt} ms.")
    if value < dt * (1 - 1e-9):
        raise errors.InvalidParameterValueError(
            f"{what} = {value} ms is shorter than the time step dt = {dt} ms; the shortest "
            f"valid interval is {dt} ms (one sample per step), longer ones are multiples of it.")
    simulator.grid_steps(value, dt, what, " (samples are taken on the time grid)")


class Recorder(recording.Recorder):
    _simulator = simulator

    def __init__(self, population, file=None):
        super().__init__(population, file)
        self._spikes = []        # [(ids int64 [n], times float64 [n] in ms)]
        self._signals = {}       # name -> [(steps int64 [m], ids int64 [c], values [m, c])]
        self._members = {}       # ensemble member >= 1 -> its own copy of the per-run data

    # -- ensembles: one set of data per member -----------------------------------------------
    _PER_MEMBER = ("_spikes", "_signals", "cache", "clear_flag", "_recording_start_time")

    @contextmanager
    def member(self, m: int):
        """While active, this recorder holds ensemble member ``m``'s data (member 0's is the
        recorder's own, so a single network never switches)."""
        if not m:
            yield self
            return
        from pyNN.recording import DataCache
        saved = {name: getattr(self, name) for name in self._PER_MEMBER}
        mine = self._members.get(m) or dict(
            _spikes=[], _signals={}, cache=DataCache(), clear_flag=saved["clear_flag"],
            _recording_start_time=saved["_recording_start_time"])
        for name in self._PER_MEMBER:
            setattr(self, name, mine[name])
        try:
            yield self
        finally:
            self._members[m] = {name: getattr(self, name) for name in self._PER_MEMBER}
            for name, value in saved.items():
                setattr(self, name, value)

    def store_to_cache(self, annotations=None):
        """reset(): every member's current segment goes to its cache."""
        for m in range(max(1, simulator.state.members)):
            with self.member(m):
                super().store_to_cache(annotations)

    # -- what is recorded (read by the compiler) --------------------------------------------
    def _check_sampling_interval(self, sampling_interval):
        """Called first by ``record()``: refuse a population of a discarded simulation and a
        sampling interval that is not a positive multiple of dt (which would mislabel the time
        axis), then PyNN's same-interval check.

        NEST refuses both (models/multimeter.cpp, ``Parameters_::set``: "The sampling
        interval must be at least as long as the simulation resolution." / "... must be a
        multiple of the simulation resolution.").
        """
        simulator.check_current(self.population, "record()")
        if sampling_interval is not None:
            _check_interval(sampling_interval, simulator.state.dt)
        super()._check_sampling_interval(sampling_interval)

    def _record(self, variable, new_ids, sampling_interval=None):
        if sampling_interval is not None:
            self.sampling_interval = sampling_interval
        simulator.state.mark_changed(structure=True)

    def _reset(self):
        simulator.state.mark_changed(structure=True)

    def _localize_variables(self, variables, locations):
        """PyNN's ``Variable(name, location, label)`` per variable and location.

        Point neurons take no ``locations``.  On multi-compartment cells a location is a
        section label or a location generator (``sim.morphology``); it resolves to a node of
        the cell, kept as the Variable's ``location``, and its label names the signal
        (``"soma.v"``, PyNN's convention).  Without ``locations`` a multi-compartment cell
        records at its soma (``"soma.v"``)."""
        if isinstance(variables, str) and variables != "all":
            variables = [variables]
        celltype = self.population.celltype
        nodes = getattr(celltype, "location_nodes", None)
        if locations is None:
            if nodes is None or variables == "all":
                return super()._localize_variables(variables, None)
            label, soma = nodes("soma")[0]
            return [recording.Variable(name=v, location=None, label=None) if v == "spikes"
                    else recording.Variable(name=v, location=soma, label=label)
                    for v in variables]
        if nodes is None:
            raise errors.RecordingError(
                f"record(..., locations={locations!r}) on population "
                f"{self.population.label!r} of point neurons ({celltype}); locations are for "
                f"multi-compartment cells: leave locations out.", celltype)
        if isinstance(locations, str) or not isinstance(locations, (list, tuple)):
            locations = [locations]
        taken = {var.label: var.location for var in self.recorded if var.label}
        out = []
        for where in locations:
            for label, node in nodes(where):
                if taken.get(label, node) != node:    # two centre(...) of different sections
                    label = f"{label}#{node}"         # (pyNN.neuron would drop the first)
                taken[label] = node
                out += [recording.Variable(name=v, location=node, label=label)
                        for v in variables]
        return out

    @staticmethod
    def signal_key(variable) -> str:
        """The name a recorded variable has in the engine's output and in Neo:
        ``"<label>.<name>"`` at a labelled location, else the name."""
        return f"{variable.label}.{variable.name}" if variable.label else variable.name

    def recorded_signals(self):
        """``[(signal name, model recordable), ...]`` of the recorded signals (not spikes):
        the recordable is ``"<name>@<node>"`` for a multi-compartment location."""
        out = {}
        for var in self.recorded:
            if var.name != "spikes":
                out[self.signal_key(var)] = (var.name if var.location is None
                                             else f"{var.name}@{var.location}")
        return sorted(out.items())

    def recorded_indices(self, name):
        """Sorted population indices of the cells whose ``name`` (a ``signal_key``) is
        recorded."""
        ids = [v for var, v in self.recorded.items() if self.signal_key(var) == name]
        if not ids or not ids[0]:
            return np.zeros(0, dtype=np.int64)
        first = self.population.first_id
        return np.sort(np.fromiter((int(i) - first for i in ids[0]), dtype=np.int64))

    def sampling_steps(self):
        return max(1, int(round(self.sampling_interval / simulator.state.dt)))

    # -- data from the engine ----------------------------------------------------------------
    def store_spikes(self, ids, times, member: int = 0):
        if member:
            with self.member(member):
                return self.store_spikes(ids, times)
        if len(ids):
            self._spikes.append((np.asarray(ids, np.int64), np.asarray(times, float)))

    def store_signal(self, name, steps, ids, values, member: int = 0):
        if member:
            with self.member(member):
                return self.store_signal(name, steps, ids, values)
        values = user_recorded(self.population.celltype, name, values)   # NEST-named types
        every = self.sampling_steps()
        keep = steps % every == 0
        if np.any(keep):
            self._signals.setdefault(name, []).append(
                (steps[keep], np.asarray(ids, np.int64), np.asarray(values)[keep]))

    def clear_members(self):
        """reset(): ``_clear_simulator`` for every ensemble member."""
        for m in range(max(1, simulator.state.members)):
            with self.member(m):
                self._clear_simulator()

    def _clear_simulator(self):
        """Drop the data (keeping, for signals, the sample at the current time as new start)."""
        now = simulator.state.step
        self._spikes = []
        kept = {}
        for name, blocks in self._signals.items():
            steps, ids, values = blocks[-1] if blocks else (None, None, None)
            if steps is not None and now > 0 and steps[-1] == now:
                kept[name] = [(steps[-1:], ids, values[-1:])]
        self._signals = kept

    # -- writing -----------------------------------------------------------------------------
    def write(self, variables, file=None, gather=False, filter_ids=None, clear=False,
              annotations=None, locations=None):
        """Write the recorded data to a Neo IO or a file name, atomically.

        As ``pyNN.recording.Recorder.write``, but the block is written to a temporary file in
        the same folder that replaces the target only once complete
        (``files.write_neo_block``): a failed or killed write never leaves a truncated file
        under the final name, and an older file there stays intact.
        """
        from .files import write_neo_block
        target = file if file is not None else self.file
        if not target:
            raise ValueError(f"write_data() of population {self.population.label!r}: give a "
                             f"file name (e.g. 'data.pkl' or 'data.nix') or a Neo IO.")
        io = None if isinstance(target, str) else target
        filename = target if io is None else io.filename
        data = self.get_members(variables, gather, filter_ids, clear, annotations=annotations,
                                locations=locations)      # every ensemble member
        write_neo_block(data, filename, io)

    def get_members(self, variables, gather=False, filter_ids=None, clear=False,
                    annotations=None, locations=None, member=None):
        """``get`` for ensembles: member ``member``'s Block, or (None) one Block with every
        member's segments, in member order (for each member its segments in run order, as
        PyNN gives them after ``reset()``).  Each segment is annotated with ``member`` and the
        member's values of every Batch (``member_annotations``)."""
        members = simulator.state.members
        if not members:
            if member not in (None, 0):
                raise IndexError(f"get_data(member={member}): this simulation is not an "
                                 f"ensemble (no Batch values); leave member out.")
            return self.get(variables, gather, filter_ids, clear, annotations, locations)
        if member is not None:
            if not 0 <= member < members:
                raise IndexError(f"get_data(member={member}): the ensemble has {members} "
                                 f"members, 0 to {members - 1}.")
            with self.member(member):
                block = self.get(variables, gather, filter_ids, clear, annotations, locations)
            for segment in block.segments:
                segment.annotate(**member_annotations(member))
            return block
        blocks = [self.get_members(variables, gather, filter_ids, clear, annotations, locations,
                                   m) for m in range(members)]
        block = blocks[0]
        for other in blocks[1:]:
            for segment in other.segments:
                segment.block = block
                block.segments.append(segment)
        return block

    # -- PyNN hooks --------------------------------------------------------------------------
    def get(self, variables, gather=False, filter_ids=None, clear=False, annotations=None,
            locations=None):
        """PyNN's ``get``, refusing a population of a discarded simulation; before the first
        run it returns one segment without data (empty spike trains, no signals) where PyNN's
        common code (and so pyNN.nest) raises ``IndexError``."""
        simulator.check_current(self.population, "get_data()")
        state = simulator.state
        if state.running or next(iter(self.cache), None) is not None:   # DataCache: no len
            return super().get(variables, gather, filter_ids, clear, annotations, locations)
        state.running = True        # PyNN builds the current segment only while running
        try:
            return super().get(variables, gather, filter_ids, clear, annotations, locations)
        finally:
            state.running = False

    def _get_spiketimes(self, ids, clear=False):
        if self._spikes:
            all_ids = np.concatenate([s[0] for s in self._spikes])
            times = np.concatenate([s[1] for s in self._spikes])
        else:
            all_ids, times = np.zeros(0, np.int64), np.zeros(0)
        wanted = np.isin(all_ids, np.fromiter((int(i) for i in ids), dtype=np.int64))
        order = np.lexsort((times[wanted], all_ids[wanted]))
        result = all_ids[wanted][order], times[wanted][order]
        if clear:
            self._spikes = []
        return result

    def _get_all_signals(self, variable, ids, clear=False):
        blocks = self._signals.get(self.signal_key(variable), [])
        ids = np.fromiter((int(i) for i in ids), dtype=np.int64)
        if not blocks:
            return np.zeros((0, len(ids))), None
        n_rows = sum(len(b[0]) for b in blocks)
        out = np.full((n_rows, len(ids)), np.nan)
        row = 0
        for steps, block_ids, values in blocks:
            cols = np.searchsorted(block_ids, ids)
            cols = np.minimum(cols, len(block_ids) - 1)
            present = block_ids[cols] == ids if len(block_ids) else np.zeros(len(ids), bool)
            out[row:row + len(steps), present] = values[:, cols[present]]
            row += len(steps)
        if clear:
            self._clear_simulator()
        return out, None

    def _local_count(self, variable, filter_ids=None):
        ids = self.filter_recorded(variable, filter_ids)
        counts = {int(i): 0 for i in ids}
        for spike_ids, _ in self._spikes:
            uniq, n = np.unique(spike_ids, return_counts=True)
            for i, c in zip(uniq, n):
                if int(i) in counts:
                    counts[int(i)] += int(c)
        return counts
