"""Parameter declarations shared by PyNN's standard integrate-and-fire types.

PyNN's names and units (mV, nF, ms, nA); the defaults are PyNN's (``pyNN.standardmodels.cells``),
which differ between types only in the values passed here.  ``test_model_conformance`` checks
every declaration against PyNN's class.
"""
from __future__ import annotations

from .declaration import NON_NEGATIVE, POSITIVE, Parameter

__all__ = ["lif_membrane", "synapse_time_constants", "reversal_potentials"]


def lif_membrane(v_rest=-65.0, cm=1.0, tau_m=20.0, tau_refrac=0.1, i_offset=0.0,
                 v_reset=-65.0, v_thresh=-50.0) -> dict:
    """The leaky membrane with threshold, reset and refractory period."""
    return dict(v_rest=Parameter("mV", v_rest), cm=Parameter("nF", cm, POSITIVE),
                tau_m=Parameter("ms", tau_m, POSITIVE),
                tau_refrac=Parameter("ms", tau_refrac, NON_NEGATIVE),
                i_offset=Parameter("nA", i_offset), v_reset=Parameter("mV", v_reset),
                v_thresh=Parameter("mV", v_thresh))


def synapse_time_constants(tau_syn_E=5.0, tau_syn_I=5.0) -> dict:
    """Decay (exponential) or rise-and-decay (alpha) time constants of the two receptors."""
    return dict(tau_syn_E=Parameter("ms", tau_syn_E, POSITIVE),
                tau_syn_I=Parameter("ms", tau_syn_I, POSITIVE))


def reversal_potentials(e_rev_E=0.0, e_rev_I=-70.0) -> dict:
    """Reversal potentials of the excitatory and inhibitory conductances."""
    return dict(e_rev_E=Parameter("mV", e_rev_E), e_rev_I=Parameter("mV", e_rev_I))
