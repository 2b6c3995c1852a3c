"""Vectorised connectors against PyNN's generic ones (PyNN-contract tier).

Reference: the same projection built with ``pyNN.connectors.XConnector``, which goes through
PyNN's per-cell ``_convergent_connect`` path, from identically seeded RNGs.  Unless a test says
otherwise the comparison is exact (``np.array_equal``): both paths make the same NumPy RNG
calls for the same total counts and the same float64 arithmetic, so any difference is a bug.
Delays are compared after the projection rounds them to the time step, which both paths share.
Where there is no PyNN reference (``NativeRNG`` draws, flags PyNN's ``FixedTotalNumber``
ignores) the tests check structure: counts, exclusions, uniqueness, reproducibility.
"""
from unittest import mock

import numpy as np
from scipy import stats
import pyNN.connectors as pynn_connectors
import pytest
from pyNN import errors
from pyNN.core import IndexBasedExpression
from pyNN.random import NativeRNG, NumpyRNG, RandomDistribution
from pyNN.recording import files
from pyNN.space import Grid2D, Grid3D, Space

SEED = 4_242


def _synapses(prj):
    """(pre, post, weight, delay) of a projection, sorted by post, pre, weight, delay."""
    prj._consolidate()
    pre, post, weight, delay = prj._pre, prj._post, prj._params["weight"], prj._params["delay"]
    order = np.lexsort((delay, weight, pre, post))         # last key sorts first
    return pre[order], post[order], weight[order], delay[order]


def _build_pair(sim, name, args, kwargs, pre, post, synapse, connector_rng=True, **prj_kw):
    """Build the projection with our connector and with PyNN's; return both synapse tuples.

    ``args`` is a tuple, or a function returning one (fresh random objects for each build).
    """
    result = []
    for cls in (getattr(sim, name), getattr(pynn_connectors, name)):
        kw = dict(kwargs)
        if connector_rng:
            kw["rng"] = NumpyRNG(seed=SEED)
        connector = cls(*(args() if callable(args) else args), **kw)
        if cls is getattr(sim, name):
            # ours must not fall back to PyNN's per-cell path
            with mock.patch.object(sim.Projection, "_convergent_connect",
                                   side_effect=AssertionError("fell back to PyNN's path")):
                prj = sim.Projection(pre, post, connector, synapse(), **prj_kw)
        else:
            prj = sim.Projection(pre, post, connector, synapse(), **prj_kw)
        result.append(_synapses(prj))
    ours, theirs = result
    assert len(ours[0]) > 0, "the test case should make synapses"
    return ours, theirs


def _assert_same(ours, theirs):
    for name, a, b in zip(("pre", "post", "weight", "delay"), ours, theirs):
        assert a.shape == b.shape, f"{name}: {a.shape} synapses vs PyNN's {b.shape}"
        assert np.array_equal(a, b), f"{name} differs from PyNN's generic path"


def _random_synapse(sim, weight_rng_seed=7, delay_rng_seed=8):
    """A factory of StaticSynapses whose weight and delay are random, each with its own RNG."""
    def make():
        return sim.StaticSynapse(
            weight=RandomDistribution("uniform", (0.01, 0.1), rng=NumpyRNG(weight_rng_seed)),
            delay=RandomDistribution("uniform", (0.1, 3.0), rng=NumpyRNG(delay_rng_seed)))
    return make


@pytest.fixture
def pops(sim):
    """Two conductance-based populations (weights must be >= 0) and views into them."""
    a = sim.Population(60, sim.IF_cond_exp(), label="a")
    b = sim.Population(45, sim.IF_cond_exp(), label="b")
    return a, b


# -- AllToAll / OneToOne -----------------------------------------------------------------------
def test_all_to_all_views_no_self(sim, pops):
    a, _ = pops
    # overlapping views of one population: PyNN's no-self mask compares cell ids
    ours, theirs = _build_pair(sim, "AllToAllConnector", (), {"allow_self_connections": False},
                               a[5:40], a[::3], _random_synapse(sim), connector_rng=False)
    _assert_same(ours, theirs)
    assert not np.any(a[5:40].all_cells[ours[0]] == a[::3].all_cells[ours[1]])


def test_all_to_all_assembly_constant(sim, pops):
    a, b = pops
    ours, theirs = _build_pair(sim, "AllToAllConnector", (), {}, a + b, b[:10],
                               lambda: sim.StaticSynapse(weight=0.02, delay=1.0),
                               connector_rng=False)
    _assert_same(ours, theirs)
    assert len(ours[0]) == 105 * 10


