"""PyNN standard synapse types (weights in nA or uS, delays in ms, as PyNN)."""
from __future__ import annotations

from pyNN.standardmodels import build_translations, synapses

from ..simulator import state

__all__ = ["StaticSynapse"]


class StaticSynapse(synapses.StaticSynapse):
    __doc__ = synapses.StaticSynapse.__doc__
    translations = build_translations(("weight", "weight"), ("delay", "delay"))

    def _get_minimum_delay(self):
        # delay=None means min_delay; with min_delay='auto' that is one time step
        return state.explicit_min_delay or state.dt
