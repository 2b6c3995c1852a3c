r"""Subthalamic nucleus (STN) cell: Rubin & Terman 2004 plus the I_h of Gillies & Willshaw 2006.

A single-compartment Hodgkin–Huxley model in current-density units: mV, ms, mS/cm², µA/cm²,
C_m = 1 µF/cm², calcium concentration in the model's arbitrary units.

Equations
---------
.. math::

    C\,\dot v &= -(I_L + I_{Na} + I_K + I_{AHP} + I_{Ca} + I_T + I_h) + I_{app} + I_{inj} \\
    I_L &= g_L (v - E_L) \qquad I_{Na} = g_{Na} m_\infty(v)^3 h (v - E_{Na})
        \qquad I_K = g_K n^4 (v - E_K) \\
    I_{AHP} &= g_{AHP} (v - E_K)\, Ca/(Ca + k_1) \qquad
    I_{Ca} = g_{Ca} s_\infty(v)^2 (v - E_{Ca}) \\
    I_T &= g_T a_\infty(v)^3 b_\infty(r)^2 (v - E_{Ca}) \qquad
    I_h = g_h q_g f (v - E_h) \\
    \dot h &= \phi (h_\infty - h)/\tau_h \qquad \dot n = \phi (n_\infty - n)/\tau_n \qquad
    \dot r = \phi_r (r_\infty - r)/\tau_r \qquad \dot f = (f_\infty - f)/\tau_f \\
    \dot{Ca} &= \phi\,\varepsilon\,(-I_{Ca} - I_T - k_{Ca} Ca)

with :math:`\sigma(x) = 1/(1+e^x)` and

* :math:`m_\infty = \sigma(-(v+30)/15)`, :math:`h_\infty = \sigma((v+39)/3.1)`,
  :math:`n_\infty = \sigma(-(v+32)/8)`, :math:`r_\infty = \sigma((v+67)/2)`,
  :math:`s_\infty = \sigma(-(v+39)/8)`, :math:`a_\infty = \sigma(-(v+63)/7.8)`;
* :math:`b_\infty(r) = \sigma((r-\theta_b)/\sigma_b) - \sigma(-\theta_b/\sigma_b)`;
* :math:`\tau_n = 1 + 100\,\sigma((v+80)/26)`, :math:`\tau_h = 1 + 500\,\sigma((v+57)/3)`,
  :math:`\tau_r = \tau_{r0} + \tau_{r1}\,\sigma((v-68)/2.2)` (ms);
* I_h (Huguenard & McCormick 1992 kinetics as used by Gillies & Willshaw 2006):
  :math:`f_\infty = \sigma((v+80)/5.5)`,
  :math:`\tau_f = [e^{-15.02-0.086 v} + e^{-1.5195+0.0701 v}]^{-1}/q` ms,
  :math:`q = q_g = 2^{(T-35.5)/10}` with ``T = celsius_h``.

Parameters are the 2004 set of the authors' XPP file (``rubin_terman_pd.ode``, ModelDB 116867):
:math:`\theta_b = 0.25`, :math:`\sigma_b = -0.07`, :math:`\tau_{r0} = 7.1` ms,
:math:`\phi_r = 0.5`, :math:`\varepsilon = 5\cdot10^{-5}` ms⁻¹, and the ``.ode``'s factor
:math:`\phi` on the calcium equation.  :func:`rt2002_stn_params` gives the Terman et al. 2002 set.

The choice of ``g_h``
---------------------
Rubin & Terman have no I_h; Gillies & Willshaw's ``Ih.mod`` default is 1 mS/cm².  With
``E_h = -56.1`` mV and half-activation at -80 mV, I_h is nearly closed (f_inf < 0.03) over the
-60…-40 mV of the spontaneous interspike interval, and its time constant (0.3–1 s) makes it
integrate hyperpolarisations only.  During a hyperpolarising step it is depolarising, so it
*opposes* the hyperpolarisation that de-inactivates I_T and shortens the rebound burst.  A scan
(dt = 0.025 ms, float64; rate from the mean ISI after 0.5 s; burst = spikes within 200 ms of
the end of a -25 µA/cm² step of 300 / 500 ms):

==========  ==========  ==============  ==============
g_h         rate (Hz)   burst, 300 ms   burst, 500 ms
==========  ==========  ==============  ==============
0           2.72        5               5
0.25        2.72        5               5
**0.5**     2.72        5               5
0.75        2.72        5               4
1           2.72        4               4
2           2.72        4               4
5           2.71        3               3
10          2.69        2               2
==========  ==========  ==============  ==============

The published cell fires at 2.6 Hz and bursts with 5 spikes (notes §2.6; ours: ISIs 22, 17, 18,
25 ms).  The default ``g_h = 0.5`` mS/cm², half the ``Ih.mod`` default, is the largest value on
this grid that leaves both the rate and the 5-spike burst of the original cell unchanged for both
step lengths.  Set ``g_h = 0`` for the original Rubin & Terman cell.

Numerics
--------
One step is a classical RK4 step of the whole state (v, h, n, r, f, Ca) with the injected current
held constant over the step; the global error is O(dt⁴) (``test_rk4_convergence_order``: fitted
order 3.8 for dt = 0.005–0.02 ms, 0.011 mV max error over 100 ms at dt = 0.01 ms against an
rtol = 1e-10 SciPy solve).  Every gate has τ >= 1.3 ms; the stiffest eigenvalue is the
membrane's, ≈ -35 ms⁻¹ at the spike peak, so RK4 (stable for |λ dt| < 2.79) is stable up to
≈ 0.08 ms and validated up to :data:`DT_MAX` = 0.05 ms.  Exponential Euler for the gates
would add no stability here and would cap the order at one (Lie splitting) or two (Strang,
Rush–Larsen 2).  Measured on the 100 ms, I_app = 25 test (float64, max |v - v_ref| at
dt = 0.005 / 0.01 / 0.02 ms): Rush–Larsen with forward Euler for v and Ca 37 / 55 / 68 mV
(order 0.4: spike times drift), an exponential midpoint scheme (Rush–Larsen 2) 0.39 / 1.4 /
4.4 mV (order 1.8), RK4 0.0007 / 0.011 / 0.13 mV.  Only RK4 meets the 0.05 mV contract, and
the midpoint scheme needs two right-hand sides plus two rate evaluations per step, so it would
not even be much cheaper.

Cost: the right-hand side takes 11 ``tanh`` (every sigmoid, :func:`~._gates.sigmoid`), 2
``exp`` (τ_f) and 4 divisions; on a CPU a population is integrated as one stacked state array
(:func:`~.integrators.rk4_batched` explains why).  10 000 neurons, float32, dt = 0.025 ms, this
project's 2-core CPU: 0.21 ms per step (``validation/benchmarks/bench_kernels.py --models STN``),
against 0.37 ms variable by variable with a stage loop and 0.65 ms for the unrolled, ``exp``-based
step.

A spike is an upward crossing of ``v_thresh`` (-20 mV) inside the step: ``v`` below it before,
at or above it after.

Sign convention: every injected current (``I_app``, ``i_inj``, the seed API's ``I_ext`` and
``I_syn``) is a current density in µA/cm², positive depolarising.  A synaptic current therefore
enters as ``I_syn = -g_syn s (v - E_syn)``.

References
----------
Rubin JE, Terman D (2004) High frequency stimulation of the subthalamic nucleus eliminates
pathological thalamic rhythmicity in a computational model. J Comput Neurosci 16:211–235;
ModelDB 116867.
Terman D, Rubin JE, Yew AC, Wilson CJ (2002) J Neurosci 22:2963–2976.
Gillies A, Willshaw D (2006) Membrane channel interactions underlying rat subthalamic projection
neuron rhythmic and bursting activity. J Neurophysiol 95:2352–2365.
Huguenard JR, McCormick DA (1992) J Neurophysiol 68:1373–1383.
"""

