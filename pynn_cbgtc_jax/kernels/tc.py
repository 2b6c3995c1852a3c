r"""Thalamocortical (TC) relay cell of Rubin & Terman 2004.

A single-compartment Hodgkin–Huxley model in current-density units: mV, ms, mS/cm², µA/cm²,
C_m = 1 µF/cm².  The cell is silent at rest and relays sensorimotor pulses (``I_SM``, 5 µA/cm²
for 5 ms every 50 ms in the ``.set`` file) one spike per pulse; GPi inhibition disrupts the relay.

Equations
---------
.. math::

    C\,\dot v &= -(I_L + I_{Na} + I_K + I_T) + I_{app} + I_{inj} \\
    I_L &= g_L (v - E_L) \qquad I_{Na} = g_{Na} m_\infty(v)^3 h (v - E_{Na}) \\
    I_K &= g_K [0.75 (1 - h)]^4 (v - E_K) \qquad I_T = g_T p_\infty(v)^2 r (v - E_T) \\
    \dot h &= (h_\infty - h)/\tau_h \qquad \dot r = \phi_r (r_\infty - r)/\tau_r

with :math:`\sigma(x) = 1/(1+e^x)`, :math:`m_\infty = \sigma(-(v+37)/7)`,
:math:`p_\infty = \sigma(-(v+60)/6.2)`, :math:`h_\infty = \sigma((v+41)/4)`,
:math:`r_\infty = \sigma((v+84)/4)`,
:math:`\tau_h = 1/(0.128\,e^{-(v+46)/18} + 4/(1 + e^{-(v+23)/5}))` ms and
:math:`\tau_r = 28 + e^{-(v+25)/10.5}` ms.  Parameters: the authors' XPP file
``rubin_terman_pd.ode`` (ModelDB 116867), identical in Fleming's ``Thalamic_I_*.mod``.

Numerics
--------
As :mod:`pynn_cbgtc_jax.kernels.stn`: one classical RK4 step of (v, h, r) per call with the
injected current constant over the step (global error O(dt⁴)); the fastest gate has τ_h >= 0.24
ms and the stiffest eigenvalue is ≈ -4 ms⁻¹, so the step is limited by accuracy, not
stability; it is validated up to :data:`DT_MAX` = 0.05 ms.  A spike is an upward crossing of
``v_thresh`` (-20 mV) inside the step.  Currents are densities in µA/cm², positive depolarising.

References
----------
Rubin JE, Terman D (2004) J Comput Neurosci 16:211–235; ModelDB 116867.
"""

from __future__ import annotations

import math
from typing import NamedTuple, Union

import jax
import jax.numpy as jnp

from ._gates import rk4_kernel, safe_exp, scan_steps, sigmoid
from .declaration import NON_NEGATIVE, POSITIVE, params_type
from .density import DensityKernel, KernelCoeffs, declare, density_cell, plain_prepare
from .density_synapses import DESTEXHE

__all__ = [
    "TCParams", "TCState", "Params", "State", "Coeffs",
    "default_tc_params", "initial_state", "prepare", "step", "simulate",
    "V_INIT", "DT_MAX", "PARAMETERS", "derivatives", "MODELS",
]

V_INIT = -65.0
"""Default initial membrane potential, mV (about 0.5 mV below rest, -64.5 mV; no spike follows)."""

DT_MAX = 0.05
"""Largest time step (ms) at which the kernel is validated."""


PARAMETERS = {
    **declare("mS/cm**2", NON_NEGATIVE, g_L=0.05, g_Na=3.0, g_K=5.0,
              g_T=5.0),       # low-threshold T-type Ca
    **declare("mV", E_L=-70.0, E_Na=50.0, E_K=-90.0, E_T=0.0),
    **declare("dimensionless", phi_r=2.5),                         # r rate factor
    **declare("ms", POSITIVE, tau_r0=28.0),
    **declare("uA/cm**2", I_app=0.0),   # bias current, positive depolarising
    **declare("uF/cm**2", POSITIVE, C_m=1.0),
    **declare("mV", v_thresh=-20.0),    # spike detection threshold (upward crossing)
}
"""Rubin & Terman 2004 TC parameters (ModelDB 116867), density units."""

TCParams = params_type(PARAMETERS, "TCParams", defaults=True)


class TCState(NamedTuple):
    """TC state; every leaf is a scalar for one neuron or an array with a leading neuron axis."""

    v: jax.Array  # mV
    h: jax.Array  # Na inactivation (K activation is 0.75 (1 - h))
    r: jax.Array  # T-type inactivation


Coeffs = KernelCoeffs
"""Per-run coefficients from :func:`prepare`: the parameters and ``dt`` (ms)."""


