"""Numerics shared by the Hodgkin–Huxley kernels (``stn``, ``gp``, ``tc``).

The numerics are pure, elementwise ``jax.numpy`` functions of one neuron with no global state;
:func:`rk4` carries its own rule for being batched over a population, and the last two helpers
build the seed API's populations.

* :func:`sigmoid`, the Rubin & Terman steady-state curve ``σ(x) = 1/(1+exp(x))``;
* :func:`safe_exp`, ``exp`` with its argument clipped so that float32 never overflows;
* :func:`rk4`, one classical fourth-order Runge–Kutta step of a state ``NamedTuple``;
* :func:`crossed_upward`, the spike test;
* :func:`scan_steps`, ``jax.lax.scan`` of a kernel ``step`` over a current trace;
* :func:`vectorize_seed_step` and :func:`perturbed_population`, the seed population API.
"""

from __future__ import annotations

from functools import partial
from typing import Callable, NamedTuple, TypeVar

import jax
import jax.numpy as jnp

try:            # public, but young: jax.custom_batching (and lax.platform_dependent below)
    from jax.custom_batching import custom_vmap
except ImportError:                                      # pragma: no cover (jax >= 0.4.30 has it)
    custom_vmap = None


__all__ = [
    "sigmoid", "safe_exp", "rk4", "crossed_upward", "scan_steps",
    "vectorize_seed_step", "perturbed_population", "STACKED_RK4",
]

STACKED_RK4 = custom_vmap is not None and hasattr(jax.lax, "platform_dependent")
"""Whether :func:`rk4` batches a population with its own rule (stacked on CPU, see there).

A feature check, not a version check: both APIs it needs are public but recent.  Where either
is missing, :func:`rk4` is the variable-by-variable step, batched by plain ``jax.vmap``: the
same numbers to rounding (``tests/kernels/test_gates.py``), slower on a CPU."""

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


# Classical RK4 as four identical stages: stage i evaluates the right-hand side at
# y + c_i·dt·k_{i-1} and adds w_i·k_i to the sum; the new state is y + (dt/6)·sum.
_RK4_C = (0.0, 0.5, 0.5, 1.0)
_RK4_W = (1.0, 2.0, 2.0, 1.0)
_RK4_X = (0, 1, 1, 2)   # stage input of each stage: at 0, dt/2, dt/2, dt


def _stage_args(stages, j, args):
    """Arguments of the right-hand side at RK4 stage ``j``: the stage input first, if any."""
    return tuple(args) if stages is None else (stages[_RK4_X[j]],) + tuple(args)


def _rk4_unrolled(rhs, y, dt, stages, *args):
    """:func:`rk4` of one neuron, variable by variable (non-CPU platforms)."""
    k = acc = jax.tree_util.tree_map(jnp.zeros_like, y)
    for j, (c, w) in enumerate(zip(_RK4_C, _RK4_W)):
        k = rhs(jax.tree_util.tree_map(lambda b, d: b + (c * dt) * d, y, k),
                *_stage_args(stages, j, args))
        acc = jax.tree_util.tree_map(lambda a, d: a + w * d, acc, k)
    return jax.tree_util.tree_map(lambda b, a: b + (dt / 6.0) * a, y, acc)


def _rk4_stacked(rhs, y, dt, stages, args, axes=None):
    """:func:`rk4` with the state as one ``[n_vars, ...]`` array (CPU).

    ``y``'s leaves are scalars (one neuron, ``axes`` None) or ``[n]`` vectors (a population:
    ``rhs`` is ``vmap``-ed, ``axes = (stage_axes, arg_axes)`` saying which leaves of the stage
    inputs and of ``args`` have the neuron axis).  Each stage's derivative is one array, so XLA
    fuses a stage into one concatenation of the variables' derivatives and never copies one
    stage's arithmetic into the next.
    """
    names = type(y)
    Y = jnp.stack(jax.tree_util.tree_leaves(y))
    K = acc = jnp.zeros_like(Y)
    for j, (c, w) in enumerate(zip(_RK4_C, _RK4_W)):
        f = rhs
        if axes is not None:
            f = jax.vmap(rhs, in_axes=(0,) + _stage_args(axes[0], j, axes[1]))
        K = jnp.stack(jax.tree_util.tree_leaves(
            f(names(*(Y + (c * dt) * K)), *_stage_args(stages, j, args))))
        acc = acc + w * K
    return names(*(Y + (dt / 6.0) * acc))


def _stackable(y) -> bool:
    leaves = jax.tree_util.tree_leaves(y)
    return len({(x.dtype, jnp.shape(x)) for x in leaves}) == 1 and jnp.ndim(leaves[0]) <= 1


def _axes(batched):
    """``vmap`` axes (0 or None) from a tree of "has a neuron axis" flags."""
    return jax.tree_util.tree_map(lambda b: 0 if b else None, batched)


