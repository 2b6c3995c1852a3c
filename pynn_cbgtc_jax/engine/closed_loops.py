"""Closed loops inside the step (``cbgtc/closed_loop.py`` is the user's side): the LFP history,
the controller calls and the source amplitudes they scale.

After step ``k`` the states are those of ``t_{k+1}``; the loop then

* appends its LFP probe's value to its history when ``k + 1`` is a multiple of ``every`` (the
  samples of ``t = 0, every dt, 2 every dt, ...``, as the LFP recorded and decimated);
* when ``k + 1 = start + j period``, computes the biomarker of the history
  (``cbgtc.biomarkers.beta_arv``) and the controller's new output, in a ``lax.cond`` whose
  predicate depends on the step alone (shared by an ensemble's members, so it stays a branch
  under ``vmap``);
* the output scales its source's amplitude from step ``k + 1`` on (``scale_sources``).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from ..cbgtc.biomarkers import beta_arv
from .spec import LoopCarry

__all__ = ["scale_sources", "advance_loops", "initial_loops"]


def scale_sources(spec, control, amps):
    """The source amplitudes ``amps`` [S] with each loop's source scaled by its output."""
    for loop, c in zip(spec.loops, control):
        amps = amps.at[loop.source].multiply(c.output.astype(amps.dtype))
    return amps


def advance_loops(spec, params, control, probe_values, k):
    """Every loop's carry after step ``k`` (``probe_values``: the probes at ``t_{k+1}``;
    ``params``: each controller's numbers, ``NetData.loops``)."""
    t = k + 1
    new = []
    for loop, p, c in zip(spec.loops, params, control):
        x = probe_values[loop.probe].astype(c.history.dtype)
        shifted = jnp.concatenate([c.history[1:], x[None]])
        history = jnp.where(t % loop.every == 0, shifted, c.history)
        c = c._replace(history=history)

        def call(c, loop=loop, p=p):
            y = beta_arv(c.history, fs=loop.fs)
            state, u = loop.controller.update(p, c.controller, y)
            dtype = c.output.dtype
            return LoopCarry(c.history, jnp.asarray(u, dtype), jnp.asarray(y, dtype),
                             jax.tree_util.tree_map(lambda a, b: jnp.asarray(a, b.dtype),
                                                    state, c.controller))

        due = (t >= loop.start) & ((t - loop.start) % loop.period == 0)
        new.append(jax.lax.cond(due, call, lambda c: c, c))
    return tuple(new)


def initial_loops(spec, first_samples, dtype):
    """The loops' carry at a run's start: the history zero but for the t = 0 sample of its
    LFP (``first_samples[probe]``), output 0 (no stimulation before the first call)."""
    out = []
    for loop in spec.loops:
        history = jnp.zeros(loop.history, dtype).at[-1].set(first_samples[loop.probe])
        zero = jnp.zeros((), dtype)
        out.append(LoopCarry(history, zero, zero, loop.controller.initial_state(dtype)))
    return tuple(out)
