"""``pynn-cbgtc-jax run``: unchanged PyNN scripts run on this backend (issue 3 item 5).

Each run is a subprocess: the command puts aliases (``pyNN.cbgtc_jax``, ``pyNN.nest``) into
``sys.modules``, which must not leak into the test process.  The data's provenance is checked
through ``block.annotations["simulator"]``, which PyNN fills from the backend that recorded it.
"""
import os
import pickle
import subprocess
import sys
import tomllib

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPTS = os.path.join(ROOT, "tests", "scripts")


def _cli(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "pynn_cbgtc_jax.cli", *args],
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT,
                          env=dict(os.environ, PYNEST_QUIET="1"))


def _block(path):
    with open(path, "rb") as f:
        block = pickle.load(f)
    return block[0] if isinstance(block, list) else block


def test_get_simulator_script_runs_on_cbgtc_jax(tmp_path):
    out = tmp_path / "data.pkl"
    proc = _cli("run", os.path.join(SCRIPTS, "get_simulator_script.py"), "cbgtc_jax", str(out))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "ran on pynn_cbgtc_jax" in proc.stdout
    block = _block(out)
    assert block.annotations["simulator"] == "pynn_cbgtc_jax"
    assert sum(len(st) for st in block.segments[0].spiketrains) > 3


def test_hard_nest_import_runs_here_with_as_nest(tmp_path):
    out = tmp_path / "data.pkl"
    proc = _cli("run", "--as", "nest", os.path.join(SCRIPTS, "hard_import_nest.py"), str(out))
    assert proc.returncode == 0, proc.stderr[-2000:]
    # the script's `import pyNN.nest` got this backend, and NEST itself was never loaded
    assert "ran on pynn_cbgtc_jax | NEST imported: False" in proc.stdout
    block = _block(out)
    assert block.annotations["simulator"] == "pynn_cbgtc_jax"
    assert block.segments[0].analogsignals[0].shape == (2001, 2)


def test_progress_line_and_exit_status(tmp_path):
    proc = _cli("run", "--as", "nest", "--progress", os.path.join(SCRIPTS, "hard_import_nest.py"),
                str(tmp_path / "data.pkl"), "3")
    assert proc.returncode == 3                      # the script's sys.exit(3) is passed on
    assert "100.0 %" in proc.stderr and "t = 200.0 / 200.0 ms" in proc.stderr
    assert "ran on pynn_cbgtc_jax" in proc.stdout    # stdout stays the script's own


def test_missing_script_is_an_error(tmp_path):
    proc = _cli("run", str(tmp_path / "nope.py"))
    assert proc.returncode != 0
    assert "no such script" in proc.stderr


def test_aliases_cover_submodules():
    code = ("from pynn_cbgtc_jax.compare.launch import install_aliases; install_aliases(['nest']);"
            "import pyNN.nest, pyNN.cbgtc_jax, pyNN.nest.standardmodels as s;"
            "import pynn_cbgtc_jax; from pyNN.utility import get_simulator;"
            "import sys; sys.argv = ['x', 'cbgtc_jax']; sim, _ = get_simulator();"
            "assert pyNN.nest is pynn_cbgtc_jax is pyNN.cbgtc_jax is sim;"
            "assert s is pynn_cbgtc_jax.standardmodels; print('ok')")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-2000:]


def test_console_script_declared():
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        project = tomllib.load(f)["project"]
    assert project["scripts"]["pynn-cbgtc-jax"] == "pynn_cbgtc_jax.cli:main"


def test_unknown_stand_in_is_refused():
    proc = _cli("run", "--as", "genn", os.path.join(SCRIPTS, "hard_import_nest.py"), "x.pkl")
    assert proc.returncode == 2 and "invalid choice" in proc.stderr


@pytest.mark.nest
def test_compare_exit_status_follows_tolerance(tmp_path):
    """0 within tolerance, 1 outside: a deterministic IF_curr_exp script matches NEST spike for
    spike (exact propagators), but not to 1e-15 mV in float32."""
    pytest.importorskip("nest")
    script = os.path.join(SCRIPTS, "hard_import_nest.py")
    args = [script, str(tmp_path / "out_{sim}.pkl")]
    ok = _cli("compare", "--output", str(tmp_path / "ok"), "--no-figures", *args)
    assert ok.returncode == 0, ok.stdout + ok.stderr[-2000:]
    assert ok.stdout.startswith("PASS (exact)")
    assert (tmp_path / "out_nest.pkl").exists() and (tmp_path / "out_cbgtc_jax.pkl").exists()
    bad = _cli("compare", "--output", str(tmp_path / "bad"), "--no-figures",
               "--signal-tol", "v=1e-15", *args)
    assert bad.returncode == 1, bad.stdout + bad.stderr[-2000:]
    assert "v max abs diff between spikes" in bad.stdout
    assert (tmp_path / "bad" / "report.md").read_text().count("**FAIL**") >= 1


_TINY = '''
import sys
import pyNN.nest as sim
sim.setup(timestep=0.1)
cells = sim.Population(1, sim.IF_curr_exp(i_offset=1.0), label="cells")
{record}
sim.run(50.0)
sim.end()
'''


@pytest.mark.nest
def test_compare_relative_output_is_the_callers(tmp_path):
    """Regression (issue 12 item 4): with a relative --output and the script in another
    folder, both runs wrote next to the script and the tool then said "failed on nest (exit
    status 0)".  The output folder is relative to where the command runs."""
    pytest.importorskip("nest")
    (tmp_path / "scripts").mkdir()
    (tmp_path / "work").mkdir()
    script = tmp_path / "scripts" / "tiny.py"
    script.write_text(_TINY.format(record='cells.record(["spikes", "v"])'))
    proc = subprocess.run([sys.executable, "-m", "pynn_cbgtc_jax.cli", "compare", "--output",
                           "cmp", "--no-figures", "../scripts/tiny.py"],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path / "work",
                          env=dict(os.environ, PYNEST_QUIET="1"))
    assert proc.returncode == 0, proc.stdout + proc.stderr[-2000:]
    assert (tmp_path / "work" / "cmp" / "report.md").exists()
    assert (tmp_path / "work" / "cmp" / "runs" / "run" / "nest" / "meta.json").exists()
    assert sorted(os.listdir(tmp_path / "scripts")) == ["tiny.py"]


@pytest.mark.nest
def test_compare_says_when_a_script_records_nothing(tmp_path):
    """Regression (issue 12 item 4): a run without data is reported with its reason, not as
    "failed (exit status 0)"."""
    pytest.importorskip("nest")
    script = tmp_path / "silent.py"
    script.write_text(_TINY.format(record=""))
    proc = _cli("compare", "--output", str(tmp_path / "cmp"), "--no-figures", str(script))
    assert proc.returncode == 2, proc.stdout + proc.stderr[-2000:]
    assert "produced no data" in proc.stderr and "recorded nothing" in proc.stderr
    assert "exit status" not in proc.stderr
