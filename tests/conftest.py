"""Shared fixtures: a fresh simulator around every test, x64 mode restored afterwards."""
import jax
import pytest

import pynn_cbgtc_jax


@pytest.fixture
def sim():
    """The backend module, set up with defaults; ``end()`` and x64 restored after the test."""
    x64 = jax.config.jax_enable_x64
    pynn_cbgtc_jax.setup(timestep=0.1)
    yield pynn_cbgtc_jax
    pynn_cbgtc_jax.end()
    jax.config.update("jax_enable_x64", x64)
