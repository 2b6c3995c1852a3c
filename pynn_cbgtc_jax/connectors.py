"""Vectorised versions of PyNN's most used connectors (same names, same results, same seeds).

PyNN builds synapses through ``Projection._convergent_connect``, one Python call per
postsynaptic cell (``MapConnector._standard_connect``), at 0.2-6 M synapses/s.  The classes
here subclass PyNN's connectors and override ``connect`` to produce the whole index arrays with
NumPy and hand them to ``Projection._add_connections`` once per block of ~4 M entries.

They reproduce PyNN's random draws exactly: the connector's RNG is called with the same
distributions, in the same order and for the same total counts, and ``RandomDistribution``
synapse parameters draw one value per synapse, in PyNN's (post, then pre) order, from the same
deep copy of their RNG that PyNN takes when it translates the synapse parameters.  Concatenated
draws equal PyNN's per-column draws because NumPy's legacy ``RandomState`` samples one value
after the other; this is not true of ``normal_clipped`` (redraws are interleaved) or of two
random parameters sharing one RNG, which are drawn per postsynaptic cell instead.

A few draw orders cannot be vectorised: ``rng.permutation`` per cell (``FixedNumber*`` without
replacement) and the redraw loop of ``_rng_uniform_int_exclude`` (with replacement, no self
connections).  There the loop over cells calls only PyNN's own RNG function per cell.

Anything else (several MPI processes, ``location_selector``, an RNG other than ``NumpyRNG``,
synapse parameters that are neither numbers, random distributions, ``(n_pre, n_post)`` arrays,
functions of distance nor ``IndexBasedExpression``) falls back to PyNN's generic ``connect``.
"""
from __future__ import annotations

from copy import deepcopy

import numpy as np
from lazyarray import larray
from pyNN import connectors as _pynn
from pyNN import errors
from pyNN.common import Population as _BasePopulation
from pyNN.core import IndexBasedExpression
from pyNN.random import NumpyRNG, RandomDistribution
from pyNN.space import Space
from pyNN.standardmodels import StandardSynapseType

__all__ = ["AllToAllConnector", "OneToOneConnector", "FixedProbabilityConnector",
           "FixedNumberPreConnector", "FixedNumberPostConnector", "FromListConnector"]

# Largest dense intermediate (uniform draws, index blocks, synapses per parameter evaluation):
# 2**22 float64 values = 32 MiB, so a 10M-synapse projection is built in a few blocks.
_BLOCK = 1 << 22


class _Unsupported(Exception):
    """Internal: this case is left to PyNN's generic ``connect``."""


# -- helpers ----------------------------------------------------------------------------------
def _vectorisable(connector, projection) -> bool:
    """True where nothing forces PyNN's generic path (MPI, location selectors, foreign RNGs)."""
    rng = getattr(connector, "rng", None)
    return (connector.location_selector is None
            and projection._simulator.state.num_processes == 1
            and (rng is None or isinstance(rng, NumpyRNG)))


def _cell_ids(population) -> np.ndarray:
    """Global ids of the cells of a Population, PopulationView or Assembly, as int64."""
    return np.asarray(population.all_cells, dtype=np.int64)


