"""Izhikevich neuron with conductance-based exponential synapses (``Izhikevich_cond``).

sPyNNaker's ``extra_models.Izhikevich_cond`` (its ``IzkCondExp``: Izhikevich 2003 dynamics,
exponential synapses, conductance input), which basal ganglia models written for SpiNNaker use;
PyNN's standard ``Izhikevich`` is current-based with delta synapses.  Equations (mV, ms, nA, uS;
``u`` in mV/ms)::

    dv/dt = 0.04 v^2 + 5 v + 140 - u + I,     I = i_offset + I_inj + I_syn    (nA as mV/ms)
    I_syn = g_exc (e_rev_E - v) + g_inh (e_rev_I - v)                          # uS * mV = nA
    du/dt = a (b v - u)
    dg_exc/dt = -g_exc / tau_syn_E,  dg_inh/dt = -g_inh / tau_syn_I;  spike of weight w: g += w
    v >= 30 mV:  v <- c,  u <- u + d

Units as sPyNNaker, so that a script written for SpiNNaker keeps its weights and currents: its
Izhikevich models add the input current in nA to dv/dt in mV/ms unscaled
(``neuron_model_izh_impl.h``: ``140 + input - U``), a membrane of 1 nF.  This is 1000 times
weaker than PyNN's standard ``Izhikevich`` on NEST, NEURON and here (1 pF: 1 nA is 1000 mV/ms,
``izhikevich.py``): 1 nA of ``i_offset`` here is 1 pA-equivalent there.  Inhibitory weights are
positive conductances, as for every conductance-based PyNN type.  Defaults and initial values
are sPyNNaker's (a 0.02, b 0.2, c -65 mV, d 2 mV/ms, tau_syn 5 ms, e_rev_E 0 mV, e_rev_I
-70 mV; v -70 mV, u -14 mV/ms); the spike cut-off is 30 mV, as sPyNNaker's and NEST's.

Scheme: as sPyNNaker, the input current is evaluated once per step, at its start (conductances
and v at ``t_k``), and (v, u) advanced by one explicit midpoint (RK2) step with it
(``integrators.MIDPOINT``; sPyNNaker's ``rk2_kernel_midpoint`` without its fixed-point
adjustments: the 0.040008544921875 coefficient and the 1.85 dt after a spike).  Second order for
a constant current; the synaptic current, held over the step, is first order.  The conductances
are advanced exactly and the weights arriving at the end of the step added (as ``lif_cond.py``);
then the threshold is tested.
"""
from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp

from .base import Drive
from .conductance import SynCoeffs, advance, syn_coeffs
from .declaration import NeuronModel, Variable, params_type
from .izhikevich import PARAMETERS as IZHIKEVICH_PARAMETERS
from .integrators import MIDPOINT, rk_step
from .izhikevich import V_PEAK
from .pynn_parameters import reversal_potentials, synapse_time_constants

__all__ = ["PARAMETERS", "Params", "State", "Coeffs", "prepare", "step", "MODELS"]

PARAMETERS = {**IZHIKEVICH_PARAMETERS, **synapse_time_constants(), **reversal_potentials()}
Params = params_type(PARAMETERS)


class State(NamedTuple):
    v: jnp.ndarray          # mV
    u: jnp.ndarray          # mV/ms
    gsyn_exc: jnp.ndarray   # uS
    gsyn_inh: jnp.ndarray   # uS


class Coeffs(NamedTuple):
    p: Params
    exc: SynCoeffs
    inh: SynCoeffs
    dt: jnp.ndarray


def prepare(p: Params, dt) -> Coeffs:
    return Coeffs(p=p, exc=syn_coeffs(p.tau_syn_E, dt, False),
                  inh=syn_coeffs(p.tau_syn_I, dt, False),
                  dt=jnp.asarray(dt, dtype=jnp.result_type(p.a)))


def step(c: Coeffs, s: State, d: Drive):
    """One step of Izhikevich_cond; returns ``(state, spiked)``."""
    p = c.p
    current = (p.i_offset + d.i_inj
               + s.gsyn_exc * (p.e_rev_E - s.v) + s.gsyn_inh * (p.e_rev_I - s.v))   # nA

    def rhs(y):
        v, u = y
        return 0.04 * v * v + 5.0 * v + 140.0 - u + current, p.a * (p.b * v - u)

    (v, u), _ = rk_step(rhs, (s.v, s.u), c.dt, MIDPOINT)
    ge, _ = advance(c.exc, s.gsyn_exc, None, d.exc)
    gi, _ = advance(c.inh, s.gsyn_inh, None, d.inh)
    spiked = v >= V_PEAK
    return State(v=jnp.where(spiked, p.c, v), u=jnp.where(spiked, u + p.d, u),
                 gsyn_exc=ge, gsyn_inh=gi), spiked


_NAMES = {"v": "v", "u": "u", "gsyn_exc": "gsyn_exc", "gsyn_inh": "gsyn_inh"}
MODELS = (NeuronModel(
    "Izhikevich_cond", PARAMETERS, State, prepare, step, initial=_NAMES, recordables=_NAMES,
    variables={"v": Variable("mV", -70.0), "u": Variable("mV/ms", -14.0),
               "gsyn_exc": Variable("uS"), "gsyn_inh": Variable("uS")},
    doc=__doc__.split("\n\n", 1)[0] + """

    sPyNNaker's ``extra_models.Izhikevich_cond``: parameters ``a``, ``b`` (1/ms), ``c`` (mV),
    ``d`` (mV/ms), ``i_offset`` (nA), ``tau_syn_E``, ``tau_syn_I`` (ms), ``e_rev_E``,
    ``e_rev_I`` (mV); recordables ``v``, ``u``, ``gsyn_exc``, ``gsyn_inh``; equations and scheme
    in :mod:`pynn_cbgtc_jax.kernels.izhikevich_cond`.

    Examples
    --------
    >>> import pynn_cbgtc_jax as sim
    >>> _ = sim.setup(timestep=0.1)
    >>> cells = sim.Population(10, sim.Izhikevich_cond(a=0.02, b=0.2, c=-50.0, d=2.0))
    """),)
