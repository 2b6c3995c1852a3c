r"""Globus pallidus (GPe / GPi) cell of Rubin & Terman 2004.

A single-compartment Hodgkin–Huxley model in current-density units: mV, ms, mS/cm², µA/cm²,
C_m = 1 µF/cm², calcium in the model's arbitrary units.  GPe and GPi are the same cell; they
differ in ``I_app`` and in their inputs (:func:`gpe_normal_params`,
:func:`gpe_parkinsonian_params`, :func:`gpi_params`).

Equations
---------
.. math::

    C\,\dot v &= -(I_L + I_{Na} + I_K + I_T + I_{Ca} + I_{AHP}) + I_{app} + I_{inj} \\
    I_L &= g_L (v - E_L) \qquad I_{Na} = g_{Na} m_\infty(v)^3 h (v - E_{Na})
        \qquad I_K = g_K n^4 (v - E_K) \\
    I_T &= g_T a_\infty(v)^3 r (v - E_{Ca}) \qquad I_{Ca} = g_{Ca} s_\infty(v)^2 (v - E_{Ca})
        \qquad I_{AHP} = g_{AHP} (v - E_K)\, Ca/(Ca + k_1) \\
    \dot h &= \phi_h (h_\infty - h)/\tau_h \qquad \dot n = \phi_n (n_\infty - n)/\tau_n
        \qquad \dot r = \phi_r (r_\infty - r)/\tau_r \\
    \dot{Ca} &= \varepsilon\,(-I_{Ca} - I_T - k_{Ca} Ca)

with :math:`\sigma(x) = 1/(1+e^x)`, :math:`m_\infty = \sigma(-(v+37)/10)`,
:math:`h_\infty = \sigma((v+58)/12)`, :math:`n_\infty = \sigma(-(v+50)/14)`,
:math:`r_\infty = \sigma((v+70)/2)`, :math:`a_\infty = \sigma(-(v+57)/2)`,
:math:`s_\infty = \sigma(-(v+35)/2)`, :math:`\tau_n = \tau_h = 0.05 + 0.27\,\sigma((v+40)/12)` ms
and :math:`\tau_r = 30` ms.  Parameters: the authors' XPP file ``rubin_terman_pd.ode`` and its
``.set`` files (ModelDB 116867).

Numerics
--------
As :mod:`pynn_cbgtc_jax.kernels.stn`: one classical RK4 step of (v, h, n, r, Ca) per call with
the injected current constant over the step (global error O(dt⁴)).  This cell is the stiffest of
the three: with g_Na = 120 mS/cm² and instantaneous m_inf the upstroke grows at up to +116 ms⁻¹
(dv/dt ≈ 3900 mV/ms) and the membrane eigenvalue reaches -71 ms⁻¹ at the spike peak, so RK4
(stable for |λ dt| < 2.79) becomes unstable above ≈ 0.039 ms: peaks overshoot from 0.04 ms on.
:data:`DT_MAX` = 0.025 ms is the largest validated step (same rates as at 0.01 ms).  At
dt = 0.01 ms spike times are within 2.5 µs of an rtol = 1e-10 SciPy solve after 9 spikes; on the
3900 mV/ms upstroke that is a 6 mV pointwise voltage difference.  A spike is an upward crossing
of ``v_thresh`` (-20 mV) inside the step.  Currents are densities in µA/cm², positive
depolarising.

References
----------
Rubin JE, Terman D (2004) J Comput Neurosci 16:211–235; ModelDB 116867.
Terman D, Rubin JE, Yew AC, Wilson CJ (2002) J Neurosci 22:2963–2976.
"""

from __future__ import annotations

from typing import NamedTuple, Union

import jax
import jax.numpy as jnp

from ._gates import crossed_upward, rk4_kernel, scan_steps, sigmoid
from .declaration import NON_NEGATIVE, POSITIVE, params_type
from .density import (DensityKernel, KernelCoeffs, declare, density_cell, linearised_step,
                      plain_prepare)
from .integrators import Relax, exponential_midpoint

__all__ = [
    "GPParams", "GPState", "Params", "State", "Coeffs",
    "default_gp_params", "gpe_normal_params", "gpe_parkinsonian_params", "gpi_params",
    "initial_state", "prepare", "step", "simulate",
    "step_exponential", "simulate_exponential",
    "V_INIT", "DT_MAX", "DT_MAX_EXPONENTIAL", "PARAMETERS", "derivatives", "linearised",
    "MODELS",
]

