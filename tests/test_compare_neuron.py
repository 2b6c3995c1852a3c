"""``compare --against neuron`` (issue 12 item 3): pyNN.neuron as a second reference.

Reference of the exact tier: the closed-form solution of the IF_cond_exp equation under DC
(without synaptic input it is a linear relaxation, solved exactly on the time grid with our
spike and refractory convention), against which NEURON's error and ours are measured
separately.  NEURON's fixed step is first-order backward Euler, ours RK4 in float64, so the
two runs differ by NEURON's discretisation error and the tolerances are sized by it.  The
statistical tier compares the COBA network (``validation/scripts/coba.py``) over two seeds.

The mechanism-cache tests fake ``nrnivmodl``; everything else needs the ``neuron`` package
(the ``[test]`` extra) and is skipped, with the import error as the reason, without it.
"""
import math
import os
import subprocess
import sys

import numpy as np
import pytest

from pynn_cbgtc_jax.compare import compare_script, neuron_mechanisms
from pynn_cbgtc_jax.compare.metrics import spike_mask

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DC_NEURON = os.path.join(ROOT, "tests", "scripts", "dc_neuron.py")
COBA = os.path.join(ROOT, "validation", "scripts", "coba.py")

# dc_neuron.py: PyNN's IF_cond_exp defaults, tau_refrac 2 ms, 1 nA from 100 to 900 ms, dt 0.1
DT, V_REST, V_THRESH, TAU_M, CM, TAU_REFRAC, AMPLITUDE = 0.1, -65.0, -50.0, 20.0, 1.0, 2.0, 1.0
V_INF = V_REST + AMPLITUDE * TAU_M / CM                       # -45 mV while the DC is on
#: Backward Euler on dv/dt = (v_inf - v)/tau_m from v0 lags the exact solution by
#: (v0 - v_inf) [(1 + dt/tau_m)^-n - exp(-n dt/tau_m)], at most |v0 - v_inf| dt/(2 e tau_m)
#: to first order in dt/tau_m (the maximum at t = tau_m): 20 mV * 0.1 / (2e * 20) = 0.0184 mV
#: after each reset to -65 mV.
EULER_BOUND = abs(V_REST - V_INF) * DT / (2 * math.e * TAU_M)
#: Reason: NEURON's first-order error bound above, +10 % for the terms of higher order in
#: dt/tau_m (0.5 % of it) and our RK4 error (< 1e-6 mV); a 1 % error in tau_m moves v by
#: 0.09 mV before the first spike, five times this.
DC_TOL = {"mode": "exact", "spike_step_match": 1.0, "signal_max": {"v": 1.1 * EULER_BOUND}}
#: Reason: the paired per-seed rate difference NEURON vs ours (same seed: same network and
#: initial v, a different Poisson kick), measured over 8 seeds of 500 ms, has an s.d. of 2.4 %
#: (exc) / 2.2 % (inh) and a mean of -0.7 %; the mean of two seeds then has an s.d. of 1.7 %,
#: and 6 % is 3.5 s.d.  ISI CV: per-seed s.d. 2.0 %, 1.4 % for two seeds; 5 % is 3.5 s.d.
#: sustained_only: COBA's self-sustained state dies after the kick in some runs on either side
#: (a bistable network, validation/findings.md; since the kick's Poisson draws changed with
#: issue 18 our seed 2 is one of them), so as in validation/tolerances.toml [network.coba] the
#: runs active to the end are compared and their numbers tested (Fisher exact, p >= 0.01).
COBA_TOL = {"rate_rel": 0.06, "cv_rel": 0.05, "sustained_only": True}


@pytest.fixture(scope="module")
def neuron_available():
    """Skip unless ``import neuron`` works (checked in a child: NEURON's library is not loaded
    into the test process, which may hold NEST's)."""
    proc = subprocess.run([sys.executable, "-c", "import neuron"], capture_output=True,
                          text=True, timeout=120)
    if proc.returncode != 0:
        pytest.skip("the 'neuron' package does not import (pip install '.[test]'): "
                    + (proc.stderr.strip().splitlines() or ["?"])[-1])


def _exact_dc_run(t_stop=1000.0):
    """v on the grid and the spike times of dc_neuron.py's cell, from the closed-form step
    ``v -> v_inf + (v - v_inf) exp(-dt/tau_m)``; a spike at the first sample with v >= v_thresh,
    then v_reset (= v_rest) for round(tau_refrac/dt) steps (our convention)."""
    n_ref, v, left = round(TAU_REFRAC / DT), V_REST, 0
    decay = math.exp(-DT / TAU_M)
    vs, spikes = [v], []
    for k in range(1, round(t_stop / DT) + 1):
        on = 100.0 <= (k - 1) * DT < 900.0 - 1e-9
        target = V_INF if on else V_REST
        if left:
            v, left = V_REST, left - 1
        else:
            v = target + (v - target) * decay
            if v >= V_THRESH:
                spikes.append(k * DT)
                v, left = V_REST, n_ref
        vs.append(v)
    return np.array(vs), np.array(spikes)


def _between_spikes(times, v, spikes):
    """v with the samples from 1 ms before to each spike (the compare default) set to NaN."""
    mask = spike_mask(times, [[spikes]], DT, 1.0, 0.0)[:, 0]
    return np.where(mask, np.nan, v)


