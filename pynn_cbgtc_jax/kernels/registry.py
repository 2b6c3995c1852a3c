"""The neuron models the engine knows, each declared once.

A ``NeuronModel`` ties together a kernel's ``Params``/``State`` types, its ``prepare`` and
``step`` functions, which PyNN initial value each state field starts from and which state field
each PyNN recordable reads.  The PyNN cell types (``standardmodels/cells.py``) and the engine are
both derived from these declarations.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

from . import adex, lif_cond, lif_curr

__all__ = ["NeuronModel", "NEURON_MODELS", "register"]


@dataclass(frozen=True)
class NeuronModel:
    """Declaration of one point-neuron model.

    Attributes
    ----------
    name : str
        Key of the model (the PyNN standard type name).
    params, state : NamedTuple types
        Per-neuron parameters (PyNN names and units) and state.
    prepare : callable ``(params, dt) -> coeffs``
    step : callable ``(coeffs, state, Drive) -> (state, spiked)``
    initial : mapping state field -> PyNN initial-value name.  Fields not listed start at 0.
    recordables : mapping PyNN recordable -> state field (spikes are always recordable).
    random : bool
        The step needs ``Drive.rand`` (a uniform number per neuron and step).
    """

    name: str
    params: type
    state: type
    prepare: Callable
    step: Callable
    initial: Mapping[str, str] = field(default_factory=dict)
    recordables: Mapping[str, str] = field(default_factory=dict)
    random: bool = False

    @property
    def param_names(self):
        return self.params._fields


_CURR = {"v": "v", "isyn_exc": "isyn_exc", "isyn_inh": "isyn_inh"}
_COND = {"v": "v", "gsyn_exc": "gsyn_exc", "gsyn_inh": "gsyn_inh"}
_ADEX = dict(_COND, w="w")

NEURON_MODELS = {m.name: m for m in [
    NeuronModel("IF_curr_exp", lif_curr.Params, lif_curr.ExpState, lif_curr.prepare_exp,
                lif_curr.step_exp, _CURR, _CURR),
    NeuronModel("IF_curr_alpha", lif_curr.Params, lif_curr.AlphaState, lif_curr.prepare_alpha,
                lif_curr.step_alpha, _CURR, _CURR),
    NeuronModel("IF_cond_exp", lif_cond.Params, lif_cond.ExpState, lif_cond.prepare_exp,
                lif_cond.step_exp, _COND, _COND),
    NeuronModel("IF_cond_alpha", lif_cond.Params, lif_cond.AlphaState, lif_cond.prepare_alpha,
                lif_cond.step_alpha, _COND, _COND),
    NeuronModel("EIF_cond_exp_isfa_ista", adex.Params, adex.ExpState, adex.prepare_exp,
                adex.step_exp, _ADEX, _ADEX),
    NeuronModel("EIF_cond_alpha_isfa_ista", adex.Params, adex.AlphaState, adex.prepare_alpha,
                adex.step_alpha, _ADEX, _ADEX),
]}


def register(model: NeuronModel) -> NeuronModel:
    """Add a model declared outside this module (e.g. the CBGTC cells) to ``NEURON_MODELS``."""
    if model.name in NEURON_MODELS and NEURON_MODELS[model.name] is not model:
        raise ValueError(f"a neuron model named {model.name!r} is already registered")
    NEURON_MODELS[model.name] = model
    return model
