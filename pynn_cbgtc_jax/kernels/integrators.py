"""The integrators of every kernel: explicit Runge-Kutta from a Butcher tableau, NEST's adaptive
RKF45 attempt, RK4 on substeps with exact conductances, and exponential Euler / midpoint.

One explicit Runge-Kutta step, :func:`rk_step`, serves every Runge-Kutta scheme of the package,
as Diffrax's solvers share one step over their tableaus:

* :data:`RK4`, classical fourth order: :func:`rk4` (one neuron, a tuple or PyTree state, with
  the synaptic input known exactly at the stage times: ``lif_cond``, ``gif``, ``adex``'s 'rk4'
  scheme, ``composite``), :func:`rk4_substeps` (equal substeps with exponentially decaying
  conductances: ``hh``'s 'rk4' scheme, ``lif_sfa_rr``) and :func:`rk4_batched` (the Rubin &
  Terman cells ``stn``, ``gp``, ``tc`` and their PyNN bridge, with a batching rule that
  integrates a population as one stacked array on a CPU);
* :data:`RKF45`, Fehlberg 4(5): :func:`rkf45` and :func:`attempt`, one try of GSL's
  ``gsl_odeiv_evolve_apply`` with its step-size control, from which ``adex`` and ``hh`` build
  NEST's sub-step loop (their 'nest' scheme, :func:`use_nest_scheme`).

:func:`exponential_euler` / :func:`exponential_midpoint` advance equations written
``dx/dt = rate (x_inf - x)`` exactly with frozen coefficients (Rush-Larsen with a midpoint):
``gp.step_exponential`` and the GP populations above ``gp.DT_MAX``.

Every function is a pure function of one neuron's arrays (the engine ``vmap``s the kernels).
"""
from __future__ import annotations

from typing import Callable, NamedTuple, TypeVar

import jax
import jax.numpy as jnp

try:            # public, but young: jax.custom_batching (and lax.platform_dependent below)
    from jax.custom_batching import custom_vmap
except ImportError:                                      # pragma: no cover (jax >= 0.4.30 has it)
    custom_vmap = None

__all__ = ["Tableau", "RK4", "MIDPOINT", "RKF45", "rk_step", "rk4", "decay_factors", "rk4_substeps",
           "rk4_batched", "STACKED_RK4", "rkf45", "Attempt", "attempt", "SCHEMES",
           "use_nest_scheme", "Relax", "exponential_euler", "exponential_midpoint",
           "exponential_midpoint_staggered"]

S = TypeVar("S")


# --- explicit Runge-Kutta from a Butcher tableau -------------------------------------------------

class Tableau(NamedTuple):
    """Butcher tableau of an explicit Runge-Kutta method (Hairer, Norsett & Wanner, Solving ODEs
    I, 2nd ed., 1993, II.1).

    Stage ``i`` evaluates ``k_i = f(y + (a_scale[i-1] h) sum_j a[i-1][j] k_j)`` (``k_1 = f(y)``);
    the step is ``y + (h / b_denominator) sum_i b_i k_i``.  A common factor of a row, and a
    common denominator of the weights, are applied to ``h`` first, as the textbook formulas do:
    RK4 is ``y + (h/2) k1``, ..., ``y + h/6 (k1 + 2 k2 + 2 k3 + k4)``, and ``(h/2) k`` rounds
    differently from ``h (k/2)`` once compiled.  ``e``, for an embedded pair, gives the error
    estimate ``h sum_i e_i k_i``.  Zero coefficients are skipped and unit ones not multiplied.
    """

    c: tuple                      # nodes c_2..c_s (stage times, fractions of h)
    a: tuple                      # rows a[i][j], j < i + 1, each over its factor a_scale[i]
    b: tuple                      # weights of the solution carried on, over b_denominator
    a_scale: tuple | None = None  # factor of each row of a (None: all 1)
    b_denominator: float = 1.0
    e: tuple | None = None        # error weights (b_high - b_low), embedded pairs only


RK4 = Tableau(c=(0.5, 0.5, 1.0), a=((1.0,), (0.0, 1.0), (0.0, 0.0, 1.0)), a_scale=(0.5, 0.5, 1.0),
              b=(1.0, 2.0, 2.0, 1.0), b_denominator=6.0)
