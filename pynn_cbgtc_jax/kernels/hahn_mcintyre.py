r"""The STN (Otsuka et al. 2004) and GP cells in Hahn & McIntyre's NEURON version, as used by
Fleming, Dunn & Lowery 2020.

Single-compartment conductance models in current-density units (mV, ms, mS/cm², µA/cm²,
µF/cm²; calcium in mM), one table of gate kinetics per cell (:data:`KINETICS`), one generic
right-hand side.  Both cells are the ``stn`` and ``GPeA`` mechanisms of Hahn & McIntyre 2010
(``pSTN.mod``, ``pGPeA.mod``), with the maximal conductances Fleming's cell classes give them
and the ion concentrations those classes set; NEURON's default temperature (6.3 °C), which
Fleming's scripts keep.

Equations
---------
.. math::

    C\,\dot v &= I_{app} + I_{inj} - \Big(g_{Na} m^3 h (v - E_{Na}) + g_{Kdr} n^4 (v - E_K)
        + g_A a^2 b (v - E_K) + g_{KCa} r^2 (v - E_K) \\
        &\qquad + g_{CaL} c^2 d_1 d_2 (v - E_{Ca}) + g_T p^2 q (v - E_{Ca})
        + g_{leak} (v - E_{leak})\Big) \\
    \dot x &= (x_\infty - x)/\tau_x \quad\text{for every gate } x \\
    \dot{Ca} &= \gamma \big(-I_{Ca}\,A\cdot 10^{-14} / (2 F\,\mathrm{vol}) - k_{Ca}\,Ca\big),
        \qquad I_{Ca} = I_{CaL} + I_T \text{ in µA/cm²}

* voltage gates: :math:`x_\infty = 1/(1+e^{(v-\theta_x)/k_x})`; time constants either
  "bell", :math:`\tau_0 + \tau_1/(e^{-(v-\theta_1)/\sigma_1} + e^{-(v-\theta_2)/\sigma_2})`,
  or "sigmoid", :math:`\tau_0 + \tau_1/(1 + e^{-(v-\theta_1)/\sigma_1})` (:data:`KINETICS`);
* calcium gates (d2, r): :math:`x_\infty = 1/(1+e^{(Ca-\theta_x)/k_x})` with a constant τ;
* reversal potentials by Nernst at :math:`T = 273 + \mathrm{celsius} - 9.5` K (the mechanism's
  own offset) with R = 8.31441 J/(mol K) (the mechanism's) and NEURON's Faraday constant:
  :math:`E_{Na} = (RT/F) \ln(Na_o/Na_i)`, :math:`E_K = (RT/F) \ln(K_o/K_i)` (fixed), and
  :math:`E_{Ca} = (RT/2F) \ln(Ca_o/Ca)`, which follows the calcium state;
* :math:`A` is the membrane area (µm², the PyNN parameter ``area``; a 60 x 60 µm cylinder's
  side, 11 309.7 µm², by default, Fleming's soma), vol the calcium volume (3.355e-11 L, a 20 µm
  sphere), :math:`\gamma` = ``ca_gain`` = 0.1, :math:`k_{Ca}` = 2 ms⁻¹.

The GP cell has no A and no L-type current (and so no d2); its Na, Kdr, T kinetics differ
(``pGPeA.mod``).  At the default 6.3 °C: E_Na = 55.3 mV, E_K = -82.7 mV.

Numerics
--------
The GP's Na activation has τ_m = 1 µs above -53 mV (``tau_m0`` = 0.001 ms): no explicit
Runge-Kutta step of a usable size is stable there (RK4 needs dt < 2.8 µs).  Both cells therefore
integrate with the exponential midpoint scheme with a staggered half step
(:func:`.integrators.exponential_midpoint_staggered`, through :mod:`.conductance_cell`): every
gate is a relaxation :math:`\dot x = (x_\infty - x)/\tau_x`, the membrane one with its total
conductance and reversal (:func:`.conductance_cell.linearised`), calcium one with rate
:math:`\gamma k_{Ca}`; each is solved exactly with its coefficients frozen at the start (half
step, v first) and at the midpoint (full step).  Second order, and stable at any step.
NEURON integrates the same gates with ``cnexp`` (each gate exactly at fixed v) and v by
backward Euler: first order.  Validated against an rtol = 1e-10 stiff SciPy solve of the same
equations (``tests/cbgtc/test_hahn_mcintyre.py``: the figures and the tolerances are there).

References
----------
Otsuka T, Abe T, Tsukagawa T, Song W-J (2004) Conductance-based model of the voltage-dependent
generation of a plateau potential in subthalamic neurons. J Neurophysiol 92:255-264.
Hahn PJ, McIntyre CC (2010) Modeling shifts in the rate and pattern of subthalamopallidal
network activity during deep brain stimulation. J Comput Neurosci 28:425-441 (ModelDB 127388).
Fleming JE, Dunn E, Lowery MM (2020) Front Neurosci 14:166 (``Cortical_Basal_Ganglia_Cell_
Classes.py``: conductances, ion concentrations, geometry).
"""

