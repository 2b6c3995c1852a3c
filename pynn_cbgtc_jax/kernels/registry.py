"""The neuron models the engine knows, each declared once.

A ``NeuronModel`` ties together a kernel's ``Params``/``State`` types, its ``prepare`` and
``step`` functions, which PyNN initial value each state field starts from and which state field
each PyNN recordable reads.  The PyNN cell types (``standardmodels/cells.py``) and the engine are
both derived from these declarations.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

from . import adex, gif, hh, izhikevich, lif_cond, lif_curr, lif_delta, lif_sfa_rr

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
    native_names: tuple = ()
    n_receptors: int = 2
    substeps: Callable = None   # (dt, host parameters) -> static substeps, passed as n_sub

    @property
    def param_names(self):
        return self.native_names or self.params._fields


_CURR = {"v": "v", "isyn_exc": "isyn_exc", "isyn_inh": "isyn_inh"}
_COND = {"v": "v", "gsyn_exc": "gsyn_exc", "gsyn_inh": "gsyn_inh"}
_ADEX = dict(_COND, w="w")
_HH_INIT = dict(_COND, m="m", h="h", n="n")
_IZH = {"v": "v", "u": "u"}
_SFA_RR = dict(_COND, g_r="g_r", g_s="g_s")
_GIF = dict(_COND, i_eta="i_eta", v_t="v_t")

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
                adex.step_exp, _ADEX, _ADEX, substeps=adex.substeps),
    NeuronModel("EIF_cond_alpha_isfa_ista", adex.Params, adex.AlphaState, adex.prepare_alpha,
                adex.step_alpha, _ADEX, _ADEX, substeps=adex.substeps),
    NeuronModel("IF_curr_delta", lif_delta.Params, lif_delta.State, lif_delta.prepare,
                lif_delta.step, {"v": "v"}, {"v": "v"}),
    NeuronModel("IF_cond_exp_gsfa_grr", lif_sfa_rr.Params, lif_sfa_rr.State, lif_sfa_rr.prepare,
                lif_sfa_rr.step, _SFA_RR, _SFA_RR),
    NeuronModel("HH_cond_exp", hh.Params, hh.State, hh.prepare, hh.step, _HH_INIT, _COND),
    NeuronModel("Izhikevich", izhikevich.Params, izhikevich.State, izhikevich.prepare,
                izhikevich.step, _IZH, _IZH),
    NeuronModel("GIF_cond_exp", gif.Params, gif.State, gif.prepare, gif.step, _GIF, _GIF,
                random=True),
]}


def register(model: NeuronModel) -> NeuronModel:
    """Add a model declared outside this module (e.g. the CBGTC cells) to ``NEURON_MODELS``."""
    if model.name in NEURON_MODELS and NEURON_MODELS[model.name] is not model:
        raise ValueError(f"a neuron model named {model.name!r} is already registered")
    NEURON_MODELS[model.name] = model
    return model