"""Classical fourth-order Runge-Kutta (Kutta 1901)."""

MIDPOINT = Tableau(c=(0.5,), a=((1.0,),), a_scale=(0.5,), b=(0.0, 1.0))
"""The explicit midpoint method (Runge 1895), second order: ``y + h f(y + (h/2) f(y))``."""

RKF45 = Tableau(
    c=(0.25, 3.0 / 8.0, 12.0 / 13.0, 1.0, 0.5),
    a=((0.25,),
       (3.0 / 32.0, 9.0 / 32.0),
       (1932.0 / 2197.0, -7200.0 / 2197.0, 7296.0 / 2197.0),
       (8341.0 / 4104.0, -32832.0 / 4104.0, 29440.0 / 4104.0, -845.0 / 4104.0),
       (-6080.0 / 20520.0, 41040.0 / 20520.0, -28352.0 / 20520.0, 9295.0 / 20520.0,
        -5643.0 / 20520.0)),
    b=(902880.0 / 7618050.0, 0.0, 3953664.0 / 7618050.0, 3855735.0 / 7618050.0,
       -1371249.0 / 7618050.0, 277020.0 / 7618050.0),
    e=(1.0 / 360.0, 0.0, -128.0 / 4275.0, -2197.0 / 75240.0, 1.0 / 50.0, 2.0 / 55.0))
"""Fehlberg 4(5) (Fehlberg 1969, NASA TR R-315) with GSL's coefficients (``rkf45.c``): ``b`` the
5th-order weights (the solution GSL carries on), ``e`` the 5th- minus 4th-order weights."""


def _weighted(coeffs, ks):
    """``sum_j coeffs_j k_j`` per leaf, in order; zero coefficients skipped, unit ones not
    multiplied."""
    terms = [(a, k) for a, k in zip(coeffs, ks) if a != 0.0]

    def leaf(*kis):
        acc = None
        for (a, _), ki in zip(terms, kis):
            term = ki if a == 1.0 else a * ki
            acc = term if acc is None else acc + term
        return acc
    return jax.tree_util.tree_map(leaf, *(k for _, k in terms))


def _combine(y, h, coeffs, ks):
    """``y + h sum_j coeffs_j k_j`` per leaf."""
    return jax.tree_util.tree_map(lambda yi, si: yi + h * si, y, _weighted(coeffs, ks))


def rk_step(f: Callable, y: S, h, tableau: Tableau = RK4, k1=None, inputs=None):
    """One explicit Runge-Kutta step of ``dy/dt = f(y)`` with ``tableau``.

    Parameters
    ----------
    f : callable ``y -> dy/dt``, or ``(y, x) -> dy/dt`` with ``inputs``.
    y : PyTree of arrays (a tuple of scalars for one neuron, or one stacked array).
    h : step.
    tableau : :class:`Tableau`.
    k1 : ``f(y)`` if already known (GSL evaluates it once per ``evolve_apply``).
    inputs : sequence, optional
        One input per stage, passed as ``f(y_stage, inputs[i])``: a conductance known exactly at
        the stage times.

    Returns
    -------
    y_new : PyTree like ``y``
    ks : tuple of the stage derivatives (for an error estimate: :func:`rkf45`).
    """
    def call(i, yi):
        return f(yi) if inputs is None else f(yi, inputs[i])

    ks = [call(0, y) if k1 is None else k1]
    scales = tableau.a_scale or (1.0,) * len(tableau.a)
    for i, (row, scale) in enumerate(zip(tableau.a, scales), start=1):
        ks.append(call(i, _combine(y, h if scale == 1.0 else scale * h, row, ks)))
    scale = h if tableau.b_denominator == 1.0 else h / tableau.b_denominator
    return _combine(y, scale, tableau.b, ks), tuple(ks)


def rk4(f: Callable, y: S, h, stage_inputs=None) -> S:
    """Classical RK4 for ``dy/dt = f(y[, x])``; ``stage_inputs`` = inputs ``x`` at 0, h/2, h.

    ``k1 = f(y, x0)``, ``k2 = f(y + h/2 k1, xh)``, ``k3 = f(y + h/2 k2, xh)``,
    ``k4 = f(y + h k3, x1)``, ``y + h/6 (k1 + 2 k2 + 2 k3 + k4)``; local error O(h^5).  ``y`` may
    be a tuple of arrays (for AdEx: v and w).  Used with synaptic conductances advanced exactly
    (``conductance.py``): the membrane equation sees their exact values at the stage times.
    """
    inputs = None
    if stage_inputs is not None:
        x0, xh, x1 = stage_inputs
        inputs = (x0, xh, xh, x1)
    return rk_step(f, y, h, RK4, inputs=inputs)[0]


