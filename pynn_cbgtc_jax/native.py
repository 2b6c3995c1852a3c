"""pyNN.nest compatibility: NEST model names, parameter names and units for our kernels.

``native_cell_type("iaf_cond_exp")`` returns a cell type whose parameters, initial values and
recordables carry NEST's names and units (pF, pA, nS, ...), backed by the same kernel as the
matching PyNN standard type; ``native_synapse_type("tsodyks_synapse")`` likewise (weights in
pA or nS, as in NEST).  Only the NEST models our kernels implement are available; others raise
``NoModelAvailableError`` listing them.

``NativeRNG`` also draws the values of a ``RandomDistribution`` given it (synapse weights and
delays, cell parameters, initial values): vectorised, from a NumPy ``Generator`` seeded from its
seed, with PyNN's parameterisation of each distribution (``draw``).
"""
from __future__ import annotations

import numpy as np
from pyNN import errors
from pyNN.random import MAX_REDRAWS
from pyNN.random import NativeRNG as _NativeRNG
from pyNN.standardmodels import build_translations

from .philox import check_distribution
from .standardmodels import cells, synapses

__all__ = ["native_cell_type", "native_synapse_type", "NativeRNG", "NATIVE_CELL_TYPES",
           "NATIVE_SYNAPSE_TYPES", "draw", "native_seed", "model_initial", "user_recorded"]


def _normal_clipped(generator, n, mu, sigma, low, high):
    # PyNN's rule (NumpyRNG._clipped): values outside [low, high] are drawn again
    values = generator.normal(mu, sigma, n)
    bad = np.flatnonzero((values < low) | (values > high))
    for _ in range(MAX_REDRAWS):
        if bad.size == 0:
            return values
        redrawn = generator.normal(mu, sigma, bad.size)
        values[bad] = redrawn
        bad = bad[(redrawn < low) | (redrawn > high)]
    raise errors.InvalidParameterValueError(
        f"RandomDistribution('normal_clipped', mu={mu}, sigma={sigma}, low={low}, "
        f"high={high}): values still outside [low, high] after {MAX_REDRAWS} redraws; the "
        f"interval holds almost none of the distribution -- widen it or move mu into it.")


# PyNN's name -> (n, parameters) -> values; parameterisations as pyNN.random.NumpyRNG's
_DRAWS = {
    "binomial": lambda g, n, p: g.binomial(p["n"], p["p"], n),
    "gamma": lambda g, n, p: g.gamma(p["k"], p["theta"], n),              # shape k, scale theta
    "exponential": lambda g, n, p: g.exponential(p["beta"], n),          # scale (mean) beta
    "lognormal": lambda g, n, p: g.lognormal(p["mu"], p["sigma"], n),    # of log(x)
    "normal": lambda g, n, p: g.normal(p["mu"], p["sigma"], n),
    "normal_clipped": lambda g, n, p: _normal_clipped(g, n, p["mu"], p["sigma"], p["low"],
                                                      p["high"]),
    "normal_clipped_to_boundary": lambda g, n, p: np.clip(g.normal(p["mu"], p["sigma"], n),
                                                          p["low"], p["high"]),
    "poisson": lambda g, n, p: g.poisson(p["lambda_"], n),
    "uniform": lambda g, n, p: g.uniform(p["low"], p["high"], n),
    "uniform_int": lambda g, n, p: g.integers(p["low"], p["high"], n),   # high excluded
    "vonmises": lambda g, n, p: g.vonmises(p["mu"], p["kappa"], n),
}


def draw(generator: np.random.Generator, distribution: str, parameters: dict,
         n: int) -> np.ndarray:
    """``n`` values of PyNN's ``distribution`` (``pyNN.random.available_distributions``, with
    its parameter names: gamma ``(k, theta)`` shape and scale, lognormal ``(mu, sigma)`` of
    ``log x``, exponential ``beta`` the mean, uniform_int ``[low, high)``) from ``generator``."""
    check_distribution(distribution, parameters, _DRAWS, "with a NativeRNG")
    return np.asarray(_DRAWS[distribution](generator, int(n), parameters))


def native_seed(rng) -> int:
    """The seed a NativeRNG draws from: its own, or ``setup(rng_seed=...)`` if it has none."""
    from .simulator import state
    return state.rng_seed if rng.seed is None else rng.seed


# spawn key of the NativeRNGs' shared streams, apart from the connectors' ``(seed, projection)``
# streams (connectors.py: _native_generator, _native_parameter_generator)
_OWN_STREAM = 0x6E6578
# {seed: Generator} for the network being built, and that network's population list: setup()
# gives the state a new list, which starts the streams again (as NEST's ResetKernel does)
_STREAMS = {"network": None, "generators": {}}


def _stream(seed: int) -> np.random.Generator:
    from .simulator import state
    if _STREAMS["network"] is not state.populations:
        _STREAMS["network"], _STREAMS["generators"] = state.populations, {}
    generators = _STREAMS["generators"]
    if seed not in generators:
        generators[seed] = np.random.default_rng(
            np.random.SeedSequence(seed, spawn_key=(_OWN_STREAM,)))
    return generators[seed]