def test_one_to_one_unequal_sizes(sim, pops):
    a, b = pops
    # PyNN's i == j map connects min(n_pre, n_post) pairs; we say so (issue 11)
    with pytest.warns(UserWarning, match="only the first 45 pairs"):
        ours, theirs = _build_pair(sim, "OneToOneConnector", (), {}, a, b,
                                   _random_synapse(sim), connector_rng=False)
    _assert_same(ours, theirs)
    assert np.array_equal(ours[0], np.arange(45))


# -- FixedProbability --------------------------------------------------------------------------
@pytest.mark.parametrize("allow_self", [True, False, "NoMutual"])
def test_fixed_probability_same_population(sim, pops, allow_self):
    a, _ = pops
    ours, theirs = _build_pair(sim, "FixedProbabilityConnector", (0.3,),
                               {"allow_self_connections": allow_self}, a, a,
                               _random_synapse(sim))
    _assert_same(ours, theirs)
    if allow_self is not True:
        assert not np.any(ours[0] == ours[1])


def test_fixed_probability_views(sim, pops):
    a, b = pops
    ours, theirs = _build_pair(sim, "FixedProbabilityConnector", (0.25,),
                               {"allow_self_connections": False}, a[10:50], a[[3, 11, 12, 40]]
                               + b[2:9], _random_synapse(sim))
    _assert_same(ours, theirs)


def test_fixed_probability_weight_shares_connector_rng(sim, pops):
    """PyNN draws weights, and connections too, from copies of the connector's RNG."""
    a, b = pops
    result = []
    for cls in (sim.FixedProbabilityConnector, pynn_connectors.FixedProbabilityConnector):
        rng = NumpyRNG(seed=SEED)
        syn = sim.StaticSynapse(weight=RandomDistribution("uniform", (0.0, 0.2), rng=rng),
                                delay=0.5)
        prj = sim.Projection(a, b, cls(0.4, rng=rng), syn)
        result.append(_synapses(prj) + (rng.next(3),))
    ours, theirs = result
    _assert_same(ours[:4], theirs[:4])
    # the connector's RNG is left where PyNN leaves it (untouched: its lazy map drew from a copy)
    assert np.array_equal(ours[4], theirs[4])


@pytest.mark.parametrize("shared_rng", [True, False])
def test_fixed_probability_interleaved_random_parameters(sim, pops, shared_rng):
    """Weight and delay sharing an RNG, or normal_clipped alone: PyNN's per-column order."""
    a, b = pops

    def synapse():
        rng = NumpyRNG(seed=99)
        return sim.StaticSynapse(
            weight=RandomDistribution("uniform", (0.0, 0.1),
                                      rng=rng if shared_rng else NumpyRNG(5)),
            delay=RandomDistribution("normal_clipped", mu=1.0, sigma=1.0, low=0.2, high=3.0,
                                     rng=rng))
    ours, theirs = _build_pair(sim, "FixedProbabilityConnector", (0.3,), {}, a, b, synapse)
    _assert_same(ours, theirs)


def test_fixed_probability_distance_parameters(sim):
    # positions on a grid, weight and delay given as a string and a callable of distance
    structure = Grid2D(aspect_ratio=1.0, dx=10.0, dy=10.0)
    a = sim.Population(64, sim.IF_cond_exp(), structure=structure)
    b = sim.Population(36, sim.IF_cond_exp(), structure=structure)

    def synapse():
        return sim.StaticSynapse(weight="0.1/(1.0 + d/50.0)", delay=lambda d: 0.2 + d / 40.0)
    ours, theirs = _build_pair(sim, "FixedProbabilityConnector", (0.3,), {}, a, b, synapse,
                               space=Space(axes="xy", periodic_boundaries=((0, 60), None,
                                                                           None)))
    _assert_same(ours, theirs)


def test_distance_parameters_space_subclass(sim):
    """A Space subclass takes the dense-block path through the lazy array."""
    class ScaledSpace(Space):
        def distances(self, A, B, expand=False):
            return 2.0 * super().distances(A, B, expand)

    structure = Grid2D(dx=5.0, dy=5.0)
    a = sim.Population(49, sim.IF_cond_exp(), structure=structure)
    ours, theirs = _build_pair(sim, "FixedNumberPreConnector", (7,), {}, a, a,
                               lambda: sim.StaticSynapse(weight="0.01 + d/1000.0", delay=1.0),
                               space=ScaledSpace())
    _assert_same(ours, theirs)


