"""Bad input is refused at the PyNN boundary with the pyNN.errors type PyNN uses.

Reference: PyNN's own error types (pyNN.errors) and the scenario tests that expect them
(test_issue511: unsorted spike times; common.control: run_until into the past).  Every message
must name the argument and the offending value; nothing is registered after a refusal.
"""
import re

import pytest
from pyNN import errors


def test_unknown_parameter_name(sim):
    with pytest.raises(errors.NonExistentParameterError, match="tau_mm"):
        sim.IF_cond_exp(tau_mm=10.0)


@pytest.mark.parametrize("name, value", [("tau_m", -10.0), ("cm", 0.0), ("tau_syn_E", -1.0),
                                         ("tau_refrac", -0.5)])
def test_invalid_time_constants(sim, name, value):
    with pytest.raises(errors.InvalidParameterValueError, match=f"{name} = {value}"):
        sim.Population(2, sim.IF_curr_exp(**{name: value}))
    assert sim.simulator.state.populations == []           # nothing half-built


def test_invalid_value_in_set(sim):
    p = sim.Population(3, sim.EIF_cond_exp_isfa_ista())
    with pytest.raises(errors.InvalidParameterValueError, match="tau_w = -5.0"):
        p.set(tau_w=-5.0)
    assert p.get("tau_w") == 144.0                          # unchanged


def test_unsorted_spike_times(sim):
    with pytest.raises(errors.InvalidParameterValueError, match="sorted"):
        sim.Population(1, sim.SpikeSourceArray(spike_times=[5.0, 2.0]))


def test_delay_below_time_step(sim):
    a = sim.Population(2, sim.IF_curr_exp())
    with pytest.raises(errors.ConnectionError, match=r"delay = 0\.05 ms is below"):
        sim.Projection(a, a, sim.AllToAllConnector(), sim.StaticSynapse(delay=0.05))
    assert sim.simulator.state.projections == []


def test_delay_above_max_delay(sim):
    sim.setup(timestep=0.1, min_delay=0.1, max_delay=5.0)
    a = sim.Population(2, sim.IF_curr_exp())
    with pytest.raises(errors.ConnectionError, match=r"delay = 7\.5 ms is above max_delay"):
        sim.Projection(a, a, sim.AllToAllConnector(), sim.StaticSynapse(delay=7.5))


def test_run_until_the_past(sim):
    sim.Population(1, sim.IF_curr_exp())
    sim.run(10.0)
    with pytest.raises(ValueError):
        sim.run_until(5.0)
    assert sim.get_current_time() == pytest.approx(10.0)


@pytest.mark.parametrize("kwargs, match", [({"timestep": -0.1}, "timestep=-0.1"),
                                           ({"precision": "float16"}, "precision='float16'")])
def test_bad_setup_arguments(sim, kwargs, match):
    with pytest.raises(errors.InvalidParameterValueError, match=match):
        sim.setup(**kwargs)


def test_negative_weight_on_excitatory_receptor(sim):
    a = sim.Population(2, sim.IF_cond_exp())
    with pytest.raises(errors.ConnectionError, match="positive"):
        sim.Projection(a, a, sim.AllToAllConnector(), sim.StaticSynapse(weight=-0.1))


# -- issue 11: no silent wrong answer (each test names what pyNN.nest / NEST does) -------------
def _pair(sim, n=3):
    return sim.Population(n, sim.IF_curr_exp()), sim.Population(n, sim.IF_curr_exp())


