"""PyNN's multi-compartment API on this backend (issue 16): ``MultiCompartmentNeuron`` with
morphologies, channels, locations.

References: PyNN's ``test_scenario5`` (its expected spike times, the average of NEURON and
Arbor, and its error limit); pyNN.neuron running the same script (``test_2_compartment`` of
PyNN's ``test/system/test_neuron.py``, ``tests/scripts/two_compartment.py``); NEURON's d_lambda
rule and the geometry of the cell by hand.
"""
import os
import subprocess
import sys

import numpy as np
import pytest
from pyNN import errors

neuroml = pytest.importorskip("neuroml", reason="libNeuroML (the [test] extra) is needed")
pytest.importorskip("morphio", reason="morphio (the [test] extra) is needed")
from neuroml import Morphology, Segment, SegmentParent, Point3DWithDiam as P    # noqa: E402
from pyNN.morphology import NeuroMLMorphology                    # noqa: E402
from pyNN.parameters import IonicSpecies                         # noqa: E402

import pynn_cbgtc_jax as sim                                     # noqa: E402
from pynn_cbgtc_jax.compiler.cable_cell import cell_layout       # noqa: E402
from pynn_cbgtc_jax.morphology import cell_sections, per_section  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TWO_COMPARTMENT = os.path.join(ROOT, "tests", "scripts", "two_compartment.py")


def _ball_and_stick():
    soma = Segment(proximal=P(x=18.8, y=0, z=0, diameter=18.8),
                   distal=P(x=0, y=0, z=0, diameter=18.8), name="soma", id=0)
    dend = Segment(proximal=P(x=0, y=0, z=0, diameter=2), distal=P(x=-500, y=0, z=0, diameter=2),
                   name="dendrite", parent=soma, id=1)
    return NeuroMLMorphology(Morphology(segments=(soma, dend)))


def _cell_type(**extra):
    cell_class = sim.MultiCompartmentNeuron
    cell_class.ion_channels = {"pas": sim.PassiveLeak, "na": sim.NaChannel,
                               "kdr": sim.KdrChannel}
    cell_class.post_synaptic_entities = extra.pop("pses", {})
    return cell_class(
        morphology=_ball_and_stick(), cm=1.0, Ra=500.0,
        ionic_species={"na": IonicSpecies("na", reversal_potential=50.0),
                       "k": IonicSpecies("k", reversal_potential=-77.0)},
        pas={"conductance_density": sim.morphology.uniform("all", 0.0003), "e_rev": -54.3},
        na={"conductance_density": sim.morphology.uniform("soma", 0.120)},
        kdr={"conductance_density": sim.morphology.uniform("soma", 0.036)}, **extra)


@pytest.fixture
def fresh():
    sim.setup(timestep=0.01)
    yield sim
    sim.end()
    sim.MultiCompartmentNeuron.post_synaptic_entities = {}


def test_layout_follows_neuron_d_lambda_and_geometry():
    """NEURON's d_lambda rule (0.1 of the 100 Hz length constant) gives the soma 1 segment and
    the 500 um dendrite 29 (lambda_100 = 178.4 um at Ra 500, cm 1, diam 2: design note
    section 4); areas are pi d L per segment; HH sits at the soma's one node only."""
    lay = cell_layout(_ball_and_stick(), 1.0, 500.0, None,
                      {"pas": ("leak", sim.morphology.uniform("all", 0.0003), -54.3),
                       "na": ("na", sim.morphology.uniform("soma", 0.12), None)}, {})
    assert [len(c) for c in lay.tree.centres] == [1, 29]
    soma_node = lay.tree.centres[0][0]
    assert lay.tree.area[soma_node] == pytest.approx(np.pi * 18.8 * 18.8, rel=1e-12)
    assert lay.tree.area[lay.tree.centres[1]].sum() == pytest.approx(np.pi * 2 * 500, rel=1e-12)
    assert lay.hh_nodes.tolist() == [soma_node]
    assert lay.gnabar[0] == pytest.approx(0.12 * np.pi * 18.8 ** 2 * 1e-2, rel=1e-12)  # uS
    assert lay.detector == soma_node


def test_distributions_per_section():
    """uniform / by_distance / with_label against the values by hand (path length from the
    root's x = 0 end to a section's centre: soma 9.4 um, dendrite 18.8 + 250 um)."""
    sections = cell_sections(_ball_and_stick())
    m = sim.morphology
    assert per_section(m.uniform("all", 2.0), sections, "x").tolist() == [2.0, 2.0]
    assert per_section(m.uniform("soma", 2.0), sections, "x").tolist() == [2.0, 0.0]
    assert per_section(m.uniform(m.dendrites(), 3.0), sections, "x").tolist() == [0.0, 3.0]
    assert per_section(m.by_distance("all", lambda d: d), sections, "x") == \
        pytest.approx([9.4, 18.8 + 250.0])
    with pytest.raises(errors.InvalidParameterValueError, match="'axon' names no section"):
        per_section(m.uniform("axon", 1.0), sections, "x")


def test_scenario5_spike_times(fresh):
    """PyNN's test_scenario5: 5 cells, DC 0.04-0.18 nA at the soma from 50 to 150 ms
    (dt 0.01); cell 0 silent; the summed relative spike-time error of cells 1-4 against PyNN's
    expected times must stay below its limit 0.005 (NEURON itself scores 0.00408 with exact
    rates, design note section 8)."""
    neurons = sim.Population(5, _cell_type(), initial_values={"v": -60.0})
    for j, amp in enumerate((0.04, 0.11, 0.13, 0.15, 0.18)):
        src = sim.DCSource(start=50, stop=150, amplitude=amp)
        if j % 2:
            src.inject_into([neurons[j]], location="soma")
        else:
            neurons[j].inject(src, location="soma")
    neurons.record("spikes")
    sim.run(200.0)
    trains = [np.asarray(st) for st in neurons.get_data().segments[0].spiketrains]
    expected = [[52.41], [52.15, 68.45, 84.73, 101.02, 117.31, 133.61, 149.9],
                [51.96, 67.14, 82.13, 97.11, 112.08, 127.06, 142.04],
                [51.75, 65.86, 79.7, 93.51, 107.33, 121.14, 134.96, 148.77]]
    assert trains[0].size == 0
    error = sum(np.abs((a - np.array(b)) / np.array(b)).max() if a.size == len(b) else 1.0
                for a, b in zip(trains[1:], expected))
    assert error < 0.005


