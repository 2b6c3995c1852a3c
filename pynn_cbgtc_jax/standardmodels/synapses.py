"""PyNN standard synapse types (weights in nA or uS, delays in ms, as PyNN).

Native names are PyNN's; ``rule`` names the engine rule (``engine/synapse_rules.py``) that
implements the type.
"""
from __future__ import annotations

from pyNN.standardmodels import build_translations, synapses

from ..simulator import state
from .translations import identity_translations

__all__ = ["StaticSynapse", "TsodyksMarkramSynapse", "SimpleStochasticSynapse",
           "MultiQuantalSynapse", "StochasticTsodyksMarkramSynapse",
           "STDPMechanism", "SpikePairRule", "Vogels2011Rule", "AdditiveWeightDependence",
           "MultiplicativeWeightDependence", "AdditivePotentiationMultiplicativeDepression",
           "GutigWeightDependence"]


class _MinDelay:
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
    pyNN.nest sets it.  Initial state x = 1, y = 0, u = the initial value ``u`` (default 0).
    """
    translations = identity_translations(synapses.TsodyksMarkramSynapse.default_parameters)
    rule = "tsodyks_markram"


class SimpleStochasticSynapse(_MinDelay, synapses.SimpleStochasticSynapse):
    __doc__ = synapses.SimpleStochasticSynapse.__doc__
    translations = identity_translations(synapses.SimpleStochasticSynapse.default_parameters)
    rule = "stochastic"


class MultiQuantalSynapse(_MinDelay, synapses.MultiQuantalSynapse):
    __doc__ = synapses.MultiQuantalSynapse.__doc__ + """
    As NEST's ``quantal_stp_synapse``: n release sites, all full and u = U at the start.
    """
    translations = identity_translations(synapses.MultiQuantalSynapse.default_parameters)
    rule = "quantal"


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