@pytest.mark.parametrize("row, match", [
    ((0, 5, 0.1, 1.0), r"row 0 .* target \(postsynaptic\) index 5, which is out of range.* "
                       r"has 3 cells"),
    ((0, -1, 0.1, 1.0), r"target \(postsynaptic\) index -1, which is negative"),
    ((-1, 0, 0.1, 1.0), r"source \(presynaptic\) index -1, which is negative"),
    ((1.5, 0, 0.1, 1.0), r"source \(presynaptic\) index 1.5, which is not a whole number"),
])
def test_from_list_bad_index(sim, row, match):
    """A bad index in a FromListConnector row is refused, naming the row, index and size.

    Reference: pyNN.nest drops a target >= size or -1 into NumPy's "operands could not be
    broadcast", truncates 1.5 to 1 silently, and only a negative source reaches NEST's
    ConnectionError; PyNN itself checks only ``source >= size``.
    """
    a, b = _pair(sim)
    with pytest.raises(errors.ConnectionError, match=match):
        sim.Projection(a, b, sim.FromListConnector([(0, 0, 0.1, 1.0), row][1:]))
    assert sim.simulator.state.projections == []


def test_from_list_ragged_rows(sim):
    """Rows of different lengths: ConnectionError naming the row (pyNN.nest: NumPy's
    "inhomogeneous shape" ValueError)."""
    with pytest.raises(errors.ConnectionError, match=r"row 1 .* has 3 values but row 0 has 4"):
        sim.FromListConnector([(0, 0, 0.1, 1.0), (1, 1, 0.1)])


@pytest.mark.parametrize("text, match", [
    ("0 1 0.1 1.0\n1 2 0.1\n", r"line 2 .* has 3 columns, expected 4"),
    ("0 1 0.1 1.0\n1 x 0.1 1.0\n", r"line 2 .* non-numeric text 'x'"),
    ("# columns = ['i', 'j', 'weight', 'delay']\n0 1 0.1 1.0\n\n2 7 0.1 1.0\n",
     r"line 4 .* index 7, which is out of range"),
])
def test_from_file_malformed(sim, tmp_path, text, match):
    """A malformed connection file names the file and the line (pyNN.nest: numpy.loadtxt's
    ValueError, without the file name, or the NumPy broadcast error for a bad index)."""
    path = tmp_path / "conn.txt"
    path.write_text(text)
    a, b = _pair(sim)
    with pytest.raises(errors.ConnectionError, match=match) as info:
        sim.Projection(a, b, sim.FromFileConnector(str(path)))
    assert "conn.txt" in str(info.value)


@pytest.mark.parametrize("action", [
    lambda sim, old, new: sim.Projection(old, new, sim.AllToAllConnector()),
    lambda sim, old, new: sim.Projection(new, old[0:2], sim.AllToAllConnector()),
    lambda sim, old, new: sim.DCSource(amplitude=1.0).inject_into(old),
    lambda sim, old, new: old.record("v"),
    lambda sim, old, new: old.set(tau_m=5.0),
    lambda sim, old, new: old.initialize(v=-60.0),
    lambda sim, old, new: old.get_data(),
], ids=["projection-pre", "projection-post-view", "inject", "record", "set", "initialize",
        "get_data"])
def test_object_of_discarded_simulation(sim, action):
    """A population created before the last setup() is refused, not silently left out.

    Reference: pyNN.nest builds such a Projection (9 connections that deliver nothing) and
    fails later with NEST's ``UnknownNode`` for record/inject/set.
    """
    old = sim.Population(3, sim.IF_curr_exp())
    sim.end()
    sim.setup(timestep=0.1)
    new = sim.Population(3, sim.IF_curr_exp())
    with pytest.raises(sim.simulator.StaleObjectError,
                       match="belongs to a simulation that setup\\(\\) discarded.*after setup"):
        action(sim, old, new)
    assert sim.simulator.state.projections == []