def test_array_and_index_based_weights(sim, pops):
    a, b = pops

    class IndexSum(IndexBasedExpression):
        def __call__(self, i, j):
            return 0.001 * (i + 2 * j) + 0.1

    weights = np.random.RandomState(3).uniform(0.0, 1.0, size=(60, 45))
    for weight in (weights, IndexSum()):
        ours, theirs = _build_pair(sim, "FixedProbabilityConnector", (0.2,), {}, a, b,
                                   lambda: sim.StaticSynapse(weight=weight, delay=0.3))
        _assert_same(ours, theirs)


def test_safe_weight_check(sim, pops):
    a, b = pops

    def negative():
        return sim.StaticSynapse(weight=RandomDistribution("uniform", (-0.1, 0.1),
                                                           rng=NumpyRNG(1)))
    # conductance-based targets: PyNN's check_weights rejects negative weights
    for cls in (sim.FixedProbabilityConnector, pynn_connectors.FixedProbabilityConnector):
        with pytest.raises(errors.ConnectionError):
            sim.Projection(a, b, cls(0.5, rng=NumpyRNG(SEED)), negative())
    ours, theirs = _build_pair(sim, "FixedProbabilityConnector", (0.5,), {"safe": False}, a, b,
                               negative)
    _assert_same(ours, theirs)


def test_no_mutual_on_views_falls_back(sim, pops):
    a, _ = pops
    for cls in (sim.FixedProbabilityConnector, pynn_connectors.FixedProbabilityConnector):
        with pytest.raises(NotImplementedError):
            sim.Projection(a[:20], a[:20], cls(0.5, allow_self_connections="NoMutual"),
                           sim.StaticSynapse(weight=0.1))


# -- FixedNumberPre / FixedNumberPost ----------------------------------------------------------
FIXED_NUMBER_CASES = [
    # (n, with_replacement, allow_self_connections)
    (12, False, True),
    (12, False, False),
    (12, True, True),
    (12, True, False),
    (130, False, True),     # more than the population: full sets, then a random remainder
    (130, False, False),
    ("random", False, True),
    ("random", True, False),
]


def _n(n):
    # PyNN's generic path fails for n = 0 without replacement (np.hstack of nothing)
    return RandomDistribution("uniform_int", (1, 20), rng=NumpyRNG(11)) if n == "random" else n


@pytest.mark.parametrize("n, with_replacement, allow_self", FIXED_NUMBER_CASES)
def test_fixed_number_pre(sim, pops, n, with_replacement, allow_self):
    a, _ = pops
    ours, theirs = _build_pair(sim, "FixedNumberPreConnector", lambda: (_n(n),),
                               {"with_replacement": with_replacement,
                                "allow_self_connections": allow_self}, a, a,
                               _random_synapse(sim))
    _assert_same(ours, theirs)
    pre, post = ours[:2]
    if n != "random":
        assert np.all(np.bincount(post, minlength=60) == n)      # exact fan-in
    if not allow_self:
        assert not np.any(pre == post)
    if not with_replacement and n == 12:
        assert np.unique(post * 1000 + pre).size == pre.size      # no duplicate pairs


@pytest.mark.parametrize("n, with_replacement, allow_self", FIXED_NUMBER_CASES)
def test_fixed_number_post(sim, pops, n, with_replacement, allow_self):
    a, _ = pops
    ours, theirs = _build_pair(sim, "FixedNumberPostConnector", lambda: (_n(n),),
                               {"with_replacement": with_replacement,
                                "allow_self_connections": allow_self}, a, a,
                               _random_synapse(sim))
    _assert_same(ours, theirs)
    pre, post = ours[:2]
    if n != "random":
        assert np.all(np.bincount(pre, minlength=60) == n)       # exact fan-out
    if not allow_self:
        assert not np.any(pre == post)


@pytest.mark.parametrize("name", ["FixedNumberPreConnector", "FixedNumberPostConnector"])
def test_redraw_of_self_connections(sim, name):
    """Regression: PyNN's _rng_uniform_int_exclude indexes its redraw list with positions in
    the whole draw, so a redraw that hits the cell itself again crashes (IndexError) or leaves
    a self connection.  Ours keeps PyNN's draws up to that point and then redraws correctly."""
    a = sim.Population(3, sim.IF_cond_exp())
    connector = getattr(sim, name)(40, with_replacement=True, allow_self_connections=False,
                                   rng=NumpyRNG(seed=SEED))
    prj = sim.Projection(a, a, connector, sim.StaticSynapse(weight=0.1))
    pre, post = _synapses(prj)[:2]
    assert pre.size == 3 * 40
    assert not np.any(pre == post)


