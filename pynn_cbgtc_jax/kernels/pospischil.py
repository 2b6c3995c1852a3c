r"""The fast-spiking cortical interneuron of Pospischil et al. 2008 as Fleming et al. 2020 use it
(``Interneuron_I_Na.mod``, ``Interneuron_I_K.mod``, ``Interneuron_I_Leak.mod``).

Equations (mV, ms, mS/cm², µA/cm², µF/cm²), with :math:`u = v - V_T`:

.. math::

    C\,\dot v &= I_{app} + I_{inj} - g_{Na} m^3 h (v - E_{Na}) - g_K n^4 (v - E_K)
                 - g_{leak} (v - E_{leak}) \\
    \dot x &= \alpha_x (1 - x) - \beta_x x = (x_\infty - x)(\alpha_x + \beta_x),
              \quad x_\infty = \alpha_x / (\alpha_x + \beta_x) \\
    \alpha_m &= 0.32\,\mathrm{vtrap}(-(u - 13), 4) \qquad
    \beta_m = 0.28\,\mathrm{vtrap}(u - 40, 5) \\
    \alpha_h &= 0.128\, e^{-(u - 17)/18} \qquad \beta_h = 4 / (1 + e^{-(u - 40)/5}) \\
    \alpha_n &= 0.032\,\mathrm{vtrap}(-(u - 15), 5) \qquad \beta_n = 0.5\, e^{-(u - 10)/40}

with :math:`\mathrm{vtrap}(x, y) = x / (e^{x/y} - 1)` (its limit :math:`y (1 - x/2y)` where
:math:`|x/y| < 10^{-6}`, as in the .mod files).  Defaults: g_Na 50, g_K 10, g_leak 0.15
mS/cm², E_Na 50, E_K -100, E_leak -70 mV, V_T -55 mV; soma L 35 x diam 25 µm (``area``
2748.9 µm²); Fleming's network injects a bias of ``i_offset = 0.07`` nA (silent alone: the
cortex drives it).

Differences from Fleming's NEURON cells, on purpose: the .mod files start m = h = n = 0 (a
transient Fleming's 6 s warm-up washes out); ours start at the steady state of ``v``.  Their rates
are read from NEURON tables on a 0.5 mV grid; ours are exact.  Integrated by the exponential
midpoint scheme of :mod:`.conductance_cell` (second order, stable at any step); spikes at
+10 mV (NEURON's NetCon default).

References
----------
Pospischil M, Toledo-Rodriguez M, Monier C, Piwkowska Z, Bal T, Frégnac Y, Markram H,
Destexhe A (2008) Minimal Hodgkin-Huxley type models for different classes of cortical and
thalamic neurons. Biol Cybern 99:427-441.
Fleming JE, Dunn E, Lowery MM (2020) Front Neurosci 14:166.
"""
from __future__ import annotations

import math

import jax.numpy as jnp

from .conductance_cell import CellTable, cell_model
from .declaration import NON_NEGATIVE, POSITIVE
from .density import declare

__all__ = ["vtrap", "TABLE", "DT_MAX"]

DT_MAX = 0.05      # ms (tests/cbgtc/test_pospischil.py)


def vtrap(x, y):
    """``x / (exp(x/y) - 1)``, with its limit ``y (1 - x/(2y))`` where ``|x/y| < 1e-6``."""
    small = jnp.abs(x / y) < 1e-6
    safe = jnp.where(small, 1.0, x)
    return jnp.where(small, y * (1.0 - x / y / 2.0), safe / jnp.expm1(safe / y))


def _alpha_beta(alpha, beta):
    """Gate kinetics ``(v, ca, p) -> (x_inf, 1/tau)`` from rate functions of ``u = v - V_T``."""
    def kinetics(v, ca, p):
        u = v - p.V_T
        a, b = alpha(u), beta(u)
        return a / (a + b), a + b
    return kinetics


GATES = {
    "m": _alpha_beta(lambda u: 0.32 * vtrap(-(u - 13.0), 4.0),
                     lambda u: 0.28 * vtrap(u - 40.0, 5.0)),
    "h": _alpha_beta(lambda u: 0.128 * jnp.exp(-(u - 17.0) / 18.0),
                     lambda u: 4.0 / (1.0 + jnp.exp(-(u - 40.0) / 5.0))),
    "n": _alpha_beta(lambda u: 0.032 * vtrap(-(u - 15.0), 5.0),
                     lambda u: 0.5 * jnp.exp(-(u - 10.0) / 40.0)),
}

TABLE = CellTable(
    name="Interneuron_P2008",
    gates=GATES,
    currents=(("g_Na", (("m", 3), ("h", 1)), "E_Na", False),
              ("g_K", (("n", 4),), "E_K", False)),
    parameters={
        **declare("mS/cm**2", NON_NEGATIVE, g_Na=50.0, g_K=10.0, g_leak=0.15),
        **declare("mV", E_Na=50.0, E_K=-100.0, E_leak=-70.0, V_T=-55.0),
        **declare("uA/cm**2", I_app=0.0),
        **declare("uF/cm**2", POSITIVE, C_m=1.0),
        **declare("mV", v_thresh=10.0),
    },
    derive=lambda p: (),
    reversals=lambda p, constants, y: {"E_Na": p.E_Na, "E_K": p.E_K},
    v_init=-68.0,
)

MODELS = (
    cell_model(TABLE, "Interneuron_Pospischil2008", dt_max=DT_MAX, units={},
               area=math.pi * 35.0 * 25.0, doc="""Fast-spiking cortical
    interneuron of Pospischil et al. 2008 (Fleming et al. 2020's interneuron).

    Kernel: :mod:`pynn_cbgtc_jax.kernels.pospischil` (equations, defaults, differences from
    the NEURON files).  A 35 x 25 µm soma (``area`` 2748.9 µm²); receptors ``AMPA`` and
    ``GABAa`` (Destexhe kinetics, :mod:`pynn_cbgtc_jax.kernels.density_synapses`); spikes at
    +10 mV.  Fleming's network gives it ``i_offset = 0.07`` nA.
    """),
)