from __future__ import annotations

from typing import Callable, NamedTuple, Union

import jax
import jax.numpy as jnp

from ._gates import (perturbed_population, rk4_kernel, safe_exp, scan_steps, sigmoid,
                     seed_step, vectorize_seed_step)
from .declaration import NON_NEGATIVE, POSITIVE, params_type
from .density import DensityKernel, declare, density_cell

__all__ = [
    "STNParams", "STNState", "Params", "State", "Coeffs",
    "default_stn_params", "rt2002_stn_params", "default_stn_state",
    "initial_state", "prepare", "step", "simulate",
    "stn_step", "create_vectorized_stn", "create_population_state",
    "V_INIT", "DT_MAX", "PARAMETERS", "derivatives", "MODELS",
]

V_INIT = -60.0
"""Default initial membrane potential, mV (= E_L; the cell is a pacemaker and has no rest)."""

DT_MAX = 0.05
"""Largest time step (ms) at which the kernel is validated (spike times within one step of the
SciPy reference over 1 s); RK4 itself stays stable up to about 0.08 ms."""


PARAMETERS = {
    **declare("mS/cm**2", NON_NEGATIVE, g_L=2.25, g_Na=37.5, g_K=45.0, g_AHP=9.0,
              g_Ca=0.5,       # high-voltage Ca (instantaneous s_inf)
              g_T=0.5,        # low-threshold T-type Ca
              g_h=0.5),       # HCN; half the Ih.mod default (module docstring)
    **declare("mV", E_L=-60.0, E_Na=55.0, E_K=-80.0, E_Ca=140.0, E_h=-56.1),
    **declare("dimensionless",
              k1=15.0,        # Ca units, AHP half-activation
              k_Ca=22.5),     # Ca removal constant, µA/cm² per Ca unit (inside φ·ε(...))
    **declare("1/ms", eps=5e-5),                                  # Ca scaling
    **declare("dimensionless", phi=0.75, phi_r=0.5),              # h/n (and Ca), r rate factors
    **declare("ms", POSITIVE, tau_r0=7.1),
    **declare("ms", tau_r1=17.5),
    **declare("dimensionless", theta_b=0.25, sigma_b=-0.07),      # b_inf(r) half-point, slope
    **declare("degC", celsius_h=35.5),  # temperature of the I_h kinetics (35.5 -> q = q_g = 1)
    **declare("uA/cm**2", I_app=0.0),   # bias current, positive depolarising
    **declare("uF/cm**2", POSITIVE, C_m=1.0),
    **declare("mV", v_thresh=-20.0),    # spike detection threshold (upward crossing)
}
"""Rubin & Terman 2004 STN parameters plus I_h (defaults: ModelDB 116867 ``.ode``), density
units."""

