"""Bad and stressful inputs, each run the same way on pynn_cbgtc_jax and on pyNN.nest.

Every case is a small PyNN script (a function of the simulator module) and what a careful
simulator must do with it:

* ``Refused(*mention)``: raise an exception before anything wrong happens, whose message names
  the offending argument and value.  Each item of ``mention`` is a word the message must
  contain (case-insensitive), or a tuple of alternatives ("v_thresh" or NEST's "V_th").
* ``Correct(check)``: run, and ``check(result)`` (the script's return value) holds.
* ``Handled(*mention)``: either of the two above: refused with the words, or a warning
  (``warnings`` or PyNN's logger) naming them and a correct result.

``outcome(case, sim)`` runs one case and classifies it as ``clear error``, ``correct``,
``warned``, ``unclear error`` (an exception that does not name the argument or value, or a
bare internal error), ``silent wrong answer`` (accepted a bad input, or returned a wrong
result) -- the classes of issue 11.  ``validation/reliability.py`` runs every case on both
simulators (one process each, with a time limit: a hang is its own class) and writes
``validation/RELIABILITY.md``; ``tests/test_reliability.py`` asserts ours is ``clear error``,
``correct`` or ``warned`` for every case.
"""
from __future__ import annotations

import logging
import os
import tempfile
import traceback
import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

__all__ = ["Case", "Refused", "Correct", "Handled", "CASES", "outcome", "GOOD"]

GOOD = ("clear error", "correct", "warned")


@dataclass(frozen=True)
class Refused:
    mention: tuple = ()

    def __init__(self, *mention):
        object.__setattr__(self, "mention", mention)


@dataclass(frozen=True)
class Correct:
    check: Callable


@dataclass(frozen=True)
class Handled:
    mention: tuple = ()
    check: Callable | None = None

    def __init__(self, *mention, check=None):
        object.__setattr__(self, "mention", mention)
        object.__setattr__(self, "check", check)


@dataclass(frozen=True)
class Case:
    id: str
    group: str
    what: str
    script: Callable
    expect: object
    issue_11: bool = False        # one of the silent wrong answers / items listed in issue 11
    tags: tuple = field(default=())


# -- classification ------------------------------------------------------------------------------
_INTERNAL = (IndexError, KeyError, AttributeError, ZeroDivisionError, AssertionError,
             UnboundLocalError, NameError)


def _mentions(text: str, mention) -> bool:
    text = text.lower()
    for item in mention:
        alternatives = item if isinstance(item, tuple) else (item,)
        if not any(str(a).lower() in text for a in alternatives):
            return False
    return True


class _LogCapture(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def outcome(case: Case, sim) -> tuple[str, str]:
    """Run ``case`` on the simulator module ``sim``: (class, message or detail)."""
    handler = _LogCapture()
    logging.getLogger().addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result = case.script(sim)
            except Exception as err:       # noqa: BLE001 -- classifying is the point
                message = f"{type(err).__name__}: {err}"
                mention = getattr(case.expect, "mention", ())
                if isinstance(case.expect, Correct):
                    return "unclear error", message
                internal = isinstance(err, _INTERNAL) and not type(err).__module__.startswith(
                    "pyNN.errors")
                if internal or not _mentions(str(err), mention):
                    return "unclear error", message
                return "clear error", message
            finally:
                try:
                    sim.end()
                except Exception:          # noqa: BLE001
                    pass
        warned = [str(w.message) for w in caught] + handler.messages
    finally:
        logging.getLogger().removeHandler(handler)
    expect = case.expect
    if isinstance(expect, Correct):
        ok = _check(expect.check, result)
        return ("correct", "") if ok is True else ("silent wrong answer", ok or "check failed")
    if isinstance(expect, Handled):
        hits = [w for w in warned if _mentions(w, expect.mention)]
        ok = True if expect.check is None else _check(expect.check, result)
        if hits and ok is True:
            return "warned", hits[0]
        return "silent wrong answer", f"accepted without a warning naming {expect.mention}"
    return "silent wrong answer", "accepted"


def _check(check, result):
    try:
        value = check(result)
    except Exception:                      # noqa: BLE001
        return traceback.format_exc(limit=1).strip().splitlines()[-1]
    return True if value is True or value is np.True_ else str(value)


# -- helpers for the scripts ---------------------------------------------------------------------
def _setup(sim, **kw):
    kw.setdefault("timestep", 0.1)
    if sim.__name__.startswith("pyNN.nest"):
        kw.setdefault("spike_precision", "on_grid")
        kw.setdefault("verbosity", "error")
    sim.setup(**kw)


def _cells(sim, n=2, celltype="IF_cond_exp", **params):
    return sim.Population(n, getattr(sim, celltype)(**params))


def _connect(sim, connector, weight=0.01, delay=1.0, pre=None, post=None, **kw):
    pre = pre if pre is not None else _cells(sim, 3)
    post = post if post is not None else _cells(sim, 3)
    return sim.Projection(pre, post, connector, sim.StaticSynapse(weight=weight, delay=delay),
                          **kw)


def _tmpfile(text: str, suffix=".txt") -> str:
    fd, path = tempfile.mkstemp(suffix=suffix, prefix="reliability_")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return path


def _run(sim, t=10.0):
    sim.run(t)
    return sim.get_current_time()


# -- the cases -----------------------------------------------------------------------------------
def _from_list(rows):
    def script(sim):
        _setup(sim)
        prj = _connect(sim, sim.FromListConnector(rows))
        sim.run(1.0)
        return len(prj)
    return script


def _from_file(text):
    def script(sim):
        _setup(sim)
        path = _tmpfile(text)
        try:
            prj = _connect(sim, sim.FromFileConnector(path))
            return len(prj)
        finally:
            os.remove(path)
    return script


def _stale(action):
    """A population of a simulation that a second setup() discarded, then ``action``."""
    def script(sim):
        _setup(sim)
        old = _cells(sim, 2, i_offset=1.0)
        _setup(sim)
        new = _cells(sim, 2)
        action(sim, old, new)
        sim.run(10.0)
    return script


def _stale_projection(sim, old, new):
    sim.Projection(old, new, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.1))


