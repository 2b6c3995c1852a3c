"""Spike generators, one step at a time, for whole populations.

Generators have no membrane: each step they emit a spike *count* per cell (counts > 1 are
possible for Poisson sources at high rate x dt, as NEST's ``poisson_generator`` sends
multiplicities).  Step ``k`` emits the spikes stamped ``t_{k+1} = (k+1) dt``.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["uniform_cells", "PoissonParams", "poisson_counts", "poisson_block_counts",
           "poisson_max_spikes", "ArrayParams", "array_counts", "GammaParams", "gamma_counts",
           "DeadTimeParams", "dead_time_counts", "InhGammaParams", "inh_gamma_counts"]


class PoissonParams(NamedTuple):
    """SpikeSourcePoisson per cell: rate (Hz) and the active step range [start, stop)."""

    rate: jnp.ndarray
    start_step: jnp.ndarray   # int32: first step k (spike stamp (k+1) dt) that may fire
    stop_step: jnp.ndarray    # int32: first step that may not fire


def poisson_counts(p: PoissonParams, key, k, dt, max_spikes: int = 0):
    """Spike counts for step ``k`` of one population: :func:`poisson_block_counts` of a block
    holding only it, drawn by total when ``max_spikes > 0``."""
    size = p.rate.shape[0]
    return poisson_block_counts(p, key, k, dt,
                                ((size, max_spikes),) if max_spikes > 0 and size else ())


def poisson_block_counts(p: PoissonParams, key, k, dt, by_total: tuple = (),
                         member_axis: str | None = None):
    """Spike counts for step ``k`` of a block of cells: those of several populations,
    concatenated, each Poisson with mean ``rate dt / 1000`` inside its active range.

    The cells of the populations in ``by_total`` (static ``((size, bound), ...)``) come last, in
    that order; the others are drawn cell by cell, with one uniform each and the inverse CDF
    (exact up to a truncation below 1e-10 for means up to 2, with 48 terms and below 1e-13 up to
    12; larger means take ``jax.random.poisson``).  A population drawn by total, when its cells
    share one mean ``lam`` this step and its total ``n ~ Poisson(size lam)`` is at most its
    bound, puts ``n`` spikes on cells picked uniformly with replacement, at a cost that follows
    the spikes instead of the cells: independent Poisson counts per cell and a Poisson total
    split multinomially are the same distribution (Poisson splitting), so this is exact.
    Otherwise (different means, or ``n`` above the bound, chosen at build time so that this has
    probability < 1e-12 at the rates of that time) its cells are drawn one by one.

    The key is ``fold_in(key, k)``, so the draw of a step depends only on the seed and the step
    number: ``run(a + b)`` and ``run(a); run(b)`` see the same spikes.  The whole block is one
    copy of this code in the compiled program, whatever the number of populations, and the
    rare cases (a mean above 2, a population falling back from its total) share one
    conditional per step.

    ``member_axis``: the name of the ``vmap`` axis of an ensemble's members, or None.  Under
    ``vmap`` a conditional whose predicate differs per member runs both branches for every
    member (the rare one holds ``jax.random.poisson``'s two sampling loops: in the CBGTC
    example ensemble, more time than all the usual draws).  With the axis the rare branch is
    taken when some member needs it, by every member; ``rare`` gives a member that does not
    need it the same bits as ``usual`` (the same uniforms, the inverse CDF), so each member
    still draws exactly what its single network draws.
    """
    active = (k >= p.start_step) & (k < p.stop_step)
    lam = jnp.where(active, p.rate * (dt * 1e-3), 0.0)
    n_all = lam.shape[0]
    if n_all == 0:
        return jnp.zeros(0, jnp.int32)
    k_cells, k_exact, k_total, k_pick = jax.random.split(jax.random.fold_in(key, k), 4)
    n_each = n_all - sum(size for size, _ in by_total)
    if by_total:
        picked, ok = _by_total(lam[n_each:], k_total, k_pick, by_total, n_each)
        # per cell: drawn one by one (the leading cells, and those of a population that fell back)
        one_by_one = jnp.concatenate([jnp.ones(n_each, bool),
                                      (~ok)[_population_of(by_total)]])
    else:
        picked, ok, one_by_one = jnp.zeros(n_all, jnp.int32), jnp.ones(0, bool), None

    def usual():
        # written into the by-total counts in place: a concatenation fused the draws of the
        # leading cells into a loop over every cell that XLA:CPU did not vectorise
        # (microcircuit 10 %: 72 us a step for 3457 cells drawn one by one)
        u = uniform_cells(k_cells, n_each, lam.dtype)
        return jax.lax.dynamic_update_slice(picked, _inverse_cdf_poisson(u, lam[:n_each]), (0,))

    def rare():
        # the same uniforms for the leading cells (jax's counter-based bits)
        u = uniform_cells(k_cells, n_all, lam.dtype)
        lam_each = lam if one_by_one is None else jnp.where(one_by_one, lam, 0.0)
        # one inversion with the terms of the larger means; a cell of a small mean keeps the
        # count the usual path gives it (the same recursion, capped at its number of terms)
        wide = _inverse_cdf_poisson(u, lam_each, _MID_TERMS)
        counts = jnp.where(lam_each <= _SMALL_LAMBDA, jnp.minimum(wide, _CDF_TERMS), wide)
        counts = jax.lax.cond(
            _any_member(jnp.max(lam_each, initial=0.0) > _MID_LAMBDA, member_axis),
            lambda: jnp.where(lam_each <= _MID_LAMBDA, counts,
                              jax.random.poisson(k_exact, lam_each).astype(jnp.int32)),
            lambda: counts)
        if one_by_one is None:
            return counts
        return jnp.where(one_by_one, counts, picked)

    slow = (jnp.max(lam[:n_each], initial=0.0) > _SMALL_LAMBDA) | ~jnp.all(ok)
    slow = _any_member(slow, member_axis)
    return jnp.where(active, jax.lax.cond(slow, rare, usual), 0)


def uniform_cells(key, n: int, dtype):
    """``jax.random.uniform(key, (n,), dtype)``, drawn for an even count and cut to ``n``.

    JAX's Threefry bits are a function of each element's index (``jax_threefry_partitionable``,
    JAX's default since 0.5), so the first ``n`` of ``n + 1`` numbers are the ``n`` numbers:
    the same draws.  An odd count costs 2.4x an even one on jax 0.10's unrolled CPU lowering
    (``engine/cpu_rng.py``; 7717 uniforms, one per microcircuit source at 10 % scale: 166 vs
    68 us), the same on jax 0.12 (23 us)."""
    return jax.random.uniform(key, (n + n % 2,), dtype)[:n]


def _any_member(flag, member_axis: str | None):
    """``flag`` (a bool scalar), or'ed over the ensemble's members when ``member_axis`` names
    their ``vmap`` axis: one predicate for all members, so a conditional on it stays one."""
    if member_axis is None:
        return flag
    return jax.lax.psum(flag.astype(jnp.int32), member_axis) > 0


def _all_members(flag, member_axis: str | None):
    """``flag``, and'ed over the ensemble's members (see :func:`_any_member`)."""
    if member_axis is None:
        return flag
    return jax.lax.psum((~flag).astype(jnp.int32), member_axis) == 0


def _by_total(lam, k_total, k_pick, by_total: tuple, first: int):
    """Counts of the populations ``by_total`` (``((size, bound), ...)``, their cells ``lam``
    concatenated) drawn by total, placed after ``first`` zeros (the block's cells drawn one by
    one), and per population whether that draw holds (one mean, total within the bound).  One
    Poisson total per population; one random word per unit of bound, word ``w`` a candidate
    spike of population ``owner[w]``, taken when its slot in that population is below the total."""
    sizes = np.array([size for size, _ in by_total])
    bounds = np.array([bound for _, bound in by_total])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    lam0 = lam[starts]
    same = jnp.stack([jnp.min(lam[a:a + n]) == jnp.max(lam[a:a + n])
                      for a, n in zip(starts, sizes)])
    n = jax.random.poisson(k_total, lam0 * sizes.astype(lam.dtype)).astype(jnp.int32)
    owner = np.repeat(np.arange(len(sizes)), bounds)
    slot = np.arange(owner.size) - np.repeat(np.cumsum(bounds) - bounds, bounds)
    bits = jax.random.bits(k_pick, (owner.size,), jnp.uint32)
    cells = jnp.asarray(first + starts[owner], jnp.int32) + _uniform_index(bits, sizes[owner])
    taken = (slot < n[owner]).astype(jnp.int32)
    counts = jnp.zeros(first + lam.shape[0], jnp.int32).at[cells].add(
        taken, mode="promise_in_bounds")
    return counts, same & (n <= bounds)


def _population_of(by_total: tuple):
    """For each cell of the populations ``by_total`` (``((size, bound), ...)``), the index of
    its population: one comparison per population boundary against an iota, elementwise.
    (``jnp.repeat`` with constant repeats builds its indices by a cumulative sum over all the
    cells, which XLA constant-folds at compile time: ~16 s for the 1M sources of the CBGTC
    benchmark at scale 200 on an H200.)"""
    sizes = [size for size, _ in by_total]
    cell = jax.lax.iota(jnp.int32, int(sum(sizes)))
    return sum(((cell >= int(start)).astype(jnp.int32) for start in np.cumsum(sizes)[:-1]),
               jnp.zeros_like(cell))


def _uniform_index(r, n):
    """``floor(r n / 2**32)`` for uint32 ``r`` (``n`` one bound, or one per element of ``r``): a
    uniform index in ``[0, n)`` from 32 random bits
    (bias below n / 2**32), the high word of the 64-bit product from 16-bit halves (JAX has no
    64-bit integers by default).  ~10 integer operations, against ~4x the bits that
    ``jax.random.randint`` draws."""
    n = jnp.uint32(n)
    rh, rl = r >> 16, r & 0xFFFF
    nh, nl = n >> 16, n & 0xFFFF
    m1 = rh * nl + ((rl * nl) >> 16)
    m2 = rl * nh + (m1 & 0xFFFF)
    return (rh * nh + (m1 >> 16) + (m2 >> 16)).astype(jnp.int32)


def poisson_max_spikes(rates_hz, dt):
    """Bound on one step's spikes of a Poisson population for the by-total path of
    ``poisson_counts``, or 0 where the per-cell path is cheaper.

    The bound is the expected total plus 8 standard deviations (P(Poisson(mu) > mu +
    8 sqrt(mu) + 64) < 1e-12), rounded up to a power of two, so that a ``set()`` of the rates
    rarely changes the compiled program.  The by-total path costs ~10 us per step plus one
    random word per bound; the per-cell path one uniform and a 16-term CDF per cell (measured
    on the CBGTC benchmark's sources: 42 vs 16 us per step for 1600 cells at 1600 Hz, no gain
    below ~1000 cells), so it is used from 1024 cells on and when the bound is at most half
    the cells.
    """
    import numpy as np
    rates = np.asarray(rates_hz, float)
    mu = float(np.sum(rates)) * dt * 1e-3
    bound = int(2 ** int(np.ceil(np.log2(mu + 8.0 * np.sqrt(mu) + 64.0))))
    return bound if rates.size >= 1024 and 2 * bound <= rates.size else 0


_SMALL_LAMBDA = 2.0
_CDF_TERMS = 16   # P(X > 16 | lambda = 2) < 1e-10: the truncation is below any statistical test
_MID_LAMBDA = 12.0
_MID_TERMS = 48   # P(X > 48 | lambda = 12) < 1e-13 (Chernoff: e^-12 (12 e / 48)^48)


def _inverse_cdf_poisson(u, lam, terms: int = _CDF_TERMS):
    """Poisson counts by inverting the CDF at the uniforms ``u``, one per cell (exact up to
    ``terms``; the count is the number of partial sums ``sum_{i<j} e^-lam lam^i / i!``,
    ``j = 1..terms``, below ``u``, so fewer terms give the same count capped at ``terms``).

    jax.random.poisson uses a rejection loop that costs ~5x more on a CPU; for the small means
    of per-step spike counts (rate x dt << 1) the inversion is exact and loop-free.  Means of
    2 to 12 per step (e.g. the microcircuit's background: one source per cell at 8 Hz x 2900
    synapses = 2.3 per 0.1 ms step) take the inversion with 48 terms: 3x the usual path,
    against ~14x for ``jax.random.poisson`` (bench_microcircuit, 10 % scale, K_scale 1).
    """
    term = jnp.exp(-lam)
    cdf = term
    count = jnp.zeros(lam.shape, jnp.int32)
    for j in range(1, terms + 1):
        count = count + (u > cdf).astype(jnp.int32)
        term = term * lam / j
        cdf = cdf + term
    return count


class ArrayParams(NamedTuple):
    """SpikeSourceArray for a population, as one event list sorted by stamp.

    ``stamps`` (int32) are the spike steps ``ceil(t/dt)``, padded at the end with a sentinel
    larger than any run; ``cells`` the cell index of each event (``size`` for padding).
    """

    stamps: jnp.ndarray
    cells: jnp.ndarray


def array_counts(p: ArrayParams, ptr, k, size: int, window: int):
    """Counts for step ``k`` from the events at ``ptr .. ptr + window``; returns (counts, ptr).

    ``window`` (static) is at least the largest number of events sharing one stamp.
    """
    stamps = jax.lax.dynamic_slice(p.stamps, (ptr,), (window,))
    cells = jax.lax.dynamic_slice(p.cells, (ptr,), (window,))
    hit = stamps == k + 1
    counts = jnp.zeros(size + 1, jnp.int32).at[jnp.where(hit, cells, size)].add(1)[:size]
    return counts, ptr + jnp.sum(hit, dtype=jnp.int32)


# -- renewal processes: one uniform per cell and step against the hazard of the current age --
#
# A renewal process with interval survival function S(a) emits a spike in the step that starts
# at age a with probability 1 - S(a + dt) / S(a); the age (in steps) restarts at every spike and
# at ``start``.  This is the exact discretisation of the process on the time grid.

def _gamma_survival_ratio(alpha, rate_per_ms, age_ms, dt):
    """S(a + dt) / S(a) of a gamma interval distribution (shape alpha, rate rate_per_ms)."""
    from jax.scipy.special import gammaincc
    s0 = gammaincc(alpha, rate_per_ms * age_ms)
    s1 = gammaincc(alpha, rate_per_ms * (age_ms + dt))
    # far in the tail the hazard tends to the rate: use it where S underflows
    tail = jnp.exp(-rate_per_ms * dt)
    return jnp.where(s0 > 1e-30, s1 / jnp.where(s0 > 1e-30, s0, 1.0), tail)


def _renewal_step(p_spike, active, age, key, k):
    u = uniform_cells(jax.random.fold_in(key, k), age.shape[0], p_spike.dtype)
    spike = active & (u < p_spike)
    age = jnp.where(spike | ~active, 0, age + 1)
    return spike.astype(jnp.int32), age


class GammaParams(NamedTuple):
    """SpikeSourceGamma: shape alpha, rate beta (Hz; mean interval alpha/beta), active range."""

    alpha: jnp.ndarray
    beta: jnp.ndarray
    start_step: jnp.ndarray
    stop_step: jnp.ndarray


def gamma_counts(p: GammaParams, age, key, k, dt):
    """Spikes of a gamma renewal process for step ``k``; returns (counts, age)."""
    active = (k >= p.start_step) & (k < p.stop_step)
    ratio = _gamma_survival_ratio(p.alpha, p.beta * 1e-3, age * dt, dt)
    return _renewal_step(1.0 - ratio, active, age, key, k)


class DeadTimeParams(NamedTuple):
    """SpikeSourcePoissonRefractory: output rate (Hz) and dead time (ms) after each spike.

    After the dead time the hazard is ``rate / (1 - rate tau_refrac)``, so that the mean rate is
    ``rate`` (NEST's ``ppd_sup_generator``).
    """

    rate: jnp.ndarray
    tau_refrac: jnp.ndarray
    start_step: jnp.ndarray
    stop_step: jnp.ndarray


def dead_time_counts(p: DeadTimeParams, age, key, k, dt):
    active = (k >= p.start_step) & (k < p.stop_step)
    hazard = p.rate * 1e-3 / jnp.maximum(1.0 - p.rate * 1e-3 * p.tau_refrac, 1e-12)
    free = age * dt >= p.tau_refrac - 1e-6 * dt
    return _renewal_step(jnp.where(free, -jnp.expm1(-hazard * dt), 0.0), active, age, key, k)


class InhGammaParams(NamedTuple):
    """SpikeSourceInhGamma: per cell, piecewise-constant shape a and scale b (s) from tbins."""

    a: jnp.ndarray            # [n, B]
    b: jnp.ndarray            # [n, B] seconds
    bin_step: jnp.ndarray     # [n, B] int32 first step of each bin (padded with a sentinel)
    start_step: jnp.ndarray
    stop_step: jnp.ndarray


def inh_gamma_counts(p: InhGammaParams, age, key, k, dt):
    """Inhomogeneous gamma process: the hazard of the current bin's gamma distribution."""
    active = (k >= p.start_step) & (k < p.stop_step)
    j = jnp.maximum(jnp.sum(p.bin_step <= k, axis=-1) - 1, 0)
    a = jnp.take_along_axis(p.a, j[:, None], axis=1)[:, 0]
    b = jnp.take_along_axis(p.b, j[:, None], axis=1)[:, 0]
    ratio = _gamma_survival_ratio(a, 1.0 / (b * 1e3), age * dt, dt)
    return _renewal_step(1.0 - ratio, active, age, key, k)