def decay_factors(taus, h):
    """``(exp(-h/(2 tau)), exp(-h/tau))`` for each time constant in ``taus`` (substep ``h``)."""
    return (tuple(jnp.exp(-0.5 * h / tau) for tau in taus),
            tuple(jnp.exp(-h / tau) for tau in taus))


def rk4_substeps(f, y, g, factors, h, n: int):
    """``n`` classical RK4 substeps of length ``h`` of ``dy/dt = f(y, g(t))``.

    Used by kernels whose membrane equation is too stiff for one RK4 step per ``dt`` (the
    Hodgkin-Huxley upstroke, a large relative-refractory conductance).  The number of substeps
    is a static Python int, so the loop is unrolled into the compiled step: a loop whose trip
    count depended on the traced ``dt`` would become an XLA while loop, which synchronises with
    the host on every iteration on a GPU.

    Parameters
    ----------
    f : callable ``(y, g) -> dy/dt``
        ``y`` and ``g`` are tuples of arrays.
    y : tuple
        State at the start of the step.
    g : tuple
        Conductances at the start of the step; each decays as ``exp(-t/tau)`` (exactly).
    factors : ``decay_factors(taus, h)``
    h : step of one substep (ms).
    n : static number of substeps.

    Returns
    -------
    y, g : the state and the conductances after ``n h``.
    """
    half, full = factors
    for _ in range(n):
        g_half = tuple(a * x for a, x in zip(half, g))
        g_full = tuple(a * x for a, x in zip(full, g))
        y = rk4(f, y, h, (g, g_half, g_full))
        g = g_full
    return y, g


# --- RK4 of a PyTree state with a batching rule (the Rubin & Terman cells) ----------------------

STACKED_RK4 = custom_vmap is not None and hasattr(jax.lax, "platform_dependent")
"""Whether :func:`rk4_batched` batches a population with its own rule (stacked on CPU, see
there).

A feature check, not a version check: both APIs it needs are public but recent.  Where either
is missing, :func:`rk4_batched` is the variable-by-variable step, batched by plain ``jax.vmap``:
the same numbers to rounding (``tests/kernels/test_gates.py``), slower on a CPU."""

_RK4_X = (0, 1, 1, 2)   # stage input of each RK4 stage: at 0, dt/2, dt/2, dt


def _stage_inputs(stages):
    return None if stages is None else tuple(stages[i] for i in _RK4_X)


def _rk4_unrolled(rhs, y, dt, stages, *args):
    """:func:`rk4_batched` of one neuron, variable by variable (non-CPU platforms)."""
    def f(y, x=None):
        return rhs(y, *args) if stages is None else rhs(y, x, *args)
    return rk_step(f, y, dt, RK4, inputs=_stage_inputs(stages))[0]


#: from this many cells on, a stage's derivatives are written into their stack one variable at a
#: time (``dynamic_update_slice``) instead of by ``jnp.stack``: XLA:CPU fused the whole stage
#: into the concatenation, a loop over variables x cells that it did not vectorise (CBGTC
#: example, 32 members = 320 STN cells, one core: 145 -> 115 us a step); below it the one
#: concatenation is cheaper than a fusion per variable (a single network's 16 lanes).
_STACK_IN_PLACE = 128