class NativeRNG(_NativeRNG):
    """The backend's own random numbers.

    Connectors given it take a fast vectorised path (not PyNN's draw order) seeded from its
    seed, or from ``setup(rng_seed=...)`` if it has none: target by target from counter-based
    streams (connectors.py, column_draws.py).  A ``RandomDistribution`` given it is drawn
    vectorised: as a synapse parameter, per synapse from its target's counter-based stream
    (``philox.draw``; binomial, poisson and vonmises from a NumPy stream per projection and
    parameter); elsewhere (cell parameters, initial values, ``Projection.set``) from a NumPy
    ``Generator`` (``draw``), one stream per seed, shared by every NativeRNG with that
    seed and started again by ``setup()`` -- as NEST's kernel RNG: two ``NativeRNG()`` draw
    independent values, and a script draws the same ones on every run.  Spike sources always
    use the JAX counter-based generator.
    """

    def next(self, n=None, distribution=None, parameters=None, mask=None):
        """``n`` values (one number if ``n`` is None) of ``distribution`` (uniform on [0, 1) if
        None); ``mask`` selects among the ``n`` drawn, as for a parallel-safe NumpyRNG."""
        if distribution is None:
            distribution, parameters = "uniform", {"low": 0.0, "high": 1.0}
        if n is not None and n < 0:
            raise ValueError(f"NativeRNG.next(n={n}): n must be >= 0.")
        values = draw(_stream(native_seed(self)), distribution, parameters,
                      1 if n is None else n)
        if n is None:
            return values[0]
        return values if mask is None else values[mask]


# (NEST name, PyNN name, scale NEST -> PyNN); g_L is special: tau_m = C_m / g_L
_LIF = [("C_m", "cm", 1e-3), ("t_ref", "tau_refrac", 1.0), ("E_L", "v_rest", 1.0),
        ("V_reset", "v_reset", 1.0), ("V_th", "v_thresh", 1.0), ("I_e", "i_offset", 1e-3),
        ("tau_syn_ex", "tau_syn_E", 1.0), ("tau_syn_in", "tau_syn_I", 1.0)]
_COND = [("E_ex", "e_rev_E", 1.0), ("E_in", "e_rev_I", 1.0)]
_ADEX = [("a", "a", 1.0), ("b", "b", 1e-3), ("Delta_T", "delta_T", 1.0), ("tau_w", "tau_w", 1.0),
         ("V_peak", "v_spike", 1.0)]
_NEST_DEFAULTS = {   # nest.GetDefaults(model) of NEST 3.10
    "iaf_psc_exp": dict(C_m=250.0, tau_m=10.0, t_ref=2.0, E_L=-70.0, V_reset=-70.0, V_th=-55.0,
                        I_e=0.0, tau_syn_ex=2.0, tau_syn_in=2.0),
    "iaf_cond_exp": dict(C_m=250.0, g_L=16.6667, t_ref=2.0, E_L=-70.0, V_reset=-60.0,
                         V_th=-55.0, I_e=0.0, tau_syn_ex=0.2, tau_syn_in=2.0, E_ex=0.0,
                         E_in=-85.0),
    "aeif_cond_exp": dict(C_m=281.0, g_L=30.0, t_ref=0.0, E_L=-70.6, V_reset=-60.0, V_th=-50.4,
                          I_e=0.0, tau_syn_ex=0.2, tau_syn_in=2.0, E_ex=0.0, E_in=-85.0, a=4.0,
                          b=80.5, Delta_T=2.0, tau_w=144.0, V_peak=0.0),
}
_NEST_DEFAULTS["iaf_psc_alpha"] = _NEST_DEFAULTS["iaf_psc_exp"]
_NEST_DEFAULTS["iaf_cond_alpha"] = _NEST_DEFAULTS["iaf_cond_exp"]
_NEST_DEFAULTS["aeif_cond_alpha"] = _NEST_DEFAULTS["aeif_cond_exp"]

