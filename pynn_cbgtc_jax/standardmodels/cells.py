"""PyNN cell types, generated from the neuron models' declarations (``kernels/declaration.py``).

``cell_type(model)`` gives the cell type of a registered ``NeuronModel``: a subclass of PyNN's
standard type where the model names one (``pynn_type``), with identity translations (native
names and units are PyNN's own: one unit system), otherwise a new ``StandardCellType`` with the
declared names, units, defaults, initial values, recordables and receptors.  ``cell_types()``
gives all of them, by name; ``import pynn_cbgtc_jax as sim`` exports each as ``sim.<name>``.
The exception is ``GIF_cond_exp``, whose array parameters (``tau_eta``, ...) are split into one
scalar native parameter per kernel component (below).  Parameter values are checked here, at
the PyNN boundary, before anything is compiled: each parameter's declared range, the model's
rules on several parameters, and the time step against the model's ``dt_max``.
"""
from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
from pyNN import errors
from pyNN.parameters import ArrayParameter, ParameterSpace, Sequence
from pyNN.standardmodels import StandardCellType, build_translations, cells

from .. import simulator
from ..ensembles import split_batches
from ..kernels import gif
from ..kernels.declaration import ANY, NON_NEGATIVE, POSITIVE, NeuronModel, Rule
from ..kernels.registry import NEURON_MODELS
from .translations import identity_translations

__all__ = ["IF_curr_exp", "IF_curr_alpha", "IF_cond_exp", "IF_cond_alpha",
           "EIF_cond_exp_isfa_ista", "EIF_cond_alpha_isfa_ista", "IF_curr_delta",
           "IF_cond_exp_gsfa_grr", "HH_cond_exp", "Izhikevich", "GIF_cond_exp",
           "SpikeSourcePoisson", "SpikeSourceArray", "SpikeSourceGamma",
           "SpikeSourcePoissonRefractory", "SpikeSourceInhGamma", "check_parameters",
           "check_time_step", "cell_type", "cell_types", "variant"]

# allowed ranges of the spike sources' parameters (the neuron models declare their own)
_SOURCE_LIMITS = {"rate": NON_NEGATIVE, "duration": NON_NEGATIVE, "beta": NON_NEGATIVE,
                  "tau_refrac": NON_NEGATIVE, "alpha": POSITIVE}
_SOURCE_RULES = {
    "SpikeSourcePoissonRefractory": (
        Rule(("rate", "tau_refrac"), lambda rate, dead: rate * dead < 1000.0,
             "{0} * {1} < 1000 (the mean interval 1000/{0} ms must exceed the dead time {1})",
             "lower {0} or {1}",
             "models/ppd_sup_generator.cpp: 'The inverse rate has to be larger than the dead "
             "time.'"),),
}
_LIMIT_TEXT = {POSITIVE: "> 0 (a time constant, capacitance, area or threshold width)",
               NON_NEGATIVE: ">= 0"}


def _model(celltype) -> NeuronModel | None:
    kernel = getattr(celltype, "kernel", None)
    return kernel if isinstance(kernel, NeuronModel) else None


def _limit(celltype, name) -> str:
    model = _model(celltype)
    return model.limit_of(name) if model is not None else _SOURCE_LIMITS.get(name, ANY)


def _rules(celltype) -> tuple:
    model = _model(celltype)
    return model.rules if model is not None else _SOURCE_RULES.get(type(celltype).__name__, ())


def _display(celltype, name):
    """A native name as the user wrote it, and its unit: GIF_cond_exp's ``tau_eta_1`` is
    ``tau_eta[1]`` (ms)."""
    base, _, k = name.rpartition("_")
    if base in gif.KERNEL_PARAMS:
        return f"{base}[{k}]", celltype.units.get(base, "")
    return name, celltype.units.get(name, "")


def _check_array(celltype, name, values):
    values = np.asarray(values, dtype=float)
    shown, unit = _display(celltype, name)
    if not np.all(np.isfinite(values)):
        raise errors.InvalidParameterValueError(
            f"{celltype}: parameter {shown} = {float(values[~np.isfinite(values)][0])} is not "
            f"finite; give a finite value in {unit}.")
    limit = _limit(celltype, name)
    bad = (values <= 0) if limit == POSITIVE else (values < 0) if limit == NON_NEGATIVE else None
    if bad is not None and np.any(bad):
        raise errors.InvalidParameterValueError(
            f"{celltype}: parameter {shown} = {float(values[bad][0])} {unit}; it must be "
            f"{_LIMIT_TEXT[limit]}.")
    if name == "start" and np.any(values < 0):
        raise errors.InvalidParameterValueError(
            f"{celltype}: start = {float(values[values < 0][0])} ms; it must be >= 0.")
    if name in _ON_GRID:
        _check_on_grid(celltype, name, values)


