"""Population, PopulationView and Assembly: host-side parameter and initial-value arrays.

Before the first ``run()`` (and always, as the source of truth) a population keeps its native
parameters as NumPy arrays; ``get``/``set`` work on them directly and mark the simulator's
device copy stale.  ``initialize()`` stores evaluated arrays, so ``reset()`` restores exactly the
same initial state; after a run has started it also changes the live state (as NEST does).
"""
from __future__ import annotations

import numbers
from collections.abc import Mapping

import numpy as np
from pyNN import common, errors
from pyNN.parameters import ParameterSpace, Sequence, simplify
from pyNN.standardmodels import StandardCellType

from . import processes, simulator
from .footprint import check_population
from .ensembles import Batch, check_member, member_values, split_batches
from .native import model_initial
from .recording import Recorder
from .standardmodels.cells import check_parameters, check_time_step

__all__ = ["Population", "PopulationView", "Assembly"]


def _column(value, n):
    """A parameter as an owned array of length ``n`` (object array for Sequence values)."""
    if isinstance(value, np.ndarray) and value.shape == (n,):
        return value.copy()
    if isinstance(value, Sequence) or (isinstance(value, np.ndarray) and value.dtype == object):
        out = np.empty(n, dtype=object)
        out[:] = list(np.atleast_1d(value)) if not isinstance(value, Sequence) else [value] * n
        return out
    return np.full(n, value, dtype=float)


def _check_size(size):
    """Refuse a population size that is not a whole number >= 1, or a tuple of them (PyNN
    would fail later with an IndexError, pyNN.nest with NEST's BadParameterValue)."""
    for n in (size if isinstance(size, tuple) else (size,)):
        _check_count(size, n)


def _check_count(size, n):
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise errors.InvalidParameterValueError(
            f"Population(size={size!r}): the number of cells must be a whole number >= 1; "
            f"create populations with at least one cell.")


def _check_lengths(celltype, values: dict, size: int, call: str):
    """Refuse a per-cell list or array of a scalar parameter whose length is not ``size``.

    ``values``: parameter name -> the value given (a number, a list/array with one value per
    cell, a RandomDistribution, a function, ...).  Sequence and array parameters
    (``spike_times``, GIF's ``tau_eta``) take a whole list as one value and are not checked.
    """
    schema = celltype.get_schema()
    for name, value in values.items():
        if schema.get(name) not in (float, int) or not isinstance(value, (list, tuple,
                                                                         np.ndarray)):
            continue
        shape = np.shape(value)
        if shape != (size,):
            raise errors.InvalidDimensionsError(
                f"{call}: {name} has {shape[0] if len(shape) == 1 else shape} values but the "
                f"population has {size} cells; give one value for all cells, or a list/array "
                f"of exactly {size} values (one per cell).")


def _check_finite_initial(variable, values, call):
    if not np.all(np.isfinite(values)):
        bad = float(np.asarray(values)[~np.isfinite(values)][0])
        raise errors.InvalidParameterValueError(
            f"{call}({variable}={bad}): initial values must be finite numbers; give a finite "
            f"value (NEST accepts it silently and the state is not finite from t = 0).")


class _Selected(Mapping):
    """The parameter columns of a population at cells ``idx``, indexed only when read (the
    cross-parameter checks of a ``set()`` read two or three of them)."""

    def __init__(self, columns: dict, idx: np.ndarray):
        self._columns, self._idx = columns, idx

    def __getitem__(self, name):
        return self._columns[name][self._idx]

    def __iter__(self):
        return iter(self._columns)

    def __len__(self):
        return len(self._columns)


