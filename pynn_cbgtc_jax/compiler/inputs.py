"""What the compiler reads: plain data exported by the PyNN layer (``export.py``).

One frozen dataclass per population, projection and current source, and a ``Network`` holding
them with the network-wide settings; and, for the memory check at creation
(``footprint.py``), the sizes of one object and of the network so far.  Nothing here refers to
a PyNN object: cells are (population index, cell index within it), populations are numbered
in the order they were created.

The arrays are the PyNN layer's own (not copied: a network may hold 10^8 synapses); they are
valid for one build and the compiler never writes into them.  Units are PyNN's (ms, mV, nA,
uS, nF, Hz).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

import numpy as np

__all__ = ["RecordedSignal", "PopulationData", "ProjectionData", "SourceData", "Network",
           "PopulationFootprint", "ProjectionFootprint", "NetworkFootprint"]


@dataclass(frozen=True, eq=False)
class RecordedSignal:
    """One recorded variable of a population (other than spikes)."""

    name: str                # the variable as recorded (the name in the Neo block)
    recordable: str          # its key in the model's ``recordables`` (the PyNN name)
    cells: np.ndarray        # int64 [c] sorted indices of the recorded cells in the population


@dataclass(frozen=True, eq=False)
class RecordedProbe:
    """A weighted sum over a population's cells of some state variables (an LFP electrode)."""

    recordables: tuple       # the summed variables, keys of the model's ``recordables``
    weights: np.ndarray      # float64 [size]: each cell's weight
    owner: int               # the electrode's index in the simulator's ``lfp_electrodes``


@dataclass(frozen=True, eq=False)
class PopulationData:
    """One population: its model or spike-source kind, parameters and what it records."""

    index: int               # position among the network's populations (creation order)
    size: int                # number of cells
    first_id: int            # global id of its first cell (ids are consecutive)
    kind: str                # the model's name, or the spike-source type (a SOURCES key)
    model: Any               # the cell type's kernel declaration (``NeuronModel``), passed
                             # through unchanged; None for a spike source
    injectable: bool         # a neuron (receptors, ring columns, current sources)
    parameters: Mapping[str, np.ndarray]   # native name -> [size] values in PyNN units
                                           # (object arrays of Sequences for spike times)
    spikes: np.ndarray       # int64 sorted indices of the cells whose spikes are recorded
    signals: tuple           # RecordedSignal per recorded variable with cells, by name
    probes: tuple = ()       # RecordedProbe per LFP electrode on this population
    detectors: tuple = ()    # ((node, threshold mV), ...): a multi-compartment cell type's
                             # further spike detectors (``spike_detectors``), in order


@dataclass(frozen=True, eq=False)
class ProjectionData:
    """One projection's synapses, a row per synapse.

    Pre- and postsynaptic cells are given as (population index, cell index in that
    population) per synapse, views and assemblies resolved; where all synapses share one
    population the population column is a broadcast (zero-stride, read-only) array.
    """

    index: int               # position among the network's projections (creation order)
    rule: str                # the synapse rule (a ``synapse_rules.RULES`` key)
    pre_population: np.ndarray   # int64 [n]
    pre_cells: np.ndarray        # int64 [n]
    post_population: np.ndarray  # int64 [n]
    post_cells: np.ndarray       # int64 [n]
    receptor: Any            # the receptor type: its position in the postsynaptic cell
                             # type's ``receptor_types`` (int, or int64 [n] per synapse when
                             # an Assembly's cell types order their receptors differently)
    parameters: Mapping[str, np.ndarray]   # native name -> float64 [n]: weight (nA or uS),
                                           # delay (ms, on the grid), the rule's parameters,
                                           # initial values given with ``initialize()``
    constants: Mapping[str, float]         # values the synapse type holds per projection, not
                                           # per synapse (STDP weight dependence: mu_plus,
                                           # mu_minus)
    # presynaptic population index -> the detector its spikes come from (``source=``): 0 the
    # cell's spike source, k its k-th further detector (``PopulationData.detectors``)
    sources: Mapping[int, int] = field(default_factory=lambda: MappingProxyType({}))
    # several processes (``processes.py``): this process holds only the synapses onto its
    # cells -- ``total`` synapses in the whole projection (-1: all of them are here) and
    # ``places`` [n] each one's place among them in the one-process order (None: 0 .. n - 1)
    total: int = -1
    places: Any = None
    pre_populations: tuple = ()   # the populations behind the projection's presynaptic cells

    @property
    def size(self) -> int:
        """Number of synapses (held by this process)."""
        return int(self.pre_cells.size)

    @property
    def whole(self) -> int:
        """Number of synapses of the whole projection, every process's."""
        return self.size if self.total < 0 else self.total

    @property
    def place(self) -> np.ndarray:
        """Each synapse's place among the whole projection's, in the one-process order."""
        return np.arange(self.size) if self.places is None else np.asarray(self.places)

    @property
    def weight(self) -> np.ndarray:
        """float64 [n], nA (current-based) or uS (conductance-based)."""
        return self.parameters["weight"]

    @property
    def delay(self) -> np.ndarray:
        """float64 [n], ms (whole multiples of dt, >= dt)."""
        return self.parameters["delay"]


