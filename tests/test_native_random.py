"""``RandomDistribution(..., rng=NativeRNG(seed))`` as synapse weight or delay (every connector),
cell parameter and initial value: drawn vectorised from a NumPy Generator seeded from the
NativeRNG's seed (or ``setup(rng_seed)``).

References:
* the distributions of ``scipy.stats`` with PyNN's parameterisation (pyNN.random.NumpyRNG's
  translations: gamma (k, theta) = shape, scale; lognormal (mu, sigma) of log x; exponential
  beta = scale; uniform_int [low, high)): a KS test for the continuous ones (statistic below
  1.95 / sqrt(n), the 0.1 % critical value) and a chi-square test of the counts for the
  discrete ones (p > 0.001); n = 20,000 values, so a false failure is a 1-in-1000 event for a
  fixed seed, which is then fixed once and for all;
* sample means of synapse parameters within 5 standard errors (sigma / sqrt(n)).
"""
from unittest import mock

import numpy as np
import pytest
from pyNN.core import IndexBasedExpression
from pyNN.random import NativeRNG as PyNNNativeRNG
from scipy import stats

N = 20_000
KS_LIMIT = 1.95 / np.sqrt(N)

CONTINUOUS = [
    ("normal", (0.5, 0.1), stats.norm(0.5, 0.1)),
    ("normal_clipped", (0.5, 0.2, 0.3, 0.9),
     stats.truncnorm((0.3 - 0.5) / 0.2, (0.9 - 0.5) / 0.2, 0.5, 0.2)),
    ("uniform", (1.0, 2.0), stats.uniform(1.0, 1.0)),
    ("exponential", (3.0,), stats.expon(scale=3.0)),
    ("gamma", (2.5, 0.4), stats.gamma(2.5, scale=0.4)),
    ("lognormal", (0.2, 0.5), stats.lognorm(0.5, scale=np.exp(0.2))),
    ("vonmises", (0.3, 2.0), stats.vonmises(2.0, loc=0.3)),
]
DISCRETE = [
    ("uniform_int", (2, 9), stats.randint(2, 9)),
    ("binomial", (12, 0.3), stats.binom(12, 0.3)),
    ("poisson", (4.0,), stats.poisson(4.0)),
]


@pytest.mark.parametrize("name, params, reference", CONTINUOUS, ids=[c[0] for c in CONTINUOUS])
def test_continuous_distribution(sim, name, params, reference):
    values = sim.RandomDistribution(name, params, rng=sim.NativeRNG(7)).next(N)
    assert values.shape == (N,)
    assert stats.kstest(values, reference.cdf).statistic < KS_LIMIT


@pytest.mark.parametrize("name, params, reference", DISCRETE, ids=[c[0] for c in DISCRETE])
def test_discrete_distribution(sim, name, params, reference):
    values = sim.RandomDistribution(name, params, rng=sim.NativeRNG(7)).next(N)
    assert np.all(values == np.round(values))
    support = np.arange(reference.ppf(1e-6), reference.ppf(1 - 1e-6) + 1)
    observed = np.array([np.sum(values == k) for k in support])
    assert observed.sum() >= N - 5                          # (the tails left out)
    expected = reference.pmf(support) * observed.sum() / reference.pmf(support).sum()
    keep = expected >= 5                                    # chi-square's validity
    obs, exp = observed[keep], expected[keep]
    assert stats.chisquare(obs, exp * obs.sum() / exp.sum()).pvalue > 1e-3


def test_normal_clipped_to_boundary(sim):
    mu, sigma, low, high = 0.0, 1.0, -0.5, 1.0
    values = sim.RandomDistribution("normal_clipped_to_boundary", (mu, sigma, low, high),
                                    rng=sim.NativeRNG(7)).next(N)
    assert values.min() == low and values.max() == high
    for at, p in ((values == low, stats.norm.cdf(low)), (values == high, stats.norm.sf(high))):
        assert abs(at.mean() - p) < 5 * np.sqrt(p * (1 - p) / N)
    inside = values[(values > low) & (values < high)]
    reference = stats.truncnorm(low, high)
    assert stats.kstest(inside, reference.cdf).statistic < 1.95 / np.sqrt(inside.size)


def test_unknown_distribution_named(sim):
    with pytest.raises(Exception, match="distributions are"):
        sim.NativeRNG(1).next(3, "cauchy", {})


