"""Injected currents computed on the device each step, from the waveform table.

All sources of the network share one table (``ElectrodeData``: a kind, a start and a stop per
source, and the fields the waveforms of ``waveforms.py`` declare) and all (source, cell)
injection pairs another.  Each step evaluates the waveforms of the kinds present in the network
(``ElectrodeSpec.kinds``, static) and keeps per source that of its kind; the sources of a
kind with a per-target noise term add it per pair.  See ``waveforms.py`` for the waveforms.
"""
from __future__ import annotations

import jax.numpy as jnp

from .spec import ElectrodeData, ElectrodeSpec
from .waveforms import WAVEFORMS, kind_index

__all__ = ["source_amplitudes", "noise", "injected", "recorded_amplitudes"]


def _present(spec: ElectrodeSpec):
    return [(kind_index(name), WAVEFORMS[name]) for name in spec.kinds]


def source_amplitudes(spec: ElectrodeSpec, e: ElectrodeData, k, dtype):
    """Deterministic amplitude of every source in step ``k`` (noise: its mean), [S]."""
    active = (k >= e.start) & (k < e.stop)
    present = _present(spec)
    waves = [w.amplitude(spec, e, k, dtype) for _, w in present]
    # every source is of a kind present: the last one needs no test
    amp = waves[-1]
    if len(present) > 1:
        amp = jnp.select([e.kind == i for i, _ in present[:-1]], waves[:-1], amp)
    # sources that are not windowed are defined by their waveform alone
    for i, w in present:
        if not w.windowed:
            active = active | (e.kind == i)
    return jnp.where(active, amp, 0.0).astype(dtype)


def noise(spec: ElectrodeSpec, e: ElectrodeData, src, gid, k, dtype):
    """Noise term of each (source, target) pair for step ``k``; 0 when inactive or not noise,
    None when no kind present draws noise."""
    total = None
    for i, w in _present(spec):
        term = w.noise(e, src, gid, k, dtype)
        if term is None:
            continue
        active = (k >= e.start[src]) & (k < e.stop[src]) & (e.kind[src] == i)
        term = jnp.where(active, term, 0.0)
        total = term if total is None else total + term
    return total


def injected(spec: ElectrodeSpec, e: ElectrodeData, amps, k, dtype):
    """Total injected current (nA) in step ``k`` into every cell of the populations that some
    source targets, those populations' cells concatenated in population order
    (``spec.targets``).  All (source, cell) pairs of the network in one table: one copy of the
    code (noise draws included), whatever the number of populations."""
    value = amps[e.pair_source]
    term = noise(spec, e, e.pair_source, e.pair_gid, k, dtype)
    if term is not None:
        value = value + term
    return jnp.zeros(spec.n_target_cells, dtype).at[e.pair_cell].add(value)


def recorded_amplitudes(spec: ElectrodeSpec, e: ElectrodeData, amps, k, dtype):
    """What ``source.record()`` sees: the amplitude, for noise the value at the first target."""
    src = jnp.arange(amps.shape[0], dtype=jnp.int32)
    term = noise(spec, e, src, e.record_gid, k, dtype)
    return amps if term is None else amps + term
