"""Numerics shared by the Hodgkin–Huxley kernels (``stn``, ``gp``, ``tc``).

The numerics are pure, elementwise ``jax.numpy`` functions of one neuron with no global state;
the last two helpers build the seed API's populations.  The kernels' RK4 step, with its rule
for being batched over a population, is ``integrators.rk4_batched``.

* :func:`sigmoid`, the Rubin & Terman steady-state curve ``σ(x) = 1/(1+exp(x))``;
* :func:`safe_exp`, ``exp`` with its argument clipped so that float32 never overflows;
* :func:`crossed_upward`, the spike test;
* :func:`scan_steps`, ``jax.lax.scan`` of a kernel ``step`` over a current trace;
* :func:`vectorize_seed_step` and :func:`perturbed_population`, the seed population API.
"""

from __future__ import annotations

from typing import Callable, NamedTuple, TypeVar

import jax
import jax.numpy as jnp

from .integrators import rk4_batched

__all__ = [
    "sigmoid", "safe_exp", "crossed_upward", "scan_steps",
    "vectorize_seed_step", "perturbed_population",
]

S = TypeVar("S", bound=NamedTuple)

# exp(80) ~ 5.5e34 is finite in float32 (max ~3.4e38), and so is the sum of two such terms, the
# largest combination in the rate expressions; at physiological v no argument comes near 80.
_EXP_ARG_MAX = 80.0


def safe_exp(x: jax.Array) -> jax.Array:
    """``exp(x)`` with ``x`` clipped to ``[-80, 80]`` so float32 never returns ``inf``.

    Parameters
    ----------
    x : array_like
        Exponent, any shape.

    Returns
    -------
    jax.Array
        ``exp(clip(x, -80, 80))``.

    Examples
    --------
    >>> float(safe_exp(1000.0)) < float("inf")
    True
    """
    return jnp.exp(jnp.clip(x, -_EXP_ARG_MAX, _EXP_ARG_MAX))


def sigmoid(x: jax.Array) -> jax.Array:
    """Decreasing logistic ``σ(x) = 1/(1+exp(x))`` in the sign convention of Rubin & Terman.

    Written as ``0.5 - 0.5·tanh(x/2)``, an identity.  It is overflow-free for any ``x`` and,
    on XLA:CPU, the cheapest form: ``tanh`` is a rational approximation (2.9 µs per 10⁴ float32
    values on this machine's CPU) where ``exp`` costs 3.7 µs and the ``1/(1+e)`` division another
    1.6 µs.  The absolute error is at most 1.5e-7 in float32 (9e-8 for ``jax.nn.sigmoid``) and
    4e-16 in float64; only values far below float32 resolution (σ < 1e-6, currents < 1e-10
    µA/cm² here) lose relative precision.

    Examples
    --------
    >>> float(sigmoid(0.0))
    0.5
    """
    return 0.5 - 0.5 * jnp.tanh(0.5 * x)


def crossed_upward(v_old: jax.Array, v_new: jax.Array, v_thresh: jax.Array) -> jax.Array:
    """Spike flag: ``v`` was below ``v_thresh`` before the step and is at or above it after."""
    return (v_old < v_thresh) & (v_new >= v_thresh)


def scan_steps(step: Callable, coeffs, state: S, i_inj: jax.Array):
    """Run ``step(coeffs, state, i) -> (state, spiked)`` over a current trace with ``lax.scan``.

    Parameters
    ----------
    step : callable
        A kernel's engine-facing ``step``.
    coeffs
        The kernel's ``prepare(params, dt)``.
    state : NamedTuple
        Initial state.
    i_inj : jax.Array, shape (n_steps,)
        Injected current density for each step, µA/cm² (positive depolarising).

    Returns
    -------
    final_state : NamedTuple
    v : jax.Array, shape (n_steps,)
        Membrane potential at the end of each step, mV.
    spiked : jax.Array of bool, shape (n_steps,)
        Whether each step contained an upward threshold crossing.
    """

    def body(s, i):
        s, spiked = step(coeffs, s, i)
        return s, (s.v, spiked)

    final, (v, spiked) = jax.lax.scan(body, state, jnp.asarray(i_inj))
    return final, v, spiked


