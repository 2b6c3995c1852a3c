"""JAX engine: the whole network advanced by one jit-compiled ``lax.scan`` per chunk of steps.

``spec.py`` holds the static description (shapes, model kinds, what is recorded), ``delivery.py``
the spike delivery through delay ring buffers, ``electrodes.py`` the injected currents,
``source_blocks.py`` the spike sources drawn a kind at a time and ``runner.py`` the scan, the
compile cache and the host side of a run.  Applied once, here, for
the process: ``cpu_rng.py`` makes JAX's random bits cheap on the CPU and ``compile_cache.py``
keeps compiled programs on disk between runs of a script.
"""
from .compile_cache import enable_compile_cache
from .cpu_rng import unroll_threefry_on_cpu

unroll_threefry_on_cpu()
enable_compile_cache()
