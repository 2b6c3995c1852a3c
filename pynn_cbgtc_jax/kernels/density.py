r"""Cells written in current densities (the Rubin & Terman 2004 cells) on the kernel contract.

The kernels :mod:`~pynn_cbgtc_jax.kernels.stn`, ``gp`` and ``tc`` work in current densities
(µA/cm², mS/cm², C_m in µF/cm²); PyNN works in nA and µS.  This module is the only place where
the two meet: each cell gets a membrane area ``area`` (µm²) and

.. math::

    I\,[\mu A/cm^2] = I\,[nA] \cdot 10^{-3} / A\,[cm^2] = I\,[nA] \cdot 10^{5} / A\,[\mu m^2]

is applied to every current that comes from PyNN: ``i_offset`` and electrode currents (nA) and
the synaptic current :math:`g_{exc}(e_{rev,E} - v) + g_{inh}(e_{rev,I} - v)` (µS·mV = nA).
``I_app`` and every conductance density of the kernel stay in the kernel's units.  With the
default area of 10 000 µm² (1e-4 cm², a 56 µm sphere; Fleming's 60 µm × 60 µm cylinder is
11 310 µm²) 0.1 nA is 1 µA/cm², 1 µS is 10 mS/cm², and the total capacitance is 100 pF.

Equations (per cell; ``K`` is the kernel's membrane equation)::

    C_m dv/dt = K(v, gates) + I_app + (i_offset + I_inj + I_syn) * 1e5 / area
    I_syn     = g_exc (e_rev_E - v) + g_inh (e_rev_I - v)                 # nA
    dg_exc/dt = -g_exc / tau_syn_E,  dg_inh/dt = -g_inh / tau_syn_I       # uS; spike: g += w

Scheme: the conductances are advanced exactly (their value at the RK4 stage times 0, dt/2, dt
is known in closed form, as in ``lif_cond.py``); the kernel's state (v, gates, Ca) is advanced by
one classical RK4 step (``integrators.rk4_batched``) with the synaptic current evaluated at each
stage with the stage's v and exact conductance, so the scheme stays fourth order with synapses.
Without synaptic input the arithmetic is exactly that of the kernel's own density ``step``.
Spikes arriving at the end of a step are added to the conductance after the step
(``Drive.exc``/``Drive.inh``, µS).  A spike is an upward crossing of ``v_thresh`` inside the step.

A kernel may offer a large-step scheme (GP's exponential midpoint, :func:`linearised_step`),
used by the populations whose time step exceeds its RK4 limit; the choice is static per
population (``NeuronModel.substeps``).
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp

from ._gates import crossed_upward
from .base import Drive
from .declaration import POSITIVE, NeuronModel, Parameter, Variable, params_type
from .density_synapses import EXPONENTIAL, SynapseSet
from .integrators import (Relax, exponential_midpoint, exponential_midpoint_staggered,
                          rk4_batched)

__all__ = ["NA_TO_DENSITY", "BRIDGE", "KernelCoeffs", "plain_prepare", "DensityKernel",
           "density_cell", "linearised_step", "declare"]

NA_TO_DENSITY = 1e5
"""µA/cm² per nA for a membrane of 1 µm²:
``I[nA] * 1e-3 µA/nA / (area[µm²] * 1e-8 cm²/µm²) = I * 1e5 / area``."""

BRIDGE = {
    "area": Parameter("um**2", 10000.0, POSITIVE),     # 0.1 nA <-> 1 µA/cm², 1 µS <-> 10 mS/cm²
    "i_offset": Parameter("nA", 0.0),                  # on top of the density I_app
}
"""The PyNN-side parameters every density cell adds to its kernel's (PyNN units), before its
synapses' (``density_synapses``: ``tau_syn_E`` ... ``e_rev_I`` of the exponential pair)."""

_RK4, _LARGE_STEP = 1, 0
"""``n_sub`` codes of a population: one RK4 step, or the kernel's large-step scheme."""


def declare(unit: str, limit: str = "any", **defaults: float) -> dict:
    """``{name: Parameter(unit, default, limit)}`` for several parameters of one unit."""
    return {name: Parameter(unit, float(value), limit) for name, value in defaults.items()}