from __future__ import annotations

import math

import jax.numpy as jnp

from ._gates import sigmoid
from .conductance_cell import CellTable, cell_model
from .declaration import NON_NEGATIVE, POSITIVE
from .density import declare
from .integrators import Relax

__all__ = ["KINETICS", "CURRENTS", "TABLES", "FARADAY", "GAS_CONSTANT", "V_INIT", "CA_INIT",
           "DT_MAX"]

FARADAY = 96485.3321233100184   # C/mol, NEURON 9's units database (CODATA 2018)
GAS_CONSTANT = 8.31441          # J/(mol K), the value written in pSTN.mod / pGPeA.mod
V_INIT = -68.0                  # mV, Fleming's default initial v for these cells
CA_INIT = 5e-6                  # mM, cai0_ca_ion in Fleming's cell classes
DT_MAX = 0.05                   # ms: the largest step validated (tests/cbgtc/test_hahn_mcintyre)

# Gate kinetics, one table per cell (pSTN.mod, pGPeA.mod).  Voltage gates:
#   ("v", theta, k, "bell", tau0, tau1, theta1, theta2, sigma1, sigma2)
#   ("v", theta, k, "sigmoid", tau0, tau1, theta1, sigma1)
# calcium gates: ("ca", theta (mM), k (mM), tau (ms)).
KINETICS = {
    "STN": {
        "m": ("v", -40.0, -8.0, "sigmoid", 0.2, 3.0, -53.0, -0.7),
        "h": ("v", -45.5, 6.4, "bell", 0.0, 24.5, -50.0, -50.0, -15.0, 16.0),
        "n": ("v", -41.0, -14.0, "bell", 0.0, 11.0, -40.0, -40.0, -40.0, 50.0),
        "a": ("v", -45.0, -14.7, "sigmoid", 1.0, 1.0, -40.0, -0.5),
        "b": ("v", -90.0, 7.5, "bell", 0.0, 200.0, -60.0, -40.0, -30.0, 10.0),
        "c": ("v", -30.6, -5.0, "bell", 45.0, 10.0, -27.0, -50.0, -20.0, 15.0),
        "d1": ("v", -60.0, 7.5, "bell", 400.0, 500.0, -40.0, -20.0, -15.0, 20.0),
        "d2": ("ca", 0.1e-3, 0.02e-3, 130.0),
        "p": ("v", -56.0, -6.7, "bell", 5.0, 0.33, -27.0, -102.0, -10.0, 15.0),
        "q": ("v", -85.0, 5.8, "bell", 0.0, 400.0, -50.0, -50.0, -15.0, 16.0),
        "r": ("ca", 0.17e-3, -0.08e-3, 2.0),
    },
    "GP": {
        "m": ("v", -38.0, -7.0, "sigmoid", 0.001, 0.1, -53.0, -0.7),
        "h": ("v", -45.5, 6.4, "bell", 0.0, 4.5, -50.0, -50.0, -15.0, 16.0),
        "n": ("v", -42.0, -14.0, "bell", 0.0, 2.4, -40.0, -40.0, -40.0, 50.0),
        "p": ("v", -56.0, -6.7, "bell", 5.0, 0.33, -27.0, -102.0, -10.0, 15.0),
        "q": ("v", -85.0, 5.8, "bell", 0.0, 400.0, -50.0, -50.0, -15.0, 16.0),
        "r": ("ca", 0.17e-3, -0.08e-3, 2.0),
    },
}