def test_fixed_number_post_n_shares_connector_rng(sim, pops):
    """n drawn per presynaptic cell from the connector's RNG, between its target draws."""
    a, b = pops
    result = []
    for cls in (sim.FixedNumberPostConnector, pynn_connectors.FixedNumberPostConnector):
        rng = NumpyRNG(seed=SEED)
        connector = cls(RandomDistribution("uniform_int", (1, 9), rng=rng),
                        with_replacement=True, rng=rng)
        result.append(_synapses(sim.Projection(a, b, connector, _random_synapse(sim)())))
    _assert_same(*result)


def test_not_parallel_safe_rng(sim, pops):
    a, b = pops
    for name, args in (("FixedProbabilityConnector", (0.2,)), ("FixedNumberPreConnector", (9,))):
        result = []
        for cls in (getattr(sim, name), getattr(pynn_connectors, name)):
            connector = cls(*args, rng=NumpyRNG(seed=SEED, parallel_safe=False))
            # constant parameters: nothing parallel-safe, so PyNN takes its local-cells branch
            syn = sim.StaticSynapse(weight=0.05, delay=0.5)
            result.append(_synapses(sim.Projection(a, b, connector, syn)))
        _assert_same(*result)


def test_fixed_number_views(sim, pops):
    a, b = pops
    for name in ("FixedNumberPreConnector", "FixedNumberPostConnector"):
        ours, theirs = _build_pair(sim, name, (5,), {"allow_self_connections": False},
                                   a[::2], b[3:30] + a[1:4], _random_synapse(sim))
        _assert_same(ours, theirs)


# -- FromList ----------------------------------------------------------------------------------
def _conn_list(with_params):
    rs = np.random.RandomState(21)
    n = 500
    rows = [rs.randint(0, 60, n), rs.randint(0, 45, n)]     # unsorted, with repeated pairs
    if with_params:
        rows += [rs.uniform(0.0, 0.1, n), rs.uniform(0.1, 2.0, n)]
    return np.column_stack(rows)


@pytest.mark.parametrize("column_names", [None, ("delay", "weight")])
def test_from_list_parameter_columns(sim, pops, column_names):
    a, b = pops
    conn_list = _conn_list(True)               # columns i, j, weight, delay
    if column_names is not None:
        conn_list = conn_list[:, [0, 1, 3, 2]]
    ours, theirs = _build_pair(sim, "FromListConnector", (conn_list,),
                               {"column_names": column_names}, a, b,
                               lambda: sim.StaticSynapse(), connector_rng=False)
    _assert_same(ours, theirs)
    assert len(ours[0]) == 500


@pytest.mark.parametrize("shared_rng", [False, True])
def test_from_list_random_weights_reused_connector(sim, pops, shared_rng):
    """Synapse-type random weights: PyNN gives each target the first values of one stream."""
    a, b = pops
    conn_list = _conn_list(False)
    result = []
    for cls in (sim.FromListConnector, pynn_connectors.FromListConnector):
        connector = cls(conn_list.copy())
        syn = _random_synapse(sim, 7, 7 if shared_rng else 8)()
        if shared_rng:
            syn.parameter_space["delay"].base_value.rng = syn.parameter_space[
                "weight"].base_value.rng
        # a connector used twice sorts its (already sorted) list again, as PyNN's does
        result.append([_synapses(sim.Projection(a, b, connector, syn)) for _ in range(2)])
    for ours, theirs in zip(*result):
        _assert_same(ours, theirs)


def test_from_list_errors(sim, pops):
    a, b = pops
    for cls in (sim.FromListConnector, pynn_connectors.FromListConnector):
        with pytest.raises(errors.ConnectionError):
            sim.Projection(a, b, cls([(60, 0, 0.1, 1.0)]), sim.StaticSynapse())
        with pytest.raises(ValueError):
            sim.Projection(a, b, cls([(0, 0, 0.1)], column_names=["tau"]),
                           sim.StaticSynapse())


def test_from_file(sim, pops, tmp_path):
    """PyNN's FromFileConnector calls PyNN's FromListConnector by name; ours calls ours."""
    a, b = pops
    conn_list = _conn_list(True)[:, [0, 1, 3, 2]]
    path = str(tmp_path / "conn.txt")
    out = files.StandardTextFile(path, mode="w")
    out.write(conn_list, {"columns": ["i", "j", "delay", "weight"]})
    out.close()
    ours, theirs = _build_pair(sim, "FromFileConnector", (path,), {}, a, b,
                               lambda: sim.StaticSynapse(), connector_rng=False)
    _assert_same(ours, theirs)
    assert len(ours[0]) == 500


