"""Vectorised versions of PyNN's connectors (same names, same results, same seeds).

PyNN builds synapses through ``Projection._convergent_connect``, one Python call per
postsynaptic cell (``MapConnector._standard_connect``), at 0.02-6 M synapses/s.  The classes
here subclass PyNN's connectors and override ``connect`` to produce the whole index arrays with
NumPy and hand them to ``Projection._add_connections`` in blocks of ~0.5 M entries.

They reproduce PyNN's random draws exactly: the connector's RNG is called with the same
distributions, in the same order and for the same total counts, and ``RandomDistribution``
synapse parameters draw one value per synapse, in PyNN's (post, then pre) order, from the same
deep copy of their RNG that PyNN takes when it translates the synapse parameters.  Concatenated
draws equal PyNN's per-column draws because NumPy's legacy ``RandomState`` samples one value
after the other; this is not true of ``normal_clipped`` (redraws are interleaved) or of two
random parameters sharing one RNG, which are drawn per postsynaptic cell instead.
``FixedTotalNumberConnector`` alternates ``uniform_int`` draws for the source and the target of
each synapse; ``_interleaved_uniform_int`` replays NumPy's rejection sampler on raw 32-bit words
to get those numbers without a Python loop.

A few draw orders cannot be vectorised: ``rng.permutation`` per cell (``FixedNumber*`` without
replacement) and the redraw loop of ``_rng_uniform_int_exclude`` (with replacement, no self
connections).  There the loop over cells calls only PyNN's own RNG function per cell.

Given a ``NativeRNG`` instead of a ``NumpyRNG``, the connectors draw the same distributions
with other numbers than PyNN's, seeded from ``NativeRNG.seed`` (or ``setup(rng_seed=...)``)
and the projection's index.  ``FixedProbability``, the distance-, index- and
displacement-dependent connectors, ``FixedNumberPre`` and ``FixedTotalNumber`` draw target by
target, each target cell from its own counter-based stream (``column_draws.py``,
``philox.py``), so with several processes each process draws only its own targets' synapses
(``_SynapseParameters.columns``) and gets those one process draws; ``FixedNumberPost``
(whose draws are per source) and ``FixedTotalNumber``'s counts per target come from a NumPy
``Generator`` every process runs alike.  A ``RandomDistribution`` synapse parameter with a
``NativeRNG`` is drawn per synapse, keyed by its target and its rank among the target's
synapses (``philox.draw``); ``binomial``, ``poisson`` and ``vonmises``, which have no such
draw here, come from one stream per projection and parameter
(``_native_parameter_generator``) in synapse order, and then every process draws every
synapse.

Anything else (several MPI processes, ``location_selector``, an RNG other than ``NumpyRNG`` or
``NativeRNG``, synapse parameters that are neither numbers, random distributions,
``(n_pre, n_post)`` arrays, functions of distance nor ``IndexBasedExpression``) falls back to
PyNN's generic ``connect``.  ``CSAConnector`` is PyNN's own (the ``csa`` package is optional).
"""
from __future__ import annotations

import warnings
import zlib
from copy import copy, deepcopy
from numbers import Number

import numpy as np
from lazyarray import larray
from pyNN import connectors as _pynn
from pyNN import errors
from pyNN.common import Population as _BasePopulation
from pyNN.core import IndexBasedExpression
from pyNN.random import NativeRNG, NumpyRNG, RandomDistribution
from pyNN.space import Space
from pyNN.standardmodels import StandardSynapseType

# argsort(post, kind="stable") as a radix sort: PyNN appends sources to per-target lists in
# draw order.
from .compiler.build import _stable_order
from .engine.hosts import allgather
from .column_draws import bernoulli_columns, column_ranks, map_columns, pick_columns
from .native import draw, native_seed
from .philox import COUNTER_DISTRIBUTIONS, stream_key
from .philox import draw as counter_draw

__all__ = ["AllToAllConnector", "OneToOneConnector", "FixedProbabilityConnector",
           "DistanceDependentProbabilityConnector", "IndexBasedProbabilityConnector",
           "DisplacementDependentProbabilityConnector", "FixedNumberPreConnector",
           "FixedNumberPostConnector", "FixedTotalNumberConnector", "FromListConnector",
           "FromFileConnector", "CloneConnector", "ArrayConnector"]

# Largest dense intermediate (uniform draws, index blocks, synapses per parameter evaluation):
# 2**19 float64 values = 4 MiB.  Large enough to amortise NumPy's per-call overhead, small
# enough for the allocator to reuse freed blocks: arrays of 32 MiB come as fresh pages from
# mmap each time, and faulting them in cost more than the arithmetic (10 M FixedProbability
# synapses: 3.5 s with 2**22-value blocks, 1.6 s with 2**19, on 2 cores).
_BLOCK = 1 << 19
# Candidate pairs above which a probability map drawn pair by pair (PyNN's semantics for a
# NumpyRNG: one uniform per pair, ~10 ns each here) takes long enough to say so.
_MANY_PAIRS = 5_000_000_000
# Raw 32-bit words per pass of ``_interleaved_uniform_int``, for the same reason.
_WORDS = 1 << 18
# path word of the connection streams' key, apart from every synapse parameter's name
_CONNECTIONS = 0x636F6E6E
# allowed pairs from which NumPy's multivariate_hypergeometric draws (method "marginals")
_HYPERGEOMETRIC_LIMIT = 10**9


class _Unsupported(Exception):
    """Internal: this case is left to PyNN's generic ``connect``."""


# -- helpers ----------------------------------------------------------------------------------
def _vectorisable(connector, projection) -> bool:
    """True where nothing forces PyNN's generic path (MPI, location selectors, foreign RNGs)."""
    rng = getattr(connector, "rng", None)
    return (connector.location_selector is None
            and projection._simulator.state.num_processes == 1
            and (rng is None or isinstance(rng, (NumpyRNG, NativeRNG))))


def _cell_ids(population) -> np.ndarray:
    """Global ids of the cells of a Population, PopulationView or Assembly, as int64."""
    return np.asarray(population.all_cells, dtype=np.int64)