# -- synapse parameters, every connector ------------------------------------------------------
def _synapse(sim, rng_class=None):
    rng_class = rng_class or sim.NativeRNG
    return sim.StaticSynapse(
        weight=sim.RandomDistribution("normal", (0.5, 0.1), rng=rng_class(42)),
        delay=sim.RandomDistribution("uniform", (1.0, 2.0), rng=rng_class(1)))


CONNECTORS = {
    "AllToAll": lambda sim, n: sim.AllToAllConnector(),
    "OneToOne": lambda sim, n: sim.OneToOneConnector(),
    "FixedProbability": lambda sim, n: sim.FixedProbabilityConnector(0.5,
                                                                     rng=sim.NumpyRNG(3)),
    "FixedProbabilityNative": lambda sim, n: sim.FixedProbabilityConnector(
        0.5, rng=sim.NativeRNG(3)),
    "FixedNumberPre": lambda sim, n: sim.FixedNumberPreConnector(20, rng=sim.NumpyRNG(3)),
    "FixedNumberPost": lambda sim, n: sim.FixedNumberPostConnector(20, rng=sim.NumpyRNG(3)),
    "FixedTotalNumber": lambda sim, n: sim.FixedTotalNumberConnector(2000,
                                                                     rng=sim.NumpyRNG(3)),
    "FromList": lambda sim, n: sim.FromListConnector(
        [(i, j) for i in range(n) for j in range(n) if (i + j) % 2]),
    "Array": lambda sim, n: sim.ArrayConnector(np.arange(n * n).reshape(n, n) % 3 == 0),
    "DistanceDependent": lambda sim, n: sim.DistanceDependentProbabilityConnector(
        "d < 30", rng=sim.NumpyRNG(3)),
    "IndexBased": lambda sim, n: sim.IndexBasedProbabilityConnector(_Half(),
                                                                   rng=sim.NumpyRNG(3)),
    "Clone": None,        # of a FixedProbability projection between the same populations
}


class _Half(IndexBasedExpression):
    """Connect i -> j where i + j is even."""

    def __call__(self, i, j):
        return ((i + j) % 2 == 0).astype(float)


def _build(sim, name, n=80):
    pre = sim.Population(n, sim.SpikeSourcePoisson(rate=10.0))
    post = sim.Population(n, sim.IF_cond_exp())
    if name == "Clone":
        reference = sim.Projection(pre, post, sim.FixedProbabilityConnector(
            0.5, rng=sim.NumpyRNG(3)), sim.StaticSynapse(weight=0.1))
        connector = sim.CloneConnector(reference)
    else:
        connector = CONNECTORS[name](sim, n)
    # every one of these takes the vectorised path: no per-cell call into PyNN's generic code
    with mock.patch.object(sim.Projection, "_convergent_connect",
                           side_effect=AssertionError("fell back to PyNN's path")):
        prj = sim.Projection(pre, post, connector, _synapse(sim))
    weight, delay = np.array(prj.get(["weight", "delay"], format="list"))[:, 2:].T
    return weight, delay


@pytest.mark.parametrize("name", sorted(CONNECTORS))
def test_random_weight_and_delay_every_connector(sim, name):
    weight, delay = _build(sim, name)
    n = weight.size
    assert n >= 80
    assert abs(weight.mean() - 0.5) < 5 * 0.1 / np.sqrt(n)
    assert abs(weight.std() - 0.1) < 5 * 0.1 / np.sqrt(2 * n)
    assert delay.min() >= 1.0 and delay.max() <= 2.0
    assert np.allclose(delay, np.round(delay / 0.1) * 0.1)        # rounded to the time step
    # all 11 steps of [1.0, 2.0] occur, the inner ones about equally (10 % each)
    steps = np.round(delay / 0.1).astype(int)
    assert set(steps) == set(range(10, 21))
    # weight and delay are independent, though drawn in the same blocks
    assert abs(np.corrcoef(weight, delay)[0, 1]) < 5 / np.sqrt(n)
    # the same script gives the same network
    sim.setup(timestep=0.1)
    again = _build(sim, name)
    assert np.array_equal(again[0], weight) and np.array_equal(again[1], delay)


def test_pynn_native_rng_class_works_too(sim):
    """``pyNN.random.NativeRNG`` (the base class other backends subclass) on the same path;
    its ``next`` raises NotImplementedError, so PyNN's guess of the receptor type from one
    drawn weight fails: give ``receptor_type`` (or use ``sim.NativeRNG``)."""
    pre = sim.Population(50, sim.SpikeSourcePoisson(rate=10.0))
    post = sim.Population(50, sim.IF_cond_exp())
    prj = sim.Projection(pre, post, sim.AllToAllConnector(), _synapse(sim, PyNNNativeRNG),
                         receptor_type="excitatory")
    weight = prj.get("weight", format="array")
    assert abs(weight.mean() - 0.5) < 5 * 0.1 / 50


