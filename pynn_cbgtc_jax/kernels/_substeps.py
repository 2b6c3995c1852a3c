"""RK4 on equal substeps with exponentially decaying conductances known exactly.

Used by kernels whose membrane equation is too stiff for one RK4 step per ``dt`` (the
Hodgkin–Huxley upstroke, a large relative-refractory conductance).  The number of substeps is a
static Python int, so the loop is unrolled into the compiled step: a loop whose trip count
depended on the traced ``dt`` would become an XLA while loop, which synchronises with the host on
every iteration on a GPU.
"""
from __future__ import annotations

import jax.numpy as jnp

from .conductance import rk4

__all__ = ["decay_factors", "rk4_substeps"]


def decay_factors(taus, h):
    """``(exp(-h/(2 tau)), exp(-h/tau))`` for each time constant in ``taus`` (substep ``h``)."""
    return (tuple(jnp.exp(-0.5 * h / tau) for tau in taus),
            tuple(jnp.exp(-h / tau) for tau in taus))


def rk4_substeps(f, y, g, factors, h, n: int):
    """``n`` classical RK4 substeps of length ``h`` of ``dy/dt = f(y, g(t))``.

    Parameters
    ----------
    f : callable ``(y, g) -> dy/dt``
        ``y`` and ``g`` are tuples of arrays.
    y : tuple
        State at the start of the step.
    g : tuple
        Conductances at the start of the step; each decays as ``exp(-t/tau)`` (exactly).
    factors : ``decay_factors(taus, h)``
    h : step of one substep (ms).
    n : static number of substeps.

    Returns
    -------
    y, g : the state and the conductances after ``n h``.
    """
    half, full = factors
    for _ in range(n):
        g_half = tuple(a * x for a, x in zip(half, g))
        g_full = tuple(a * x for a, x in zip(full, g))
        y = rk4(f, y, h, (g, g_half, g_full))
        g = g_full
    return y, g
