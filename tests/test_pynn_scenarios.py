"""PyNN's own system scenarios (66 tests of PyNN 0.13.0) run against pynn_cbgtc_jax.

Reference: pyNN.nest passes these; every scenario PyNN runs for "nest" must pass for us, and so
must scenario5 (multi-compartment cells; PyNN runs it for NEURON and Arbor).  The
sdist is downloaded once (``pip download``) into ``~/.cache/pynn_cbgtc_jax`` and the scenarios
run in a subprocess (they call setup() many times and write files).  The counts are printed at
the end of the test session.
"""
import os
import re
import subprocess
import sys
import tarfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.path.join(os.path.expanduser("~"), ".cache", "pynn_cbgtc_jax")
VERSION = "0.13.0"
SCENARIO_COUNTS = {}          # read by conftest.pytest_terminal_summary


def _pynn_tests():
    root = os.path.join(CACHE, f"pynn-{VERSION}")
    if not os.path.isdir(os.path.join(root, "test", "system", "scenarios")):
        os.makedirs(CACHE, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary",
                        ":all:", f"pynn=={VERSION}", "-d", CACHE, "-q"], check=True,
                       timeout=600)
        (archive,) = [f for f in os.listdir(CACHE) if f.lower().startswith("pynn-")
                      and f.endswith(".tar.gz")]
        with tarfile.open(os.path.join(CACHE, archive)) as tar:
            tar.extractall(CACHE, filter="data")
    return os.path.join(root, "test")


def test_pynn_system_scenarios(tmp_path):
    try:
        tests = _pynn_tests()
    except (subprocess.SubprocessError, OSError) as err:     # no index reachable
        pytest.skip(f"PyNN {VERSION} sdist not available: {err}")
    out = subprocess.run([sys.executable, os.path.join(HERE, "pynn_scenarios", "run_scenarios.py"),
                          "--tests", tests, "-q", "-rfE", "--tb=short"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=1500,
                         env=dict(os.environ, PYNEST_QUIET="1"))
    summary = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""
    for word in ("passed", "failed", "skipped", "error"):
        m = re.search(rf"(\d+) {word}", summary)
        SCENARIO_COUNTS[word] = int(m.group(1)) if m else 0
    failures = [line for line in out.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))]
    assert SCENARIO_COUNTS["passed"] >= 60, out.stdout[-3000:] + out.stderr[-2000:]
    assert not failures, "\n".join(failures) + "\n" + out.stdout[-4000:]