@pytest.mark.parametrize("celltype, params, match", [
    ("IF_curr_exp", dict(v_thresh=-70.0, v_reset=-65.0), "requires v_reset < v_thresh"),
    ("IF_cond_alpha", dict(v_thresh=-65.0, v_reset=-65.0), "requires v_reset < v_thresh"),
    ("IF_curr_delta", dict(v_reset=-40.0), "iaf_psc_delta.cpp"),
    ("IF_cond_exp_gsfa_grr", dict(v_reset=-40.0), "iaf_cond_exp_sfa_rr.cpp"),
    ("EIF_cond_exp_isfa_ista", dict(v_spike=-60.0), "requires v_spike >= v_thresh"),
    ("EIF_cond_alpha_isfa_ista", dict(v_reset=0.0, v_spike=-10.0), "requires v_reset < v_spike"),
    ("EIF_cond_exp_isfa_ista", dict(delta_T=0.01, v_spike=50.0), r"/ delta_T < 663\.7"),
    ("SpikeSourcePoissonRefractory", dict(rate=200.0, tau_refrac=5.0),
     "requires rate \\* tau_refrac < 1000"),
])
def test_inconsistent_parameters(sim, celltype, params, match):
    """Parameter combinations NEST's set_status refuses are refused, naming both parameters.

    Reference: NEST models/iaf_psc_exp.cpp (and the other iaf_*), aeif_cond_exp.cpp,
    ppd_sup_generator.cpp, ``Parameters_::set`` -> BadProperty (pyNN.nest raises it too).
    """
    with pytest.raises(errors.InvalidParameterValueError, match=match):
        sim.Population(2, getattr(sim, celltype)(**params))
    assert sim.simulator.state.populations == []


def test_inconsistent_parameters_in_set(sim):
    """set() checks the merged old+new values and changes nothing when it refuses.

    Reference: NEST iaf_cond_exp.cpp 'Reset potential must be smaller than threshold.'
    (pyNN.nest: ``p.set(v_reset=-40.0)`` raises BadProperty).
    """
    p = sim.Population(3, sim.IF_cond_exp(v_thresh=-50.0))
    with pytest.raises(errors.InvalidParameterValueError,
                       match=r"v_reset = -40.*v_thresh = -50"):
        p.set(v_reset=-40.0)
    with pytest.raises(errors.InvalidParameterValueError, match=r"cell 1"):
        p.set(v_reset=[-60.0, -45.0, -70.0])
    assert p.get("v_reset") == -65.0                       # unchanged (homogeneous)
    p.set(v_thresh=-30.0, v_reset=-40.0)                   # consistent together


def test_native_names_in_consistency_error(sim):
    """NEST-named cell types report NEST's names (V_reset, V_th)."""
    with pytest.raises(errors.InvalidParameterValueError, match="requires V_reset < V_th"):
        sim.Population(1, sim.native_cell_type("iaf_psc_alpha")(V_reset=-40.0))


@pytest.mark.parametrize("interval, match", [(0.05, r"shorter than the time step.* 0\.1 ms"),
                                             (0.25, r"nearest valid values are 0\.2 and 0\.3")])
def test_sampling_interval_off_grid(sim, interval, match):
    """record(sampling_interval=x) with x < dt or not a multiple of dt is refused.

    Reference: NEST models/multimeter.cpp BadProperty "The sampling interval must be at least
    as long as / a multiple of the simulation resolution." (pyNN.nest raises it).
    """
    p = sim.Population(2, sim.IF_curr_exp())
    with pytest.raises(errors.InvalidParameterValueError, match=match):
        p.record("v", sampling_interval=interval)
    assert not p.recorder.recorded


@pytest.mark.parametrize("call, value, match", [
    ("run", 0.25, r"run\(simtime\) = 0.25 ms is not a multiple.* 0\.2 and 0\.3"),
    ("run_until", 0.35, r"run_until\(time_point\) = 0.35 ms.* 0\.3 and 0\.4"),
    ("run", float("nan"), "must be a finite number"),
    ("run", float("inf"), "must be a finite number"),
    ("run", -5.0, "is negative"),
])
def test_run_time_refused(sim, call, value, match):
    """run()/run_until() at a time off the grid, non-finite or negative is refused.

    Reference: NEST nestkernel/nest.cpp "The simulation time must be a multiple of the
    simulation resolution." / "must be finite." (pyNN.nest raises both for 0.25 and inf; it
    runs 0 ms for NaN without a word).
    """
    sim.Population(1, sim.IF_curr_exp())
    with pytest.raises(errors.InvalidParameterValueError, match=match):
        getattr(sim, call)(value)
    assert sim.get_current_time() == 0.0
    sim.run(0.30000000000000004)                  # float round-off of 0.3 is accepted
    assert sim.get_current_time() == pytest.approx(0.3)


