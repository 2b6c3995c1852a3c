"""PyNN standard synapse types (weights in nA or uS, delays in ms, as PyNN).

Native names are PyNN's; ``rule`` names the engine rule (``engine/synapse_rules.py``) that
implements the type.
"""
from __future__ import annotations

import numpy as np
from pyNN import errors
from pyNN.standardmodels import build_translations, synapses

from ..ensembles import Batch, split_batches
from ..simulator import state
from .translations import identity_translations

__all__ = ["StaticSynapse", "TsodyksMarkramSynapse", "SimpleStochasticSynapse",
           "MultiQuantalSynapse", "StochasticTsodyksMarkramSynapse",
           "STDPMechanism", "SpikePairRule", "Vogels2011Rule", "AdditiveWeightDependence",
           "MultiplicativeWeightDependence", "AdditivePotentiationMultiplicativeDepression",
           "GutigWeightDependence", "check_synapse_values"]

# Allowed values of synapse parameters (native = PyNN names), as NEST's set_status refuses them
# (tsodyks_synapse.h, quantal_stp_synapse_impl.h: U in [0, 1], tau_rec > 0, tau_fac >= 0,
# n >= 1) or where the rule's equations need them (a negative STDP time constant makes the
# trace grow without bound; w / w_max divides by w_max).
_RANGES = {
    "U": (lambda v: (v >= 0) & (v <= 1), "between 0 and 1 (a release probability)"),
    "p": (lambda v: (v >= 0) & (v <= 1), "between 0 and 1 (a release probability)"),
    "u": (lambda v: (v >= 0) & (v <= 1), "between 0 and 1 (a release probability)"),
    "x": (lambda v: (v >= 0) & (v <= 1), "between 0 and 1 (a fraction of resources)"),
    "y": (lambda v: (v >= 0) & (v <= 1), "between 0 and 1 (a fraction of resources)"),
    "a": (lambda v: (v >= 0) & (v == np.round(v)), "a whole number >= 0 (available sites)"),
    "tau_rec": (lambda v: v > 0, "> 0 ms"),
    "tau_facil": (lambda v: v >= 0, ">= 0 ms (0: no facilitation)"),
    "n": (lambda v: (v >= 1) & (v == np.round(v)), "a whole number >= 1 (release sites)"),
    "tau_plus": (lambda v: v > 0, "> 0 ms"),
    "tau_minus": (lambda v: v > 0, "> 0 ms"),
    "tau": (lambda v: v > 0, "> 0 ms"),
    "A_plus": (lambda v: v >= 0, ">= 0 (the sign is set by the rule)"),
    "A_minus": (lambda v: v >= 0, ">= 0 (the sign is set by the rule)"),
    "eta": (lambda v: v >= 0, ">= 0"),
    "rho": (lambda v: v >= 0, ">= 0 Hz"),
    "mu_plus": (lambda v: v >= 0, ">= 0"),
    "mu_minus": (lambda v: v >= 0, ">= 0"),
}


def check_synapse_values(synapse_type, values: dict):
    """Raise ``InvalidParameterValueError`` for synapse parameter values that are not finite,
    outside ``_RANGES``, or with ``w_max < w_min``.

    ``values`` maps native names to arrays (one value per synapse, or scalars); weights and
    delays are checked by the projection.
    """
    name_of = type(synapse_type).__name__
    for name, (ok, allowed) in _RANGES.items():
        if name not in values:
            continue
        v = np.asarray(values[name], dtype=float)
        bad = ~np.isfinite(v) | ~ok(v)
        if np.any(bad):
            raise errors.InvalidParameterValueError(
                f"{name_of}: {name} = {float(v[bad].flat[0])}; it must be {allowed}.")
    if "a" in values and "n" in values:
        a, n = np.broadcast_arrays(np.asarray(values["a"], float), np.asarray(values["n"], float))
        if np.any(a > n):
            i = np.flatnonzero(a > n)[0]
            raise errors.InvalidParameterValueError(
                f"{name_of}: a = {a.flat[i]} available release sites but n = {n.flat[i]}; "
                f"a must be <= n.")
    if "w_min" in values and "w_max" in values:
        w_min = np.asarray(values["w_min"], float)
        w_max = np.asarray(values["w_max"], float)
        bad = ~np.isfinite(w_min) | ~np.isfinite(w_max) | (w_max < w_min)
        if np.any(bad):
            i = np.flatnonzero(np.broadcast_to(bad, np.broadcast(w_min, w_max).shape))[0]
            lo, hi = np.broadcast_arrays(w_min, w_max)
            raise errors.InvalidParameterValueError(
                f"{name_of}: w_min = {float(lo.flat[i])}, w_max = {float(hi.flat[i])}; the "
                f"weight bounds must be finite with w_max >= w_min.")