def _set_batch(pop, idx: np.ndarray, name: str, batch: Batch, call: str):
    """Give parameter ``name`` of cells ``idx`` of ``pop`` one value per ensemble member.

    The population keeps member 0's values in ``_parameters`` (what every single-network path
    reads) and every member's in ``_batches[name]`` (``[N, size]``), which the export reads
    per member.  Each member's values are checked as a ``set()`` of them would be."""
    what = f"{call}: {name}=Batch(...)"
    if name not in pop._parameters or np.asarray(pop._parameters[name]).dtype == object:
        raise errors.InvalidParameterValueError(
            f"{what}: {name!r} cannot vary across ensemble members on "
            f"{type(pop.celltype).__name__} (a Batch is taken for numeric parameters with "
            f"PyNN's own names; the network's structure -- sizes, spike_times, array "
            f"parameters -- is shared by all members).")
    simulator.state.ensemble(len(batch), what)
    values = member_values(batch, len(idx), what)
    batches = pop.__dict__.setdefault("_batches", {})
    for m, row in enumerate(values):
        current = {n: (batches[n][m] if n in batches else pop._parameters[n])
                   for n in pop._parameters}
        try:
            check_parameters(pop.celltype, {name: row}, _Selected(current, idx))
        except errors.InvalidParameterValueError as e:
            raise errors.InvalidParameterValueError(f"{what}, member {m}: {e}") from None
    full = batches.get(name)
    if full is None:
        full = np.repeat(np.asarray(pop._parameters[name], float)[None, :], len(batch), axis=0)
    full[:, idx] = values
    batches[name] = full
    pop._parameters[name][idx] = values[0]


class Assembly(common.Assembly):
    _simulator = simulator

    def write_data(self, io, variables="all", gather=True, clear=False, annotations=None):
        """As ``pyNN.common.Assembly.write_data`` (``io``: a Neo IO or a file name), written
        atomically: a temporary file in the same folder replaces the target once complete
        (``files.write_neo_block``)."""
        from .files import write_neo_block
        data = self.get_data(variables, gather, clear, annotations)
        write_neo_block(data, io if isinstance(io, str) else io.filename,
                        None if isinstance(io, str) else io)