def _delays(sim, d):
    a = sim.Population(2, sim.IF_curr_exp())
    prj = sim.Projection(a, a, sim.OneToOneConnector(), sim.StaticSynapse(delay=d))
    return [x for (x,) in prj.get(["delay"], format="list", with_address=False)]


@pytest.mark.parametrize("given, expected", [(0.25, 0.3), (0.15, 0.2), (0.35, 0.4),
                                             (0.45, 0.5), (0.33, 0.3)])
def test_delay_rounds_half_up(sim, given, expected):
    """A delay halfway between steps rounds up, as NEST: ld_round(d * steps_per_ms), i.e.
    floor(x + 0.5) (nestkernel/nest_time.h delay_ms_to_steps; pyNN.nest reads back 0.3 for
    0.25 at dt = 0.1, where numpy.rint gave 0.2)."""
    assert _delays(sim, given) == pytest.approx([expected] * 2, abs=1e-12)


@pytest.mark.nest
def test_delay_rounding_matches_nest(sim):
    """The same delays as pyNN.nest reads back (on_grid, dt = 0.1)."""
    nest = pytest.importorskip("pyNN.nest", reason="nest-simulator is not installed")
    given = [0.15, 0.25, 0.35, 0.45, 0.33, 1.05]
    expected = []
    for d in given:
        nest.setup(timestep=0.1, min_delay=0.1, spike_precision="on_grid", verbosity="error")
        expected.append(_delays(nest, d)[0])
        nest.end()
    sim.setup(timestep=0.1)
    assert [_delays(sim, d)[0] for d in given] == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("synapse, celltype, match", [
    (dict(weight=float("nan")), "IF_curr_exp", "weight = nan"),
    (dict(weight=float("inf")), "IF_cond_exp", "weight = inf"),
    (dict(delay=float("nan")), "IF_curr_exp", "delay = nan"),
    (dict(delay=float("inf")), "IF_curr_exp", "delay = inf"),
])
def test_non_finite_weight_or_delay(sim, synapse, celltype, match):
    """NaN/inf weights and delays are refused where they enter, naming the argument.

    Reference: pyNN.nest says "Weights must be negative for current-based, inhibitory
    synapses" for a NaN weight, accepts an infinite conductance weight, and fails in NEST for
    NaN/inf delays; previously here NaN delays failed in the build ("cannot convert float NaN
    to integer").
    """
    a = sim.Population(3, getattr(sim, celltype)())
    with pytest.raises(errors.ConnectionError, match=match):
        sim.Projection(a, a, sim.OneToOneConnector(), sim.StaticSynapse(**synapse),
                       receptor_type="inhibitory")
    prj = sim.Projection(a, a, sim.OneToOneConnector(), sim.StaticSynapse())
    name, value = next(iter(synapse.items()))
    with pytest.raises(errors.ConnectionError, match=match):
        prj.set(**{name: value})


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_initialize_non_finite(sim, value):
    """initialize(v=NaN/inf) is refused (pyNN.nest accepts it; the run then holds NaN/inf,
    and here it was found only as a divergence at t = 0.1 ms)."""
    p = sim.Population(2, sim.IF_curr_exp())
    with pytest.raises(errors.InvalidParameterValueError, match=f"initialize\\(v={value}\\)"):
        p.initialize(v=value)


@pytest.mark.parametrize("size", [0, -2, 2.5, (2, 0)])
def test_population_size_invalid(sim, size):
    """Population(0), negative and fractional sizes: InvalidParameterValueError naming the size
    (pyNN.nest: NEST's bare BadParameterValue / BadProperty, PyNN's "`size` must be an integer"
    for 2.5; here an IndexError before for 0)."""
    with pytest.raises(errors.InvalidParameterValueError, match=re.escape(f"size={size}")):
        sim.Population(size, sim.IF_curr_exp())


