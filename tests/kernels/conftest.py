"""Fixtures for the kernel tests: float64 on demand, and a cached, jitted single-neuron run."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest


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
_CHUNK = 5000  # steps per compiled call: one compilation per kernel and dtype serves every test


def _run(kernel, params, dt, i_inj, state=None):
    """One neuron of ``kernel`` over ``i_inj`` (µA/cm², one value per step), with ``lax.scan``.

    Returns ``(t, v, spike_times, final_state)`` as NumPy arrays: ``t[k] = (k+1)·dt`` is the end
    of step ``k``, ``v[k]`` the potential there (mV), and a spike's time is the end of the step in
    which ``v`` crossed the threshold.  The trace runs in chunks of ``_CHUNK`` steps (and one
    shorter tail) through one cached, jitted ``simulate`` per kernel; ``params`` and ``dt`` are
    traced, so traces whose length is a multiple of ``_CHUNK`` share a single compilation.
    """
    simulate = _JITTED.setdefault(kernel, jax.jit(kernel.simulate))
    state = kernel.initial_state(params) if state is None else state
    i_inj = np.asarray(i_inj)
    vs, spikeds = [], []
    for start in range(0, len(i_inj), _CHUNK):
        state, v, spiked = simulate(params, state, dt, i_inj[start:start + _CHUNK])
        vs.append(np.asarray(v))
        spikeds.append(np.asarray(spiked))
    v, spiked = np.concatenate(vs), np.concatenate(spikeds)
    t = (np.arange(len(v)) + 1) * dt
    return t, v, t[spiked], state


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


def _assert_vectorized_matches_loop(seed_step, vectorized, states, params, n_steps, dt=0.025):
    """Compare a seed-API population step with ``seed_step`` run neuron by neuron.

    Each neuron gets its own constant ``I_ext`` (0–10 µA/cm²) and ``I_syn = 0``; both runs use
    ``lax.scan`` over ``n_steps``, and the neuron-by-neuron run is ``lax.map`` (a sequential loop,
    no batching) over the unbatched ``seed_step``.  Spike flags must be identical.  The
    arithmetic is the same, but XLA compiles the batched and the scalar program separately
    (different fusion, vectorised exp), so results differ by float32 ulps; on a spike upstroke
    such a difference becomes a time shift.  Voltages must therefore agree to 1e-4 mV (25 ulps
    at 50 mV) plus |dv/dt|·10 ns: measured 7e-4 mV on a 1000 mV/ms STN upstroke (0.7 ns).
    """
    n = states.v.shape[0]
    i_ext = jnp.linspace(0.0, 10.0, n, dtype=states.v.dtype)
    i_syn = jnp.zeros(n, dtype=states.v.dtype)
    _, (v_pop, spiked_pop) = jax.lax.scan(
        lambda s, _: vectorized(s, params, dt, i_ext, i_syn, 0.0), states, None, length=n_steps)

    def one_neuron(args):
        state, p, i_e, i_s = args
        return jax.lax.scan(lambda s, _: seed_step(s, p, dt, i_e, i_s, 0.0), state, None,
                            length=n_steps)[1]

    per_neuron = jax.tree_util.tree_map(lambda x: jnp.broadcast_to(x, (n,)), params)
    v_loop, spiked_loop = jax.jit(jax.lax.map, static_argnums=0)(
        one_neuron, (states, per_neuron, i_ext, i_syn))
    np.testing.assert_array_equal(np.asarray(spiked_loop), np.asarray(spiked_pop).T)
    v_pop = np.asarray(v_pop).T
    tolerance = 1e-4 + 1e-5 * np.abs(np.gradient(v_pop, dt, axis=1))
    assert np.all(np.abs(np.asarray(v_loop) - v_pop) <= tolerance)


@pytest.fixture(scope="session")
def assert_vectorized_matches_loop():
    """:func:`_assert_vectorized_matches_loop` as a fixture."""
    return _assert_vectorized_matches_loop


def _assert_engine_api_batches(kernel, params, n=8, dt=0.025, n_steps=400):
    """The engine-facing API under ``jax.vmap``: per-neuron parameters (every leaf of shape
    ``(n,)``, ``I_app`` spread over 0–25 µA/cm²) and initial potentials (-70…-50 mV) through
    ``initial_state``, ``prepare`` and ``step`` give, neuron by neuron, the trajectory of the
    unbatched ``simulate`` run with ``lax.map`` (float32, 10 ms; tolerance as in
    :func:`_assert_vectorized_matches_loop`: float32 ulps and their time shift on an upstroke;
    over longer runs that shift accumulates from spike to spike)."""
    batched = jax.tree_util.tree_map(lambda x: jnp.full(n, x, dtype=jnp.float32), params)
    batched = batched._replace(I_app=jnp.linspace(0.0, 25.0, n, dtype=jnp.float32))
    v0 = jnp.linspace(-70.0, -50.0, n, dtype=jnp.float32)
    states = jax.vmap(kernel.initial_state)(batched, v0)
    coeffs = jax.vmap(kernel.prepare, in_axes=(0, None))(batched, dt)
    step = jax.vmap(kernel.step)

    def population_step(s, _):
        s, spiked = step(coeffs, s, jnp.zeros(n))
        return s, (s.v, spiked)

    _, (v_pop, spiked_pop) = jax.lax.scan(population_step, states, None, length=n_steps)

    def one_neuron(args):
        p, v_init = args
        return kernel.simulate(p, kernel.initial_state(p, v_init), dt, jnp.zeros(n_steps))[1:]

    v_loop, spiked_loop = jax.jit(jax.lax.map, static_argnums=0)(one_neuron, (batched, v0))
    np.testing.assert_array_equal(np.asarray(spiked_loop), np.asarray(spiked_pop).T)
    v_pop = np.asarray(v_pop).T
    tolerance = 1e-4 + 1e-5 * np.abs(np.gradient(v_pop, dt, axis=1))
    assert np.all(np.abs(np.asarray(v_loop) - v_pop) <= tolerance)


@pytest.fixture(scope="session")
def assert_engine_api_batches():
    """:func:`_assert_engine_api_batches` as a fixture."""
    return _assert_engine_api_batches
