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


def test_unrolled_rule_only_below_jax_0_11():
    """Issue 18: on jaxlib >= 0.11 the unrolled rule made LLVM's loop vectorizer take minutes
    to hours on noise/stochastic-synapse fusions; the rule is registered only below 0.11."""
    from pynn_cbgtc_jax.engine import cpu_rng
    assert cpu_rng.wanted((0, 10, 2)) and cpu_rng.wanted((0, 4, 30))
    assert not cpu_rng.wanted((0, 11, 0)) and not cpu_rng.wanted((0, 12, 0, 1))
    assert not cpu_rng.wanted((1, 0))
    if not cpu_rng.wanted(jax.__version_info__):
        assert cpu_rng.unroll_threefry_on_cpu() is False
