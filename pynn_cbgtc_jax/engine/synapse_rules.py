"""Synapse rules: what happens to a synapse when a spike of its presynaptic cell arrives.

A rule turns the list of synapse events of a step (synapse index, spike multiplicity, valid
flag) into the weights delivered to the ring buffer and updates the per-synapse state.  Each
rule is a pure function of arrays, used by both the event path and the dense path of
``delivery.py`` (so they give the same bits).  Spike times are ``t = stamp * dt`` in ms.

Every rule is one entry of ``RULES`` (a ``Rule``): its per-synapse parameters and state, how
the build fills a parameter the PyNN synapse type does not hold, its initial state, and its
traced ``on_pre``.  A PyNN synapse type names its entry (``rule = "..."``); nothing else
switches on the rule.  Adding a rule is adding an entry.

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
* ``stdp``, ``vogels2011`` -- spike-timing-dependent plasticity (``spike_timing.py``).
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .spike_timing import set_events, stdp_on_pre, vogels_on_pre, weight_state

__all__ = ["RULES", "Rule", "on_pre", "initial_state", "rule_param"]


def _no_state(weight, rule_params, given, dtype):
    return ()


def _nothing_missing(prj, name, populations):
    return None


class Rule(NamedTuple):
    """One synapse rule, declared once.

    ``on_pre(syn, mult, valid, weight, delay, params, state, post, hist, t, dt, key)`` is traced:
    the events' synapse indices, multiplicities and valid flags [E], the group's tables, the
    spike time ``t`` (ms); it returns (delivered weights [E], new state).  ``initial(weight,
    rule_params, given, dtype)`` gives the NumPy state at t = 0 (``given``: the values set with
    ``Projection.initialize``, NaN where not given).  ``missing(prj, name, populations)`` the
    values of a parameter the PyNN synapse type does not hold (None: none), from the
    projection's and the populations' exported data (``compiler/inputs.py``:
    ``ProjectionData``, ``PopulationData``).
    """

    params: tuple        # per-synapse native parameters the rule reads (besides weight, delay)
    state: tuple         # names of the per-synapse state arrays
    on_pre: Callable
    initial: Callable = _no_state
    missing: Callable = _nothing_missing
    post_tau: str = ""   # the parameter giving the postsynaptic trace's time constant: the
                         # rule reads postsynaptic spike histories and its weight is state
                         # (read back by Projection.get)
    random: bool = False # draws random numbers keyed by the synapse: on_pre takes
                         # ``key_ids`` (``SynData.ids``: its place among its projections'
                         # synapses; None: its place in the table, ``syn``)

    @property
    def plastic_weight(self) -> bool:
        return bool(self.post_tau)


# -- static and stochastic ----------------------------------------------------------------------
def _static(syn, mult, valid, weight, delay, params, state, post, hist, t, dt, key):
    return weight[syn] * mult, state


def _stochastic(syn, mult, valid, weight, delay, params, state, post, hist, t, dt, key,
                key_ids=None):
    w = weight[syn]
    p = params[0][syn]
    u = jax.vmap(lambda i: jax.random.uniform(jax.random.fold_in(key, i), (), w.dtype))(
        syn if key_ids is None else key_ids)
    return jnp.where(u < p, w * mult, 0.0), state


# -- short-term plasticity ----------------------------------------------------------------------
def _given(given, name, default, dtype):
    """An initial value set with ``Projection.initialize``; ``default`` where none was given."""
    value = np.asarray(given.get(name, default), dtype)
    return np.where(np.isnan(value), default, value).astype(dtype)


def _tsodyks_initial(weight, rule_params, given, dtype):
    n = weight.shape[0]
    zeros = np.zeros(n, dtype)
    return (_given(given, "u", zeros, dtype), _given(given, "x", np.ones(n, dtype), dtype),
            _given(given, "y", zeros, dtype), zeros.copy())


def _tau_psc(prj, name, populations):
    """NEST copies tau_psc from the postsynaptic cell's tau_syn_E/I (3 ms for cells without)."""
    if name != "tau_psc":
        return None
    key = ("tau_syn_E", "tau_syn_I")[prj.receptor]
    post_pop, post = prj.post_population, prj.post_cells
    out = np.full(prj.size, 3.0)
    for i in np.unique(post_pop):
        par = populations[i].parameters
        if key in par:
            sel = post_pop == i
            out[sel] = np.asarray(par[key], float)[post[sel]]
    return out


def _tsodyks(syn, mult, valid, weight, delay, params, state, post, hist, t, dt, key):
    w = weight[syn]
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
    new = tuple(set_events(a, syn, valid, v) for a, v in zip(state, (u, x, y, jnp.full_like(x, t))))
    return w * released * mult, new