def test_recording_locations_and_initial_samples(fresh):
    """test_2_compartment's assertions: signals named soma.v / dendrite.v / soma.na.m ...,
    first samples the initial values (-60, -70 mV) at every location."""
    cells = sim.Population(2, _cell_type(), initial_values={"v": [-60.0, -70.0]})
    cells.record(["na.m", "kdr.n"], locations="soma")
    cells.record("v", locations=["soma", "dendrite"])
    sim.run(1.0)
    seg = cells.get_data().segments[0]
    names = sorted(s.name for s in seg.analogsignals)
    assert names == ["dendrite.v", "soma.kdr.n", "soma.na.m", "soma.v"]
    for name in ("soma.v", "dendrite.v"):
        sig = seg.filter(name=name)[0]
        assert sig.shape == (101, 2)
        assert float(sig[0, 0]) == -60.0 and float(sig[0, 1]) == -70.0
    m = np.asarray(seg.filter(name="soma.na.m")[0])
    v = np.array([-60.0, -70.0])
    am = 0.1 * (v + 40) / (1 - np.exp(-(v + 40) / 10))       # hh.mod's rates
    bm = 4 * np.exp(-(v + 65) / 18)
    np.testing.assert_allclose(m[0], am / (am + bm), rtol=1e-6)   # steady state at v0


def test_location_errors(fresh):
    cells = sim.Population(1, _cell_type())
    points = sim.Population(1, sim.IF_cond_exp())
    src = sim.DCSource(amplitude=0.1)
    with pytest.raises(errors.InvalidParameterValueError, match="point neurons"):
        src.inject_into(points, location="soma")
    with pytest.raises(errors.InvalidParameterValueError, match="'axon' names no section"):
        src.inject_into(cells, location="axon")
    src.inject_into(cells, location="soma")
    with pytest.raises(errors.InvalidParameterValueError, match="already takes current"):
        sim.DCSource(amplitude=0.1).inject_into(cells, location="dendrite")
    with pytest.raises(errors.RecordingError):
        points.record("v", locations="soma")
    stim = sim.Population(2, sim.SpikeSourcePoisson(rate=10.0))
    with pytest.raises(errors.ConnectionError, match="point neurons"):
        sim.Projection(stim, points, sim.AllToAllConnector(location_selector="soma"),
                       sim.StaticSynapse(weight=0.001))
    ct = _cell_type(pses={"AMPA": sim.CondExpPostSynapticResponse},
                    AMPA={"locations": sim.morphology.LabelledLocations("soma")})
    with pytest.raises(errors.ConnectionError, match="selects no section holding"):
        sim.Projection(stim, sim.Population(1, ct),
                       sim.AllToAllConnector(location_selector="dendrite"),
                       sim.StaticSynapse(weight=0.001), receptor_type="AMPA")


SWC = os.path.join(ROOT, "tests", "data", "small_pyramidal.swc")


def test_swc_sections_from_morphio():
    """An SWC file through PyNN's load_morphology(..., use_library='morphio'): the soma (a
    single point of radius 10: NEURON's 20 x 20 um cylinder), morphio's unbranched sections
    with their path lengths and length-weighted diameters (by hand from the file), filters by
    SWC type."""
    morph = sim.morphology.load_morphology(SWC, use_library="morphio")
    sections = cell_sections(morph)
    assert [s.name for s in sections][:2] == ["soma", "basal_dendrite_0"]
    assert sections[0].length == pytest.approx(20.0) and sections[0].diam == pytest.approx(20.0)
    apical = sections[4]                       # (10,0,0) -> (110,0,0) -> (210,0,0)
    assert apical.length == pytest.approx(200.0)
    assert apical.diam == pytest.approx((100 * 2.7 + 100 * 2.2) / 200, rel=1e-6)
    m = sim.morphology
    assert m.apical_dendrites()(sections) == [4, 5, 6]
    assert m.axon()(sections) == [7]
    assert m.dendrites()(sections) == [1, 2, 3, 4, 5, 6]


def test_random_placement_density_and_seed():
    """random_placement(uniform(sel, rho)): about rho x L places per section (pyNN.neuron's
    stochastic rounding), the same places for the same seed, other places for another."""
    from pynn_cbgtc_jax.morphology import locations
    morph = sim.morphology.load_morphology(SWC, use_library="morphio")
    sections = cell_sections(morph)
    gen = sim.morphology.random_placement(sim.morphology.uniform("all", 0.5))
    a = locations(gen, sections, np.random.default_rng(1))
    b = locations(gen, sections, np.random.default_rng(1))
    c = locations(gen, sections, np.random.default_rng(2))
    assert a == b and a != c
    counts = np.bincount([sec for _, sec, _ in a], minlength=len(sections))
    expected = 0.5 * np.array([s.length for s in sections])
    assert np.all(np.abs(counts - expected) < 1.0 + 1e-9)       # floor or ceil of rho L


