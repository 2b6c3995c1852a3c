"""Projection and Connection: synapses kept as host NumPy arrays until the build.

Connectors deliver synapses through ``_convergent_connect`` (PyNN's generic path, one call per
postsynaptic cell) or ``_add_connections`` (our vectorised connectors, one call per
projection); both only append arrays.  Delays are rounded to the nearest multiple of ``dt`` as
NEST rounds them (halfway up: 0.25 ms at dt = 0.1 is 0.3 ms) and checked against ``dt`` and
``max_delay`` here, before anything is compiled; non-finite weights and delays are refused.
``get``/``set``/``len`` work on these arrays before and after a run.
"""
from __future__ import annotations

import numbers

import numpy as np
from pyNN import common, errors
from pyNN.core import is_listlike
from pyNN.space import Space

from . import processes, simulator
from .column_draws import column_ranks
from .engine.hosts import allgather, combine
from .footprint import check_projection
from .ensembles import Batch, split_batches
from .standardmodels.synapses import StaticSynapse, check_synapse_values

#: the per-synapse column of a multi-compartment target's synapse place (engine receptor index;
#: NaN for the synapses of projections to point neurons); read by ``export._receptor``
RECEPTOR_COLUMN = "_receptor_column"

__all__ = ["Projection", "Connection", "delay_steps"]

_INDEX_NAMES = ("presynaptic_index", "postsynaptic_index")
_FINITE = ("weight", "delay")          # synapse parameters that must be finite numbers


def delay_steps(delays, dt: float) -> np.ndarray:
    """Delays (ms) in whole steps, rounded as NEST does: ``floor(d / dt + 0.5)``, so a delay
    halfway between two steps goes to the later one (0.25 ms at dt = 0.1 ms is 3 steps, where
    ``numpy.rint`` would give 2).

    NEST: ``Time::delay_ms_to_steps`` = ``ld_round(ms * STEPS_PER_MS)`` (nestkernel/nest_time.h)
    with ``ld_round(x) = floor(x + 0.5)`` (libnestutil/numerics.cpp); multiplying by the
    steps per ms (not dividing by dt) gives NEST's result for 0.15 ms at dt = 0.1 too (2).
    """
    return np.floor(np.asarray(delays, dtype=float) * (1.0 / dt) + 0.5)


def populations_of(cells) -> list:
    """The populations behind a Population, PopulationView or Assembly."""
    if isinstance(cells, common.Assembly):
        return [p for member in cells.populations for p in populations_of(member)]
    while isinstance(cells, common.PopulationView):
        cells = cells.parent
    return [cells]


def _source_detectors(pre, source) -> dict:
    """``Projection(..., source=...)``: per presynaptic population (index) the spike
    detector its synapses read (``ProjectionData.sources``): 0 the cell's spike source, ``k``
    a multi-compartment cell type's ``k``-th further detector.  PyNN's ``source`` names "which
    attribute of the presynaptic cell signals action potentials"; a cell with one (every point
    neuron and spike source) takes only None."""
    found = {}
    for pop in populations_of(pre):
        celltype = pop.celltype
        if hasattr(celltype, "detector_index"):
            found[pop._index] = celltype.detector_index(source)
        elif source is not None:
            raise errors.InvalidParameterValueError(
                f"Projection: source = {source!r}, but population {pop.label!r} "
                f"({type(celltype).__name__}) has a single spike source; give source=None "
                f"(PyNN's default), or use a multi-compartment cell type that declares "
                f"{source!r} in its spike_detectors.")
    return found


def _local_targets(post):
    """Per cell of ``post`` (a Population, PopulationView or Assembly) whether it lives on
    this process's devices (``processes.local_cells``), or None in a single process: there a
    projection keeps every synapse."""
    state = simulator.state
    if state.processes < 2:
        return None
    from .export import resolve_cells
    pop_of, cell = resolve_cells(post, np.arange(post.size))
    local = np.zeros(post.size, bool)
    for index in np.unique(pop_of):
        mine = pop_of == index
        size = state.populations[index].size
        local[mine] = processes.local_cells(size, state.devices)[cell[mine]]
    return local


