r"""``NeuronModel`` declarations of the Rubin & Terman 2004 cells, in PyNN units.

The kernels (:mod:`pynn_cbgtc_jax.kernels.stn`, ``gp``, ``tc``) work in current densities
(µA/cm², mS/cm², C_m in µF/cm²).  PyNN works in nA and µS.  This module is the only place
where the two meet: each cell gets a membrane area ``area`` (µm²) and

.. math::

    I\,[\mu A/cm^2] = I\,[nA] \cdot 10^{-3} / A\,[cm^2] = I\,[nA] \cdot 10^{5} / A\,[\mu m^2]

is applied to every current that comes from PyNN: ``i_offset`` and electrode currents (nA) and
the synaptic current :math:`g_{exc}(e_{rev,E} - v) + g_{inh}(e_{rev,I} - v)` (µS·mV = nA).
``I_app`` and every conductance density of the kernel stay in the kernel's units.  With the
default area of 10 000 µm² (1e-4 cm², a 56 µm sphere; Fleming's 60 µm × 60 µm cylinder is
11 310 µm²) 0.1 nA is 1 µA/cm², 1 µS is 10 mS/cm², and the total capacitance is 100 pF.

Equations (per cell; ``K`` is the kernel's membrane equation, :math:`\sigma` as in the kernels)::

    C_m dv/dt = K(v, gates) + I_app + (i_offset + I_inj + I_syn) * 1e5 / area
    I_syn     = g_exc (e_rev_E - v) + g_inh (e_rev_I - v)                 # nA
    dg_exc/dt = -g_exc / tau_syn_E,  dg_inh/dt = -g_inh / tau_syn_I       # uS; spike: g += w

Scheme: the conductances are advanced exactly (their value at the RK4 stage times 0, dt/2, dt
is known in closed form, as in ``kernels/lif_cond.py``); the kernel's state (v, gates, Ca) is
advanced by one classical RK4 step with the synaptic current evaluated at each stage with the
stage's v and exact conductance, so the scheme stays fourth order with synapses.  Without
synaptic input the arithmetic is exactly that of the kernel's own ``step``.  Spikes arriving at
the end of a step are added to the conductance after the step (``Drive.exc``/``Drive.inh``,
µS).  A spike is an upward crossing of ``v_thresh`` inside the step.

GP at ``dt`` > ``gp.DT_MAX`` (0.025 ms, where RK4 becomes unstable from ≈ 0.039 ms) is
integrated with the kernel's exponential midpoint scheme instead (:func:`_gp_exponential`,
``gp.step_exponential``), up to ``gp.DT_MAX_EXPONENTIAL`` (0.05 ms); the choice is static per
population (``NeuronModel.substeps``, see :func:`_gp_scheme`).

The RK4 step is the kernels' own (``kernels.integrators.rk4_batched`` with the conductances as stage
inputs), so a population is integrated in the same shape as the kernels' (one stacked state
array on a CPU, see there).

The kernels' public ``step`` holds the injected current constant over a step, which would make
a v-dependent synaptic current first order; the adapters therefore use each kernel's
right-hand side ``_derivatives`` (the same function its ``step`` integrates).
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp

from ..kernels import gp, stn, tc
from ..kernels._gates import crossed_upward
from ..kernels.integrators import Relax, exponential_midpoint, rk4_batched
from ..kernels.base import Drive
from ..kernels.conductance import SynCoeffs, syn_coeffs
from ..kernels.registry import NeuronModel, register

__all__ = ["STN_MODEL", "GP_MODEL", "TC_MODEL", "BRIDGE_DEFAULTS", "BRIDGE_UNITS",
           "NA_TO_DENSITY", "CBGTC_MODELS", "kernel_of", "dt_max_of", "rk4_dt_max_of"]

NA_TO_DENSITY = 1e5
"""µA/cm² per nA for a membrane of 1 µm²:
``I[nA] * 1e-3 µA/nA / (area[µm²] * 1e-8 cm²/µm²) = I * 1e5 / area``."""

BRIDGE_DEFAULTS = dict(
    area=10000.0,     # µm², membrane area: 0.1 nA <-> 1 µA/cm², 1 µS <-> 10 mS/cm²
    i_offset=0.0,     # nA, constant injected current (on top of the density I_app)
    tau_syn_E=2.0,    # ms, AMPA-like decay of the excitatory conductance
    tau_syn_I=10.0,   # ms, GABA_A-like decay of the inhibitory conductance
    e_rev_E=0.0,      # mV, STN->GP in Rubin & Terman 2004
    e_rev_I=-80.0,    # mV, GPe->GPe in Rubin & Terman 2004 (GPe->STN: -100, GPi->TC: -85)
)
"""PyNN-side parameters added to every kernel's parameters (the per-cell-type defaults of
``e_rev_I`` differ, see ``cells.py``)."""

BRIDGE_UNITS = dict(area="um**2", i_offset="nA", tau_syn_E="ms", tau_syn_I="ms",
                    e_rev_E="mV", e_rev_I="mV")


class _Coeffs(NamedTuple):
    """Per-run coefficients of an adapted cell."""

    kernel: tuple          # the kernel's own ``prepare`` result
    exc: SynCoeffs
    inh: SynCoeffs
    to_density: jax.Array  # µA/cm² per nA (1e5 / area)
    i_offset: jax.Array    # nA
    e_rev_E: jax.Array     # mV
    e_rev_I: jax.Array     # mV
    I_app: jax.Array       # µA/cm²
    v_thresh: jax.Array    # mV
    dt: jax.Array          # ms


_EXPONENTIAL = 0
"""``n_sub`` of a GP population integrated with the exponential midpoint scheme (no RK4)."""


def _gp_scheme(dt: float, params) -> int:
    """Static integration scheme of a GP population (the ``NeuronModel.substeps`` hook, which the
    compiler calls with the host ``dt`` and passes to ``step`` as ``n_sub``): 1, one RK4 step,
    at ``dt <= gp.DT_MAX``; :data:`_EXPONENTIAL` above it."""
    del params
    return 1 if dt <= gp.DT_MAX * (1 + 1e-9) else _EXPONENTIAL


def _gp_exponential(c: _Coeffs, y, i_const, stages):
    """One step of ``gp.step_exponential`` with the synaptic conductances.

    The synaptic conductances join the membrane conductance of the kernel's linearisation
    (``gp._linearised``): ``G' = G + a (g_e + g_i)`` and
    ``v_inf' = (G v_inf + a (g_e E_e + g_i E_i)) / G'`` with ``a`` = ``to_density`` (µS ->
    mS/cm²), so they are integrated exponentially too and cannot destabilise the step.  The
    half step uses the conductances at 0, the full step those at dt/2 (the midpoint).  Without
    synaptic input this is ``gp.step_exponential`` to rounding.
    """
    p = c.kernel.params
    h = c.dt

    def linearised(y, g):
        g_e, g_i = g
        lin = gp._linearised(p, y, i_const)
        g_ion = lin.v.rate * p.C_m                                   # mS/cm²
        g_syn = c.to_density * (g_e + g_i)                          # µS -> mS/cm²
        g_total = g_ion + g_syn
        v_inf = (g_ion * lin.v.x_inf
                 + c.to_density * (g_e * c.e_rev_E + g_i * c.e_rev_I)) / g_total
        return lin._replace(v=Relax(v_inf, g_total / p.C_m))

    return exponential_midpoint(linearised, y, h, stages[:2])


def _adapt(name: str, module, derivatives: Callable, kernel_state_fields: dict[str, str],
           large_step: Callable | None = None, scheme: Callable | None = None):
    """Build the ``NeuronModel`` of one kernel with the PyNN bridge.

    ``derivatives(kernel_coeffs, kernel_state, i_total)`` is the kernel's right-hand side;
    ``kernel_state_fields`` maps each kernel state field to its PyNN initial-value /
    recordable name.  ``large_step(coeffs, kernel_state, i_const, stages)``, if given, replaces
    RK4 for populations whose ``scheme(dt, params)`` (the ``substeps`` hook) is
    :data:`_EXPONENTIAL`.
    """
    kparams, kstate = module.Params, module.State
    bridge = tuple(BRIDGE_DEFAULTS)
    Params = NamedTuple(f"{name}Params",
                        [(f, jnp.ndarray) for f in kparams._fields + bridge])
    Params.__doc__ = (f"Parameters of {name}: the kernel's ({module.__name__}, densities) "
                      f"plus {', '.join(bridge)} (PyNN units).")
    State = NamedTuple(f"{name}State",
                       [(f, jnp.ndarray) for f in kstate._fields + ("gsyn_exc", "gsyn_inh")])
    State.__doc__ = (f"State of {name}: the kernel's ({', '.join(kstate._fields)}) plus the "
                     f"synaptic conductances gsyn_exc, gsyn_inh (µS).")
    n_kernel = len(kparams._fields)

    def rhs(y, g, c: _Coeffs, i_const):
        g_e, g_i = g
        i_syn = g_e * (c.e_rev_E - y.v) + g_i * (c.e_rev_I - y.v)   # uS * mV = nA
        return derivatives(c.kernel, y, i_const + c.to_density * i_syn)

    def prepare(p, dt) -> _Coeffs:
        kp = kparams(*p[:n_kernel])
        return _Coeffs(kernel=module.prepare(kp, dt),
                       exc=syn_coeffs(p.tau_syn_E, dt, alpha=False),
                       inh=syn_coeffs(p.tau_syn_I, dt, alpha=False),
                       to_density=NA_TO_DENSITY / p.area, i_offset=p.i_offset,
                       e_rev_E=p.e_rev_E, e_rev_I=p.e_rev_I, I_app=kp.I_app,
                       v_thresh=kp.v_thresh, dt=jnp.asarray(dt, dtype=jnp.result_type(p.area)))

    def step(c: _Coeffs, s, d: Drive, n_sub: int = 1):
        # densities held over the step: the kernel's bias plus the PyNN currents (nA -> µA/cm²)
        i_const = c.I_app + c.to_density * (c.i_offset + d.i_inj)
        ge0, gi0 = s.gsyn_exc, s.gsyn_inh
        stages = ((ge0, gi0), (c.exc.half * ge0, c.inh.half * gi0),
                  (c.exc.full * ge0, c.inh.full * gi0))

        old = kstate(*s[:len(kstate._fields)])
        if n_sub == _EXPONENTIAL:      # static: chosen per population from the host dt
            new = large_step(c, old, i_const, stages)
        else:
            new = rk4_batched(rhs, old, c.dt, c, i_const, stages=stages)
        spiked = crossed_upward(old.v, new.v, c.v_thresh)
        return State(*new, gsyn_exc=c.exc.full * ge0 + d.exc,
                     gsyn_inh=c.inh.full * gi0 + d.inh), spiked

    names = dict(kernel_state_fields, gsyn_exc="gsyn_exc", gsyn_inh="gsyn_inh")
    model = NeuronModel(name=name, params=Params, state=State, prepare=prepare, step=step,
                        initial=names, recordables={v: k for k, v in names.items()},
                        substeps=scheme)
    return register(model)


STN_MODEL = _adapt("STN_RT2004", stn, stn._derivatives,
                   {"v": "v", "h": "h", "n": "n", "r": "r", "f": "f", "ca": "Ca"})
GP_MODEL = _adapt("GP_RT2004", gp, lambda c, y, i: gp._derivatives(c.params, y, i),
                  {"v": "v", "h": "h", "n": "n", "r": "r", "ca": "Ca"},
                  large_step=_gp_exponential, scheme=_gp_scheme)
TC_MODEL = _adapt("TC_RT2004", tc, lambda c, y, i: tc._derivatives(c.params, y, i),
                  {"v": "v", "h": "h", "r": "r"})

CBGTC_MODELS = {STN_MODEL.name: stn, GP_MODEL.name: gp, TC_MODEL.name: tc}
"""Model name -> kernel module (``Params``, ``initial_state``, ``simulate``, ``DT_MAX``)."""


def kernel_of(model: NeuronModel):
    """The kernel module behind one of the models above."""
    return CBGTC_MODELS[model.name]


def rk4_dt_max_of(model: NeuronModel) -> float:
    """Largest time step (ms) at which a model is integrated with RK4: its kernel's ``DT_MAX``."""
    return float(CBGTC_MODELS[model.name].DT_MAX)


def dt_max_of(model: NeuronModel) -> float:
    """Largest validated time step of a model (ms): its kernel's ``DT_MAX``, or for a model with
    a large-step scheme (GP) that scheme's ``DT_MAX_EXPONENTIAL``."""
    kernel = CBGTC_MODELS[model.name]
    if model.substeps is _gp_scheme:
        return float(kernel.DT_MAX_EXPONENTIAL)
    return float(kernel.DT_MAX)
