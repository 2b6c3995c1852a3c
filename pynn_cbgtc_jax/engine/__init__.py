"""JAX engine: the whole network advanced by one jit-compiled ``lax.scan`` per chunk of steps.

``spec.py`` holds the static description (shapes, model kinds, what is recorded), ``delivery.py``
the spike delivery through delay ring buffers, ``electrodes.py`` the injected currents,
``source_blocks.py`` the spike sources drawn a kind at a time and ``runner.py`` the scan, the
compile cache and the host side of a run.  Kinds are tables, one entry each, dispatched
through the entry: ``synapse_rules.RULES`` (``spike_timing.py``: the STDP rules and the
postsynaptic spike histories) and ``waveforms.WAVEFORMS``.  ``process.py`` holds the process-wide
JAX settings (``cpu_rng.py``: JAX's random bits cheap on the CPU; ``compile_cache.py``: compiled
programs kept on disk between runs of a script), applied by ``setup()`` and undone by
``process.restore()``; importing the package changes nothing in JAX.
"""