Params = TCParams
State = TCState


def default_tc_params(**overrides: float) -> TCParams:
    """Rubin & Terman 2004 TC parameters; keywords override fields."""
    return TCParams()._replace(**overrides)


def _steady_gates(v):
    """Steady-state (h, r) at membrane potential ``v`` (mV)."""
    return sigmoid((v + 41.0) / 4.0), sigmoid((v + 84.0) / 4.0)


def derivatives(c: Coeffs, y: TCState, i_total) -> TCState:
    """Time derivatives (per ms) of every state variable; ``i_total`` in µA/cm²."""
    p = c.params
    v = y.v
    h_inf, r_inf = _steady_gates(v)
    m_inf = sigmoid(-(v + 37.0) / 7.0)
    p_inf = sigmoid(-(v + 60.0) / 6.2)
    tau_h = 1.0 / (0.128 * safe_exp(-(v + 46.0) / 18.0) + 4.0 * sigmoid(-(v + 23.0) / 5.0))
    tau_r = p.tau_r0 + safe_exp(-(v + 25.0) / 10.5)
    i_ion = (p.g_L * (v - p.E_L)
             + p.g_Na * m_inf**3 * y.h * (v - p.E_Na)
             + p.g_K * (0.75 * (1.0 - y.h))**4 * (v - p.E_K)
             + p.g_T * p_inf**2 * y.r * (v - p.E_T))
    return TCState(
        v=(i_total - i_ion) / p.C_m,
        h=(h_inf - y.h) / tau_h,
        r=p.phi_r * (r_inf - y.r) / tau_r,
    )


prepare = plain_prepare
"""Per-run coefficients for :func:`step` (the parameters and ``dt`` in ms)."""


def initial_state(params: TCParams, v: Union[float, jax.Array, None] = None) -> TCState:
    """State with every gate at its steady state for ``v`` (default :data:`V_INIT`)."""
    del params  # the steady-state curves have no free parameters
    v = jnp.asarray(V_INIT if v is None else v, dtype=jnp.result_type(float))
    h, r = _steady_gates(v)
    return TCState(v=v, h=h, r=r)


#: ``step(coeffs, state, i_inj) -> (new_state, spiked)``: RK4 (:func:`._gates.rk4_kernel`)
step = rk4_kernel(derivatives)


def simulate(params: TCParams, state: TCState, dt: float, i_inj: jax.Array):
    """Run one neuron over a current trace with ``lax.scan``: ``(final_state, v[k], spiked[k])``."""
    return scan_steps(step, prepare(params, dt), state, i_inj)


MODELS = (density_cell(
    "TC_RT2004", DensityKernel(PARAMETERS, TCParams, TCState, prepare, derivatives,
                               initial_state),
    {"v": "v", "h": "h", "r": "r"},
    {"v": "mV", "h": "dimensionless", "r": "dimensionless"},
    dt_max=DT_MAX, e_rev_I=-85.0,
    doc="""Thalamocortical relay cell of Rubin & Terman 2004.

    Kernel: :mod:`pynn_cbgtc_jax.kernels.tc`.  Silent at rest; relays each 5 ms / 5 µA/cm²
    (0.5 nA at the default area) sensorimotor pulse with one spike.  ``e_rev_I`` defaults to
    -85 mV, the GPi->TC reversal of Rubin & Terman 2004.
    """),
    density_cell(
        "TC_Fleming2020", DensityKernel(PARAMETERS, TCParams, TCState, prepare, derivatives,
                                        initial_state),
        {"v": "v", "h": "h", "r": "r"},
        {"v": "mV", "h": "dimensionless", "r": "dimensionless"},
        dt_max=DT_MAX, synapses=DESTEXHE, phi_r=1.0, v_thresh=10.0,
        area=100.0 * math.pi * 100.0 * 100.0,
        doc="""The Rubin & Terman 2004 thalamocortical cell as Fleming et al. 2020 run it
    (``Thalamic_I_*.mod``): the same currents (Fleming's conductances in S/cm² on cm = 100 µF/cm²
    are these mS/cm² on 1 µF/cm²), but the r gate without the factor 2.5 (``phi_r = 1``),
    spikes at +10 mV (NEURON's NetCon default), and Fleming's AMPA / GABAa receptors
    (:mod:`pynn_cbgtc_jax.kernels.density_synapses`).  Fleming's soma is 100 x 100 µm with
    cm = 100 µF/cm²; on our C_m = 1 µF/cm² the same charge per mV needs a 100-fold ``area``
    (3.14e6 µm²), the default, so synaptic weights in µS and currents in nA act as in Fleming's
    network.
    """),
)
