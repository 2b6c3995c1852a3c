"""What every point-neuron kernel receives each step, and the shared numerics.

A kernel module declares ``Params`` and ``State`` (``NamedTuple``s, PyNN units), a
``prepare(params, dt) -> Coeffs`` evaluated once per ``run()`` and a pure
``step(coeffs, state, drive) -> (state, spiked)`` for **one** neuron.  Time step ``k`` advances
the neuron from ``t_k = k*dt`` to ``t_{k+1}``; ``drive`` holds the synaptic input arriving at
``t_{k+1}`` and the injected current acting during the step.
"""
from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp

__all__ = ["Drive", "exp_integral", "alpha_integral", "refractory_steps"]


class Drive(NamedTuple):
    """Inputs to one neuron for one step.

    Attributes
    ----------
    exc, inh : scalar
        Sum of the weights of the spikes arriving at the end of the step on the excitatory and
        inhibitory receptor (nA for current-based, uS for conductance-based synapses; inhibitory
        current weights are negative, as in PyNN).
    i_inj : scalar
        Current injected by electrodes during the step (nA), not including ``i_offset``.
    rand : scalar or None
        A uniform random number in [0, 1) for this neuron and step, for stochastic models
        (``NeuronModel.random``); None otherwise.
    receptors : tuple
        The input of every receptor type, in ``receptor_types`` order (``exc`` and ``inh`` are
        the first two); used by models with other than two receptors.
    i_field : scalar or None
        The current (nA) of the extracellular electrode that acts on this cell through its
        field (multi-compartment cells: ``kernels/multicompartment.py`` spreads it over the
        nodes by the cell's field weights); None where no electrode targets the population.
    """

    exc: jnp.ndarray
    inh: jnp.ndarray
    i_inj: jnp.ndarray
    rand: jnp.ndarray = None
    receptors: tuple = ()
    i_field: jnp.ndarray = None


def exp_integral(a, h):
    r"""``\int_0^h exp(-a s) ds = (1 - exp(-a h)) / a``, exact and stable as ``a -> 0``.

    Used for the propagator from an exponentially decaying current to the membrane when the
    synaptic and membrane time constants are close (NEST's ``propagator_exp`` handles the same
    singularity).
    """
    x = a * h
    small = jnp.abs(x) < 1e-6
    safe_x = jnp.where(small, 1.0, x)
    return jnp.where(small, h * (1.0 - 0.5 * x), h * (-jnp.expm1(-safe_x) / safe_x))


def alpha_integral(a, h):
    r"""``\int_0^h s exp(-a s) ds = (1 - exp(-a h)(1 + a h)) / a^2``, stable as ``a -> 0``.

    For ``|a h| < 0.05`` the Taylor series ``h^2 (1/2 - x/3 + x^2/8 - x^3/30 + x^4/144)`` is used;
    its truncation error there is below 1e-9 relative, while the closed form loses all digits to
    cancellation in float32.
    """
    x = a * h
    small = jnp.abs(x) < 0.05
    safe_x = jnp.where(small, 1.0, x)
    closed = (h * h) * (-jnp.expm1(-safe_x) - safe_x * jnp.exp(-safe_x)) / (safe_x * safe_x)
    series = (h * h) * (0.5 - x / 3.0 + x * x / 8.0 - x ** 3 / 30.0 + x ** 4 / 144.0)
    return jnp.where(small, series, closed)


def refractory_steps(tau_refrac, dt):
    """Refractory period in whole steps, rounded to the nearest step as NEST does."""
    return jnp.round(tau_refrac / dt).astype(jnp.int32)