@dataclass(frozen=True, eq=False)
class SourceData:
    """One current source (electrode)."""

    index: int               # position among the network's current sources (creation order)
    waveform: str            # its kind (a ``waveforms.WAVEFORMS`` key)
    native: Mapping[str, Any]   # native name -> float or float64 array: start, stop (ms),
                                # amplitudes (nA), frequency (Hz), phase (deg), times (ms)...
    targets: tuple           # ((population index, int64 cell indices), ...) in injection order
    recording: bool          # its current is recorded
    field: bool = False      # an extracellular electrode: its amplitude reaches each target
                             # cell's nodes through the cell's field weights, not one node


@dataclass(frozen=True, eq=False)
class Network:
    """Everything a build reads."""

    populations: tuple       # PopulationData, in creation order
    projections: tuple | None   # ProjectionData in creation order; None: the synapses are
                                # unchanged since the previous build, whose tables are reused
    sources: tuple           # SourceData, in creation order
    dt: float                # ms
    precision: str           # "float32" or "float64"
    min_delay: float         # ms
    integration_scheme: str | None   # None, "nest" or "rk4"
    rng_seed: int
    loops: tuple = ()        # LoopData per closed loop (cbgtc/closed_loop.py)


@dataclass(frozen=True, eq=False)
class LoopData:
    """A closed loop: the LFP electrode it reads, the source it scales, its controller."""

    lfp: int                 # the electrode's index in the simulator's ``lfp_electrodes``
    source: int              # the source's index among the network's sources
    controller: Any          # a cbgtc.controllers controller (its kind and ts: static)
    params: Any              # its numbers for this member (controller.params(member))
    start: int               # step of the first call
    every: int               # steps between LFP samples
    period: int              # steps between calls
    history: int             # samples the biomarker reads
    fs: float                # Hz, the sampling rate of those samples
    target: str = "amplitude"    # what the controller's output sets
    recruits: tuple = ()     # ((source index among the network's sources, threshold), ...)


# -- the memory check at creation (footprint.py) ------------------------------------------------
@dataclass(frozen=True)
class PopulationFootprint:
    """What a population's memory depends on, known before its cells exist."""

    size: int                # cells
    n_parameters: int        # native parameters per cell
    n_sequences: int         # of them Sequence-valued (spike times: an object per cell)
    n_initial: int           # initial values (state variables) per cell
    n_receptors: int         # receptor types


@dataclass(frozen=True)
class ProjectionFootprint:
    """What a projection's memory depends on, known before its connector draws."""

    n_synapses: float        # expected number of synapses (a mean for random connectors)
    n_parameters: int        # native synapse parameters
    n_random: int            # of them not one value for all (random, arrays, expressions)
    rule: str                # the synapse rule (a ``synapse_rules.RULES`` key)


@dataclass(frozen=True)
class NetworkFootprint:
    """The network an object is added to."""

    itemsize: int            # bytes of a device number: 4 (float32) or 8 (float64)
    ring_slots: int          # ring-buffer slots known so far (max_delay / dt + 1; 1 if 'auto')
    device_bytes: float      # device bytes the populations and projections created so far
                             # will need