def _rk4_stacked(rhs, y, dt, stages, args, axes=None):
    """:func:`rk4_batched` with the state as one ``[n_vars, ...]`` array (CPU).

    ``y``'s leaves are scalars (one neuron, ``axes`` None) or ``[n]`` vectors (a population:
    ``rhs`` is ``vmap``-ed, ``axes = (stage_axes, arg_axes)`` saying which leaves of the stage
    inputs and of ``args`` have the neuron axis).  Each stage's derivative is one array, so XLA
    fuses a stage into one concatenation of the variables' derivatives and never copies one
    stage's arithmetic into the next.
    """
    names = type(y)
    staged = stages is not None

    def f(Y, j):
        g = rhs
        if axes is not None:
            stage_axes = (axes[0][_RK4_X[j]],) if staged else ()
            g = jax.vmap(rhs, in_axes=(0,) + stage_axes + tuple(axes[1]))
        x = (stages[_RK4_X[j]],) if staged else ()
        leaves = jax.tree_util.tree_leaves(g(names(*Y), *x, *args))
        if jnp.size(leaves[0]) < _STACK_IN_PLACE:
            return jnp.stack(leaves)
        out = jnp.zeros((len(leaves),) + jnp.shape(leaves[0]), leaves[0].dtype)
        for i, leaf in enumerate(leaves):
            out = jax.lax.dynamic_update_slice(out, leaf[None], (i,) + (0,) * jnp.ndim(leaf))
        return out

    Y = jnp.stack(jax.tree_util.tree_leaves(y))
    return names(*rk_step(f, Y, dt, RK4, inputs=range(4))[0])


def _stackable(y) -> bool:
    leaves = jax.tree_util.tree_leaves(y)
    return len({(x.dtype, jnp.shape(x)) for x in leaves}) == 1 and jnp.ndim(leaves[0]) <= 1


def _axes(batched):
    """``vmap`` axes (0 or None) from a tree of "has a neuron axis" flags."""
    return jax.tree_util.tree_map(lambda b: 0 if b else None, batched)


def _batched_rk4(rhs, staged: bool):
    """The RK4 step of one neuron, with a batching rule for populations (see
    :func:`rk4_batched`).  ``stages`` is the tuple of stage inputs when ``staged``, else ``()``.
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


def rk4_batched(rhs: Callable[..., S], y: S, dt: float, *args,
                stages: tuple | None = None) -> S:
    """One classical fourth-order Runge–Kutta step of ``dy/dt = rhs(y, *args)`` for a PyTree ``y``.

    ``k1 = rhs(y)``, ``k2 = rhs(y + dt/2·k1)``, ``k3 = rhs(y + dt/2·k2)``,
    ``k4 = rhs(y + dt·k3)``,
    ``y + dt/6·(k1 + 2 k2 + 2 k3 + k4)``, summed in that order (:func:`rk_step` with
    :data:`RK4`).  With ``stages = (x0, xh, x1)``, an input known at 0, dt/2 and dt (a decaying
    synaptic conductance), the right-hand side is ``rhs(y, x, *args)`` with ``x0`` for k1, ``xh``
    for k2 and k3, ``x1`` for k4.

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

    Both forms perform the same floating-point operations in the same order; XLA compiles them
    differently, so they agree to rounding, not bitwise (``tests/kernels/test_gates.py``).  A
    state whose variables differ in dtype or shape is always integrated variable by variable,
    and so is every state where the installed JAX lacks ``custom_vmap`` or
    ``lax.platform_dependent`` (:data:`STACKED_RK4`).

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


# --- NEST's scheme: one adaptive RKF45 attempt with GSL's step-size control ---------------------
#
# NEST's GSL-based neurons (``aeif_cond_*``, ``iaf_cond_*``, ``hh_cond_exp_traub``, ...) advance
# their state over a time step ``dt`` with a loop of ``gsl_odeiv_evolve_apply`` calls, each one
# RKF45 step whose size is adapted by ``gsl_odeiv_control`` and kept across time steps.
# :func:`attempt` reproduces one *attempt* of that call so that a kernel can run the loop in a
# ``lax.while_loop`` and handle events (spikes, resets) between accepted steps, as NEST does.
# Written from the GSL 2 sources ``ode-initval/rkf45.c``, ``cstd.c`` and ``evolve.c`` (method:
# Fehlberg 1969, NASA TR R-315; Hairer, Norsett & Wanner, Solving ODEs I, 2nd ed., 1993, II.4):
#
# * Fehlberg's tableau (:data:`RKF45`); the solution carried on is the 5th-order one, the error
#   estimate is ``h sum_i (b5_i - b4_i) k_i``; ``k1 = f(y)`` is evaluated once per
#   ``evolve_apply`` call and ``f`` is evaluated again at the end of the step (``dydt_out``, used
#   by the control);
# * standard control ``D_i = eps_abs_i + eps_rel (a_y |y_i| + a_dydt h |y'_i|)``,
#   ``rmax = max_i |err_i| / D_i``: ``rmax > 1.1`` shrinks the step to
#   ``h max(0.9 rmax^(-1/5), 0.2)`` and retries it, ``rmax < 0.5`` grows the next step to
#   ``h min(max(0.9 rmax^(-1/6), 1), 5)``, otherwise the size is kept (order 5: GSL's
#   ``rkf45_order``);
# * a step that would reach or pass the end of the interval is cut to end exactly there, and the
#   size proposed for the next step is derived from the cut step (GSL does not restore the longer
#   one).  GSL also backs the cut step off by ulps until ``t + h`` does not pass the end; here
#   the final time is set to the end directly, which differs from that by round-off only.
#
# All arrays are one neuron's scalars (the kernels are ``jax.vmap``-ed); ``y`` is a tuple.