class _MinDelay:
    """The default delay, and ``Batch`` values (ensembles.py): PyNN's checks see the first
    member's value, the Projection takes the Batch after connecting."""

    _batches: dict = {}

    def __init__(self, *args, **parameters):
        parameters, batches = split_batches(parameters)
        super().__init__(*args, **parameters)
        self._batches = {**self._batches, **batches}   # STDPMechanism sets its weight's first

    def _get_minimum_delay(self):
        # delay=None means min_delay; with min_delay='auto' that is one time step
        return state.explicit_min_delay or state.dt


class StaticSynapse(_MinDelay, synapses.StaticSynapse):
    __doc__ = synapses.StaticSynapse.__doc__
    translations = identity_translations(synapses.StaticSynapse.default_parameters)
    rule = "static"


class TsodyksMarkramSynapse(_MinDelay, synapses.TsodyksMarkramSynapse):
    __doc__ = synapses.TsodyksMarkramSynapse.__doc__ + """
    Implemented as NEST's ``tsodyks_synapse``: the active-resource time constant ``tau_psc`` is
    the postsynaptic cell's ``tau_syn_E`` or ``tau_syn_I`` (3 ms for cells without one), as
    pyNN.nest sets it.  Initial state x = 1, y = 0, u = 0 unless ``Projection.initialize``
    sets ``u``, ``x`` or ``y``.
    """
    translations = identity_translations(synapses.TsodyksMarkramSynapse.default_parameters)
    # NEST's tsodyks_synapse state, all settable with Projection.initialize (PyNN lists u)
    default_initial_values = {"u": 0.0, "x": 1.0, "y": 0.0}
    rule = "tsodyks_markram"


class SimpleStochasticSynapse(_MinDelay, synapses.SimpleStochasticSynapse):
    __doc__ = synapses.SimpleStochasticSynapse.__doc__
    translations = identity_translations(synapses.SimpleStochasticSynapse.default_parameters)
    rule = "stochastic"


class MultiQuantalSynapse(_MinDelay, synapses.MultiQuantalSynapse):
    __doc__ = synapses.MultiQuantalSynapse.__doc__ + """
    As NEST 3's ``quantal_stp_synapse`` (a spike releases from the current state, which is
    then updated), with its state: ``u`` (release probability) and ``a`` (full release sites,
    0 <= a <= n), set with ``Projection.initialize(u=..., a=...)`` for the first run and every
    ``reset()``.  Without it, n sites are full and u = U at the start (NEST starts from u = 0.5,
    a = 1 whatever U and n; ``initialize(u=0.5, a=1)`` gives that).
    """
    translations = identity_translations(synapses.MultiQuantalSynapse.default_parameters)
    # NaN: not given, u = U and a = n (engine/synapse_rules.py: initial_state)
    default_initial_values = {"u": float("nan"), "a": float("nan")}
    rule = "multi_quantal"