# -- probability maps: distance, index and displacement ----------------------------------------
@pytest.fixture
def grid_pops(sim):
    """Two populations on 2D grids, interleaved so that distances vary."""
    a = sim.Population(64, sim.IF_cond_exp(), structure=Grid2D(dx=10.0, dy=10.0))
    b = sim.Population(49, sim.IF_cond_exp(), structure=Grid2D(dx=12.0, dy=12.0, x0=3.0))
    return a, b


@pytest.mark.parametrize("allow_self", [True, False, "NoMutual"])
def test_distance_dependent_same_population(sim, grid_pops, allow_self):
    a, _ = grid_pops
    ours, theirs = _build_pair(sim, "DistanceDependentProbabilityConnector",
                               ("exp(-d/30.0)",), {"allow_self_connections": allow_self}, a, a,
                               _random_synapse(sim))
    _assert_same(ours, theirs)
    if allow_self is not True:
        assert not np.any(ours[0] == ours[1])


@pytest.mark.parametrize("expression", ["d < 25.0", "0.5*exp(-d*d/800.0) + 0.05", "0.3"])
def test_distance_dependent_expressions_and_space(sim, grid_pops, expression):
    """Boolean, Gaussian and constant maps, periodic x, and a distance-dependent delay."""
    a, b = grid_pops
    space = Space(axes="xy", periodic_boundaries=((0, 80), None, None))
    ours, theirs = _build_pair(
        sim, "DistanceDependentProbabilityConnector", (expression,), {}, a, b,
        lambda: sim.StaticSynapse(weight=RandomDistribution("uniform", (0.0, 0.1),
                                                            rng=NumpyRNG(3)),
                                  delay="0.2 + d/50.0"), space=space)
    _assert_same(ours, theirs)


def test_distance_dependent_small_blocks(sim, grid_pops):
    """Several column blocks (one column each where n_pre exceeds the block), and synapses
    handed over in several blocks (random weights continue across them), give PyNN's map."""
    a, b = grid_pops
    cls = sim.DistanceDependentProbabilityConnector
    for block in (100, 1):
        with mock.patch.object(cls, "_block", block), \
                mock.patch("pynn_cbgtc_jax.connectors._BLOCK", 37):
            ours, theirs = _build_pair(sim, "DistanceDependentProbabilityConnector",
                                       ("exp(-d/20.0)",), {}, a, b, _random_synapse(sim))
        _assert_same(ours, theirs)


class _IndexProbability(IndexBasedExpression):
    """A probability that depends on both indices: banded, decaying with |i - j|."""

    def __call__(self, i, j):
        return 0.6 * np.exp(-np.abs(i - j) / 8.0) * ((i + j) % 3 != 0)


@pytest.mark.parametrize("allow_self", [True, False, "NoMutual"])
def test_index_based_probability(sim, pops, allow_self):
    a, b = pops
    post = a if allow_self == "NoMutual" else b
    ours, theirs = _build_pair(sim, "IndexBasedProbabilityConnector", (_IndexProbability(),),
                               {"allow_self_connections": allow_self}, a, post,
                               _random_synapse(sim))
    _assert_same(ours, theirs)


def test_index_based_probability_views(sim, pops):
    a, b = pops
    ours, theirs = _build_pair(sim, "IndexBasedProbabilityConnector", (_IndexProbability(),),
                               {"allow_self_connections": False}, a[::2], a[5:50] + b[:7],
                               _random_synapse(sim))
    _assert_same(ours, theirs)


@pytest.mark.parametrize("allow_self", [True, False])
def test_displacement_dependent_probability(sim, allow_self):
    structure = Grid3D(dx=10.0, dy=10.0, dz=20.0)
    a = sim.Population(64, sim.IF_cond_exp(), structure=structure)
    b = sim.Population(27, sim.IF_cond_exp(), structure=Grid3D(dx=15.0, dy=15.0, dz=15.0))
    post = a if not allow_self else b
    ours, theirs = _build_pair(
        sim, "DisplacementDependentProbabilityConnector",
        (lambda d: (np.abs(d[0]) < 25.0) * np.exp(-np.abs(d[1]) / 20.0) * (d[2] >= 0),),
        {"allow_self_connections": allow_self}, a, post, _random_synapse(sim))
    _assert_same(ours, theirs)