STNParams = params_type(PARAMETERS, "STNParams", defaults=True)


class STNState(NamedTuple):
    """STN state; every leaf is a scalar for one neuron or an array with a leading neuron axis."""

    v: jax.Array   # mV
    h: jax.Array   # Na inactivation
    n: jax.Array   # K activation
    r: jax.Array   # T-type inactivation variable (enters through b_inf(r))
    f: jax.Array   # I_h activation
    ca: jax.Array  # intracellular Ca, model units


class Coeffs(NamedTuple):
    """Per-run coefficients from :func:`prepare`."""

    params: STNParams
    dt: float             # ms
    b_offset: jax.Array   # σ(-θ_b/σ_b), so that b_inf(0) = 0
    q_h: jax.Array        # I_h rate temperature factor
    q_g: jax.Array        # I_h conductance temperature factor


Params = STNParams
State = STNState


def default_stn_params(**overrides: float) -> STNParams:
    """Rubin & Terman 2004 STN parameters (ModelDB 116867) with I_h; keywords override fields."""
    return STNParams()._replace(**overrides)


def rt2002_stn_params(**overrides: float) -> STNParams:
    """Terman et al. 2002 STN kinetics: θ_b 0.4, σ_b -0.1, τ_r0 40 ms, φ_r 0.2.

    The 2002 calcium rate ε = 3.75e-5 ms⁻¹ equals the 2004 product φ·ε, so ``eps`` stays.
    """
    base = STNParams(theta_b=0.4, sigma_b=-0.1, tau_r0=40.0, phi_r=0.2)
    return base._replace(**overrides)