def _column_blocks(n_rows: int, n_cols: int):
    """``(c0, c1)`` ranges of columns such that a dense ``(n_rows, c1 - c0)`` block stays small."""
    step = max(1, _BLOCK // max(n_rows, 1))
    for c0 in range(0, n_cols, step):
        yield c0, min(c0 + step, n_cols)


def _synapse_blocks(post: np.ndarray):
    """``(start, stop)`` ranges of about ``_BLOCK`` synapses that never split a column.

    ``post`` must be non-decreasing (synapses in PyNN's post-major order).
    """
    n = post.size
    start = 0
    while start < n:
        stop = min(start + _BLOCK, n)
        if stop < n:
            stop = int(np.searchsorted(post, post[stop - 1], side="right"))
        yield start, stop
        start = stop


def _ranges(starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """``concatenate([arange(s, s + n) for s, n in zip(starts, sizes)])`` without the loop."""
    sizes = np.asarray(sizes, dtype=np.int64)
    total = int(sizes.sum())
    offsets = np.cumsum(sizes) - sizes
    return np.repeat(np.asarray(starts, np.int64) - offsets, sizes) + np.arange(total)


def _pairwise_distances(space: Space, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``Space.distances`` for the pairs ``(a[k], b[k])`` instead of all pairs.

    ``a`` and ``b`` are ``(N, 3)`` positions.  The arithmetic is ``Space.distances``' own, in the
    same order (``b`` scaled and offset, per-axis squared differences summed axis by axis), so
    each distance is the one PyNN computes for that pair.
    """
    b = space.scale_factor * (b + space.offset)
    d = np.zeros((len(space.axes), a.shape[0]), dtype=a.dtype)
    for i, axis in enumerate(space.axes):
        diff2 = a[:, axis] - b[:, axis]
        if space.periodic_boundaries is not None:
            boundaries = space.periodic_boundaries[axis]
            if boundaries is not None:
                span = boundaries[1] - boundaries[0]
                ad2 = abs(diff2)
                diff2 = np.minimum(ad2, span - ad2)
        diff2 **= 2
        d[i] = diff2
    d = np.sum(d, 0)
    np.sqrt(d, d)
    return d


def _as_counts(values, what: str) -> np.ndarray:
    """Numbers of connections drawn from a RandomDistribution, as int64 (they must be whole)."""
    values = np.atleast_1d(np.asarray(values))
    counts = values.astype(np.int64)
    if np.any(counts != values) or np.any(counts < 0):
        raise TypeError(f"{what}: n drew {values[(counts != values) | (counts < 0)][:3]}; the "
                        f"RandomDistribution given as n must produce non-negative integers "
                        f"(e.g. 'uniform_int', 'poisson', 'binomial').")
    return counts


# -- synapse parameters -----------------------------------------------------------------------
class _SynapseParameters:
    """Evaluates the native synapse parameters of a projection for arrays of (pre, post) pairs.

    Construction only checks that every parameter can be vectorised (raising ``_Unsupported``
    otherwise) and draws nothing.  ``snapshot()`` takes the parameter space the way
    ``MapConnector._standard_connect`` does: its deep copy freezes the state of the RNGs of
    random parameters, so it must be called at the point of the draw sequence where PyNN calls
    ``_parameters_from_synapse_type``.
    """

    def __init__(self, connector, projection):
        self.connector = connector
        self.projection = projection
        self.distance_map = connector._generate_distance_map(projection)
        self.space = None
        trial = connector._parameters_from_synapse_type(projection, self.distance_map)
        self.kinds = {name: self._kind(lazy) for name, lazy in trial.items()}
        random = [trial[name].base_value for name, kind in self.kinds.items() if kind == "random"]
        rng_ids = [id(rd.rng) for rd in random]
        # one draw per parameter for all synapses equals PyNN's per-column draws only if no two
        # random parameters share an RNG (PyNN alternates between them column by column) and no
        # distribution redraws rejected values inside a call
        self.per_column = (len(set(rng_ids)) < len(rng_ids)
                           or any(rd.name == "normal_clipped" for rd in random))

    def _kind(self, lazy) -> str:
        if lazy.is_homogeneous:
            return "scalar"
        if any(isinstance(arg, larray) and not arg.is_homogeneous for _, arg in lazy.operations):
            raise _Unsupported
        base = lazy.base_value
        if isinstance(base, RandomDistribution):
            if not isinstance(base.rng, NumpyRNG):
                raise _Unsupported
            return "random"
        if base is self.distance_map.base_value:
            return "distance"
        if isinstance(base, IndexBasedExpression):
            return "pointwise"
        if isinstance(base, np.ndarray) and base.shape == self.projection.shape:
            return "pointwise"
        raise _Unsupported

    def snapshot(self):
        self.space = self.connector._parameters_from_synapse_type(self.projection,
                                                                  self.distance_map)

    def evaluate(self, pre: np.ndarray, post: np.ndarray) -> dict:
        """Native parameter values for synapses ``pre[k] -> post[k]``, given in PyNN's order.

        ``post`` is non-decreasing and the block holds whole columns, so that random values
        continue the stream exactly where the previous block stopped.
        """
        values = {}
        addr = (pre, post)
        for name, lazy in self.space.items():
            kind = self.kinds[name]
            if kind == "scalar":
                values[name] = lazy.evaluate(simplify=True)
            elif kind == "pointwise" or (kind == "random" and not self.per_column):
                values[name] = lazy[addr]
            elif kind == "distance":
                values[name] = self._distance_values(lazy, pre, post)
        if self.per_column:
            random = [name for name, kind in self.kinds.items() if kind == "random"]
            raw = {name: np.empty(pre.size) for name in random}
            starts = np.flatnonzero(np.r_[True, post[1:] != post[:-1]])
            stops = np.r_[starts[1:], post.size]
            # PyNN's order: for each postsynaptic cell, each random parameter in turn
            for start, stop in zip(starts.tolist(), stops.tolist()):
                for name in random:
                    raw[name][start:stop] = self.space[name].base_value.next(stop - start)
            for name in random:
                values[name] = self.space[name]._apply_operations(raw[name], addr)
        return values

    def _distance_values(self, lazy, pre, post):
        projection = self.projection
        if type(projection.space) is Space:
            d = _pairwise_distances(projection.space, projection.pre.positions.T[pre],
                                    projection.post.positions.T[post])
            return lazy._apply_operations(d, addr=(pre, post))
        # a Space subclass may compute distances its own way: evaluate dense column blocks
        # through the lazy array, as PyNN does column by column, and pick the pairs
        n_pre = projection.pre.size
        out = np.empty(pre.size)
        lo, hi = int(post[0]), int(post[-1]) + 1
        for c0, c1 in _column_blocks(n_pre, hi - lo):
            c0, c1 = c0 + lo, c1 + lo
            k0, k1 = np.searchsorted(post, [c0, c1])
            if k1 > k0:
                dense = np.asarray(lazy[:, c0:c1]).reshape(n_pre, c1 - c0)
                out[k0:k1] = dense[pre[k0:k1], post[k0:k1] - c0]
        return out

    def connect(self, pre: np.ndarray, post: np.ndarray):
        """Evaluate, check (if ``connector.safe``) and add the synapses, block by block."""
        pre = np.asarray(pre, dtype=np.int64)
        post = np.asarray(post, dtype=np.int64)
        for start, stop in _synapse_blocks(post):
            p, q = pre[start:stop], post[start:stop]
            values = self.evaluate(p, q)
            if self.connector.safe:
                self._check(values)
            self.projection._add_connections(p, q, **values)

    def _check(self, values):
        # MapConnector._standard_connect's checks (e.g. check_weights), on a block instead of
        # a column; sign checks give the same verdict on the union of columns
        syn = self.projection.synapse_type
        for parameter_name, check in getattr(syn, "parameter_checks", {}).items():
            native_name = syn.translations[parameter_name]["translated_name"]
            if native_name in values:
                check(values[native_name], self.projection)


def _prepare(connector, projection):
    """The parameter evaluator, or None where the generic path must be used."""
    if not _vectorisable(connector, projection):
        return None
    try:
        return _SynapseParameters(connector, projection)
    except _Unsupported:
        return None


def _done(connector):
    if connector.callback:
        connector.callback(1.0)


# -- connectors -------------------------------------------------------------------------------
class AllToAllConnector(_pynn.AllToAllConnector):
    __doc__ = _pynn.AllToAllConnector.__doc__

    def connect(self, projection):
        parameters = _prepare(self, projection)
        if parameters is None or self.allow_self_connections not in (True, False):
            return super().connect(projection)
        parameters.snapshot()
        n_pre, n_post = projection.shape
        pre_ids, post_ids = _cell_ids(projection.pre), _cell_ids(projection.post)
        for c0, c1 in _column_blocks(n_pre, n_post):
            post = np.repeat(np.arange(c0, c1), n_pre)
            pre = np.tile(np.arange(n_pre), c1 - c0)
            if not self.allow_self_connections:
                # PyNN's no-self map compares cell ids: it also applies to views and assemblies
                keep = pre_ids[pre] != post_ids[post]
                pre, post = pre[keep], post[keep]
            parameters.connect(pre, post)
        _done(self)


class OneToOneConnector(_pynn.OneToOneConnector):
    __doc__ = _pynn.OneToOneConnector.__doc__

    def connect(self, projection):
        parameters = _prepare(self, projection)
        if parameters is None:
            return super().connect(projection)
        parameters.snapshot()
        # PyNN's map is i == j over an (n_pre, n_post) array: pairs beyond the smaller
        # population are silently absent
        n = min(projection.shape)
        parameters.connect(np.arange(n), np.arange(n))
        _done(self)


class FixedProbabilityConnector(_pynn.FixedProbabilityConnector):
    __doc__ = _pynn.FixedProbabilityConnector.__doc__

    def connect(self, projection):
        parameters = _prepare(self, projection)
        no_mutual = self.allow_self_connections == "NoMutual"
        if no_mutual and not (isinstance(projection.pre, _BasePopulation)
                              and isinstance(projection.post, _BasePopulation)
                              and projection.pre == projection.post):
            parameters = None          # PyNN raises NotImplementedError("todo") here
        if parameters is None:
            return super().connect(projection)
        parameters.snapshot()
        n_pre, n_post = projection.shape
        pre_ids, post_ids = _cell_ids(projection.pre), _cell_ids(projection.post)
        # PyNN's `random_map < p` deep-copies the lazy array and with it the RNG: the draws come
        # from a copy, and the connector's own RNG is left where it was
        rng = deepcopy(self.rng)
        for c0, c1 in _column_blocks(n_pre, n_post):
            # PyNN draws n_pre uniforms per postsynaptic cell, in post order, for every pair
            # (whatever the masks): one call per block gives the same numbers
            u = rng.next((c1 - c0) * n_pre, "uniform", {"low": 0, "high": 1}, mask=None)
            connected = np.asarray(u).reshape(c1 - c0, n_pre) < self.p_connect
            if not self.allow_self_connections:
                connected &= pre_ids[None, :] != post_ids[c0:c1, None]
            elif no_mutual:
                connected &= np.arange(n_pre)[None, :] > np.arange(c0, c1)[:, None]
            col, pre = np.nonzero(connected)          # row-major: post, then pre ascending
            parameters.connect(pre, col + c0)
        _done(self)


class _RedrawSelf:
    """PyNN's ``_rng_uniform_int_exclude`` with its redraw bookkeeping fixed.

    PyNN's version updates the positions still to redraw with ``idx[where(res == exclude)]``,
    positions in the whole draw instead of in the redrawn part: when a redrawn value is the
    excluded cell again it raises IndexError or redraws the wrong entries and leaves a self
    connection.  The RNG calls are PyNN's, so results agree wherever PyNN's are right.
    """

    def _rng_uniform_int_exclude(self, n, size, exclude):
        res = self.rng.next(n, "uniform_int", {"low": 0, "high": size}, mask=None)
        idx = np.where(res == exclude)[0]
        while idx.size > 0:
            redrawn = self.rng.next(idx.size, "uniform_int", {"low": 0, "high": size},
                                    mask=None)
            res[idx] = redrawn
            idx = idx[redrawn == exclude]
        return res


class FixedNumberPreConnector(_RedrawSelf, _pynn.FixedNumberPreConnector):
    __doc__ = _pynn.FixedNumberPreConnector.__doc__

    def connect(self, projection):
        parameters = _prepare(self, projection)
        if parameters is None:
            return super().connect(projection)
        n_pre, n_post = projection.shape
        # PyNN freezes the synapse parameters before its generator draws anything
        parameters.snapshot()
        if isinstance(self.n, int):
            counts = np.full(n_post, self.n, dtype=np.int64)
        else:
            counts = _as_counts(self.n.next(n_post), type(self).__name__)
        exclude = not (self.allow_self_connections or projection.pre != projection.post)
        rng = self.rng
        if self.with_replacement and not exclude:
            pre = np.asarray(rng.next(int(counts.sum()), "uniform_int",
                                      {"low": 0, "high": n_pre}, mask=None), dtype=np.int64)
        elif self.with_replacement:
            # draw order needs PyNN's per-cell redraw loop (values equal to the cell's own
            # index are redrawn before the next cell draws)
            pre = np.concatenate([np.zeros(0, np.int64)] + [
                np.asarray(self._rng_uniform_int_exclude(int(n), n_pre, j), dtype=np.int64)
                for j, n in enumerate(counts.tolist())])
        else:
            pre = self._without_replacement(counts, n_pre, exclude)
        parameters.connect(pre, np.repeat(np.arange(n_post), counts))
        _done(self)

    def _without_replacement(self, counts, n_pre, exclude):
        # each postsynaptic cell draws rng.permutation(allowed)[:remainder]: one NumPy call per
        # cell, in post order, is the only way to get PyNN's numbers
        n_allowed = n_pre - 1 if exclude else n_pre
        permutation = self.rng.permutation
        all_cells = np.arange(n_allowed)
        pieces = []
        for j, n in enumerate(counts.tolist()):
            full_sets, remainder = divmod(n, n_allowed)
            sets = [all_cells] * full_sets
            if remainder > 0:
                # permuting arange(m) draws what permuting any m-element array draws
                sets.append(permutation(n_allowed)[:remainder])
            if sets:
                sources = np.concatenate(sets)
                # allowed cells are all but j: allowed position k holds cell k + (k >= j)
                pieces.append(sources + (sources >= j) if exclude else sources)
        return np.concatenate(pieces) if pieces else np.zeros(0, np.int64)


class FixedNumberPostConnector(_RedrawSelf, _pynn.FixedNumberPostConnector):
    __doc__ = _pynn.FixedNumberPostConnector.__doc__

    def connect(self, projection):
        parameters = _prepare(self, projection)
        if parameters is None:
            return super().connect(projection)
        n_pre, n_post = projection.shape
        exclude = not self.allow_self_connections and projection.pre == projection.post
        rng = self.rng
        n_is_random = not isinstance(self.n, int)
        vectorised_counts = (not n_is_random
                             or (isinstance(self.n.rng, NumpyRNG) and self.n.rng is not rng
                                 and self.n.name != "normal_clipped"))
        if self.with_replacement and not exclude and vectorised_counts:
            if n_is_random:
                # PyNN draws n.next() once per presynaptic cell; one call gives the same values
                counts = _as_counts(self.n.next(n_pre), type(self).__name__)
            else:
                counts = np.full(n_pre, self.n, dtype=np.int64)
            post = np.asarray(rng.next(int(counts.sum()), "uniform_int",
                                       {"low": 0, "high": n_post}, mask=None), dtype=np.int64)
            pre = np.repeat(np.arange(n_pre), counts)
        else:
            pre, post = self._per_cell(n_pre, n_post, exclude)
        # PyNN appends sources to per-target lists in presynaptic order, then walks the targets
        # (a stable sort of 16-bit keys is a radix sort, ~5x faster than timsort on int64)
        keys = post.astype(np.uint16) if n_post <= np.iinfo(np.uint16).max + 1 else post
        order = np.argsort(keys, kind="stable")
        pre, post = pre[order], post[order]
        # ... and only then (in _standard_connect) freezes the synapse parameters
        parameters.snapshot()
        parameters.connect(pre, post)
        _done(self)

    def _per_cell(self, n_pre, n_post, exclude):
        # PyNN's per-presynaptic-cell draws (n, then permutation or redrawn uniform_int), one
        # NumPy call each, where their order cannot be reproduced by one call
        n_allowed = n_post - 1 if exclude else n_post
        allowed = np.arange(n_allowed)
        permutation = self.rng.permutation
        pieces = []
        what = type(self).__name__
        fixed_n = self.n if isinstance(self.n, int) else None
        for i in range(n_pre):
            n = fixed_n if fixed_n is not None else int(_as_counts(self.n.next(), what)[0])
            if self.with_replacement:
                if exclude:
                    targets = self._rng_uniform_int_exclude(n, n_post, i)
                else:
                    targets = self.rng.next(n, "uniform_int", {"low": 0, "high": n_post},
                                            mask=None)
            else:
                full_sets, remainder = divmod(n, n_allowed)
                sets = [allowed] * full_sets
                if remainder > 0:
                    # permuting arange(m) draws what permuting any m-element array draws
                    sets.append(permutation(n_allowed)[:remainder])
                targets = np.concatenate(sets) if sets else np.zeros(0, np.int64)
                if exclude:
                    # allowed cells are all but i: allowed position k holds cell k + (k >= i)
                    targets = targets + (targets >= i)
            pieces.append(np.asarray(targets, dtype=np.int64))
        counts = np.array([p.size for p in pieces], dtype=np.int64)
        post = np.concatenate(pieces) if pieces else np.zeros(0, np.int64)
        return np.repeat(np.arange(n_pre), counts), post


class FromListConnector(_pynn.FromListConnector):
    __doc__ = _pynn.FromListConnector.__doc__

    def connect(self, projection):
        if (self.location_selector is not None
                or projection._simulator.state.num_processes != 1):
            return super().connect(projection)
        syn = projection.synapse_type
        synapse_parameter_names = syn.get_parameter_names()
        for name in self.column_names:
            if name not in synapse_parameter_names:
                raise ValueError("%s is not a valid parameter for %s" % (
                                 name, syn.__class__.__name__))
        random = []
        for name, lazy in syn.parameter_space.items():
            if name in self.column_names or lazy.is_homogeneous:
                continue
            if not isinstance(lazy.base_value, RandomDistribution) or lazy.operations:
                return super().connect(projection)
            random.append(name)
        if self.conn_list.size == 0:
            return
        if np.any(self.conn_list[:, 0] >= projection.pre.size):
            raise errors.ConnectionError("source index out of range")
        # PyNN's grouping, call for call: the unstable argsort fixes the order of the sources
        # of each target (and thus which random value each synapse gets); PyNN keeps the
        # sorted list on the connector, so reusing the connector sorts the sorted list again
        idx = np.argsort(self.conn_list[:, 1])
        targets = np.unique(self.conn_list[:, 1]).astype(int)
        local = np.isin(targets, np.arange(projection.post.size)[projection.post._mask_local],
                        assume_unique=True)
        local_targets = targets[local]
        self.conn_list = np.take(self.conn_list, idx, axis=0)
        left = np.searchsorted(self.conn_list[:, 1], local_targets, "left")
        right = np.searchsorted(self.conn_list[:, 1], local_targets, "right")
        sizes = right - left
        rows = _ranges(left, sizes)
        if rows.size == 0:
            return
        if rows.size == len(self.conn_list) and np.array_equal(rows, np.arange(rows.size)):
            rows = slice(None)                       # the usual case: every row, in order
        sources = self.conn_list[rows, 0].astype(int)
        post = np.repeat(local_targets, sizes)

        parameter_space = deepcopy(syn.parameter_space)
        parameter_space.shape = (sources.size,)
        for col, name in enumerate(self.column_names, 2):
            parameter_space.update(**{name: self.conn_list[rows, col]})
        if random:
            parameter_space.update(**self._random_values(syn, random, sizes))
        if isinstance(syn, StandardSynapseType):
            # the space is our own copy: no need for translate's deep copy of the columns
            parameter_space = syn.translate(parameter_space, copy=False)
        parameter_space.evaluate(simplify=True)
        projection._add_connections(sources, post, **dict(parameter_space.items()))
        _done(self)

    @staticmethod
    def _random_values(syn, names, sizes):
        """Random parameter values, as PyNN's per-target calls produce them.

        PyNN deep-copies the synapse type's parameters for every target, so target ``k`` gets
        the first ``sizes[k]`` values of the *same* stream; they depend only on the size.  One
        fresh copy per distinct size replays PyNN's draws (parameters sharing an RNG included,
        drawn in parameter order as ``ParameterSpace.evaluate`` does).
        """
        position = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        group_size = np.repeat(sizes, sizes)
        out = {name: np.empty(group_size.size) for name in names}
        for size in np.unique(sizes[sizes > 0]).tolist():
            fresh = deepcopy(syn.parameter_space)
            fresh.shape = (size,)
            rows = group_size == size
            for name in names:
                out[name][rows] = np.atleast_1d(fresh[name].evaluate())[position[rows]]
        return out
