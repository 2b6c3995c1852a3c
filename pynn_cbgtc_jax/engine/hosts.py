"""Host values agreed between the processes of a distributed run (``processes.py``).

The compiled program must be the same in every process, but each process builds only its own
synapses: the few host numbers the program's shapes depend on (synapses per table, fan-out per
cell, delays, ...) are combined over the processes before compiling.  Both functions are
collectives: every process calls them, in the same order (every process runs the same
script).  In a single process they return their input.
"""
from __future__ import annotations

import jax
import numpy as np

__all__ = ["allgather", "combine"]


def allgather(x) -> list:
    """Every process's ``x`` (a NumPy array; the lengths of its first axis may differ), in
    process order; ``[x]`` in a single process."""
    x = np.asarray(x)
    if jax.process_count() == 1:
        return [x]
    from jax.experimental import multihost_utils
    lengths = np.asarray(multihost_utils.process_allgather(
        np.array([x.shape[0] if x.ndim else 1]))).reshape(-1)
    flat = x if x.ndim else x.reshape(1)
    padded = np.zeros((int(lengths.max()),) + flat.shape[1:], flat.dtype)
    padded[:flat.shape[0]] = flat
    stacked = np.asarray(multihost_utils.process_allgather(padded))
    return [stacked[r, :int(n)] if x.ndim else stacked[r, 0] for r, n in enumerate(lengths)]


def combine(x, how: str):
    """``x`` (a number or NumPy array of the same shape on every process) combined over the
    processes elementwise: ``how`` is "sum", "max" or "min"; ``x`` itself in one process."""
    if jax.process_count() == 1:
        return x
    from jax.experimental import multihost_utils
    # one exchange: the shape is the same everywhere (allgather's first one sends lengths)
    parts = np.asarray(multihost_utils.process_allgather(np.asarray(x)))
    return {"sum": np.sum, "max": np.max, "min": np.min}[how](parts, axis=0).astype(
        np.asarray(x).dtype)