# Ionic currents: (conductance parameter, ((gate, power), ...), reversal, carries calcium)
CURRENTS = {
    "STN": (("g_Na", (("m", 3), ("h", 1)), "E_Na", False),
            ("g_Kdr", (("n", 4),), "E_K", False),
            ("g_A", (("a", 2), ("b", 1)), "E_K", False),
            ("g_KCa", (("r", 2),), "E_K", False),
            ("g_CaL", (("c", 2), ("d1", 1), ("d2", 1)), "E_Ca", True),
            ("g_T", (("p", 2), ("q", 1)), "E_Ca", True)),
    "GP": (("g_Na", (("m", 3), ("h", 1)), "E_Na", False),
           ("g_Kdr", (("n", 4),), "E_K", False),
           ("g_KCa", (("r", 2),), "E_K", False),
           ("g_T", (("p", 2), ("q", 1)), "E_Ca", True)),
}


def _parameters(conductances: dict) -> dict:
    return {
        **declare("mS/cm**2", NON_NEGATIVE, **conductances),
        **declare("mV", E_leak=-60.0),
        **declare("1/ms", POSITIVE, k_Ca=2.0),          # calcium removal rate
        **declare("dimensionless", NON_NEGATIVE, ca_gain=0.1),
        **declare("um**3", POSITIVE, ca_volume=3.355e4),  # 3.355e-11 L: a 20 µm sphere
        **declare("um**2", POSITIVE, area=math.pi * 60.0 * 60.0),  # bridge's area (docstring)
        **declare("mM", POSITIVE, Na_i=10.0, Na_o=108.0, K_i=105.0, K_o=3.0, Ca_o=2.0),
        **declare("degC", celsius=6.3),
        **declare("uA/cm**2", I_app=0.0),
        **declare("uF/cm**2", POSITIVE, C_m=1.0),
        **declare("mV", v_thresh=10.0),                 # NEURON's NetCon default threshold
    }


def _gate(row):
    """The kinetics ``(v, ca, p) -> (x_inf, 1/tau)`` of one table row."""
    if row[0] == "ca":
        _, theta, k, tau = row
        return lambda v, ca, p: (sigmoid((ca - theta) / k), jnp.full_like(v, 1.0 / tau))
    _, theta, k, form, tau0, tau1, *shape = row

    def kinetics(v, ca, p):
        if form == "sigmoid":
            th1, s1 = shape
            tau = tau0 + tau1 * sigmoid(-(v - th1) / s1)
        else:
            th1, th2, s1, s2 = shape
            tau = tau0 + tau1 / (jnp.exp(-(v - th1) / s1) + jnp.exp(-(v - th2) / s2))
        return sigmoid((v - theta) / k), 1.0 / tau
    return kinetics


def _derive(p):
    """``(E_Na, E_K, RT/2F, conv)``: Nernst at T = 273 + celsius - 9.5 (the mechanisms' own
    offset), and the calcium conversion ``10 A / (2 F vol)`` (µm², µm³) in mM/ms per µA/cm²."""
    rt_f = GAS_CONSTANT * (273.0 + jnp.asarray(p.celsius) - 9.5) / FARADAY * 1e3
    return (rt_f * jnp.log(p.Na_o / jnp.asarray(p.Na_i)),
            rt_f * jnp.log(p.K_o / jnp.asarray(p.K_i)), 0.5 * rt_f,
            10.0 * jnp.asarray(p.area) / (2.0 * FARADAY * p.ca_volume))


