"""PyNN cell types of the Rubin & Terman 2004 STN, GPe/GPi and thalamocortical relay cells.

Each type is generated from its model's declaration (``kernels/stn.py``, ``gp.py``, ``tc.py``,
through ``kernels/density.py``): identity translations, default parameters from the kernel
(densities: mS/cm², µA/cm², µF/cm²) plus the PyNN bridge (``area`` in µm², ``i_offset`` in nA,
exponential conductance synapses in µS with ``tau_syn_E``, ``tau_syn_I``, ``e_rev_E``,
``e_rev_I``), and default initial values with every gate and Ca at its steady state for the
default ``v``.  Recordables: ``spikes``, ``v`` (mV), the gates (dimensionless), ``Ca`` (the
model's arbitrary units), ``gsyn_exc``, ``gsyn_inh`` (µS).

Gates and Ca start from ``default_initial_values``, their steady state at the default ``v``;
``initialize(v=...)`` alone does not move them (as in NEST's Hodgkin-Huxley models).

Every type is validated up to ``dt_max`` = 0.05 ms; creating a population at a larger
``setup(timestep=...)`` raises ``InvalidParameterValueError``.  STN and TC integrate with RK4
at any allowed step (their kernels' ``DT_MAX``).  GPe/GPi integrate with RK4 up to 0.025 ms
(``gp.DT_MAX``; RK4 is unstable above ≈ 0.039 ms) and with the exponential midpoint scheme above
it (``gp.DT_MAX_EXPONENTIAL``): :class:`GP_RT2004` gives its accuracy.
"""
from __future__ import annotations

from ..standardmodels.cells import cell_types, variant

__all__ = ["STN_RT2004", "GP_RT2004", "GPe_RT2004", "GPi_RT2004", "TC_RT2004"]

STN_RT2004 = cell_types()["STN_RT2004"]
GP_RT2004 = cell_types()["GP_RT2004"]
TC_RT2004 = cell_types()["TC_RT2004"]



class GPe_RT2004(variant(GP_RT2004, "GPe_RT2004", "", I_app=2.0)):
    """External globus pallidus, Rubin & Terman 2004: ``I_app = 2`` µA/cm² (``.setnorm``).

    ``GPe_RT2004.parkinsonian()`` gives the ``.setpark`` cell, ``I_app = -2.2`` µA/cm² (silent
    without input); the other difference of the Parkinsonian network, no GPe->GPe inhibition,
    belongs to the network (leave out that projection).
    """

    @classmethod
    def normal(cls, **parameters) -> "GPe_RT2004":
        """The normal GPe (``I_app = 2`` µA/cm²); keywords override parameters."""
        return cls(**{"I_app": 2.0, **parameters})

    @classmethod
    def parkinsonian(cls, **parameters) -> "GPe_RT2004":
        """The Parkinsonian GPe (``I_app = -2.2`` µA/cm²); keywords override parameters."""
        return cls(**{"I_app": -2.2, **parameters})


GPi_RT2004 = variant(GP_RT2004, "GPi_RT2004", """Internal globus pallidus, Rubin & Terman 2004:
    ``I_app = 5`` µA/cm², ``k_Ca = 15``; ``e_rev_I`` -100 mV (GPe->GPi).""",
                     I_app=5.0, k_Ca=15.0, e_rev_I=-100.0)