def _steady_gates(v):
    """Steady-state (h, n, r, f) at membrane potential ``v`` (mV)."""
    return (sigmoid((v + 39.0) / 3.1), sigmoid(-(v + 32.0) / 8.0),
            sigmoid((v + 67.0) / 2.0), sigmoid((v + 80.0) / 5.5))


def _calcium_currents(c: Coeffs, v, r):
    """(I_Ca, I_T) in µA/cm²."""
    p = c.params
    s_inf = sigmoid(-(v + 39.0) / 8.0)
    a_inf = sigmoid(-(v + 63.0) / 7.8)
    b_inf = sigmoid((r - p.theta_b) / p.sigma_b) - c.b_offset
    i_ca = p.g_Ca * s_inf**2 * (v - p.E_Ca)
    i_t = p.g_T * a_inf**3 * b_inf**2 * (v - p.E_Ca)
    return i_ca, i_t


def derivatives(c: Coeffs, y: STNState, i_total) -> STNState:
    """Time derivatives (per ms) of every state variable; ``i_total`` in µA/cm².

    Per call: 11 ``tanh`` (the sigmoids), 2 ``exp`` (τ_f) and 4 divisions; the I_h rate
    ``1/τ_f`` is used as written, without the reciprocal of the reciprocal.
    """
    p = c.params
    v = y.v
    h_inf, n_inf, r_inf, f_inf = _steady_gates(v)
    m_inf = sigmoid(-(v + 30.0) / 15.0)
    tau_h = 1.0 + 500.0 * sigmoid((v + 57.0) / 3.0)
    tau_n = 1.0 + 100.0 * sigmoid((v + 80.0) / 26.0)
    tau_r = p.tau_r0 + p.tau_r1 * sigmoid((v - 68.0) / 2.2)
    rate_f = (safe_exp(-15.02 - 0.086 * v) + safe_exp(-1.5195 + 0.0701 * v)) * c.q_h  # 1/τ_f

    i_ca, i_t = _calcium_currents(c, v, y.r)
    i_ion = (p.g_L * (v - p.E_L)
             + p.g_Na * m_inf**3 * y.h * (v - p.E_Na)
             + p.g_K * y.n**4 * (v - p.E_K)
             + p.g_AHP * (v - p.E_K) * y.ca / (y.ca + p.k1)
             + i_ca + i_t
             + p.g_h * c.q_g * y.f * (v - p.E_h))
    return STNState(
        v=(i_total - i_ion) / p.C_m,
        h=p.phi * (h_inf - y.h) / tau_h,
        n=p.phi * (n_inf - y.n) / tau_n,
        r=p.phi_r * (r_inf - y.r) / tau_r,
        f=(f_inf - y.f) * rate_f,
        ca=p.phi * p.eps * (-i_ca - i_t - p.k_Ca * y.ca),
    )


def prepare(params: STNParams, dt: float) -> Coeffs:
    """Precompute the per-run coefficients (temperature factors, b_inf offset) for ``step``.

    Parameters
    ----------
    params : STNParams
        Scalars, or arrays with a leading neuron axis.
    dt : float
        Time step, ms.
    """
    q = 2.0 ** ((jnp.asarray(params.celsius_h) - 35.5) / 10.0)
    return Coeffs(params=params, dt=dt,
                  b_offset=sigmoid(-jnp.asarray(params.theta_b) / params.sigma_b),
                  q_h=q, q_g=q)


def initial_state(params: STNParams, v: Union[float, jax.Array, None] = None) -> STNState:
    """State with every gate at its steady state for ``v`` (default :data:`V_INIT`) and Ca at the
    steady state of its equation for those gates, ``Ca = -(I_Ca + I_T)/k_Ca``."""
    v = jnp.asarray(V_INIT if v is None else v, dtype=jnp.result_type(float))
    h, n, r, f = _steady_gates(v)
    i_ca, i_t = _calcium_currents(prepare(params, 0.0), v, r)
    return STNState(v=v, h=h, n=n, r=r, f=f, ca=-(i_ca + i_t) / params.k_Ca)