_CELLS = {   # NEST model -> (our standard type, parameter table, initial, recordables)
    "iaf_psc_exp": (cells.IF_curr_exp, _LIF, {"V_m": ("v", 1.0)}, {"V_m": ("v", 1.0)}),
    "iaf_psc_alpha": (cells.IF_curr_alpha, _LIF, {"V_m": ("v", 1.0)}, {"V_m": ("v", 1.0)}),
    "iaf_cond_exp": (cells.IF_cond_exp, _LIF + _COND, {"V_m": ("v", 1.0)},
                     {"V_m": ("v", 1.0), "g_ex": ("gsyn_exc", 1e3), "g_in": ("gsyn_inh", 1e3)}),
    "iaf_cond_alpha": (cells.IF_cond_alpha, _LIF + _COND, {"V_m": ("v", 1.0)},
                       {"V_m": ("v", 1.0), "g_ex": ("gsyn_exc", 1e3),
                        "g_in": ("gsyn_inh", 1e3)}),
    "aeif_cond_exp": (cells.EIF_cond_exp_isfa_ista, _LIF + _COND + _ADEX,
                      {"V_m": ("v", 1.0), "w": ("w", 1e-3)},
                      {"V_m": ("v", 1.0), "w": ("w", 1e3), "g_ex": ("gsyn_exc", 1e3),
                       "g_in": ("gsyn_inh", 1e3)}),
    "aeif_cond_alpha": (cells.EIF_cond_alpha_isfa_ista, _LIF + _COND + _ADEX,
                        {"V_m": ("v", 1.0), "w": ("w", 1e-3)},
                        {"V_m": ("v", 1.0), "w": ("w", 1e3), "g_ex": ("gsyn_exc", 1e3),
                         "g_in": ("gsyn_inh", 1e3)}),
}
_UNITS = {"C_m": "pF", "g_L": "nS", "I_e": "pA", "b": "pA", "a": "nS", "V_m": "mV", "w": "pA",
          "g_ex": "nS", "g_in": "nS"}
NATIVE_CELL_TYPES = sorted(_CELLS)


def model_initial(celltype, variable: str, values: np.ndarray):
    """An initial value as the user gave it -> ``(state variable, values)`` in the model's
    names and units: identity, except for the NEST-named types (``V_m`` -> ``v``, ``w`` in pA
    -> nA)."""
    variable, scale = getattr(celltype, "initial_map", {}).get(variable, (variable, 1.0))
    return variable, values * scale


def user_recorded(celltype, name: str, values):
    """Recorded values of ``name`` in the model's units -> the cell type's units: identity,
    except for the NEST-named types (``g_ex`` in nS, ``w`` in pA)."""
    scale = getattr(celltype, "record_map", {}).get(name, (name, 1.0))[1]
    return values if scale == 1.0 else np.asarray(values) * scale


def _translations(table, has_g_l):
    rows = [(nest, pynn, scale) if scale != 1.0 else (nest, pynn) for nest, pynn, scale in table]
    if has_g_l:
        rows.append(("g_L", "tau_m", "C_m/g_L", "cm*1000.0/tau_m"))
    else:
        rows.append(("tau_m", "tau_m"))
    return build_translations(*rows)


def native_cell_type(model_name: str):
    """The cell type for NEST model ``model_name`` (NEST parameter names and units)."""
    if model_name not in _CELLS:
        raise errors.NoModelAvailableError(
            f"native_cell_type({model_name!r}): pynn_cbgtc_jax implements the NEST models "
            f"{NATIVE_CELL_TYPES}; use one of them or a PyNN standard cell type.")
    base, table, initial, record = _CELLS[model_name]
    defaults = _NEST_DEFAULTS[model_name]
    units = {name: _UNITS.get(name, base.units.get(pynn, "")) for name, pynn, _ in table}
    units.update({name: _UNITS.get(name, "mV") for name in set(initial) | set(record)})
    units.update({"g_L": "nS", "tau_m": "ms"})
    return type(model_name, (base,), {
        "__doc__": f"NEST's {model_name}, in NEST's names and units, on pynn_cbgtc_jax.",
        "default_parameters": dict(defaults),
        "translations": _translations(table, "g_L" in defaults),
        "default_initial_values": {name: defaults.get(
            {"V_m": "E_L"}.get(name, name), 0.0) for name in initial},
        "recordable": ["spikes"] + list(record),
        "units": units,
        "initial_map": initial,
        "record_map": record,
        "__module__": __name__,
    })


_SYNAPSES = {
    "static_synapse": (synapses.StaticSynapse, {"weight": 1.0, "delay": 1.0}, []),
    "tsodyks_synapse": (synapses.TsodyksMarkramSynapse,
                        {"weight": 1.0, "delay": 1.0, "U": 0.5, "tau_rec": 800.0, "tau_fac": 0.0},
                        [("U", "U", 1.0), ("tau_rec", "tau_rec", 1.0),
                         ("tau_fac", "tau_facil", 1.0)]),
}
NATIVE_SYNAPSE_TYPES = sorted(_SYNAPSES)


def native_synapse_type(model_name: str):
    """The synapse type for NEST synapse ``model_name``; weights in pA (current) or nS
    (conductance), as in NEST."""
    if model_name not in _SYNAPSES:
        raise errors.NoModelAvailableError(
            f"native_synapse_type({model_name!r}): available are {NATIVE_SYNAPSE_TYPES}; for "
            f"STDP use STDPMechanism(SpikePairRule(...), ...), which is NEST's stdp_synapse.")
    base, defaults, table = _SYNAPSES[model_name]
    rows = [("weight", "weight", 1e-3), ("delay", "delay")] + [
        (n, p) if s == 1.0 else (n, p, s) for n, p, s in table]
    return type(model_name, (base,), {
        "__doc__": f"NEST's {model_name} on pynn_cbgtc_jax (NEST names and units).",
        "default_parameters": dict(defaults),
        "translations": build_translations(*rows),
        "__module__": __name__,
    })
