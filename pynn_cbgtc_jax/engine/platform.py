"""Operations with one form for XLA:CPU and another for accelerators, chosen at lowering.

On a GPU every iteration of a ``lax.while_loop`` -- and every ``lax.cond`` -- copies its
predicate to the host before the next kernel can start (a round trip, tens of microseconds),
while on a CPU a loop costs no more than the code it holds.  ``jax.lax.platform_dependent``
picks the form for the platform the program is lowered for (so ``jax.export`` for CUDA on a
machine without a GPU sees the GPU form, ``tests/test_gpu_lowering.py``):

* :func:`searchsorted` -- the event path's search of an event's block of cells where there
  are too many blocks to count (``delivery.py: _owners``): on a CPU ``jnp.searchsorted``'s
  ``fori_loop`` of ``log2(n)`` iterations; elsewhere unrolled (``method="scan_unrolled"``:
  the same integers, gathers that XLA fuses into one kernel, instead of a host round trip
  per iteration);
* :func:`scatter_add` -- the spike delivery's scatter into the ring (``delivery.py``): the slots
  of a batch past the step's last event add ``+0.0`` to a ring cell on a CPU (in-bounds
  indices keep XLA:CPU's scatter loop simple: the CBGTC ensemble of 64 members steps 20 %
  faster than with the GPU form) and are dropped elsewhere (sent to one cell they serialised
  a GPU's atomic adds: 5.4x on the microcircuit's step, H200); the same bits either way;
* :func:`in_memory` -- the spike counts' and the event path's synapse indices' trip to memory
  (``runner.py``, ``delivery.py``): on a CPU a one-trip
  loop that stops XLA:CPU from recomputing each population's spike test inside every
  consumer; elsewhere the values themselves (recomputing in a fusion is cheap on a GPU, the
  loop two round trips per step).

Measured on an H200 (jax 0.11.2, full-scale microcircuit, 2026-12-04, before these forms):
2.7 ms per 0.1 ms step, with ~25 host round trips per step in the program
(``validation/benchmarks/RESULTS.md``, "GPU").
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

__all__ = ["searchsorted", "in_memory", "scatter_add"]

#: ``jax.lax.platform_dependent``, looked up here at each call (a test runs the accelerator
#: forms on the CPU by replacing it)
_platform_dependent = jax.lax.platform_dependent


def searchsorted(a, v):
    """``jnp.searchsorted(a, v, side="right")`` as int32: a loop on a CPU, unrolled elsewhere."""
    def search(method):
        return lambda a, v: jnp.searchsorted(a, v, side="right", method=method).astype(jnp.int32)
    return _platform_dependent(a, v, cpu=search("scan"), default=search("scan_unrolled"))


def in_memory(x, k):
    """``x`` (integers), computed into memory before its consumers run, on a CPU: a one-trip
    loop XLA cannot see through nor fuse across.  XLA duplicates cheap elementwise producers
    into each consumer: the dense delivery's gather ``counts[pre]`` recomputed every
    population's spike test -- the last combination of its RK4 step -- per synapse and member
    (CBGTC example, 32 members: 37 us of a 168 us step), and each recorded population's
    spikes were recomputed in the write of its row (COBA 4000, one network: 66 -> 61 us per
    step without).  ``lax.optimization_barrier`` does not help: XLA:CPU removes it before
    fusion.  Elsewhere ``x`` itself.  ``k``: the step (a traced int32 >= 0)."""
    def loop(x, k):
        first = (k < 0).astype(jnp.int32)            # 0 at run time; XLA cannot know it
        return jax.lax.while_loop(lambda c: c[0] < 1, lambda c: (c[0] + 1, c[1] + (c[0] >> 8)),
                                  (first, x))[1]
    return _platform_dependent(x, k, cpu=loop, default=lambda x, k: x)


def scatter_add(target, index, amount, valid):
    """``target.at[index].add(amount)`` for the entries where ``valid``, out-of-range indices
    dropped: on a CPU the invalid entries add ``+0.0`` where they point, elsewhere they are
    sent past the end (see the module docstring)."""
    size = target.shape[0]

    def cpu(target, index, amount, valid):
        return target.at[index].add(jnp.where(valid, amount, 0.0).astype(target.dtype),
                                    mode="drop")

    def other(target, index, amount, valid):
        return target.at[jnp.where(valid, index, size)].add(amount.astype(target.dtype),
                                                             mode="drop")
    return _platform_dependent(target, index, amount, valid, cpu=cpu, default=other)
