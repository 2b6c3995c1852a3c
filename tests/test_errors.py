"""Bad input is refused at the PyNN boundary with the pyNN.errors type PyNN uses.

Reference: PyNN's own error types (pyNN.errors) and the scenario tests that expect them
(test_issue511: unsorted spike times; common.control: run_until into the past).  Every message
must name the argument and the offending value; nothing is registered after a refusal.
"""
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
