"""Spike-timing-dependent rules and the postsynaptic spike histories they read.

* ``stdp``        -- PyNN STDPMechanism + SpikePairRule as NEST's ``stdp_synapse``
  (all-to-all pairing; the post spike reaches the synapse after the full delay,
  dendritic_delay_fraction = 1): at a presynaptic spike at t, first facilitation for every
  postsynaptic spike t_p in (t_last - d, t - d] with the presynaptic trace
  K+ exp((t_last - t_p - d)/tau_plus), then depression with the postsynaptic trace at t - d;
  the new weight is delivered.  Weight dependences (NEST's mu_plus/mu_minus): additive (0, 0),
  multiplicative (1, 1), additive potentiation/multiplicative depression (0, 1), Gutig (mu+, mu-):
  w' = w + A+ w_max (1 - w/w_max)^mu+ K  and  w' = w - A- w_max (w/w_max)^mu- K,
  clipped to [w_min, w_max].
* ``vogels2011``  -- PyNN Vogels2011Rule (Vogels et al. 2011, Science 334:1569), same
  lazy bookkeeping: each postsynaptic spike adds eta x_pre, each presynaptic spike adds
  eta (x_post - 2 rho tau / 1000), clipped to [w_min, w_max].

Postsynaptic spikes are kept, as in NEST's archiving nodes, as a per-cell history of the last
``HISTORY`` spike times with the postsynaptic trace K- just after each (the trace decays with
the cell's tau_minus, or tau for Vogels2011).  Facilitation and K-(t) are exact as long as a
cell fires fewer than ``HISTORY`` spikes within one delay plus one presynaptic interval.
Both rules keep the weight itself as state, with the presynaptic trace K+ and the time of the
last presynaptic spike: ``(weight, kplus, t_last)``.
"""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np

__all__ = ["HISTORY", "record_post_spikes", "stdp_on_pre", "vogels_on_pre", "weight_state",
           "set_events"]

HISTORY = 32


def record_post_spikes(hist, counts, t_spike, tau):
    """Shift ``t_spike`` and the new trace value into the history of the cells that spiked.

    ``hist`` = (times [n_cells, HISTORY], traces [n_cells, HISTORY]); ``tau`` [n_cells].
    """
    times, traces = hist
    spiked = counts > 0
    k_new = traces[:, -1] * jnp.exp((times[:, -1] - t_spike) / tau) + 1.0
    col = jnp.full((times.shape[0], 1), t_spike, times.dtype)
    new_times = jnp.concatenate([times[:, 1:], col], axis=1)
    new_traces = jnp.concatenate([traces[:, 1:], k_new[:, None]], axis=1)
    return (jnp.where(spiked[:, None], new_times, times),
            jnp.where(spiked[:, None], new_traces, traces))


def _trace(times, traces, t, tau):
    """The postsynaptic trace at ``t`` from the last spike strictly before ``t`` (NEST's
    ``get_K_value``), per event; 0 if there is none."""
    before = times < t[:, None] - 1e-6
    last = jnp.sum(before, axis=1) - 1                          # histories are sorted by time
    safe = jnp.maximum(last, 0)
    t_p = jnp.take_along_axis(times, safe[:, None], axis=1)[:, 0]
    k_p = jnp.take_along_axis(traces, safe[:, None], axis=1)[:, 0]
    return jnp.where(last >= 0, k_p * jnp.exp((t_p - t) / tau), 0.0)


def set_events(arr, syn, valid, values):
    """Write ``values`` at ``syn`` for valid events (invalid ones are dropped)."""
    return arr.at[jnp.where(valid, syn, arr.shape[0])].set(values, mode="drop")


def weight_state(weight, rule_params, given, dtype):
    """Initial ``(weight, kplus, t_last)``: the weight, no presynaptic trace, no spike yet."""
    zeros = np.zeros(weight.shape[0], dtype)
    return (np.asarray(weight, dtype), zeros.copy(), zeros.copy())


def _events(syn, delay, state, post, hist, dt):
    w_state, kplus_state, tlast_state = state
    w = w_state[syn]
    kplus, t_last = kplus_state[syn], tlast_state[syn]
    d = delay[syn].astype(w.dtype) * dt
    rows, row_traces = hist[0][post[syn]], hist[1][post[syn]]   # [E, HISTORY]
    return w, kplus, t_last, d, rows, row_traces


def _finish(syn, mult, valid, state, w, kplus, t_last, t, tau_pre):
    w_state, kplus_state, tlast_state = state
    kplus = kplus * jnp.exp((t_last - t) / tau_pre) + 1.0
    new = (set_events(w_state, syn, valid, w), set_events(kplus_state, syn, valid, kplus),
           set_events(tlast_state, syn, valid, jnp.full_like(w, t)))
    return w * mult, new


def stdp_on_pre(syn, mult, valid, weight, delay, params, state, post, hist, t, dt, key):
    """SpikePairRule (NEST ``stdp_synapse``); returns (delivered weights [E], new state)."""
    w, kplus, t_last, d, rows, row_traces = _events(syn, delay, state, post, hist, dt)
    w_min, w_max, a_plus, a_minus, tau_plus, tau_minus, mu_plus, mu_minus = (
        a[syn] for a in params)
    for h in range(HISTORY):                                 # chronological order
        t_p = rows[:, h]
        inside = (t_p > t_last - d) & (t_p <= t - d)
        k_eff = kplus * jnp.exp((t_last - t_p - d) / tau_plus)
        grown = w + a_plus * w_max * jnp.power(jnp.maximum(1.0 - w / w_max, 0.0), mu_plus) * k_eff
        w = jnp.where(inside, jnp.minimum(grown, w_max), w)
    k_minus = _trace(rows, row_traces, t - d, tau_minus)
    w = w - a_minus * w_max * jnp.power(jnp.maximum(w / w_max, 0.0), mu_minus) * k_minus
    w = jnp.clip(w, w_min, w_max)
    return _finish(syn, mult, valid, state, w, kplus, t_last, t, tau_plus)


def vogels_on_pre(syn, mult, valid, weight, delay, params, state, post, hist, t, dt, key):
    """Vogels2011Rule; returns (delivered weights [E], new state)."""
    w, kplus, t_last, _, rows, row_traces = _events(syn, delay, state, post, hist, dt)
    w_min, w_max, tau, eta, rho = (a[syn] for a in params)
    for h in range(HISTORY):
        t_p = rows[:, h]
        inside = (t_p > t_last) & (t_p <= t)
        w = jnp.where(inside, jnp.clip(w + eta * kplus * jnp.exp((t_last - t_p) / tau),
                                       w_min, w_max), w)
    x_post = _trace(rows, row_traces, jnp.broadcast_to(t, w.shape), tau)
    w = jnp.clip(w + eta * (x_post - 2.0 * rho * tau / 1000.0), w_min, w_max)
    return _finish(syn, mult, valid, state, w, kplus, t_last, t, tau)
