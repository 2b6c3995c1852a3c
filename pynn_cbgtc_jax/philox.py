"""Counter-based random numbers: Philox4x32-10 in NumPy, and PyNN's distributions drawn from it.

A counter-based generator maps ``(key, counter)`` to random bits and carries no state: draw
``k`` of stream ``s`` is a function of ``(key, s, k)`` alone, so any subset of the draws can be
computed, in any order, by any process, and equals what one process drawing everything gets.
A ``NativeRNG`` connector uses this to draw the synapses of each target cell from that cell's
own stream, on the process that holds the cell only (``column_draws.py``).

Philox4x32-10 (Salmon, Moraes, Dror & Shaw 2011, "Parallel random numbers: as easy as 1, 2,
3", SC'11; Random123): ten rounds, each two 32 x 32 -> 64-bit products and xors, of a 128-bit
counter under a 64-bit key (bumped by the Weyl constants between rounds).  It passes TestU01's
BigCrush for every key and counter; NEST offers the same generator (``philox_32``).  Our
counter words are ``(index mod 2**32, index // 2**32, stream, round)``: ``stream`` is a target
cell, ``index`` a draw of that cell (a synapse's rank among the cell's synapses, or a
position of a connection search), ``round`` a redraw (rejection samplers) or a second use.
Each counter gives four 32-bit words, two 53-bit uniforms (NumPy's recipe: 27 + 26 bits).

``tests/test_philox.py`` checks the generator against Random123's known-answer vectors and
every distribution against its distribution function (Kolmogorov-Smirnov).
"""
from __future__ import annotations

import zlib

import numpy as np
from pyNN import errors
from pyNN.random import MAX_REDRAWS, available_distributions

__all__ = ["philox4x32", "stream_key", "uniform_pair", "stream_uniforms", "draw",
           "check_distribution", "COUNTER_DISTRIBUTIONS"]

_M0, _M1 = 0xD2511F53, 0xCD9E8D57          # Random123's multipliers
_W0, _W1 = 0x9E3779B9, 0xBB67AE85          # and key increments (golden ratio, sqrt(3) - 1)
_LOW = np.uint64(0xFFFFFFFF)
_32 = np.uint64(32)
# counters per pass: a pass's ~20 uint64 temporaries (2 MiB) stay in cache; 2**18 at once is
# half as fast per counter (2 cores here)
_CHUNK = 1 << 14
_ROUND_BOOST = 0xFFFFFFFF                  # gamma(k < 1)'s extra uniform


def philox4x32(counter, key) -> tuple:
    """Philox4x32-10 of ``counter`` (four arrays of 32-bit values, broadcast together) under
    ``key`` (two 32-bit ints): four uint64 arrays of 32-bit words."""
    shape = np.broadcast_shapes(*(np.shape(c) for c in counter))
    a, b, c, d = (np.array(np.broadcast_to(np.asarray(w, np.uint64), shape)) for w in counter)
    p0, p1 = np.empty(shape, np.uint64), np.empty(shape, np.uint64)
    k0, k1 = int(key[0]) & 0xFFFFFFFF, int(key[1]) & 0xFFFFFFFF
    for _ in range(10):
        np.multiply(a, np.uint64(_M0), out=p0)
        np.multiply(c, np.uint64(_M1), out=p1)
        # (a, b, c, d) <- (hi(p1) ^ b ^ k0, lo(p1), hi(p0) ^ d ^ k1, lo(p0))
        np.right_shift(p1, _32, out=a)
        a ^= b
        a ^= np.uint64(k0)
        np.bitwise_and(p1, _LOW, out=b)
        np.right_shift(p0, _32, out=c)
        c ^= d
        c ^= np.uint64(k1)
        np.bitwise_and(p0, _LOW, out=d)
        k0, k1 = (k0 + _W0) & 0xFFFFFFFF, (k1 + _W1) & 0xFFFFFFFF
    return a, b, c, d


def stream_key(seed: int, *path) -> tuple:
    """The Philox key of the streams named by ``seed`` and ``path`` (ints or strings, e.g. a
    projection's index and a parameter name): two words from NumPy's ``SeedSequence``, so
    nearby seeds and names give unrelated keys."""
    words = [zlib.crc32(p.encode()) if isinstance(p, str) else int(p) for p in path]
    k0, k1 = np.random.SeedSequence([int(seed)] + words).generate_state(2, np.uint32)
    return int(k0), int(k1)