V_INIT = -65.0
"""Default initial membrane potential, mV."""

DT_MAX = 0.025
"""Largest time step (ms) at which the kernel is validated; RK4 is unstable above ≈ 0.039 ms."""

DT_MAX_EXPONENTIAL = 0.05
"""Largest time step (ms) at which :func:`step_exponential` is validated (rates within 1 Hz of
RK4 at 0.01 ms); the scheme is stable at any step."""


PARAMETERS = {
    **declare("mS/cm**2", NON_NEGATIVE, g_L=0.1, g_Na=120.0, g_K=30.0, g_AHP=30.0,
              g_Ca=0.1,       # high-voltage Ca (instantaneous s_inf)
              g_T=0.5),       # low-threshold T-type Ca
    **declare("mV", E_L=-55.0, E_Na=55.0, E_K=-80.0, E_Ca=120.0),
    **declare("dimensionless",
              k1=30.0,        # Ca units, AHP half-activation
              k_Ca=15.0),     # Ca removal constant, µA/cm² per Ca unit (inside ε(...))
    **declare("1/ms", eps=1e-4),                                   # Ca scaling
    **declare("dimensionless", phi_h=0.05, phi_n=0.1, phi_r=1.0),
    **declare("ms", POSITIVE, tau_r=30.0),
    **declare("uA/cm**2", I_app=2.0),   # bias current, positive depolarising
    **declare("uF/cm**2", POSITIVE, C_m=1.0),
    **declare("mV", v_thresh=-20.0),    # spike detection threshold (upward crossing)
}
"""Rubin & Terman 2004 GP parameters (ModelDB 116867), density units; the default is the
normal GPe."""

GPParams = params_type(PARAMETERS, "GPParams", defaults=True)


class GPState(NamedTuple):
    """GP state; every leaf is a scalar for one neuron or an array with a leading neuron axis."""

    v: jax.Array   # mV
    h: jax.Array   # Na inactivation
    n: jax.Array   # K activation
    r: jax.Array   # T-type inactivation
    ca: jax.Array  # intracellular Ca, model units


Coeffs = KernelCoeffs
"""Per-run coefficients from :func:`prepare`: the parameters and ``dt`` (ms)."""


Params = GPParams
State = GPState


def default_gp_params(**overrides: float) -> GPParams:
    """GP parameters of the normal GPe (``I_app = 2``); keywords override fields."""
    return GPParams()._replace(**overrides)


def gpe_normal_params(**overrides: float) -> GPParams:
    """GPe, normal state (``.setnorm``): ``I_app = 2`` µA/cm²."""
    return GPParams(I_app=2.0)._replace(**overrides)


def gpe_parkinsonian_params(**overrides: float) -> GPParams:
    """GPe, Parkinsonian state (``.setpark``): ``I_app = -2.2`` µA/cm²."""
    return GPParams(I_app=-2.2)._replace(**overrides)


def gpi_params(**overrides: float) -> GPParams:
    """GPi (``.set`` files): ``I_app = 5`` µA/cm², ``k_Ca = 15``."""
    return GPParams(I_app=5.0, k_Ca=15.0)._replace(**overrides)


def _steady_gates(v):
    """Steady-state (h, n, r) at membrane potential ``v`` (mV)."""
    return sigmoid((v + 58.0) / 12.0), sigmoid(-(v + 50.0) / 14.0), sigmoid((v + 70.0) / 2.0)


def _calcium_currents(p: GPParams, v, r):
    """(I_Ca, I_T) in µA/cm²."""
    s_inf = sigmoid(-(v + 35.0) / 2.0)
    a_inf = sigmoid(-(v + 57.0) / 2.0)
    return p.g_Ca * s_inf**2 * (v - p.E_Ca), p.g_T * a_inf**3 * r * (v - p.E_Ca)


