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