def test_mc_network_port(fresh):
    """PyNN's test_neuron.py::test_mc_network with a local SWC file: random synapse places of
    two PSE types, Kdr by distance on the apical dendrites, a random apical section per
    postsynaptic cell, two centre() recordings (distinct signals here; pyNN.neuron keeps only
    the last).  Checks: one connection per (input, cell) to an apical place; the input drives
    the soma above 0 mV; the soma and apical traces differ (a cable, not one compartment:
    the apical Kdr density grows with distance and holds the tuft near E_K)."""
    m = sim.morphology
    cell_class = sim.MultiCompartmentNeuron
    cell_class.ion_channels = {"pas": sim.PassiveLeak, "na": sim.NaChannel,
                               "kdr": sim.KdrChannel}
    cell_class.post_synaptic_entities = {"AMPA": sim.CondExpPostSynapticResponse,
                                         "GABA_A": sim.CondExpPostSynapticResponse}
    cell = cell_class(
        morphology=m.load_morphology(SWC, use_library="morphio"),
        pas={"conductance_density": m.uniform("all", 0.0003)},
        na={"conductance_density": m.uniform("soma", 0.120)},
        kdr={"conductance_density": m.by_distance(m.apical_dendrites(),
                                                   lambda d: 0.05 * d / 200.0)},
        ionic_species={"na": IonicSpecies("na", reversal_potential=50.0),
                       "k": IonicSpecies("k", reversal_potential=-77.0)},
        cm=1.0, Ra=500.0,
        AMPA={"locations": m.random_placement(m.uniform("all", 0.05)), "e_syn": 0.0,
              "tau_syn": 2.0},
        GABA_A={"locations": m.random_placement(m.by_distance(m.dendrites(),
                                                                lambda d: 0.05 * (d < 50.0))),
                "e_syn": -70.0, "tau_syn": 5.0})
    cells = sim.Population(2, cell, initial_values={"v": -60.0})
    inputs = sim.Population(1000, sim.SpikeSourcePoisson(rate=1000.0))
    cells.record("spikes")
    cells[:1].record("v", locations=m.centre(m.soma()))
    cells[:1].record("v", locations=m.centre(m.apical_dendrites()))
    prj = sim.Projection(inputs, cells,
                         sim.AllToAllConnector(location_selector=m.random_section(
                             m.apical_dendrites())),
                         sim.StaticSynapse(weight=0.5, delay=0.5), receptor_type="AMPA")
    assert len(prj) == 2000
    sim.run(10.0)
    seg = cells.get_data().segments[0]
    names = sorted(sig.name for sig in seg.analogsignals)
    assert len(names) == 2 and "centre.v" in names          # the second: "centre#<node>.v"
    apical = next(n for n in names if n != "centre.v")
    soma_v, apical_v = (np.asarray(seg.filter(name=n)[0])[:, 0] for n in ("centre.v", apical))
    assert np.all(np.isfinite(soma_v)) and np.abs(soma_v - apical_v).max() > 1.0
    assert soma_v.max() > 0.0         # 1000 inputs at 1 kHz drive the soma above 0 mV


def test_synapse_at_dendrite_depolarises_soma_less_than_at_soma(fresh):
    """A conductance synapse (ExpSyn) at the dendrite's far end against one at the soma: the
    same input reaches the soma attenuated by the cable (limit case: a passive cable's
    transfer is below 1)."""
    m = sim.morphology
    peaks = {}
    for where in ("soma", "dendrite"):
        sim.setup(timestep=0.025)
        ct = _cell_type(pses={"AMPA": sim.CondExpPostSynapticResponse},
                        AMPA={"locations": m.at_distances(where, [0.9]), "e_syn": 0.0,
                              "tau_syn": 2.0})
        cells = sim.Population(1, ct, initial_values={"v": -65.0})
        stim = sim.Population(1, sim.SpikeSourceArray(spike_times=[10.0]))
        sim.Projection(stim, cells, sim.AllToAllConnector(),
                       sim.StaticSynapse(weight=0.002, delay=1.0), receptor_type="AMPA")
        cells.record("v", locations="soma")
        sim.run(40.0)
        v = np.asarray(cells.get_data().segments[0].filter(name="soma.v")[0])[:, 0]
        peaks[where] = v.max() - v[int(10.0 / 0.025)]
    assert peaks["soma"] > 0.5                      # a 2 nS synapse moves v by mV
    assert 0 < peaks["dendrite"] < peaks["soma"]


