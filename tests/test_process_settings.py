"""``engine/process.py``: importing the package leaves JAX alone; ``setup()`` applies the
backend's process-wide settings and ``process.restore()`` undoes them (issue 13 item 4)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

# In a fresh interpreter: JAX's config and CPU lowering rule for Threefry before the import,
# after it, after setup() and after restore().
_SCRIPT = """
import json, jax
from jax._src.interpreters import mlir
from jax._src.random import threefry2x32 as threefry

def snapshot():
    rules = getattr(mlir, "_platform_specific_lowerings", {}).get("cpu", {})
    rule = rules.get(threefry.threefry2x32_p)
    return {"cache_dir": jax.config.jax_compilation_cache_dir,
            "cache_max": jax.config.jax_compilation_cache_max_size,
            "x64": jax.config.jax_enable_x64,
            "rule": getattr(rule, "__name__", repr(rule))}

out = {"before": snapshot()}
import pynn_cbgtc_jax as sim
out["import"] = snapshot()
sim.setup(timestep=0.1)
out["setup"] = snapshot()
from pynn_cbgtc_jax.engine import cpu_rng, process
out["wanted"] = cpu_rng.wanted(jax.__version_info__)
process.restore()
out["restore"] = snapshot()
print(json.dumps(out))
"""


def _snapshots(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYNN_CBGTC_JAX_CACHE", "JAX_COMPILATION_CACHE_DIR")}
    env["PYNN_CBGTC_JAX_CACHE_DIR"] = str(tmp_path / "cache")
    out = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True,
                         env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_changes_nothing_setup_applies_restore_undoes(tmp_path):
    """Reference: JAX's own state in a fresh interpreter before the import.  The import leaves
    every setting and the CPU Threefry rule as they were; setup() sets the cache folder (and,
    on jax < 0.11, replaces the rule); restore() returns all of it to the state before."""
    s = _snapshots(tmp_path)
    assert s["import"] == s["before"]
    assert s["setup"]["cache_dir"] == str(tmp_path / "cache")
    assert (s["setup"]["rule"] != s["before"]["rule"]) == s["wanted"]
    assert s["restore"] == s["before"]


def test_program_cache_is_bounded():
    """Reference: the bound.  More distinct network structures than PROGRAM_CACHE_SIZE keep
    only the most recently used programs in memory."""
    import pynn_cbgtc_jax as sim
    from pynn_cbgtc_jax.engine import runner
    for n in range(runner.PROGRAM_CACHE_SIZE + 3):
        sim.setup(timestep=0.1)
        sim.Population(n + 1, sim.IF_curr_exp())
        sim.run(0.1)
    assert len(runner._CACHE) == runner.PROGRAM_CACHE_SIZE
    sim.end()
