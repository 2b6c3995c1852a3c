"""``engine/cpu_rng.py``: JAX's unrolled Threefry lowering on the CPU changes no random number."""
from __future__ import annotations

import json
import subprocess
import sys

import jax
import numpy as np
import pytest

_DRAWS = """
import json, sys, jax, jax.numpy as jnp
registered = False
if sys.argv[1] == "unrolled":
    from pynn_cbgtc_jax.engine.cpu_rng import unroll_threefry_on_cpu
    registered = unroll_threefry_on_cpu(force=True)
key = jax.random.PRNGKey(11)
f = jax.jit(lambda k: (jax.random.uniform(jax.random.fold_in(k, 3), (1001,)),
                       jax.random.poisson(k, jnp.linspace(0.0, 30.0, 257))))
u, p = f(key)
print(json.dumps([registered, u.tolist(), p.tolist()]))
"""


def _draws(lowering):
    out = subprocess.run([sys.executable, "-c", _DRAWS, lowering], capture_output=True,
                         text=True, check=True)
    registered, u, p = json.loads(out.stdout.strip().splitlines()[-1])
    return registered, np.asarray(u, np.float32), np.asarray(p)


def test_unrolled_threefry_draws_the_same_numbers():
    """Reference: the same draws in a fresh interpreter that never imports pynn_cbgtc_jax, so
    JAX lowers Threefry its own way on this platform (rolled on CPU in jax 0.10 and 0.12).
    The unrolled rule (from ``jax._src``) is forced in another fresh interpreter, so the test
    runs on whichever jax is installed, also where the engine does not register it (issue 18).
    A lowering computes the same hash, so the numbers must be bitwise equal: uniforms (one
    Threefry call on an odd count), and Poisson variates (Threefry inside rejection loops)."""
    _, theirs_u, theirs_p = _draws("jax")
    registered, ours_u, ours_p = _draws("unrolled")
    if not registered:
        pytest.skip(f"jax {jax.__version__} has no rolled CPU rule to replace (the fallback)")
    np.testing.assert_array_equal(ours_u, theirs_u)
    np.testing.assert_array_equal(ours_p, theirs_p)


def test_unrolled_rule_only_below_jax_0_11():
    """Issue 18: on jaxlib >= 0.11 the unrolled rule made LLVM's loop vectorizer take minutes
    to hours on noise/stochastic-synapse fusions; the rule is registered only below 0.11."""
    from pynn_cbgtc_jax.engine import cpu_rng
    assert cpu_rng.wanted((0, 10, 2)) and cpu_rng.wanted((0, 4, 30))
    assert not cpu_rng.wanted((0, 11, 0)) and not cpu_rng.wanted((0, 12, 0, 1))
    assert not cpu_rng.wanted((1, 0))
    if not cpu_rng.wanted(jax.__version_info__):
        assert cpu_rng.unroll_threefry_on_cpu() is False
