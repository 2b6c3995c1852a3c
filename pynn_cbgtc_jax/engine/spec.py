"""Static structure and traced data of a compiled network.

Everything in a ``*Spec`` is static (hashable, part of the compile key): sizes, model kinds,
fan-out bounds, ring length, chunk length, what is recorded.  Everything in a ``*Data`` is a
traced array: parameters, weights, delays, index tables, seeds -- so ``set()``, ``reset()`` and
a second ``run()`` reuse the compiled program.
"""
from __future__ import annotations

from typing import Any, NamedTuple

import jax.numpy as jnp

__all__ = ["signal_values", "probe_value", "PopSpec", "SynSpec", "RecSpec", "ElectrodeSpec",
           "NetSpec", "SynData", "RecData", "ElectrodeData", "NetData", "Carry", "LoopSpec",
           "LoopCarry"]

def signal_values(state, field: str, idx):
    """The recorded values of ``field`` at cells ``idx`` of a population's ``state``.

    ``field`` is a state field's name, or ``"name@k"``: element ``k`` of a field that holds an
    array per cell (a multi-compartment cell's voltage per node, ``v@3``; the node is static,
    resolved from the recording location when the network is compiled)."""
    name, _, k = field.partition("@")
    values = getattr(state, name)
    return values[idx] if not k else values[idx, int(k)]


def probe_value(state, fields: tuple, weights):
    """A probe's value: ``sum over cells of weights * (sum of the state fields)`` (an LFP
    electrode: synaptic currents in nA times 1 / (4 pi sigma r) in mV per nA)."""
    total = sum(getattr(state, f) for f in fields)
    return jnp.dot(weights, total)


class PopSpec(NamedTuple):
    kind: str                # a NEURON_MODELS key or a spike_sources.SOURCES key
    size: int
    cell_offset: int         # first global cell index
    ring_offset: int = -1    # first ring column (neurons only; one block of columns per receptor)
    n_receptors: int = 2     # receptor types of a neuron model
    substeps: int = 1        # static substeps per step (models with NeuronModel.substeps)
    bound: int = 0           # a spike source's static bound (spike_sources.py): Poisson,
                             # spikes per step of the by-total path (0: per cell); Array,
                             # the largest number of events on one stamp (rounded up)
    scheme: str = ""         # integration scheme passed to the step ("": the model's default)
    detectors: tuple = ()    # further spike detectors of a multi-compartment population:
                             # ((node, threshold mV, first global cell index), ...), their
                             # outputs cells after every population's (runner.detector_counts)


class SynSpec(NamedTuple):
    rule: str                # a synapse_rules.RULES key
    n_syn: int
    batch: int               # synapse events per iteration of the event path
    dense: bool              # always use the dense path (cheaper for small tables)
    cells: tuple = ()        # (first, last + 1) presynaptic cell with synapses here; (): all
    group: int = 1           # a power of two <= every non-empty row's length: the event path
                             # looks up the cell of every group-th event (delivery.py)


class RecSpec(NamedTuple):
    spikes: int                      # number of recorded cells (0: none)
    signals: tuple                   # ((state field, number of recorded cells), ...); a field
                                     # "name@k": element k per cell (signal_values)
    probes: tuple = ()               # per probe (an LFP electrode on this population): the
                                     # state fields it sums (probe_value)


class ElectrodeSpec(NamedTuple):
    n_sources: int
    kinds: tuple             # names of the waveforms.WAVEFORMS kinds present, in table order
    table: int               # columns of the list fields (e.g. a step source's changes)
    targets: tuple           # per population: offset of its cells in the injected-current
                             # vector (the targeted populations' cells), -1 if not targeted
    n_target_cells: int      # length of that vector
    record: bool             # some source is recorded
    field_targets: tuple = ()   # per population: offset of its cells' block of extracellular
                                # (field) sources' amplitudes in that vector, -1 if none


class LoopSpec(NamedTuple):
    """A closed loop (cbgtc/closed_loop.py), all static."""
    probe: int               # position of its LFP among the step's probes
    source: int              # position of its source in the electrode table
    controller: Any          # cbgtc.controllers object (its numbers are Python constants)
    start: int               # step of the first call
    every: int               # steps between samples
    period: int              # steps between calls
    history: int             # samples kept
    fs: float                # Hz
    target: str = "amplitude"    # what the output sets: "amplitude" (a factor) or "frequency"
    recruits: tuple = ()     # ((source position, threshold), ...): sources on while the
                             # output is >= their threshold (amplitude loops)


