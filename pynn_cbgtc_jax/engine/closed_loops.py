"""Closed loops inside the step (``cbgtc/closed_loop.py`` is the user's side): the LFP history,
the controller calls and the source amplitudes they scale.

After step ``k`` the states are those of ``t_{k+1}``; the loop then

* appends its LFP probe's value to its history when ``k + 1`` is a multiple of ``every`` (the
  samples of ``t = 0, every dt, 2 every dt, ...``, as the LFP recorded and decimated);
* when ``k + 1 = start + j period``, computes the biomarker of the history
  (``cbgtc.biomarkers.beta_arv``) and the controller's new output, in a ``lax.cond`` whose
  predicate depends on the step alone (shared by an ensemble's members, so it stays a branch
  under ``vmap``);
* the output scales its source's amplitude from step ``k + 1`` on (and switches on each
  recruited source whose threshold it reaches), or (a frequency loop)
  sets the rate of its source's pulses: the next onset comes one new period after the last
  (never before the call; 0 Hz: none), one pulse of the source's shape per onset, and one of
  each recruited source's own shape while the output reaches its threshold
  (``modulate_sources``).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ..cbgtc.biomarkers import beta_arv
from .spec import LoopCarry

__all__ = ["modulate_sources", "advance_loops", "initial_loops", "NEVER"]


NEVER = 2 ** 31 - 1      # a step that never comes
_LONG_AGO = -(2 ** 30)    # the last onset before any pulse: far outside every pulse


def modulate_sources(spec, control, amps, e, k):
    """The source amplitudes ``amps`` [S] of step ``k`` as the loops set them: an amplitude
    loop's source scaled by its output; a frequency loop's source (a pulse train, ``e`` its
    table) one pulse of its shape from each onset the loop schedules (``advance_loops``)."""
    for loop, c in zip(spec.loops, control):
        j = loop.source
        # the recruited sources as one indexed update (Fleming's GPe: 100 sources)
        recruits = np.array([s for s, _ in loop.recruits], np.int32)
        # thresholds in the output's dtype, as a Python number compared with it would be
        on = c.output >= jnp.asarray([t for _, t in loop.recruits], c.output.dtype)
        if loop.target == "amplitude":
            amps = amps.at[j].multiply(c.output.astype(amps.dtype))
            if recruits.size:
                amps = amps.at[recruits].multiply(on.astype(amps.dtype))
            continue
        amps = amps.at[j].set(_pulse(e, j, k, c.last_onset).astype(amps.dtype))
        if recruits.size:
            amps = amps.at[recruits].set(
                jnp.where(on, _pulse(e, recruits, k, c.last_onset), 0.0).astype(amps.dtype))
    return amps


def _pulse(e, j, k, onset):
    """Source ``j``'s current in step ``k`` (``j`` an index, or an array of them) from one
    pulse of its shape (``e`` its table: widths, gap, amplitudes) starting at step ``onset``;
    0 outside its start/stop window."""
    f = e.fields
    r = k - onset
    first = (r >= 0) & (r < f["width1"][j])
    gap_end = f["width1"][j] + f["gap"][j]
    second = (r >= gap_end) & (r < gap_end + f["width2"][j])
    value = jnp.where(first, f["amplitude"][j], jnp.where(second, f["amplitude2"][j], 0.0))
    active = (k >= e.start[j]) & (k < e.stop[j])
    return jnp.where(active, value, 0.0)


def _period_steps(frequency, dt):
    """Steps between onsets at ``frequency`` Hz (as DBSSource: rounded, at least 1)."""
    safe = jnp.where(frequency > 0, frequency, 1.0)
    return jnp.maximum(jnp.round(1000.0 / (safe * dt)), 1.0).astype(jnp.int32)


def _schedule(c, t, dt, called):
    """A frequency loop's onsets: after a call the next onset is one new period after the last
    (never before the call; none at 0 Hz); then a pulse starts at ``t`` if one is due."""
    period = _period_steps(c.output, dt)
    after_call = jnp.where(c.output > 0, jnp.maximum(t, c.last_onset + period), NEVER)
    next_onset = jnp.where(called, after_call, c.next_onset)
    due = (c.output > 0) & (t >= next_onset)
    return c._replace(last_onset=jnp.where(due, t, c.last_onset).astype(jnp.int32),
                      next_onset=jnp.where(due, t + period, next_onset).astype(jnp.int32))


def advance_loops(spec, params, control, probe_values, k, dt):
    """Every loop's carry after step ``k`` (``probe_values``: the probes at ``t_{k+1}``;
    ``params``: each controller's numbers, ``NetData.loops``; ``dt`` ms)."""
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
            return c._replace(output=jnp.asarray(u, dtype), biomarker=jnp.asarray(y, dtype),
                              controller=jax.tree_util.tree_map(
                                  lambda a, b: jnp.asarray(a, b.dtype), state, c.controller))

        due = (t >= loop.start) & ((t - loop.start) % loop.period == 0)
        c = jax.lax.cond(due, call, lambda c: c, c)
        if loop.target == "frequency":
            c = _schedule(c, t, dt, due)
        new.append(c)
    return tuple(new)


def initial_loops(spec, first_samples, dtype):
    """The loops' carry at a run's start: the history zero but for the t = 0 sample of its
    LFP (``first_samples[probe]``), output 0 (no stimulation before the first call)."""
    out = []
    for loop in spec.loops:
        history = jnp.zeros(loop.history, dtype).at[-1].set(first_samples[loop.probe])
        zero = jnp.zeros((), dtype)
        out.append(LoopCarry(history, zero, zero, loop.controller.initial_state(dtype),
                             jnp.int32(_LONG_AGO), jnp.int32(NEVER)))
    return tuple(out)