def test_projections_and_parameters_draw_apart(sim):
    """Two projections with one synapse type, and weight and delay from one NativeRNG, draw
    different numbers."""
    rng = sim.NativeRNG(5)
    syn = sim.StaticSynapse(weight=sim.RandomDistribution("uniform", (0.1, 0.2), rng=rng),
                            delay=sim.RandomDistribution("uniform", (1.0, 2.0), rng=rng))
    pre = sim.Population(30, sim.SpikeSourcePoisson(rate=10.0))
    post = sim.Population(30, sim.IF_cond_exp())
    a = sim.Projection(pre, post, sim.AllToAllConnector(), syn)
    b = sim.Projection(pre, post, sim.AllToAllConnector(), syn)
    wa, da = np.array(a.get(["weight", "delay"], format="list"))[:, 2:].T
    wb = np.array(b.get("weight", format="list"))[:, 2]
    assert not np.array_equal(wa, wb)
    assert abs(np.corrcoef((wa - 0.1) / 0.1, (da - 1.0))[0, 1]) < 5 / np.sqrt(wa.size)


def test_sign_check_still_applies(sim):
    """PyNN's connectors refuse negative weights on conductance-based cells (its map-based
    connectors check every drawn value; its FromListConnector checks nothing, nor does ours);
    a NativeRNG draw is checked the same way."""
    pre = sim.Population(20, sim.SpikeSourcePoisson(rate=10.0))
    post = sim.Population(20, sim.IF_cond_exp())
    bad = sim.StaticSynapse(weight=sim.RandomDistribution("normal", (0.0, 1.0),
                                                          rng=sim.NativeRNG(1)))
    with pytest.raises(sim.errors.ConnectionError, match="[Ww]eight"):
        sim.Projection(pre, post, sim.AllToAllConnector(), bad, receptor_type="excitatory")
    with pytest.raises(sim.errors.ConnectionError, match="[Ww]eight"):
        sim.Projection(pre, post, sim.FixedProbabilityConnector(0.5, rng=sim.NativeRNG(2)),
                       bad, receptor_type="inhibitory")


def test_run_with_random_weights_and_delays(sim):
    pre = sim.Population(50, sim.SpikeSourcePoisson(rate=50.0))
    post = sim.Population(10, sim.IF_cond_exp())
    sim.Projection(pre, post, sim.FixedProbabilityConnector(0.3, rng=sim.NativeRNG(2)),
                   sim.StaticSynapse(weight=sim.RandomDistribution(
                       "lognormal", (np.log(0.01), 0.3), rng=sim.NativeRNG(3)),
                       delay=sim.RandomDistribution("uniform_int", (1, 4),
                                                    rng=sim.NativeRNG(4))))
    post.record("gsyn_exc")
    sim.run(50.0)
    g = np.asarray(post.get_data().segments[0].filter(name="gsyn_exc")[0])
    assert g.max() > 0


# -- cell parameters and initial values -------------------------------------------------------
def _cells(sim):
    p = sim.Population(N, sim.IF_cond_exp(
        tau_m=sim.RandomDistribution("uniform", (10.0, 20.0), rng=sim.NativeRNG())))
    p.initialize(v=sim.RandomDistribution("normal", (-65.0, 2.0), rng=sim.NativeRNG()))
    return np.asarray(p.get("tau_m")), np.asarray(p._initial["v"])


def test_cell_parameter_and_initial_value(sim):
    tau_m, v = _cells(sim)
    assert stats.kstest(tau_m, stats.uniform(10.0, 10.0).cdf).statistic < KS_LIMIT
    assert stats.kstest(v, stats.norm(-65.0, 2.0).cdf).statistic < KS_LIMIT
    # two NativeRNG() without a seed share setup's stream (as NEST's kernel RNG): independent
    assert abs(np.corrcoef(tau_m, v)[0, 1]) < 5 / np.sqrt(N)
    # setup() starts the stream again: the same script draws the same values; another
    # rng_seed other ones
    sim.setup(timestep=0.1)
    again = _cells(sim)
    assert np.array_equal(again[0], tau_m) and np.array_equal(again[1], v)
    sim.setup(timestep=0.1, rng_seed=43)
    assert not np.array_equal(_cells(sim)[0], tau_m)
