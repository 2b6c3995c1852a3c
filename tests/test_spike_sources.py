"""Renewal spike sources against their interval distributions.

References: the gamma and shifted-exponential interval distributions (Kolmogorov-Smirnov test,
D < 0.05 with thousands of intervals; the grid discretisation at dt = 0.1 ms shifts the
distribution by at most dt/2, small against intervals of 2-20 ms) and the rate of an
inhomogeneous gamma process in each bin (5 sigma of the spike count).
"""
import numpy as np
import pytest
from pyNN.parameters import Sequence
from scipy.stats import kstest


def _isis(sim, celltype, n, t_stop):
    """Inter-spike intervals of ``n`` independent cells, pooled."""
    src = sim.Population(n, celltype)
    src.record("spikes")
    sim.run(t_stop)
    trains = src.get_data().segments[0].spiketrains
    return np.concatenate([np.diff(np.asarray(st)) for st in trains])


@pytest.mark.parametrize("alpha, beta", [(2, 1000.0), (4, 200.0), (6, 100.0)])
def test_gamma_intervals(sim, alpha, beta):
    mean_isi = 1000.0 * alpha / beta
    isi = _isis(sim, sim.SpikeSourceGamma(alpha=alpha, beta=beta),
                int(np.ceil(3000 * mean_isi / 20000.0)), 20000.0)
    assert isi.size > 2000
    D, _ = kstest(isi, "gamma", args=(alpha, 0, 1000.0 / beta))
    assert D < 0.05


@pytest.mark.parametrize("rate, tau_refrac", [(100.0, 0.0), (100.0, 5.0), (50.0, 5.0)])
def test_dead_time_intervals(sim, rate, tau_refrac):
    isi = _isis(sim, sim.SpikeSourcePoissonRefractory(rate=rate, tau_refrac=tau_refrac),
                4, 10000.0)
    assert isi.min() >= tau_refrac
    mean_free = 1000.0 / rate - tau_refrac
    D, _ = kstest(isi - tau_refrac, "expon", args=(0, mean_free))
    assert D < 0.05
    # the output rate is `rate` (5 sigma of a renewal count, CV < 1)
    n = isi.size + 4
    assert abs(n - rate * 40.0) < 5 * np.sqrt(rate * 40.0)


def test_inhomogeneous_gamma_rate_per_bin(sim):
    n, t_stop = 50, 2000.0
    celltype = sim.SpikeSourceInhGamma(a=Sequence([2.0, 2.0]), b=Sequence([0.005, 0.025]),
                                       tbins=Sequence([0.0, 1000.0]))
    src = sim.Population(n, celltype)
    src.record("spikes")
    sim.run(t_stop)
    times = np.concatenate([np.asarray(s) for s in src.get_data().segments[0].spiketrains])
    # mean interval a*b: 10 ms (100 Hz), then 50 ms (20 Hz); skip 100 ms after the switch
    for (lo, hi), rate in (((100.0, 1000.0), 100.0), ((1100.0, 2000.0), 20.0)):
        count = np.sum((times > lo) & (times <= hi))
        expected = n * rate * (hi - lo) / 1000.0
        assert abs(count - expected) < 5 * np.sqrt(expected)


def test_sources_start_and_duration(sim):
    src = sim.Population(20, sim.SpikeSourceGamma(alpha=2, beta=400.0, start=50.0, duration=100.0))
    src.record("spikes")
    sim.run(300.0)
    times = np.concatenate([np.asarray(s) for s in src.get_data().segments[0].spiketrains])
    assert times.size > 100 and times.min() > 50.0 and times.max() <= 150.0


def _poisson_draws(rate, max_spikes, steps=4000, dt=0.1, start=0, stop=10 ** 9):
    """Counts [steps, cells] of ``poisson_counts`` for steps 0 .. steps - 1."""
    import jax
    import jax.numpy as jnp
    from pynn_cbgtc_jax.kernels.sources import PoissonParams, poisson_counts
    rate = np.asarray(rate, np.float32)
    p = PoissonParams(jnp.asarray(rate), jnp.full(rate.shape, start, jnp.int32),
                      jnp.full(rate.shape, stop, jnp.int32))
    key = jax.random.key_data(jax.random.key(5))
    draw = jax.jit(jax.vmap(lambda k: poisson_counts(p, jax.random.wrap_key_data(key), k, dt,
                                                     max_spikes)))
    return np.asarray(draw(jnp.arange(steps, dtype=jnp.int32)))