# -- FixedTotalNumber --------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(60, 45), (60, 60), (1, 45), (60, 1)])
def test_fixed_total_number(sim, shape):
    """PyNN draws one source (uniform_int) and one target (choice) per loop iteration."""
    a = sim.Population(shape[0], sim.IF_cond_exp())
    b = a if shape[1] == shape[0] else sim.Population(shape[1], sim.IF_cond_exp())
    result = []
    for cls in (sim.FixedTotalNumberConnector, pynn_connectors.FixedTotalNumberConnector):
        rng = NumpyRNG(seed=SEED)
        prj = sim.Projection(a, b, cls(2000, rng=rng), _random_synapse(sim)())
        # the connector's RNG is left where PyNN's loop leaves it
        result.append(_synapses(prj) + (rng.next(3),))
    ours, theirs = result
    _assert_same(ours[:4], theirs[:4])
    assert np.array_equal(ours[4], theirs[4])
    assert len(ours[0]) == 2000


@pytest.mark.parametrize("words", [1 << 18, 97])
def test_fixed_total_number_no_fallback(sim, pops, words):
    """Views; and raw words read in many short passes, the last one given back in part."""
    a, b = pops
    with mock.patch("pynn_cbgtc_jax.connectors._WORDS", words):
        ours, theirs = _build_pair(sim, "FixedTotalNumberConnector", (500,), {}, a[3:40],
                                   b[::2], _random_synapse(sim))
    _assert_same(ours, theirs)


def test_fixed_total_number_flags(sim, pops):
    """PyNN ignores allow_self_connections=False and with_replacement=False; ours honours
    them, keeping PyNN's allowed pairs in draw order and topping up from the same RNG."""
    a, _ = pops
    n = 3000                                   # 60 x 60 pairs, so repeats are certain
    synapse = lambda: sim.StaticSynapse(weight=0.1)             # noqa: E731
    pynn = sim.Projection(a, a, pynn_connectors.FixedTotalNumberConnector(
        n, rng=NumpyRNG(SEED)), synapse())
    pynn_pre, pynn_post = pynn._pre, pynn._post
    for allow_self, with_replacement in ((False, True), (True, False), (False, False)):
        prj = sim.Projection(a, a, sim.FixedTotalNumberConnector(
            n, allow_self_connections=allow_self, with_replacement=with_replacement,
            rng=NumpyRNG(SEED)), synapse())
        pre, post = _synapses(prj)[:2]
        assert pre.size == n
        if not allow_self:
            assert not np.any(pre == post)
        if not with_replacement:
            assert np.unique(post * 60 + pre).size == n
        # the pairs PyNN drew and the flags allow are all there
        forbidden = np.zeros(pynn_pre.size, bool) if allow_self else pynn_pre == pynn_post
        assert np.isin(pynn_post * 60 + pynn_pre, post * 60 + pre)[~forbidden].all()
    with pytest.raises(errors.ConnectionError, match="n <= 3540"):
        sim.Projection(a, a, sim.FixedTotalNumberConnector(
            3541, allow_self_connections=False, with_replacement=False), synapse())


# -- CloneConnector / ArrayConnector -----------------------------------------------------------
def test_clone(sim, pops):
    a, b = pops
    # a reference with repeated pairs (with replacement): PyNN's map keeps one per pair
    reference = sim.Projection(a, b, sim.FixedNumberPreConnector(
        30, with_replacement=True, rng=NumpyRNG(SEED)), sim.StaticSynapse(weight=0.2))
    ours, theirs = _build_pair(sim, "CloneConnector", (reference,), {}, a, b,
                               _random_synapse(sim), connector_rng=False)
    _assert_same(ours, theirs)
    assert len(ours[0]) < len(reference)
    for cls in (sim.CloneConnector, pynn_connectors.CloneConnector):
        with pytest.raises(errors.ConnectionError):
            sim.Projection(b, a, cls(reference), sim.StaticSynapse())


def test_array(sim, pops):
    a, b = pops
    array = np.random.RandomState(5).uniform(size=(60, 45)) < 0.3
    ours, theirs = _build_pair(sim, "ArrayConnector", (array,), {}, a, b,
                               _random_synapse(sim), connector_rng=False)
    _assert_same(ours, theirs)
    assert len(ours[0]) == array.sum()


def test_array_integer_is_pynns(sim, pops):
    """PyNN reads a column of an integer array as source indices: left to PyNN."""
    a, b = pops
    array = np.zeros((60, 45), dtype=int)
    array[:4, :] = [[3], [7], [7], [0]]
    result = [_synapses(sim.Projection(a, b, cls(array), sim.StaticSynapse(weight=0.1)))
              for cls in (sim.ArrayConnector, pynn_connectors.ArrayConnector)]
    _assert_same(*result)


# -- NativeRNG: the opt-in fast draws ----------------------------------------------------------
def _native_build(sim, connector, pre, post):
    with mock.patch.object(sim.Projection, "_convergent_connect",
                           side_effect=AssertionError("fell back to PyNN's path")):
        return _synapses(sim.Projection(pre, post, connector, _random_synapse(sim)()))


