"""Fixtures for the CBGTC tests: a clean simulator (and x64 setting) around each test."""
import jax
import pytest

import pynn_cbgtc_jax


@pytest.fixture
def cbgtc():
    """The backend module; the test calls ``setup()`` with its own time step.  ``end()`` and the
    x64 setting (``precision="float64"`` switches it on) are restored afterwards."""
    x64 = jax.config.jax_enable_x64
    yield pynn_cbgtc_jax
    pynn_cbgtc_jax.end()
    jax.config.update("jax_enable_x64", x64)