class _ParameterAccess:
    """get/set of native parameters through ``self._pop`` and ``self._idx``."""

    def _get_parameters(self, *names):
        if isinstance(self.celltype, StandardCellType):
            if any(name in self.celltype.computed_parameters() for name in names):
                native_names = self.celltype.get_native_names()
            else:
                native_names = self.celltype.get_native_names(*names)
            return self.celltype.reverse_translate(self._get_native_parameters(*native_names))
        return self._get_native_parameters(*names)

    def _get_native_parameters(self, *names):
        pop, idx = self._pop, self._idx
        values = {name: simplify(pop._parameters[name][idx]) for name in names}
        return ParameterSpace(values, shape=(len(idx),))

    def set(self, **parameters):
        simulator.check_current(self._pop, "set()")
        parameters, batches = split_batches(parameters)
        _check_lengths(self.celltype, parameters, self.size, "set()")
        super().set(**parameters)
        for name, batch in batches.items():
            _set_batch(self._pop, self._idx, name, batch, "set()")
        if batches:
            simulator.state.mark_changed()

    set.__doc__ = common.Population.set.__doc__

    def _set_parameters(self, parameter_space):
        pop, idx = self._pop, self._idx
        simulator.check_current(pop, "set()")
        parameter_space.shape = (len(idx),)
        parameter_space.evaluate(simplify=False)
        values = dict(parameter_space.items())
        # the cross-parameter checks (v_reset < v_thresh, ...) see the merged old+new values
        check_parameters(pop.celltype, values, _Selected(pop._parameters, idx))
        structure = False
        for name, value in values.items():
            pop._parameters[name][idx] = value
            if name in pop._batches:              # a plain value holds for every member
                pop._batches[name][:, idx] = value
            structure |= name == "spike_times"    # may change the event-table shape
        # Tsodyks-Markram synapses take tau_psc from the postsynaptic cells' tau_syn
        synapses = any(name.startswith("tau_syn") for name in values)
        simulator.state.mark_changed(structure=structure, synapses=synapses)

    def initialize(self, **initial_values):
        """PyNN's ``initialize``; a ``Batch`` value gives each ensemble member its own initial
        value (a number or one per cell, per member)."""
        initial_values, batches = split_batches(initial_values)
        if initial_values:
            super().initialize(**initial_values)
        for variable, batch in batches.items():
            self._set_initial_batch(variable, batch)

    def _set_initial_batch(self, variable, batch):
        pop, idx = self._pop, self._idx
        simulator.check_current(pop, "initialize()")
        what = f"initialize({variable}=Batch(...))"
        if variable not in pop.celltype.default_initial_values:
            raise errors.NonExistentParameterError(
                f"{what}: {variable!r} is not a state variable of "
                f"{type(pop.celltype).__name__}", type(pop.celltype).__name__,
                sorted(pop.celltype.default_initial_values))
        simulator.state.ensemble(len(batch), what)
        values = member_values(batch, len(idx), what)
        _check_finite_initial(variable, values, "initialize")
        rows = [model_initial(pop.celltype, variable, row) for row in values]
        variable, values = rows[0][0], np.stack([row for _, row in rows])
        default = pop.celltype.default_initial_values.get(variable, 0.0)
        first = pop._initial.setdefault(variable, np.full(pop.size, default, float))
        batches = pop.__dict__.setdefault("_initial_batches", {})
        full = batches.get(variable)
        if full is None:
            full = np.repeat(np.asarray(first, float)[None, :], len(batch), axis=0)
        full[:, idx] = values
        batches[variable] = full
        first[idx] = values[0]
        sim = simulator.state.simulation
        if sim is not None and pop in sim.populations and sim.members:
            sim.set_live_state(pop, variable, idx, values)
        simulator.state.mark_changed()

    def get_data(self, variables="all", gather=True, clear=False, locations=None,
                 member=None):
        """PyNN's ``get_data``; in an ensemble (``ensembles.py``) one Segment per member (per
        run segment), each annotated with ``member`` and that member's Batch values, or with
        ``member=i`` member i's Block alone, exactly as a single run would give it."""
        simulator.check_current(self._pop, "get_data()")
        return self.recorder.get_members(variables, gather, self._local_filter(gather), clear,
                                         locations=locations, member=member)

    def _local_filter(self, gather):
        """The ids ``get_data`` keeps: ``_record_filter`` (a view's cells, or None), and with
        ``gather=False`` in several processes only this process's cells (``processes.py``)."""
        state = simulator.state
        if gather or state.processes < 2:
            return self._record_filter
        import jax
        pop = self._pop
        devices = state.devices or tuple(jax.devices())
        local = pop.all_cells[processes.local_cells(pop.size, devices)]
        if self._record_filter is None:
            return list(local)
        keep = set(int(i) for i in local)
        return [i for i in self._record_filter if int(i) in keep]

    def get_spike_counts(self, gather=True, member=None):
        """PyNN's ``get_spike_counts``; in an ensemble member ``member``'s (without it,
        refused where the members' counts differ)."""
        members = check_member(member, simulator.state.members, "get_spike_counts")
        if member is not None or members == 1:
            with self.recorder.member(member or 0):
                return super().get_spike_counts(gather)
        counts = []
        for m in range(members):
            with self.recorder.member(m):
                counts.append(super().get_spike_counts(gather))
        if any(c != counts[0] for c in counts[1:]):
            raise errors.InvalidParameterValueError(
                f"get_spike_counts(): the {members} ensemble members' spike counts differ; "
                f"give member=i (0 <= i < {members}).")
        return counts[0]

    def mean_spike_count(self, gather=True, member=None):
        """PyNN's ``mean_spike_count``; ``member`` as for ``get_spike_counts``."""
        counts = self.get_spike_counts(gather, member=member)
        return sum(counts.values()) / len(counts) if counts else 0.0

    def get(self, parameter_names, gather=False, simplify=True, member=None):
        """PyNN's ``get``; in an ensemble member ``member``'s values of the parameters given
        as a ``Batch`` (without it, refused where the members' values differ, as
        ``Projection.get``)."""
        members = check_member(member, simulator.state.members, "get")
        pop, idx = self._pop, self._idx
        batches = {n: b[:, idx] for n, b in getattr(pop, "_batches", {}).items()}
        if not batches or members == 1:
            return super().get(parameter_names, gather, simplify)
        names = [parameter_names] if isinstance(parameter_names, str) else parameter_names
        computed = (self.celltype.computed_parameters()
                    if isinstance(self.celltype, StandardCellType) else [])
        # a computed parameter may read any batched one
        needed = list(batches) if any(n in computed for n in names) else \
            [n for n in names if n in batches]
        if member is None:
            differ = [n for n in needed if not np.all(batches[n] == batches[n][:1])]
            if differ:
                raise errors.InvalidParameterValueError(
                    f"get({differ[0]!r}): the {members} ensemble members have different "
                    f"values (a Batch); give member=i (0 <= i < {members}).")
            return super().get(parameter_names, gather, simplify)
        saved = {n: np.array(pop._parameters[n], copy=True) for n in needed}
        try:                            # member's values where the single-network path reads
            for n in needed:
                pop._parameters[n][idx] = batches[n][member]
            return super().get(parameter_names, gather, simplify)
        finally:
            for n, values in saved.items():
                pop._parameters[n][...] = values

    def _set_initial_value_array(self, variable, initial_values):
        pop, idx = self._pop, self._idx
        simulator.check_current(pop, "initialize()")
        known = getattr(pop.celltype, "state_variables", pop.celltype.default_initial_values)
        if variable not in known:
            raise errors.NonExistentParameterError(
                f"initialize({variable}=...): {variable!r} is not a state variable of "
                f"{type(pop.celltype).__name__}", type(pop.celltype).__name__, sorted(known))
        values = np.broadcast_to(np.asarray(initial_values.evaluate(simplify=False), float),
                                 (len(idx),))
        _check_finite_initial(variable, values, "initialize")
        variable, values = model_initial(pop.celltype, variable, values)   # NEST-named types
        current = pop._initial.setdefault(variable, np.zeros(pop.size))
        current[idx] = values
        batches = pop.__dict__.get("_initial_batches", {})
        if variable in batches:                   # a plain value holds for every member
            batches[variable][:, idx] = values
        sim = simulator.state.simulation
        if sim is not None and pop in sim.populations:
            sim.set_live_state(pop, variable, idx, values)


