"""Synaptic conductance time courses shared by the conductance-based kernels.

Exponential:  dg/dt = -g/tau,             spike of weight w (uS): g += w
Alpha:        dg/dt = D - g/tau, dD/dt = -D/tau,  spike: D += e w / tau  (peak w at t = tau)

Both are linear, so their values inside a step are known exactly: the membrane equation is then
integrated with RK4 (``integrators.rk4``) using the exact conductance at the stage times 0, dt/2,
dt.
"""
from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp

__all__ = ["SynCoeffs", "syn_coeffs", "profile", "advance"]


class SynCoeffs(NamedTuple):
    tau: jnp.ndarray    # ms
    half: jnp.ndarray   # exp(-dt/(2 tau))
    full: jnp.ndarray   # exp(-dt/tau)
    jump: jnp.ndarray   # increment of the state per uS of weight (1, or e/tau for alpha)
    dt: jnp.ndarray


def syn_coeffs(tau, dt, alpha: bool) -> SynCoeffs:
    jump = jnp.e / tau if alpha else jnp.ones_like(tau)
    return SynCoeffs(tau=tau, half=jnp.exp(-0.5 * dt / tau), full=jnp.exp(-dt / tau), jump=jump,
                     dt=jnp.asarray(dt, dtype=jnp.result_type(tau)))


def profile(c: SynCoeffs, g, dg=None):
    """Conductance at 0, dt/2 and dt into the step (``dg`` is the alpha state, or None)."""
    if dg is None:
        return g, c.half * g, c.full * g
    return g, c.half * (g + 0.5 * c.dt * dg), c.full * (g + c.dt * dg)


def advance(c: SynCoeffs, g, dg, weight):
    """State at the end of the step, with the spikes of total ``weight`` arriving then."""
    if dg is None:
        return c.full * g + weight, None
    return c.full * (g + c.dt * dg), c.full * dg + c.jump * weight

