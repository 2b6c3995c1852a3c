"""Static structure and traced data of a compiled network.

Everything in a ``*Spec`` is static (hashable, part of the compile key): sizes, model kinds,
fan-out bounds, ring length, chunk length, what is recorded.  Everything in a ``*Data`` is a
traced array: parameters, weights, delays, index tables, seeds -- so ``set()``, ``reset()`` and
a second ``run()`` reuse the compiled program.
"""
from __future__ import annotations

from typing import Any, NamedTuple

__all__ = ["PopSpec", "ProjSpec", "RecSpec", "ElectrodeSpec", "NetSpec",
           "ProjData", "RecData", "ElectrodeData", "NetData", "Carry"]

POISSON = "SpikeSourcePoisson"
ARRAY = "SpikeSourceArray"


class PopSpec(NamedTuple):
    kind: str                # a NEURON_MODELS key, POISSON or ARRAY
    size: int
    array_window: int = 0    # ARRAY: largest number of events on one stamp (rounded up)


class ProjSpec(NamedTuple):
    pre: int                 # population index
    post: int
    receptor: int            # 0 excitatory, 1 inhibitory
    n_syn: int
    fanout: int              # largest number of synapses of one presynaptic cell
    max_events: int          # spikes per step handled by the event path
    dense: bool              # always use the dense path (cheaper for small projections)


class RecSpec(NamedTuple):
    spikes: int                      # number of recorded cells (0: none)
    signals: tuple                   # ((state field, number of recorded cells), ...)


class ElectrodeSpec(NamedTuple):
    n_sources: int
    step_table: int          # columns of the StepCurrentSource table
    noise: bool              # any NoisyCurrentSource
    pairs: tuple             # per population: number of (source, cell) injection pairs
    record: bool             # some source is recorded


class NetSpec(NamedTuple):
    pops: tuple
    projs: tuple
    recs: tuple              # one RecSpec per population
    electrodes: ElectrodeSpec
    ring: int                # ring-buffer length: largest delay in steps + 1
    chunk: int               # steps per compiled scan
    dtype: str               # "float32" or "float64"


class ProjData(NamedTuple):
    row_ptr: Any             # int32 [n_pre + 2], CSR by presynaptic cell (+ empty padding row)
    pre: Any                 # int32 [n_syn]
    post: Any                # int32 [n_syn]
    weight: Any              # float [n_syn], nA or uS
    delay: Any               # int32 [n_syn], steps >= 1


class RecData(NamedTuple):
    spikes: Any              # int32 indices of recorded cells
    signals: tuple           # int32 indices per recorded signal


class ElectrodeData(NamedTuple):
    kind: Any                # int32 [S]: 0 DC, 1 AC, 2 step, 3 noise
    start: Any               # int32 [S] first active step
    stop: Any                # int32 [S] first inactive step
    amplitude: Any           # [S] nA (DC, AC)
    offset: Any              # [S] nA (AC)
    omega: Any               # [S] rad per step (AC)
    phase: Any               # [S] rad (AC)
    mean: Any                # [S] nA (noise)
    stdev: Any               # [S] nA (noise)
    noise_every: Any         # int32 [S] steps per noise value
    step_times: Any          # int32 [S, M] step of each amplitude change (padded with a sentinel)
    step_amps: Any           # [S, M]
    pair_source: tuple       # per population: int32 [P] source of each injection pair
    pair_cell: tuple         # per population: int32 [P] target cell of each pair
    pair_gid: tuple          # per population: int32 [P] global id of the target (noise keys)
    record_gid: Any          # int32 [S] global id of each source's first target
    key: Any                 # noise key


class NetData(NamedTuple):
    params: tuple            # per population: model Params / PoissonParams / ArrayParams
    projs: tuple             # ProjData per projection
    recs: tuple              # RecData per population
    electrodes: ElectrodeData
    key: Any                 # spike-source key
    dt: Any                  # time step (ms), traced scalar


class Carry(NamedTuple):
    step: Any                # int32 scalar: steps done since reset
    states: tuple            # per population: model State, or array-source pointer, or ()
    rings: tuple             # per population: flat [ring * 2 * size] input buffer, or ()
    bad_step: tuple          # per population: int32 first step with a non-finite v, or -1
