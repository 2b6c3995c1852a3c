"""PyNN standard cell types.

Native names and units are PyNN's own (one unit system), so every translation is the identity;
each type is derived from its ``NeuronModel`` declaration in ``kernels/registry.py``.  Parameter
values are checked here, at the PyNN boundary, before anything is compiled.
"""
from __future__ import annotations

import numpy as np
from pyNN import errors
from pyNN.parameters import Sequence
from pyNN.standardmodels import build_translations, cells

from ..kernels.registry import NEURON_MODELS

__all__ = ["IF_curr_exp", "IF_curr_alpha", "IF_cond_exp", "IF_cond_alpha",
           "EIF_cond_exp_isfa_ista", "EIF_cond_alpha_isfa_ista",
           "SpikeSourcePoisson", "SpikeSourceArray", "check_parameters"]

# parameters that must be > 0 (time constants, capacitance) or >= 0
_POSITIVE = ("cm", "tau_m", "tau_syn_E", "tau_syn_I", "tau_w")
_NON_NEGATIVE = ("tau_refrac", "rate", "duration", "delta_T")


def _check_array(celltype, name, values):
    values = np.asarray(values, dtype=float)
    if not np.all(np.isfinite(values)):
        raise errors.InvalidParameterValueError(
            f"{celltype}: parameter {name} = {float(values[~np.isfinite(values)][0])} is not finite; "
            f"give a finite value in {celltype.units.get(name, '')}.")
    if name in _POSITIVE and np.any(values <= 0):
        raise errors.InvalidParameterValueError(
            f"{celltype}: parameter {name} = {float(values[values <= 0][0])} "
            f"{celltype.units.get(name, '')}; it must be > 0 (a time constant or capacitance).")
    if name in _NON_NEGATIVE and np.any(values < 0):
        raise errors.InvalidParameterValueError(
            f"{celltype}: parameter {name} = {float(values[values < 0][0])} "
            f"{celltype.units.get(name, '')}; it must be >= 0.")
    if name == "start" and np.any(values < 0):
        raise errors.InvalidParameterValueError(
            f"{celltype}: start = {float(values[values < 0][0])} ms; it must be >= 0.")


def _check_spike_times(celltype, values):
    for i, seq in enumerate(np.atleast_1d(values)):
        times = np.asarray(seq.value if isinstance(seq, Sequence) else seq, dtype=float)
        if times.size and (np.any(np.diff(times) < 0) or np.any(times < 0)
                           or not np.all(np.isfinite(times))):
            raise errors.InvalidParameterValueError(
                f"{celltype}: spike_times of cell {i} = {times.tolist()[:10]} must be finite, "
                f">= 0 and sorted in increasing order; sort them (e.g. numpy.sort) first.")


def check_parameters(celltype, parameters: dict):
    """Raise ``InvalidParameterValueError`` for values outside a parameter's allowed range.

    ``parameters`` maps native (= PyNN) names to evaluated arrays.
    """
    for name, values in parameters.items():
        if name == "spike_times":
            _check_spike_times(celltype, values)
        else:
            _check_array(celltype, name, values)


def _identity(model):
    return build_translations(*[(p, p) for p in model.param_names])


class _KernelCell:
    """Mixin: the kernel model behind a standard cell type."""

    kernel = None

    def __str__(self):
        return type(self).__name__


def _neuron(base):
    model = NEURON_MODELS[base.__name__]
    return type(base.__name__, (_KernelCell, base),
                {"__doc__": base.__doc__, "translations": _identity(model), "kernel": model,
                 "__module__": __name__})


IF_curr_exp = _neuron(cells.IF_curr_exp)
IF_curr_alpha = _neuron(cells.IF_curr_alpha)
IF_cond_exp = _neuron(cells.IF_cond_exp)
IF_cond_alpha = _neuron(cells.IF_cond_alpha)
EIF_cond_exp_isfa_ista = _neuron(cells.EIF_cond_exp_isfa_ista)
EIF_cond_alpha_isfa_ista = _neuron(cells.EIF_cond_alpha_isfa_ista)


class SpikeSourcePoisson(_KernelCell, cells.SpikeSourcePoisson):
    __doc__ = cells.SpikeSourcePoisson.__doc__
    translations = build_translations(("rate", "rate"), ("start", "start"),
                                      ("duration", "duration"))


class SpikeSourceArray(_KernelCell, cells.SpikeSourceArray):
    __doc__ = cells.SpikeSourceArray.__doc__
    translations = build_translations(("spike_times", "spike_times"))