def _stale_inject(sim, old, new):
    old.inject(sim.DCSource(amplitude=1.0))


def _stale_record(sim, old, new):
    old.record("spikes")


def _stale_set(sim, old, new):
    old.set(i_offset=2.0)


def _cell_params(celltype="IF_cond_exp", n=2, **params):
    def script(sim):
        _setup(sim)
        pop = _cells(sim, n, celltype, **params)
        sim.run(1.0)
        return pop
    return script


def _set_params(celltype="IF_cond_exp", **params):
    def script(sim):
        _setup(sim)
        pop = _cells(sim, 3, celltype)
        pop.set(**params)
        sim.run(1.0)
    return script


def _initialize(**values):
    def script(sim):
        _setup(sim)
        pop = _cells(sim, 3)
        pop.initialize(**values)
        pop.record("v")
        sim.run(1.0)
        return pop.get_data().segments[0].filter(name="v")[0]
    return script


def _synapse(weight=0.01, delay=1.0, receptor_type="excitatory", celltype="IF_cond_exp"):
    def script(sim):
        _setup(sim)
        a, b = _cells(sim, 2, celltype), _cells(sim, 2, celltype)
        prj = sim.Projection(a, b, sim.AllToAllConnector(),
                             sim.StaticSynapse(weight=weight, delay=delay),
                             receptor_type=receptor_type)
        sim.run(5.0)
        return prj
    return script


def _run_for(t, dt=0.1):
    def script(sim):
        _setup(sim, timestep=dt)
        _cells(sim)
        sim.run(t)
        return sim.get_current_time()
    return script


def _record(variable="v", **kw):
    def script(sim):
        _setup(sim)
        pop = _cells(sim, 2, i_offset=1.0)
        pop.record(variable, **kw)
        sim.run(10.0)
        return pop.get_data().segments[0]
    return script


def _source(celltype, **params):
    def script(sim):
        _setup(sim)
        src = sim.Population(2, getattr(sim, celltype)(**params))
        src.record("spikes")
        sim.run(20.0)
        return src.get_data().segments[0].spiketrains
    return script


def _electrode(source, **params):
    def script(sim):
        _setup(sim)
        pop = _cells(sim, 2)
        pop.inject(getattr(sim, source)(**params))
        pop.record("v")
        sim.run(20.0)
        return pop.get_data().segments[0].filter(name="v")[0]
    return script


def _connector(make, pre=3, post=3):
    def script(sim):
        _setup(sim)
        prj = _connect(sim, make(sim), pre=_cells(sim, pre), post=_cells(sim, post))
        return len(prj)
    return script


def _setup_only(**kw):
    def script(sim):
        _setup(sim, **kw)
        _cells(sim)
        sim.run(1.0)
    return script