_SAFETY = 0.9         # GSL's S
_ORDER = 5            # gsl rkf45_order()


def rkf45(f: Callable, y: tuple, k1: tuple, h):
    """One RKF45 step of size ``h`` from ``y`` with ``k1 = f(y)``.

    Returns
    -------
    y_new : tuple
        The 5th-order solution at ``h``.
    y_err : tuple
        GSL's error estimate (difference of the 5th- and 4th-order solutions).
    dydt_out : tuple
        ``f(y_new)``.
    """
    y_new, ks = rk_step(f, y, h, RKF45, k1=k1)
    y_err = jax.tree_util.tree_map(lambda e: h * e, _weighted(RKF45.e, ks))
    return y_new, y_err, f(y_new)


class Attempt(NamedTuple):
    """Outcome of one ``gsl_odeiv_evolve_apply`` try."""

    y: tuple             # state after the step (meaningful when accepted)
    t: jnp.ndarray       # time reached (t1 exactly on the final step of the interval)
    h: jnp.ndarray       # step size to use next (retry size when rejected)
    accepted: jnp.ndarray


def attempt(f: Callable, y: tuple, t, t1, h, eps_abs: tuple, eps_rel: float) -> Attempt:
    """One try of ``gsl_odeiv_evolve_apply`` with RKF45 and ``gsl_odeiv_control_yp_new``.

    Parameters
    ----------
    f : callable ``y -> dy/dt`` (autonomous within the interval: inputs are constant).
    y : tuple of scalars, the state at ``t``.
    t, t1 : start and end of the interval (``t < t1``).
    h : proposed step size (> 0).
    eps_abs : absolute tolerance per component of ``y`` (GSL's ``eps_abs`` in the units of the
        component).
    eps_rel : relative tolerance on ``h |dy/dt|`` (``a_y = 0``, ``a_dydt = 1``: control_yp).

    Returns
    -------
    Attempt
        When the error is too large and a smaller step still advances time, ``accepted`` is
        False, ``y`` and ``t`` must be kept and the try repeated with ``h``.
    """
    rem = t1 - t
    final = h >= rem
    h0 = jnp.where(final, rem, h)
    y_new, y_err, dydt = rkf45(f, y, f(y), h0)
    tiny = jnp.finfo(jnp.result_type(h0)).tiny           # GSL starts rmax at DBL_MIN
    rmax = tiny
    for err, yp, ea in zip(y_err, dydt, eps_abs):
        rmax = jnp.maximum(rmax, jnp.abs(err) / (ea + eps_rel * h0 * jnp.abs(yp)))
    log_r = jnp.log(rmax)                                  # one log for both powers of rmax
    shrink = h0 * jnp.maximum(_SAFETY * jnp.exp(log_r * (-1.0 / _ORDER)), 0.2)
    grow = h0 * jnp.clip(_SAFETY * jnp.exp(log_r * (-1.0 / (_ORDER + 1.0))), 1.0, 5.0)
    t_new = jnp.where(final, t1, t + h0)
    decrease = rmax > 1.1
    # GSL retries only if the smaller step is really smaller and still moves time.
    retry = decrease & (shrink < h0) & (t_new + shrink != t_new)
    h_next = jnp.where(decrease, jnp.where(retry, shrink, h0),
                       jnp.where(rmax < 0.5, grow, h0))
    return Attempt(y=y_new, t=t_new, h=h_next, accepted=~retry)


SCHEMES = ("nest", "rk4")