@pytest.mark.parametrize("max_spikes", [0, 256, 4])
def test_poisson_counts_are_independent_poisson_per_cell(max_spikes):
    """The by-total path (one Poisson total split uniformly over the cells, max_spikes 256),
    the per-cell path (max_spikes 0) and the fallback when the total overflows (max_spikes 4)
    must all give independent Poisson(lam) counts per cell and step.

    Reference: the Poisson pmf with lam = rate dt = 0.5 (multiplicities matter): a chi-square
    test over counts 0..3+ (p > 1e-4, 4000 x 40 draws), mean and variance within 5 standard
    errors, and the correlation between cells within 5/sqrt(steps) of 0.
    """
    from scipy.stats import chisquare, poisson
    lam, n_cells, steps = 0.5, 40, 4000
    counts = _poisson_draws(np.full(n_cells, lam / 0.1 * 1000.0), max_spikes, steps)
    flat = counts.ravel()
    se = np.sqrt(lam / flat.size)
    assert abs(flat.mean() - lam) < 5 * se
    assert abs(flat.var() - lam) < 5 * np.sqrt(2 * lam ** 2 / flat.size + lam / flat.size)
    observed = np.bincount(np.minimum(flat, 3), minlength=4)
    expected = flat.size * np.r_[poisson.pmf([0, 1, 2], lam), poisson.sf(2, lam)]
    assert chisquare(observed, expected).pvalue > 1e-4
    r = np.corrcoef(counts.T)[np.triu_indices(n_cells, 1)]
    assert np.abs(r).max() < 5 / np.sqrt(steps)


def test_poisson_counts_with_different_rates_per_cell():
    """Cells with different rates each keep their own mean (the per-cell path)."""
    rates = np.array([100.0, 1000.0, 3000.0])
    counts = _poisson_draws(rates, 256, steps=20000)
    lam = rates * 0.1e-3
    np.testing.assert_array_less(np.abs(counts.mean(axis=0) - lam), 5 * np.sqrt(lam / 20000))


def test_poisson_block_counts_per_population():
    """A block of five populations drawn together (``engine/source_blocks.py``): cell by cell
    at lam 0.5, for a few cells at lam 3 (> 2: the 48-term inversion) and at lam 20 (> 12:
    ``jax.random.poisson``), and by total with a bound that holds (256) and one that overflows
    every step (4: those cells fall back to per-cell draws, and so does the block).
    Reference: the Poisson pmf of every population's mean: a chi-square test over the counts
    up to mean + 3 sd and the tail beyond (p > 1e-4), the mean within 5 standard errors over
    4000 steps and the variance equal to the mean (5 standard errors); the cells of different
    populations are uncorrelated (5/sqrt(steps))."""
    import jax
    import jax.numpy as jnp
    from scipy.stats import chisquare, poisson
    from pynn_cbgtc_jax.kernels.sources import PoissonParams, poisson_block_counts
    sizes, steps, dt = (30, 3, 3, 40, 40), 4000, 0.1
    lam = np.repeat([0.5, 3.0, 20.0, 0.5, 0.5], sizes).astype(np.float32)
    p = PoissonParams(jnp.asarray(lam / dt * 1000.0), jnp.zeros(lam.size, jnp.int32),
                      jnp.full(lam.size, 10 ** 9, jnp.int32))
    key = jax.random.key(7)
    draw = jax.jit(jax.vmap(lambda k: poisson_block_counts(p, key, k, dt, ((40, 256), (40, 4)))))
    counts = np.asarray(draw(jnp.arange(steps, dtype=jnp.int32)))
    bounds = np.cumsum((0,) + sizes)
    for a, b in zip(bounds[:-1], bounds[1:]):
        c, mean = counts[:, a:b].ravel(), float(lam[a])
        assert abs(c.mean() - mean) < 5 * np.sqrt(mean / c.size)
        assert abs(c.var() - mean) < 5 * np.sqrt((2 * mean ** 2 + mean) / c.size)
        top = int(mean + 3 * np.sqrt(mean)) + 1
        observed = np.bincount(np.minimum(c, top), minlength=top + 1)
        expected = c.size * np.r_[poisson.pmf(np.arange(top), mean), poisson.sf(top - 1, mean)]
        assert chisquare(observed, expected).pvalue > 1e-4, (mean, observed, expected)
    first = [counts[:, a] for a in bounds[:-1]]
    r = np.corrcoef(first)[np.triu_indices(len(first), 1)]
    assert np.abs(r).max() < 5 / np.sqrt(steps)