class KernelCoeffs(NamedTuple):
    """Per-run coefficients of a density kernel that needs nothing beyond its parameters and the
    step (``gp.py``, ``tc.py``)."""

    params: tuple   # the kernel's parameters
    dt: float       # ms


def plain_prepare(params, dt: float) -> KernelCoeffs:
    """``prepare`` of such a kernel: the parameters and ``dt`` (ms)."""
    return KernelCoeffs(params=params, dt=dt)


class DensityKernel(NamedTuple):
    """What a density kernel module gives :func:`density_cell`."""

    parameters: dict        # name -> Parameter, density units
    params: type            # the kernel's parameter NamedTuple (fields as ``parameters``)
    state: type             # the kernel's state NamedTuple (``v`` first)
    prepare: Callable       # (params, dt) -> kernel coeffs
    derivatives: Callable   # (coeffs, state, i_total µA/cm²) -> d state / dt (per ms)
    initial_state: Callable  # (params) -> state at steady state for the default v


class _Coeffs(NamedTuple):
    """Per-run coefficients of a density cell."""

    kernel: tuple          # the kernel's own ``prepare`` result
    syn: tuple             # the synapse set's coefficients
    to_density: jax.Array  # µA/cm² per nA (1e5 / area)
    i_offset: jax.Array    # nA
    e_rev_E: jax.Array     # mV
    e_rev_I: jax.Array     # mV
    I_app: jax.Array       # µA/cm²
    v_thresh: jax.Array    # mV
    dt: jax.Array          # ms


def linearised_step(linearised: Callable, staggered: bool = False) -> Callable:
    """The large step of a kernel with ``linearised(kernel_params, y, i_total)`` (the right-hand
    side in exponential form, ``gp.linearised``): the exponential midpoint scheme with the
    synaptic conductances inside the membrane conductance.

    ``G' = G + a (g_e + g_i)`` and ``v_inf' = (G v_inf + a (g_e E_e + g_i E_i)) / G'`` with
    ``a`` = ``to_density`` (µS -> mS/cm²), so the synapses are integrated exponentially too and
    cannot destabilise the step.  The half step uses the conductances at 0, the full step those
    at dt/2 (the midpoint).  Without synaptic input this is the kernel's own exponential step to
    rounding.

    ``staggered``: in the half step, ``v`` moves first and every other variable relaxes with its
    coefficients at the half-step ``v`` (:func:`.integrators.exponential_midpoint_staggered`):
    second order also for gates far faster than the step (``hahn_mcintyre``'s GP, τ_m = 1 µs),
    which the plain scheme leaves half a step behind ``v`` (first order).
    """
    def step(c: _Coeffs, y, i_const, stages):
        p = c.kernel.params

        def with_synapses(y, g):
            g_e, g_i = g
            lin = linearised(p, y, i_const)
            g_ion = lin.v.rate * p.C_m                                   # mS/cm²
            g_total = g_ion + c.to_density * (g_e + g_i)                # µS -> mS/cm²
            v_inf = (g_ion * lin.v.x_inf
                     + c.to_density * (g_e * c.e_rev_E + g_i * c.e_rev_I)) / g_total
            return lin._replace(v=Relax(v_inf, g_total / p.C_m))

        if staggered:
            return exponential_midpoint_staggered(with_synapses, y, c.dt, stages[:2])
        return exponential_midpoint(with_synapses, y, c.dt, stages[:2])

    return step