def _delay_rounding(sim):
    _setup(sim, min_delay=0.1)
    prj = _connect(sim, sim.OneToOneConnector(), delay=0.25)
    sim.run(1.0)
    return np.asarray(prj.get("delay", format="list", with_address=False), float)


def _get_data_before_run(sim):
    _setup(sim)
    pop = _cells(sim)
    pop.record(["spikes", "v"])
    return pop.get_data()


def _run_until_past(sim):
    _setup(sim)
    _cells(sim)
    sim.run(10.0)
    sim.run_until(5.0)


def _native_rng_weights(sim):
    _setup(sim)
    rd = sim.RandomDistribution("normal", (0.5, 0.1), rng=sim.NativeRNG(42))
    prj = _connect(sim, sim.AllToAllConnector(), weight=rd, pre=_cells(sim, 50),
                   post=_cells(sim, 50))
    return np.asarray(prj.get("weight", format="array"))


def _native_rng_delays(sim):
    _setup(sim)
    rd = sim.RandomDistribution("uniform", (1.0, 3.0), rng=sim.NativeRNG(7))
    prj = _connect(sim, sim.AllToAllConnector(), delay=rd, pre=_cells(sim, 40),
                   post=_cells(sim, 40))
    return np.asarray(prj.get("delay", format="array"))


def _quantal_initialize(sim):
    _setup(sim)
    prj = sim.Projection(_cells(sim, 2), _cells(sim, 2), sim.AllToAllConnector(),
                         sim.MultiQuantalSynapse(weight=0.01, delay=1.0))
    prj.initialize(u=0.3, a=0.0)   # no release site available: the synapse transmits nothing
    sim.run(1.0)
    return True


def _synapse_initialize(make, **values):
    def script(sim):
        _setup(sim)
        prj = sim.Projection(_cells(sim, 2), _cells(sim, 2), sim.AllToAllConnector(), make(sim))
        prj.initialize(**values)
        sim.run(1.0)
        return prj
    return script


def _huge_population(sim):
    _setup(sim)
    sim.Population(10 ** 11, sim.IF_cond_exp())


def _huge_all_to_all(sim):
    _setup(sim)
    a, b = _cells(sim, 200_000), _cells(sim, 200_000)
    sim.Projection(a, b, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.01))


def _write_under_a_file(sim):
    _setup(sim)
    pop = _cells(sim)
    pop.record("spikes")
    sim.run(1.0)
    blocker = _tmpfile("a file, not a folder")
    try:
        pop.write_data(os.path.join(blocker, "out.pkl"))
    finally:
        os.remove(blocker)


def _inject_into_source(sim):
    _setup(sim)
    src = sim.Population(2, sim.SpikeSourcePoisson(rate=10.0))
    src.inject(sim.DCSource(amplitude=1.0))
    sim.run(5.0)


def _projection_set(**values):
    def script(sim):
        _setup(sim)
        prj = _connect(sim, sim.AllToAllConnector())
        prj.set(**values)
        sim.run(5.0)
        return prj
    return script


def _synapse_type(make, receptor_type="excitatory"):
    def script(sim):
        _setup(sim)
        a, b = _cells(sim, 2), _cells(sim, 2)
        prj = sim.Projection(a, b, sim.AllToAllConnector(), make(sim),
                             receptor_type=receptor_type)
        sim.run(5.0)
        return prj
    return script


def _tm(**params):
    return _synapse_type(lambda sim: sim.TsodyksMarkramSynapse(weight=0.01, delay=1.0,
                                                               **params))


def _stdp(**timing):
    def make(sim):
        return sim.STDPMechanism(
            timing_dependence=sim.SpikePairRule(**timing),
            weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=0.02),
            weight=0.01, delay=1.0)
    return _synapse_type(make)


def _stdp_wmax_below_wmin(sim):
    return _synapse_type(lambda sim: sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(),
        weight_dependence=sim.AdditiveWeightDependence(w_min=0.02, w_max=0.01),
        weight=0.01, delay=1.0))(sim)


def _all_finite(signal):
    v = np.asarray(signal)
    return bool(np.all(np.isfinite(v))) or "non-finite samples"


def _v_samples(expected_rows):
    def check(signal):
        n = np.asarray(signal).shape[0]
        return n == expected_rows or f"{n} samples, expected {expected_rows}"
    return check


def _stop_time(expected):
    return lambda t: abs(t - expected) < 1e-9 or f"stopped at t = {t}, expected {expected}"


def _delays_rounded_up(delays):
    return bool(np.allclose(delays, 0.3)) or f"delays {np.unique(delays)} (NEST: 0.3)"