def _batched_rk4(rhs, staged: bool):
    """The RK4 step of one neuron, with a batching rule for populations (see :func:`rk4`).

    ``stages`` is the tuple of stage inputs when ``staged``, else ``()``.
    """

    @custom_vmap
    def one(y, dt, stages, *args):
        stages = stages if staged else None
        if not _stackable(y):
            return _rk4_unrolled(rhs, y, dt, stages, *args)
        return jax.lax.platform_dependent(
            y, dt, *args,
            cpu=lambda y, dt, *a: _rk4_stacked(rhs, y, dt, stages, a),
            default=lambda y, dt, *a: _rk4_unrolled(rhs, y, dt, stages, *a))

    @one.def_vmap
    def population(n, in_batched, y, dt, stages, *args):
        y = jax.tree_util.tree_map(
            lambda x, b: x if b else jnp.broadcast_to(x, (n,) + jnp.shape(x)), y, in_batched[0])
        dt = dt if in_batched[1] else jnp.broadcast_to(dt, (n,))
        stage_axes = _axes(in_batched[2])
        arg_axes = tuple(_axes(b) for b in in_batched[3:])
        unrolled = jax.vmap(
            lambda y, dt, x, *a: _rk4_unrolled(rhs, y, dt, x if staged else None, *a),
            in_axes=(0, 0, stage_axes) + arg_axes)
        if _stackable(y):
            axes = (stage_axes if staged else None, arg_axes)
            out = jax.lax.platform_dependent(
                y, dt, stages, *args,
                cpu=lambda y, dt, x, *a: _rk4_stacked(rhs, y, dt, x if staged else None, a,
                                                      axes),
                default=lambda y, dt, x, *a: unrolled(y, dt, x, *a))
        else:
            out = unrolled(y, dt, stages, *args)
        return out, jax.tree_util.tree_map(lambda _: True, out)

    # Derivatives (jax.grad through a kernel) come from the variable-by-variable form, which
    # is the same function; custom_vmap alone would not be differentiable.
    @jax.custom_jvp
    def differentiable(y, dt, stages, *args):
        return one(y, dt, stages, *args)

    @differentiable.defjvp
    def _jvp(primals, tangents):
        def plain(y, dt, stages, *args):
            return _rk4_unrolled(rhs, y, dt, stages if staged else None, *args)
        return jax.jvp(plain, primals, tangents)

    return differentiable


def rk4(rhs: Callable[..., S], y: S, dt: float, *args, stages: tuple | None = None) -> S:
    """One classical fourth-order Runge–Kutta step of ``dy/dt = rhs(y, *args)`` for a PyTree ``y``.

    ``k1 = rhs(y)``, ``k2 = rhs(y + dt/2·k1)``, ``k3 = rhs(y + dt/2·k2)``,
    ``k4 = rhs(y + dt·k3)``,
    ``y + dt/6·(k1 + 2 k2 + 2 k3 + k4)``, summed in that order.  With ``stages = (x0, xh, x1)``,
    an input known at 0, dt/2 and dt (a decaying synaptic conductance), the right-hand side is
    ``rhs(y, x, *args)`` with ``x0`` for k1, ``xh`` for k2 and k3, ``x1`` for k4.

    The step is written for one neuron and batched over a population by a ``custom_vmap`` rule,
    so the kernels stay single-neuron functions while the compiled program is shaped per
    platform:

    * On a CPU (:func:`_rk4_stacked`) the state is one ``[n_vars, n]`` array and each stage's
      derivative is stacked into one.  XLA:CPU has no multi-output fusion: written variable by
      variable, it copied every cheap intermediate (a stage's state, its currents) into each
      fusion that consumes it, so the unrolled STN step compiled to 2 700 elementwise
      operations where its right-hand side needs ~170 per stage, and a stage loop over the
      variables still took ~15 fusions and 6 buffer copies per stage.  Stacked, a stage is one
      fused concatenation and the four stages unroll without duplication: 10 000 neurons,
      float32, dt = 0.025 ms, 2 threads: STN 0.38 -> 0.22 ms per step, GPe 0.26 -> 0.15,
      TC 0.18 -> 0.10 (``validation/benchmarks/bench_kernels.py``; the engine's
      ``STN_RT2004`` with per-neuron parameters 0.43 -> 0.36).
    * Elsewhere the stages are unrolled variable by variable and ``vmap``-ed
      (:func:`_rk4_unrolled`): a GPU compiler fuses multi-output loops itself.

    Both forms perform the same floating-point operations in the same order (the weights 1 and
    2 and ``y + 0·0`` are exact); XLA compiles them differently, so they agree to rounding, not
    bitwise (``tests/kernels/test_gates.py``).  A state whose variables differ in dtype or shape
    is always integrated variable by variable, and so is every state where the installed JAX
    lacks ``custom_vmap`` or ``lax.platform_dependent`` (:data:`STACKED_RK4`).

    Parameters
    ----------
    rhs : callable
        Autonomous right-hand side ``rhs(y, *args)``, mapping a state PyTree to its time
        derivative (same structure, per ms).  It must not close over traced values: pass them
        in ``args``.
    y : NamedTuple
        State at the start of the step.
    dt : float
        Step, ms.
    *args
        Further arguments of ``rhs`` (coefficients, the injected current).
    stages : tuple of three PyTrees, optional
        Stage inputs at 0, dt/2 and dt.

    Returns
    -------
    NamedTuple
        State after ``dt``; local error O(dt^5), global error O(dt^4).
    """
    dt = jnp.asarray(dt, dtype=jnp.result_type(*jax.tree_util.tree_leaves(y)))
    staged = stages is not None
    if not STACKED_RK4:
        return _rk4_unrolled(rhs, y, dt, tuple(stages) if staged else None, *args)
    return _batched_rk4(rhs, staged)(y, dt, tuple(stages) if staged else (), *args)


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
