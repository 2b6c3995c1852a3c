"""PyNN cell types of the Rubin & Terman 2004 STN, GPe/GPi and thalamocortical relay cells.

Each type is derived from its ``NeuronModel`` (``models.py``): identity translations, default
parameters from the kernel (densities: mS/cm², µA/cm², µF/cm²) plus the PyNN bridge (``area``
in µm², ``i_offset`` in nA, exponential conductance synapses in µS with ``tau_syn_E``,
``tau_syn_I``, ``e_rev_E``, ``e_rev_I``), and default initial values with every gate and Ca at
its steady state for the default ``v``.  Recordables: ``spikes``, ``v`` (mV), the gates
(dimensionless), ``Ca`` (the model's arbitrary units), ``gsyn_exc``, ``gsyn_inh`` (µS).

Gates and Ca start from ``default_initial_values``, their steady state at the default ``v``;
``initialize(v=...)`` alone does not move them (as in NEST's Hodgkin-Huxley models).

Every type is validated up to ``dt_max`` = 0.05 ms; creating a population at a larger
``setup(timestep=...)`` raises ``InvalidParameterValueError``.  STN and TC integrate with RK4
at any allowed step (their kernels' ``DT_MAX``).  GPe/GPi integrate with RK4 up to 0.025 ms
(``gp.DT_MAX``; RK4 is unstable above ≈ 0.039 ms) and with the exponential midpoint scheme above
it (``gp.DT_MAX_EXPONENTIAL``): :class:`GP_RT2004` gives its accuracy.
"""
from __future__ import annotations

import numbers

import jax
from pyNN import errors
from pyNN.standardmodels import StandardCellType

from ..simulator import state
from ..standardmodels.translations import identity_translations
from .models import (BRIDGE_DEFAULTS, BRIDGE_UNITS, GP_MODEL, STN_MODEL, TC_MODEL, dt_max_of,
                     kernel_of, rk4_dt_max_of)

__all__ = ["STN_RT2004", "GP_RT2004", "GPe_RT2004", "GPi_RT2004", "TC_RT2004"]

_KERNEL_UNITS = dict(
    g_L="mS/cm**2", g_Na="mS/cm**2", g_K="mS/cm**2", g_AHP="mS/cm**2", g_Ca="mS/cm**2",
    g_T="mS/cm**2", g_h="mS/cm**2", E_L="mV", E_Na="mV", E_K="mV", E_Ca="mV", E_h="mV",
    E_T="mV", k1="dimensionless", k_Ca="dimensionless", eps="1/ms", phi="dimensionless",
    phi_h="dimensionless", phi_n="dimensionless", phi_r="dimensionless", tau_r0="ms",
    tau_r1="ms", tau_r="ms", theta_b="dimensionless", sigma_b="dimensionless", celsius_h="degC",
    I_app="uA/cm**2", C_m="uF/cm**2", v_thresh="mV",
    # recordables
    v="mV", h="dimensionless", n="dimensionless", r="dimensionless", f="dimensionless",
    Ca="dimensionless", gsyn_exc="uS", gsyn_inh="uS",
)

# parameters that must be strictly positive (divisors), beyond the backend's own list
_POSITIVE = ("area", "C_m", "tau_syn_E", "tau_syn_I", "tau_r", "tau_r0")


def _steady_initial_values(model, params) -> dict:
    """PyNN initial values: the kernel's steady state at its default v, in float64."""
    kernel = kernel_of(model)
    with jax.enable_x64(True):
        s = kernel.initial_state(kernel.Params(**{k: params[k]
                                                  for k in kernel.Params._fields}))
        values = {model.initial[f]: float(x) for f, x in zip(s._fields, s)}
    return dict(values, gsyn_exc=0.0, gsyn_inh=0.0)


def _declare(model, **defaults):
    """Class decorator: the attributes of a cell type for ``model`` (kernel, translations,
    defaults with per-type overrides, initial values, recordables, units)."""
    kernel = kernel_of(model)
    params = dict(kernel.Params()._asdict(), **BRIDGE_DEFAULTS)
    params.update(defaults)
    params = {k: float(v) for k, v in params.items()}
    attributes = dict(
        kernel=model, default_parameters=params,
        default_initial_values=_steady_initial_values(model, params),
        recordable=["spikes"] + list(model.recordables),
        units={k: u for k, u in dict(_KERNEL_UNITS, **BRIDGE_UNITS).items()
               if k in params or k in model.recordables},
        translations=identity_translations(model.param_names))

    def decorate(cls):
        for name, value in attributes.items():
            setattr(cls, name, value)
        return cls

    return decorate