def rk4_kernel(derivatives: Callable) -> Callable:
    """The density-unit step of a Rubin-Terman kernel whose right-hand side is
    ``derivatives(coeffs, state, i_total)`` (``integrators.rk4_batched``).

    The returned ``step(coeffs, state, i_inj) -> (new_state, spiked)`` advances one neuron by
    ``coeffs.dt`` with RK4, the injected current density ``i_inj`` (µA/cm², positive
    depolarising, added to ``params.I_app``) held constant over the step; ``spiked`` is True
    where ``v`` crossed ``params.v_thresh`` upwards during the step.
    """
    def rhs(y, coeffs, i_total):
        return derivatives(coeffs, y, i_total)

    def step(coeffs, state, i_inj):
        p = coeffs.params
        new = rk4_batched(rhs, state, coeffs.dt, coeffs, p.I_app + i_inj)
        return new, crossed_upward(state.v, new.v, p.v_thresh)

    step.__doc__ = rk4_kernel.__doc__.split("\n\n", 1)[1].strip()
    return step


def seed_step(step: Callable, prepare: Callable) -> Callable:
    """The seed API's single step for a kernel's ``step``/``prepare``:
    ``(state, params, dt_ms, I_ext, I_syn, t_ms=0) -> (new_state, (V, spiked))``.

    ``I_ext`` and ``I_syn`` (µA/cm², positive depolarising) are added to ``params.I_app``;
    ``t_ms`` is accepted for compatibility and unused (the models are autonomous).
    """

    def seed(state, params, dt_ms, I_ext, I_syn, t_ms=0.0):
        del t_ms
        new, spiked = step(prepare(params, dt_ms), state, I_ext + I_syn)
        return new, (new.v, spiked)

    return seed


def _batch_axes(tree):
    """``vmap`` in_axes: 0 for every leaf with a leading (neuron) axis, None for scalars."""
    return jax.tree_util.tree_map(lambda x: 0 if jnp.ndim(x) >= 1 else None, tree)


def vectorize_seed_step(seed_step: Callable, compile: bool = True) -> Callable:
    """Batch a seed-API step ``(state, params, dt, I_ext, I_syn, t) -> (state, (V, spiked))``.

    The result maps over the leading axis of ``states``; a leaf of ``params``, ``I_ext`` or
    ``I_syn`` is mapped when it has one and shared when it is a scalar (a static, shape-only
    decision, so it never depends on traced values).
    """

    def population_step(states, params, dt_ms, I_ext, I_syn, t_ms=0.0):
        in_axes = (0, _batch_axes(params), None, _batch_axes(I_ext), _batch_axes(I_syn), None)
        return jax.vmap(seed_step, in_axes=in_axes)(states, params, dt_ms, I_ext, I_syn, t_ms)

    return jax.jit(population_step) if compile else population_step


def perturbed_population(base: S, n_neurons: int, heterogeneity: float = 0.05,
                         key: jax.Array | int | None = None) -> S:
    """``n_neurons`` copies of the scalar state ``base``, each leaf times ``1 + heterogeneity·z``.

    ``z`` is standard normal, independent per neuron and variable.  Every leaf except ``v`` is
    treated as a gate and clipped to [0, 1], except ``ca``, which is clipped to >= 0.  ``key`` is
    a ``jax.random`` key, an integer seed, or None (seed 0).
    """
    if key is None:
        key = 0
    if isinstance(key, int):
        key = jax.random.PRNGKey(key)
    leaves = []
    for name, x, k in zip(base._fields, base, jax.random.split(key, len(base))):
        x = jnp.asarray(x)
        y = x * (1.0 + heterogeneity * jax.random.normal(k, (n_neurons,), dtype=x.dtype))
        if name != "v":
            y = jnp.clip(y, 0.0, None if name == "ca" else 1.0)
        leaves.append(y)
    return type(base)(*leaves)