def test_poisson_small_means_draw_the_same_bits_in_a_block_with_large_ones():
    """A cell of mean <= 2 gets the same count whether its block takes the usual path or, for
    a cell of mean 3 beside it, the rare one (the same uniforms, the same CDF recursion with
    48 terms, capped at 16 for the small means): what keeps an ensemble member bitwise equal
    to its single network when another member's rates are high.  Reference: the same block
    drawn without the high-rate cell (the usual path).  (The cap itself differs from the
    uncapped count with probability < 1e-10 per draw, below what a test can see.)"""
    import jax
    import jax.numpy as jnp
    from pynn_cbgtc_jax.kernels.sources import PoissonParams, poisson_block_counts
    dt, steps = 0.1, 3000
    lam = np.r_[np.linspace(0.05, 2.0, 63), 0.0].astype(np.float32)

    def counts(lam):
        p = PoissonParams(jnp.asarray(lam / dt * 1000.0), jnp.zeros(lam.size, jnp.int32),
                          jnp.full(lam.size, 10 ** 9, jnp.int32))
        draw = jax.jit(jax.vmap(lambda k: poisson_block_counts(p, jax.random.key(3), k, dt)))
        return np.asarray(draw(jnp.arange(steps, dtype=jnp.int32)))

    usual = counts(lam)
    mixed = counts(np.r_[lam[:-1], 3.0].astype(np.float32))
    np.testing.assert_array_equal(mixed[:, :-1], usual[:, :-1])
    assert mixed[:, -1].mean() > 2.5


@pytest.mark.parametrize("n", [1, 7, 1600, 65536, 70001, 2 ** 31 - 1])
def test_uniform_index_is_the_high_word_of_the_product(n):
    """Reference: floor(r n / 2**32) computed with NumPy's 64-bit integers."""
    import jax.numpy as jnp
    from pynn_cbgtc_jax.kernels.sources import _uniform_index
    r = np.random.default_rng(1).integers(0, 2 ** 32, 20000, dtype=np.uint64)
    got = np.asarray(_uniform_index(jnp.asarray(r.astype(np.uint32)), n))
    np.testing.assert_array_equal(got, (r * np.uint64(n)) >> np.uint64(32))


def test_poisson_rate_set_does_not_recompile(sim):
    """Contract: set() never recompiles.  The by-total path's bound comes from the rates of
    the first build; after a 10x rate increase the source falls back to per-cell draws.
    Reference: the mean count, 5 standard errors (2000 cells x 1000 steps)."""
    from pynn_cbgtc_jax.engine.runner import TRACE_COUNT
    src = sim.Population(2000, sim.SpikeSourcePoisson(rate=20.0))
    src.record("spikes")
    sim.run(100.0)
    before = TRACE_COUNT["chunk"]
    src.set(rate=200.0)
    sim.run(100.0)
    assert TRACE_COUNT["chunk"] == before
    trains = src.get_data().segments[0].spiketrains
    n = sum(int(np.sum(np.asarray(t) > 100.0)) for t in trains)
    expected = 2000 * 200.0 * 0.1
    assert abs(n - expected) < 5 * np.sqrt(expected)
