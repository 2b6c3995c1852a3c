"""Injected currents (DC, AC, step, noise) computed on the device each step.

All sources of the network share one table (``ElectrodeData``) and all (source, cell)
injection pairs another.  In step ``k`` (from ``t_k`` to ``t_{k+1}``) a source is active
when ``start <= k < stop`` (steps rounded from PyNN's ms), so a current switched on at ``t``
first changes ``v`` at ``t + dt`` (PyNN test_ticket226).

* DC:    ``amplitude``
* AC:    ``offset + amplitude sin(omega (k - start) + phase)``
* step:  the amplitude of the last change at or before ``k``, 0 before the first
* noise: ``mean + stdev N(0,1)``, a fresh independent value per target cell every
  ``noise_every`` steps from ``start`` (NEST's ``noise_generator`` also draws per target).
* pulse train (DBS): with ``r = (k - start) % period``, ``amplitude`` for ``r < width1``,
  ``amplitude2`` for ``width1 + gap <= r < width1 + gap + width2``, else 0 -- monophasic
  (``width2 = 0``) or charge-balanced biphasic pulses, resolved to the step.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from .spec import ElectrodeData, ElectrodeSpec

__all__ = ["source_amplitudes", "noise", "injected", "recorded_amplitudes"]


def source_amplitudes(spec: ElectrodeSpec, e: ElectrodeData, k, dtype):
    """Deterministic amplitude of every source in step ``k`` (noise: its mean), [S]."""
    active = (k >= e.start) & (k < e.stop)
    rel = (k - e.start).astype(dtype)
    ac = e.offset + e.amplitude * jnp.sin(e.omega * rel + e.phase)
    if spec.step_table:
        n_changed = jnp.sum(e.step_times <= k, axis=1)
        step_amp = jnp.where(n_changed > 0,
                             jnp.take_along_axis(e.step_amps, jnp.maximum(n_changed - 1, 0)[:, None],
                                                 axis=1)[:, 0], 0.0)
    else:
        step_amp = jnp.zeros_like(e.amplitude)
    r = (k - e.start) % jnp.maximum(e.period, 1)
    second = (r >= e.width1 + e.gap) & (r < e.width1 + e.gap + e.width2)
    pulse = jnp.where(r < e.width1, e.amplitude, jnp.where(second, e.amplitude2, 0.0))
    amp = jnp.select([e.kind == 0, e.kind == 1, e.kind == 2, e.kind == 4],
                     [e.amplitude, ac, step_amp, pulse], e.mean)
    # step sources are defined by their table alone; the others by start/stop
    return jnp.where((e.kind == 2) | active, amp, 0.0).astype(dtype)


def noise(e: ElectrodeData, src, gid, k, dtype):
    """Noise term of each (source, target) pair for step ``k``; 0 when inactive or not noise.

    The draw depends only on (seed, source, global cell id, interval), so it is the same
    whatever the chunking of the run.
    """
    active = (k >= e.start[src]) & (k < e.stop[src]) & (e.kind[src] == 3)
    interval = (k - e.start[src]) // jnp.maximum(e.noise_every[src], 1)

    def draw(s, c, i):
        key = jax.random.fold_in(jax.random.fold_in(jax.random.fold_in(e.key, s), c), i)
        return jax.random.normal(key, (), dtype)

    z = jax.vmap(draw)(src, gid, interval)
    return jnp.where(active, e.stdev[src] * z, 0.0)


def injected(spec: ElectrodeSpec, e: ElectrodeData, amps, k, dtype):
    """Total injected current (nA) in step ``k`` into every cell of the populations that some
    source targets, those populations' cells concatenated in population order
    (``spec.targets``).  All (source, cell) pairs of the network in one table: one copy of the
    code (noise draws included), whatever the number of populations."""
    value = amps[e.pair_source]
    if spec.noise:
        value = value + noise(e, e.pair_source, e.pair_gid, k, dtype)
    return jnp.zeros(spec.n_target_cells, dtype).at[e.pair_cell].add(value)


def recorded_amplitudes(spec: ElectrodeSpec, e: ElectrodeData, amps, k, dtype):
    """What ``source.record()`` sees: the amplitude, for noise the value at the first target."""
    if not spec.noise:
        return amps
    src = jnp.arange(amps.shape[0], dtype=jnp.int32)
    return amps + noise(e, src, e.record_gid, k, dtype)