def _empty_or_initial(block):
    seg = block.segments[0]
    trains = seg.spiketrains
    return all(len(t) == 0 for t in trains) or "spikes before any run"


def _normal_weights(w):
    w = w[np.isfinite(w)]
    # 2500 draws: the mean's standard error is 0.1 / 50 = 0.002; 5 sigma = 0.01
    return (w.size == 2500 and abs(w.mean() - 0.5) < 0.01 and abs(w.std() - 0.1) < 0.01
            or f"{w.size} weights, mean {w.mean():.4f}, sd {w.std():.4f}")


def _uniform_delays(d):
    d = d[np.isfinite(d)]
    # rounded to the 0.1 ms grid; 1600 draws: mean 2.0 +- 5 * 0.58 / 40 = 0.07
    return (d.size == 1600 and d.min() >= 1.0 - 1e-9 and d.max() <= 3.0 + 1e-9
            and abs(d.mean() - 2.0) < 0.08 or f"{d.size} delays in [{d.min()}, {d.max()}]")


# NEST's own words ("Reset potential must be smaller than threshold") count as naming them
_RESET_THRESHOLD = (("v_thresh", "V_th", "threshold"), ("v_reset", "V_reset", "reset"))

CASES = [
    # --- connectors ---------------------------------------------------------------------------
    Case("fromlist-target-out-of-range", "connectors",
         "FromListConnector row (0, 5) into a population of 3",
         _from_list([(0, 5, 0.01, 1.0)]), Refused("5", "3"), issue_11=True),
    Case("fromlist-source-out-of-range", "connectors",
         "FromListConnector row (7, 0) from a population of 3",
         _from_list([(7, 0, 0.01, 1.0)]), Refused("7", "3")),
    Case("fromlist-negative-source", "connectors", "FromListConnector row (-1, 0)",
         _from_list([(-1, 0, 0.01, 1.0)]), Refused("-1"), issue_11=True),
    Case("fromlist-negative-target", "connectors", "FromListConnector row (0, -2)",
         _from_list([(0, -2, 0.01, 1.0)]), Refused("-2"), issue_11=True),
    Case("fromlist-ragged", "connectors", "FromListConnector rows of 4 and 3 values",
         _from_list([(0, 1, 0.01, 1.0), (1, 2, 0.01)]), Refused("row"), issue_11=True),
    Case("fromlist-fractional-index", "connectors", "FromListConnector row (1.5, 0)",
         _from_list([(1.5, 0, 0.01, 1.0)]), Refused("1.5")),
    Case("fromfile-text", "connectors", "FromFileConnector on a file with a word in line 2",
         _from_file("0 1 0.01 1.0\n1 x 0.01 1.0\n"), Refused(("reliability_", "file"),
                                                           ("line 2", "line")), issue_11=True),
    Case("fromfile-columns", "connectors", "FromFileConnector on rows of 4 and 2 columns",
         _from_file("0 1 0.01 1.0\n1 2\n"), Refused(("reliability_", "file"), "line"),
         issue_11=True),
    Case("fixedprob-above-one", "connectors", "FixedProbabilityConnector(1.5)",
         _connector(lambda sim: sim.FixedProbabilityConnector(1.5)), Refused("p_connect", "1.5")),
    Case("fixedprob-negative", "connectors", "FixedProbabilityConnector(-0.1)",
         _connector(lambda sim: sim.FixedProbabilityConnector(-0.1)),
         Refused("p_connect", "-0.1")),
    Case("fixedprob-nan", "connectors", "FixedProbabilityConnector(nan)",
         _connector(lambda sim: sim.FixedProbabilityConnector(float("nan"))),
         Refused("p_connect", "nan")),
    Case("fixedpre-too-many", "connectors",
         "FixedNumberPreConnector(5, with_replacement=False) from 3 cells",
         _connector(lambda sim: sim.FixedNumberPreConnector(5, with_replacement=False)),
         Handled("5", "3", check=lambda n: n == 15 or f"{n} synapses, PyNN's rule gives 15")),
    Case("fixedpre-negative", "connectors", "FixedNumberPreConnector(-2)",
         _connector(lambda sim: sim.FixedNumberPreConnector(-2)), Refused("-2")),
    Case("fixedpost-too-many", "connectors",
         "FixedNumberPostConnector(4, with_replacement=False) to 3 cells",
         _connector(lambda sim: sim.FixedNumberPostConnector(4, with_replacement=False)),
         Handled("4", "3", check=lambda n: n == 12 or f"{n} synapses, PyNN's rule gives 12")),
    Case("fixedtotal-negative", "connectors", "FixedTotalNumberConnector(-5)",
         _connector(lambda sim: sim.FixedTotalNumberConnector(-5)), Refused("-5")),
    Case("fixedtotal-too-many", "connectors",
         "FixedTotalNumberConnector(20, with_replacement=False) on 3 x 3 cells",
         _connector(lambda sim: sim.FixedTotalNumberConnector(20, with_replacement=False)),
         Refused("20", "9")),
    Case("onetoone-sizes", "connectors", "OneToOneConnector between 3 and 4 cells",
         _connector(lambda sim: sim.OneToOneConnector(), pre=3, post=4),
         Handled("3", "4", check=lambda n: n == 3 or f"{n} synapses, PyNN's rule gives 3")),
    Case("array-shape", "connectors", "ArrayConnector with a 2x2 array for 3x3 cells",
         _connector(lambda sim: sim.ArrayConnector(np.ones((2, 2), bool))),
         Refused(("shape", "(3, 3)", "3x3"))),
    # --- synapses -----------------------------------------------------------------------------
    Case("weight-nan", "synapses", "StaticSynapse(weight=nan)", _synapse(weight=float("nan")),
         Refused("weight", "nan"), issue_11=True),
    Case("weight-inf", "synapses", "StaticSynapse(weight=inf)", _synapse(weight=float("inf")),
         Refused("weight", "inf"), issue_11=True),
    Case("delay-nan", "synapses", "StaticSynapse(delay=nan)", _synapse(delay=float("nan")),
         Refused("delay", "nan"), issue_11=True),
    Case("delay-inf", "synapses", "StaticSynapse(delay=inf)", _synapse(delay=float("inf")),
         Refused("delay", "inf"), issue_11=True),
    Case("delay-below-dt", "synapses", "delay 0.05 ms at dt = 0.1 ms", _synapse(delay=0.05),
         Refused("delay", "0.05")),
    Case("delay-halfway", "synapses", "delay 0.25 ms at dt = 0.1 ms (NEST rounds up to 0.3)",
         _delay_rounding, Correct(_delays_rounded_up), issue_11=True),
    Case("weight-negative-excitatory", "synapses",
         "weight -0.01 on the excitatory conductance receptor", _synapse(weight=-0.01),
         Refused("weight", ("positive", "negative", ">= 0"))),
    Case("weight-positive-inhibitory-current", "synapses",
         "weight +1 on the inhibitory receptor of IF_curr_exp",
         _synapse(weight=1.0, receptor_type="inhibitory", celltype="IF_curr_exp"),
         Refused("weight", "negative")),
    Case("receptor-unknown", "synapses", "receptor_type='gaba_b' on IF_cond_exp",
         _synapse(receptor_type="gaba_b"), Refused("gaba_b", "excitatory")),
    Case("synapse-unknown-parameter", "synapses", "StaticSynapse(wieght=0.1)",
         _synapse_type(lambda sim: sim.StaticSynapse(wieght=0.1)), Refused("wieght")),
    Case("prj-set-weight-nan", "synapses", "Projection.set(weight=nan) after creation",
         _projection_set(weight=float("nan")), Refused("weight", "nan")),
    Case("prj-set-delay-below-dt", "synapses", "Projection.set(delay=0.01)",
         _projection_set(delay=0.01), Refused("delay", "0.01")),
    Case("tm-u-above-one", "synapses", "TsodyksMarkramSynapse(U=1.5)", _tm(U=1.5),
         Refused("U", "1.5")),
    Case("tm-tau-rec-negative", "synapses", "TsodyksMarkramSynapse(tau_rec=-5)",
         _tm(tau_rec=-5.0), Refused("tau_rec", "-5")),
    Case("stdp-tau-negative", "synapses", "SpikePairRule(tau_plus=-20)",
         _stdp(tau_plus=-20.0), Refused("tau_plus", "-20")),
    Case("stdp-wmax-below-wmin", "synapses", "AdditiveWeightDependence(w_min=0.02, w_max=0.01)",
         _stdp_wmax_below_wmin, Refused("w_max", "w_min")),
    Case("native-rng-weight", "synapses",
         "weight = RandomDistribution('normal', (0.5, 0.1), rng=NativeRNG(42))",
         _native_rng_weights, Correct(_normal_weights), issue_11=True),
    Case("native-rng-delay", "synapses",
         "delay = RandomDistribution('uniform', (1, 3), rng=NativeRNG(7))",
         _native_rng_delays, Correct(_uniform_delays), issue_11=True),
    Case("quantal-initialize", "synapses",
         "Projection.initialize(u=0.3, a=0) of a MultiQuantalSynapse",
         _quantal_initialize, Correct(lambda ok: ok), issue_11=True),
    Case("quantal-initialize-a-above-n", "synapses",
         "MultiQuantalSynapse(n=3), Projection.initialize(a=5)",
         _synapse_initialize(lambda sim: sim.MultiQuantalSynapse(weight=0.01, n=3), a=5),
         Refused("a", "5")),
    Case("tm-initialize-u-above-one", "synapses",
         "TsodyksMarkramSynapse, Projection.initialize(u=2)",
         _synapse_initialize(lambda sim: sim.TsodyksMarkramSynapse(weight=0.01), u=2.0),
         Refused("u", "2")),
    # --- populations and cell parameters -------------------------------------------------------
    Case("size-zero", "cells", "Population(0, IF_cond_exp())", _cell_params(n=0),
         Refused("size", "0")),
    Case("size-negative", "cells", "Population(-5, IF_cond_exp())", _cell_params(n=-5),
         Refused("size", "-5")),
    Case("size-fraction", "cells", "Population(2.5, IF_cond_exp())", _cell_params(n=2.5),
         Refused("size", "2.5")),
    Case("vthresh-below-vreset", "cells", "IF_cond_exp(v_thresh=-70, v_reset=-60)",
         _cell_params(v_thresh=-70.0, v_reset=-60.0), Refused(*_RESET_THRESHOLD), issue_11=True),
    Case("vthresh-equal-vreset", "cells", "IF_curr_exp(v_thresh=-60, v_reset=-60)",
         _cell_params("IF_curr_exp", v_thresh=-60.0, v_reset=-60.0), Refused(*_RESET_THRESHOLD),
         issue_11=True),
    Case("set-vthresh-below-vreset", "cells", "set(v_thresh=-80) with v_reset = -65",
         _set_params(v_thresh=-80.0), Refused(*_RESET_THRESHOLD), issue_11=True),
    Case("tau-m-negative", "cells", "IF_cond_exp(tau_m=-10)", _cell_params(tau_m=-10.0),
         Refused("tau_m", "-10")),
    Case("cm-zero", "cells", "IF_curr_exp(cm=0)", _cell_params("IF_curr_exp", cm=0.0),
         Refused("cm", "0")),
    Case("tau-refrac-negative", "cells", "IF_cond_exp(tau_refrac=-1)",
         _cell_params(tau_refrac=-1.0), Refused("tau_refrac", "-1")),
    Case("tau-syn-zero", "cells", "IF_curr_exp(tau_syn_E=0)",
         _cell_params("IF_curr_exp", tau_syn_E=0.0), Refused("tau_syn_E", "0")),
    Case("param-nan", "cells", "IF_cond_exp(tau_m=nan)", _cell_params(tau_m=float("nan")),
         Refused("tau_m", "nan"), issue_11=True),
    Case("param-inf", "cells", "IF_cond_exp(i_offset=inf)",
         _cell_params(i_offset=float("inf")), Refused("i_offset", "inf"), issue_11=True),
    Case("param-list-length", "cells", "Population(3, IF_cond_exp(tau_m=[10, 20]))",
         _cell_params(n=3, tau_m=[10.0, 20.0]), Refused("tau_m", ("2", "length")),
         issue_11=True),
    Case("set-list-length", "cells", "set(tau_m=[10, 20]) on 3 cells",
         _set_params(tau_m=[10.0, 20.0]), Refused("tau_m", ("2", "length")), issue_11=True),
    Case("set-nan", "cells", "set(v_rest=nan)", _set_params(v_rest=float("nan")),
         Refused("v_rest", "nan")),
    Case("set-unknown", "cells", "set(tau_mm=10)", _set_params(tau_mm=10.0), Refused("tau_mm")),
    Case("param-unknown", "cells", "IF_cond_exp(taum=10)", _cell_params(taum=10.0),
         Refused("taum")),
    Case("adex-vspike-below-vthresh", "cells",
         "EIF_cond_exp_isfa_ista(v_spike=-60, v_thresh=-50)",
         _cell_params("EIF_cond_exp_isfa_ista", v_spike=-60.0, v_thresh=-50.0),
         Refused(("v_spike", "V_peak"), ("v_thresh", "V_th")), issue_11=True),
    Case("adex-delta-negative", "cells", "EIF_cond_exp_isfa_ista(delta_T=-1)",
         _cell_params("EIF_cond_exp_isfa_ista", delta_T=-1.0), Refused(("delta_T", "Delta_T"))),
    Case("adex-overflow", "cells",
         "EIF_cond_exp_isfa_ista(delta_T=0.01): exp((v_spike - v_thresh)/delta_T) overflows",
         _cell_params("EIF_cond_exp_isfa_ista", delta_T=0.01),
         Refused(("delta_T", "Delta_T"), ("v_spike", "V_peak")), issue_11=True),
    Case("adex-vreset-above-vspike", "cells", "EIF_cond_exp_isfa_ista(v_reset=10)",
         _cell_params("EIF_cond_exp_isfa_ista", v_reset=10.0),
         Refused(("v_reset", "V_reset"), ("v_spike", "V_peak"))),
    Case("hh-cm-negative", "cells", "HH_cond_exp(cm=-0.2)", _cell_params("HH_cond_exp", cm=-0.2),
         Refused("cm", "-0.2")),
    Case("izh-nan", "cells", "Izhikevich(a=nan)", _cell_params("Izhikevich", a=float("nan")),
         Refused("a", "nan")),
    Case("initialize-nan", "cells", "initialize(v=nan)", _initialize(v=float("nan")),
         Refused("v", "nan"), issue_11=True),
    Case("initialize-inf", "cells", "initialize(v=-inf)", _initialize(v=float("-inf")),
         Refused("v", "inf"), issue_11=True),
    Case("initialize-length", "cells", "initialize(v=[-65, -60]) on 3 cells",
         _initialize(v=[-65.0, -60.0]), Refused("v", ("2", "length"))),
    Case("initialize-unknown", "cells", "initialize(vv=-65)", _initialize(vv=-65.0),
         Refused("vv")),
    Case("huge-population", "memory", "Population(10**11, IF_cond_exp())", _huge_population,
         Refused(("memory", "bytes", "GB", "GiB")), issue_11=True),
    Case("huge-all-to-all", "memory", "AllToAllConnector between 200,000 and 200,000 cells",
         _huge_all_to_all, Refused(("memory", "bytes", "GB", "GiB")), issue_11=True),
    # --- a simulation that setup() discarded ----------------------------------------------------
    Case("stale-projection", "stale objects",
         "Projection from a population created before a second setup()",
         _stale(_stale_projection), Refused("setup"), issue_11=True),
    Case("stale-inject", "stale objects", "inject into a population of a discarded simulation",
         _stale(_stale_inject), Refused("setup"), issue_11=True),
    Case("stale-record", "stale objects", "record a population of a discarded simulation",
         _stale(_stale_record), Refused("setup"), issue_11=True),
    Case("stale-set", "stale objects", "set() on a population of a discarded simulation",
         _stale(_stale_set), Refused("setup"), issue_11=True),
    # --- spike sources ------------------------------------------------------------------------
    Case("ssa-unsorted", "sources", "SpikeSourceArray(spike_times=[5, 2])",
         _source("SpikeSourceArray", spike_times=[5.0, 2.0]), Refused("spike_times", "sorted")),
    Case("ssa-negative", "sources", "SpikeSourceArray(spike_times=[-1, 5])",
         _source("SpikeSourceArray", spike_times=[-1.0, 5.0]), Refused("spike_times", "-1")),
    Case("ssa-nan", "sources", "SpikeSourceArray(spike_times=[1, nan])",
         _source("SpikeSourceArray", spike_times=[1.0, float("nan")]),
         Refused("spike_times", "nan")),
    Case("poisson-rate-negative", "sources", "SpikeSourcePoisson(rate=-5)",
         _source("SpikeSourcePoisson", rate=-5.0), Refused("rate", "-5")),
    Case("poisson-rate-nan", "sources", "SpikeSourcePoisson(rate=nan)",
         _source("SpikeSourcePoisson", rate=float("nan")), Refused("rate", "nan")),
    Case("poisson-start-off-grid", "sources", "SpikeSourcePoisson(start=0.05) at dt = 0.1",
         _source("SpikeSourcePoisson", rate=100.0, start=0.05),
         Handled("start", "0.05"), issue_11=True),
    Case("poisson-duration-negative", "sources", "SpikeSourcePoisson(duration=-10)",
         _source("SpikeSourcePoisson", rate=10.0, duration=-10.0), Refused("duration", "-10")),
    # --- current sources ----------------------------------------------------------------------
    Case("dc-amplitude-nan", "electrodes", "DCSource(amplitude=nan)",
         _electrode("DCSource", amplitude=float("nan")), Refused("amplitude", "nan"),
         issue_11=True),
    Case("dc-stop-before-start", "electrodes", "DCSource(start=50, stop=10)",
         _electrode("DCSource", amplitude=0.5, start=50.0, stop=10.0), Refused("stop", "start")),
    Case("dc-start-off-grid", "electrodes", "DCSource(start=5.05) at dt = 0.1",
         _electrode("DCSource", amplitude=0.5, start=5.05), Handled("start", "5.05")),
    Case("step-unsorted", "electrodes", "StepCurrentSource(times=[10, 5])",
         _electrode("StepCurrentSource", times=[10.0, 5.0], amplitudes=[0.5, 0.2]),
         Refused("times", ("sorted", "increasing"))),
    Case("step-lengths", "electrodes", "StepCurrentSource(times=[5, 10], amplitudes=[0.5])",
         _electrode("StepCurrentSource", times=[5.0, 10.0], amplitudes=[0.5]),
         Refused("amplitudes", "times")),
    Case("ac-frequency-negative", "electrodes", "ACSource(frequency=-10)",
         _electrode("ACSource", amplitude=0.5, frequency=-10.0), Refused("frequency", "-10")),
    Case("noise-stdev-negative", "electrodes", "NoisyCurrentSource(stdev=-0.1)",
         _electrode("NoisyCurrentSource", mean=0.1, stdev=-0.1), Refused("stdev", "-0.1")),
    Case("inject-into-source", "electrodes", "inject(DCSource) into a SpikeSourcePoisson",
         _inject_into_source, Refused(("SpikeSourcePoisson", "source"))),
    # --- recording ----------------------------------------------------------------------------
    Case("record-unknown", "recording", "record('vm')", _record("vm"), Refused("vm")),
    Case("sampling-below-dt", "recording", "record('v', sampling_interval=0.05) at dt = 0.1",
         _record("v", sampling_interval=0.05), Refused("sampling_interval", "0.05"),
         issue_11=True),
    Case("sampling-off-grid", "recording", "record('v', sampling_interval=0.25) at dt = 0.1",
         _record("v", sampling_interval=0.25), Refused("sampling_interval", "0.25"),
         issue_11=True),
    Case("sampling-multiple", "recording",
         "record('v', sampling_interval=0.5): 21 samples in 10 ms",
         _record("v", sampling_interval=0.5),
         Correct(lambda seg: _v_samples(21)(seg.filter(name="v")[0]))),
    Case("get-data-before-run", "recording", "get_data() before any run", _get_data_before_run,
         Correct(_empty_or_initial), issue_11=True),
    Case("write-under-a-file", "recording", "write_data('FILE/out.pkl') where FILE is a file",
         _write_under_a_file, Refused("reliability_")),
    # --- running ------------------------------------------------------------------------------
    Case("run-off-grid", "running", "run(10.05) at dt = 0.1", _run_for(10.05),
         Refused("10.05", "0.1"), issue_11=True),
    Case("run-nan", "running", "run(nan)", _run_for(float("nan")), Refused("nan"),
         issue_11=True),
    Case("run-inf", "running", "run(inf)", _run_for(float("inf")), Refused("inf"),
         issue_11=True),
    Case("run-negative", "running", "run(-5)", _run_for(-5.0), Refused("-5")),
    Case("run-roundoff", "running", "run(0.30000000000000004) at dt = 0.1 (round-off only)",
         _run_for(0.1 + 0.2), Correct(_stop_time(0.3))),
    Case("run-until-past", "running", "run_until(5) at t = 10", _run_until_past,
         Refused("5", "10")),
    Case("setup-timestep-zero", "running", "setup(timestep=0)", _setup_only(timestep=0.0),
         Refused("timestep", "0")),
    Case("setup-timestep-nan", "running", "setup(timestep=nan)",
         _setup_only(timestep=float("nan")), Refused("timestep", "nan")),
    Case("setup-min-delay-below-dt", "running", "setup(timestep=0.1, min_delay=0.05)",
         _setup_only(min_delay=0.05), Refused("min_delay", "0.05")),
    Case("setup-max-below-min", "running", "setup(min_delay=1.0, max_delay=0.5)",
         _setup_only(min_delay=1.0, max_delay=0.5), Refused("max_delay", "min_delay")),
    Case("setup-scheme-unknown", "running", "setup(integration_scheme='euler')",
         _setup_only(integration_scheme="euler"), Refused("integration_scheme", "euler")),
]