# spike-source times that NEST requires on the time grid (nestkernel/device.cpp,
# Device::Parameters_::set: "start must be a multiple of the simulation resolution."; the
# stop time start + duration too): refused here as well, rather than moved to another step
_ON_GRID = ("start", "duration")


def _check_on_grid(celltype, name, values):
    dt = simulator.state.dt
    steps = np.atleast_1d(values) / dt
    off = np.abs(steps - np.round(steps)) > 1e-9 * np.maximum(1.0, np.abs(steps))
    if np.any(off):
        simulator.grid_steps(float(np.atleast_1d(values)[off][0]), dt, f"{celltype}: {name}",
                             " (a spike source starts and stops at step boundaries)")


def _check_spike_times(celltype, values):
    for i, seq in enumerate(np.atleast_1d(values)):
        times = np.asarray(seq.value if isinstance(seq, Sequence) else seq, dtype=float)
        if times.size and (np.any(np.diff(times) < 0) or np.any(times < 0)
                           or not np.all(np.isfinite(times))):
            raise errors.InvalidParameterValueError(
                f"{celltype}: spike_times of cell {i} = {times.tolist()[:10]} must be finite, "
                f">= 0 and sorted in increasing order; sort them (e.g. numpy.sort) first.")
        if times.size and times[0] == 0:
            # pyNN.nest drops it silently too (NEST's spike_generator refuses t = 0)
            warnings.warn(f"{celltype}: spike_times of cell {i} include 0.0 ms; a spike at "
                          f"t = 0 is never emitted (the first step ends at dt) and is dropped. "
                          f"Use times > 0.", stacklevel=2)


def _user_name(celltype, native):
    """The name the user writes for native parameter ``native`` (NEST-named cell types of
    ``native.py`` call ``v_thresh`` ``V_th``)."""
    for name, entry in getattr(celltype, "translations", {}).items():
        if entry.get("translated_name") == native:
            return name
    return native


def _check_consistency(celltype, parameters: dict, current: Mapping | None):
    """Raise ``InvalidParameterValueError`` where one of the cell type's rules fails.

    ``current``: the values before a ``set()`` (None at creation); a rule is checked when one
    of its parameters is given, on the new values merged with the current ones.
    """
    for rule in _rules(celltype):
        if not any(name in parameters for name in rule.names):
            continue
        current = current or {}
        if not all(name in parameters or name in current for name in rule.names):
            continue
        values = np.broadcast_arrays(*[np.asarray(parameters[name] if name in parameters
                                                  else current[name], dtype=float)
                                       for name in rule.names])
        ok = np.asarray(rule.ok(*values))
        if np.all(ok):
            continue
        cell = np.unravel_index(int(np.argmin(ok)), ok.shape) if ok.ndim else ()
        shown = [_user_name(celltype, name) for name in rule.names]
        given = ", ".join(f"{n} = {float(v[cell]):g} {celltype.units.get(n, '')}".rstrip()
                          for n, v in zip(shown, values))
        where = f" (cell {cell[0]})" if ok.ndim and ok.size > 1 else ""
        raise errors.InvalidParameterValueError(
            f"{celltype}: {given}{where}: requires {rule.requirement.format(*shown)}; "
            f"{rule.fix.format(*shown)}.  NEST refuses these values too ({rule.nest}).")


def check_parameters(celltype, parameters: dict, current: Mapping | None = None):
    """Raise ``InvalidParameterValueError`` for values outside a parameter's allowed range,
    and for combinations NEST refuses (the model's ``rules``: v_reset < v_thresh, ...).

    Parameters
    ----------
    celltype : cell type
    parameters : dict
        Native (= PyNN) names -> evaluated arrays: the values being set.
    current : mapping, optional
        The values before a ``set()`` (same names, arrays of the same cells; only those
        of the rules involving a parameter being set are read); the cross-parameter checks see
        them merged with ``parameters``.

    Raises
    ------
    pyNN.errors.InvalidParameterValueError
    """
    _check_ranges(celltype, parameters)
    _check_consistency(celltype, parameters, current)