def test_initialize_unknown_variable(sim):
    """initialize(vv=...) names the variable and the valid ones (pyNN.nest: a bare
    ``KeyError: 'vv'``; this backend accepted it silently)."""
    p = sim.Population(2, sim.IF_cond_exp())
    with pytest.raises(errors.NonExistentParameterError, match="'vv' is not a state variable"):
        p.initialize(vv=-65.0)


def test_parameter_array_wrong_length(sim):
    """A per-cell list of the wrong length names the parameter and both lengths (pyNN.nest:
    lazyarray's "Lazy array has fixed shape (2,), cannot be changed to (3,)" at creation and
    "Array has shape (3,), value has shape (2,)" in set())."""
    with pytest.raises(errors.InvalidDimensionsError, match="tau_m has 2 values.* 3 cells"):
        sim.Population(3, sim.IF_cond_exp(tau_m=[10.0, 20.0]))
    p = sim.Population(3, sim.IF_cond_exp())
    with pytest.raises(errors.InvalidDimensionsError, match="tau_m has 2 values.* 3 cells"):
        p.set(tau_m=[10.0, 20.0])
    s = sim.Population(2, sim.SpikeSourceArray())
    s.set(spike_times=[1.0, 2.0, 3.0])               # a Sequence parameter: one list per cell


def test_get_data_before_run(sim):
    """get_data() before any run returns one empty segment (pyNN.nest: IndexError in PyNN's
    Recorder.get)."""
    p = sim.Population(3, sim.IF_curr_exp())
    p.record(["v", "spikes"])
    block = p.get_data()
    assert len(block.segments) == 1
    assert [len(st) for st in block.segments[0].spiketrains] == [0, 0, 0]


def test_spike_source_start_off_grid(sim):
    """SpikeSourcePoisson(start=1.05) at dt = 0.1 is refused, as NEST does (nestkernel/
    device.cpp "start must be a multiple of the simulation resolution."; pyNN.nest raises it);
    it silently started at 1.1 ms here before."""
    with pytest.raises(errors.InvalidParameterValueError, match=r"start = 1.05 .* 1 and 1\.1"):
        sim.Population(1, sim.SpikeSourcePoisson(rate=100.0, start=1.05))


def test_spike_at_time_zero_warns(sim):
    """A spike time of 0.0 cannot be emitted: a warning says it is dropped (pyNN.nest drops
    it without a word)."""
    with pytest.warns(UserWarning, match="spike at t = 0 is never emitted"):
        sim.Population(1, sim.SpikeSourceArray(spike_times=[0.0, 1.0]))


@pytest.mark.parametrize("source, match", [
    ("DCSource(amplitude=float('nan'))", "amplitude = nan is not finite"),
    ("ACSource(amplitude=1.0, offset=float('inf'))", "offset = inf is not finite"),
    ("StepCurrentSource(times=[1.0], amplitudes=[float('nan')])", "amplitudes = \\[nan\\]"),
    ("DCSource(amplitude=1.0, start=1.05, stop=2.0)", r"start = 1.05 ms .* 1 and 1\.1"),
    ("DCSource(amplitude=1.0, start=2.0, stop=1.0)", "stop = 1.0 ms is before start = 2.0"),
    ("ACSource(amplitude=1.0, frequency=-10.0)", "frequency = -10.0; must be >= 0"),
    ("NoisyCurrentSource(mean=0.1, stdev=-0.1)", "stdev = -0.1; must be >= 0"),
])
def test_current_source_bad_values(sim, source, match):
    """Current sources: non-finite values, start/stop off the grid, stop < start are refused.

    Reference: NEST nestkernel/device.cpp "start must be a multiple of the simulation
    resolution." / "stop >= start required.", models/noise_generator.cpp "The standard
    deviation cannot be negative." (pyNN.nest raises these; it accepts a NaN amplitude, and
    the membrane is NaN from the start time on, and a negative AC frequency).
    """
    with pytest.raises(errors.InvalidParameterValueError, match=match):
        eval(f"sim.{source}")
    assert sim.simulator.state.current_sources == []
