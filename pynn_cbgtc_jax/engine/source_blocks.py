"""Spike sources drawn a kind at a time: the populations of one kind form one block of cells.

The random draws of a ``SpikeSourcePoisson`` population are large once compiled (the inverse
CDF, and ``jax.random.poisson`` for the rare means above 2 per step: ~4,500 optimized HLO
instructions), and a gamma source carries an incomplete gamma function.  Drawn population by
population, every source population repeated that code inside the step loop: each further
Poisson population added ~4,500-5,100 instructions, two while loops and a conditional, and
the eight Poisson populations of the CBGTC benchmark made up ~80 % of its program (issue 18,
``validation/benchmarks/bench_program_size.py``).  Here the populations of one kind are
concatenated along the cell axis, drawn by one call per step with one key, and the counts
(and the ages of renewal sources) are split back per population, so the program holds each
kind's code once, whatever the number of populations.

Random streams: cell ``c`` of a block (populations in creation order; Poisson populations drawn
by total after the others) draws from ``fold_in(key, STREAM + j)``, ``j`` the index of its kind
in ``BLOCK_KINDS``, then ``fold_in(., k)`` for step ``k`` -- the same spikes whatever the
chunking of a run.  ``SpikeSourceArray`` populations stay one call each: they draw nothing
and read a window of their own event list (a few dozen instructions).
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .spike_sources import BLOCK_KINDS, SOURCES

__all__ = ["BLOCK_KINDS", "STREAM", "Block", "source_blocks", "block_params", "block_counts"]

STREAM = 2_000_000          # above population (0 ..) and synapse group (1_000_000 + g) keys


class Block(NamedTuple):
    kind: str
    members: tuple           # population indices, in block order
    sizes: tuple             # their sizes
    static: tuple            # the entry's static block data (Poisson: ((size, bound), ...) of
                             # the last members, drawn by total)


def source_blocks(pops) -> tuple:
    """The blocks of a network's ``PopSpec``s, one per spike-source kind present (static)."""
    blocks = []
    for kind in BLOCK_KINDS:
        members = [i for i, p in enumerate(pops) if p.kind == kind]
        static = ()
        if SOURCES[kind].arrange is not None:
            members, static = SOURCES[kind].arrange(pops, members)
        if members:
            blocks.append(Block(kind, tuple(members), tuple(pops[i].size for i in members),
                                static))
    return tuple(blocks)


def block_params(block: Block, params: tuple):
    """The members' parameters concatenated along the cell axis (once per chunk, not per step),
    padded to one width first where the entry says how (InhGamma tables)."""
    members = [params[i] for i in block.members]
    if SOURCES[block.kind].pad is not None:
        members = SOURCES[block.kind].pad(members)
    return jax.tree_util.tree_map(lambda *x: jnp.concatenate(x), *members)


def block_counts(block: Block, params, states: tuple, key, k, dt,
                 member_axis: str | None = None):
    """Spike counts of step ``k`` of the block, split per member.

    ``params`` from :func:`block_params`; ``states`` the carry's per-population states;
    ``member_axis`` the name of an ensemble's member axis (``runner.MEMBER_AXIS``) or None.
    Returns ``(counts, states)``, each a tuple in member order (stateless sources: ``()``).
    """
    source = SOURCES[block.kind]
    key = jax.random.fold_in(key, STREAM + BLOCK_KINDS.index(block.kind))
    cut = np.cumsum(block.sizes)[:-1]
    ages = jnp.concatenate([states[i] for i in block.members]) if source.stateful else None
    counts, ages = source.draw(params, ages, key, k, dt, block.static, member_axis)
    return (tuple(jnp.split(counts, cut)),
            tuple(() for _ in block.members) if ages is None else tuple(jnp.split(ages, cut)))