def use_nest_scheme(v, scheme, model: str) -> bool:
    """Static choice between NEST's RKF45 scheme and RK4 for a model that has both: ``scheme``
    if given (``setup(integration_scheme=...)``), else NEST's in float64 (NEST's precision, for
    validation) and RK4 in float32, by the dtype of the state variable ``v``."""
    if scheme is None:
        return jnp.result_type(v) == jnp.float64
    if scheme not in SCHEMES:
        raise ValueError(f"{model} integration scheme {scheme!r}: use one of {SCHEMES} or None "
                         "(NEST's scheme in float64, RK4 in float32)")
    return scheme == "nest"


# --- exponential Euler and the exponential midpoint scheme ---------------------------------------

class Relax(NamedTuple):
    """A variable's equation in exponential form, ``dx/dt = rate (x_inf - x)``, its coefficients
    evaluated at one state."""

    x_inf: jnp.ndarray
    rate: jnp.ndarray     # 1/ms


def _relax(x, lin: Relax, h):
    """Exact solution of ``dx/dt = rate (x_inf - x)`` over ``h`` with frozen coefficients."""
    return lin.x_inf + (x - lin.x_inf) * jnp.exp(-lin.rate * h)


def exponential_euler(y: S, lin: S, h) -> S:
    """One exponential-Euler step of ``y`` over ``h``.

    ``lin`` has ``y``'s structure: a :class:`Relax` leaf advances its variable exactly with the
    coefficients frozen (Rush & Larsen 1978, IEEE Trans. Biomed. Eng. 25:389), any other leaf is
    that variable's derivative and advances it by forward Euler.
    """
    def leaf(lin_i, yi):
        return _relax(yi, lin_i, h) if isinstance(lin_i, Relax) else yi + h * lin_i
    return jax.tree_util.tree_map(leaf, lin, y, is_leaf=lambda x: isinstance(x, Relax))


def exponential_midpoint(linearised: Callable, y: S, h, stage_inputs=None) -> S:
    """The exponential midpoint step: a half step of :func:`exponential_euler` with the
    coefficients frozen at ``y`` gives the midpoint ``y½``; the full step is then the exact
    solution with the coefficients frozen at ``y½`` (Rush-Larsen with a midpoint).  Second order;
    since each linear relaxation is solved exactly, a fast (stiff) relaxation cannot
    destabilise it.

    ``linearised(y[, x])`` returns the ``lin`` of :func:`exponential_euler`; with
    ``stage_inputs = (x0, xh)`` the half step sees ``x0`` and the full step ``xh`` (an input at
    0 and at the midpoint).
    """
    def lin(yi, i):
        return linearised(yi) if stage_inputs is None else linearised(yi, stage_inputs[i])
    half = exponential_euler(y, lin(y, 0), 0.5 * h)
    return exponential_euler(y, lin(half, 1), h)


def exponential_midpoint_staggered(linearised: Callable, y: S, h, stage_inputs=None) -> S:
    """:func:`exponential_midpoint` with a staggered half step: ``v`` relaxes over ``h/2``
    with the coefficients at ``y``, then every other variable relaxes over ``h/2`` with its
    coefficients at ``y`` but ``v`` replaced by that half-step value; the full step is as in
    :func:`exponential_midpoint`.

    Why: a gate much faster than the step (rate ``h`` >> 1) sits at its steady state for the
    ``v`` its coefficients were taken at.  In the plain scheme that is ``v(0)``, so the midpoint
    state has the gate of ``v(0)`` beside ``v(h/2)``, an O(h) error in the conductances the full
    step uses: first order overall (``hahn_mcintyre``'s GP: spike times 0.57 -> 0.37 ms off
    at dt 0.01 -> 0.005 ms).  Staggered, the midpoint gate belongs to the midpoint ``v`` and the
    scheme keeps its second order.  Costs one more evaluation of ``linearised``.
    """
    def lin(yi, i):
        return linearised(yi) if stage_inputs is None else linearised(yi, stage_inputs[i])
    first = lin(y, 0)
    v_half = _relax(y.v, first.v, 0.5 * h)
    rest = lin(y._replace(v=v_half), 0)
    half = exponential_euler(y, rest._replace(v=first.v), 0.5 * h)
    return exponential_euler(y, lin(half, 1), h)
