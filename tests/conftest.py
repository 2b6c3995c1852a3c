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


def pytest_terminal_summary(terminalreporter):
    """Print the PyNN scenario counts (tests/test_pynn_scenarios.py) at the end of the run."""
    from test_pynn_scenarios import SCENARIO_COUNTS
    if SCENARIO_COUNTS:
        terminalreporter.write_line(
            "PyNN 0.13 system scenarios on pynn_cbgtc_jax: "
            + ", ".join(f"{n} {k}" for k, n in SCENARIO_COUNTS.items()))
