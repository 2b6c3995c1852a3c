"""Shared fixtures: a fresh simulator around every test, x64 mode restored afterwards."""
import jax
import pytest

import pynn_cbgtc_jax


@pytest.fixture(autouse=True)
def _restore_x64():
    """Every test starts with the x64 mode the previous one found: a test that runs a float64
    simulation (which turns JAX's x64 mode on, process-wide) without the ``sim`` fixture must
    not make a later test's default float32 arrays float64 (found: tests/kernels' float32
    checks failed after test_ensembles.py)."""
    x64 = jax.config.jax_enable_x64
    yield
    jax.config.update("jax_enable_x64", x64)


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


#: test files of the "contracts" tier: properties every network and model must keep
CONTRACT_FILES = {"test_engine_contracts.py", "test_model_conformance.py", "test_kind_tables.py",
                  "test_program_size.py", "test_process_settings.py", "test_delivery.py",
                  "test_gpu_lowering.py", "test_checkpoint.py", "test_interrupt.py",
                  "test_compiler_inputs.py", "test_devices.py", "test_platform_forms.py"}


def pytest_collection_modifyitems(config, items):
    """Each test gets one tier marker: ``scenarios`` (PyNN's own system scenarios),
    ``versus`` (against pyNN.nest or pyNN.neuron: the ``nest``/``neuron`` markers),
    ``contracts`` (``CONTRACT_FILES``) or ``unit`` (the rest: kernels, numerics, API, errors),
    so ``pytest -m unit`` etc. runs one tier."""
    for item in items:
        name = item.path.name
        if name == "test_pynn_scenarios.py":
            tier = "scenarios"
        elif item.get_closest_marker("nest") or item.get_closest_marker("neuron"):
            tier = "versus"
        elif name in CONTRACT_FILES:
            tier = "contracts"
        else:
            tier = "unit"
        item.add_marker(getattr(pytest.mark, tier))
