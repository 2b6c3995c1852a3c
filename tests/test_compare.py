"""Cross-simulator comparison (issue 5): metrics, tolerances, and the fast validation subset.

Tiers: unit tests of the metrics on hand-made spike trains (the expected numbers follow from
the definitions in ``compare/metrics.py``), tolerance files, ``compare_recordings`` on
synthetic Neo blocks, then (marked ``nest``) the CI subset of ``validation/run_all.py``: single
neurons against pyNN.nest in float64 with the targets of ``validation/tolerances.toml``, and a
statistical comparison of a Poisson-driven population over two seeds.
"""
import importlib.util
import json
import os

import neo
import numpy as np
import pytest
import quantities as pq

from pynn_cbgtc_jax.compare import Tolerances, compare_recordings, compare_script, load_tolerances
from pynn_cbgtc_jax.compare import metrics, statistics

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPTS = os.path.join(ROOT, "tests", "scripts")


def _run_all():
    spec = importlib.util.spec_from_file_location(
        "validation_run_all", os.path.join(ROOT, "validation", "run_all.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- metrics ------------------------------------------------------------------------------------

def test_spike_step_match_counts_missing_and_extra_spikes():
    ref = [np.array([1.0, 2.0, 3.0]), np.array([5.0])]
    test = [np.array([1.0, 2.1, 3.0, 4.0]), np.array([])]
    m = metrics.spike_step_match(ref, test, dt=0.1)
    # cell 0: steps 10, 30 match (20 vs 21 does not), total = max(3, 4); cell 1: 0 of 1
    assert (m.matched, m.total) == (2, 5)
    assert m.fraction == pytest.approx(0.4)
    assert metrics.spike_step_match([np.array([])], [np.array([])], 0.1).fraction == 1.0


def test_spike_step_match_is_a_multiset_intersection():
    # two spikes on one step (a Poisson multiplicity) match only two spikes on that step
    m = metrics.spike_step_match([np.array([1.0, 1.0])], [np.array([1.0])], 0.1)
    assert (m.matched, m.total) == (1, 2)


def test_spike_time_differences_nearest_within_window():
    d = metrics.spike_time_differences([np.array([10.0, 20.0, 50.0])],
                                       [np.array([10.2, 19.9, 80.0])], window=5.0)
    np.testing.assert_allclose(np.sort(d), [-0.1, 0.2], atol=1e-12)


def test_per_cell_measures_of_known_trains():
    """References: closed forms.  Regular trains: 100 Hz, CV = LV = 0.  Poisson trains
    (exponential ISIs): CV = 1 and LV = 1 (Shinomoto et al. 2003) within the sampling error of
    2000 ISIs a cell (s.d. ~0.03).  Identical trains correlate with r = 1, independent ones
    with |r| < 0.05 (s.d. of r over 20,000 5 ms bins ~0.007)."""
    regular = [np.arange(0.0, 1000.0, 10.0)] * 3
    m = statistics.per_cell_measures(regular, 0.0, 1000.0)
    np.testing.assert_allclose(m["rate"], 100.0)
    np.testing.assert_allclose(np.r_[m["cv"], m["lv"]], 0.0, atol=1e-12)
    rng = np.random.default_rng(0)
    poisson = [np.sort(rng.uniform(0, 100_000.0, 2000)) for _ in range(5)]
    m = statistics.per_cell_measures(poisson, 0.0, 100_000.0)
    assert m["cv"].mean() == pytest.approx(1.0, abs=0.05)
    assert m["lv"].mean() == pytest.approx(1.0, abs=0.05)
    assert np.all(np.abs(m["corr"]) < 0.05) and len(m["corr"]) == 10
    same = statistics.per_cell_measures([poisson[0]] * 3, 0.0, 100_000.0)
    np.testing.assert_allclose(same["corr"], 1.0)
    # a window: only spikes in [t_from, t_to) count, the rate is over the window
    m = statistics.per_cell_measures(regular, 500.0, 1000.0)
    np.testing.assert_allclose(m["rate"], 100.0)


def test_population_psd_peaks_at_the_modulation_frequency():
    rng = np.random.default_rng(1)
    t = np.arange(0, 4000.0, 0.1)
    p = 0.002 * (1 + np.sin(2 * np.pi * 40.0 * t / 1000.0))        # 20 Hz mean, 40 Hz wave
    trains = [t[rng.random(t.size) < p] for _ in range(100)]
    f, psd = statistics.population_psd(trains, 0.0, 4000.0)
    band = (f > 5) & (f < 200)
    assert abs(f[band][np.argmax(psd[band])] - 40.0) < 4.0           # 1000/256 Hz resolution


def test_compare_samples_cohen_d_and_ks():
    """Reference: closed forms.  Two samples {0, 2} and {2, 4} (+-1 around means 1 and 3, each
    of sample variance 2): pooled s = sqrt(2), d = 2 / sqrt(2); the KS statistic is the largest
    gap of the two empirical CDFs, 1/2 (at x = 0 and at x = 2)."""
    t = statistics.compare_samples(np.array([0.0, 2.0]), np.array([2.0, 4.0]))
    assert t.cohen_d == pytest.approx(2.0 / np.sqrt(2.0))
    assert t.ks_d == pytest.approx(0.5)
    assert t.mean == (1.0, 3.0) and t.n == (2, 2)


def test_seed_yardstick_separates_a_shift_from_seed_noise():
    """Reference: the definition.  Five seeds of 200 gamma-distributed values per simulator:
    from one distribution the mean cross-simulator KS D stays below the largest same-simulator
    one; shifted by 30 % (KS D ~0.3 between the distributions, seed noise ~0.1) it exceeds it."""
    rng = np.random.default_rng(3)
    ref = [rng.gamma(4.0, 1.0, 200) for _ in range(5)]
    same = [rng.gamma(4.0, 1.0, 200) for _ in range(5)]
    between, within = statistics.seed_yardstick(ref, same)
    assert between <= within
    between, within = statistics.seed_yardstick(ref, [1.3 * x for x in same])
    assert between > within


def test_statistical_comparison_catches_a_distribution_the_means_hide():
    """Reference: the definitions.  NEST's 200 cells all fire at 20 Hz; ours half at 10 Hz and
    half at 30 Hz: the same mean rate (the rate check passes) but a bimodal distribution over
    cells (KS D = 1, p ~ 0), which the distribution check must report as a failure."""
    rng = np.random.default_rng(5)

    def cell(rate):
        return np.sort(rng.uniform(0, 2000.0, int(rate * 2)))

    ref = {"p": _block("p", "NEST", [cell(20) for _ in range(200)], t_stop=2000.0)}
    test = {"p": _block("p", "pynn_cbgtc_jax", [cell(10 if i % 2 else 30) for i in range(200)],
                        t_stop=2000.0)}
    result = compare_recordings([(ref, test)], Tolerances(mode="statistical"), "statistical")
    failed = [c.quantity for c in result.failed_checks]
    assert "firing rate (Hz) over cells, KS p" in failed
    assert "rate rel. diff" not in failed
    alike = {"p": _block("p", "pynn_cbgtc_jax", [cell(20) for _ in range(200)], t_stop=2000.0)}
    result = compare_recordings([(ref, alike)], Tolerances(mode="statistical"), "statistical")
    assert result.passed, [c for c in result.checks if c.passed is False]


def test_signal_differences_leave_out_masked_samples():
    times = np.arange(0, 10.0, 0.1)
    ref = np.zeros((100, 1))
    test = ref.copy()
    test[49, 0] = 5.0                                 # a difference just before a spike at 5 ms
    test[80, 0] = 0.01
    mask = metrics.spike_mask(times, [[np.array([5.0])], [np.array([])]], 0.1, 1.0, 0.0)
    d = metrics.signal_differences(ref, test, mask)
    assert d.max_abs == 5.0 and d.max_abs_between == pytest.approx(0.01)
    assert d.rms == pytest.approx(np.sqrt((25 + 1e-4) / 100))


# --- tolerances ---------------------------------------------------------------------------------

def test_tolerances_from_toml_json_and_overrides(tmp_path):
    toml = tmp_path / "t.toml"
    toml.write_text('mode = "statistical"\nrate_rel = 0.05\n[signal_max]\nw = 0.001\n'
                    '[populations.gpe]\ncv_rel = 0.2\n')
    tol = load_tolerances(toml, rate_rel=0.04)
    assert tol.mode == "statistical" and tol.rate_rel == 0.04
    assert tol.signal_max == {"w": 0.001}
    assert tol.for_population("gpe").cv_rel == 0.2
    assert tol.for_population("gpe#2").cv_rel == 0.2 and tol.for_population("stn").cv_rel == 0.05
    js = tmp_path / "t.json"
    js.write_text(json.dumps({"spike_step_match": 1.0}))
    assert load_tolerances(js).spike_step_match == 1.0
    assert load_tolerances(None, signal_max={"gsyn_exc": 1e-6}).signal_max == {
        "v": 0.1, "gsyn_exc": 1e-6}


def test_tolerance_errors_name_the_key(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("rate_tolerance = 0.03\n")
    with pytest.raises(ValueError, match="rate_tolerance"):
        load_tolerances(bad)
    with pytest.raises(ValueError, match="mode"):
        Tolerances(mode="roughly")
    with pytest.raises(ValueError, match="rate_rel"):
        Tolerances(rate_rel=-1)


def test_validation_table_has_a_reason_for_every_value():
    table = _run_all().load_table()
    for name in _run_all().CELL_TYPES:
        tol, reasons = table[f"single.{name}"]
        assert {"spike_step_match", "signal_max", "mask_before_ms"} <= set(reasons)
        assert all(len(r) > 20 for r in reasons.values())
    tol, reasons = table["network"]
    assert tol.mode == "statistical" and {"rate_rel", "cv_rel"} <= set(reasons)
    tol, reasons = table["network.coba"]
    assert tol.sustained_only and tol.rate_rel == table["network"][0].rate_rel
    assert {"sustained_only", "survival_p"} <= set(reasons)


# --- compare_recordings on synthetic blocks -----------------------------------------------------

def _block(label, simulator, trains, v=None, t_stop=100.0):
    seg = neo.Segment(name="segment000")
    for i, t in enumerate(trains):
        st = neo.SpikeTrain(np.asarray(t) * pq.ms, t_start=0 * pq.ms, t_stop=t_stop * pq.ms)
        st.annotate(source_index=i)
        seg.spiketrains.append(st)
    if v is not None:
        sig = neo.AnalogSignal(v, units="mV", sampling_period=0.1 * pq.ms, name="v",
                               array_annotations={"channel_index": np.arange(v.shape[1])})
        seg.analogsignals.append(sig)
    block = neo.Block(name=label)
    block.segments.append(seg)
    block.annotate(simulator=simulator, dt=0.1, size=len(trains), label=label)
    return block


def test_compare_recordings_exact_pass_fail_and_missing():
    v = np.linspace(-65, -55, 1001)[:, None] * np.ones((1, 2))
    ref = {"exc": _block("exc", "NEST", [[10.0, 20.0], [30.0]], v)}
    same = {"exc": _block("exc", "pynn_cbgtc_jax", [[10.0, 20.0], [30.0]], v + 1e-3)}
    result = compare_recordings([(ref, same)], Tolerances())
    assert result.passed and result.mode == "exact"
    shifted = {"exc": _block("exc", "pynn_cbgtc_jax", [[10.1, 20.0], [30.0]], v + 0.5),
               "inh": _block("inh", "pynn_cbgtc_jax", [[1.0]])}
    result = compare_recordings([(ref, shifted)], Tolerances())
    assert not result.passed
    failed = {(c.population, c.quantity) for c in result.failed_checks}
    # v differs by 0.5 mV before the first shifted spike (10.0 vs 10.1 ms): not a divergence
    # of chaotic dynamics, so the whole run is judged exactly, and the check that says so
    # names the population
    assert failed == {("exc", "spikes on identical step"),
                      ("exc", "v max abs diff between spikes"),
                      ("exc", "v max abs diff between spikes before divergence"),
                      ("inh", "recorded in both runs")}
    assert not result.split and result.t_div == pytest.approx(10.0)


def test_compare_recordings_statistical_uses_relative_rates():
    rng = np.random.default_rng(2)
    trains = [np.sort(rng.uniform(0, 100.0, 20)) for _ in range(50)]
    other = [np.sort(rng.uniform(0, 100.0, 20)) for _ in range(50)]
    ref = {"p": _block("p", "NEST", trains)}
    test = {"p": _block("p", "pynn_cbgtc_jax", other)}
    result = compare_recordings([(ref, test)], Tolerances(mode="statistical"), "statistical")
    assert result.passed                              # same rate, different spikes
    fewer = {"p": _block("p", "pynn_cbgtc_jax", [t[:18] for t in other])}   # -10 %
    result = compare_recordings([(ref, fewer)], Tolerances(), "statistical")
    # every cell 20 -> 18 spikes: the mean and the distribution over cells (D = 1) both differ;
    # dropping each cell's last spikes also leaves the cells silent together at the end, which
    # correlates their counts (mean r 0.0005 -> 0.056, d = 0.25)
    assert [c.quantity for c in result.failed_checks] == [
        "rate rel. diff", "firing rate (Hz) over cells, KS p",
        "pairwise correlation over cells, KS p"]


def test_compare_recordings_sustained_only_compares_active_runs():
    """Reference: the definitions.  NEST keeps its activity to the end in 4 of 5 runs (one
    falls silent at 50 ms), ours in 5 of 5 at the same rate: over all runs the rates differ by
    ~10 % (beyond 3 %, but all of it from one seed: not resolved), over the runs active to the end
    they are equal, and 4/5 vs 5/5 is
    no evidence of a difference (Fisher p = 1)."""
    rng = np.random.default_rng(4)

    def trains(stop):
        return [np.sort(rng.uniform(0, stop, int(20 * stop / 100))) for _ in range(40)]

    seeds = [({"p": _block("p", "NEST", trains(50.0 if k == 0 else 100.0))},
              {"p": _block("p", "pynn_cbgtc_jax", trains(100.0))}) for k in range(5)]
    plain = compare_recordings(seeds, Tolerances(mode="statistical"), "statistical")
    # over all runs: 10 % off, but carried by one seed of five, so not resolved either way
    rate = next(c for c in plain.checks if c.quantity == "rate rel. diff")
    assert rate.measured > 0.03 and rate.passed is None
    tol = Tolerances(mode="statistical", sustained_only=True)
    result = compare_recordings(seeds, tol, "statistical")
    sp = result.populations["p"]["spikes"]
    assert sp["active_to_end"] == [4, 5]
    assert abs(sp["rate"][0] - sp["rate"][1]) / sp["rate"][0] < 0.03
    fisher = next(c for c in result.checks if c.quantity.startswith("runs active"))
    assert fisher.measured == 1.0 and fisher.passed
    assert result.passed
    # every NEST run dies: 0/5 vs 5/5, p = 0.008 < 0.01
    dead = [({"p": _block("p", "NEST", trains(50.0))}, test) for _, test in seeds]
    result = compare_recordings(dead, tol, "statistical")
    assert ("p", "runs active to the end, Fisher p") in {
        (c.population, c.quantity) for c in result.failed_checks}


# --- divergence (issue 12 item 1) ---------------------------------------------------------------

def test_divergence_finder_identical_trains_do_not_diverge():
    trains = [np.array([1.0, 2.0, 3.0]), np.array([]), np.array([0.5])]
    assert metrics.first_spike_divergence(trains, [t.copy() for t in trains], 0.1) is None


def test_divergence_finder_extra_missing_and_shifted_spikes():
    """Reference: the definition (first step of one run not on the same step in the other,
    per cell; the earliest over cells)."""
    d = metrics.first_spike_divergence([np.array([10.0, 20.0])],
                                       [np.array([10.0, 15.0, 20.0])], 0.1)
    assert (d.t, d.cell, d.kind, d.ref, d.test) == (15.0, 0, "spike in ours only", 20.0, 15.0)
    d = metrics.first_spike_divergence([np.array([10.0, 20.0, 30.0])],
                                       [np.array([10.0, 20.0])], 0.1)
    assert (d.t, d.kind, d.ref) == (30.0, "spike in reference only", 30.0) and np.isnan(d.test)
    # a one-step shift: the earlier of the two spikes starts it
    d = metrics.first_spike_divergence([np.array([10.0, 20.0])], [np.array([10.0, 20.1])], 0.1)
    assert (d.t, d.kind, d.ref, d.test) == (20.0, "spike in reference only", 20.0, 20.1)
    # over cells the earliest event wins, reported with the population index of its cell
    d = metrics.first_spike_divergence(
        [np.array([5.0, 40.0]), np.array([7.0, 9.0])],
        [np.array([5.0, 41.0]), np.array([7.0, 9.3])], 0.1, cells=[3, 8])
    assert (d.t, d.cell) == (9.0, 8)
    # times that differ by less than half a step are on the same step
    assert metrics.first_spike_divergence([np.array([1.0])], [np.array([1.00001])], 0.1) is None


def test_signal_divergence_skips_masked_samples():
    times = np.arange(0, 10.0, 0.1)
    ref = np.zeros((100, 2))
    test = ref.copy()
    test[49, 1] = 5.0                      # just before a spike at 5 ms: masked
    test[70, 0] = 0.3
    mask = metrics.spike_mask(times, [[np.array([]), np.array([5.0])],
                                      [np.array([]), np.array([])]], 0.1, 1.0, 0.0)
    d = metrics.first_signal_divergence(times, ref, test, 0.1, mask, cells=[10, 11])
    assert (d.t, d.cell, d.ref, d.test) == (pytest.approx(7.0), 10, 0.0, 0.3)
    assert metrics.first_signal_divergence(times, ref, test, 0.1, None).t == pytest.approx(4.9)


def _diverging_pair(after_scale=1.0, n_after=8):
    """50 cells, identical spikes before 50 ms; after it ours has NEST's trains of other cells
    (the same spikes, so the same rate and CV), thinned to ``after_scale``."""
    rng = np.random.default_rng(5)
    before = [np.round(np.sort(rng.uniform(1.0, 49.0, 4)), 1) for _ in range(50)]
    after = [np.round(np.sort(rng.uniform(50.0, 99.0, n_after)), 1) for _ in range(50)]
    mixed = after[1:] + after[:1]
    ref = [np.concatenate([b, a]) for b, a in zip(before, after)]
    test = [np.concatenate([b, a[:int(round(after_scale * len(a)))]])
            for b, a in zip(before, mixed)]
    return ({"net": _block("net", "NEST", ref)}, {"net": _block("net", "pynn_cbgtc_jax", test)})


def test_diverging_network_is_exact_before_and_statistical_after():
    ref, test = _diverging_pair()
    result = compare_recordings([(ref, test)], Tolerances())
    assert result.split and result.passed and result.mode == "exact"
    event = result.divergence["seeds"][0]["event"]
    assert event["population"] == "net" and result.t_div == event["t"] >= 50.0
    quantities = {c.quantity: c for c in result.checks if c.population == "net"}
    assert quantities["spikes on identical step before divergence"].detail == "200 of 200"
    assert quantities["rate rel. diff after divergence"].measured == pytest.approx(0.0, abs=0.01)
    assert "round-off" in result.divergence["note"]
    # 25 % fewer spikes after the divergence: a rate difference, named with its population
    ref, test = _diverging_pair(after_scale=0.75)
    result = compare_recordings([(ref, test)], Tolerances())
    assert result.split and not result.passed
    assert ("net", "rate rel. diff after divergence") in {
        (c.population, c.quantity) for c in result.failed_checks}


def test_too_few_spikes_after_divergence_is_not_informative():
    ref, test = _diverging_pair(n_after=0)               # no spike after 50 ms ...
    first = ref["net"].segments[0].spiketrains[0].magnitude
    test["net"].segments[0].spiketrains[0] = neo.SpikeTrain(   # ... but one in our cell 0
        np.append(first, 60.0) * pq.ms, t_start=0 * pq.ms, t_stop=100.0 * pq.ms,
        source_index=0)
    # 200 of 201 spikes on the same step: a failure only when every spike must match
    result = compare_recordings([(ref, test)], Tolerances(spike_step_match=1.0))
    assert result.t_div == pytest.approx(60.0)
    after = [c for c in result.checks if c.quantity.endswith("after divergence")
             and c.population == "net"]
    assert after and all(c.passed is None and "not informative" in c.detail for c in after)
    # nothing could be judged statistically: the whole-run exact verdict (a FAIL) stands
    assert not result.split and "too few spikes" in result.divergence["why"]
    judged = next(c for c in result.checks if c.population == "(all)")
    assert judged.passed is False and not result.passed
    assert ("net", "spikes on identical step") in {
        (c.population, c.quantity) for c in result.failed_checks}


def test_no_divergence_is_judged_exactly_as_before():
    v = np.linspace(-65, -55, 1001)[:, None] * np.ones((1, 2))
    ref = {"exc": _block("exc", "NEST", [[10.0, 20.0], [30.0]], v)}
    same = {"exc": _block("exc", "pynn_cbgtc_jax", [[10.0, 20.0], [30.0]], v + 0.5)}
    result = compare_recordings([(ref, same)], Tolerances())
    assert result.t_div is None and not result.split
    assert [c.quantity for c in result.failed_checks] == ["v max abs diff between spikes"]


# --- capture ------------------------------------------------------------------------------------

def test_capture_keeps_every_simulation_and_population(tmp_path):
    """Without any get_data() call, both simulations and both same-label populations are
    captured, under distinct keys, with all their recorded variables."""
    import pickle
    import subprocess
    import sys
    proc = subprocess.run([sys.executable, "-m", "pynn_cbgtc_jax.compare.capture", "--backend",
                           "cbgtc_jax", "--out", str(tmp_path),
                           os.path.join(SCRIPTS, "two_setups.py"), "cbgtc_jax"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    with open(tmp_path / "blocks.pkl", "rb") as f:
        blocks = pickle.load(f)
    assert sorted(blocks) == ["cells#1", "cells#2", "cells~2#1", "cells~2#2"]
    assert len(blocks["cells#2"].segments[0].spiketrains) == 2
    assert blocks["cells~2#1"].segments[0].analogsignals[0].shape == (501, 1)
    meta = json.loads((tmp_path / "meta.json").read_text())
    assert meta["simulator"] == "pynn_cbgtc_jax" and meta["stochastic"] == []


@pytest.mark.parametrize("body, reason", [
    ("", "created no population"),
    ("sim.Population(1, sim.IF_curr_exp())\nsim.run(10.0)", "recorded nothing"),
    ("sim.Population(1, sim.IF_curr_exp()).record('v')", "never ran")])
def test_capture_says_why_a_run_has_no_data(tmp_path, body, reason):
    """Regression (issue 12 item 4): ``meta.json`` says why a run that ended normally left no
    block; ``compare`` reports that instead of "failed (exit status 0)"."""
    import subprocess
    import sys
    script = tmp_path / "silent.py"
    script.write_text("import pyNN.nest as sim\nsim.setup(timestep=0.1)\n" + body + "\n")
    proc = subprocess.run([sys.executable, "-m", "pynn_cbgtc_jax.compare.capture", "--backend",
                           "cbgtc_jax", "--out", str(tmp_path / "out"), str(script)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    meta = json.loads((tmp_path / "out" / "meta.json").read_text())
    assert meta["populations"] == [] and reason in meta["no_data"]


# --- against NEST: the fast subset of validation/run_all.py -------------------------------------

pytest_nest = pytest.mark.nest


@pytest.fixture(scope="module")
def run_all():
    pytest.importorskip("nest")
    return _run_all()


@pytest_nest
@pytest.mark.parametrize("celltype", ["IF_curr_exp", "IF_cond_alpha"])
def test_single_neuron_meets_targets(run_all, celltype, tmp_path):
    """Issue 5 targets for the LIF types (float64, 1 s, DC / step / fixed spike trains):
    every spike on NEST's step; v between spikes within the table's tolerance.  The ``array``
    protocol is held to the spike target only: NEST delivers an input spike written as 71.4 ms
    (the double 71.400000000000006) one step later than we do (validation/findings.md)."""
    result = run_all.single_neuron_case(celltype, str(tmp_path), table=run_all.load_table(),
                                        figures=False)
    tol, _ = run_all.load_table()[f"single.{celltype}"]
    assert set(result.populations) == {"dc", "step", "array", "array_exact"}
    for key, agg in result.populations.items():
        sp = agg["spikes"]
        assert sp["n"][0] >= 7, key                               # the protocol makes it fire
        assert sp["matched"] == sp["total"], key                  # 100 % on identical steps
        if key != "array":
            assert agg["signals"]["v"]["diff"]["max_abs_between"] <= tol.signal_max["v"], key
    assert os.path.exists(tmp_path / "report.md")


@pytest_nest
@pytest.mark.parametrize("celltype", ["EIF_cond_exp_isfa_ista", "EIF_cond_alpha_isfa_ista"])
def test_adex_meets_targets(run_all, celltype, tmp_path):
    """Issue 5 targets for AdEx (float64, 1 s, DC / step / fixed spike trains): >= 99 % of
    spikes on NEST's steps in every protocol, v between spikes within the table's tolerance
    outside ``array`` (see test_single_neuron_meets_targets).  Was a known miss (2 of 14 DC
    spikes a step early, validation/findings.md "adex-spike-step") until the kernel took over
    NEST's RKF45 sub-stepping with the reset inside it."""
    result = run_all.single_neuron_case(celltype, str(tmp_path), figures=False)
    tol, _ = run_all.load_table()[f"single.{celltype}"]
    for key, agg in result.populations.items():
        sp = agg["spikes"]
        assert sp["n"][0] >= 7, key
        assert sp["matched"] >= 0.99 * sp["total"], key
        if key != "array":
            assert agg["signals"]["v"]["diff"]["max_abs_between"] <= tol.signal_max["v"], key


@pytest_nest
def test_statistical_comparison_of_a_poisson_driven_population(tmp_path):
    """1000 independent cells with their own Poisson input, two seeds: rates and ISI CV agree
    within 5 %.  Reason for 5 % (not the 3 % network target): ~7500 spikes per run, so the
    Poisson error of the two-seed mean rate difference alone is ~1.2 % (s.d.); 5 % is 4 s.d."""
    result = compare_script(os.path.join(SCRIPTS, "poisson_population.py"),
                            ["--simulator", "{sim}", "--seed", "{seed}"], seeds=[1, 2],
                            output=str(tmp_path), tolerances={"rate_rel": 0.05, "cv_rel": 0.05},
                            figures=False)
    assert result.mode == "statistical"                  # chosen because of SpikeSourcePoisson
    assert [r["jax"]["simulator"] for r in result.runs] == ["pynn_cbgtc_jax"] * 2
    assert {c.quantity for c in result.checks if c.population == "cells"} >= {
        "rate rel. diff", "ISI CV rel. diff"}
    assert result.passed, [c for c in result.checks if c.passed is False]
    sp = result.populations["cells"]["spikes"]
    assert 5.0 < sp["rate"][0] < 40.0 and sp["matched"] < 0.2 * sp["total"]   # not spike-exact


RECURRENT = os.path.join(ROOT, "validation", "scripts", "recurrent_net.py")
#: Reason: a single 500 ms run whose part after the divergence is ~120 ms; the inhibitory
#: population fires ~160 spikes there, whose count alone has a Poisson error of ~8 % per run.
RECURRENT_TOL = {"rate_rel": 0.1, "cv_rel": 0.1}


@pytest_nest
def test_recurrent_network_exact_until_divergence_then_statistical(tmp_path):
    """Issue 12 item 1, reference NEST: a recurrent IF_cond_exp + AdEx network driven by
    fixed spike trains agrees spike for spike (float64, NEST's integration scheme) until one
    spike flips (round-off in the order the inputs of a step are summed), then statistically."""
    result = compare_script(RECURRENT, ["--simulator", "{sim}"], output=str(tmp_path),
                            tolerances=RECURRENT_TOL, figures=False)
    assert result.runs[0]["jax"]["setup_defaults"] == {"precision": "float64",
                                                       "integration_scheme": "nest"}
    assert result.mode == "exact" and result.split, result.checks
    assert result.passed, result.failed_checks
    assert 100.0 < result.t_div < 500.0
    event = result.divergence["seeds"][0]["event"]
    assert event["population"] in {"exc", "inh", "adex"} and event["t"] == result.t_div
    for key in ("exc", "inh", "adex"):
        before = next(c for c in result.checks if c.population == key
                      and c.quantity == "spikes on identical step before divergence")
        assert before.passed and before.measured == 1.0
        assert any(c.population == key and c.quantity == "rate rel. diff after divergence"
                   and c.passed for c in result.checks)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["divergence"]["seeds"][0]["t_div"] == result.t_div
    report = (tmp_path / "report.md").read_text()
    assert "## Divergence" in report and "exact before, statistical after" in report
    assert "round-off" in report


@pytest_nest
def test_recurrent_network_with_a_wrong_tau_m_fails_naming_the_population(tmp_path):
    """The same network with tau_m of the AdEx population 10 % longer in our run only: its v
    leaves the tolerance before any spike differs, which round-off cannot explain, so the run
    is judged exactly and fails, and the failed checks name ``adex``."""
    result = compare_script(RECURRENT, ["--simulator", "{sim}", "--perturb-on", "cbgtc_jax",
                                        "--perturb-pop", "adex", "--tau-m-scale", "1.1"],
                            output=str(tmp_path), tolerances=RECURRENT_TOL, figures=False)
    assert not result.passed and not result.split
    failed = {(c.population, c.quantity) for c in result.failed_checks}
    assert ("adex", "v max abs diff between spikes before divergence") in failed
    assert "adex" in result.divergence["why"]


def test_a_difference_the_seeds_cannot_resolve_is_reported_not_failed():
    """Reference: the paired t interval.  Three seeds, 100 cells each, Poisson trains.  Ours
    fires 30 % more in every seed: the per-seed differences agree, the 99 % interval excludes
    0, the rate check fails.  Ours fires +60 %, -40 %, +30 % in seeds 1-3: the seed-averaged
    rate is still 17 % off (beyond rate_rel = 3 %) but the interval (+- ~2.9) contains 0, so
    the check is neither passed nor failed."""
    rng = np.random.default_rng(7)

    def pop(sim, rate):
        trains = [np.sort(rng.uniform(0, 1000.0, rng.poisson(rate))) for _ in range(100)]
        return {"p": _block("p", sim, trains, t_stop=1000.0)}

    def run(factors):
        seeds = [(pop("NEST", 20.0), pop("pynn_cbgtc_jax", 20.0 * f)) for f in factors]
        result = compare_recordings(seeds, Tolerances(mode="statistical"), "statistical")
        return next(c for c in result.checks if c.quantity == "rate rel. diff")

    consistent = run([1.3, 1.3, 1.3])
    assert consistent.passed is False
    noisy = run([1.6, 0.6, 1.3])
    assert noisy.measured > 0.1 and noisy.passed is None
    assert "not resolved by 3 seeds" in noisy.detail


def test_regular_trains_are_judged_on_an_absolute_cv_difference():
    """Reference: the definition.  Perfectly regular 50 Hz trains: NEST's ISIs are exact, ours
    carry round-off of 1e-12 ms, so both CVs are ~1e-13 and their *relative* difference is of
    order 1.  Below CV = cv_abs / cv_rel the check is absolute (|dCV| <= 0.005) and passes;
    every other spike shifted by a whole 1 ms (ISIs 21, 19 ms: CV 0.05) still fails it."""
    regular = [np.arange(5.0, 2000.0, 20.0) for _ in range(50)]
    noisy = [t + 1e-12 * np.arange(t.size) % 3 for t in regular]
    jittered = [t + np.where(np.arange(t.size) % 2, 1.0, 0.0) for t in regular]
    ref = {"p": _block("p", "NEST", regular, t_stop=2000.0)}
    for test, ok in ((noisy, True), (jittered, False)):
        result = compare_recordings([(ref, {"p": _block("p", "pynn_cbgtc_jax", test,
                                                        t_stop=2000.0)})],
                                    Tolerances(mode="statistical"), "statistical")
        cv = next(c for c in result.checks if c.quantity.startswith("ISI CV"))
        assert cv.quantity == "ISI CV abs. diff" and cv.passed is ok, cv


def test_compare_without_its_extra_names_the_extra(monkeypatch, tmp_path):
    """The backend does not need Elephant, SciPy or matplotlib; compare does, and says which
    extra to install before running anything (reference: the message)."""
    import importlib.util
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "elephant" else real(name, *a))
    script = tmp_path / "s.py"
    script.write_text("raise SystemExit('must not run')\n")
    with pytest.raises(ImportError, match=r"elephant.*\[compare\] extra"):
        compare_script(str(script), output=str(tmp_path / "out"))
    assert not (tmp_path / "out" / "runs").exists()
