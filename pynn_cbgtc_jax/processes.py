"""Many processes (``setup(distributed=True)``): one network over the devices of several
processes, on one host or many, through ``jax.distributed``.

Every process runs the same script.  ``setup(distributed=True)`` calls
``jax.distributed.initialize`` (once per process) with the coordinator, the number of processes
and this process's id from the environment -- ``JAX_COORDINATOR_ADDRESS`` (``host:port`` of
process 0), ``JAX_NUM_PROCESSES``, ``JAX_PROCESS_ID`` -- or, where those are not set, from JAX's
own cluster detection (SLURM, Open MPI, ...).  On CPUs the cross-process collectives use gloo.

What is distributed: the network is partitioned over every device of every process
(``compiler/partition.py``); each process places and steps the cells and synapses of its own
devices; spikes are exchanged once per min-delay block.  Each process keeps only the synapses
onto its own cells (``local_cells``), as NEST does: ``NativeRNG`` connectors draw only those
(each target's synapses from its own counter-based stream, ``column_draws.py``), the others
draw every synapse with the same random numbers as one process and keep the local ones; each
synapse keeps its place in the whole projection (``Projection._global``), so the network is
the same for any process count.  The
few numbers the compiled program's shapes depend on (synapses per table and per device,
delays, the rows' fan-out) are agreed between the processes when the network is built
(``engine/hosts.py: combine``).  Every process receives all recorded data, so ``get_data()``
gives the whole network's data on every rank and ``write_data``/``end()`` write on rank 0
only (PyNN's ``gather=True``); ``get_data(gather=False)`` gives this process's cells only, as
pyNN.nest does.  ``Projection.get`` gathers every process's synapses in the one-process order
(``gather=False``: this process's).
"""
from __future__ import annotations

import os

from pyNN import errors

__all__ = ["initialize", "process_index", "process_count", "local_cells"]

_ENV = ("JAX_COORDINATOR_ADDRESS", "JAX_NUM_PROCESSES", "JAX_PROCESS_ID")


def initialize() -> None:
    """``jax.distributed.initialize`` from the environment, unless done already."""
    import jax
    if jax.distributed.is_initialized():
        return
    given = {name: os.environ[name] for name in _ENV if os.environ.get(name)}
    if given and len(given) != len(_ENV):
        missing = [name for name in _ENV if name not in given]
        raise errors.InvalidParameterValueError(
            f"setup(distributed=True): {', '.join(given)} set but {', '.join(missing)} not; "
            f"set all three (e.g. JAX_COORDINATOR_ADDRESS=localhost:12355 JAX_NUM_PROCESSES=2 "
            f"JAX_PROCESS_ID=0 for the first of two processes on this host), or none to let "
            f"JAX detect the cluster (SLURM, Open MPI).")
    # cross-process collectives between CPU devices (no effect on GPUs)
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    try:
        if given:
            jax.distributed.initialize(
                coordinator_address=given["JAX_COORDINATOR_ADDRESS"],
                num_processes=int(given["JAX_NUM_PROCESSES"]),
                process_id=int(given["JAX_PROCESS_ID"]))
        else:
            jax.distributed.initialize()
    except (RuntimeError, ValueError) as error:
        raise errors.InvalidParameterValueError(
            f"setup(distributed=True): jax.distributed.initialize failed ({error}). Call "
            f"setup() before anything else uses JAX in this process, and give every process "
            f"the environment {', '.join(_ENV)} (or run under SLURM / mpirun).") from error


def process_index() -> int:
    import jax
    return jax.process_index() if jax.distributed.is_initialized() else 0


def process_count() -> int:
    import jax
    return jax.process_count() if jax.distributed.is_initialized() else 1


def local_cells(size: int, devices):
    """Which of a population's ``size`` cells this process holds: cell ``c`` lives on device
    ``devices[c % D]`` (``compiler/partition.py``), a device of the process that owns it."""
    import jax
    import numpy as np
    owner = np.array([d.process_index for d in devices])
    return owner[np.arange(size) % len(devices)] == jax.process_index()