def _quantal_initial(weight, rule_params, given, dtype):
    """Unless initialised: u = U, n sites full."""
    return (_given(given, "u", np.asarray(rule_params[0], dtype), dtype),
            _given(given, "a", np.asarray(rule_params[1], dtype), dtype),
            np.zeros(weight.shape[0], dtype))


def _one_site(prj, name, populations):
    """StochasticTsodyksMarkramSynapse: one release site."""
    return np.ones(prj.size) if name == "n" else None


def _release(recover_first: bool):
    """``on_pre`` of the quantal rules: recovery and facilitation over h, then release
    (``quantal``), or release first (``multi_quantal``, NEST 3's order)."""
    def on_pre(syn, mult, valid, weight, delay, params, state, post, hist, t, dt, key,
               key_ids=None):
        w = weight[syn]
        U, n_sites, tau_rec, tau_fac = (a[syn] for a in params)
        u, full, t_last = (a[syn] for a in state)
        h = t - t_last
        u_decay = jnp.where(tau_fac > 1e-10, jnp.exp(-h / jnp.maximum(tau_fac, 1e-10)), 0.0)
        per = jax.vmap(lambda i: jax.random.split(jax.random.fold_in(key, i)))(
            syn if key_ids is None else key_ids)

        def update(u, full):       # facilitation and recovery of the empty sites over h
            recovered = jax.vmap(lambda k, m, p_: jax.random.binomial(k, m, p_))(
                per[:, 0], n_sites - full, -jnp.expm1(-h / tau_rec))
            return U + u * (1.0 - U) * u_decay, full + recovered

        if recover_first:
            u, full = update(u, full)
        released = jax.vmap(lambda k, m, p_: jax.random.binomial(k, m, p_))(per[:, 1], full, u)
        full = full - released
        if not recover_first:
            u, full = update(u, full)
        new = tuple(set_events(a, syn, valid, v)
                    for a, v in zip(state, (u, full, jnp.full_like(u, t))))
        return w * released * mult, new
    return on_pre


def _weight_dependence(prj, name, populations):
    """NEST's mu_plus / mu_minus of the STDPMechanism's weight dependence (Gutig's are
    parameters of the synapse type)."""
    if name in ("mu_plus", "mu_minus"):
        return np.full(prj.size, prj.constants[name])
    return None


_QUANTAL = ("U", "n", "tau_rec", "tau_facil")
RULES = {
    "static": Rule((), (), _static),
    "tsodyks_markram": Rule(("U", "tau_rec", "tau_facil", "tau_psc"), ("u", "x", "y", "t_last"),
                            _tsodyks, _tsodyks_initial, _tau_psc),
    "stochastic": Rule(("p",), (), _stochastic, random=True),
    "quantal": Rule(_QUANTAL, ("u", "a", "t_last"), _release(True), _quantal_initial, _one_site,
                    random=True),
    "multi_quantal": Rule(_QUANTAL, ("u", "a", "t_last"), _release(False), _quantal_initial,
                          random=True),
    "stdp": Rule(("w_min", "w_max", "A_plus", "A_minus", "tau_plus", "tau_minus", "mu_plus",
                  "mu_minus"), ("weight", "kplus", "t_last"), stdp_on_pre, weight_state,
                 _weight_dependence, post_tau="tau_minus"),
    "vogels2011": Rule(("w_min", "w_max", "tau", "eta", "rho"), ("weight", "kplus", "t_last"),
                       vogels_on_pre, weight_state, post_tau="tau"),
}


def initial_state(rule: str, weight, rule_params, params, dtype):
    """Per-synapse state at t = 0 (NumPy arrays); ``rule_params`` in RULES[rule].params order,
    ``params`` the initial values given by the user (e.g. TM's u)."""
    return RULES[rule].initial(weight, rule_params, params, dtype)


def rule_param(prj, name, populations):
    """Values of a rule parameter for every synapse of ``prj`` (a ``ProjectionData``; PyNN
    units); ``populations``: the network's ``PopulationData``."""
    if name in prj.parameters:
        return prj.parameters[name]
    values = RULES[prj.rule].missing(prj, name, populations)
    if values is None:
        raise KeyError(f"synapse parameter {name!r} missing for rule {prj.rule!r}")
    return values


def on_pre(rule: str, syn, mult, valid, weight, delay, params, state, post, hist, k, dt, key,
           ids=()):
    """Apply ``rule`` to the events; returns (delivered weights [E], new state).  ``ids``:
    ``SynData.ids``, each synapse's place among its projections' synapses (random rules key
    their draws by it: the same numbers on any device or process count), or ()."""
    t = ((k + 1) * dt).astype(weight.dtype)
    extra = {"key_ids": ids[syn]} if RULES[rule].random and len(ids) else {}
    return RULES[rule].on_pre(syn, mult, valid, weight, delay, params, state, post, hist, t, dt,
                              key, **extra)
