"""Recorded spikes from the device to the host as events, not as a raster.

A chunk's compiled program writes, per population, the spike counts of its recorded cells as a
dense ``uint8`` raster ``[chunk, n_recorded]`` (``[members, chunk, n_recorded]`` for an
ensemble): a fixed shape, written once per step without any search.  The recorders want events
(which cell, which step, how many spikes).  Where the events are found decides the speed of a
large recorded network:

* **on an accelerator** the raster is compacted on the device (``compact``: ``jnp.nonzero``
  with a fixed capacity, one small program per raster shape) and only the events cross to the
  host; the 1M-cell CBGTC benchmark moved 64 MB per 64-step chunk and spent ~170 ms of host
  time per chunk in ``np.nonzero`` before, 3x its device time.  If a chunk has more events than
  the capacity (a synchronous burst), the dense raster, still on the device, is fetched
  instead: nothing is lost and nothing recompiles;
* **on the CPU** the raster already lies in host memory; ``raster_events`` scans it as 64-bit
  words first (8 cells a comparison, ~5x faster than ``np.nonzero`` on sparse rasters) and
  looks into the nonzero words only.

Both give the events in the order of ``np.nonzero`` (step-major, then cell), so recorders
receive the same arrays either way (``tests/test_spike_fetch.py``).
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["SpikeEvents", "compacts_on", "fetch_outputs", "raster_events", "COMPACT_MIN_ENTRIES",
           "COMPACT_DENSITY"]

COMPACT_MIN_ENTRIES = 1 << 16   # smaller rasters are fetched whole: one transfer is cheaper
COMPACT_DENSITY = 1 / 16        # event capacity per raster entry (16 Hz-steps per cell at 1/16
#                                 of all cell-steps: ~600 Hz at dt 0.1 ms before the dense
#                                 fallback; Parkinsonian GPi fires at ~70-100 Hz)
_MAX_ENTRIES = 2 ** 31 - 1      # jnp.nonzero counts in int32


class SpikeEvents:
    """The nonzero entries of a recorded raster: ``index`` (one int array per raster axis) and
    ``counts`` (uint8), in ``np.nonzero``'s order.  ``events[m]`` is ensemble member ``m``'s
    events (what ``simulation._member`` takes from every output leaf)."""

    def __init__(self, index, counts):
        self.index, self.counts = tuple(index), counts

    def __getitem__(self, m):
        keep = self.index[0] == m
        return SpikeEvents([i[keep] for i in self.index[1:]], self.counts[keep])


def compacts_on(platform: str) -> bool:
    """Whether rasters are compacted on a device of ``platform`` (every one but the CPU)."""
    return platform != "cpu"


def raster_events(raster) -> SpikeEvents:
    """The events of a host raster (any shape), scanning 8 bytes at a time."""
    raster = np.ascontiguousarray(raster, np.uint8)
    flat = raster.reshape(-1)
    n = flat.size
    padded = flat
    if n % 8:                       # a copy only when the words do not divide the raster
        padded = np.zeros(-(-n // 8) * 8, np.uint8)
        padded[:n] = flat
    words = np.flatnonzero(padded.view(np.uint64))
    w, b = np.nonzero(padded.reshape(-1, 8)[words])
    positions = words[w] * 8 + b
    return SpikeEvents(np.unravel_index(positions, raster.shape), flat[positions])


@functools.partial(jax.jit, static_argnames="capacity")
def _compact(raster, n_steps, capacity: int):
    """``(index arrays, counts, total)`` of the first ``n_steps`` rows (axis -2) of
    ``raster``, at most ``capacity`` events (then ``total`` says how many there were)."""
    live = jnp.arange(raster.shape[-2]) < n_steps
    raster = jnp.where(live[:, None], raster, jnp.uint8(0))
    index = jnp.nonzero(raster, size=capacity, fill_value=0)
    return index, raster[index], jnp.count_nonzero(raster)


def _capacity(shape) -> int | None:
    """The event capacity for a raster of ``shape``; None: fetch it whole."""
    entries = int(np.prod(shape))
    if entries < COMPACT_MIN_ENTRIES or entries > _MAX_ENTRIES:
        return None
    return int(entries * COMPACT_DENSITY)


def fetch_outputs(outputs, bad, n_steps: int, compact: bool):
    """``(outputs, bad)`` of a chunk on the host, every recorded spike raster replaced by its
    ``SpikeEvents``: found on the device when ``compact`` (accelerators), else on the host."""
    spikes = outputs.spikes
    compacted = {}
    if compact:
        for i, raster in enumerate(spikes):
            capacity = _capacity(raster.shape)
            if capacity is not None:
                compacted[i] = _compact(raster, jnp.int32(n_steps), capacity)
    rest = outputs._replace(spikes=tuple(None if i in compacted else r
                                         for i, r in enumerate(spikes)))
    rest, bad, compacted = jax.device_get((rest, bad, compacted))
    events = []
    for i, raster in enumerate(rest.spikes):
        if i in compacted:
            index, counts, total = compacted[i]
            if int(total) <= len(counts):
                events.append(SpikeEvents([x[:int(total)] for x in index], counts[:int(total)]))
                continue
            raster = jax.device_get(spikes[i])        # a burst beyond the capacity
        events.append(raster_events(np.asarray(raster)[..., :n_steps, :]))
    return rest._replace(spikes=tuple(events)), bad
