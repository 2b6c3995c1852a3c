"""JAX engine: the whole network advanced by one jit-compiled ``lax.scan`` per chunk of steps.

``spec.py`` holds the static description (shapes, model kinds, what is recorded), ``delivery.py``
the spike delivery through delay ring buffers, ``electrodes.py`` the injected currents and
``runner.py`` the scan, the compile cache and the host side of a run; ``cpu_rng.py`` makes
JAX's random bits cheap on the CPU (applied once, here).
"""
from .cpu_rng import unroll_threefry_on_cpu

unroll_threefry_on_cpu()