#: ``step(coeffs, state, i_inj) -> (new_state, spiked)``: RK4 (:func:`._gates.rk4_kernel`)
step = rk4_kernel(derivatives)


def simulate(params: STNParams, state: STNState, dt: float, i_inj: jax.Array):
    """Run one neuron over a current trace with ``lax.scan``.

    Returns ``(final_state, v[n_steps], spiked[n_steps])``; ``i_inj[k]`` (µA/cm²) is the current
    during step ``k`` and ``v[k]`` the potential at its end.
    """
    return scan_steps(step, prepare(params, dt), state, i_inj)


# --- seed API (jax_models/stn_jax.py) -------------------------------------------------------------


def default_stn_state() -> STNState:
    """Initial state of the default cell: :func:`initial_state` at :data:`V_INIT`."""
    return initial_state(default_stn_params())


stn_step = seed_step(step, prepare)
stn_step.__name__ = stn_step.__qualname__ = "stn_step"
stn_step.__doc__ = """Seed-compatible single step ``(state, params, dt_ms, I_ext, I_syn, t_ms=0) ->
(new_state, (V, spiked))``: :func:`step` with ``I_ext + I_syn`` (µA/cm², positive depolarising)
added to ``params.I_app``; ``t_ms`` is accepted for compatibility and unused."""


def create_vectorized_stn(compile: bool = True) -> Callable:
    """Population step ``(states, params, dt, I_ext[n], I_syn[n], t)``.

    Returns ``(new_states, (V[n], spiked[n]))``.

    ``states`` has a leading neuron axis on every leaf.  ``params`` may be shared (scalar leaves)
    or per neuron (leaves of shape ``(n,)``, mixed freely); ``I_ext``/``I_syn`` may be scalars.
    """
    return vectorize_seed_step(stn_step, compile)


def create_population_state(n_neurons: int, heterogeneity: float = 0.05,
                            key: Union[jax.Array, int, None] = None,
                            params: STNParams | None = None) -> STNState:
    """``n_neurons`` copies of :func:`initial_state`, each variable times ``1 + heterogeneity·z``.

    ``z`` is standard normal, independent per neuron and variable; gates are clipped to [0, 1]
    and Ca to >= 0.  ``key`` is a ``jax.random`` key, an integer seed, or None (seed 0).
    """
    return perturbed_population(initial_state(params or default_stn_params()),
                                n_neurons, heterogeneity, key)


MODELS = (density_cell(
    "STN_RT2004", DensityKernel(PARAMETERS, STNParams, STNState, prepare, derivatives,
                                initial_state),
    {"v": "v", "h": "h", "n": "n", "r": "r", "f": "f", "ca": "Ca"},
    {"v": "mV", "h": "dimensionless", "n": "dimensionless", "r": "dimensionless",
     "f": "dimensionless", "Ca": "dimensionless"},
    dt_max=DT_MAX, e_rev_I=-100.0,
    doc="""Subthalamic nucleus cell of Rubin & Terman 2004 with the I_h of Gillies & Willshaw 2006.

    Kernel: :mod:`pynn_cbgtc_jax.kernels.stn` (equations, parameter sources, the choice of
    ``g_h``); bridge to PyNN units: :mod:`pynn_cbgtc_jax.kernels.density`.  Alone at
    ``I_app = 0`` it fires at about 2.7 Hz; after a hyperpolarising step it fires a rebound
    burst.  ``e_rev_I`` defaults to -100 mV, the GPe->STN reversal of Rubin & Terman 2004.

    Examples
    --------
    >>> import pynn_cbgtc_jax as sim
    >>> _ = sim.setup(timestep=0.025)
    >>> stn = sim.Population(10, sim.STN_RT2004(I_app=0.0, area=10000.0))
    """),)