@pytest.mark.neuron
def test_single_dc_neuron_is_exact_up_to_neurons_euler_error(neuron_available, tmp_path):
    """One IF_cond_exp under DC: every spike on NEURON's step and v within NEURON's own
    first-order error (measured here against the closed form: ours is within 1e-6 mV of it,
    NEURON within EULER_BOUND).  Spike steps agree because the exact crossing lies 0.026 ms
    after a grid point, and the Euler lag at threshold (~0.07 ms: 0.017 mV at a slope of
    0.25 mV/ms) keeps NEURON's crossing before the next one; an amplitude whose crossing lies
    closer than that to the next grid point puts every NEURON spike one step later."""
    result = compare_script(DC_NEURON, ["--simulator", "{sim}"], against="neuron",
                            output=str(tmp_path), tolerances=DC_TOL, figures=False)
    assert result.reference == "NEURON" and result.mode == "exact"
    assert result.runs[0]["nest"]["simulator"] == "NEURON"
    assert result.runs[0]["jax"]["setup_defaults"] == {"precision": "float64"}
    assert result.passed, result.failed_checks
    sp = result.populations["dc"]["spikes"]
    assert sp["n"] == [26, 26] and sp["matched"] == 26
    report = (tmp_path / "report.md").read_text()
    assert "pyNN.neuron (NEURON" in report and "spikes NEURON" in report
    assert "NEST" not in report

    times, v_nrn, v_ours = result.per_seed["dc"][0]["signals"]["v"]["trace"]
    v_exact, exact_spikes = _exact_dc_run()
    nrn_spikes, our_spikes = (np.asarray(r[0]) for r in sp["raster"])
    np.testing.assert_array_equal(np.rint(nrn_spikes / DT), np.rint(exact_spikes / DT))
    np.testing.assert_array_equal(np.rint(our_spikes / DT), np.rint(exact_spikes / DT))
    n = len(times)
    err_nrn = np.nanmax(np.abs(_between_spikes(times, v_nrn - v_exact[:n], exact_spikes)))
    err_ours = np.nanmax(np.abs(_between_spikes(times, v_ours - v_exact[:n], exact_spikes)))
    assert err_ours < 1e-6
    assert 0.9 * EULER_BOUND < err_nrn <= EULER_BOUND    # first order: the bound is reached


@pytest.mark.neuron
def test_single_dc_neuron_with_a_wrong_tau_m_fails(neuron_available, tmp_path):
    """The same cell with tau_m 1 % longer in our run only fails the exact comparison."""
    result = compare_script(DC_NEURON, ["--simulator", "{sim}", "--perturb-on", "cbgtc_jax",
                                        "--tau-m-scale", "1.01"], against="neuron",
                            output=str(tmp_path), tolerances=DC_TOL, figures=False)
    assert not result.passed
    failed = {c.quantity for c in result.failed_checks if c.population == "dc"}
    assert "spikes on identical step" in failed
    assert result.divergence["seeds"][0]["first_signal_event"]["t"] < result.t_div


@pytest.mark.neuron
def test_coba_network_is_statistically_equal(neuron_available, tmp_path):
    """COBA (4000 IF_cond_exp cells, scale 1: smaller scales fall silent after the kick),
    500 ms, seeds 1 and 2, our default float32: rates and ISI CV within COBA_TOL."""
    result = compare_script(COBA, ["--simulator", "{sim}", "--seed", "{seed}",
                                   "--duration", "500"], against="neuron", seeds=[1, 2],
                            output=str(tmp_path), tolerances=COBA_TOL, figures=False)
    assert result.mode == "statistical" and result.reference == "NEURON"
    assert [r["nest"]["simulator"] for r in result.runs] == ["NEURON"] * 2
    assert {(c.population, c.quantity) for c in result.checks if c.passed} >= {
        (p, q) for p in ("exc", "inh") for q in ("rate rel. diff", "ISI CV rel. diff")}
    assert result.passed, result.failed_checks


# --- the mechanism cache, with a fake nrnivmodl -------------------------------------------------

def _fake_nrnivmodl(tmp_path, body):
    exe = tmp_path / "nrnivmodl"
    exe.write_text("#!/bin/sh\n" + body + "\n")
    exe.chmod(0o755)
    return str(exe)


def test_mechanisms_are_built_in_a_fresh_folder_and_renamed(tmp_path, monkeypatch):
    exe = _fake_nrnivmodl(tmp_path, "mkdir -p x86_64 && ls *.mod > x86_64/libnrnmech.so")
    monkeypatch.setattr(neuron_mechanisms, "_nrnivmodl", lambda: exe)
    (tmp_path / "a.mod").write_text("NEURON { SUFFIX a }")
    target = tmp_path / "cache" / "key"
    target.parent.mkdir()
    neuron_mechanisms._build([str(tmp_path / "a.mod")], str(target))
    assert (target / "x86_64" / "libnrnmech.so").read_text().strip() == "a.mod"
    assert os.listdir(target.parent) == ["key"]               # no build folder left


def test_a_failed_build_leaves_no_cache_entry(tmp_path, monkeypatch):
    exe = _fake_nrnivmodl(tmp_path, "echo 'g++: not found' >&2; exit 1")
    monkeypatch.setattr(neuron_mechanisms, "_nrnivmodl", lambda: exe)
    (tmp_path / "cache").mkdir()
    with pytest.raises(RuntimeError, match="(?s)C\\+\\+ compiler.*g\\+\\+: not found"):
        neuron_mechanisms._build([], str(tmp_path / "cache" / "key"))
    assert os.listdir(tmp_path / "cache") == []
