"""What a neuron model declares: the one place that describes a model to the rest of the backend.

A model module (``lif_cond.py``, ``stn.py``, ``izhikevich_cond.py`` ...) ends with
``MODELS = (NeuronModel(...), ...)``.  From that declaration alone

* the registry (``registry.py``) finds the model, by scanning this package on first use;
* the PyNN cell type is generated (``standardmodels/cells.py: cell_type``): a subclass of
  PyNN's standard type where ``pynn_type`` names one, otherwise a new ``StandardCellType``
  with the declared names, units, defaults, initial values, recordables and receptors;
* parameter values are checked at the PyNN boundary (``limit`` and ``rules``) and the time step
  against ``dt_max``;
* the compiler and the engine build and step populations (``params``, ``prepare``, ``step``,
  ``substeps``, ``random``, ``n_receptors``).

The kernel contract is the same for every model: parameters in PyNN's units (mV, ms, nA, nF,
uS; the Rubin-Terman cells add their densities behind ``density.py``), ``prepare(params, dt) ->
coeffs`` once per run, ``step(coeffs, state, drive: base.Drive) -> (state, spiked)`` for one
neuron and one step (``base.py``).

References: NEST's one class per model (``nestkernel/archiving_node``, ``models/*.h``) and
Jaxley's channels (parameters, states, update, current) for the shape of a declaration.
"""
from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Mapping, NamedTuple

import numpy as np

__all__ = ["Parameter", "Variable", "Rule", "NeuronModel", "params_type", "ANY", "POSITIVE",
           "NON_NEGATIVE", "reset_below_threshold"]

ANY, POSITIVE, NON_NEGATIVE = "any", "> 0", ">= 0"
"""Allowed ranges of a parameter: any finite value, > 0 (divisors: time constants,
capacitances, areas), >= 0 (conductances, durations, rates)."""


class Parameter(NamedTuple):
    """One parameter: its unit (PyNN's spelling), default value and allowed range."""

    unit: str
    default: float
    limit: str = ANY


class Variable(NamedTuple):
    """One state variable as PyNN sees it (an initial value and/or a recordable): its unit and
    default initial value."""

    unit: str
    initial: float = 0.0


class Rule(NamedTuple):
    """A condition on several parameters of one cell (checked at the PyNN boundary, as NEST's
    ``set_status`` checks it)."""

    names: tuple            # parameter names, in the order ``ok`` takes them
    ok: Callable            # (arrays...) -> bool array, True where the values are consistent
    requirement: str        # the condition, with {0}, {1}, ... for the names as the user wrote
    fix: str                # what to change
    nest: str               # NEST's check: model file and message


def reset_below_threshold(nest_model: str) -> Rule:
    """``v_reset < v_thresh``, as NEST's integrate-and-fire models require."""
    return Rule(("v_reset", "v_thresh"), np.less, "{0} < {1}", "lower {0} or raise {1}",
                f"models/{nest_model}.cpp: 'Reset potential must be smaller than threshold.'")


@lru_cache(maxsize=None)
def _params_type(type_name: str, names: tuple, defaults: tuple | None):
    cls = namedtuple(type_name, names, defaults=defaults)
    cls.__doc__ = f"{type_name}({', '.join(names)}): one value (or array) per parameter."
    return cls


def params_type(parameters: Mapping[str, Parameter], type_name: str = "Params",
                defaults: bool = False) -> type:
    """The ``NamedTuple`` type of a model's parameters (fields in declaration order).

    One type per (name, fields): two calls give the same class, so JAX's pytree structures and
    the compiled-program cache see one type.  ``defaults=True`` gives every field its declared
    default (the seed API's ``STNParams()``)."""
    values = tuple(p.default for p in parameters.values()) if defaults else None
    return _params_type(type_name, tuple(parameters), values)