@pytest.mark.neuron
@pytest.mark.slow
def test_two_compartment_against_pyNN_neuron(tmp_path):
    """The same PyNN script on pyNN.neuron (NEURON's exact HH rates) and on us (float64):
    the same spike steps in both cells; the soma and dendrite voltages within 2e-3 mV and the
    gates within 2e-5.  Reason for the tolerances: NEURON keeps 3-D points in float32 (the
    soma is 18.7999992 um), which moves v by ~4e-4 mV at the spike upstrokes (design note
    section 8: 1.7e-4 mV for its cell); a step off would be ~50 mV."""
    pytest.importorskip("neuron", reason="NEURON (the [test] extra) is needed")
    runs = {}
    for name in ("jax", "neuron"):
        out = tmp_path / f"{name}.npz"
        proc = subprocess.run([sys.executable, TWO_COMPARTMENT, name, str(out)],
                              capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, proc.stderr[-3000:]
        runs[name] = np.load(out)
    ours, ref = runs["jax"], runs["neuron"]
    assert ref["spikes0"].size >= 5                  # the soma-driven cell fires repeatedly
    for k in ("spikes0", "spikes1"):
        np.testing.assert_allclose(ours[k], ref[k], atol=1e-6)
    for k in ("soma.v", "dendrite.v"):
        assert np.abs(ours[k] - ref[k]).max() < 2e-3, k
    for k in ("soma.na.m", "soma.na.h", "soma.kdr.n"):
        assert np.abs(ours[k] - ref[k]).max() < 2e-5, k


def _axon_type(length=1000.0, diam=2.0):
    """A straight HH axon along x (hh.mod everywhere, PassiveLeakHH = hh's leak), Ra 100."""
    seg = Segment(proximal=P(x=-length / 2, y=0, z=0, diameter=diam),
                  distal=P(x=length / 2, y=0, z=0, diameter=diam), name="axon", id=0)
    cell_class = sim.MultiCompartmentNeuron
    cell_class.ion_channels = {"leak": sim.PassiveLeakHH, "na": sim.NaChannel,
                               "kdr": sim.KdrChannel}
    cell_class.post_synaptic_entities = {}
    return cell_class(morphology=NeuroMLMorphology(Morphology(segments=(seg,))), cm=1.0,
                      Ra=100.0, leak={"conductance_density": sim.morphology.uniform("all", 3e-4),
                                      "e_rev": -54.3},
                      na={"conductance_density": sim.morphology.uniform("all", 0.12)},
                      kdr={"conductance_density": sim.morphology.uniform("all", 0.036)},
                      ionic_species={"na": IonicSpecies("na", reversal_potential=50.0),
                                     "k": IonicSpecies("k", reversal_potential=-77.0)})


def test_extracellular_electrode_equals_the_solver_driven_by_hand(fresh):
    """``ExtracellularElectrode`` on two axons passing 100 and 400 um from it (the cells'
    positions from the population's ``positions``) against the cable kernel run directly with
    the activating function computed here from the geometry (phi = I / (4 pi sigma r) at each
    node, a_i = sum_j g_ij (phi_j - phi_i)) and the pulse train by hand (cathodic 0.1 ms, 200
    uA, 130 Hz from 1 ms; a current on at t acts from the step starting at t).  Same
    float64 arithmetic up to summation order: 1e-9 mV.  And the limit case the physics
    demands: the near axon fires, the far one does not."""
    import jax
    from pynn_cbgtc_jax.compiler import cable_tree
    from pynn_cbgtc_jax.kernels import cable
    sim.setup(timestep=0.025, precision="float64")
    ct = _axon_type()
    axons = sim.Population(2, ct, initial_values={"v": -65.0})
    axons.positions = np.array([[0.0, 0.0], [100.0, 400.0], [0.0, 0.0]])    # [3, cells] um
    electrode = sim.ExtracellularElectrode(position=(0.0, 0.0, 0.0), sigma=0.27,
                                           amplitude=-2e5, frequency=130.0, pulse_width=0.1,
                                           start=1.0)
    electrode.inject_into(axons)
    axons.record("v", locations=sim.morphology.at_distances("axon", [0.5, 0.95]))
    axons.record("spikes")
    sim.run(8.0)
    seg = axons.get_data().segments[0]
    mid = np.asarray(seg.filter(name="axon-d-0.5.v")[0])
    assert len(seg.spiketrains[0]) >= 1 and len(seg.spiketrains[1]) == 0

    lay = ct._type_layout
    assert jax.config.jax_enable_x64          # setup(precision='float64') turned it on
    nseg = len(lay.tree.centres[0])
    tree = cable_tree.build_tree([cable_tree.Section(None, 1000.0, 2.0, nseg)], 100.0)
    p = cable_tree.cable_params(tree, 1.0, 3e-4, -54.3, 0.12, 0.036, detector=1)
    steps = int(8.0 / 0.025)
    t = np.arange(steps) * 0.025
    on = (t >= 1.0 - 1e-9) & (((t - 1.0 + 1e-9) % (1000 / 130.0)) < 0.1 - 1e-9)
    for cell, y0 in enumerate((100.0, 400.0)):
        first, last = np.array([[-500, y0, 0]]), np.array([[500, y0, 0]])
        a = cable_tree.point_source_weights(tree, cable_tree.node_positions(tree, first,
                                                                             last),
                                            (0, 0, 0), 0.27)
        i_inj = np.where(on[:, None], -2e5 * a[None, :], 0.0)
        _, v, _ = cable.run(p, cable.initial_state(p, np.full(tree.parent.size, -65.0)),
                            i_inj, 0.025)
        node = cable_tree.node_of(tree, 0, 0.5)
        np.testing.assert_allclose(mid[1:, cell], np.asarray(v)[:, node], atol=1e-9)


def test_extracellular_electrode_errors(fresh):
    """Refusals, each before anything is changed: point neurons, sigma <= 0, a location, a
    second electrode on a cell; the targets given before a refused call stay."""
    points = sim.Population(2, sim.IF_cond_exp())
    axons = sim.Population(2, _axon_type())
    electrode = sim.ExtracellularElectrode(position=(0, 0, 0), amplitude=-1e5)
    electrode.inject_into(axons[0:1])
    with pytest.raises(errors.InvalidParameterValueError, match="no activating function"):
        electrode.inject_into(sim.Assembly(axons[1:2], points))
    assert len(electrode._targets) == 1
    assert axons._parameters["field_electrode"][1] is None
    with pytest.raises(errors.InvalidParameterValueError, match="conductivity"):
        sim.ExtracellularElectrode(position=(0, 0, 0), sigma=0.0)
    with pytest.raises(errors.InvalidParameterValueError, match="leave location out"):
        electrode.inject_into(axons, location="axon")
    with pytest.raises(errors.InvalidParameterValueError, match="already has an electrode"):
        sim.ExtracellularElectrode(position=(0, 9, 0)).inject_into(axons[0:1])


def test_multicompartment_network_bitwise_on_1_2_3_devices(tmp_path):
    """The same multi-compartment network (random synapse places, a location_selector, an
    extracellular electrode, located DC and recordings) on 1, 2 and 3 simulated CPU devices
    (cells dealt round-robin): every spike time and recorded voltage bit for bit equal (the
    reference is the one-device run; a cell's arithmetic does not depend on where it runs)."""
    script = os.path.join(ROOT, "tests", "scripts", "mc_devices.py")
    runs = {}
    for d in (1, 2, 3):
        out = tmp_path / f"run{d}.npz"
        proc = subprocess.run([sys.executable, script, str(d), str(out)], capture_output=True,
                              text=True, timeout=900, env=dict(
                                  os.environ,
                                  XLA_FLAGS="--xla_force_host_platform_device_count=3"))
        assert proc.returncode == 0, proc.stderr[-3000:]
        runs[d] = np.load(out)
    ref = runs[1]
    assert sum(ref[k].size for k in ref.files if "." not in k) > 0      # some spikes
    assert any(np.ptp(ref[k]) > 5.0 for k in ref.files if k.endswith(".v"))
    for d in (2, 3):
        for k in ref.files:
            np.testing.assert_array_equal(runs[d][k], ref[k], err_msg=f"{k} on {d} devices")


@pytest.mark.neuron
@pytest.mark.slow
def test_compare_against_neuron_on_a_multicompartment_script(tmp_path):
    """``compare --against neuron`` on ``validation/scripts/ball_and_stick.py`` (hard
    ``import pyNN.neuron``; NEURON's exact hh rates): over 500 ms exact mode, every spike on
    the same step, soma and dendrite voltages within 2e-3 mV (reason: NEURON's float32 3-D
    points, ~5e-4 mV at the spike upstrokes; a step off would be tens of mV)."""
    pytest.importorskip("neuron", reason="NEURON (the [test] extra) is needed")
    from pynn_cbgtc_jax.compare import compare_script
    script = os.path.join(ROOT, "validation", "scripts", "ball_and_stick.py")
    tol = {"mode": "exact", "spike_step_match": 1.0,
           "signal_max": {"soma.v": 2e-3, "dendrite.v": 2e-3}}
    result = compare_script(script, ["--duration", "500"], against="neuron",
                            output=str(tmp_path / "500"), tolerances=tol, figures=False)
    assert result.passed, result.failed_checks
    assert result.reference == "NEURON" and result.mode == "exact"
    spikes = [c for c in result.checks if c.quantity.startswith("spikes on identical step")]
    assert spikes and all(c.measured == 1.0 for c in spikes)
    # issue 16's target: spike times within one dt of pyNN.neuron over 1 s (measured: 67 of
    # 67 spikes, one of them -- at 938.7 ms -- a step later, as NEURON's float32 geometry has
    # moved v by ~2e-3 mV by then)
    result = compare_script(script, ["--duration", "1000"], against="neuron",
                            output=str(tmp_path / "1000"), tolerances=tol, figures=False)
    sp = result.populations["cells"]["spikes"]
    assert sp["n"][0] == sp["n"][1] > 50
    assert np.abs(sp["time_diffs"]).max() <= 0.025 + 1e-9


def _stn_soma_type(dendrite=False):
    """A one-section soma of 10 000 um2 (the point STN cell's default area) with the Rubin &
    Terman STN channels; optionally a passive 300 x 1.5 um dendrite."""
    d = np.sqrt(10000.0 / np.pi)
    segments = [Segment(proximal=P(x=0, y=0, z=0, diameter=d), distal=P(x=d, y=0, z=0,
                                                                           diameter=d),
                        name="soma", id=0)]
    if dendrite:
        segments.append(Segment(proximal=P(x=d, y=0, z=0, diameter=1.5),
                                distal=P(x=d + 300, y=0, z=0, diameter=1.5),
                                name="dendrite", parent=segments[0], id=1))
    cell_class = sim.MultiCompartmentNeuron
    cell_class.ion_channels = {"stn": sim.STNChannelsRT2004, "pas": sim.PassiveLeak}
    cell_class.post_synaptic_entities = {}
    m = sim.morphology
    return cell_class(morphology=NeuroMLMorphology(Morphology(segments=segments)), cm=1.0,
                      Ra=150.0, stn={"conductance_density": m.uniform("soma", 1.0)},
                      pas={"conductance_density": m.uniform(m.dendrites(), 1e-4),
                           "e_rev": -60.0})


def _stn_spikes(dt, n_spikes=2):
    sim.setup(timestep=dt, precision="float64")
    mc = sim.Population(1, _stn_soma_type(), initial_values={"v": -60.0})
    point = sim.Population(1, sim.STN_RT2004(), initial_values={"v": -60.0})
    mc.record("spikes")
    point.record("spikes")
    sim.run(400.0)
    out = [np.asarray(p.get_data().segments[0].spiketrains[0])[:n_spikes] for p in (mc, point)]
    sim.end()
    return out


def test_stn_channels_on_one_compartment_converge_to_the_point_cell():
    """The Rubin & Terman STN channels as a density mechanism on a one-compartment cell (the
    cable's scheme: the current linearised around v^n, implicit voltage, states half a step
    later: first order) against ``STN_RT2004`` (RK4, 0.011 mV from a SciPy solve at dt 0.01):
    the pacemaker's second spike (~330 ms) is off by ~1.2 ms at dt 0.02 and the error halves
    with dt (measured ratio 2.3; allowed 1.6-2.6 for first order with the spike-time
    resolution of one step)."""
    errors_ = []
    for dt in (0.02, 0.01):
        mc, point = _stn_spikes(dt)
        assert mc.size == point.size == 2
        errors_.append(abs(mc[1] - point[1]))
    assert errors_[0] < 2.0
    assert 1.6 < errors_[0] / errors_[1] < 2.6


def test_stn_with_dendrite_keeps_its_rebound_burst(fresh):
    """The published STN behaviour (Rubin & Terman 2004, notes 2.6): after a hyperpolarising
    step the T current de-inactivates and the cell fires a rebound burst.  On a soma with a
    passive dendrite, a -2.5 nA step (-25 uA/cm2 on the soma's 10 000 um2) of 300 ms gives
    >= 3 spikes within 200 ms of its end, against <= 1 spike in the 200 ms before the step
    (spontaneous ~2.7 Hz); the STN state is recordable at the soma."""
    sim.setup(timestep=0.01)
    cells = sim.Population(1, _stn_soma_type(dendrite=True), initial_values={"v": -60.0})
    sim.DCSource(start=500.0, stop=800.0, amplitude=-2.5).inject_into(cells, location="soma")
    cells.record("spikes")
    cells.record(["v", "stn.ca"], locations="soma")
    sim.run(1000.0)
    seg = cells.get_data().segments[0]
    t = np.asarray(seg.spiketrains[0])
    assert np.sum((t >= 300) & (t < 500)) <= 1
    assert np.sum((t >= 800) & (t < 1000)) >= 3
    ca = np.asarray(seg.filter(name="soma.stn.ca")[0])[:, 0]
    assert ca.max() > ca[int(790 / 0.01)]          # the burst's calcium influx


def test_set_and_reset_do_not_recompile(fresh):
    """Numbers of a multi-compartment cell are traced data: a ``set()`` of a leak reversal
    potential and a ``reset()`` reuse the compiled program (``TRACE_COUNT`` unchanged), and the
    new value takes effect (a passive cell settles at its e_rev: the limit case of the leak)."""
    from pynn_cbgtc_jax.engine.runner import TRACE_COUNT
    cell_class = sim.MultiCompartmentNeuron
    cell_class.ion_channels = {"pas": sim.PassiveLeak}
    cell_class.post_synaptic_entities = {}
    ct = cell_class(morphology=_ball_and_stick(), cm=1.0, Ra=100.0,
                    pas={"conductance_density": sim.morphology.uniform("all", 1e-3),
                         "e_rev": -70.0})
    cells = sim.Population(2, ct, initial_values={"v": -65.0})
    cells.record("v")
    sim.run(50.0)
    traces = TRACE_COUNT["chunk"]
    cells.set(**{"pas.e_rev": -50.0})
    sim.reset()
    sim.run(50.0)
    assert TRACE_COUNT["chunk"] == traces
    v = np.asarray(cells.get_data().segments[-1].filter(name="soma.v")[0])
    assert abs(v[-1, 0] - (-50.0)) < 0.5          # tau = cm / g = 1 ms: settled by 50 ms


def test_ensemble_members_equal_their_single_runs():
    """An ensemble of multi-compartment networks (the DC amplitude a Batch of three values)
    against the three networks run one by one: every member's spike times and soma voltage
    bit for bit those of its single run (reference: the single runs; the members are folded
    into the cells, whose arithmetic does not depend on their neighbours)."""
    amps = (0.05, 0.12, 0.2)

    def build(amplitude):
        sim.setup(timestep=0.025, precision="float64")
        cells = sim.Population(2, _cell_type(), initial_values={"v": -65.0})
        sim.DCSource(start=10, stop=90, amplitude=amplitude).inject_into(cells,
                                                                         location="soma")
        cells.record("spikes")
        cells.record("v")
        sim.run(100.0)
        return cells

    def data(cells, member=None):
        seg = cells.get_data(**({} if member is None else {"member": member})).segments[0]
        return ([np.asarray(st) for st in seg.spiketrains],
                np.asarray(seg.filter(name="soma.v")[0]))

    singles = []
    for amp in amps:
        singles.append(data(build(amp)))
        sim.end()
    cells = build(sim.Batch(list(amps)))
    try:
        assert sum(len(t) for t in singles[-1][0]) > sum(len(t) for t in singles[0][0])
        for m, (trains, v) in enumerate(singles):
            got_trains, got_v = data(cells, m)
            for a, b in zip(got_trains, trains):
                np.testing.assert_array_equal(a, b)
            np.testing.assert_array_equal(got_v, v)
    finally:
        sim.end()
        sim.MultiCompartmentNeuron.post_synaptic_entities = {}


def test_stn_channels_refuse_a_time_step_beyond_their_limit():
    """dt above the STN mechanism's validated 0.02 ms is refused at Population creation,
    before anything is compiled (at 0.025 ms a soma with a dendrite diverged at its first
    spike: the linearised I_Na's negative slope exceeds cm/dt)."""
    sim.setup(timestep=0.025)
    try:
        with pytest.raises(errors.InvalidParameterValueError, match="0.02"):
            sim.Population(1, _stn_soma_type(dendrite=True))
    finally:
        sim.end()
        sim.MultiCompartmentNeuron.post_synaptic_entities = {}


def test_checkpoint_continues_a_multicompartment_network_bit_for_bit(tmp_path):
    """``checkpoint()`` after 200 ms, ``restore()`` into a rebuilt network: the next 200 ms
    equal the uninterrupted run's bit for bit (reference: the uninterrupted run), density
    mechanism states included."""
    def build():
        sim.setup(timestep=0.02, precision="float64")
        cells = sim.Population(2, _stn_soma_type(dendrite=True), initial_values={"v": -60.0},
                               label="stn")
        cells.record("v")
        return cells

    path = str(tmp_path / "mc.ckpt")
    try:
        cells = build()
        sim.run(200.0)
        sim.checkpoint(path)
        sim.run(200.0)
        ref = np.asarray(cells.get_data().segments[0].filter(name="soma.v")[0])[-5000:]
        sim.end()
        cells = build()
        sim.restore(path)
        sim.run(200.0)
        got = np.asarray(cells.get_data().segments[0].filter(name="soma.v")[0])[-5000:]
        np.testing.assert_array_equal(got, ref)
        assert np.ptp(ref) > 50.0                      # it fired in the window
    finally:
        sim.end()
        sim.MultiCompartmentNeuron.post_synaptic_entities = {}


def test_bad_places_and_densities_are_refused():
    """Negative densities (of a channel, of a mechanism's scale, of synapses), distances
    outside 0..1 and a centre() of nothing: pyNN errors naming the value, not a silent clip
    or an IndexError."""
    from pynn_cbgtc_jax.morphology import locations
    m = sim.morphology
    sections = cell_sections(_ball_and_stick())
    with pytest.raises(errors.InvalidParameterValueError, match="0 <= d <= 1"):
        locations(m.at_distances("dendrite", [1.5]), sections)
    with pytest.raises(errors.InvalidParameterValueError, match="selects no section"):
        locations(m.centre(m.axon()), sections)
    with pytest.raises(errors.InvalidParameterValueError, match="negative density"):
        locations(m.random_placement(m.uniform("all", -0.1)), sections)
    for kind in ("leak", "stn_rt2004"):
        with pytest.raises(errors.InvalidParameterValueError, match="negative"):
            cell_layout(_ball_and_stick(), 1.0, 100.0, None,
                        {"x": (kind, m.uniform("soma", -1.0), -65.0)}, {})


def test_a_field_confined_to_a_collateral_drives_its_junction(fresh):
    """``ExtracellularElectrode(sections="collateral")``, Fleming et al. 2020's set-up: the
    outside potential phi = I / (4 pi sigma r) at the collateral's segment centres only, 0 at
    every other node (the junction with the main axon and the collateral's end included).
    Reference: the activating function a_i = sum_j g_ij (phi_j - phi_i) written here from the
    tree (exact up to rounding): nothing away from the collateral, the junction node receives
    g phi of the collateral's first centre (the jump that dominates Fleming's drive), and the
    currents sum to 0 over the cell."""
    from pynn_cbgtc_jax.compiler import cable_tree
    sim.setup(timestep=0.025, precision="float64")
    axon = Segment(proximal=P(x=0, y=0, z=0, diameter=1.2), distal=P(x=1000, y=0, z=0,
                                                                       diameter=1.2),
                   name="axon", id=0)
    collateral = Segment(proximal=P(x=1000, y=0, z=0, diameter=0.5),
                         distal=P(x=1000, y=0, z=500, diameter=0.5), name="collateral",
                         parent=SegmentParent(segments=0), id=1)
    cell_class = sim.MultiCompartmentNeuron
    cell_class.ion_channels = {"leak": sim.PassiveLeak}
    cell_class.post_synaptic_entities = {}
    ct = cell_class(morphology=NeuroMLMorphology(Morphology(segments=(axon, collateral))),
                    cm=1.0, Ra=150.0,
                    leak={"conductance_density": sim.morphology.uniform("all", 1e-4),
                          "e_rev": -70.0})
    cells = sim.Population(1, ct)
    electrode = sim.ExtracellularElectrode(position=(1500.0, 0.0, 250.0), sections="collateral")
    electrode.inject_into(cells)
    sim.run(0.1)
    lay = ct._type_layout
    a = electrode.weights(lay, np.zeros(3))
    k = [s.name for s in lay.sections].index("collateral")
    tree, centres = lay.tree, lay.tree.centres[k]
    first = [np.asarray(s.proximal, float) for s in lay.sections]
    last = [np.asarray(s.distal, float) for s in lay.sections]
    pos = cable_tree.node_positions(tree, first, last)
    phi = np.zeros(tree.parent.size)
    phi[centres] = 1.0 / (4 * np.pi * 0.27 * np.linalg.norm(pos[centres] - (1500, 0, 250), axis=1))
    expected = np.zeros_like(phi)
    for child in range(1, tree.parent.size):
        flow = tree.g_axial[child] * (phi[tree.parent[child]] - phi[child])
        expected[child] += flow
        expected[tree.parent[child]] -= flow
    np.testing.assert_allclose(a, expected, rtol=1e-12, atol=1e-18)
    junction = tree.starts[k]
    assert a[junction] == pytest.approx(tree.g_axial[centres[0]] * phi[centres[0]], rel=1e-12)
    touched = set(centres) | {junction, tree.ends[k]}
    assert all(a[i] == 0 for i in range(tree.parent.size) if i not in touched)
    assert abs(a.sum()) <= 1e-12 * np.abs(a).max()
    with pytest.raises(errors.InvalidParameterValueError, match="no section"):
        sim.ExtracellularElectrode(sections="dendrite").weights(lay, np.zeros(3))


def _two_node_axon(**declared):
    """A soma and an axon of two sections both labelled ``node`` (hh.mod everywhere), as a
    cell type with the detectors ``declared`` (``spike_source``, ``spike_detectors``)."""
    soma = Segment(proximal=P(x=0, y=0, z=0, diameter=20.0),
                   distal=P(x=20, y=0, z=0, diameter=20.0), name="soma", id=0)
    near = Segment(proximal=P(x=20, y=0, z=0, diameter=1.0),
                   distal=P(x=420, y=0, z=0, diameter=1.0), name="node", parent=soma, id=1)
    far = Segment(proximal=P(x=420, y=0, z=0, diameter=1.0),
                  distal=P(x=820, y=0, z=0, diameter=1.0), name="node", parent=near, id=2)
    cell_class = type("TwoNodeAxon", (sim.MultiCompartmentNeuron,), {
        "ion_channels": {"leak": sim.PassiveLeakHH, "na": sim.NaChannel,
                         "kdr": sim.KdrChannel},
        "post_synaptic_entities": {}, **declared})
    return cell_class(morphology=NeuroMLMorphology(Morphology(segments=(soma, near, far))),
                      cm=1.0, Ra=100.0,
                      leak={"conductance_density": sim.morphology.uniform("all", 3e-4),
                            "e_rev": -54.3},
                      na={"conductance_density": sim.morphology.uniform("all", 0.12)},
                      kdr={"conductance_density": sim.morphology.uniform("all", 0.036)},
                      ionic_species={"na": IonicSpecies("na", reversal_potential=50.0),
                                     "k": IonicSpecies("k", reversal_potential=-77.0)})


def _arrivals(gsyn, weight, dt):
    """Times (ms) at which a recorded conductance jumps by a synaptic weight."""
    return (np.flatnonzero(np.diff(gsyn) > weight / 2) + 1) * dt


def test_a_projection_reads_the_spike_detector_its_source_names(fresh):
    """``Projection(..., source=name)`` delivers the spikes of the cell type's detector
    ``name`` (``spike_detectors``: a section, ``(label, k)`` for the k-th of a label, and a
    threshold).  Reference: the same cell type whose *own* spike source sits at that place
    (recorded spikes, the definition of a detector): the events a detector at the far node
    (+10 mV) delivers arrive at its spike times + the delay, every one; the cell's own source
    (the soma) delivers earlier by the conduction time, so a source that were ignored fails.
    A -10 mV detector at the same node fires as often, earlier in each upstroke.  Spike times
    are on the step grid: equal within half a step."""
    dt, weight, delay = 0.01, 0.01, 0.5
    sim.setup(timestep=dt)
    detecting = _two_node_axon(spike_detectors={"far": (("node", 1), 10.0),
                                                "far_low": (("node", 1), -10.0)})
    reference = _two_node_axon(spike_source=("node", 1))
    a = sim.Population(1, detecting, initial_values={"v": -65.0})
    b = sim.Population(1, reference, initial_values={"v": -65.0})
    for cells in (a, b):
        sim.DCSource(amplitude=0.5, start=2.0).inject_into(cells, location="soma")
    targets = sim.Population(3, sim.IF_cond_exp(tau_syn_E=0.05))
    for k, source in enumerate(("far", None, "far_low")):
        sim.Projection(a, targets[k:k + 1], sim.AllToAllConnector(),
                       sim.StaticSynapse(weight=weight, delay=delay), source=source)
    # plastic synapses keep spike histories sized as the spike vector, detectors included
    sim.Projection(targets, targets, sim.AllToAllConnector(allow_self_connections=False),
                   sim.STDPMechanism(weight=1e-6, timing_dependence=sim.SpikePairRule(),
                                     weight_dependence=sim.AdditiveWeightDependence()))
    a.record("spikes")
    b.record("spikes")
    targets.record("gsyn_exc")
    sim.run(60.0)
    g = np.asarray(targets.get_data().segments[0].filter(name="gsyn_exc")[0])
    far, own, low = (_arrivals(g[:, k], weight, dt) for k in range(3))
    expected = np.asarray(b.get_data().segments[0].spiketrains[0]) + delay
    assert len(expected) >= 3
    np.testing.assert_allclose(far, expected, atol=dt / 2)
    soma = np.asarray(a.get_data().segments[0].spiketrains[0]) + delay
    np.testing.assert_allclose(own, soma, atol=dt / 2)
    assert np.all(own < far - 10 * dt)                       # conduction takes time
    assert len(low) == len(far) and np.all(low < far) and np.all(low > own)


def test_unknown_spike_sources_are_refused(fresh):
    """A source no detector of the presynaptic cell type declares, a source on a point neuron
    (PyNN: one spike source, the default) and a detector past its label's sections are each
    refused with the allowed values, before anything runs."""
    sim.setup(timestep=0.01)
    cells = sim.Population(1, _two_node_axon(spike_detectors={"far": (("node", 1), 10.0)}))
    points = sim.Population(1, sim.IF_cond_exp())
    with pytest.raises(errors.InvalidParameterValueError, match="'far'"):
        sim.Projection(cells, points, sim.AllToAllConnector(), source="axon")
    with pytest.raises(errors.InvalidParameterValueError, match="single spike source"):
        sim.Projection(points, points, sim.AllToAllConnector(), source="far")
    beyond = _two_node_axon(spike_detectors={"third": (("node", 2), 10.0)})
    with pytest.raises(errors.InvalidParameterValueError, match="2 section"):
        sim.Population(1, beyond)
        sim.run(0.1)


def test_fixed_segment_numbers_replace_the_d_lambda_rule():
    """``nseg = {label: n}`` (a published model's fixed segments) gives each section of the
    label ``n`` nodes (reference: the count itself), the other labels keep d_lambda's (1 for
    the soma, 29 for the dendrite: the layout test above); unknown labels and numbers below 1
    are refused with the labels there are."""
    channels = {"pas": ("leak", sim.morphology.uniform("all", 0.0003), -54.3)}
    lay = cell_layout(_ball_and_stick(), 1.0, 500.0, None, channels, {}, nseg={"dendrite": 7})
    assert [len(c) for c in lay.tree.centres] == [1, 7]
    for bad in ({"axon": 3}, {"dendrite": 0}, {"dendrite": 2.5}):
        with pytest.raises(errors.InvalidParameterValueError, match="dendrite"):
            cell_layout(_ball_and_stick(), 1.0, 500.0, None, channels, {}, nseg=bad)


def test_electrode_parameters_set_after_creation_act_as_given_at_creation(fresh):
    """``electrode.amplitude = a`` and ``electrode.sigma = s`` (PyNN's attribute access; it
    raised a KeyError inside PyNN's translation check) give, bit for bit, the run of an
    electrode created with those values (the reference), and differ from the values first
    given (the change acts)."""
    def run(set_after):
        sim.setup(timestep=0.025)
        axons = sim.Population(1, _axon_type(), initial_values={"v": -65.0})
        axons.positions = np.array([[0.0], [100.0], [0.0]])
        given = dict(amplitude=-5e4, sigma=0.27) if set_after else dict(amplitude=-2e5,
                                                                          sigma=0.5)
        electrode = sim.ExtracellularElectrode(position=(0.0, 0.0, 0.0), frequency=130.0,
                                               pulse_width=0.1, start=1.0, **given)
        if set_after:
            electrode.amplitude = -2e5
            electrode.sigma = 0.5
            assert electrode.amplitude == -2e5 and electrode.sigma == 0.5
        electrode.inject_into(axons)
        axons.record("v", locations=sim.morphology.at_distances("axon", [0.5]))
        sim.run(20.0)
        return np.asarray(axons.get_data().segments[0].analogsignals[0])
    np.testing.assert_array_equal(run(True), run(False))
    sim.setup(timestep=0.025)
    untouched = sim.ExtracellularElectrode(position=(0.0, 0.0, 0.0), amplitude=-5e4)
    assert untouched.amplitude == -5e4
