"""One adaptive Runge-Kutta-Fehlberg 4(5) attempt, step-size control as GSL's ``gsl_odeiv``.

NEST's GSL-based neurons (``aeif_cond_*``, ``iaf_cond_*``, ...) advance their state over a time
step ``dt`` with a loop of ``gsl_odeiv_evolve_apply`` calls, each one RKF45 step whose size is
adapted by ``gsl_odeiv_control`` and kept across time steps.  This module reproduces one *attempt*
of that call (``attempt``) so that a kernel can run the loop in a ``lax.while_loop`` and handle
events (spikes, resets) between accepted steps, as NEST does.  Written from the GSL 2 sources
``ode-initval/rkf45.c``, ``cstd.c`` and ``evolve.c`` (method: Fehlberg 1969, NASA TR R-315;
Hairer, Norsett & Wanner, Solving ODEs I, 2nd ed., 1993, II.4):

* Fehlberg's tableau; the solution carried on is the 5th-order one, the error estimate is
  ``h sum_i (b5_i - b4_i) k_i``; ``k1 = f(y)`` is evaluated once per ``evolve_apply`` call and
  ``f`` is evaluated again at the end of the step (``dydt_out``, used by the control);
* standard control ``D_i = eps_abs_i + eps_rel (a_y |y_i| + a_dydt h |y'_i|)``,
  ``rmax = max_i |err_i| / D_i``: ``rmax > 1.1`` shrinks the step to
  ``h max(0.9 rmax^(-1/5), 0.2)`` and retries it, ``rmax < 0.5`` grows the next step to
  ``h min(max(0.9 rmax^(-1/6), 1), 5)``, otherwise the size is kept (order 5: GSL's
  ``rkf45_order``);
* a step that would reach or pass the end of the interval is cut to end exactly there, and the
  size proposed for the next step is derived from the cut step (GSL does not restore the longer
  one).  GSL also backs the cut step off by ulps until ``t + h`` does not pass the end; here
  the final time is set to the end directly, which differs from that by round-off only.

All arrays are one neuron's scalars (the kernels are ``jax.vmap``-ed); ``y`` is a tuple.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import jax.numpy as jnp

__all__ = ["Attempt", "rkf45", "attempt", "SCHEMES", "use_nest_scheme"]

# Fehlberg 4(5): nodes, stage coefficients, 5th-order weights, (5th - 4th)-order weights.
_C = (0.25, 3.0 / 8.0, 12.0 / 13.0, 1.0, 0.5)
_A = ((0.25,),
      (3.0 / 32.0, 9.0 / 32.0),
      (1932.0 / 2197.0, -7200.0 / 2197.0, 7296.0 / 2197.0),
      (8341.0 / 4104.0, -32832.0 / 4104.0, 29440.0 / 4104.0, -845.0 / 4104.0),
      (-6080.0 / 20520.0, 41040.0 / 20520.0, -28352.0 / 20520.0, 9295.0 / 20520.0,
       -5643.0 / 20520.0))
_B5 = (902880.0 / 7618050.0, 0.0, 3953664.0 / 7618050.0, 3855735.0 / 7618050.0,
       -1371249.0 / 7618050.0, 277020.0 / 7618050.0)
_E = (1.0 / 360.0, 0.0, -128.0 / 4275.0, -2197.0 / 75240.0, 1.0 / 50.0, 2.0 / 55.0)

_SAFETY = 0.9         # GSL's S
_ORDER = 5            # gsl rkf45_order()


def _combine(y, h, coeffs, ks):
    """``y + h sum_j coeffs_j k_j`` componentwise (zero coefficients skipped)."""
    out = []
    for i, yi in enumerate(y):
        acc = None
        for a, k in zip(coeffs, ks):
            if a != 0.0:
                term = a * k[i]
                acc = term if acc is None else acc + term
        out.append(yi + h * acc)
    return tuple(out)


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
    ks = [k1]
    for c_row in _A:
        ks.append(f(_combine(y, h, c_row, ks)))
    y_new = _combine(y, h, _B5, ks)
    y_err = tuple(h * sum(e * k[i] for e, k in zip(_E, ks) if e != 0.0) for i in range(len(y)))
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