class Population(_ParameterAccess, common.Population):
    __doc__ = common.Population.__doc__
    _simulator = simulator
    _recorder_class = Recorder
    _assembly_class = Assembly

    def __init__(self, size, cellclass, cellparams=None, structure=None, initial_values={},
                 label=None):
        _check_size(size)                       # before PyNN's own, vaguer, size checks
        super().__init__(size, cellclass, cellparams, structure, initial_values, label)

    @property
    def _pop(self):
        return self

    @property
    def _idx(self):
        return np.arange(self.size)

    def _create_cells(self):
        state = simulator.state
        check_time_step(self.celltype, state.dt)
        given = self.celltype.parameter_space      # composite cells nest ParameterSpaces
        _check_lengths(self.celltype, {name: getattr(given[name], "base_value", None)
                                       for name in given.keys()},
                       self.size, f"Population({self.size}, {type(self.celltype).__name__})")
        check_population(self)       # refuses what cannot fit, before any per-cell array
        if isinstance(self.celltype, StandardCellType):
            parameter_space = self.celltype.native_parameters
        else:
            parameter_space = self.celltype.parameter_space
        parameter_space.shape = (self.size,)
        parameter_space.evaluate(simplify=False)
        parameters = {name: _column(value, self.size) for name, value in parameter_space.items()}
        check_parameters(self.celltype, parameters)     # before anything is registered
        if hasattr(self.celltype, "object_columns"):    # multi-compartment cells' objects
            parameters.update(self.celltype.object_columns(self.size))
        self._parameters = parameters
        self._batches = {}                # name -> [N, size]: one row per ensemble member
        for name, batch in getattr(self.celltype, "_batches", {}).items():
            _set_batch(self, np.arange(self.size), name, batch,
                       f"Population({self.size}, {type(self.celltype).__name__})")
        ids = np.arange(state.id_counter, state.id_counter + self.size)
        self.all_cells = np.array([simulator.ID(i) for i in ids], dtype=simulator.ID)
        for cell in self.all_cells:
            cell.parent = self
        self._mask_local = np.ones(self.size, dtype=bool)
        state.id_counter += self.size
        self._initial = {}
        self._generation = state.generation           # see simulator.check_current
        self._index = state.add_population(self)

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)


class PopulationView(_ParameterAccess, common.PopulationView):
    __doc__ = common.PopulationView.__doc__
    _simulator = simulator
    _assembly_class = Assembly

    @property
    def _pop(self):
        return self.grandparent

    @property
    def _idx(self):
        return np.asarray(self.index_in_grandparent(np.arange(self.size)))

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)