class StochasticTsodyksMarkramSynapse(_MinDelay, synapses.StochasticTsodyksMarkramSynapse):
    __doc__ = synapses.StochasticTsodyksMarkramSynapse.__doc__ + """
    As PyNN's NEST extension ``stochastic_stp_synapse``: one release site (a
    MultiQuantalSynapse with n = 1).
    """
    translations = identity_translations(
        synapses.StochasticTsodyksMarkramSynapse.default_parameters)
    rule = "quantal"


class STDPMechanism(_MinDelay, synapses.STDPMechanism):
    __doc__ = synapses.STDPMechanism.__doc__ + """
    Implemented as NEST's ``stdp_synapse`` (all-to-all spike pairing, the whole delay is
    dendritic): only ``dendritic_delay_fraction = 1`` is supported, as in pyNN.nest.
    """
    base_translations = build_translations(("weight", "weight"), ("delay", "delay"),
                                           ("dendritic_delay_fraction",
                                            "dendritic_delay_fraction"))

    def __init__(self, timing_dependence=None, weight_dependence=None, voltage_dependence=None,
                 dendritic_delay_fraction=1.0, weight=0.0, delay=None):
        from pyNN import errors
        self._batches = {}
        if isinstance(weight, Batch):          # ensembles: one weight per member
            self._batches, weight = {"weight": weight}, weight[0]
        if voltage_dependence is not None:
            raise errors.InvalidParameterValueError(
                "STDPMechanism: voltage_dependence is not supported by pynn_cbgtc_jax; "
                "leave it None.")
        if dendritic_delay_fraction != 1.0:
            raise errors.InvalidParameterValueError(
                f"STDPMechanism: dendritic_delay_fraction = {dendritic_delay_fraction}; only 1.0 "
                f"(the whole delay is dendritic, as NEST) is supported.")
        if timing_dependence is None or weight_dependence is None:
            raise errors.InvalidParameterValueError(
                "STDPMechanism: give both a timing_dependence (SpikePairRule or Vogels2011Rule) "
                "and a weight_dependence.")
        # PyNN updates base_translations in place; start from a fresh copy per instance
        type(self).base_translations = dict(STDPMechanism.base_translations)
        super().__init__(timing_dependence, weight_dependence, voltage_dependence,
                         dendritic_delay_fraction, weight, delay)
        self.rule = timing_dependence.rule
        self.weight_dependence_mu = weight_dependence.mu


class SpikePairRule(synapses.SpikePairRule):
    __doc__ = synapses.SpikePairRule.__doc__
    translations = identity_translations(synapses.SpikePairRule.default_parameters)
    rule = "stdp"


class Vogels2011Rule(synapses.Vogels2011Rule):
    __doc__ = synapses.Vogels2011Rule.__doc__
    translations = identity_translations(synapses.Vogels2011Rule.default_parameters)
    rule = "vogels2011"


class AdditiveWeightDependence(synapses.AdditiveWeightDependence):
    __doc__ = synapses.AdditiveWeightDependence.__doc__
    translations = identity_translations(synapses.AdditiveWeightDependence.default_parameters)
    mu = {"mu_plus": 0.0, "mu_minus": 0.0}


class MultiplicativeWeightDependence(synapses.MultiplicativeWeightDependence):
    __doc__ = synapses.MultiplicativeWeightDependence.__doc__
    translations = identity_translations(synapses.MultiplicativeWeightDependence.default_parameters)
    mu = {"mu_plus": 1.0, "mu_minus": 1.0}


class AdditivePotentiationMultiplicativeDepression(
        synapses.AdditivePotentiationMultiplicativeDepression):
    __doc__ = synapses.AdditivePotentiationMultiplicativeDepression.__doc__
    translations = identity_translations(
        synapses.AdditivePotentiationMultiplicativeDepression.default_parameters)
    mu = {"mu_plus": 0.0, "mu_minus": 1.0}


class GutigWeightDependence(synapses.GutigWeightDependence):
    __doc__ = synapses.GutigWeightDependence.__doc__
    translations = identity_translations(synapses.GutigWeightDependence.default_parameters)
    mu = {}     # mu_plus / mu_minus are parameters, read per synapse
