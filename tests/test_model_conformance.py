"""One contract for every registered neuron model (issue 13 item 8).

Parametrised over ``kernels.registry.NEURON_MODELS`` (the Rubin-Terman cells included), so a
model added to the registry is held to the same contract without a test of its own:

* it is exported by ``import pynn_cbgtc_jax as sim`` as a cell type whose ``kernel`` it is;
* a population of it runs (jit-compiled, vmapped) in float32 and float64 under a DC current,
  with every recordable recorded, and every sample is finite;
* the t = 0 sample of each recorded state variable is its initial value (PyNN's contract: the
  first sample is the state before the first step);
* ``set()`` of a parameter and ``initialize()`` between runs do not recompile
  (``engine.runner.TRACE_COUNT``), and ``set()`` takes effect;
* its chunk lowers for CUDA (``jax.export``, no GPU needed), the platform branches resolved.

References: PyNN's semantics of ``record``/``initialize`` (t = 0 sample), the engine's trace
counter, JAX's own export.  No tolerance: the checks are exact (equality, finiteness, counts).
"""
from __future__ import annotations

import inspect

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import pynn_cbgtc_jax
from pynn_cbgtc_jax.engine.runner import TRACE_COUNT
from pynn_cbgtc_jax.kernels.registry import NEURON_MODELS


def _cell_types():
    """Model name -> the exported cell type built on it."""
    out = {}
    for name in dir(pynn_cbgtc_jax):
        obj = getattr(pynn_cbgtc_jax, name)
        kernel = getattr(obj, "kernel", None) if inspect.isclass(obj) else None
        if kernel is not None and getattr(kernel, "name", None) in NEURON_MODELS:
            out.setdefault(kernel.name, obj)
    return out


CELL_TYPES = _cell_types()
MODELS = sorted(NEURON_MODELS)


def _dt(celltype):
    """The largest time step the model allows, capped at 0.1 ms (Rubin-Terman: 0.05 ms)."""
    return min(0.1, getattr(celltype(), "dt_max", 0.1) or 0.1)


def _scalar_parameter(celltype):
    """A float parameter whose 1 % increase keeps every consistency rule (a time constant or
    capacitance where the model has one)."""
    defaults = celltype.default_parameters
    for name in ("tau_m", "cm", "tau_syn_E", "C_m", "a", "g_L", "gl", "g_l", "c"):
        if name in defaults and isinstance(defaults[name], float) and defaults[name] != 0:
            return name
    return next(n for n, v in defaults.items() if isinstance(v, float) and v != 0)


def test_every_registered_model_is_exported_as_a_cell_type():
    assert sorted(CELL_TYPES) == MODELS


@pytest.mark.parametrize("precision", ["float32", "float64"])
@pytest.mark.parametrize("model", MODELS)
def test_model_contract(model, precision):
    celltype = CELL_TYPES[model]
    x64 = jax.config.jax_enable_x64
    sim = pynn_cbgtc_jax
    try:
        sim.setup(timestep=_dt(celltype), precision=precision)
        pop = sim.Population(3, celltype())
        sim.DCSource(amplitude=0.5, start=0.0, stop=1e9).inject_into(pop)
        recordables = [r for r in celltype.recordable if r != "spikes"]
        pop.record(["spikes", *recordables])
        sim.run(2.0)
        traces = TRACE_COUNT["chunk"]
        name = _scalar_parameter(celltype)
        before = np.asarray(pop.get(name), float)
        pop.set(**{name: float(before.flat[0]) * 1.01})
        pop.initialize(**{k: v.base_value if hasattr(v, "base_value") else v
                          for k, v in pop.initial_values.items()})
        sim.run(2.0)
        assert TRACE_COUNT["chunk"] == traces, "set()/initialize() recompiled the chunk"
        np.testing.assert_allclose(pop.get(name), before * 1.01, rtol=1e-6)

        data = pop.get_data().segments[0]
        for sig in data.analogsignals:
            values = np.asarray(sig.magnitude)
            assert np.all(np.isfinite(values)), f"{model} {sig.name}: non-finite samples"
            default = celltype.default_initial_values.get(sig.name)
            if default is not None and np.isscalar(default):
                # the state is held in the run's precision: the initial value rounded to it
                expected = float(np.asarray(default, dtype=precision))
                np.testing.assert_array_equal(
                    values[0], np.full(values.shape[1], expected),
                    err_msg=f"{model} {sig.name}: the t = 0 sample is not the initial value")
        assert {s.name for s in data.analogsignals} == set(recordables)

        s = sim.simulator.state.simulation
        gpu = jax.export.export(s.fn, platforms=["cuda"])(s.data, s.carry, jnp.int32(4))
        assert gpu.platforms == ("cuda",)
    finally:
        sim.end()
        jax.config.update("jax_enable_x64", x64)


@pytest.mark.parametrize("model", MODELS)
def test_declaration_matches_the_cell_type(model):
    """The declaration is the one source: the cell type's names, defaults and units are the
    declared ones, and for a PyNN standard type those are PyNN's own (``pyNN.standardmodels.
    cells``, the reference) -- a declared default or unit that drifts from PyNN fails here.
    GIF_cond_exp's array parameters are declared per component and are compared so."""
    celltype = CELL_TYPES[model]
    declared = NEURON_MODELS[model]
    for native, p in zip(declared.param_names, declared.parameters.values()):
        base, _, k = native.rpartition("_")
        if base in celltype.default_parameters and k.isdigit():          # GIF components
            expected = celltype.default_parameters[base].value[int(k)]
            unit = celltype.units[base]
        else:
            expected, unit = celltype.default_parameters[native], celltype.units[native]
        assert p.default == pytest.approx(expected, rel=0, abs=0), native
        assert p.unit == unit, native
    # PyNN's standard types list fewer recordables than the state offers (IF_curr_*: v)
    assert set(celltype.recordable) <= {"spikes", *declared.recordables}
    if declared.pynn_type is None:
        assert set(celltype.recordable) == {"spikes", *declared.recordables}


@pytest.mark.parametrize("model", MODELS)
def test_declared_limits_are_enforced(model):
    """Every parameter declared ``> 0`` refuses 0 and every ``>= 0`` refuses -1, with
    ``InvalidParameterValueError`` naming it (the PyNN boundary reads the declaration)."""
    from pyNN import errors
    from pynn_cbgtc_jax.kernels.declaration import NON_NEGATIVE, POSITIVE
    from pynn_cbgtc_jax.standardmodels.cells import check_parameters
    celltype = CELL_TYPES[model]
    declared = NEURON_MODELS[model]
    checked = 0
    for native, p in zip(declared.param_names, declared.parameters.values()):
        bad = {POSITIVE: 0.0, NON_NEGATIVE: -1.0}.get(p.limit)
        if bad is None:
            continue
        with pytest.raises(errors.InvalidParameterValueError, match=native.split("_")[0]):
            check_parameters(celltype(), {native: np.array([bad])})
        checked += 1
    if model not in ("Izhikevich",):
        assert checked > 0, f"{model} declares no limit at all"