@pytest.mark.parametrize("with_replacement", [False, True])
@pytest.mark.parametrize("name", ["FixedNumberPreConnector", "FixedNumberPostConnector"])
def test_native_fixed_number(sim, name, with_replacement):
    cls = getattr(sim, name)
    kw = {"with_replacement": with_replacement, "allow_self_connections": False}

    def two_projections(rng, rng_seed=42):
        sim.setup(timestep=0.1, rng_seed=rng_seed)
        a = sim.Population(60, sim.IF_cond_exp())
        return [_native_build(sim, cls(12, rng=rng, **kw), a, a) for _ in range(2)]

    first, second = two_projections(NativeRNG(seed=1))
    pre, post = first[:2]
    counts = np.bincount(post if name == "FixedNumberPreConnector" else pre, minlength=60)
    assert np.all(counts == 12)
    assert not np.any(pre == post)
    if not with_replacement:
        assert np.unique(post * 60 + pre).size == pre.size
    # the next projection draws other numbers; the same script after setup() the same ones;
    # a NativeRNG without a seed takes setup's rng_seed
    assert not np.array_equal(second[0], pre)
    for again in (two_projections(NativeRNG(seed=1)), two_projections(NativeRNG(), 1)):
        for ours, theirs in zip(again, (first, second)):
            _assert_same(ours, theirs)


def test_native_fixed_number_full_sets(sim, pops):
    """n beyond the allowed cells: whole sets, then a random remainder, as PyNN's."""
    a, b = pops
    pre, post = _native_build(sim, sim.FixedNumberPreConnector(100, rng=NativeRNG(seed=2)),
                              b, a)[:2]
    assert np.all(np.bincount(post, minlength=60) == 100)
    # 100 = 2 x 45 + 10: each target has every source twice, and 10 of them a third time
    per_pair = np.bincount(post * 45 + pre, minlength=60 * 45).reshape(60, 45)
    assert np.all((per_pair >= 2) & (per_pair <= 3)) and np.all((per_pair == 3).sum(1) == 10)


def test_native_probability_and_total(sim, pops, grid_pops):
    a, b = pops
    pre, post = _native_build(sim, sim.FixedProbabilityConnector(
        0.3, allow_self_connections=False, rng=NativeRNG(seed=3)), a, a)[:2]
    # 3540 candidate pairs at p = 0.3: mean 1062, sd 27; 5 sd either side
    assert abs(pre.size - 1062) < 5 * 27 and not np.any(pre == post)
    g, _ = grid_pops
    pre, post = _native_build(sim, sim.DistanceDependentProbabilityConnector(
        "d < 12.0", rng=NativeRNG(seed=3)), g, g)[:2]
    # p is 0 or 1: the map is deterministic: on the 8 x 8 grid, each cell and its (ordered)
    # x and y neighbours, 7 x 8 pairs per axis and direction
    assert pre.size == 64 + 2 * 2 * 7 * 8
    pre, post = _native_build(sim, sim.FixedTotalNumberConnector(
        700, allow_self_connections=False, with_replacement=False, rng=NativeRNG(seed=3)),
        a, a)[:2]
    assert pre.size == 700 and not np.any(pre == post)
    assert np.unique(post * 60 + pre).size == 700


def test_native_total_number_over_overlapping_views(sim):
    """FixedTotalNumber with a NativeRNG between overlapping views (cells 10-29 are both
    sources and targets), no self connections, with replacement.  Reference: n independent
    uniform draws over the allowed (pre, post) pairs -- 30 x 30 less the 20 shared cells' own
    pairs = 880.  The targets' counts are multinomial: each shared target (29 allowed
    sources) expects 29/880 of the 44,000 synapses (1450), each other 30/880 (1500); their
    means within 5 sd (binomial sd ~37.6, over 20 and 10 cells); all sources alike
    (chi-square p > 1e-3)."""
    sim.setup(timestep=0.1, rng_seed=3)
    a = sim.Population(40, sim.IF_cond_exp())
    pre_view, post_view = a[0:30], a[10:40]
    pre, post = _native_build(sim, sim.FixedTotalNumberConnector(
        44_000, allow_self_connections=False, rng=NativeRNG(seed=4)), pre_view, post_view)[:2]
    assert pre.size == 44_000 and np.all(np.diff(post) >= 0)
    assert not np.any(pre_view.all_cells[pre] == post_view.all_cells[post])
    counts = np.bincount(post, minlength=30)
    shared, other = counts[:20], counts[20:]
    sd = np.sqrt(44_000 * 29 / 880 * (1 - 29 / 880))
    assert abs(shared.mean() - 44_000 * 29 / 880) < 5 * sd / np.sqrt(20)
    assert abs(other.mean() - 44_000 * 30 / 880) < 5 * sd / np.sqrt(10)
    # sources 10-29 are missing from one target each: expected counts 44000/880 x (30 or 29)
    expected = np.where(np.arange(30) >= 10, 29.0, 30.0) * 44_000 / 880
    assert stats.chisquare(np.bincount(pre, minlength=30), expected).pvalue > 1e-3


