"""Synapse rules: what happens to a synapse when a spike of its presynaptic cell arrives.

A rule turns the list of synapse events of a step (synapse index, spike multiplicity, valid
flag) into the weights delivered to the ring buffer and updates the per-synapse state.  Each
rule is a pure function of arrays, used by both the event path and the dense path of
``delivery.py`` (so they give the same bits).  Spike times are ``t = stamp * dt`` in ms.

* ``static``            -- PyNN StaticSynapse: the weight.
* ``tsodyks_markram``   -- PyNN TsodyksMarkramSynapse as NEST's ``tsodyks_synapse``
  (Tsodyks, Uziel & Markram 2000, J. Neurosci. 20:RC50): resources x (recovered), y (active,
  decaying with the postsynaptic tau_syn), u (utilisation).  Between spikes, with h the interval:
  u <- u exp(-h/tau_facil); x <- x + Pxy y + (1 - exp(-h/tau_rec)) z; y <- y exp(-h/tau_psc),
  z = 1 - x - y; at the spike u <- u + U(1 - u), delivered weight w u x, then x -= u x, y += u x.
* ``stochastic``        -- PyNN SimpleStochasticSynapse: the weight with probability p.
* ``quantal``           -- PyNN StochasticTsodyksMarkramSynapse as PyNN's NEST extension
  ``stochastic_stp_synapse`` (Loebel et al. 2009, n = 1 site): u <- U + u (1 - U)
  exp(-h/tau_facil); each of the n - a empty sites has recovered with probability
  1 - exp(-h/tau_rec); each of the a full sites releases with probability u; the delivered
  weight is w x (released sites).
* ``multi_quantal``     -- PyNN MultiQuantalSynapse as NEST 3's ``quantal_stp_synapse``: the
  same steps in NEST 3's order -- the a full sites release with probability u first, then u
  and the empty sites are updated over the interval h since the previous spike -- so the
  first spike releases Binomial(a0, u0) of the initial state (``Projection.initialize``).
* ``stdp``              -- PyNN STDPMechanism + SpikePairRule as NEST's ``stdp_synapse``
  (all-to-all pairing; the post spike reaches the synapse after the full delay,
  dendritic_delay_fraction = 1): at a presynaptic spike at t, first facilitation for every
  postsynaptic spike t_p in (t_last - d, t - d] with the presynaptic trace
  K+ exp((t_last - t_p - d)/tau_plus), then depression with the postsynaptic trace at t - d;
  the new weight is delivered.  Weight dependences (NEST's mu_plus/mu_minus): additive (0, 0),
  multiplicative (1, 1), additive potentiation/multiplicative depression (0, 1), Gutig (mu+, mu-):
  w' = w + A+ w_max (1 - w/w_max)^mu+ K  and  w' = w - A- w_max (w/w_max)^mu- K,
  clipped to [w_min, w_max].
* ``vogels2011``        -- PyNN Vogels2011Rule (Vogels et al. 2011, Science 334:1569), same
  lazy bookkeeping: each postsynaptic spike adds eta x_pre, each presynaptic spike adds
  eta (x_post - 2 rho tau / 1000), clipped to [w_min, w_max].

Postsynaptic spikes are kept, as in NEST's archiving nodes, as a per-cell history of the last
``HISTORY`` spike times with the postsynaptic trace K- just after each (the trace decays with
the cell's tau_minus, or tau for Vogels2011).  Facilitation and K-(t) are exact as long as a
cell fires fewer than ``HISTORY`` spikes within one delay plus one presynaptic interval.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

__all__ = ["RULES", "HISTORY", "Rule", "record_post_spikes"]

HISTORY = 32
_OLD = -1e9          # time of a history slot that holds no spike


class Rule(NamedTuple):
    params: tuple        # per-synapse native parameters the rule reads (besides weight, delay)
    state: tuple         # names of the per-synapse state arrays
    plastic_weight: bool  # the weight itself is state (read back by Projection.get)


RULES = {
    "static": Rule((), (), False),
    "tsodyks_markram": Rule(("U", "tau_rec", "tau_facil", "tau_psc"), ("u", "x", "y", "t_last"),
                            False),
    "stochastic": Rule(("p",), (), False),
    "quantal": Rule(("U", "n", "tau_rec", "tau_facil"), ("u", "a", "t_last"), False),
    "multi_quantal": Rule(("U", "n", "tau_rec", "tau_facil"), ("u", "a", "t_last"), False),
    "stdp": Rule(("w_min", "w_max", "A_plus", "A_minus", "tau_plus", "tau_minus", "mu_plus",
                  "mu_minus"), ("weight", "kplus", "t_last"), True),
    "vogels2011": Rule(("w_min", "w_max", "tau", "eta", "rho"), ("weight", "kplus", "t_last"),
                       True),
}


def initial_state(rule: str, weight, rule_params, params, dtype):
    """Per-synapse state at t = 0 (NumPy arrays); ``rule_params`` in RULES[rule].params order,
    ``params`` the initial values given by the user (e.g. TM's u)."""
    import numpy as np
    n = weight.shape[0]
    zeros = np.zeros(n, dtype)
    def given(name, default):      # an initial value; NaN where none was given
        value = np.asarray(params.get(name, default), dtype)
        return np.where(np.isnan(value), default, value).astype(dtype)

    if rule == "tsodyks_markram":
        return (given("u", zeros), given("x", np.ones(n, dtype)), given("y", zeros),
                zeros.copy())
    if rule in ("stdp", "vogels2011"):
        return (np.asarray(weight, dtype), zeros.copy(), zeros.copy())
    if rule in ("quantal", "multi_quantal"):     # unless initialised: u = U, n sites full
        return (given("u", np.asarray(rule_params[0], dtype)),
                given("a", np.asarray(rule_params[1], dtype)), zeros.copy())
    return ()


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


def _set(arr, syn, valid, values):
    """Write ``values`` at ``syn`` for valid events (invalid ones are dropped)."""
    return arr.at[jnp.where(valid, syn, arr.shape[0])].set(values, mode="drop")


def on_pre(rule: str, syn, mult, valid, weight, delay, params, state, post, hist, k, dt, key):
    """Apply ``rule`` to the events; returns (delivered weights [E], new state)."""
    t = ((k + 1) * dt).astype(weight.dtype)
    w = weight[syn]
    if rule == "static":
        return w * mult, state
    if rule == "stochastic":
        p = params[0][syn]
        u = jax.vmap(lambda i: jax.random.uniform(jax.random.fold_in(key, i), (), w.dtype))(syn)
        return jnp.where(u < p, w * mult, 0.0), state
    if rule in ("quantal", "multi_quantal"):
        U, n_sites, tau_rec, tau_fac = (a[syn] for a in params)
        u, full, t_last = (a[syn] for a in state)
        h = t - t_last
        u_decay = jnp.where(tau_fac > 1e-10, jnp.exp(-h / jnp.maximum(tau_fac, 1e-10)), 0.0)
        per = jax.vmap(lambda i: jax.random.split(jax.random.fold_in(key, i)))(syn)

        def update(u, full):       # facilitation and recovery of the empty sites over h
            recovered = jax.vmap(lambda k, m, p_: jax.random.binomial(k, m, p_))(
                per[:, 0], n_sites - full, -jnp.expm1(-h / tau_rec))
            return U + u * (1.0 - U) * u_decay, full + recovered

        if rule == "quantal":
            u, full = update(u, full)
        released = jax.vmap(lambda k, m, p_: jax.random.binomial(k, m, p_))(per[:, 1], full, u)
        full = full - released
        if rule == "multi_quantal":
            u, full = update(u, full)
        new = tuple(_set(a, syn, valid, v) for a, v in zip(state, (u, full, jnp.full_like(u, t))))
        return w * released * mult, new
    if rule == "tsodyks_markram":
        U, tau_rec, tau_fac, tau_psc = (a[syn] for a in params)
        u, x, y, t_last = (a[syn] for a in state)
        h = t - t_last
        p_uu = jnp.where(tau_fac > 0, jnp.exp(-h / jnp.where(tau_fac > 0, tau_fac, 1.0)), 0.0)
        p_yy = jnp.exp(-h / tau_psc)
        p_zz = jnp.exp(-h / tau_rec)
        p_xy = ((p_zz - 1.0) * tau_rec - (p_yy - 1.0) * tau_psc) / (tau_psc - tau_rec)
        z = 1.0 - x - y
        u = u * p_uu
        x = x + p_xy * y + (1.0 - p_zz) * z
        y = y * p_yy
        u = u + U * (1.0 - u)
        released = u * x
        x, y = x - released, y + released
        new = tuple(_set(a, syn, valid, v) for a, v in zip(state, (u, x, y, jnp.full_like(x, t))))
        return w * released * mult, new
    # stdp / vogels2011: the weight lives in the state
    w_state, kplus_state, tlast_state = state
    w = w_state[syn]
    kplus, t_last = kplus_state[syn], tlast_state[syn]
    d = delay[syn].astype(w.dtype) * dt
    rows, row_traces = hist[0][post[syn]], hist[1][post[syn]]   # [E, HISTORY]
    if rule == "stdp":
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
        tau_pre = tau_plus
    else:
        w_min, w_max, tau, eta, rho = (a[syn] for a in params)
        for h in range(HISTORY):
            t_p = rows[:, h]
            inside = (t_p > t_last) & (t_p <= t)
            w = jnp.where(inside, jnp.clip(w + eta * kplus * jnp.exp((t_last - t_p) / tau),
                                           w_min, w_max), w)
        x_post = _trace(rows, row_traces, jnp.broadcast_to(t, w.shape), tau)
        w = jnp.clip(w + eta * (x_post - 2.0 * rho * tau / 1000.0), w_min, w_max)
        tau_pre = tau
    kplus = kplus * jnp.exp((t_last - t) / tau_pre) + 1.0
    new = (_set(w_state, syn, valid, w), _set(kplus_state, syn, valid, kplus),
           _set(tlast_state, syn, valid, jnp.full_like(w, t)))
    return w * mult, new