def _joined(chunks: list) -> np.ndarray:
    """A synapse parameter's chunks as one float array.  Where every chunk is one broadcast
    number and all the same (a projection's constant weight or delay, as most networks have)
    the result stays a read-only broadcast view: no memory per synapse (2 x 1.1 GB for the
    137M synapses of the 1M-neuron CBGTC network); ``_writable`` copies it before a write."""
    full = [c for c in chunks if c.size]
    if full and all(c.strides == (0,) for c in full):
        value = full[0][0]
        if all(c[0] == value for c in full):        # NaN (a missing value) never matches
            return np.broadcast_to(np.float64(value), (sum(c.size for c in chunks),))
    return np.concatenate(chunks).astype(float, copy=False)


def _writable(values: np.ndarray) -> np.ndarray:
    """``values``, copied first where it is a read-only broadcast view (``_joined``)."""
    return values if values.flags.writeable else np.array(values)


def _kept(values: np.ndarray, keep: np.ndarray, n: int) -> np.ndarray:
    """``values[keep]`` (``n`` of them), a broadcast number kept broadcast."""
    if values.size and values.strides == (0,):
        return np.broadcast_to(values[0], (n,))
    return values[keep]


class Connection(common.Connection):
    """One synapse of a projection; ``weight`` and ``delay`` are read and written in place."""

    def __init__(self, projection, i):
        self.projection = projection
        self.index = i

    @property
    def presynaptic_index(self):
        return int(self.projection._pre[self.index])

    @property
    def postsynaptic_index(self):
        return int(self.projection._post[self.index])

    def _get(self, name):
        return float(self.projection._current(name)[self.index])

    def _set(self, name, value):
        self.projection._set_synapse_values(name, np.array([self.index]), np.array([value]))

    weight = property(lambda self: self._get("weight"), lambda self, v: self._set("weight", v))
    delay = property(lambda self: self._get("delay"), lambda self, v: self._set("delay", v))

    def as_tuple(self, *attribute_names):
        return tuple(getattr(self, name) for name in attribute_names)