@dataclass(frozen=True)
class NeuronModel:
    """Declaration of one neuron model.

    Attributes
    ----------
    name : str
        Key of the model; the PyNN cell type's name.
    parameters : mapping name -> Parameter
        Every parameter in the kernel's order, PyNN's units.  For a model with ``pynn_type``
        the names, units and defaults are PyNN's (``test_model_conformance`` checks them).
    state : NamedTuple type
        The per-neuron state of ``step``.
    prepare : ``(params, dt) -> coeffs``
    step : ``(coeffs, state, Drive) -> (state, spiked)``; may take a static ``n_sub`` (with
        ``substeps``) and ``scheme`` keyword.
    initial : mapping state field -> PyNN initial-value name.  Fields not listed start at 0.
    recordables : mapping PyNN recordable -> state field (spikes are always recordable).
    variables : mapping PyNN variable name -> Variable
        Units and default initial values of the initial values and recordables (models without
        ``pynn_type``; PyNN's standard types have their own).
    steady_state : ``(parameters: dict) -> {initial-value name: value}``, optional
        Default initial values computed from the default parameters (replaces
        ``Variable.initial``; the Rubin-Terman cells start with every gate at steady state).
    rules : Rules on several parameters.
    receptor_types : the PyNN receptor types, in ``Drive.receptors`` order.
    conductance_based : whether the synaptic weights are conductances (uS).
    random : the step needs ``Drive.rand`` (a uniform number per neuron and step).
    native_names : the parameter names the PyNN layer uses, if not the ``params`` fields.
    substeps : ``(dt, host parameters) -> int``, optional: a static choice per population (the
        number of substeps, or a scheme code), passed to ``step`` as ``n_sub``.
    dt_max : largest time step (ms) at which the integration is validated (None: any).
    schemes : the integration schemes behind ``dt_max``, in words (for the error message).
    pynn_type : name of the PyNN standard cell type implemented (``pyNN.standardmodels.cells``),
        or None for a model of this backend.
    doc : the cell type's docstring (models without ``pynn_type``).
    build_params : ``(columns: dict, size, dtype) -> params``, optional: the kernel's
        parameters from the population's native columns, for models whose parameters are not
        one number per cell and name (multi-compartment cells: arrays per node from a
        morphology and distributions).  None: ``params(*columns[name] for name in
        param_names)``.
    initial_state : ``(columns: dict, initial: dict, size, dtype) -> state``, optional: the
        initial state from the parameter columns and the initial values the user gave
        (``Population._initial``); None: one field per ``initial`` entry, zeros elsewhere.
    """

    name: str
    parameters: Mapping[str, Parameter]
    state: type
    prepare: Callable
    step: Callable
    initial: Mapping[str, str] = field(default_factory=dict)
    recordables: Mapping[str, str] = field(default_factory=dict)
    variables: Mapping[str, Variable] = field(default_factory=dict)
    steady_state: Callable | None = None
    rules: tuple = ()
    receptor_types: tuple = ("excitatory", "inhibitory")
    conductance_based: bool = True
    random: bool = False
    native_names: tuple = ()
    substeps: Callable | None = None
    dt_max: float | None = None
    schemes: str = ""
    pynn_type: str | None = None
    doc: str = ""
    build_params: Callable | None = None
    initial_state: Callable | None = None

    @property
    def params(self) -> type:
        """The ``NamedTuple`` type of the parameters (``params_type(parameters)``)."""
        return params_type(self.parameters)

    @property
    def param_names(self) -> tuple:
        """Parameter names as the PyNN layer stores them."""
        return self.native_names or tuple(self.parameters)

    @property
    def n_receptors(self) -> int:
        return len(self.receptor_types)

    def default_parameters(self) -> dict:
        """``{name: default}`` in the PyNN layer's names."""
        return {n: float(p.default) for n, p in zip(self.param_names, self.parameters.values())}

    def limit_of(self, native_name: str) -> str:
        """The allowed range of a parameter given by its PyNN-layer name."""
        for n, p in zip(self.param_names, self.parameters.values()):
            if n == native_name:
                return p.limit
        return ANY