def _reversals(p, constants, y):
    e_na, e_k, rt_2f, _ = constants
    return {"E_Na": e_na, "E_K": e_k,
            "E_Ca": rt_2f * jnp.log(p.Ca_o / jnp.maximum(y.ca, 1e-12))}


def _calcium(p, constants, y, i_ca):
    """Ca relaxes to ``-I_Ca conv / k_Ca`` at rate ``ca_gain k_Ca``."""
    return Relax(-i_ca * constants[3] / p.k_Ca, p.ca_gain * p.k_Ca)


def _table(name: str, conductances: dict) -> CellTable:
    return CellTable(name=f"{name}_HM", gates={g: _gate(row) for g, row in KINETICS[name].items()},
                     currents=CURRENTS[name], parameters=_parameters(conductances),
                     derive=_derive, reversals=_reversals, calcium=_calcium, v_init=V_INIT,
                     ca_init=CA_INIT)


#: Fleming's conductances (S/cm² in the cell classes, here mS/cm²)
TABLES = {
    "STN": _table("STN", dict(g_Na=49.0, g_Kdr=57.0, g_A=5.0, g_KCa=1.0, g_CaL=15.0, g_T=5.0,
                              g_leak=0.35)),
    "GP": _table("GP", dict(g_Na=40.0, g_Kdr=4.2, g_KCa=0.1, g_T=0.067, g_leak=0.04)),
}

_AREA = math.pi * 60.0 * 60.0      # µm²: Fleming's 60 x 60 µm soma

MODELS = (
    cell_model(TABLES["STN"], "STN_Otsuka2004", dt_max=DT_MAX, units={"ca": "mM"},
               area=_AREA, doc="""Subthalamic nucleus cell of Otsuka et al.
    2004 in Hahn & McIntyre 2010's version, with Fleming et al. 2020's conductances and ion
    concentrations.

    Kernel: :mod:`pynn_cbgtc_jax.kernels.hahn_mcintyre` (equations, constants, numerics).
    Na, delayed-rectifier K, A-type K, Ca-activated K, L- and T-type Ca and leak currents,
    calcium in mM with its own Nernst E_Ca.  A 60 x 60 µm soma (``area`` 11 309.7 µm²),
    receptors ``AMPA`` and ``GABAa`` with Fleming's saturating Destexhe kinetics
    (:mod:`pynn_cbgtc_jax.kernels.density_synapses`); spikes at upward crossings of +10 mV
    (NEURON's NetCon default).  Fleming's
    network gives it ``i_offset = -0.125`` nA.  Integrated by the exponential midpoint scheme at
    any ``dt`` up to 0.05 ms.
    """),
    cell_model(TABLES["GP"], "GP_HahnMcIntyre2010", dt_max=DT_MAX, units={"ca": "mM"},
               area=_AREA, doc="""Globus pallidus cell (GPe and GPi) of Hahn &
    McIntyre 2010 (after Terman et al. 2002), with Fleming et al. 2020's conductances.

    Kernel: :mod:`pynn_cbgtc_jax.kernels.hahn_mcintyre`.  Na, delayed-rectifier K,
    Ca-activated K, T-type Ca and leak currents, calcium in mM.  A 60 x 60 µm soma; Fleming's
    network gives the GPe ``i_offset = -0.009`` nA and the GPi ``0.006`` nA.  Receptors ``AMPA``
    and ``GABAa`` (Destexhe kinetics, as the STN); spikes at +10 mV.  Exponential midpoint
    scheme up to dt = 0.05 ms.
    """),
)
