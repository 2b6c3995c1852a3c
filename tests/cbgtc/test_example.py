"""``examples/cbgtc_parkinson_dbs.py`` runs (1 s per condition) and shows the textbook picture.

Reference: Rubin & Terman 2004 / So et al. 2012 -- beta-band power of STN and GPe higher in the
Parkinsonian network than in the healthy one and suppressed by 130 Hz STN DBS; the TC error
index higher in PD and restored by DBS.  Margins are loose (factor 2) because 1 s runs leave
500 ms of analysis: the default 2.5 s run gives PD/healthy 41 (STN) and 15 (GPe), DBS/PD 0.01,
EI 0.04 / 0.26 / 0.00.
"""
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_parkinson_dbs_example(tmp_path):
    out = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "cbgtc_parkinson_dbs.py"),
                          "--duration", "1000", "--output", str(tmp_path)],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    for name in ("STN", "GPe"):
        pd_h, dbs_pd = map(float, re.search(
            rf"beta power {name}: PD / healthy = ([\d.]+), DBS / PD = ([\d.]+)",
            out.stdout).groups())
        assert pd_h > 2.0 and dbs_pd < 0.5, out.stdout
    healthy, pd, dbs = map(float, re.search(
        r"error index: healthy ([\d.]+), PD ([\d.]+), DBS ([\d.]+)", out.stdout).groups())
    assert pd > 2 * max(healthy, dbs, 0.02), out.stdout
    for condition in ("healthy", "parkinsonian", "dbs"):
        assert (tmp_path / f"cbgtc_{condition}.png").stat().st_size > 10_000
        assert (tmp_path / f"cbgtc_{condition}.pkl").stat().st_size > 1_000


# --- DBS frequency sweep -----------------------------------------------------------------
# Reference: Kumaravelu et al. 2016 (J Comput Neurosci 40:207, abstract): STN DBS "frequencies
# less than 40 Hz were ineffective, low-frequency oscillatory power decreased gradually for
# frequencies between 50 Hz and 130 Hz, and saturated at frequencies higher than 150 Hz"; Rubin
# & Terman 2004 / So et al. 2012: the TC error index is restored by high-frequency DBS only.
# One reduced sweep (1.5 s runs: 1 s analysed, two Welch windows) serves both tests: one ensemble
# run over the frequencies at the example's DBS amplitude (30 nA) with one seed, so every member
# is the network a single run at that frequency builds (tests/test_ensembles.py: bitwise).
SWEEP_FREQUENCIES = (20, 40, 60, 130, 180)


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    out = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "cbgtc_parkinson_dbs.py"),
                          "--duration", "1500", "--sweep", "--no-figures",
                          "--frequencies", ",".join(map(str, SWEEP_FREQUENCIES)),
                          "--amplitudes", "30", "--seeds", "1", "--sequential", "0",
                          "--output", str(tmp_path_factory.mktemp("sweep"))],
                         capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-2000:]
    number = r"\s+([\d.]+)"
    rows = re.findall(r"^\s+(off|\d+)(?:\s+30)?" + 5 * number + "$", out.stdout, re.M)
    table = {0 if f == "off" else int(f): dict(zip(("rate", "STN", "GPe", "GPi", "EI"),
                                                  map(float, v))) for f, *v in rows}
    assert sorted(table) == [0, *SWEEP_FREQUENCIES], out.stdout
    return table, out.stdout


@pytest.mark.slow
def test_dbs_sweep_low_frequency_ineffective_high_frequency_saturates(sweep):
    """20 Hz: beta power and EI stay at (or above) the Parkinsonian level; 130 and 180 Hz:
    beta power < 0.1 of DBS off and EI back below half its Parkinsonian value.

    Tolerances: 0.5 x DBS off at 20 Hz because a 1 s analysis window leaves two Welch segments
    (the estimate varies by tens of percent between seeds; the full 2.5 s run gives 1.8 x);
    0.1 x at 130/180 Hz is well above what the network gives (<= 0.01 at 2.5 s) and well below
    the healthy/PD ratio of the reference (suppression, not a small change); 'saturated' is read
    as: both 130 and 180 Hz fully effective, so their difference is immaterial.
    """
    table, stdout = sweep
    pd = table[0]
    for name in ("STN", "GPe", "GPi"):
        assert table[20][name] > 0.5, stdout
        assert table[130][name] < 0.1 and table[180][name] < 0.1, stdout
    assert table[20]["EI"] >= pd["EI"] - 0.05, stdout
    assert max(table[130]["EI"], table[180]["EI"]) < 0.5 * pd["EI"], stdout


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason=(
    "known gap (issue #4 item 6): the small deterministic STN-GPe loop is entrained 1:1 by "
    "every pulse at 40-60 Hz, so beta vanishes there (Kumaravelu 2016: ineffective at < 40 Hz, "
    "only partly effective at 50-60 Hz); strict, so a network that fixes it turns this red"))
def test_dbs_sweep_gradual_between_40_and_130_hz(sweep):
    """40 Hz still ineffective (> 0.5 x DBS off) and 60 Hz only partly effective (more beta
    than at 130 Hz, GPi power being Kumaravelu's readout)."""
    table, stdout = sweep
    assert table[40]["GPi"] > 0.5, stdout
    assert table[60]["GPi"] > table[130]["GPi"], stdout
