"""The PyNN layer's export to the compiler: the registered network as ``compiler.inputs`` data.

``export_network(state)`` walks the simulator state and describes every population,
projection and current source with plain data (``PopulationData``, ``ProjectionData``,
``SourceData`` in a ``Network``); views and assemblies are resolved here to (population
index, cell index) pairs, so the compiler reads no PyNN object.  The arrays are the objects'
own, not copies.
"""
from __future__ import annotations

from types import MappingProxyType

import numpy as np
from pyNN.common import Assembly, PopulationView

from .compiler.inputs import (LoopData, Network, PopulationData, ProjectionData,
                              RecordedProbe, RecordedSignal, SourceData)
from .projections import RECEPTOR_COLUMN, populations_of

#: the parameter column of a multi-compartment population's cell positions (um, [size, 3])
POSITIONS = "_positions"

__all__ = ["POSITIONS", "export_network", "population_data", "projection_data", "source_data",
           "resolve_cells"]


def resolve_cells(cells, idx):
    """Map indices into a Population, PopulationView or Assembly to (population index, local).

    Returns two int64 arrays aligned with ``idx``; for a Population the first is a broadcast
    (zero-stride) array and the second ``idx`` itself.
    """
    idx = np.asarray(idx, dtype=np.int64)
    if isinstance(cells, Assembly):
        pop_of = np.empty(idx.size, np.int64)
        local = np.empty(idx.size, np.int64)
        offsets = np.cumsum([0] + [p.size for p in cells.populations])
        which = np.searchsorted(offsets, idx, side="right") - 1
        for j, member in enumerate(cells.populations):
            sel = which == j
            pop_of[sel], local[sel] = resolve_cells(member, idx[sel] - offsets[j])
        return pop_of, local
    if isinstance(cells, PopulationView):
        root = cells.grandparent
        return (np.broadcast_to(np.int64(root._index), idx.shape),
                np.asarray(cells.index_in_grandparent(idx), np.int64))
    return np.broadcast_to(np.int64(cells._index), idx.shape), idx


def population_data(pop, member: int | None = None) -> PopulationData:
    """``pop`` (a Population) as the compiler reads it; ``member``: that ensemble member's
    parameter values (``Population._batches``), None for the first member's."""
    celltype = pop.celltype
    model = celltype.kernel
    rec = pop.recorder
    record_map = getattr(celltype, "record_map", {})
    signals = []
    for var, recordable in rec.recorded_signals():
        cells = rec.recorded_indices(var)
        if cells.size:
            signals.append(RecordedSignal(var, record_map.get(recordable, (recordable, 1.0))[0],
                                          cells))
    return PopulationData(
        index=pop._index, size=pop.size, first_id=int(pop.first_id),
        kind=model.name if model is not None else type(celltype).__name__, model=model,
        injectable=bool(celltype.injectable), parameters=MappingProxyType({
            **(pop._parameters if not member or not pop._batches else
               {**pop._parameters, **{n: v[member] for n, v in pop._batches.items()}}),
            # cells with a morphology: where they are (um, [size, 3]) places their nodes
            **({POSITIONS: np.asarray(pop.positions, float).T}
               if hasattr(celltype, "object_columns") else {})}),
        spikes=rec.recorded_indices("spikes"), signals=tuple(signals),
        probes=tuple(RecordedProbe(e.currents, e.weights(), e.index)
                     for e in pop._simulator.state.lfp_electrodes if e.population is pop),
        detectors=(celltype.extra_detectors() if hasattr(celltype, "extra_detectors")
                   else ()))


def _first_column(celltype, receptor_type) -> int:
    """The engine receptor index of ``receptor_type``: its position in the cell type's
    receptor types, or for a multi-compartment cell its post-synaptic entity's first place."""
    if hasattr(celltype, "receptor_columns"):
        return celltype.receptor_columns(receptor_type)[0]
    return list(celltype.receptor_types).index(receptor_type)


def _receptor(prj, post_population: np.ndarray):
    """The receptor index of ``prj``'s receptor type in each postsynaptic population's cell
    type (one int when it is the same for all): an Assembly of cell types that order their
    receptors differently gets each population's own index, never a position in PyNN's
    ``Assembly.receptor_types``, which is built from a set (its order varies between
    processes)."""
    index = {p._index: _first_column(p.celltype, prj.receptor_type)
             for p in populations_of(prj.post)}
    columns = prj._params.get(RECEPTOR_COLUMN)      # multi-compartment places, NaN: default
    if len(set(index.values())) == 1 and columns is None:
        return next(iter(index.values()))
    lookup = np.zeros(max(index) + 1, np.int64)
    for population, receptor in index.items():
        lookup[population] = receptor
    default = lookup[post_population]
    if columns is None:
        return default
    return np.where(np.isnan(columns), default, columns).astype(np.int64)


def projection_data(prj, member: int | None = None) -> ProjectionData:
    """``prj`` (a Projection) as the compiler reads it; ``member``: that ensemble member's
    synapse values (``Projection._batches``)."""
    prj._consolidate()
    pre_pop, pre = resolve_cells(prj.pre, prj._pre)
    post_pop, post = resolve_cells(prj.post, prj._post)
    return ProjectionData(
        index=prj._index, rule=prj._rule, pre_population=pre_pop, pre_cells=pre,
        post_population=post_pop, post_cells=post, receptor=_receptor(prj, post_pop),
        parameters=MappingProxyType({n: v for n, v in (
            prj._params if not member or not prj._batches else
            {**prj._params, **{n: v[member] for n, v in prj._batches.items()}}).items()
            if n != RECEPTOR_COLUMN}),
        constants=MappingProxyType(dict(prj._weight_dependence_mu)),
        sources=MappingProxyType(dict(prj._sources)),
        pre_populations=tuple(p._index for p in populations_of(prj.pre)),
        **({} if prj._global is None else {"total": prj.size(), "places": prj._global}))


def source_data(src, member: int | None = None) -> SourceData:
    """``src`` (a current source of ``standardmodels/electrodes.py``) as the compiler reads it;
    ``member``: that ensemble member's values."""
    return SourceData(index=src._index, waveform=src._waveform_name,
                      native=MappingProxyType(src.member_native(member)),
                      targets=tuple((pop._index, idx) for pop, idx in src._targets),
                      recording=bool(src._recording), field=bool(getattr(src, "field", False)))


def export_network(state, synapses: bool = True, member: int | None = None) -> Network:
    """The network registered in ``state`` (``simulator.State``) as compiler input.

    ``synapses``: export the projections; False when the previous build's synapse tables are
    reused (``Network.projections`` is then None and no synapse is visited).  ``member``: the
    values of that ensemble member (``ensembles.py``); None for the first member's.
    """
    seed = state.rng_seed if not member or state.rng_seeds is None else state.rng_seeds[member]
    return Network(
        populations=tuple(population_data(p, member) for p in state.populations),
        projections=(tuple(projection_data(p, member) for p in state.projections) if synapses
                     else None),
        sources=tuple(source_data(s, member) for s in state.current_sources),
        dt=state.dt, precision=state.precision, min_delay=float(state.min_delay),
        integration_scheme=state.integration_scheme, rng_seed=int(seed),
        loops=tuple(LoopData(loop.lfp.index, loop.source._index, loop.controller,
                             loop.controller.params(member), loop.start_step, loop.every,
                             loop.period, loop.history, loop.fs, loop.target,
                             tuple((src._index, float(thr)) for src, thr in loop.recruits))
                    for loop in state.closed_loops))
