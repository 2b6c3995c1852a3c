"""Target-by-target connection draws (``pynn_cbgtc_jax/column_draws.py``).

References: the distributions the connectors promise -- independent Bernoulli(p) pairs
(binomial in-degrees), uniform sources with replacement, uniformly random subsets without --
checked by their moments and chi-square (deterministic keys: a sound sampler passes p > 1e-3
for all but one key in a thousand); and the property the processes rely on: drawing some
columns gives exactly those columns of the whole draw.
"""
import numpy as np
import pytest
from scipy import stats

from pynn_cbgtc_jax import column_draws
from pynn_cbgtc_jax.philox import stream_key

KEY = stream_key(5, 0, "connections")


def test_bernoulli_columns_are_independent_bernoulli_trials():
    """4000 columns of 300 trials at p = 0.1: in-degrees Binomial(300, 0.1) (mean 30 within
    5 sd of the mean, sd 0.087; variance 27 within 10 %: its sd is about 2.2 %), every source
    equally likely (chi-square), adjacent sources independent (both connected with frequency
    p**2 = 0.01, sd 0.00016)."""
    pre, post = column_draws.bernoulli_columns(KEY, np.arange(4000), 300, 0.1)
    assert np.all(np.diff(post) >= 0)
    same = np.diff(post) == 0
    assert np.all(np.diff(pre)[same] > 0)                    # ascending in each column
    degree = np.bincount(post, minlength=4000)
    assert abs(degree.mean() - 30.0) < 5 * np.sqrt(27.0 / 4000)
    assert abs(degree.var() / 27.0 - 1.0) < 0.1
    assert stats.chisquare(np.bincount(pre, minlength=300)).pvalue > 1e-3
    hits = np.zeros((4000, 300), bool)
    hits[post, pre] = True
    assert abs((hits[:, 1:] & hits[:, :-1]).mean() - 0.01) < 5 * 0.00016
    # limits
    assert column_draws.bernoulli_columns(KEY, np.arange(5), 10, 0.0)[0].size == 0
    pre, post = column_draws.bernoulli_columns(KEY, np.array([2, 4]), 3, 1.0)
    np.testing.assert_array_equal(pre, [0, 1, 2, 0, 1, 2])
    np.testing.assert_array_equal(post, [2, 2, 2, 4, 4, 4])


def test_bernoulli_passes_do_not_change_the_draw(monkeypatch):
    """Columns still short of n_pre after a pass continue their own stream: with two draws a
    pass (hundreds of passes) the synapses are those of the usual single pass."""
    whole = column_draws.bernoulli_columns(KEY, np.arange(300), 500, 0.2)
    monkeypatch.setattr(column_draws, "_per_pass", lambda n_pre, p: 2)
    for got, want in zip(column_draws.bernoulli_columns(KEY, np.arange(300), 500, 0.2), whole):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("draw", ["bernoulli", "picks", "picks_without", "map"])
def test_some_columns_are_those_columns_of_the_whole_draw(draw):
    """What a process draws for its own targets (every third column here, as cells are dealt
    round-robin) equals those targets' synapses when one process draws them all."""
    columns = np.arange(600)
    mine = columns[1::3]
    counts = 3 + columns % 7
    if draw == "bernoulli":
        def run(cols):
            return column_draws.bernoulli_columns(KEY, cols, 250, 0.05)
    elif draw == "map":
        p = np.linspace(0.0, 1.0, 80)[None, :]

        def run(cols):
            return column_draws.map_columns(KEY, cols, 80, lambda block: p)
    else:
        def run(cols):
            pre = column_draws.pick_columns(KEY, cols, counts[cols], 9, cols % 10,
                                            draw == "picks")
            return pre, np.repeat(cols, counts[cols])
    pre, post = run(columns)
    kept = np.isin(post, mine)
    got = run(mine)
    np.testing.assert_array_equal(got[0], pre[kept])
    np.testing.assert_array_equal(got[1], post[kept])


def test_picks_with_replacement_are_uniform_over_the_allowed_sources():
    """Each column picks 50 sources among 20 allowed (21 cells less its own): every allowed
    source equally often (chi-square per skip class), never its own cell."""
    columns = np.arange(3000)
    skip = columns % 21
    pre = column_draws.pick_columns(KEY, columns, np.full(3000, 50), 20, skip, True)
    owner = np.repeat(columns, 50)
    assert not np.any(pre == skip[owner]) and pre.min() == 0 and pre.max() == 20
    for s in (0, 7, 20):
        counts = np.bincount(pre[skip[owner] == s], minlength=21)
        assert counts[s] == 0
        assert stats.chisquare(np.delete(counts, s)).pvalue > 1e-3


@pytest.mark.parametrize("count", [3, 15, 47])
def test_picks_without_replacement_are_random_subsets(count):
    """Without replacement: ``count // 20`` whole sets of the 20 allowed sources, then a
    subset of the remainder with no repeat (3: picks with repeats redrawn; 15: more than half
    the allowed, the smallest keys; 47 = 2 sets + 7) in which every source is equally likely
    (chi-square) and pairs of sources too (each pair in ``r (r - 1) / (20 * 19)`` of the
    subsets; chi-square over the 190 pairs)."""
    columns = np.arange(4000)
    pre = column_draws.pick_columns(KEY, columns, np.full(4000, count), 20, -1, False)
    picks = pre.reshape(4000, count)
    full, rest = divmod(count, 20)
    per_value = np.apply_along_axis(np.bincount, 1, picks, minlength=20)
    assert np.all((per_value == full) | (per_value == full + 1))
    assert np.all((per_value == full + 1).sum(1) == rest)
    remainder = picks[:, 20 * full:]
    assert stats.chisquare(np.bincount(remainder.ravel(), minlength=20)).pvalue > 1e-3
    if rest >= 2:
        chosen = per_value == full + 1
        pairs = (chosen[:, :, None] & chosen[:, None, :])[:, *np.triu_indices(20, 1)].sum(0)
        assert stats.chisquare(pairs).pvalue > 1e-3


def test_map_columns_connects_each_pair_with_its_probability():
    """2000 columns, probabilities 0 ... 1 across 40 sources: each source connected in a
    fraction of the columns within 5 binomial sd of its probability; 0 never, 1 always."""
    p = np.linspace(0.0, 1.0, 40)
    pre, post = column_draws.map_columns(KEY, np.arange(2000), 40, lambda block: p[None, :])
    freq = np.bincount(pre, minlength=40) / 2000
    assert np.all(np.abs(freq - p) <= 5 * np.sqrt(p * (1 - p) / 2000) + 1e-12)
    assert freq[0] == 0.0 and freq[-1] == 1.0
