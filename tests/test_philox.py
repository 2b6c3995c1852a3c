"""Counter-based random numbers (``pynn_cbgtc_jax/philox.py``).

References: Random123's known-answer vectors for Philox4x32-10 (``kat_vectors`` of the
Random123 distribution, Salmon et al. 2011); each distribution's own distribution function
(SciPy), by Kolmogorov-Smirnov.  The draws are deterministic (fixed keys), so a test either
always passes or always fails; the KS threshold (p-value above 1e-3) is what a sound sampler
passes for all but one key in a thousand, and a wrong parameterisation (a scale for a rate,
sigma for variance) fails by hundreds of orders of magnitude.
"""
import numpy as np
import pytest
from pyNN import errors
from scipy import stats

from pynn_cbgtc_jax import philox

# (counter, key) -> output, Random123 kat_vectors, philox4x32 with 10 rounds
_KAT = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
]


@pytest.mark.parametrize("counter, key, expected", _KAT)
def test_philox_known_answers(counter, key, expected):
    words = philox.philox4x32(tuple(np.array([c, c]) for c in counter), key)
    for word, want in zip(words, expected):
        assert list(word) == [want, want]


def test_a_draw_depends_on_its_counter_only():
    """A subset of the (stream, index) pairs, in another order, draws the same values as
    the whole (what lets each process draw its own synapses only)."""
    key = philox.stream_key(3, 1, "weight")
    stream = np.repeat(np.arange(50), 40)
    index = np.tile(np.arange(40), 50)
    whole = philox.draw(key, "normal_clipped", {"mu": 0.0, "sigma": 1.0, "low": -0.3,
                                                "high": 2.0}, stream, index)
    pick = np.random.default_rng(0).permutation(whole.size)[:500]
    part = philox.draw(key, "normal_clipped", {"mu": 0.0, "sigma": 1.0, "low": -0.3,
                                               "high": 2.0}, stream[pick], index[pick])
    np.testing.assert_array_equal(part, whole[pick])
    # other keys (another seed, projection or parameter name) draw other numbers
    for other in (philox.stream_key(4, 1, "weight"), philox.stream_key(3, 2, "weight"),
                  philox.stream_key(3, 1, "delay")):
        assert not np.any(philox.draw(other, "uniform", {"low": 0, "high": 1}, stream, index)
                          == philox.draw(key, "uniform", {"low": 0, "high": 1}, stream, index))


def test_stream_uniforms_are_the_counters_pairs():
    """Draw 2k and 2k + 1 of a stream are the two uniforms of its counter k; a window of
    draws starting anywhere even equals that window of the whole stream."""
    key = philox.stream_key(1, 0, "connections")
    u, v = philox.uniform_pair(key, np.array([7]), np.arange(10))
    drawn = philox.stream_uniforms(key, np.array([7, 8]), 0, 20)
    np.testing.assert_array_equal(drawn[0, 0::2], u[0] if u.ndim > 1 else u)
    np.testing.assert_array_equal(drawn[0, 1::2], v)
    np.testing.assert_array_equal(philox.stream_uniforms(key, np.array([8, 7]), [4, 6], 5),
                                  np.stack([drawn[1, 4:9], drawn[0, 6:11]]))
    assert 0.0 <= drawn.min() and drawn.max() < 1.0


_CASES = [
    ("uniform", {"low": -1.0, "high": 3.0}, stats.uniform(-1.0, 4.0)),
    ("normal", {"mu": 1.0, "sigma": 2.0}, stats.norm(1.0, 2.0)),
    ("lognormal", {"mu": 0.2, "sigma": 0.5}, stats.lognorm(0.5, scale=np.exp(0.2))),
    ("exponential", {"beta": 2.5}, stats.expon(scale=2.5)),        # beta: the mean
    ("gamma", {"k": 2.5, "theta": 0.3}, stats.gamma(2.5, scale=0.3)),
    ("gamma", {"k": 0.4, "theta": 2.0}, stats.gamma(0.4, scale=2.0)),   # shape < 1: boosted
    ("normal_clipped", {"mu": 0.0, "sigma": 1.0, "low": -0.5, "high": 2.0},
     stats.truncnorm(-0.5, 2.0)),
]


@pytest.mark.parametrize("name, parameters, reference", _CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(_CASES)])
def test_distributions_follow_their_distribution_functions(name, parameters, reference):
    key = philox.stream_key(11, 0, name)
    n = 40_000
    values = philox.draw(key, name, parameters, np.arange(n) % 200, np.arange(n) // 200)
    assert stats.kstest(values, reference.cdf).pvalue > 1e-3


def test_discrete_and_clipped_to_boundary():
    """uniform_int: each of [low, high) equally often (chi-square p > 1e-3; high excluded, as
    NumPy's integers).  normal_clipped_to_boundary: the mass beyond a bound sits on it
    (fraction at ``high`` = 1 - Phi(1) = 0.159; binomial sd 0.0018 for 40 000, 5 sd)."""
    key = philox.stream_key(2, 0, "x")
    n = 40_000
    s, i = np.arange(n) % 100, np.arange(n) // 100
    ints = philox.draw(key, "uniform_int", {"low": 3, "high": 9}, s, i)
    assert ints.min() == 3 and ints.max() == 8
    assert stats.chisquare(np.bincount(ints - 3)).pvalue > 1e-3
    clipped = philox.draw(key, "normal_clipped_to_boundary",
                          {"mu": 0.0, "sigma": 1.0, "low": -5.0, "high": 1.0}, s, i)
    assert clipped.max() == 1.0
    assert abs(np.mean(clipped == 1.0) - stats.norm.sf(1.0)) < 5 * 0.0018


@pytest.mark.parametrize("name, parameters, fragment", [
    ("gamma", {"k": 0.0, "theta": 1.0}, "shape k > 0"),
    ("gamma", {"k": -0.5, "theta": 1.0}, "shape k > 0"),
    ("uniform_int", {"low": 3, "high": 3}, "high > low"),
    ("normal", {"mu": 0.0, "sigma": -1.0}, "sigma >= 0"),
])
def test_parameters_without_a_distribution_are_refused(name, parameters, fragment):
    """Where NumPy raises (or would draw nonsense: a gamma of shape <= 0), so do we, naming
    the distribution, the values and what is allowed."""
    with pytest.raises(errors.InvalidParameterValueError, match=fragment):
        philox.draw(philox.stream_key(0, 0), name, parameters, [0, 1], [0, 0])


def test_distributions_without_a_counter_draw_are_refused():
    with pytest.raises(errors.InvalidParameterValueError, match="poisson.*gamma"):
        philox.draw(philox.stream_key(0, 0), "poisson", {"lambda_": 2.0}, [0], [0])
    with pytest.raises(errors.InvalidParameterValueError, match="after 1000 redraws|redraws"):
        philox.draw(philox.stream_key(0, 0), "normal_clipped",
                    {"mu": 0.0, "sigma": 1.0, "low": 50.0, "high": 51.0}, [0], [0])
