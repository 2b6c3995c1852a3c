"""Pure single-neuron JAX kernels.

Each module declares one neuron model: its parameters and state as ``NamedTuple``s in PyNN units
(ms, mV, nA, nF, uS, Hz), a ``prepare(params, dt)`` that turns parameters into per-neuron
coefficients once per run, and a ``step(coeffs, state, drive)`` that advances one neuron by one
time step.  Populations are made with ``jax.vmap`` in the engine.  Nothing here imports pyNN.
"""