class _RubinTermanCell(StandardCellType):
    """Shared behaviour: the kernel declaration, units, and the time-step check."""

    kernel = None
    receptor_types = ("excitatory", "inhibitory")
    conductance_based = True
    injectable = True

    def __str__(self):
        return type(self).__name__

    @property
    def dt_max(self) -> float:
        """Largest time step (ms) at which this cell's integration is validated."""
        return dt_max_of(self.kernel)

    def _schemes(self) -> str:
        """The integration schemes behind ``dt_max``, for the error message."""
        rk4_max = rk4_dt_max_of(self.kernel)
        if rk4_max < self.dt_max:
            return (f"RK4 up to {rk4_max} ms, the exponential midpoint scheme up to "
                    f"{self.dt_max} ms; see the kernel's DT_MAX and DT_MAX_EXPONENTIAL")
        return "RK4; see the kernel's DT_MAX"

    def translate(self, parameters, copy=True):
        """PyNN -> native parameters (identity), after checking the time step and the values
        that must be positive (plain numbers; arrays are checked by the backend)."""
        if state.dt > self.dt_max * (1 + 1e-9):
            raise errors.InvalidParameterValueError(
                f"{self}: the time step dt = {state.dt} ms is larger than {self.dt_max} ms, the "
                f"largest step at which this cell's integration is validated "
                f"({self._schemes()}); call setup(timestep={self.dt_max}) or "
                f"smaller (0.01 ms resolves 60 us DBS pulses).")
        for name in _POSITIVE:
            if name in parameters.keys():
                value = parameters[name].base_value
                if isinstance(value, numbers.Real) and not value > 0:
                    raise errors.InvalidParameterValueError(
                        f"{self}: {name} = {value} {self.units.get(name, '')}; it must be > 0.")
        return super().translate(parameters, copy=copy)


@_declare(STN_MODEL, e_rev_I=-100.0)
class STN_RT2004(_RubinTermanCell):
    """Subthalamic nucleus cell of Rubin & Terman 2004 with the I_h of Gillies & Willshaw 2006.

    Kernel: :mod:`pynn_cbgtc_jax.kernels.stn` (equations, parameter sources, the choice of
    ``g_h``); bridge to PyNN units: :mod:`pynn_cbgtc_jax.cbgtc.models`.  Alone at
    ``I_app = 0`` it fires at about 2.7 Hz; after a hyperpolarising step it fires a rebound
    burst.  ``e_rev_I`` defaults to -100 mV, the GPe->STN reversal of Rubin & Terman 2004.

    Examples
    --------
    >>> import pynn_cbgtc_jax as sim
    >>> _ = sim.setup(timestep=0.025)
    >>> stn = sim.Population(10, sim.STN_RT2004(I_app=0.0, area=10000.0))
    """


@_declare(GP_MODEL)
class GP_RT2004(_RubinTermanCell):
    """Globus pallidus cell of Rubin & Terman 2004 (GPe and GPi are the same cell).

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
    """


@_declare(GP_MODEL, I_app=2.0)
class GPe_RT2004(GP_RT2004):
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


@_declare(GP_MODEL, I_app=5.0, k_Ca=15.0, e_rev_I=-100.0)
class GPi_RT2004(GP_RT2004):
    """Internal globus pallidus, Rubin & Terman 2004: ``I_app = 5`` µA/cm², ``k_Ca = 15``;
    ``e_rev_I`` -100 mV (GPe->GPi)."""


@_declare(TC_MODEL, e_rev_I=-85.0)
class TC_RT2004(_RubinTermanCell):
    """Thalamocortical relay cell of Rubin & Terman 2004.

    Kernel: :mod:`pynn_cbgtc_jax.kernels.tc`.  Silent at rest; relays each 5 ms / 5 µA/cm²
    (0.5 nA at the default area) sensorimotor pulse with one spike.  ``e_rev_I`` defaults to
    -85 mV, the GPi->TC reversal of Rubin & Terman 2004.
    """