def _column_blocks(n_rows: int, n_cols: int, block: int = _BLOCK):
    """``(c0, c1)`` ranges of columns such that a dense ``(n_rows, c1 - c0)`` block stays small."""
    step = max(1, block // max(n_rows, 1))
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


# -- random numbers ---------------------------------------------------------------------------
def _native_generator(rng: NativeRNG, projection) -> np.random.Generator:
    """The NumPy Generator that draws a projection's connections for a ``NativeRNG``.

    Seeded with ``(seed, k)``: ``seed`` is ``rng.seed``, or ``setup(rng_seed=...)`` where that
    is None, and ``k`` the index of the projection being built.  So a script builds the same
    network on every run and after every ``setup()``, and two projections never share their
    draws (as if they drew one after the other from one simulator RNG, as in NEST).
    """
    state = projection._simulator.state
    seed = state.rng_seed if rng.seed is None else rng.seed
    return np.random.default_rng([seed, len(state.projections)])


def _native_parameter_generator(rng: NativeRNG, projection, name: str) -> np.random.Generator:
    """The Generator that draws synapse parameter ``name`` of a projection for a ``NativeRNG``.

    Seeded as the connections (``_native_generator``: the seed, the projection's index) but
    spawned apart per parameter name, so the weights, the delays and the connections are
    independent even when they share one ``NativeRNG``.
    """
    state = projection._simulator.state
    return np.random.default_rng(np.random.SeedSequence(
        [native_seed(rng), len(state.projections)], spawn_key=(zlib.crc32(name.encode()),)))


def _parameter_key(rng: NativeRNG, projection, name: str) -> tuple:
    """The Philox key of synapse parameter ``name``'s per-column streams (``philox.py``):
    from the seed and the projection's index, as ``_native_parameter_generator``."""
    return stream_key(native_seed(rng), len(projection._simulator.state.projections), name)


def _connection_key(rng: NativeRNG, projection) -> tuple:
    """The Philox key of a projection's per-column connection streams (``column_draws.py``)."""
    return stream_key(native_seed(rng), len(projection._simulator.state.projections),
                      _CONNECTIONS)


def _uniform_source(rng):
    """``n -> n`` uniforms in [0, 1) for a connection map ``uniform < probability``.

    PyNN's ``random_map < p`` deep-copies the lazy array and with it the RNG: the draws come
    from a copy, and the connector's own RNG is left where it was.
    """
    rng = deepcopy(rng)
    return lambda n: rng.next(n, "uniform", {"low": 0, "high": 1}, mask=None)


def _native_choices(generator: np.random.Generator, counts: np.ndarray, size: int,
                    exclude: bool, with_replacement: bool) -> np.ndarray:
    """For each cell ``k``, ``counts[k]`` indices in ``[0, size)``, concatenated in cell order.

    ``exclude`` leaves index ``k`` out of cell ``k``'s choices (no self connections).  Without
    replacement each cell gets whole sets of the allowed indices and then a random subset, as
    PyNN's ``FixedNumber*`` connectors do, but from one ``Generator.choice`` (Floyd's or a
    partial shuffle, O(remainder)) instead of a full permutation per cell.
    """
    n_allowed = size - 1 if exclude else size
    if with_replacement:
        picks = generator.integers(0, n_allowed, int(counts.sum()))
    else:
        allowed = np.arange(n_allowed)
        pieces = [np.zeros(0, np.int64)]
        for n in counts.tolist():
            full_sets, remainder = divmod(n, n_allowed)
            pieces += [allowed] * full_sets
            if remainder > 0:
                pieces.append(generator.choice(n_allowed, remainder, replace=False,
                                               shuffle=False))
        picks = np.concatenate(pieces)
    if exclude:
        # allowed position p of cell k holds index p + (p >= k)
        picks += picks >= np.repeat(np.arange(counts.size), counts)
    return picks


def _word_mask(high: int) -> int:
    """NumPy's mask for ``randint(0, high)``: the smallest ``2**k - 1 >= high - 1``."""
    return (1 << int(high - 1).bit_length()) - 1


def _interleaved_uniform_int(rs: np.random.RandomState, n: int, a: int, b: int):
    """``n`` pairs ``(randint(0, a), randint(0, b))``, drawn pair after pair from ``rs``.

    This is PyNN's ``FixedTotalNumberConnector`` loop, ``rng.next(1, 'uniform_int', {low: 0,
    high: a})`` then ``rng.choice(targets, 1)`` (which calls ``randint(0, b)``), without the
    loop.  NumPy's legacy ``randint`` takes a raw 32-bit word, masks it to the smallest
    ``2**k - 1`` covering the range and rejects values out of range; a range of one value
    takes no word.  The words are drawn in blocks and read by a two-state machine (next value
    is a source, or a target): a word accepted by both ranges flips the state, one accepted
    by neither keeps it, one accepted by one range only sets it.  So the state before each
    word is the state set by the last such word, flipped once per both-accepting word since.
    ``rs`` is left after the last word used, where PyNN's loop leaves it.
    """
    if a == 1 or b == 1:
        # one of the two draws takes no word: the other is one plain call
        other = rs.randint(0, b if a == 1 else a, n) if max(a, b) > 1 else np.zeros(n, int)
        zeros = np.zeros(n, np.int64)
        return (zeros, other.astype(np.int64)) if a == 1 else (other.astype(np.int64), zeros)
    mask_a, mask_b = _word_mask(a), _word_mask(b)
    words_per_pair = (mask_a + 1) / a + (mask_b + 1) / b
    values = np.empty(2 * n, np.int64)           # source, target, source, target, ...
    got = 0
    while got < 2 * n:
        saved = rs.get_state()
        k = min(_WORDS, int((2 * n - got) / 2 * words_per_pair * 1.02) + 64)
        words = rs.randint(0, 1 << 32, k, dtype=np.uint32)
        value_a, value_b = words & mask_a, words & mask_b
        ok_a, ok_b = value_a < a, value_b < b
        position = np.arange(k, dtype=np.int32)
        last_set = np.maximum.accumulate(np.where(ok_a != ok_b, position, -1))
        set_before = np.r_[np.int32(-1), last_set[:-1]]  # last state-setting word before each
        flips = np.r_[np.int32(0), np.cumsum(ok_a & ok_b, dtype=np.int32)]
        # the state when a block starts is which value comes next: values alternate
        state = np.where(set_before >= 0, ok_a[set_before], got % 2)
        state ^= (flips[:-1] - flips[set_before + 1]) & 1
        used = np.flatnonzero(np.where(state, ok_b, ok_a))[:2 * n - got]
        values[got:got + used.size] = np.where(state[used], value_b[used], value_a[used])
        got += used.size
        if got == 2 * n and used[-1] + 1 < k:
            # give back the words drawn beyond the last one used
            rs.set_state(saved)
            rs.randint(0, 1 << 32, int(used[-1]) + 1, dtype=np.uint32)
    return values[0::2], values[1::2]


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
        self.generators = {}          # per "native" parameter, made by snapshot()
        rng_ids = [id(rd.rng) for rd in random]
        # one draw per parameter for all synapses equals PyNN's per-column draws only if no two
        # random parameters share an RNG (PyNN alternates between them column by column) and no
        # distribution redraws rejected values inside a call
        self.per_column = (len(set(rng_ids)) < len(rng_ids)
                           or any(rd.name == "normal_clipped" for rd in random))
        # every value a function of (pre, post, rank in post's column): a process can
        # evaluate its own synapses alone; "random" (a NumpyRNG) and "native" (a NativeRNG
        # distribution drawn from a sequential stream) need every synapse in order
        self.local = not any(kind in ("random", "native") for kind in self.kinds.values())
        self.seen = np.zeros(projection.post.size, np.int64)    # synapses per column so far

    def _kind(self, lazy) -> str:
        if lazy.is_homogeneous:
            return "scalar"
        if any(isinstance(arg, larray) and not arg.is_homogeneous for _, arg in lazy.operations):
            raise _Unsupported
        base = lazy.base_value
        if isinstance(base, RandomDistribution):
            if isinstance(base.rng, NativeRNG):
                return "counter" if base.name in COUNTER_DISTRIBUTIONS else "native"
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
        self.generators = {name: _native_parameter_generator(self.space[name].base_value.rng,
                                                             self.projection, name)
                           for name, kind in self.kinds.items() if kind == "native"}
        self.keys = {name: _parameter_key(self.space[name].base_value.rng, self.projection,
                                          name)
                     for name, kind in self.kinds.items() if kind == "counter"}

    def columns(self) -> np.ndarray:
        """The postsynaptic indices whose synapses this process must draw, ascending: its own
        cells where the values need no other synapse (``local``) and the projection spans
        several processes (then the projection places them, ``Projection._place_columns``);
        else all.  A connector that calls this must draw column by column, post-major."""
        local = self.projection._local
        if local is None or not self.local:
            return np.arange(self.projection.post.size)
        self.projection._by_column = self.projection._checked_here = True
        return np.flatnonzero(local)

    def evaluate(self, pre: np.ndarray, post: np.ndarray, rank: np.ndarray) -> dict:
        """Native parameter values for synapses ``pre[k] -> post[k]``, given in PyNN's order;
        ``rank[k]``: the synapse's place among the synapses of its column.

        ``post`` is non-decreasing and the block holds whole columns, so that random values
        continue the stream exactly where the previous block stopped.
        """
        values = {}
        addr = (pre, post)
        for name, lazy in self.space.items():
            kind = self.kinds[name]
            if kind == "counter":
                rd = lazy.base_value
                raw = counter_draw(self.keys[name], rd.name, rd.parameters, post, rank)
                values[name] = lazy._apply_operations(raw.astype(float), addr)
            elif kind == "scalar":
                values[name] = lazy.evaluate(simplify=True)
            elif kind == "pointwise" or (kind == "random" and not self.per_column):
                values[name] = lazy[addr]
            elif kind == "distance":
                values[name] = self._distance_values(lazy, pre, post)
            elif kind == "native":
                rd = lazy.base_value
                raw = draw(self.generators[name], rd.name, rd.parameters, pre.size)
                values[name] = lazy._apply_operations(raw.astype(float), addr)
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
        # a Space subclass may compute distances its own way: evaluate dense blocks of the
        # block's columns (only those: with several processes, every few columns) through
        # the lazy array, as PyNN does column by column, and pick the pairs
        n_pre = projection.pre.size
        out = np.empty(pre.size)
        columns, first = np.unique(post, return_index=True)
        for c0, c1 in _column_blocks(n_pre, columns.size):
            k0 = first[c0]
            k1 = first[c1] if c1 < columns.size else post.size
            dense = np.asarray(lazy[:, columns[c0:c1]]).reshape(n_pre, c1 - c0)
            out[k0:k1] = dense[pre[k0:k1], np.searchsorted(columns, post[k0:k1]) - c0]
        return out

    def connect(self, pre: np.ndarray, post: np.ndarray):
        """Evaluate, check (if ``connector.safe``) and add the synapses, block by block.

        With several processes and ``local`` values, only this process's synapses are
        evaluated (each with its place among the projection's synapses)."""
        pre = np.asarray(pre, dtype=np.int64)
        post = np.asarray(post, dtype=np.int64)
        projection = self.projection
        filtering = (projection._local is not None and self.local
                     and not projection._by_column)
        projection._checked_here |= filtering       # Projection._agree after drawing
        for start, stop in _synapse_blocks(post):
            p, q = pre[start:stop], post[start:stop]
            rank = column_ranks(q, self.seen)
            places = None
            if filtering:
                keep = projection._local[q]
                places = projection._drawn + np.flatnonzero(keep)
                projection._drawn += q.size
                if places.size == 0:         # every target of the block on other processes
                    continue
                p, q, rank = p[keep], q[keep], rank[keep]
            values = self.evaluate(p, q, rank)
            if self.connector.safe:
                self._check(values)
            projection._add_connections(p, q, _places=places, **values)

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


# -- argument checks (PyNN's are bare asserts; NEST refuses the same values in Connect) --------
def _bad_argument(connector, argument, value, allowed):
    return errors.InvalidParameterValueError(
        f"{type(connector).__name__}({argument}={value!r}): {allowed}")


class _CheckedProbability:
    """``p_connect`` must be a probability (PyNN only asserts ``p >= 0``; p > 1 gave all-to-all
    without a word)."""

    def __init__(self, p_connect, *args, **kwargs):
        if isinstance(p_connect, Number) and not 0 <= p_connect <= 1:
            raise _bad_argument(self, "p_connect", p_connect,
                                "a connection probability must be between 0 and 1.")
        super().__init__(p_connect, *args, **kwargs)


_SIDE = {("pre", False): "presynaptic", ("pre", True): "presynaptic (other than itself)",
         ("post", False): "postsynaptic", ("post", True): "postsynaptic (other than itself)"}


class _CheckedCount:
    """``n`` must be a whole number >= 0 (or a RandomDistribution of them); without
    replacement, more than the number of cells to choose from is PyNN's "whole sets" rule,
    kept with a warning (NEST's own ``fixed_indegree`` with ``allow_multapses=False`` refuses
    it; PyNN repeated every cell without a word)."""

    def __init__(self, n, *args, **kwargs):
        if isinstance(n, (Number, np.number)) and not isinstance(n, bool):
            if not (float(n) == int(n) and n >= 0):
                raise _bad_argument(self, "n", n, "the number of connections must be a whole "
                                    "number >= 0 (or a RandomDistribution of them).")
            n = int(n)
        super().__init__(n, *args, **kwargs)

    def _check_available(self, counts, available, side):
        """No cell to choose from is an error; without replacement, more than ``available``
        connections per cell repeat cells: PyNN's rule (whole sets of the cells, then a
        random remainder) is kept, and said."""
        if not np.size(counts):
            return
        most = int(np.max(counts))
        if available <= 0 and most > 0:
            raise errors.ConnectionError(
                f"{type(self).__name__}(n={most}): there is no {side} cell to choose from; "
                f"use populations with more cells"
                + (", or allow_self_connections=True." if "itself" in side else "."))
        if self.with_replacement:
            return
        if most > available:
            warnings.warn(
                f"{type(self).__name__}(n={most}, with_replacement=False): only {available} "
                f"{side} cells to choose from, so cells are chosen more than once (PyNN's "
                f"rule: every cell n // {available} times, then a random remainder). Use "
                f"n <= {available}, or with_replacement=True to say that repeats are meant.",
                stacklevel=4)


# -- connectors -------------------------------------------------------------------------------
class AllToAllConnector(_pynn.AllToAllConnector):
    __doc__ = _pynn.AllToAllConnector.__doc__

    def connect(self, projection):
        parameters = _prepare(self, projection)
        if parameters is None or self.allow_self_connections not in (True, False):
            return super().connect(projection)
        parameters.snapshot()
        n_pre = projection.pre.size
        pre_ids, post_ids = _cell_ids(projection.pre), _cell_ids(projection.post)
        columns = parameters.columns()
        for c0, c1 in _column_blocks(n_pre, columns.size):
            post = np.repeat(columns[c0:c1], n_pre)
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
        if projection.pre.size != projection.post.size:
            # PyNN's map i == j connects min(sizes) pairs and drops the rest (PyNN's semantics,
            # kept; NEST's own one_to_one refuses): say so
            warnings.warn(
                f"OneToOneConnector: the presynaptic population has {projection.pre.size} "
                f"cells and the postsynaptic {projection.post.size}; only the first "
                f"{min(projection.shape)} pairs are connected (PyNN's i == j rule). Connect "
                f"views of equal size (e.g. pre[:n], post[:n]) to silence this.", stacklevel=3)
        parameters = _prepare(self, projection)
        if parameters is None:
            return super().connect(projection)
        parameters.snapshot()
        columns = parameters.columns()
        columns = columns[columns < min(projection.shape)]
        parameters.connect(columns, columns)
        _done(self)


class _ByProbability:
    """``connect`` for the connectors whose map is ``uniform < probability``, masked.

    PyNN draws ``n_pre`` uniforms per postsynaptic cell, in post order, for every pair
    (whatever the masks), compares them with that column of the probability map and removes
    self (``allow_self_connections=False``, comparing cell ids, so also for views and
    assemblies) or mutual (``'NoMutual'``: keep ``i > j``) connections.  Here one draw covers
    a block of columns and the probabilities of the block are evaluated at once.  With a
    ``NativeRNG`` column ``j`` draws its uniforms from its own stream (``column_draws.py``),
    so each process can draw its own columns only.
    """

    # entries of a dense block of probabilities (a distance or index map makes several
    # temporaries of this size)
    _block = _BLOCK

    def _probability(self, projection):
        """``columns -> `` probabilities of the (ascending) ``columns`` as a ``(columns.size,
        n_pre)`` array or a number; or None where PyNN's generic path must be used."""
        raise NotImplementedError

    def _native_pairs(self, projection, key, columns, probability):
        """``(pre, post)`` of the connected pairs of ``columns``, post-major, before masks,
        with a ``NativeRNG``: draw ``i`` of stream ``j`` below the probability of ``(i, j)``."""
        return map_columns(key, columns, projection.pre.size, probability)

    def connect(self, projection):
        parameters = _prepare(self, projection)
        no_mutual = self.allow_self_connections == "NoMutual"
        if no_mutual and not (isinstance(projection.pre, _BasePopulation)
                              and isinstance(projection.post, _BasePopulation)
                              and projection.pre == projection.post):
            parameters = None          # PyNN raises NotImplementedError("todo") here
        probability = None if parameters is None else self._probability(projection)
        if probability is None:
            return super().connect(projection)
        parameters.snapshot()
        n_pre, n_post = projection.shape
        pre_ids, post_ids = _cell_ids(projection.pre), _cell_ids(projection.post)
        native = isinstance(self.rng, NativeRNG)
        by_gaps = isinstance(self, FixedProbabilityConnector)
        if n_pre * n_post > _MANY_PAIRS and not (native and by_gaps):
            # a uniform per pair: PyNN's semantics, or a map of probabilities per pair
            why = "a probability per pair" if native else "PyNN's semantics"
            hint = "; rng=NativeRNG(seed) draws it in O(synapses)" if by_gaps else ""
            warnings.warn(f"{type(self).__name__} between {n_pre} and {n_post} cells draws one "
                          f"random number per candidate pair ({n_pre * n_post:,}, {why} with "
                          f"{type(self.rng).__name__}): expect minutes{hint}.", stacklevel=3)
        if native:
            pre, post = self._native_pairs(projection, _connection_key(self.rng, projection),
                                           parameters.columns(), probability)
            keep = (pre_ids[pre] != post_ids[post] if not self.allow_self_connections
                    else pre > post if no_mutual else slice(None))
            parameters.connect(pre[keep], post[keep])
            _done(self)
            return
        uniform = _uniform_source(self.rng)
        for c0, c1 in _column_blocks(n_pre, n_post, self._block):
            u = np.asarray(uniform((c1 - c0) * n_pre)).reshape(c1 - c0, n_pre)
            connected = u < probability(np.arange(c0, c1))
            if not self.allow_self_connections:
                connected &= pre_ids[None, :] != post_ids[c0:c1, None]
            elif no_mutual:
                connected &= np.arange(n_pre)[None, :] > np.arange(c0, c1)[:, None]
            col, pre = np.nonzero(connected)          # row-major: post, then pre ascending
            parameters.connect(pre, col + c0)
        _done(self)


class FixedProbabilityConnector(_CheckedProbability, _ByProbability,
                                _pynn.FixedProbabilityConnector):
    __doc__ = _pynn.FixedProbabilityConnector.__doc__

    def _probability(self, projection):
        return lambda columns: self.p_connect

    def _native_pairs(self, projection, key, columns, probability):
        """With a ``NativeRNG``: every pair an independent Bernoulli(``p_connect``) trial, drawn
        as geometric gaps down each column -- O(synapses), where PyNN's map needs a uniform
        per pair (1e11 of them for 1M-neuron networks)."""
        return bernoulli_columns(key, columns, projection.pre.size, float(self.p_connect))


class DistanceDependentProbabilityConnector(_ByProbability,
                                            _pynn.DistanceDependentProbabilityConnector):
    __doc__ = _pynn.DistanceDependentProbabilityConnector.__doc__
    _block = _BLOCK // 4

    def _probability(self, projection):
        # PyNN's own lazy map, evaluated on blocks of columns: the space's distance generator
        # then computes the same per-pair arithmetic as for one column, and the expression's
        # operations are elementwise
        probability_map = self.distance_function(self._generate_distance_map(projection))
        if isinstance(probability_map, Number):
            return lambda columns: probability_map
        if not isinstance(probability_map, larray):
            return None
        n_pre = projection.pre.size

        def probability(columns):
            block = np.asarray(probability_map[:, columns])
            return np.broadcast_to(block, (n_pre, columns.size)).T
        return probability


class IndexBasedProbabilityConnector(_ByProbability, _pynn.IndexBasedProbabilityConnector):
    __doc__ = _pynn.IndexBasedProbabilityConnector.__doc__
    _block = _BLOCK // 4

    def _probability(self, projection):
        # PyNN calls the expression once per column, as f(arange(n_pre), j); here once per
        # block, with the (i, j) of every pair as two flat arrays, as our synapse parameters
        # (and PyNN's own whole-map evaluation) already do: the expression must be
        # elementwise, which PyNN's DisplacementExpression is
        expression = copy(self.index_expression)
        expression.projection = projection
        n_pre = projection.pre.size

        def probability(columns):
            i = np.tile(np.arange(n_pre), columns.size)
            j = np.repeat(columns, n_pre)
            p = np.broadcast_to(np.asarray(expression(i, j)), i.shape)
            return p.reshape(columns.size, n_pre)
        return probability


class DisplacementDependentProbabilityConnector(IndexBasedProbabilityConnector,
                                                _pynn.DisplacementDependentProbabilityConnector):
    __doc__ = _pynn.DisplacementDependentProbabilityConnector.__doc__


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


class FixedNumberPreConnector(_CheckedCount, _RedrawSelf, _pynn.FixedNumberPreConnector):
    __doc__ = _pynn.FixedNumberPreConnector.__doc__

    def connect(self, projection):
        exclude = not (self.allow_self_connections or projection.pre != projection.post)
        if isinstance(self.n, int):
            self._check_available(self.n, projection.pre.size - exclude, _SIDE["pre", exclude])
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
        self._check_available(counts, n_pre - exclude, _SIDE["pre", exclude])
        rng = self.rng
        if isinstance(rng, NativeRNG):
            # each column's sources from its own stream: a process draws its own columns
            columns = parameters.columns()
            pre = pick_columns(_connection_key(rng, projection), columns, counts[columns],
                               n_pre - exclude, columns if exclude else -1,
                               self.with_replacement)
            parameters.connect(pre, np.repeat(columns, counts[columns]))
            _done(self)
            return
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


class FixedNumberPostConnector(_CheckedCount, _RedrawSelf, _pynn.FixedNumberPostConnector):
    __doc__ = _pynn.FixedNumberPostConnector.__doc__

    def connect(self, projection):
        exclude = not self.allow_self_connections and projection.pre == projection.post
        if isinstance(self.n, int):
            self._check_available(self.n, projection.post.size - exclude, _SIDE["post", exclude])
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
        if isinstance(rng, NativeRNG):
            counts = (_as_counts(self.n.next(n_pre), type(self).__name__) if n_is_random
                      else np.full(n_pre, self.n, dtype=np.int64))
            self._check_available(counts, n_post - exclude, _SIDE["post", exclude])
            post = _native_choices(_native_generator(rng, projection), counts, n_post, exclude,
                                   self.with_replacement)
            pre = np.repeat(np.arange(n_pre), counts)
        elif self.with_replacement and not exclude and vectorised_counts:
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
        order = _stable_order(post, n_post)
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
            self._check_available(n, n_allowed, _SIDE["post", exclude])
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


def _check_rows(conn_list):
    """Refuse a connection list whose rows are not all sequences of one length (NumPy would
    say only "inhomogeneous shape")."""
    if isinstance(conn_list, np.ndarray):
        if conn_list.size and conn_list.ndim != 2:
            raise errors.ConnectionError(
                f"FromListConnector: conn_list is an array of shape {conn_list.shape}; it must "
                f"be 2-D, one row (pre_index, post_index, parameters...) per connection.")
        return
    width = None
    for row, entry in enumerate(conn_list):
        try:
            n = len(entry)
        except TypeError:
            raise errors.ConnectionError(
                f"FromListConnector: row {row} of conn_list is {entry!r}, not a sequence; each "
                f"row must be (pre_index, post_index, parameters...).") from None
        if width is None:
            width = n
        elif n != width:
            raise errors.ConnectionError(
                f"FromListConnector: row {row} of conn_list, {tuple(entry)!r}, has {n} "
                f"values but row 0 has {width}; give every row the same columns "
                f"(pre_index, post_index, then one value per column name).")


def _index_problem(value, size):
    """Why ``value`` is not a valid cell index in a population of ``size``, or None."""
    if not np.isfinite(value) or value != np.floor(value):
        return "is not a whole number"
    if value < 0:
        return "is negative"
    if value >= size:
        return "is out of range"
    return None


def _check_indices(conn_list, projection, where, line_of=None):
    """Refuse source/target indices that are not whole numbers in ``[0, size)``.

    PyNN checks only ``source >= size`` (and pyNN.nest drops a bad target silently or fails
    in NumPy broadcasting); ``line_of(row)``: the file line of a row, for the message.
    """
    try:
        indices = np.asarray(conn_list[:, :2], dtype=float)
    except (TypeError, ValueError):
        raise errors.ConnectionError(
            f"{where}: the connection list holds non-numeric values; each row must be "
            f"(pre_index, post_index, parameters...) of numbers.") from None
    for col, side, pop in ((0, "source (presynaptic)", projection.pre),
                           (1, "target (postsynaptic)", projection.post)):
        values = indices[:, col]
        bad = (~np.isfinite(values) | (values != np.floor(values)) | (values < 0)
               | (values >= pop.size))
        if not bad.any():
            continue
        row = int(np.flatnonzero(bad)[0])
        place = f"line {line_of(row)}" if line_of else f"row {row}"
        raise errors.ConnectionError(
            f"{where}: {place} {tuple(conn_list[row].tolist())} has {side} index "
            f"{values[row]:g}, which {_index_problem(values[row], pop.size)}: population "
            f"{pop.label!r} has {pop.size} cells, so indices must be whole numbers from 0 to "
            f"{pop.size - 1}.  Fix the list (or connect to a population that has those cells).")


class FromListConnector(_pynn.FromListConnector):
    __doc__ = _pynn.FromListConnector.__doc__ + """
    Every row must have the same length, and its indices must be whole numbers within the
    populations (``pyNN.errors.ConnectionError`` names the row otherwise).
    """

    def __init__(self, conn_list, column_names=None, location_selector=None, safe=True,
                 callback=None):
        _check_rows(conn_list)
        super().__init__(conn_list, column_names, location_selector, safe, callback)

    def connect(self, projection):
        # PyNN's list path, named: for our FromFileConnector, super() is PyNN's file connector,
        # which would read (and, if distributed, rename) the file a second time
        generic = _pynn.FromListConnector.connect
        if self.conn_list.size:
            _check_indices(self.conn_list, projection, self._where(),
                           getattr(self, "_line_of", None))
        if (self.location_selector is not None
                or projection._simulator.state.num_processes != 1):
            return generic(self, projection)
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
                return generic(self, projection)
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
            parameter_space.update(**self._random_values(syn, random, sizes, post,
                                                         projection))
        if isinstance(syn, StandardSynapseType):
            # the space is our own copy: no need for translate's deep copy of the columns
            parameter_space = syn.translate(parameter_space, copy=False)
        parameter_space.evaluate(simplify=True)
        projection._add_connections(sources, post, **dict(parameter_space.items()))
        _done(self)

    @staticmethod
    def _random_values(syn, names, sizes, post, projection):
        """Random parameter values, as PyNN's per-target calls produce them.

        PyNN deep-copies the synapse type's parameters for every target, so target ``k`` gets
        the first ``sizes[k]`` values of the *same* stream; they depend only on the size.  One
        fresh copy per distinct size replays PyNN's draws (parameters sharing an RNG included,
        drawn in parameter order as ``ParameterSpace.evaluate`` does).  A ``NativeRNG``
        parameter draws one value per synapse instead (as pyNN.nest's NEST does): from the
        target's stream, by the synapse's place among the target's (``philox.py``), or for
        the distributions without such a draw from one stream in synapse order.
        """
        position = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        group_size = np.repeat(sizes, sizes)
        out = {name: np.empty(group_size.size) for name in names}
        for name in names:
            rd = syn.parameter_space[name].base_value
            if isinstance(rd.rng, NativeRNG) and rd.name in COUNTER_DISTRIBUTIONS:
                out[name] = counter_draw(_parameter_key(rd.rng, projection, name), rd.name,
                                         rd.parameters, post, position).astype(float)
            elif isinstance(rd.rng, NativeRNG):
                out[name] = draw(_native_parameter_generator(rd.rng, projection, name),
                                 rd.name, rd.parameters, group_size.size).astype(float)
        names = [name for name in names
                 if not isinstance(syn.parameter_space[name].base_value.rng, NativeRNG)]
        for size in np.unique(sizes[sizes > 0]).tolist():
            fresh = deepcopy(syn.parameter_space)
            fresh.shape = (size,)
            rows = group_size == size
            for name in names:
                out[name][rows] = np.atleast_1d(fresh[name].evaluate())[position[rows]]
        return out


    def _where(self):
        return "FromListConnector"


def _data_lines(filename):
    """(line number, text) of the data lines of a text connection file (no comments)."""
    with open(filename) as f:
        for number, text in enumerate(f, 1):
            if text.strip() and not text.lstrip().startswith("#"):
                yield number, text.strip()


def _bad_line(filename, width):
    """The first data line that has not ``width`` numbers, as a message, or None."""
    for number, text in _data_lines(filename):
        fields = text.split()
        if len(fields) != width:
            return (f"line {number} ({text[:60]!r}) has {len(fields)} columns, expected "
                    f"{width}")
        for field in fields:
            try:
                float(field)
            except ValueError:
                return f"line {number} ({text[:60]!r}) holds non-numeric text {field!r}"
    return None


class FromFileConnector(FromListConnector, _pynn.FromFileConnector):
    __doc__ = _pynn.FromFileConnector.__doc__ + """
    A malformed file (a line with the wrong number of columns, non-numeric text, an index
    outside the populations) raises ``pyNN.errors.ConnectionError`` naming the file and line.
    """
    __init__ = _pynn.FromFileConnector.__init__

    def _where(self):
        return f"FromFileConnector({self.file.name!r})"

    def _line_of(self, row):
        """The line number of data row ``row`` (only for messages: reads the file again)."""
        for k, (number, _) in enumerate(_data_lines(self.file.name)):
            if k == row:
                return number
        return "?"

    def _read(self):
        """The file's connection list, 2-D; malformed lines raise ConnectionError."""
        width = 2 + len(self.column_names)
        try:
            conn_list = np.asarray(self.file.read())
        except ValueError as e:
            bad = _bad_line(self.file.name, width) if isinstance(self.file.name, str) else None
            raise errors.ConnectionError(
                f"{self._where()}: cannot read the connection list: {bad or e}.  Each line "
                f"must be 'pre_index post_index' followed by one number per column "
                f"{list(self.column_names)} (set with a '# columns = [...]' header).") from None
        if conn_list.ndim == 1 and conn_list.size:
            conn_list = conn_list.reshape(1, -1)          # a file of one line
        if conn_list.size and conn_list.shape[1] != width:
            raise errors.ConnectionError(
                f"{self._where()}: the file has {conn_list.shape[1]} columns but {width} are "
                f"expected (i, j and the columns {list(self.column_names)}); add or fix the "
                f"'# columns = [...]' header, or the data lines.")
        return conn_list

    def connect(self, projection):
        # PyNN's FromFileConnector.connect reads the file and calls PyNN's
        # FromListConnector.connect by name; this one reads it the same way and calls ours
        if self.distributed:
            self.file.rename("%s.%d" % (self.file.name,
                                        projection._simulator.state.mpi_rank))
        self.column_names = self.file.get_metadata().get("columns", ("weight", "delay"))
        for ignore in "ij":
            if ignore in self.column_names:
                self.column_names.remove(ignore)
        self.conn_list = self._read()
        FromListConnector.connect(self, projection)


class FixedTotalNumberConnector(_CheckedCount, _pynn.FixedTotalNumberConnector):
    """Connect ``n`` randomly chosen (pre, post) pairs in total.

    Each synapse draws its source uniformly from the presynaptic cells and its target
    uniformly from the postsynaptic cells (PyNN's draw: same seed, same synapses).

    PyNN 0.13's version ignores ``allow_self_connections`` and ``with_replacement``; this one
    honours ``allow_self_connections=False`` (no pre and post with the same cell id) and
    ``with_replacement=False`` (no pair twice) by dropping the pairs they forbid from PyNN's
    draw and drawing replacements from the same RNG, so with those flags it differs from
    PyNN's (and pyNN.nest's) network where theirs breaks the rule.  ``'NoMutual'`` is left to
    PyNN, which ignores it.

    Takes any of the standard :class:`Connector` optional arguments and, in addition:

        `n`:
            the total number of synapses, an int.
        `allow_self_connections`, `with_replacement`:
            see above.
        `rng`:
            a :class:`NumpyRNG` (PyNN's draws) or a :class:`NativeRNG` (faster, other numbers).
    """

    def connect(self, projection):
        pairs = projection.pre.size * projection.post.size
        if not self.with_replacement and isinstance(self.n, int) and self.n > pairs:
            raise errors.ConnectionError(
                f"FixedTotalNumberConnector(n={self.n}, with_replacement=False): there are only "
                f"{pairs} (pre, post) pairs; use n <= {pairs} or with_replacement=True.")
        parameters = _prepare(self, projection)
        if (parameters is None or not isinstance(self.n, (int, np.integer))
                or self.allow_self_connections == "NoMutual"):
            return super().connect(projection)
        n_pre, n_post = projection.shape
        if isinstance(self.rng, NativeRNG):
            parameters.snapshot()
            self._native_connect(projection, parameters)
            _done(self)
            return
        # PyNN shares n out among MPI processes with binomial draws; one process draws
        # binomial(n, p=1), which is n but still takes numbers from the RNG
        n_total = int(RandomDistribution("binomial", [self.n, 1.0], rng=self.rng).next())

        def draw(k):
            return _interleaved_uniform_int(self.rng.rng, k, n_pre, n_post)
        pre, post = draw(n_total)
        if not (self.allow_self_connections and self.with_replacement):
            pre, post = self._redraw_forbidden(projection, pre, post, draw)
        # PyNN appends sources to per-target lists in draw order, then walks the targets, and
        # only then (in _standard_connect) freezes the synapse parameters
        order = _stable_order(post, n_post)
        parameters.snapshot()
        parameters.connect(pre[order], post[order])
        _done(self)

    def _native_connect(self, projection, parameters):
        """With a ``NativeRNG``: the ``n`` synapses uniform over the allowed pairs.  The
        number onto each target is drawn first, from the projection's generator (the same
        on every process): multinomial over the targets in proportion to their allowed
        sources with replacement, multivariate hypergeometric without (``n`` distinct pairs);
        then each target's sources from its own stream (``column_draws.pick_columns``), so a
        process draws its own targets' sources only.  Without replacement among 1e9 pairs or
        more (beyond NumPy's hypergeometric draw) the pairs are drawn uniformly with repeats
        redrawn (``_redraw_forbidden``), by every process alike."""
        n_pre, n_post = projection.shape
        pre_ids, post_ids = _cell_ids(projection.pre), _cell_ids(projection.post)
        skip = np.full(n_post, -1, np.int64)
        if not self.allow_self_connections and n_pre:  # a target's own cell is no source
            order = np.argsort(pre_ids, kind="stable")
            at = np.minimum(np.searchsorted(pre_ids[order], post_ids), n_pre - 1)
            found = pre_ids[order][at] == post_ids
            skip[found] = order[at][found]
        allowed = n_pre - (skip >= 0)
        total = int(allowed.sum())
        n = int(self.n)
        if n > total if not self.with_replacement else (n > 0 and total == 0):
            raise errors.ConnectionError(
                f"FixedTotalNumberConnector: n = {n} synapses cannot be made from {total} "
                f"allowed (pre, post) pairs with allow_self_connections="
                f"{self.allow_self_connections} and with_replacement={self.with_replacement}; "
                f"use n <= {total}" + (" or with_replacement=True." if total else "."))
        generator = _native_generator(self.rng, projection)
        if self.with_replacement:
            counts = generator.multinomial(n, allowed / max(total, 1)) if total else allowed * 0
        elif total < _HYPERGEOMETRIC_LIMIT:
            counts = generator.multivariate_hypergeometric(allowed, n)
        else:
            # NumPy's hypergeometric draws stop at 1e9 pairs: every process draws all the
            # pairs from the projection's generator (the same on all) and keeps its own
            def draw(k):
                return generator.integers(0, n_pre, k), generator.integers(0, n_post, k)
            pre, post = self._redraw_forbidden(projection, *draw(n), draw)
            order = _stable_order(post, n_post)
            parameters.connect(pre[order], post[order])
            return
        columns = parameters.columns()
        pre = pick_columns(_connection_key(self.rng, projection), columns, counts[columns],
                           allowed[columns], skip[columns], self.with_replacement)
        parameters.connect(pre, np.repeat(columns, counts[columns]))

    def _redraw_forbidden(self, projection, pre, post, draw):
        """Drop self connections and repeated pairs where the flags forbid them; top up.

        The pairs kept are the first allowed ones in draw order; replacements are drawn in
        batches sized by the fraction of pairs still allowed.
        """
        n_pre, n_post = projection.shape
        pre_ids, post_ids = _cell_ids(projection.pre), _cell_ids(projection.post)
        n = pre.size
        n_allowed = n_pre * n_post
        if not self.allow_self_connections:
            n_allowed -= np.intersect1d(pre_ids, post_ids).size
        if n > n_allowed and (n_allowed == 0 or not self.with_replacement):
            raise errors.ConnectionError(
                f"FixedTotalNumberConnector: n = {n} synapses cannot be made from "
                f"{n_allowed} allowed (pre, post) pairs with "
                f"allow_self_connections={self.allow_self_connections} and "
                f"with_replacement={self.with_replacement}; use n <= {n_allowed}"
                + (" or with_replacement=True." if n_allowed else "."))

        def allowed(p, q):
            keep = np.ones(p.size, bool)
            if not self.allow_self_connections:
                keep &= pre_ids[p] != post_ids[q]
            if not self.with_replacement:
                candidates = np.flatnonzero(keep)
                # np.unique's return_index gives each pair's first occurrence
                _, first = np.unique(q[candidates] * n_pre + p[candidates], return_index=True)
                keep[:] = False
                keep[candidates[first]] = True
            keep &= np.cumsum(keep) <= n
            return keep

        keep = allowed(pre, post)
        while True:
            pre, post = pre[keep], post[keep]
            missing = n - pre.size
            if missing == 0:
                return pre, post
            free = n_allowed - (0 if self.with_replacement else pre.size)
            # enough for the expected rejections, but bounded when almost no pair is free
            batch = min(int(missing * n_pre * n_post / free * 1.1) + 16,
                        max(missing, 8 * _BLOCK))
            extra_pre, extra_post = draw(batch)
            pre, post = np.r_[pre, extra_pre], np.r_[post, extra_post]
            keep = allowed(pre, post)


class CloneConnector(_pynn.CloneConnector):
    __doc__ = _pynn.CloneConnector.__doc__

    def connect(self, projection):
        reference = self.reference_projection
        parameters = _prepare(self, projection)
        if (parameters is None or reference._simulator is not projection._simulator
                or projection.pre != reference.pre or projection.post != reference.post):
            return super().connect(projection)    # also PyNN's error for unequal populations
        # PyNN's map is ~isnan(reference.get("weight", format="array")): one synapse per
        # connected pair, in (post, pre) order; the same pairs come from the reference's
        # index arrays without a dense n_pre x n_post array
        reference._consolidate()
        n_pre = projection.pre.size
        pairs = reference._post * n_pre + reference._pre
        if reference._local is not None:      # several processes: every process's pairs,
            pairs = np.concatenate(allgather(pairs))  # so the draws are the same
        post, pre = np.divmod(np.unique(pairs), n_pre)
        parameters.snapshot()
        parameters.connect(pre, post)
        _done(self)


class ArrayConnector(_pynn.ArrayConnector):
    __doc__ = _pynn.ArrayConnector.__doc__

    def connect(self, projection):
        parameters = _prepare(self, projection)
        array = self.array
        # PyNN reads a column of an integer array as presynaptic indices, not as a mask, and
        # raises on a wrong shape: both are left to it
        if (parameters is None or not isinstance(array, np.ndarray) or array.dtype != bool
                or array.shape != projection.shape):
            return super().connect(projection)
        parameters.snapshot()
        n_pre, n_post = projection.shape
        for c0, c1 in _column_blocks(n_pre, n_post):
            col, pre = np.nonzero(array[:, c0:c1].T)     # post, then pre ascending
            parameters.connect(pre, col + c0)
        _done(self)
