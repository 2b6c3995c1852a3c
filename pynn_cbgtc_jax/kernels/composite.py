"""Point neurons composed of a membrane model and any number of named receptors.

PyNN's ``PointNeuron(LIF(...) or AdExp(...), AMPA=CondAlphaPSR(...), NMDA=..., ...)``.  The
membrane equations are those of ``lif_cond.py`` / ``adex.py`` with the synaptic term replaced by
the sum over receptors r of either a current ``I_r`` (CurrExpPostSynapticResponse) or a
conductance ``g_r (e_syn_r - v)``:

* curr_exp:   dI/dt = -I/tau_syn;                     spike of weight w (nA): I += w
* cond_exp:   dg/dt = -g/tau_syn;                     spike (uS): g += w
* cond_alpha: g = e^{-t/tau} (g0 + t D), dD/dt = -D/tau; spike: D += e w / tau (peak w at tau)
* cond_beta:  g = A e^{-t/tau_decay} - B e^{-t/tau_rise}; spike: A += f w, B += f w with f
  normalising the peak to w (as NEST's aeif_cond_beta_multisynapse); the state is (g, B)

The membrane equations are ``lif_cond.membrane`` / ``adex.membrane`` and the exponential and
alpha time courses ``conductance.py``'s, so they are declared once.

Scheme: the synaptic variables are advanced exactly; (v[, w]) by one RK4 step using their exact
values at the stage times (as ``lif_cond.py``).  Refractoriness and spike handling as NEST.
A model is built once per combination by ``point_neuron_model`` and registered.
"""
from __future__ import annotations

from collections import namedtuple
from functools import lru_cache

import jax.numpy as jnp

from . import adex, lif_cond
from .base import refractory_steps
from .conductance import advance, profile, syn_coeffs
from .integrators import rk4
from .declaration import POSITIVE, NeuronModel, Parameter
from .registry import NEURON_MODELS, register

__all__ = ["point_neuron_model", "BASE_PARAMETERS", "PSR_PARAMETERS"]

BASE_PARAMETERS = {
    "LIF": ("cm", "tau_refrac", "v_reset", "v_rest", "tau_m", "i_offset", "v_thresh"),
    "AdExp": ("cm", "tau_refrac", "v_spike", "v_reset", "v_rest", "tau_m", "i_offset", "a",
              "b", "delta_T", "tau_w", "v_thresh"),
}
PSR_PARAMETERS = {"curr_exp": ("tau_syn",), "cond_exp": ("e_syn", "tau_syn"),
                  "cond_alpha": ("e_syn", "tau_syn"),
                  "cond_beta": ("e_syn", "tau_rise", "tau_decay")}
_PSR_UNITS = {"e_syn": Parameter("mV", 0.0), "tau_syn": Parameter("ms", 5.0, POSITIVE),
              "tau_rise": Parameter("ms", 0.2, POSITIVE),
              "tau_decay": Parameter("ms", 1.7, POSITIVE)}
"""Units and ranges of the PSR parameters (the defaults are PyNN's, given by its PSR types)."""
_BASE_DECLARATIONS = {"LIF": lif_cond.PARAMETERS_EXP, "AdExp": adex.PARAMETERS}
_PSR_STATE = {"curr_exp": ("g",), "cond_exp": ("g",), "cond_alpha": ("g", "dg"),
              "cond_beta": ("g", "rise")}


def _field(receptor, name):
    return f"{receptor}__{name}"


def _beta_factor(tau_rise, tau_decay):
    """Weight -> amplitude of each exponential so that the beta conductance peaks at w."""
    t_peak = tau_decay * tau_rise * jnp.log(tau_decay / tau_rise) / (tau_decay - tau_rise)
    return 1.0 / (jnp.exp(-t_peak / tau_decay) - jnp.exp(-t_peak / tau_rise))


def _profile(shape, p, st, h):
    """Synaptic variable at 0, h/2, h into the step (current in nA or conductance in uS)."""
    if shape == "cond_beta":
        g, rise_amp = st                      # g = A - B, the conductance itself
        _, tau_rise, tau_decay = p
        decay_amp = g + rise_amp
        return tuple(decay_amp * jnp.exp(-s / tau_decay) - rise_amp * jnp.exp(-s / tau_rise)
                     for s in (0.0, 0.5 * h, h))
    return profile(syn_coeffs(p[-1], h, shape == "cond_alpha"), *st)


def _advance(shape, p, st, w, h):
    if shape == "cond_beta":
        g, rise_amp = st
        _, tau_rise, tau_decay = p
        f = _beta_factor(tau_rise, tau_decay)
        decay_amp = (g + rise_amp) * jnp.exp(-h / tau_decay) + f * w
        rise_amp = rise_amp * jnp.exp(-h / tau_rise) + f * w
        return decay_amp - rise_amp, rise_amp
    alpha = shape == "cond_alpha"
    g, dg = advance(syn_coeffs(p[-1], h, alpha), st[0], st[1] if alpha else None, w)
    return (g, dg) if alpha else (g,)