def derivatives(c: Coeffs, y: GPState, i_total) -> GPState:
    """Time derivatives (per ms) of every state variable; ``i_total`` in µA/cm²."""
    p = c.params
    v = y.v
    h_inf, n_inf, r_inf = _steady_gates(v)
    m_inf = sigmoid(-(v + 37.0) / 10.0)
    tau_hn = 0.05 + 0.27 * sigmoid((v + 40.0) / 12.0)
    i_ca, i_t = _calcium_currents(p, v, y.r)
    i_ion = (p.g_L * (v - p.E_L)
             + p.g_Na * m_inf**3 * y.h * (v - p.E_Na)
             + p.g_K * y.n**4 * (v - p.E_K)
             + p.g_AHP * (v - p.E_K) * y.ca / (y.ca + p.k1)
             + i_ca + i_t)
    return GPState(
        v=(i_total - i_ion) / p.C_m,
        h=p.phi_h * (h_inf - y.h) / tau_hn,
        n=p.phi_n * (n_inf - y.n) / tau_hn,
        r=p.phi_r * (r_inf - y.r) / p.tau_r,
        ca=p.eps * (-i_ca - i_t - p.k_Ca * y.ca),
    )


prepare = plain_prepare
"""Per-run coefficients for :func:`step` (the parameters and ``dt`` in ms)."""


def initial_state(params: GPParams, v: Union[float, jax.Array, None] = None) -> GPState:
    """State with every gate at its steady state for ``v`` (default :data:`V_INIT`) and Ca at the
    steady state of its equation, ``Ca = -(I_Ca + I_T)/k_Ca``."""
    v = jnp.asarray(V_INIT if v is None else v, dtype=jnp.result_type(float))
    h, n, r = _steady_gates(v)
    i_ca, i_t = _calcium_currents(params, v, r)
    return GPState(v=v, h=h, n=n, r=r, ca=-(i_ca + i_t) / params.k_Ca)


#: ``step(coeffs, state, i_inj) -> (new_state, spiked)``: RK4 (:func:`._gates.rk4_kernel`)
step = rk4_kernel(derivatives)


def simulate(params: GPParams, state: GPState, dt: float, i_inj: jax.Array):
    """Run one neuron over a current trace with ``lax.scan``: ``(final_state, v[k], spiked[k])``."""
    return scan_steps(step, prepare(params, dt), state, i_inj)


# --- exponential midpoint scheme (larger steps) ---------------------------------------------------


def linearised(p: GPParams, y: GPState, i_total):
    """The right-hand side in exponential form at ``y``.

    Returns a ``GPState`` for :func:`~.integrators.exponential_euler`: ``v`` is
    ``Relax(v_inf, G/C_m)``, ``dv/dt = (G/C_m) (v_inf - v)`` with the total conductance ``G`` and
    its reversal ``v_inf`` (mV); h, n and r are ``Relax(x_inf, φ_x/τ_x)``; ``ca`` is dCa/dt (per
    ms), advanced by forward Euler.
    """
    v = y.v
    h_inf, n_inf, r_inf = _steady_gates(v)
    m_inf = sigmoid(-(v + 37.0) / 10.0)
    s_inf = sigmoid(-(v + 35.0) / 2.0)
    a_inf = sigmoid(-(v + 57.0) / 2.0)
    tau_hn = 0.05 + 0.27 * sigmoid((v + 40.0) / 12.0)
    g_na = p.g_Na * m_inf**3 * y.h
    g_k = p.g_K * y.n**4 + p.g_AHP * y.ca / (y.ca + p.k1)
    g_ca = p.g_Ca * s_inf**2 + p.g_T * a_inf**3 * y.r
    g_total = p.g_L + g_na + g_k + g_ca
    v_inf = (p.g_L * p.E_L + g_na * p.E_Na + g_k * p.E_K + g_ca * p.E_Ca + i_total) / g_total
    return GPState(v=Relax(v_inf, g_total / p.C_m),
                   h=Relax(h_inf, 1.0 / (tau_hn / p.phi_h)),
                   n=Relax(n_inf, 1.0 / (tau_hn / p.phi_n)),
                   r=Relax(r_inf, 1.0 / (p.tau_r / p.phi_r)),
                   ca=p.eps * (-g_ca * (v - p.E_Ca) - p.k_Ca * y.ca))


