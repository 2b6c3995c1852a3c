"""A ``NativeRNG`` connector's synapses, drawn target cell by target cell from counter-based
streams (``philox.py``).

Each target cell ``j`` (its index in the projection's postsynaptic population, a *column* of
the connection matrix) draws from its own stream ``j`` under the projection's key, so a
column's synapses are the same whichever other columns are drawn: with several processes
each process draws only the columns of its own cells (NEST's scheme: every process stores the
synapses onto its own neurons) and the network is the one a single process draws.  The
functions take the columns to draw (ascending) and return ``(pre, post)`` in post-major
order, each column's sources in draw order.

``tests/test_column_draws.py`` checks each against its distribution (binomial counts, uniform
pair frequencies, no repeats without replacement) and checks that drawing a subset of the
columns gives those columns' synapses of the whole draw.
"""
from __future__ import annotations

import numpy as np

from .philox import stream_uniforms, uniform_pair

__all__ = ["bernoulli_columns", "pick_columns", "map_columns", "column_ranks"]

# uniforms per block of columns: (columns x draws) float64 temporaries of 2 MiB
_BLOCK = 1 << 18


def _column_blocks(columns: np.ndarray, per_column: int):
    """Consecutive slices of ``columns`` holding about ``_BLOCK`` draws each."""
    step = max(1, _BLOCK // max(per_column, 1))
    for s in range(0, columns.size, step):
        yield columns[s:s + step]


def column_ranks(post: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """Each synapse's place among its column's synapses, after the ``seen[j]`` of column
    ``j`` counted before (updated): ``post`` is non-decreasing.  With ``seen`` the synapses
    of all earlier columns, the place among the whole projection's."""
    if post.size == 0:
        return np.zeros(0, np.int64)
    starts = np.flatnonzero(np.r_[True, post[1:] != post[:-1]])
    lengths = np.diff(np.r_[starts, post.size])
    rank = np.arange(post.size) - np.repeat(starts - seen[post[starts]], lengths)
    seen[post[starts]] += lengths
    return rank


def _per_pass(n_pre: int, p: float) -> int:
    """Draws per column and pass: the expected successes plus one standard deviation, even
    (draws come in counter pairs).  About one column in six needs a second pass, which costs
    less than drawing more for all (COBA scale 40's 8M synapses: 0.46 s; 0.63 s with six
    standard deviations and one pass)."""
    mean = n_pre * p
    return int(mean + np.sqrt(mean * (1.0 - p)) + 2) // 2 * 2 + 2


def bernoulli_columns(key, columns: np.ndarray, n_pre: int, p: float):
    """Every pair ``(i, j)``, ``i < n_pre``, ``j`` in ``columns``, an independent
    Bernoulli(``p``) trial: the connected pairs, post-major, ``i`` ascending.

    The gaps between successes are geometric, ``G = 1 + floor(ln(1 - u) / ln(1 - p))``
    (``P(G > g) = (1 - p)**g``), so a column costs O(its synapses), not O(n_pre).  Column
    ``j`` reads draws ``0, 1, 2, ...`` of stream ``j``; a pass draws a little more than the
    expected count per column (``_per_pass``) and draws again for the columns not yet past
    ``n_pre``.
    """
    columns = np.asarray(columns, np.int64)
    empty = np.zeros(0, np.int64)
    if p <= 0.0 or n_pre == 0 or columns.size == 0:
        return empty, empty
    if p >= 1.0:
        return np.tile(np.arange(n_pre), columns.size), np.repeat(columns, n_pre)
    per_pass = _per_pass(n_pre, p)
    log_q = np.log1p(-p)
    pieces_pre, pieces_post = [], []
    for block in _column_blocks(columns, per_pass):
        found_pre, found_post = [], []
        todo = block
        start = np.zeros(block.size, np.int64)         # next draw of each column
        last = np.full(block.size, -1, np.int64)        # its last position so far
        while todo.size:
            u = stream_uniforms(key, todo, start, per_pass)
            gaps = np.floor(np.minimum(np.log1p(-u) / log_q, n_pre)).astype(np.int64) + 1
            position = last[:, None] + np.cumsum(gaps, axis=1)
            row, col = np.nonzero(position < n_pre)     # row-major: column, then ascending
            found_pre.append(position[row, col])
            found_post.append(todo[row])
            more = position[:, -1] < n_pre
            todo, start, last = todo[more], start[more] + per_pass, position[more, -1]
        pre, post = np.concatenate(found_pre), np.concatenate(found_post)
        order = np.argsort(post, kind="stable")         # passes after the first, in place
        pieces_pre.append(pre[order])
        pieces_post.append(post[order])
    return np.concatenate(pieces_pre), np.concatenate(pieces_post)


def _distinct(key, streams, index, n_allowed, picks, round_):
    """Redraw (rounds ``round_``, ``round_ + 1``, ...) the picks that repeat an earlier pick of
    their stream until a stream's picks are distinct: a uniformly random subset (the process
    treats every value alike).  One sort of all picks; later rounds look their few redrawn
    picks up in it."""
    if picks.size == 0:
        return picks
    width = np.int64(int(n_allowed.max(initial=0)) + 1)
    code = streams * width + picks              # streams < 2**32, width < 2**31: no overflow
    order = np.argsort(code, kind="stable")     # equal codes: earlier picks first
    ordered = code[order]
    repeat = np.zeros(picks.size, bool)
    repeat[order[1:]] = ordered[1:] == ordered[:-1]
    taken = [ordered[np.r_[True, ordered[1:] != ordered[:-1]]]]     # sorted, distinct
    bad = np.flatnonzero(repeat)
    while bad.size:
        u, _ = uniform_pair(key, streams[bad], index[bad], round_)
        new = np.floor(u * n_allowed[bad]).astype(np.int64)
        candidate = streams[bad] * width + new
        free = np.ones(bad.size, bool)
        for codes in filter(len, taken):
            at = np.minimum(np.searchsorted(codes, candidate), codes.size - 1)
            free &= codes[at] != candidate
        # among this round's free picks, the first of equal ones wins
        first = np.flatnonzero(free)
        _, unique = np.unique(candidate[first], return_index=True)
        accept = first[unique]
        picks[bad[accept]] = new[accept]
        taken.append(np.sort(candidate[accept]))
        keep = np.ones(bad.size, bool)
        keep[accept] = False
        bad = bad[keep]
        round_ += 1
    return picks


def _ranks(sizes: np.ndarray) -> np.ndarray:
    """``concatenate([arange(n) for n in sizes])``."""
    return np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)


def _smallest_keys(key, columns, n_allowed, rest):
    """For each column, the ``rest[k]`` allowed sources whose uniform keys (draws ``0 ..
    n_allowed[k] - 1`` of its stream) are smallest, in key order: a random subset."""
    pieces = [np.zeros(0, np.int64)]
    width = int(n_allowed.max(initial=0))
    step = max(1, _BLOCK // max(width, 1))
    for s in range(0, columns.size, step):
        block = slice(s, s + step)
        keys = stream_uniforms(key, columns[block], 0, width)
        keys[np.arange(width)[None, :] >= n_allowed[block, None]] = np.inf
        order = np.argsort(keys, axis=1, kind="stable")
        pieces.append(order[np.arange(width)[None, :] < rest[block, None]])
    return np.concatenate(pieces)


def pick_columns(key, columns: np.ndarray, counts: np.ndarray, n_allowed, skip,
                 with_replacement: bool) -> np.ndarray:
    """For each column ``j`` of ``columns``, ``counts[k]`` sources in ``[0, n_allowed[k] +
    (skip[k] >= 0))`` other than ``skip[k]`` (its own cell, or -1 for none): the sources of
    ``np.repeat(columns, counts)``.

    With replacement each is uniform (pick ``r`` of column ``j``: counter ``(r, j)``).
    Without, a column gets ``counts // n_allowed`` whole sets of the allowed sources (PyNN's
    ``FixedNumber*`` rule) and then a uniformly random subset of the remainder: picks drawn
    with replacement and repeats redrawn where the remainder is at most half the allowed
    cells, else the allowed cells with the smallest uniform keys.
    """
    columns = np.asarray(columns, np.int64)
    counts = np.asarray(counts, np.int64)
    n_allowed = np.broadcast_to(np.asarray(n_allowed, np.int64), columns.shape)
    skip = np.broadcast_to(np.asarray(skip, np.int64), columns.shape)
    # blocks of columns of about _BLOCK picks: arrays that stay in cache beat one big pass
    ends = np.searchsorted(np.cumsum(counts), np.arange(_BLOCK, int(counts.sum()), _BLOCK))
    bounds = np.unique(np.r_[0, ends + 1, columns.size].clip(0, columns.size))
    return np.concatenate([np.zeros(0, np.int64)] + [
        _pick_block(key, columns[a:b], counts[a:b], n_allowed[a:b], skip[a:b],
                    with_replacement) for a, b in zip(bounds[:-1], bounds[1:])])


def _pick_block(key, columns, counts, n_allowed, skip, with_replacement):
    if with_replacement:
        full, rest = np.zeros_like(counts), counts
    else:
        full, rest = np.divmod(counts, np.maximum(n_allowed, 1))
    streams = np.repeat(columns, rest)
    allowed = np.repeat(n_allowed, rest)
    index = _ranks(rest)
    u, _ = uniform_pair(key, streams, index)
    picks = np.floor(u * allowed).astype(np.int64)
    if not with_replacement:
        dense = 2 * rest > n_allowed
        if not np.any(dense):
            picks = _distinct(key, streams, index, allowed, picks, 1)
        else:
            in_dense = np.repeat(dense, rest)
            sparse = np.flatnonzero(~in_dense)
            picks[sparse] = _distinct(key, streams[sparse], index[sparse], allowed[sparse],
                                      picks[sparse], 1)
            picks[in_dense] = _smallest_keys(key, columns[dense], n_allowed[dense],
                                             rest[dense])
    if np.any(full):
        # whole sets first, then the remainder, column by column
        sets = full * n_allowed
        whole = _ranks(sets) % np.repeat(np.maximum(n_allowed, 1), sets)
        owner = np.r_[np.repeat(np.arange(columns.size), sets),
                      np.repeat(np.arange(columns.size), rest)]
        picks = np.r_[whole, picks][np.argsort(owner, kind="stable")]
    column_skip = np.repeat(skip, counts)
    return picks + ((column_skip >= 0) & (picks >= column_skip))


def map_columns(key, columns: np.ndarray, n_pre: int, probability):
    """Pair ``(i, j)`` connected where draw ``i`` of stream ``j`` is below its probability:
    ``probability(block)`` gives the ``(block.size, n_pre)`` probabilities (or a number) of
    a block of columns.  The connected pairs, post-major, ``i`` ascending."""
    columns = np.asarray(columns, np.int64)
    pieces_pre, pieces_post = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for block in _column_blocks(columns, n_pre):
        connected = stream_uniforms(key, block, 0, n_pre) < probability(block)
        row, pre = np.nonzero(connected)
        pieces_pre.append(pre)
        pieces_post.append(block[row])
    return np.concatenate(pieces_pre), np.concatenate(pieces_post)
