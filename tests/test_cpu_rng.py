"""``engine/cpu_rng.py``: JAX's unrolled Threefry lowering on the CPU changes no random number."""
from __future__ import annotations

import json
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np

import pynn_cbgtc_jax  # noqa: F401  (importing the engine registers the lowering)

_DRAWS = """
import json, jax, jax.numpy as jnp
key = jax.random.PRNGKey(11)
f = jax.jit(lambda k: (jax.random.uniform(jax.random.fold_in(k, 3), (1001,)),
                       jax.random.poisson(k, jnp.linspace(0.0, 30.0, 257))))
u, p = f(key)
print(json.dumps([u.tolist(), p.tolist()]))
"""


def test_unrolled_threefry_draws_the_same_numbers():
    """Reference: the same draws in a fresh interpreter that never imports pynn_cbgtc_jax, so
    JAX lowers Threefry its own way on this platform (rolled on CPU in jax 0.10).  A lowering
    computes the same hash, so the numbers must be bitwise equal: uniforms (one Threefry call
    on an odd count), and Poisson variates (Threefry inside rejection loops)."""
    out = subprocess.run([sys.executable, "-c", _DRAWS], capture_output=True, text=True,
                         check=True)
    theirs_u, theirs_p = json.loads(out.stdout.strip().splitlines()[-1])
    key = jax.random.PRNGKey(11)
    ours_u = jax.jit(lambda k: jax.random.uniform(jax.random.fold_in(k, 3), (1001,)))(key)
    ours_p = jax.jit(lambda k: jax.random.poisson(k, jnp.linspace(0.0, 30.0, 257)))(key)
    np.testing.assert_array_equal(np.asarray(ours_u, np.float32), np.asarray(theirs_u, np.float32))
    np.testing.assert_array_equal(np.asarray(ours_p), np.asarray(theirs_p))