class Projection(common.Projection):
    __doc__ = common.Projection.__doc__
    _simulator = simulator
    _static_synapse_class = StaticSynapse

    def __init__(self, presynaptic_population, postsynaptic_population, connector,
                 synapse_type=None, source=None, receptor_type=None, space=Space(), label=None):
        simulator.check_current(presynaptic_population, "Projection(presynaptic_population)")
        simulator.check_current(postsynaptic_population, "Projection(postsynaptic_population)")
        super().__init__(presynaptic_population, postsynaptic_population, connector,
                         synapse_type, source, receptor_type, space, label)
        self._generation = simulator.state.generation     # see simulator.check_current
        self._check_synapse_type()
        self._rule = getattr(self.synapse_type, "rule", None)
        if self._rule is None:
            raise NotImplementedError(
                f"Projection: synapse_type {type(self.synapse_type).__name__} is not supported "
                f"by pynn_cbgtc_jax; use one of its standard synapse types.")
        self._weight_dependence_mu = getattr(self.synapse_type, "weight_dependence_mu", {})
        self._sources = _source_detectors(self.pre, source)
        self._pending = []             # appended (pre, post, {name: values}, global) chunks
        self._pre = np.zeros(0, np.int64)
        self._post = np.zeros(0, np.int64)
        self._params = {"weight": np.zeros(0), "delay": np.zeros(0)}
        # several processes: only the synapses onto this process's cells, each with its
        # place among all the projection's synapses (in the one-process order)
        self._local = _local_targets(self.post)
        self._global = None if self._local is None else np.zeros(0, np.int64)
        self._drawn = 0                # synapses drawn so far, local or not
        self._by_column = False        # the connector drew this process's columns only
        check_projection(self, connector)     # refuses what cannot fit, before drawing
        self._checked_here = False     # values checked on this process's synapses only
        try:
            connector.connect(self)
        except Exception as error:
            if self._checked_here:
                self._agree(error)     # every process raises, none waits in a collective
            raise
        self._consolidate()
        if self._checked_here:
            totals = self._agree(None)
            if self._by_column:
                self._place_columns(totals)
        self._batches = {}            # name -> [N, n]: one row per ensemble member
        for name, batch in getattr(self.synapse_type, "_batches", {}).items():
            self._set_batch(name, batch)
        self._index = simulator.state.add_projection(self)

    # -- building ----------------------------------------------------------------------------
    def _check_synapse_type(self):
        """Refuse a non-finite number (or array) given as weight or delay before the connector
        runs (PyNN's sign check would call a NaN weight 'not negative')."""
        for name in _FINITE:
            if name in self.synapse_type.parameter_space.keys():
                value = self.synapse_type.parameter_space[name].base_value
                if isinstance(value, (numbers.Real, np.ndarray, list)):
                    self._check_finite(name, np.asarray(value, dtype=float))

    def _check_finite(self, name, values):
        if np.all(np.isfinite(values)):
            return
        bad = float(np.asarray(values)[~np.isfinite(values)][0])
        what = ("a finite number of ms, >= dt" if name == "delay" else
                "a finite number (nA for current-, uS for conductance-based synapses; 0 makes "
                "a silent synapse)")
        raise errors.ConnectionError(
            f"Projection {self.label!r}: {name} = {bad}; each synapse {name} must be {what}.  "
            f"Give finite values.")

    def _convergent_connect(self, presynaptic_indices, postsynaptic_index,
                            location_selector=None, **connection_parameters):
        pre = np.asarray(presynaptic_indices, dtype=np.int64).ravel()
        post = np.full(pre.size, postsynaptic_index, np.int64)
        celltype = getattr(self.post, "celltype", None)      # None: an Assembly
        if location_selector is None or not hasattr(celltype, "receptor_columns"):
            if location_selector is not None:
                raise errors.ConnectionError(
                    f"Projection {self.label!r}: location_selector={location_selector!r} on "
                    f"{'an Assembly' if celltype is None else f'point neurons ({celltype})'}; "
                    f"it chooses places on the multi-compartment cells of one population: "
                    f"leave it out, or project to the population.")
            self._add_connections(pre, post, **connection_parameters)
            return
        # multi-compartment target: one connection per chosen synapse place (pyNN.neuron),
        # random sections drawn per postsynaptic cell from a stream of this projection
        rng = np.random.default_rng([simulator.state.rng_seed or 0,
                                     len(simulator.state.projections), int(postsynaptic_index)])
        for column in celltype.receptor_columns(self.receptor_type, location_selector, rng):
            self._add_connections(pre, post, _receptor_column=float(column),
                                  **connection_parameters)

    def _add_connections(self, pre, post, **parameters):
        """Append synapses ``pre[i] -> post[i]`` (indices into ``self.pre``/``self.post``).

        ``parameters`` are native synapse parameters, scalars or arrays aligned with ``pre``.
        """
        n = len(pre)
        values = {}
        column = parameters.pop("_receptor_column", None)
        places = parameters.pop("_places", None)     # the caller kept this process's own
        for name, value in parameters.items():
            value = np.broadcast_to(np.asarray(value, dtype=float), (n,))
            if name in _FINITE:
                self._check_finite(name, value)
            values[name] = value
        check_synapse_values(self.synapse_type, values)
        if "delay" not in values:
            values["delay"] = np.broadcast_to(
                np.float64(self.synapse_type._get_minimum_delay()), (n,))
        values["delay"] = self._round_delays(values["delay"])
        if column is not None:             # a multi-compartment target's synapse column
            values[RECEPTOR_COLUMN] = np.full(n, column)
        pre, post, where = np.asarray(pre, np.int64), np.asarray(post, np.int64), places
        if self._local is not None and places is None and not self._by_column:
            keep = self._local[post]       # keep the synapses onto this process's cells
            where = self._drawn + np.flatnonzero(keep)
            pre, post = pre[keep], post[keep]
            values = {name: _kept(v, keep, pre.size) for name, v in values.items()}
            self._drawn += n
        elif self._by_column:
            where = np.full(n, -1, np.int64)     # placed once all columns are drawn
        self._pending.append((pre, post, values, where))
        simulator.state.mark_changed(structure=True)

    def _agree(self, error):
        """Several processes, where each checked only its own synapses' values (delays,
        weights' signs: one may refuse what another never sees; left alone, the others would
        wait for it in the next collective forever): raise ``error`` here and an error on
        every other process too.  Else the synapses per target over all processes (where
        the processes drew their own targets only, ``_by_column``), in the same exchange."""
        mine = np.zeros(1 + (self.post.size if self._by_column else 0), np.int64)
        if error is None and self._by_column:
            mine[1:] = np.bincount(self._post, minlength=self.post.size)
        mine[0] = error is not None
        summed = combine(mine, "sum")
        if error is not None:
            raise error
        if summed[0]:
            raise errors.ConnectionError(
                f"Projection {self.label!r}: another process could not create its synapses "
                f"(its error is in its own output); every process stops here.  Fix what that "
                f"error names (a value checked only where its synapse lives).")
        return summed[1:]

    def _place_columns(self, total):
        """Each synapse's place among the whole projection's, where every process drew only
        its own columns (``connectors._SynapseParameters.columns``): the one-process order
        is post-major, so a place is the synapses of the columns before its own (``total``:
        per column, over the processes) plus its rank in its column."""
        before = np.cumsum(total) - total       # this process's synapses are post-major
        self._global = column_ranks(self._post, before)
        self._drawn = int(total.sum())

    def _round_delays(self, delays):
        state = simulator.state
        delays = np.asarray(delays, dtype=float)
        if delays.size == 0:
            return delays
        self._check_finite("delay", delays)
        dt = state.dt
        lowest = state.explicit_min_delay or dt
        if np.any(delays < lowest * (1 - 1e-9)):
            raise errors.ConnectionError(
                f"Projection {self.label!r}: delay = {delays.min()} ms is below the minimum "
                f"{lowest} ms (the time step, or min_delay given to setup()); use delays >= "
                f"{lowest} ms.")
        if state.explicit_max_delay and np.any(delays > state.explicit_max_delay * (1 + 1e-9)):
            raise errors.ConnectionError(
                f"Projection {self.label!r}: delay = {delays.max()} ms is above max_delay = "
                f"{state.max_delay} ms; use smaller delays or setup(max_delay=...).")
        if delays.ndim and delays.size > 1 and delays.strides == (0,):   # one broadcast value
            return np.broadcast_to(np.float64(max(delay_steps(delays[0], dt), 1) * dt),
                                   delays.shape)
        return np.maximum(delay_steps(delays, dt), 1) * dt

    def _consolidate(self):
        if not self._pending:
            return
        names = set(self._params)
        for _, _, values, _ in self._pending:
            names |= set(values)
        chunks = [(self._pre, self._post, self._params, self._global)] + self._pending
        self._pre = np.concatenate([c[0] for c in chunks])
        self._post = np.concatenate([c[1] for c in chunks])
        if self._global is not None:
            self._global = np.concatenate([c[3] for c in chunks])
        self._params = {name: _joined([c[2][name] if name in c[2]
                                       else np.broadcast_to(np.nan, (len(c[0]),))
                                       for c in chunks])
                        for name in names}
        self._pending = []

    # -- queries -----------------------------------------------------------------------------
    def __len__(self):
        self._consolidate()
        return int(self._pre.size)

    def __getitem__(self, i):
        if isinstance(i, (int, np.integer)):
            if i < 0:
                i += len(self)
            if not 0 <= i < len(self):
                raise IndexError(f"Projection has {len(self)} connections; index {i} is out "
                                 f"of range.")
            return Connection(self, int(i))
        return [Connection(self, j) for j in range(len(self))[i]]

    @property
    def connections(self):
        self._consolidate()
        return (Connection(self, i) for i in range(len(self)))

    def _min_delay_value(self):
        self._consolidate()
        return float(self._params["delay"].min()) if len(self) else None

    def _max_delay_value(self):
        return float(self._params["delay"].max()) if len(self) else None

    _get_member = None
    _gather = False

    def size(self, gather=True):
        """PyNN's: the number of synapses; with several processes every process's
        (``gather=False``: this process's)."""
        n = len(self)
        if gather and self._local is not None:
            return int(combine(np.int64(n), "sum"))
        return n

    def get(self, attribute_names, format, gather=True, with_address=True,
            multiple_synapses="sum", member=None):
        """PyNN's ``Projection.get``; in an ensemble ``member`` selects whose values (needed
        where they differ between members: Batch values, plastic weights after a run).  With
        several processes ``gather`` (PyNN's default) gives every process all synapses, in
        the order of one process; ``gather=False`` this process's (those onto its cells)."""
        self._get_member, self._gather = member, bool(gather)
        try:
            return super().get(attribute_names, format, gather, with_address,
                               multiple_synapses)
        finally:
            self._get_member, self._gather = None, False

    def _current(self, name):
        """Host values of a synapse parameter, or the live ones for plastic state (weights);
        in an ensemble those of member ``get(member=...)``."""
        from .simulation import one_member
        member = self._get_member
        sim = simulator.state.simulation
        if sim is not None and simulator.state.running and self in sim._projections():
            live = sim.synapse_values(self, name, member)
            if live is not None:
                return live
        if name in self._batches:
            return one_member(self._batches[name], member, f"Projection {self.label!r}: {name}")
        return self._params[name]

    def _columns(self, names):
        self._consolidate()
        cols = []
        for name in names:
            if name == "presynaptic_index":
                cols.append(self._pre)
            elif name == "postsynaptic_index":
                cols.append(self._post)
            else:
                cols.append(self._current(
                    self.synapse_type.translations[name]["translated_name"]
                    if name in self.synapse_type.translations else name))
        return cols

    def _gathered_columns(self, names):
        """``_columns(names)`` of every process's synapses in the one-process order where
        ``get`` gathers over several processes (a collective), else this process's."""
        cols = self._columns(names)
        if self._local is None or not self._gather:
            return cols
        order = np.argsort(np.concatenate(allgather(self._global)), kind="stable")
        return [np.concatenate(allgather(np.asarray(c)))[order] for c in cols]

    def _get_attributes_as_list(self, names):
        return list(zip(*[c.tolist() for c in self._gathered_columns(names)]))

    def _get_attributes_as_arrays(self, names, multiple_synapses="sum"):
        pre, post, *cols = self._gathered_columns(list(_INDEX_NAMES) + list(names))
        pre, post = pre.astype(np.int64), post.astype(np.int64)
        shape = (self.pre.size, self.post.size)
        result = []
        for col in cols:
            out = np.full(shape, np.nan)
            if multiple_synapses == "first":
                out[pre[::-1], post[::-1]] = col[::-1]
            elif multiple_synapses == "last":
                out[pre, post] = col
            else:
                op = {"sum": np.add, "min": np.fmin, "max": np.fmax}[multiple_synapses]
                first = np.zeros(shape) if multiple_synapses == "sum" else np.full(shape, np.nan)
                op.at(first, (pre, post), col)
                seen = np.zeros(shape, bool)
                seen[pre, post] = True
                out[seen] = first[seen]
            result.append(out)
        return result

    # -- updates -----------------------------------------------------------------------------
    def set(self, **attributes):
        """PyNN's ``Projection.set``; a ``Batch`` value gives each ensemble member its own
        (``ensembles.py``): a number, or one value per synapse in the order of
        ``get(name, format="list")``, or a ``(pre.size, post.size)`` array, per member."""
        attributes, batches = split_batches(attributes)
        if attributes:
            super().set(**attributes)
        for name, batch in batches.items():
            self._set_batch(name, batch)

    def _value_list_to_array(self, attributes):
        """PyNN's, with the mask of connected pairs taken from the connectivity itself (PyNN
        reads it from the weights, which can differ between ensemble members; weights are
        always finite, so the two masks are the same)."""
        self._consolidate()
        mask = np.zeros(self.shape, bool)
        mask[self._pre, self._post] = True
        for name, value in attributes.items():
            if isinstance(value, list) or (isinstance(value, np.ndarray) and value.ndim == 1):
                array_value = np.full(self.shape, np.nan)
                if self._global is not None:
                    # the values of every process's connected pairs, in the row-major order
                    # of one process's mask: this process's pairs' places among them
                    keys = self._pre * self.shape[1] + self._post
                    every = np.unique(np.concatenate(allgather(keys)))
                    array_value[self._pre, self._post] = np.asarray(value)[
                        np.searchsorted(every, keys)]
                else:
                    array_value[mask] = value
                attributes[name] = array_value
        return attributes

    def _set_batch(self, name: str, batch: Batch):
        """One value per ensemble member of synapse parameter ``name`` (member 0's in
        ``_params``, every member's in ``_batches[name]``, checked as a ``set()`` of them)."""
        self._consolidate()
        simulator.check_current(self, "Projection.set()")
        what = f"Projection {self.label!r}: {name}=Batch(...)"
        translations = getattr(self.synapse_type, "translations", {})
        native = translations.get(name, {}).get("translated_name", name)
        if name == "delay" or native != name or name not in self._params:
            why = ("a delay sets the length of the spike ring buffer, which all members share"
                   if name == "delay" else
                   f"{name!r} is not a numeric synapse parameter with PyNN's own name here")
            raise errors.InvalidParameterValueError(
                f"{what}: cannot vary across ensemble members ({why}); give it one value.")
        simulator.state.ensemble(len(batch), what)
        rows = []
        for m, value in enumerate(batch):
            arr = np.asarray(value, dtype=float)
            if arr.ndim == 2:
                arr = arr[self._pre, self._post]
            row = np.broadcast_to(arr, (len(self),)).astype(float) if arr.ndim < 2 else arr
            try:
                check_synapse_values(self.synapse_type, {name: row})
                if name in _FINITE:
                    self._check_finite(name, row)
            except errors.InvalidParameterValueError as e:
                raise errors.InvalidParameterValueError(f"{what}, member {m}: {e}") from None
            rows.append(row)
        self._batches[name] = np.stack(rows)
        self._params[name] = _writable(self._params[name])
        self._params[name][:] = rows[0]
        simulator.state.mark_changed(synapses=True)

    def _set_attributes(self, parameter_space):
        self._consolidate()
        parameter_space.evaluate(simplify=True)
        for name, value in parameter_space.items():
            if is_listlike(value) or np.ndim(value) > 0:
                arr = np.asarray(value, dtype=float)
                values = arr[self._pre, self._post] if arr.ndim == 2 else arr
            else:
                values = np.full(len(self), float(value))
            self._set_synapse_values(name, np.arange(len(self)), values)

    def _set_synapse_values(self, name, index, values):
        self._consolidate()
        simulator.check_current(self, "Projection.set()")
        if name == "delay":
            values = self._round_delays(values)
        elif name not in self._params:
            raise errors.NonExistentParameterError(name, type(self.synapse_type).__name__,
                                                   list(self._params))
        else:
            checked = {name: values}
            if name in ("w_min", "w_max"):      # the new bound against the other one
                other = "w_max" if name == "w_min" else "w_min"
                checked[other] = self._params[other][index] if other in self._params else values
            check_synapse_values(self.synapse_type, checked)
        if name in _FINITE:
            self._check_finite(name, np.asarray(values, dtype=float))
        self._params[name] = _writable(self._params[name])
        self._params[name][index] = values
        if name in self._batches:                 # a plain value holds for every member
            self._batches[name][:, index] = values
        simulator.state.mark_changed(structure=(name == "delay"), synapses=True)

    def _set_initial_value_array(self, variable, initial_value):
        """initialize(u=...) for synapse state (e.g. TsodyksMarkramSynapse's u)."""
        simulator.check_current(self, "Projection.initialize()")
        if variable not in getattr(self.synapse_type, "default_initial_values", {}):
            raise errors.NonExistentParameterError(
                variable, type(self.synapse_type).__name__,
                list(getattr(self.synapse_type, "default_initial_values", {})))
        self._consolidate()
        value = initial_value
        if hasattr(value, "evaluate"):
            value.shape = (self.pre.size, self.post.size)
            value = value.evaluate(simplify=True)
        value = np.asarray(value, float)
        if value.ndim == 1 and self._global is not None and value.size != len(self):
            value = value[self._global]     # every process's synapses, one-process order
        values = (value[self._pre, self._post] if value.ndim == 2
                  else np.broadcast_to(value, (len(self),)).copy())
        checked = {variable: values}
        if variable == "a" and "n" in self._params:
            checked["n"] = self._params["n"]
        check_synapse_values(self.synapse_type, checked)
        self._params[variable] = values
        simulator.state.mark_changed(synapses=True)
