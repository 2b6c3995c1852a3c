"""Device memory of a compiled network, estimated before anything is compiled.

``estimate(build)`` adds up what the device will hold -- the traced data (synapse tables,
parameters, index tables), the loop carry (neuron states, ring buffer, plastic synapse states,
spike histories), one chunk of recorded output, and the working set of a step (the event
path's batch, or a pass over every synapse of a dense table) -- term by term, in bytes.
``check_fits(build)`` compares the total with the free memory of the device (the GPU's
``bytes_limit - bytes_in_use``, or the host's ``MemAvailable`` on a CPU) and refuses a network
that will not fit with ``DeviceMemoryError``, naming the estimate, its largest term and the fix.

The terms are exact array sizes except the step's working set and XLA's temporaries, which
the safety factor ``HEADROOM`` covers.  Earlier still, each Population and Projection is
checked as it is created (``footprint.py``: ``HostMemoryError``, ``DeviceMemoryError``).
"""
from __future__ import annotations

import numpy as np

from .build import total_cells
from ..engine.spike_timing import HISTORY
from ..engine.synapse_rules import RULES

__all__ = ["DeviceMemoryError", "HostMemoryError", "estimate", "free_device_bytes", "check_fits",
           "HEADROOM"]

HEADROOM = 1.25          # XLA temporaries and fragmentation on top of the estimate
_EVENT_BYTES = 48        # per event of a batch: indices, gathers, amounts (int32/float32)
_LOOKUP_BYTES = 272      # per looked-up event (every group-th): its block's 32 row lengths and
                         # their running sum, int32, and the comparisons (delivery._owners)
_DENSE_BYTES = 16        # per synapse of a dense pass: index, multiplicity, amount, slot


class DeviceMemoryError(MemoryError):
    """The network needs more device memory than is free (estimate and largest term in the
    message); raised before compiling, nothing is lost."""


class HostMemoryError(MemoryError):
    """A Population or Projection needs more host memory to be created than is available
    (estimate, largest term and fixes in the message); raised before it allocates anything,
    nothing is registered (``compiler/footprint.py``)."""


def _nbytes(tree) -> int:
    import jax
    return int(sum(np.asarray(x).nbytes for x in jax.tree_util.tree_leaves(tree)))


def estimate(build) -> dict:
    """Bytes per term for ``build`` (a ``compiler.build.Build``), largest first.

    An ensemble's data already holds its stacked members (``compiler/ensemble.py``); the terms
    of the loop carry and of a step are per member, so they count ``spec.members`` times."""
    spec, data = build.spec, build.data
    item = np.dtype(spec.dtype).itemsize
    n_cells = total_cells(spec.pops)          # the spike vector's cells, detectors' included
    n = max(1, spec.members)
    terms = {
        "synapse tables": _nbytes(data.syns),
        "neuron parameters and index tables": _nbytes((data.params, data.recs, data.electrodes,
                                                       data.post_tau)),
        # the state has about as many arrays as the parameters; sources keep a counter
        "neuron states": _nbytes(data.params) + 4 * n_cells * n,
        "ring buffer (delayed inputs)": n * (spec.ring * spec.width * item + spec.width * item),
        "plastic synapse states": n * sum(g.n_syn * len(RULES[g.rule].state) * item
                                          for g in spec.syns),
        "spike histories": n * 2 * n_cells * HISTORY * item if spec.history else 0,
        "recording buffers (one chunk)": n * spec.chunk * sum(
            r.spikes + sum(k for _, k in r.signals) * item for r in spec.recs),
        "spike delivery working set": n * max(
            [g.n_syn * _DENSE_BYTES if g.dense else
             g.batch * _EVENT_BYTES + (g.batch // min(g.group, g.batch) + 1) * _LOOKUP_BYTES
             + n_cells * 12 for g in spec.syns] or [0]),
    }
    return dict(sorted(terms.items(), key=lambda kv: -kv[1]))


def free_device_bytes():
    """(free bytes, device description) of JAX's default device; None if unknown."""
    import jax
    device = jax.devices()[0]
    try:
        stats = device.memory_stats() or {}
    except Exception:                       # some backends do not implement it
        stats = {}
    if "bytes_limit" in stats:
        return stats["bytes_limit"] - stats.get("bytes_in_use", 0), f"{device.device_kind}"
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024, "host memory (CPU)"
    except OSError:
        pass
    return None, str(device)


def _gb(n):
    if n >= 2 ** 40:
        return f"{n / 2 ** 40:.1f} TiB"
    return f"{n / 2 ** 30:.2f} GiB" if n >= 2 ** 28 else f"{n / 2 ** 20:.1f} MiB"


def check_fits(build, free=None) -> int:
    """Raise ``DeviceMemoryError`` if ``build`` will not fit; returns the estimated bytes."""
    terms = estimate(build)
    total = int(sum(terms.values()) * HEADROOM)
    where = "the device"
    if free is None:
        free, where = free_device_bytes()
    if free is not None and total > free:
        largest, size = next(iter(terms.items()))
        detail = ", ".join(f"{k} {_gb(v)}" for k, v in terms.items() if v)
        raise DeviceMemoryError(
            f"The network needs about {_gb(total)} of device memory (with x{HEADROOM} for XLA's "
            f"temporaries) but {_gb(free)} is free on {where}. Largest term: {largest} "
            f"({_gb(size)}); all terms: {detail}. To fit: simulate fewer synapses or neurons, "
            f"record fewer cells or signals (recording buffers), use setup(precision='float32') "
            f"if float64 is set, run fewer ensemble members at once"
            f"{f' (this ensemble has {build.spec.members})' if build.spec.members else ''}, "
            f"or run on a device with more memory.")
    return total