def density_cell(name: str, kernel: DensityKernel, state_names: dict, units: dict, *, dt_max: float,
                 rk4_dt_max: float | None = None, large_step: Callable | None = None,
                 doc: str = "", synapses: SynapseSet = EXPONENTIAL,
                 **defaults: float) -> NeuronModel:
    """The ``NeuronModel`` of a density kernel with the PyNN bridge.

    Parameters
    ----------
    kernel : DensityKernel
    state_names : kernel state field -> PyNN initial-value / recordable name.
    units : PyNN name -> unit of each state variable.
    dt_max : largest validated time step (ms).
    rk4_dt_max : largest step (ms) of RK4, if below ``dt_max``; above it ``large_step`` (from
        :func:`linearised_step`) integrates the population (0: always ``large_step``).
    synapses : the two receptors (``density_synapses.EXPONENTIAL`` or ``DESTEXHE``).
    defaults : overrides of the declared defaults (e.g. ``e_rev_I`` of the cell type).
    """
    parameters = dict(kernel.parameters, **BRIDGE, **synapses.parameters)
    for key, value in defaults.items():
        parameters[key] = parameters[key]._replace(default=float(value))
    kstate, n_kernel = kernel.state, len(kernel.parameters)
    n_k = len(kstate._fields)
    Params = params_type(parameters)
    State = NamedTuple(f"{name}State", [(f, jnp.ndarray)
                                        for f in kstate._fields + synapses.fields])
    State.__doc__ = (f"State of {name}: the kernel's ({', '.join(kstate._fields)}) plus its "
                     f"synapses' ({', '.join(synapses.fields)}).")

    def rhs(y, g, c: _Coeffs, i_const):
        g_e, g_i = g
        i_syn = g_e * (c.e_rev_E - y.v) + g_i * (c.e_rev_I - y.v)   # uS * mV = nA
        return kernel.derivatives(c.kernel, y, i_const + c.to_density * i_syn)

    def prepare(p: Params, dt) -> _Coeffs:
        kp = kernel.params(*p[:n_kernel])
        e_1, e_2 = synapses.reversals(p)
        return _Coeffs(kernel=kernel.prepare(kp, dt), syn=synapses.coeffs(p, dt),
                       to_density=NA_TO_DENSITY / p.area, i_offset=p.i_offset,
                       e_rev_E=e_1, e_rev_I=e_2, I_app=kp.I_app,
                       v_thresh=kp.v_thresh, dt=jnp.asarray(dt, dtype=jnp.result_type(p.area)))

    def step(c: _Coeffs, s, d: Drive, n_sub: int = _RK4):
        # densities held over the step: the kernel's bias plus the PyNN currents (nA -> µA/cm²)
        i_const = c.I_app + c.to_density * (c.i_offset + d.i_inj)
        syn = tuple(s[n_k:])
        stages = synapses.stages(c.syn, syn)
        old = kstate(*s[:n_k])
        if n_sub == _LARGE_STEP:       # static: chosen per population from the host dt
            new = large_step(c, old, i_const, stages)
        else:
            new = rk4_batched(rhs, old, c.dt, c, i_const, stages=stages)
        spiked = crossed_upward(old.v, new.v, c.v_thresh)
        return State(*new, *synapses.advance(c.syn, syn, (d.exc, d.inh), new.v)), spiked

    def steady_state(values: dict) -> dict:
        """The kernel's steady state at its default v for these parameters, in float64."""
        with jax.enable_x64(True):
            s = kernel.initial_state(kernel.params(**{k: values[k]
                                                      for k in kernel.params._fields}))
            out = {state_names[f]: float(x) for f, x in zip(s._fields, s)}
        return dict(out, **{name: 0.0 for name in synapses.recordables})

    schemes, substeps = "RK4; see the kernel's DT_MAX", None
    if rk4_dt_max is not None and rk4_dt_max < dt_max:
        schemes = (f"RK4 up to {rk4_dt_max} ms, the exponential midpoint scheme up to "
                   f"{dt_max} ms; see the kernel's DT_MAX and DT_MAX_EXPONENTIAL"
                   if rk4_dt_max > 0 else
                   f"the exponential midpoint scheme at every step up to {dt_max} ms (the "
                   f"kernel's Numerics)")

        def substeps(dt: float, params) -> int:
            del params
            return _RK4 if dt <= rk4_dt_max * (1 + 1e-9) else _LARGE_STEP

    names = dict(state_names, **{f: n for n, f in synapses.recordables.items()})
    variables = {n: Variable(u) for n, u in dict(
        units, **{n: synapses.units[f] for n, f in synapses.recordables.items()}).items()}
    return NeuronModel(name=name, parameters=parameters, state=State, prepare=prepare,
                       step=step, initial=names, recordables={v: k for k, v in names.items()},
                       variables=variables, steady_state=steady_state, substeps=substeps,
                       dt_max=dt_max, schemes=schemes, doc=doc,
                       receptor_types=synapses.receptor_types)