def _check_ranges(celltype, parameters: dict):
    for name, values in parameters.items():
        if name == "spike_times":
            _check_spike_times(celltype, values)
        elif np.asarray(values).dtype == object:        # other Sequence parameters (InhGamma)
            for seq in np.atleast_1d(values):
                _check_array(celltype, name, np.asarray(getattr(seq, "value", seq), float))
        else:
            _check_array(celltype, name, values)


def check_time_step(celltype, dt: float):
    """Raise ``InvalidParameterValueError`` if ``dt`` (ms) exceeds the model's ``dt_max``."""
    model = _model(celltype)
    if model is None or model.dt_max is None or dt <= model.dt_max * (1 + 1e-9):
        return
    raise errors.InvalidParameterValueError(
        f"{celltype}: the time step dt = {dt} ms is larger than {model.dt_max} ms, the largest "
        f"step at which this cell's integration is validated ({model.schemes}); call "
        f"setup(timestep={model.dt_max}) or smaller (0.01 ms resolves 60 us DBS pulses).")


class _KernelCell:
    """Mixin: the kernel model behind a cell type; takes ``Batch`` values (ensembles.py)."""

    kernel = None
    _batches: dict = {}

    def __init__(self, **parameters):
        # PyNN's own checks see the first member's value; the Population takes the Batch
        parameters, batches = split_batches(parameters)
        super().__init__(**parameters)
        self._batches = batches

    def __str__(self):
        return type(self).__name__

    @property
    def dt_max(self) -> float | None:
        """Largest time step (ms) at which this cell's integration is validated (None: any)."""
        return getattr(self.kernel, "dt_max", None)


class _DeclaredCell(_KernelCell, StandardCellType):
    """Base of the cell types of models that are not PyNN standard types."""

    injectable = True


def _initial_values(model: NeuronModel, parameters: dict):
    """The cell type's ``default_initial_values``: the declared ones, or a descriptor that
    computes the model's steady state at first use."""
    if model.steady_state is not None:
        return _SteadyState(model, parameters)
    return {name: float(model.variables[name].initial) for name in model.initial.values()}


class _SteadyState:
    """``default_initial_values`` of a model whose initial values are its steady state at the
    default parameters, computed at first use and then stored on the class.  The steady state
    is JAX code: computed at import, it would start JAX's backend, and
    ``jax.distributed.initialize`` (``setup(distributed=True)``) must come before that."""

    def __init__(self, model: NeuronModel, parameters: dict):
        self.model, self.parameters = model, parameters

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, obj, cls):
        values = self.model.steady_state(self.parameters)
        setattr(cls, "default_initial_values", values)
        return values


def cell_type(model: NeuronModel) -> type:
    """The PyNN cell type of ``model`` (see the module docstring)."""
    translations = identity_translations(model.param_names)
    if model.pynn_type is not None:
        base = getattr(cells, model.pynn_type)
        return type(base.__name__, (_KernelCell, base),
                    {"__doc__": base.__doc__, "translations": translations, "kernel": model,
                     "__module__": __name__})
    defaults = model.default_parameters()
    units = {n: p.unit for n, p in zip(model.param_names, model.parameters.values())}
    units.update({n: v.unit for n, v in model.variables.items()})
    return type(model.name, (_DeclaredCell,), {
        "__doc__": model.doc, "kernel": model, "translations": translations,
        "default_parameters": defaults,
        "default_initial_values": _initial_values(model, defaults),
        "recordable": ["spikes", *model.recordables], "units": units,
        "receptor_types": tuple(model.receptor_types),
        "conductance_based": model.conductance_based, "__module__": __name__})


def variant(base: type, name: str, doc: str, **defaults: float) -> type:
    """A subclass of the declared cell type ``base`` with other default parameters (and the
    initial values that follow from them), e.g. ``GPi_RT2004`` from ``GP_RT2004``."""
    parameters = dict(base.default_parameters, **{k: float(v) for k, v in defaults.items()})
    return type(name, (base,), {"__doc__": doc, "default_parameters": parameters,
                                "default_initial_values": _initial_values(base.kernel,
                                                                          parameters),
                                "__module__": base.__module__})


