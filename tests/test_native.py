"""pyNN.nest compatibility: native NEST cell and synapse types, NEST-only setup() keywords.

Reference: pyNN.nest's ``native_cell_type``/``native_synapse_type`` with the same NEST parameter
names, units and values (float64, on_grid): identical spike steps and v within the per-model
tolerances of tests/test_vs_nest.py (1e-3 mV conductance LIF, 0.2 mV AdEx outside the 0.3 ms
before a spike), g_ex (nS) within
NEST's RKF45 tolerance 1e-3.
"""
import os
import warnings

import numpy as np
import pytest
from pyNN import errors

os.environ.setdefault("PYNEST_QUIET", "1")


def _run(sim, model, tol_key):
    if "nest" in sim.__name__:
        sim.setup(timestep=0.1, min_delay=0.1, spike_precision="on_grid", verbosity="error")
    else:
        sim.setup(timestep=0.1, min_delay=0.1, precision="float64")
    cell = sim.Population(1, sim.native_cell_type(model)(I_e=800.0, t_ref=2.0))
    cell.initialize(V_m=-65.0)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[20.0, 25.0, 60.0]))
    sim.Projection(src, cell, sim.AllToAllConnector(),
                   sim.native_synapse_type("static_synapse")(weight=20.0, delay=1.0))
    cell.record(["V_m", "g_ex", "spikes"])
    sim.run(150.0)
    seg = cell.get_data().segments[0]
    out = {a.name: np.asarray(a)[:, 0] for a in seg.analogsignals}
    out["spikes"] = np.asarray(seg.spiketrains[0])
    sim.end()
    return out


@pytest.mark.nest
@pytest.mark.parametrize("model, tol", [("iaf_cond_exp", 1e-3), ("aeif_cond_exp", 0.2)])
def test_native_cell_type_matches_nest(sim, model, tol):
    nest_sim = pytest.importorskip("pyNN.nest")
    ref = _run(nest_sim, model, tol)
    ours = _run(sim, model, tol)
    assert ref["spikes"].size > 2
    np.testing.assert_array_equal(np.rint(ours["spikes"] / 0.1), np.rint(ref["spikes"] / 0.1))
    diff = np.abs(ours["V_m"] - ref["V_m"])
    upswing = np.zeros(diff.size, bool)        # AdEx: the last 0.3 ms before a spike, where
    for step in np.rint(ref["spikes"] / 0.1).astype(int):    # NEST's adaptive step and our
        upswing[max(step - 3, 0):step] = True                 # fixed substeps differ most
    assert diff[~upswing].max() < tol
    # NEST integrates g inside its RKF45 step (abs. tolerance 1e-3): ours is exact
    assert np.max(np.abs(ours["g_ex"] - ref["g_ex"])) < 1e-3


def test_native_parameters_in_nest_units(sim):
    p = sim.Population(1, sim.native_cell_type("iaf_psc_exp")(C_m=200.0, I_e=150.0))
    assert p.get("C_m") == 200.0 and p.get("I_e") == 150.0
    assert p._parameters["cm"][0] == pytest.approx(0.2) and p._parameters["i_offset"][0] == 0.15


def test_unknown_native_model(sim):
    with pytest.raises(errors.NoModelAvailableError, match="iaf_cond_exp"):
        sim.native_cell_type("ht_neuron")


def test_nest_only_setup_keywords_warn_once(sim):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sim.setup(timestep=0.1, threads=7, spike_precision="off_grid_test")
        sim.setup(timestep=0.1, threads=7)
    messages = [str(w.message) for w in caught]
    assert sum("threads=7" in m for m in messages) == 1
    assert any("spike_precision" in m for m in messages)
