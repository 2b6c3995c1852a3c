"""How a population's neuron kernel is laid out in the compiled step: its cells as one vector
of at least :data:`MIN_LANES` lanes, an ensemble's members folded into the cells.

A kernel is a pure function of one neuron, ``jax.vmap``-ed over the cells.  Two layouts of the
same cells give the same numbers only if XLA compiles every lane alike, and on a CPU it does
not for short vectors: XLA:CPU (LLVM) unrolls a loop of fewer than 16 elements and vectorises
it differently from a long one (FMA contraction, the scalar tail), so a 10-cell population's
Rubin-Terman step rounds differently from the same 10 cells inside 640 (up to 8e-13 mV in
float64 after 300 steps, 4e-4 mV in float32).  From 16 lanes on, every position of a lane in
the vector gives the same result (measured for the STN and TC kernels in float32 and float64,
vectors of 16 to 10 240 cells).

So :func:`population_step`

* pads a population of fewer than :data:`MIN_LANES` cells with copies of its last cell and
  drops them after the step (the padded lanes cost nothing measurable: a step of so few cells
  is loop overhead), and
* in an ensemble (the chunk ``vmap``-ed over members, :mod:`.runner`), folds the member axis
  into the cell axis with a ``custom_vmap`` rule: ``[members, n] -> [members * n]``, one kernel
  call over every member's cells, reshaped back.  ``vmap``-ed the plain way the kernel ran on
  ``[members, n]`` arrays whose inner loops had the population's length; folded, the
  Rubin-Terman RK4 stages of the CBGTC example (10 cells per nucleus) vectorise over 640
  lanes at 64 members.

Both keep every member bitwise equal to its single run (``tests/test_ensembles.py``): a cell's
arithmetic does not depend on its neighbours, and both layouts have at least 16 lanes.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.custom_batching import custom_vmap

__all__ = ["MIN_LANES", "population_step"]

#: the shortest cell vector a kernel is compiled for (see the module docstring)
MIN_LANES = 16


def _padded(step, *args):
    """``jax.vmap(step)(*args)`` over at least :data:`MIN_LANES` lanes (every leaf of ``args``
    has the cell axis first)."""
    n = jax.tree_util.tree_leaves(args)[0].shape[0]
    if n >= MIN_LANES or n == 0:
        return jax.vmap(step)(*args)

    # copies of the last cell by a gather of constant indices: padding by concatenation
    # (or jnp.pad) sent XLA's compilation of the GIF kernel of one cell into a loop
    lanes = np.minimum(np.arange(MIN_LANES), n - 1)

    def pad(x):
        return x[lanes]

    out = jax.vmap(step)(*jax.tree_util.tree_map(pad, args))
    return jax.tree_util.tree_map(lambda x: x[:n], out)


def population_step(step, *args):
    """``jax.vmap(step)(*args)`` for one population: ``step`` is a kernel of one neuron, every
    leaf of ``args`` has the cell axis first.  Padded to :data:`MIN_LANES` lanes and, under a
    ``vmap`` over ensemble members, with the members folded into the cells."""

    @custom_vmap
    def cells(*args):
        return _padded(step, *args)

    @cells.def_vmap
    def members(m, in_batched, *args):
        def fold(x, batched):
            x = x if batched else jnp.broadcast_to(x, (m,) + x.shape)
            return x.reshape((m * x.shape[1],) + x.shape[2:])

        out = _padded(step, *jax.tree_util.tree_map(fold, args, tuple(in_batched)))
        # explicit sizes: a leaf may have no element (a cell without synapse columns)
        out = jax.tree_util.tree_map(lambda x: x.reshape((m, x.shape[0] // m) + x.shape[1:]),
                                     out)
        return out, jax.tree_util.tree_map(lambda _: True, out)

    return cells(*args)