def _unit(hi, lo):
    """Two 32-bit words -> a float64 in [0, 1) with 53 random bits (NumPy's recipe)."""
    return ((hi >> np.uint64(5)).astype(np.float64) * 67108864.0
            + (lo >> np.uint64(6)).astype(np.float64)) / 9007199254740992.0


def uniform_pair(key, stream, index, round_=0) -> tuple:
    """The two uniforms in [0, 1) of counter ``(index, stream, round_)`` under ``key``;
    ``stream`` and ``index`` are broadcast together (int arrays, ``0 <= stream < 2**32``)."""
    stream, index = np.broadcast_arrays(np.asarray(stream, np.int64),
                                        np.asarray(index, np.int64))
    shape = stream.shape
    stream, index = stream.ravel(), index.ravel()
    u, v = np.empty(stream.size), np.empty(stream.size)
    for s in range(0, stream.size, _CHUNK):
        e = min(s + _CHUNK, stream.size)
        i = index[s:e].astype(np.uint64)
        a, b, c, d = philox4x32((i & _LOW, i >> _32, stream[s:e], round_), key)
        u[s:e], v[s:e] = _unit(a, b), _unit(c, d)
    return u.reshape(shape), v.reshape(shape)


def stream_uniforms(key, streams, start, count: int) -> np.ndarray:
    """Draws ``start, start + 1, ..., start + count - 1`` of each of ``streams`` (round 0), as
    a ``(len(streams), count)`` array: draw ``k`` of a stream is half ``k % 2`` of its counter
    ``k // 2``.  ``start`` (an int or one per stream) must be even."""
    streams = np.asarray(streams, np.int64)
    start = np.broadcast_to(np.asarray(start, np.int64), streams.shape)
    if np.any(start % 2):
        raise ValueError("stream_uniforms: start must be even (draws come in counter pairs)")
    half = (count + 1) // 2
    u, v = uniform_pair(key, streams[:, None], start[:, None] // 2 + np.arange(half)[None, :])
    both = np.empty((streams.size, 2 * half))
    both[:, 0::2], both[:, 1::2] = u, v
    return both[:, :count]


# -- distributions, one value per (stream, index) -------------------------------------------
def _normal(key, stream, index, round_=0):
    """Box-Muller's first value: ``sqrt(-2 ln(1 - u)) cos(2 pi v)`` is N(0, 1)."""
    u, v = uniform_pair(key, stream, index, round_)
    return np.sqrt(-2.0 * np.log1p(-u)) * np.cos(2.0 * np.pi * v)


def _normal_clipped(key, stream, index, mu, sigma, low, high):
    # PyNN's rule: values outside [low, high] are drawn again (round t: the t-th redraw)
    values = mu + sigma * _normal(key, stream, index)
    bad = np.flatnonzero((values < low) | (values > high))
    for round_ in range(1, MAX_REDRAWS + 1):
        if bad.size == 0:
            return values
        redrawn = mu + sigma * _normal(key, stream[bad], index[bad], round_)
        values[bad] = redrawn
        bad = bad[(redrawn < low) | (redrawn > high)]
    if bad.size == 0:
        return values
    raise errors.InvalidParameterValueError(
        f"RandomDistribution('normal_clipped', mu={mu}, sigma={sigma}, low={low}, "
        f"high={high}): values still outside [low, high] after {MAX_REDRAWS} redraws; the "
        f"interval holds almost none of the distribution -- widen it or move mu into it.")


def _gamma(key, stream, index, k, theta):
    """Marsaglia & Tsang (2000, ACM TOMS 26:363): for shape ``a >= 1`` with ``d = a - 1/3``,
    ``c = 1 / sqrt(9 d)``, a normal ``x`` and ``v = (1 + c x)**3 > 0`` give ``d v`` when
    ``ln u < x**2 / 2 + d - d v + d ln v``; trial ``t`` takes rounds ``2t`` (x) and ``2t + 1``
    (u).  Shape ``k < 1``: ``gamma(k + 1) * U**(1/k)``, U from round ``_ROUND_BOOST``."""
    a = k + 1.0 if k < 1.0 else k
    d = a - 1.0 / 3.0
    c = 1.0 / np.sqrt(9.0 * d)
    values = np.empty(stream.size)
    todo = np.arange(stream.size)
    trial = 0
    while todo.size:
        if trial > 10_000:        # acceptance is >= 95 % a trial: never reached
            raise RuntimeError("gamma: Marsaglia-Tsang did not accept in 10000 trials")
        x = _normal(key, stream[todo], index[todo], 2 * trial)
        u, _ = uniform_pair(key, stream[todo], index[todo], 2 * trial + 1)
        v = (1.0 + c * x) ** 3
        ok = v > 0
        ok[ok] = np.log1p(-u[ok]) < 0.5 * x[ok] ** 2 + d - d * v[ok] + d * np.log(v[ok])
        values[todo[ok]] = d * v[ok]
        todo = todo[~ok]
        trial += 1
    if k < 1.0:
        u, _ = uniform_pair(key, stream, index, _ROUND_BOOST)
        values *= (1.0 - u) ** (1.0 / k)
    return values * theta


def _uniform_int(key, stream, index, low, high):
    # floor(u (high - low)) with a 53-bit u: each integer's probability is within
    # (high - low) / 2**53 of 1 / (high - low)
    u, _ = uniform_pair(key, stream, index)
    return low + np.floor(u * (high - low)).astype(np.int64)


# PyNN's name -> (key, stream, index, parameters) -> values; parameterisations as NumpyRNG's
_DRAWS = {
    "uniform": lambda key, s, i, p: p["low"] + (p["high"] - p["low"]) * uniform_pair(
        key, s, i)[0],
    "uniform_int": lambda key, s, i, p: _uniform_int(key, s, i, p["low"], p["high"]),
    "normal": lambda key, s, i, p: p["mu"] + p["sigma"] * _normal(key, s, i),
    "lognormal": lambda key, s, i, p: np.exp(p["mu"] + p["sigma"] * _normal(key, s, i)),
    "exponential": lambda key, s, i, p: -p["beta"] * np.log1p(-uniform_pair(key, s, i)[0]),
    "normal_clipped": lambda key, s, i, p: _normal_clipped(key, s, i, p["mu"], p["sigma"],
                                                           p["low"], p["high"]),
    "normal_clipped_to_boundary": lambda key, s, i, p: np.clip(
        p["mu"] + p["sigma"] * _normal(key, s, i), p["low"], p["high"]),
    "gamma": lambda key, s, i, p: _gamma(key, s, i, float(p["k"]), p["theta"]),
}
# drawn per (stream, index); the others (binomial, poisson, vonmises) come from sequential
# NumPy streams
COUNTER_DISTRIBUTIONS = frozenset(_DRAWS)
# parameter values NumPy refuses (or that have no distribution), with what is allowed
_VALID = {
    "uniform_int": (lambda p: p["high"] > p["low"], "high > low (high is excluded)"),
    "normal": (lambda p: p["sigma"] >= 0, "sigma >= 0"),
    "lognormal": (lambda p: p["sigma"] >= 0, "sigma >= 0"),
    "normal_clipped": (lambda p: p["sigma"] >= 0 and p["high"] >= p["low"],
                       "sigma >= 0 and high >= low"),
    "normal_clipped_to_boundary": (lambda p: p["sigma"] >= 0, "sigma >= 0"),
    "exponential": (lambda p: p["beta"] >= 0, "beta (the mean) >= 0"),
    "gamma": (lambda p: p["k"] > 0 and p["theta"] > 0, "shape k > 0 and scale theta > 0"),
}


def check_distribution(distribution: str, parameters: dict, known, how: str) -> None:
    """Refuse a distribution not in ``known`` (drawn ``how``) or parameters other than PyNN's
    names for it (``pyNN.random.available_distributions``)."""
    if distribution not in known:
        raise errors.InvalidParameterValueError(
            f"RandomDistribution({distribution!r}) {how}: the distributions are "
            f"{sorted(known)}.")
    if set(parameters) != set(available_distributions[distribution]):
        raise KeyError(f"RandomDistribution({distribution!r}): parameters "
                       f"{available_distributions[distribution]} expected, got "
                       f"{tuple(parameters)}.")


def draw(key, distribution: str, parameters: dict, stream, index) -> np.ndarray:
    """One value of PyNN's ``distribution`` per ``(stream[k], index[k])`` under ``key``: the
    same value whichever other pairs are drawn with it, in whatever order."""
    check_distribution(distribution, parameters, _DRAWS, "drawn per synapse")
    valid, allowed = _VALID.get(distribution, (lambda p: True, ""))
    if not valid(parameters):
        raise errors.InvalidParameterValueError(
            f"RandomDistribution({distribution!r}, {parameters}): needs {allowed}.")
    stream = np.asarray(stream, np.int64)
    index = np.broadcast_to(np.asarray(index, np.int64), stream.shape)
    return np.asarray(_DRAWS[distribution](key, stream, index, parameters))