class LoopCarry(NamedTuple):
    """A closed loop's part of the carry."""
    history: Any             # [history] the last LFP samples, oldest first
    output: Any              # the controller output in effect (scales the source)
    biomarker: Any           # the last call's biomarker
    controller: Any          # the controller's ControllerState
    last_onset: Any = 0      # frequency target: int32 step of the last pulse's onset
    next_onset: Any = 0      # frequency target: int32 step of the next onset (NEVER: none)


class NetSpec(NamedTuple):
    pops: tuple
    syns: tuple              # one SynSpec per synapse group
    recs: tuple              # one RecSpec per population
    electrodes: ElectrodeSpec
    ring: int                # ring-buffer length: largest delay in steps + 1
    width: int               # ring columns: receptor types x neurons, summed over populations
    chunk: int               # steps per compiled scan
    history: bool            # some rule needs postsynaptic spike histories
    dtype: str               # "float32" or "float64"
    members: int = 0         # ensemble members (0: one network; ensembles.py): the carry and
                             # the data leaves flagged in ``batched`` have a leading member axis
    batched: tuple = ()      # per leaf of NetData (tree_leaves order): has a member axis
    partition: Any = None    # compiler/partition.py: Partition (devices, global population
                             # sizes) of a network split over devices; None: one device
    loops: tuple = ()        # LoopSpec per closed loop


class SynData(NamedTuple):
    row_ptr: Any             # int32 [n_cells + 2], CSR by global presynaptic cell (+ empty row)
    pre: Any                 # int32 [n_syn] global presynaptic cell (dense path only, else [0])
    post: Any                # int32 [n_syn] global postsynaptic cell (plastic rules, else [0])
    target: Any              # int32 [n_syn] ring column
    weight: Any              # float [n_syn], nA or uS
    delay: Any               # uint8/uint16/int32 [n_syn], steps >= 1 (smallest type that fits)
    params: tuple            # the rule's per-synapse parameters, in RULES[rule].params order
    ids: Any = ()            # int32 [n_syn] each synapse's place in its group's projections
                             # (in the one-process order), by which random rules key their
                             # draws -- the same on any device or process count (else ())


class RecData(NamedTuple):
    spikes: Any              # int32 indices of recorded cells
    signals: tuple           # int32 indices per recorded signal
    probes: tuple = ()       # per probe: float [size] weight of each cell


class ElectrodeData(NamedTuple):
    kind: Any                # int32 [S]: position of the source's waveform in WAVEFORMS
    start: Any               # int32 [S] first active step
    stop: Any                # int32 [S] first inactive step
    fields: dict             # waveforms.FIELDS name -> [S] (list fields: [S, table]), in the
                             # units the waveform declares (nA, steps, rad per step)
    pair_source: Any         # int32 [P] source of each injection pair
    pair_cell: Any           # int32 [P] target of each pair in the injected-current vector
    pair_gid: Any            # int32 [P] global id of the target (noise keys)
    record_gid: Any          # int32 [S] global id of each source's first target
    key: Any                 # noise key


class NetData(NamedTuple):
    params: tuple            # per population: model Params or its source's Params
    syns: tuple              # SynData per synapse group
    recs: tuple              # RecData per population
    electrodes: ElectrodeData
    key: Any                 # spike-source key
    dt: Any                  # time step (ms), traced scalar
    post_tau: Any            # [n_cells] postsynaptic trace time constant (ms) of plastic rules
    layout: Any = ()         # compiler/partition.py: PartData of a network split over devices
    loops: tuple = ()        # per closed loop: its controller's numbers (controller.Params)


class Carry(NamedTuple):
    step: Any                # int32 scalar: steps done since reset
    states: tuple            # per population: model State, or array-source pointer, or ()
    ring: Any                # flat [ring * width] summed input weights of future steps
    inputs: Any              # [width] the inputs arriving at the end of step ``step``
    syn_states: tuple        # per synapse group: the rule's state arrays
    history: Any             # (times, traces) [n_cells, HISTORY] of recent spikes, or ()
    bad_step: tuple          # per population: int32 first step with a diverged state, or -1
    control: tuple = ()      # LoopCarry per closed loop