def step_exponential(coeffs: Coeffs, state: GPState,
                     i_inj: jax.Array) -> tuple[GPState, jax.Array]:
    """Advance one neuron by ``coeffs.dt`` with the exponential midpoint scheme.

    Every equation is written ``dx/dt = a(y) (x_inf(y) - x)`` -- for ``v``, ``a = G/C_m`` is the
    total membrane conductance and ``x_inf`` its reversal potential -- and Ca is advanced
    explicitly.  A half step of exponential Euler (coefficients frozen at ``y``) gives the
    midpoint ``y½``; the full step is then the exact solution with the coefficients frozen at
    ``y½`` (Rush–Larsen with a midpoint, applied to the membrane too).  Second order; since
    each linear relaxation is solved exactly, the fast membrane eigenvalue that makes RK4
    unstable above 0.039 ms cannot destabilise it.

    Accuracy (``test_exponential_scheme_*``): normal GPe 56, 55, 53 Hz at dt = 0.025, 0.05,
    0.1 ms against 56 Hz for RK4 at 0.01 ms; GPi 84, 83, 80 Hz against 84; the Parkinsonian GPe
    stays silent; spike peaks 53.7--54.5 mV, where RK4 overshoots to 72 mV at 0.05 ms.  It is
    accurate in rate, not in spike timing: against the SciPy reference (float64, 100 ms, 9
    spikes) the largest spike-time error is 0.08 / 0.33 / 0.88 ms at dt = 0.01 / 0.025 /
    0.05 ms (RK4: 0.010 / 0.036 ms at 0.01 / 0.025), and the fitted order is 1.8.  Validated
    up to :data:`DT_MAX_EXPONENTIAL` by the notes' criterion (rates within 1 spike/s).  Not the
    default: :func:`step` (RK4) keeps the reference-accuracy contracts, and the PyNN cell types
    integrate with RK4 up to :data:`DT_MAX` and with this scheme above it (``MODELS``).
    """
    p = coeffs.params
    i_total = p.I_app + i_inj
    new = exponential_midpoint(lambda y: linearised(p, y, i_total), state, coeffs.dt)
    return new, crossed_upward(state.v, new.v, p.v_thresh)


def simulate_exponential(params: GPParams, state: GPState, dt: float, i_inj: jax.Array):
    """:func:`simulate` with :func:`step_exponential`: ``(final_state, v[k], spiked[k])``."""
    return scan_steps(step_exponential, prepare(params, dt), state, i_inj)


MODELS = (density_cell(
    "GP_RT2004", DensityKernel(PARAMETERS, GPParams, GPState, prepare, derivatives,
                               initial_state),
    {"v": "v", "h": "h", "n": "n", "r": "r", "ca": "Ca"},
    {"v": "mV", "h": "dimensionless", "n": "dimensionless", "r": "dimensionless",
     "Ca": "dimensionless"},
    dt_max=DT_MAX_EXPONENTIAL, rk4_dt_max=DT_MAX, large_step=linearised_step(linearised),
    doc="""Globus pallidus cell of Rubin & Terman 2004 (GPe and GPi are the same cell).

    Kernel: :mod:`pynn_cbgtc_jax.kernels.gp`.  Default ``I_app = 2`` µA/cm², the normal GPe
    (about 57 Hz alone).  Presets: :class:`GPe_RT2004` (``.normal()``, ``.parkinsonian()``)
    and :class:`GPi_RT2004`.

    Integration: RK4 at ``dt <= 0.025`` ms (``gp.DT_MAX``, the reference accuracy: spike times
    within 0.04 ms of a SciPy solve after 100 ms).  At ``0.025 < dt <= 0.05`` ms, where RK4 is
    unstable, the exponential midpoint scheme (``gp.step_exponential``, synaptic conductances
    included in its membrane conductance), stable at any step and 2.5 times cheaper per
    simulated ms than RK4 at 0.025 ms (10 000 GPe, float32, this project's CPU).  It is accurate
    in rate, not in spike timing.  Measured at dt = 0.05 ms against RK4 at 0.01 ms, float32,
    the same input spike trains, 60 cells per type (normal and Parkinsonian GPe, GPi) each
    driven to 0-220 spikes/s by excitatory (0-600 Hz, 0.08 µS) and inhibitory (0-300 Hz,
    0.03 µS) Poisson trains, rates over 1.5 s: population rates 1.5-1.9 % lower (RK4 at
    0.025 ms: 0.04 %), per cell at most 4.4 % or 6.7 spikes/s off; with 130 Hz, 0.3 ms, 30 nA
    DBS pulses into every cell 1.7-2.0 % lower, per cell at most 6.5 % (RK4 at 0.025 ms:
    0.3-0.6 %, 8.5 %: the pulses lock cells to sub-harmonics, so a small phase error moves one
    cell's rate by a step).  Spike times lag: 0.33 ms after 100 ms at 0.025 ms, 0.88 ms at 0.05 ms
    (``gp.step_exponential``).  For spike timing use ``dt <= 0.025`` ms.
    """),)