@lru_cache(maxsize=None)
def point_neuron_model(base: str, receptors: tuple) -> NeuronModel:
    """The NeuronModel of ``base`` ('LIF' or 'AdExp') with ``receptors`` = ((name, shape), ...)."""
    name = f"PointNeuron[{base}:" + ",".join(f"{r}={s}" for r, s in receptors) + "]"
    if name in NEURON_MODELS:
        return NEURON_MODELS[name]
    base_names = BASE_PARAMETERS[base]
    native = list(base_names)
    fields = list(base_names)
    for r, shape in receptors:
        native += [f"{r}.{p}" for p in PSR_PARAMETERS[shape]]
        fields += [_field(r, p) for p in PSR_PARAMETERS[shape]]
    parameters = {f: _BASE_DECLARATIONS[base][f] for f in base_names}
    for r, shape in receptors:
        parameters.update({_field(r, p): _PSR_UNITS[p] for p in PSR_PARAMETERS[shape]})
    state_fields = ["v"] + (["w"] if base == "AdExp" else []) + ["refrac"]
    for r, shape in receptors:
        state_fields += [_field(r, s) for s in _PSR_STATE[shape]]
    State = namedtuple("State", state_fields)
    n_base = len(base_names)

    def split(p):
        """(base parameter dict, per-receptor parameter tuples)."""
        values = list(p)
        out, i = [], n_base
        for _, shape in receptors:
            k = len(PSR_PARAMETERS[shape])
            out.append(tuple(values[i:i + k]))
            i += k
        return dict(zip(base_names, values[:n_base])), out

    def prepare(p, dt):
        return p, jnp.asarray(dt, dtype=jnp.result_type(p.cm))

    def step(coeffs, s, d):
        p, h = coeffs
        b, psr = split(p)
        g_leak = b["cm"] / b["tau_m"]
        free = s.refrac == 0
        sv = list(s)
        offset = state_fields.index("refrac") + 1
        syn_states, profiles = [], []
        for (r, shape), rp in zip(receptors, psr):
            k = len(_PSR_STATE[shape])
            st = tuple(sv[offset:offset + k])
            offset += k
            syn_states.append(st)
            profiles.append(_profile(shape, rp, st, h))
        i_const = b["i_offset"] + d.i_inj
        is_adex = base == "AdExp"
        if is_adex:
            v_peak = jnp.where(b["delta_T"] > 0, b["v_spike"], b["v_thresh"])

        def synaptic(v, stage):
            total = 0.0
            for (r, shape), rp, prof in zip(receptors, psr, profiles):
                x = prof[stage]
                total = total + (x if shape == "curr_exp" else x * (rp[0] - v))
            return total

        def rhs(y, stage):
            v = y[0]
            if is_adex:
                vc = jnp.where(free, jnp.minimum(v, v_peak), p.v_reset)
                dv, dw = adex.membrane(p, g_leak, p.a * 1e-3, vc, y[1],          # nS -> uS
                                       (synaptic(vc, stage),), i_const)
                return jnp.where(free, dv, 0.0), dw
            dv = lif_cond.membrane(p, g_leak, v, (synaptic(v, stage),), i_const)
            return (jnp.where(free, dv, 0.0),)

        y0 = (s.v, s.w) if is_adex else (s.v,)
        y = rk4(rhs, y0, h, (0, 1, 2))
        v = jnp.where(free, y[0], b["v_reset"])
        threshold = v_peak if is_adex else b["v_thresh"]
        spiked = free & (v >= threshold)
        refrac = jnp.where(free, jnp.where(spiked, refractory_steps(b["tau_refrac"], h), 0),
                           s.refrac - 1)
        v = jnp.where(spiked, b["v_reset"], v)
        new = [v]
        if is_adex:
            new.append(jnp.where(spiked, y[1] + b["b"], y[1]))
        new.append(refrac)
        for (r, shape), rp, st, w in zip(receptors, psr, syn_states, d.receptors):
            new += list(_advance(shape, rp, st, w, h))
        return State(*new), spiked

    recordables = {"v": "v"}
    initial = {"v": "v"}
    if base == "AdExp":
        recordables["w"] = initial["w"] = "w"
    for r, shape in receptors:
        var = "isyn" if shape == "curr_exp" else "gsyn"
        recordables[f"{r}.{var}"] = _field(r, "g")
        initial[_field(r, "g")] = f"{r}.{var}"
    model = NeuronModel(name, parameters, State, prepare, step, initial=initial,
                        recordables=recordables, native_names=tuple(native),
                        receptor_types=tuple(r for r, _ in receptors))
    return register(model)
