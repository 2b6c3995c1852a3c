r"""The synapses of density cells (``density.density_cell``): two receptors, each a conductance
(µS) with its reversal, entering the membrane as :math:`g_1 (E_1 - v) + g_2 (E_2 - v)` nA.

A :class:`SynapseSet` says what its conductances are at the times 0, dt/2 and dt of a step
(exactly, in closed form: the membrane's schemes sample them there) and how its state moves on
when spikes of summed weight ``w`` (µS) arrive at the end of the step.  Two sets:

* :data:`EXPONENTIAL` (every Rubin-Terman cell): ``excitatory`` / ``inhibitory``,
  :math:`\dot g = -g/\tau`, a spike adds its weight.
* :data:`DESTEXHE` (Fleming et al. 2020's cells): ``AMPA`` / ``GABAa``, the first-order kinetics
  of Destexhe, Mainen & Sejnowski 1994 with a transmitter pulse, as Fleming's
  ``Destexhe_Static_AMPA_Synapse.mod`` / ``..._GABAA_...`` run them: **one saturating point
  process per receptor and cell**.  During a pulse the conductance relaxes to
  :math:`g_{max} R_\infty`, :math:`R_\infty = C_{max}\alpha/(C_{max}\alpha + \beta)`, with
  :math:`\tau_{on} = 1/(C_{max}\alpha + \beta)`; after it, it decays at rate :math:`\beta`.  A
  spike that arrives while the receptor is off starts a pulse of length ``C_dur`` and sets
  :math:`g_{max}` to its weight; one that arrives during a pulse only restarts the pulse's clock
  (weights from several inputs do **not** add, unlike every PyNN synapse).  Where several spikes
  reach an idle receptor in the same step their summed weight becomes :math:`g_{max}` (NEURON
  takes the first in its queue); with dt = 0.01 ms and Fleming's in-degrees (1-10) that is rare.
  The .mod file's exponential table returns 0 beyond 10 time constants; ours decays on (below
  5e-5 of the conductance by then).  The pulse length is counted in whole steps
  (``round(C_dur / dt)``, 30 at Fleming's 0.01 ms).  Recordables ``AMPA.gsyn``, ``AMPA.i``
  (nA, NEURON's sign: outward positive, ``g (v - E)`` at the step's end), and the same for
  ``GABAa``: what Fleming's LFP sums.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import jax.numpy as jnp

from .conductance import syn_coeffs
from .declaration import NON_NEGATIVE, POSITIVE, Parameter

__all__ = ["SynapseSet", "EXPONENTIAL", "DESTEXHE"]


class SynapseSet(NamedTuple):
    parameters: dict         # PyNN-side parameters (PyNN units)
    fields: tuple            # state fields
    units: dict              # state field -> unit
    recordables: dict        # PyNN recordable / initial-value name -> state field
    receptor_types: tuple
    coeffs: Callable         # (params, dt) -> coefficients
    reversals: Callable      # params -> (E_1, E_2), mV
    stages: Callable         # (coeffs, state fields) -> ((g1, g2) at 0, dt/2, dt)
    advance: Callable        # (coeffs, state fields, (w1, w2), v at the step's end) -> fields


# -- exponential (the Rubin-Terman cells) ---------------------------------------------------------
def _exp_coeffs(p, dt):
    return syn_coeffs(p.tau_syn_E, dt, alpha=False), syn_coeffs(p.tau_syn_I, dt, alpha=False)


def _exp_stages(c, s):
    (exc, inh), (ge, gi) = c, s
    return ((ge, gi), (exc.half * ge, inh.half * gi), (exc.full * ge, inh.full * gi))


def _exp_advance(c, s, w, v):
    (exc, inh), (ge, gi) = c, s
    return exc.full * ge + w[0], inh.full * gi + w[1]


EXPONENTIAL = SynapseSet(
    parameters={
        "tau_syn_E": Parameter("ms", 2.0, POSITIVE),       # AMPA-like decay
        "tau_syn_I": Parameter("ms", 10.0, POSITIVE),      # GABA_A-like decay
        "e_rev_E": Parameter("mV", 0.0),                   # STN->GP in Rubin & Terman 2004
        "e_rev_I": Parameter("mV", -80.0),                 # GPe->GPe (GPe->STN -100, GPi->TC -85)
    },
    fields=("gsyn_exc", "gsyn_inh"), units={"gsyn_exc": "uS", "gsyn_inh": "uS"},
    recordables={"gsyn_exc": "gsyn_exc", "gsyn_inh": "gsyn_inh"},
    receptor_types=("excitatory", "inhibitory"),
    coeffs=_exp_coeffs, reversals=lambda p: (p.e_rev_E, p.e_rev_I),
    stages=_exp_stages, advance=_exp_advance)


# -- Destexhe pulse kinetics (Fleming et al. 2020) ------------------------------------------------
class _PulseCoeffs(NamedTuple):
    r_inf: jnp.ndarray       # R_inf of the receptor
    on: tuple                # (exp(-h/2 / tau_on), exp(-h / tau_on))
    off: tuple               # (exp(-beta h/2), exp(-beta h))
    steps: jnp.ndarray       # pulse length in steps


def _pulse(alpha, beta, c_max, c_dur, dt):
    rate_on = c_max * alpha + beta
    return _PulseCoeffs(c_max * alpha / rate_on,
                        (jnp.exp(-0.5 * dt * rate_on), jnp.exp(-dt * rate_on)),
                        (jnp.exp(-0.5 * dt * beta), jnp.exp(-dt * beta)),
                        jnp.maximum(jnp.round(c_dur / dt), 1.0))


def _destexhe_coeffs(p, dt):
    return (_pulse(p.alpha_AMPA, p.beta_AMPA, p.C_max, p.C_dur, dt),
            _pulse(p.alpha_GABAa, p.beta_GABAa, p.C_max, p.C_dur, dt),
            (p.e_rev_AMPA, p.e_rev_GABAa))


def _g_at(c: _PulseCoeffs, g, g_max, left, k):
    """The conductance ``k`` (0: half, 1: full) of a step into it, from ``g`` at its start."""
    target = g_max * c.r_inf
    return jnp.where(left > 0, target + (g - target) * c.on[k], g * c.off[k])


def _destexhe_stages(c, s):
    g_a, gmax_a, left_a, _, g_g, gmax_g, left_g, _ = s
    ca, cg, _ = c
    return ((g_a, g_g),
            (_g_at(ca, g_a, gmax_a, left_a, 0), _g_at(cg, g_g, gmax_g, left_g, 0)),
            (_g_at(ca, g_a, gmax_a, left_a, 1), _g_at(cg, g_g, gmax_g, left_g, 1)))


def _receptor_after(c: _PulseCoeffs, g, g_max, left, w):
    """(g, g_max, steps left) after one step and the spikes of weight ``w`` at its end."""
    g = _g_at(c, g, g_max, left, 1)
    left = jnp.maximum(left - 1.0, 0.0)
    arrived = w > 0
    g_max = jnp.where(arrived & (left == 0), w, g_max)
    return g, g_max, jnp.where(arrived, c.steps, left)


def _destexhe_advance(c, s, w, v):
    g_a, gmax_a, left_a, _, g_g, gmax_g, left_g, _ = s
    ca, cg, (e_a, e_g) = c
    g_a, gmax_a, left_a = _receptor_after(ca, g_a, gmax_a, left_a, w[0])
    g_g, gmax_g, left_g = _receptor_after(cg, g_g, gmax_g, left_g, w[1])
    return (g_a, gmax_a, left_a, g_a * (v - e_a), g_g, gmax_g, left_g, g_g * (v - e_g))


DESTEXHE = SynapseSet(
    parameters={
        "e_rev_AMPA": Parameter("mV", 0.0),
        "e_rev_GABAa": Parameter("mV", -80.0),
        "alpha_AMPA": Parameter("1/(ms*mM)", 0.94, NON_NEGATIVE),
        "beta_AMPA": Parameter("1/ms", 0.18, POSITIVE),
        "alpha_GABAa": Parameter("1/(ms*mM)", 10.5, NON_NEGATIVE),
        "beta_GABAa": Parameter("1/ms", 0.166, POSITIVE),
        "C_max": Parameter("mM", 0.5, NON_NEGATIVE),      # transmitter pulse concentration
        "C_dur": Parameter("ms", 0.3, POSITIVE),          # transmitter pulse length
    },
    fields=("AMPA_g", "AMPA_gmax", "AMPA_left", "AMPA_i",
            "GABAa_g", "GABAa_gmax", "GABAa_left", "GABAa_i"),
    units={"AMPA_g": "uS", "AMPA_gmax": "uS", "AMPA_left": "dimensionless", "AMPA_i": "nA",
           "GABAa_g": "uS", "GABAa_gmax": "uS", "GABAa_left": "dimensionless", "GABAa_i": "nA"},
    recordables={"AMPA.gsyn": "AMPA_g", "AMPA.i": "AMPA_i", "GABAa.gsyn": "GABAa_g",
                 "GABAa.i": "GABAa_i"},
    receptor_types=("AMPA", "GABAa"),
    coeffs=_destexhe_coeffs, reversals=lambda p: (p.e_rev_AMPA, p.e_rev_GABAa),
    stages=_destexhe_stages, advance=_destexhe_advance)
