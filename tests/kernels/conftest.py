"""Fixtures for the kernel tests: float64 on demand, and a cached, jitted single-neuron run."""

from __future__ import annotations

import jax
import numpy as np
import pytest


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: a test that takes more than ~20 s on 2 CPU cores")


@pytest.fixture
def x64():
    """Run one test in float64 and restore the previous setting afterwards.

    Other test modules run float32 in the same process, so the switch must not leak.
    """
    previous = jax.config.read("jax_enable_x64")
    jax.config.update("jax_enable_x64", True)
    try:
        yield
    finally:
        jax.config.update("jax_enable_x64", previous)


_JITTED = {}


def _run(kernel, params, dt, i_inj, state=None):
    """One neuron of ``kernel`` over ``i_inj`` (µA/cm², one value per step), with ``lax.scan``.

    Returns ``(t, v, spike_times, final_state)`` as NumPy arrays: ``t[k] = (k+1)·dt`` is the end
    of step ``k``, ``v[k]`` the potential there (mV), and a spike's time is the end of the step in
    which ``v`` crossed the threshold.  The jitted ``simulate`` is cached per kernel; ``params``
    and ``dt`` are traced, so only a new trace length or dtype compiles again.
    """
    simulate = _JITTED.setdefault(kernel, jax.jit(kernel.simulate))
    if state is None:
        state = kernel.initial_state(params)
    final, v, spiked = simulate(params, state, dt, np.asarray(i_inj))
    t = (np.arange(len(v)) + 1) * dt
    return t, np.asarray(v), t[np.asarray(spiked)], final


@pytest.fixture(scope="session")
def run():
    """``run(kernel, params, dt, i_inj, state=None) -> (t, v, spike_times, final_state)``."""
    return _run


def pulse_train(dt, t_stop, amplitude, width, period, start=0.0):
    """Rectangular current pulses on the step grid: ``amplitude`` during ``[start + k·period,
    start + k·period + width)``, else 0 (µA/cm²; times in ms)."""
    t = np.arange(int(round(t_stop / dt))) * dt
    phase = np.round((t - start) / dt).astype(int) % int(round(period / dt))
    return np.where((t >= start - dt / 2) & (phase < int(round(width / dt))), amplitude, 0.0)


@pytest.fixture(scope="session")
def pulses():
    """:func:`pulse_train` as a fixture."""
    return pulse_train
