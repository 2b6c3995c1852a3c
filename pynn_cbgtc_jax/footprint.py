"""The memory check at creation, PyNN side: a Population or Projection described by its sizes.

``check_population`` (called by ``Population._create_cells`` before any per-cell array exists)
and ``check_projection`` (called by ``Projection.__init__`` before the connector draws) read
what the object's memory depends on from its cell type, synapse type and connector --
``PopulationFootprint`` / ``ProjectionFootprint`` and the network so far,
``NetworkFootprint`` (``compiler/inputs.py``) -- and hand them to ``compiler/footprint.py``,
which estimates the bytes and refuses what cannot fit (the measured figures and the reasons
are there).  The device bytes an accepted object will need are kept on it, so the next check
adds one number per earlier object.
"""
from __future__ import annotations

import numbers

import numpy as np
from pyNN.parameters import Sequence
from pyNN.random import NumpyRNG

from . import simulator
from .compiler import footprint as estimate
from .compiler.inputs import NetworkFootprint, PopulationFootprint, ProjectionFootprint

__all__ = ["check_population", "check_projection", "population_footprint",
           "projection_footprint", "network_footprint", "expected_synapses",
           "population_bytes", "projection_bytes"]


def population_footprint(population) -> PopulationFootprint:
    """What ``population``'s memory depends on (its ``size`` and ``celltype`` only)."""
    celltype = population.celltype
    params = celltype.get_native_names() if hasattr(celltype, "get_native_names") else list(
        celltype.default_parameters)
    sequences = sum(1 for v in celltype.default_parameters.values() if isinstance(v, Sequence))
    return PopulationFootprint(size=population.size, n_parameters=len(params),
                               n_sequences=sequences,
                               n_initial=len(celltype.default_initial_values),
                               n_receptors=len(getattr(celltype, "receptor_types", ())))


def expected_synapses(connector, projection) -> float:
    """The number of synapses ``connector`` is expected to make for ``projection`` (its mean
    for random connectors), from sizes alone; 0 where it is not known before connecting
    (distance- or index-dependent probabilities, files, arrays)."""
    from pyNN import connectors as c
    n_pre, n_post = projection.pre.size, projection.post.size
    n = getattr(connector, "n", None)
    if isinstance(connector, c.AllToAllConnector):
        same = projection.pre == projection.post
        autapses = min(n_pre, n_post) if same and connector.allow_self_connections is False else 0
        return float(n_pre * n_post - autapses)
    if isinstance(connector, c.FixedProbabilityConnector):
        p = connector.p_connect
        return float(p) * n_pre * n_post if isinstance(p, numbers.Real) else 0.0
    if isinstance(connector, c.OneToOneConnector):
        return float(min(n_pre, n_post))
    if not isinstance(n, (int, np.integer)):
        n = None
    if isinstance(connector, c.FixedNumberPreConnector) and n is not None:
        return float(n) * n_post
    if isinstance(connector, c.FixedNumberPostConnector) and n is not None:
        return float(n) * n_pre
    if isinstance(connector, c.FixedTotalNumberConnector) and n is not None:
        return float(n)
    if isinstance(connector, c.FromListConnector) and not isinstance(
            connector, c.FromFileConnector):
        return float(len(connector.conn_list))
    if isinstance(connector, c.CloneConnector):
        return float(len(connector.reference_projection))
    return 0.0


def projection_footprint(projection, connector) -> ProjectionFootprint:
    """What ``projection``'s memory depends on, before ``connector`` draws."""
    space = projection.synapse_type.parameter_space
    return ProjectionFootprint(
        n_synapses=expected_synapses(connector, projection), n_parameters=len(space.keys()),
        n_random=sum(1 for name in space.keys() if not space[name].is_homogeneous),
        rule=projection._rule)


def network_footprint(state) -> NetworkFootprint:
    """The network of ``state`` so far: the device bytes its populations and projections will
    need (the figures their own check left on them: a sum of numbers, no estimate is made
    again), the device's number size and the ring slots known."""
    # the ring holds max_delay / dt + 1 slots; with max_delay 'auto' it is not known until the
    # build, and one slot keeps the term a lower bound
    max_delay = state.explicit_max_delay
    device = (sum(getattr(pop, "_footprint_device", 0.0) for pop in state.populations)
              + sum(len(prj) * getattr(prj, "_footprint_per_synapse", 0.0)
                    for prj in state.projections))
    return NetworkFootprint(itemsize=8 if state.precision == "float64" else 4,
                            ring_slots=int(round(max_delay / state.dt)) + 1 if max_delay else 1,
                            device_bytes=device)


def population_bytes(population, state) -> dict:
    """{term: bytes} on the host (creation peak) and on the device for ``population``."""
    return estimate.population_bytes(population_footprint(population), network_footprint(state))


def projection_bytes(projection, connector, state) -> dict:
    """{term: bytes} on the host (creation peak) and on the device for ``projection``."""
    return estimate.projection_bytes(projection_footprint(projection, connector),
                                   network_footprint(state))


def check_population(population) -> None:
    """Refuse ``population`` before its cells are created if it cannot fit."""
    state = simulator.state
    network = network_footprint(state)
    terms = estimate.population_bytes(population_footprint(population), network)

    def rollback():       # PyNN registered the recorder before creating the cells
        state.recorders.discard(getattr(population, "recorder", None))
    per_cell = sum(terms["host"].values()) / max(population.size, 1)
    estimate.check(f"Population({population.size:,}, {type(population.celltype).__name__}) "
                   f"({per_cell:.0f} B per cell)", terms, network,
                   "create fewer cells (a smaller or scaled-down network), or run on a machine "
                   "with more memory", rollback)
    population._footprint_device = sum(terms["device"].values())


def check_projection(projection, connector) -> None:
    """Refuse ``projection`` before ``connector`` draws if its synapses cannot fit."""
    state = simulator.state
    network = network_footprint(state)
    terms = estimate.projection_bytes(projection_footprint(projection, connector), network)
    n_syn = terms["synapses"]
    per_syn = sum(terms["host"].values()) / max(n_syn, 1)
    what = (f"Projection({projection.pre.size:,} -> {projection.post.size:,} cells, "
            f"{type(connector).__name__}, about {_count(n_syn)} synapses, {per_syn:.0f} B per "
            f"synapse)")
    # a probability connector with a NumpyRNG also draws one number per candidate pair
    hint = ("; rng=NativeRNG(seed) draws the connections in O(synapses) instead of one "
            "number per candidate pair" if isinstance(getattr(connector, "rng", None), NumpyRNG)
            else "")
    estimate.check(what, terms, network, "make fewer synapses (a lower connection probability, "
                   "fewer connections per cell, smaller populations), or run on a machine with "
                   "more memory", hint=hint)
    projection._footprint_per_synapse = terms["device per synapse"]


def _count(n: float) -> str:
    return f"{n:,.0f}" if n < 1e7 else f"{n:.2g}".replace("e+", "e")
