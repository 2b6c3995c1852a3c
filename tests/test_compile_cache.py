"""``engine/compile_cache.py``: JAX's persistent compilation cache, on by default."""
from __future__ import annotations

import json
import os
import subprocess
import sys

# One network run in a fresh interpreter; prints the cache directory JAX uses and how many
# compiled programs came from the cache.  The threshold is lowered so that this small network's
# chunk (compiled in well under JAX's default 1 s) is stored.
_SCRIPT = """
import json, jax
hits = []
jax.monitoring.register_event_listener(
    lambda name, **kw: hits.append(name) if name == '/jax/compilation_cache/cache_hits' else None)
import pynn_cbgtc_jax as sim
jax.config.update('jax_persistent_cache_min_compile_time_secs', 0.0)
sim.setup(timestep=0.1)
p = sim.Population(10, sim.IF_cond_exp(i_offset=1.0))
p.record('spikes')
sim.run(100.0)
n = sum(len(st) for st in p.get_data().segments[0].spiketrains)
print(json.dumps({'dir': jax.config.jax_compilation_cache_dir, 'hits': len(hits), 'spikes': n}))
"""


_OURS = ("PYNN_CBGTC_JAX_CACHE", "PYNN_CBGTC_JAX_CACHE_DIR", "JAX_COMPILATION_CACHE_DIR")


def _run(env):
    base = {k: v for k, v in os.environ.items() if k not in _OURS}
    out = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True,
                         env={**base, **env}, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_second_run_of_a_script_loads_compiled_programs(tmp_path):
    """Reference: JAX's own cache-hit events.  The first run of a script in an empty cache
    directory compiles (no hit); the same script again finds its programs there, and its
    results are the same."""
    env = {"PYNN_CBGTC_JAX_CACHE_DIR": str(tmp_path / "cache")}
    first = _run(env)
    assert first["dir"] == str(tmp_path / "cache") and first["hits"] == 0
    assert any((tmp_path / "cache").iterdir())
    second = _run(env)
    assert second["hits"] > 0
    assert second["spikes"] == first["spikes"] > 0


def test_cache_can_be_switched_off_and_yields_to_jax_setting(tmp_path):
    """``PYNN_CBGTC_JAX_CACHE=0`` leaves JAX's cache off; ``JAX_COMPILATION_CACHE_DIR`` wins."""
    off = _run({"PYNN_CBGTC_JAX_CACHE": "0", "PYNN_CBGTC_JAX_CACHE_DIR": str(tmp_path / "unused")})
    assert off["dir"] is None and not (tmp_path / "unused").exists()
    theirs = _run({"JAX_COMPILATION_CACHE_DIR": str(tmp_path / "theirs"),
                   "PYNN_CBGTC_JAX_CACHE_DIR": str(tmp_path / "unused")})
    assert theirs["dir"] == str(tmp_path / "theirs") and not (tmp_path / "unused").exists()