IF_curr_exp = cell_type(NEURON_MODELS["IF_curr_exp"])
IF_curr_alpha = cell_type(NEURON_MODELS["IF_curr_alpha"])
IF_cond_exp = cell_type(NEURON_MODELS["IF_cond_exp"])
IF_cond_alpha = cell_type(NEURON_MODELS["IF_cond_alpha"])
EIF_cond_exp_isfa_ista = cell_type(NEURON_MODELS["EIF_cond_exp_isfa_ista"])
EIF_cond_alpha_isfa_ista = cell_type(NEURON_MODELS["EIF_cond_alpha_isfa_ista"])
IF_curr_delta = cell_type(NEURON_MODELS["IF_curr_delta"])
IF_cond_exp_gsfa_grr = cell_type(NEURON_MODELS["IF_cond_exp_gsfa_grr"])
HH_cond_exp = cell_type(NEURON_MODELS["HH_cond_exp"])
Izhikevich = cell_type(NEURON_MODELS["Izhikevich"])


# -- GIF_cond_exp: array parameters as one scalar native parameter per component ---------------
# ``tau_eta``/``a_eta`` and ``tau_gamma``/``a_gamma`` are ArrayParameters (one value per kernel
# component, possibly different per cell).  The kernel needs fixed shapes, so each becomes
# ``gif.N_COMPONENTS`` scalar native parameters (``tau_eta_0``, ...), padded with components of
# zero amplitude; ``n_eta`` / ``n_gamma`` keep the number given, so ``get()`` returns it unchanged.
_GIF_KERNELS = {"tau_eta": "n_eta", "a_eta": "n_eta", "tau_gamma": "n_gamma", "a_gamma": "n_gamma"}
_GIF_PAD = {"tau_eta": 1.0, "tau_gamma": 1.0, "a_eta": 0.0, "a_gamma": 0.0}


def _gif_rows(celltype, name, lazy):
    """The components of array parameter ``name``: (list of 1-D arrays, homogeneous?)."""
    if lazy.is_homogeneous and lazy.shape is None:
        value = lazy.base_value
    else:
        value = lazy.evaluate(simplify=True)
    homogeneous = not (isinstance(value, np.ndarray) and value.dtype == object)
    rows = [np.atleast_1d(np.asarray(getattr(v, "value", v), dtype=float))
            for v in ([value] if homogeneous else value)]
    for row in rows:
        if row.ndim != 1 or row.size > gif.N_COMPONENTS:
            raise errors.InvalidParameterValueError(
                f"{celltype}: {name} = {row.tolist()} has {row.size} components; this backend "
                f"supports at most {gif.N_COMPONENTS} exponential components per kernel "
                f"(pynn_cbgtc_jax.kernels.gif.N_COMPONENTS).  Give at most "
                f"{gif.N_COMPONENTS} values.")
    return rows, homogeneous


def _gif_split(celltype, parameters):
    """Native columns ``{tau_eta_0: ..., n_eta: ...}`` of the array parameters present."""
    native, counts = {}, {}
    for name, count_name in _GIF_KERNELS.items():
        if name not in parameters.keys():
            continue
        rows, homogeneous = _gif_rows(celltype, name, parameters[name])
        sizes = np.array([row.size for row in rows], dtype=float)
        if count_name in counts:
            other, other_sizes = counts[count_name]
            if not np.array_equal(*np.broadcast_arrays(sizes, other_sizes)):
                raise errors.InvalidParameterValueError(
                    f"{celltype}: {name} has {sizes.astype(int).tolist()} components but {other} "
                    f"has {other_sizes.astype(int).tolist()}; give both with the same number of "
                    f"values (as NEST's gif_cond_exp requires).")
        counts[count_name] = (name, sizes)
        for k, component in enumerate(gif.component_names(name)):
            column = np.array([row[k] if k < row.size else _GIF_PAD[name] for row in rows])
            native[component] = float(column[0]) if homogeneous else column
        native[count_name] = float(sizes[0]) if homogeneous else sizes
    return native


def _gif_join(columns, counts):
    """Inverse of ``_gif_split`` for one array parameter: one ArrayParameter, or one per cell."""
    columns = [np.atleast_1d(c) for c in columns]
    counts = np.atleast_1d(counts).astype(int)
    n = max(max(c.size for c in columns), counts.size)
    columns = [np.broadcast_to(c, (n,)) for c in columns]
    counts = np.broadcast_to(counts, (n,))
    values = [ArrayParameter([columns[k][i] for k in range(counts[i])]) for i in range(n)]
    if all(np.array_equal(v.value, values[0].value) for v in values):
        return values[0]
    out = np.empty(n, dtype=object)
    out[:] = values
    return out