@pytest.mark.parametrize("rng", [NativeRNG(seed=1), NumpyRNG(seed=1)], ids=["native", "numpy"])
@pytest.mark.parametrize("with_replacement", [True, False])
def test_fixed_number_with_no_cell_to_choose_from_is_refused(sim, rng, with_replacement):
    """A one-cell population onto itself without self connections has no source to pick:
    a ConnectionError naming n and the fix (the NativeRNG path made synapses from a source
    that does not exist)."""
    sim.setup(timestep=0.1)
    one = sim.Population(1, sim.IF_cond_exp())
    with pytest.raises(errors.ConnectionError, match=r"n=2.*no presynaptic .*itself.*allow_self"):
        sim.Projection(one, one, sim.FixedNumberPreConnector(
            2, allow_self_connections=False, with_replacement=with_replacement, rng=rng),
            sim.StaticSynapse(weight=0.01))


def test_native_total_number_without_replacement_among_a_billion_pairs(sim):
    """32,000 x 32,000 pairs (over NumPy's 1e9 limit for hypergeometric draws): the pairs are
    drawn uniformly with repeats redrawn -- n distinct pairs (reference: the definition)."""
    sim.setup(timestep=0.1)
    a = sim.Population(32_000, sim.IF_cond_exp())
    prj = sim.Projection(a, a, sim.FixedTotalNumberConnector(
        5000, with_replacement=False, rng=NativeRNG(seed=1)), sim.StaticSynapse(weight=0.01))
    pre, post = prj._pre, prj._post
    assert pre.size == 5000 and np.unique(post * 32_000 + pre).size == 5000
    assert np.all(np.diff(post) >= 0)


def test_native_probability_large_is_bernoulli(sim):
    """Reference: Binomial(n_pre n_post - n, p) synapses, every cell's in-degree Binomial.  A
    NativeRNG FixedProbabilityConnector draws geometric gaps (O(synapses)), so 4e8 candidate
    pairs cost 4e5 draws.  Tolerances: 5 sd of the total (sd 632) and of the in-degrees' mean."""
    sim.setup(timestep=0.1, rng_seed=3)
    a = sim.Population(20_000, sim.IF_cond_exp())
    pre, post = _native_build(sim, sim.FixedProbabilityConnector(
        0.001, allow_self_connections=False, rng=NativeRNG(seed=5)), a, a)[:2]
    n_pairs = 20_000 * 19_999
    assert abs(pre.size - n_pairs * 0.001) < 5 * np.sqrt(n_pairs * 0.001 * 0.999)
    assert not np.any(pre == post) and np.all(np.diff(post) >= 0)
    in_degree = np.bincount(post, minlength=20_000)
    assert abs(in_degree.mean() - 19.999) < 5 * np.sqrt(19.999 / 20_000)
    assert abs(in_degree.var() / 19.98 - 1.0) < 0.1


def test_pair_by_pair_draw_of_a_huge_map_warns(sim, monkeypatch):
    """A NumpyRNG FixedProbabilityConnector draws a uniform per candidate pair (PyNN's
    semantics); above ``_MANY_PAIRS`` pairs (lowered here) the user is told what it costs and
    the fix, before drawing; a NativeRNG takes the O(synapses) path and says nothing."""
    import warnings
    from pynn_cbgtc_jax import connectors
    monkeypatch.setattr(connectors, "_MANY_PAIRS", 100)
    sim.setup(timestep=0.1)
    a = sim.Population(20, sim.IF_cond_exp())
    with pytest.warns(UserWarning, match=r"FixedProbabilityConnector between 20 and 20 cells "
                                         r"draws .* \(400, .*NumpyRNG.*NativeRNG\(seed\)"):
        sim.Projection(a, a, sim.FixedProbabilityConnector(0.1, rng=NumpyRNG(seed=1)),
                       sim.StaticSynapse())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sim.Projection(a, a, sim.FixedProbabilityConnector(0.1, rng=NativeRNG(seed=1)),
                       sim.StaticSynapse())