class GIF_cond_exp(_KernelCell, cells.GIF_cond_exp):
    __doc__ = cells.GIF_cond_exp.__doc__
    kernel = NEURON_MODELS["GIF_cond_exp"]
    translations = build_translations(
        *[(p, p) for p in gif.SCALAR_PARAMS],
        *[(p, gif.component_names(p)[0], "split", "join") for p in gif.KERNEL_PARAMS])

    def translate(self, parameters, copy=True):
        if parameters.schema != self.get_schema():
            raise errors.InvalidParameterValueError(
                f"{self}: parameter schema {parameters.schema} != {self.get_schema()}")
        native = {name: parameters[name] for name in parameters.keys()
                  if name not in _GIF_KERNELS}
        native.update(_gif_split(self, parameters))
        return ParameterSpace(native, schema=None, shape=parameters.shape)

    def reverse_translate(self, native_parameters):
        keys = set(native_parameters.keys())
        standard = {name: native_parameters[name] for name in gif.SCALAR_PARAMS if name in keys}
        for name, count_name in _GIF_KERNELS.items():
            names = gif.component_names(name)
            if keys.issuperset(names + (count_name,)):
                standard[name] = _gif_join(
                    [native_parameters[c].evaluate(simplify=True) for c in names],
                    native_parameters[count_name].evaluate(simplify=True))
        return ParameterSpace(standard, schema=self.get_schema(), shape=native_parameters.shape)

    def get_native_names(self, *names):
        native = []
        for name in names or self.translations:
            if name in _GIF_KERNELS:
                native.extend(gif.component_names(name) + (_GIF_KERNELS[name],))
            else:
                native.append(name)
        return list(dict.fromkeys(native))


class SpikeSourcePoisson(_KernelCell, cells.SpikeSourcePoisson):
    __doc__ = cells.SpikeSourcePoisson.__doc__
    translations = build_translations(("rate", "rate"), ("start", "start"),
                                      ("duration", "duration"))


class SpikeSourceGamma(_KernelCell, cells.SpikeSourceGamma):
    __doc__ = cells.SpikeSourceGamma.__doc__ + """
    Generated on the time grid from the exact gamma hazard (one uniform per cell and step);
    the process starts afresh at ``start``.
    """
    translations = identity_translations(cells.SpikeSourceGamma.default_parameters)


class SpikeSourcePoissonRefractory(_KernelCell, cells.SpikeSourcePoissonRefractory):
    __doc__ = cells.SpikeSourcePoissonRefractory.__doc__ + """
    As NEST's ppd_sup_generator: after each spike a dead time ``tau_refrac``, then the hazard
    rate/(1 - rate tau_refrac), so the mean rate is ``rate``.
    """
    translations = build_translations(
        *[(p, p) for p in cells.SpikeSourcePoissonRefractory.default_parameters])


class SpikeSourceInhGamma(_KernelCell, cells.SpikeSourceInhGamma):
    __doc__ = cells.SpikeSourceInhGamma.__doc__ + """
    Generated on the time grid from the hazard of the current bin's gamma distribution
    (shape ``a``, scale ``b`` in seconds) at the age since the last spike.
    """
    translations = build_translations(
        *[(p, p) for p in cells.SpikeSourceInhGamma.default_parameters])


class SpikeSourceArray(_KernelCell, cells.SpikeSourceArray):
    __doc__ = cells.SpikeSourceArray.__doc__ + """
    Times off the time grid are kept as given (recorded exactly, as pyNN.nest's precise spike
    times) and delivered with the step that contains them (``engine.spike_sources.
    spike_source_stamps``); a spike at t = 0 is dropped with a warning (pyNN.nest drops it
    silently).
    """
    translations = build_translations(("spike_times", "spike_times"))


_CELL_TYPES: dict = {}


def cell_types() -> dict:
    """Name -> cell type of every registered neuron model (the ``PointNeuron`` combinations,
    built on demand, aside): the classes above for PyNN's standard types, a generated class
    (``cell_type``) for every other model.  Generated once and kept, so a name always gives the
    same class."""
    if not _CELL_TYPES:
        module = globals()
        for name, model in NEURON_MODELS.items():
            if name.startswith("PointNeuron["):
                continue
            known = module.get(name)
            _CELL_TYPES[name] = (known if isinstance(known, type) and getattr(known, "kernel", None)
                                 is model else cell_type(model))
    return _CELL_TYPES
