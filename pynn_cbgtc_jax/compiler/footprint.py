"""Memory checked before it is spent: each Population and Projection as it is created.

``check_population`` (called by ``Population._create_cells`` before any per-cell array exists)
and ``check_projection`` (called by ``Projection.__init__`` before the connector draws) estimate
from the object's size alone -- O(1), nothing allocated; the device total adds one number per
earlier object -- the host memory its creation takes and the device memory the network will
need with it (~15 us per object), and refuse an object that cannot fit
with ``HostMemoryError`` or ``DeviceMemoryError`` (both ``MemoryError``), naming the estimate,
its largest term, the memory available and the fixes.  Nothing is registered then: the
simulator state is as before the call.  Without the check such an object dies in a bare NumPy
``MemoryError`` halfway through (or is killed by the OS).

The figures per cell and per synapse are measured (tracemalloc, CPython 3.11, NumPy 2):

* a cell costs 249 B kept whatever its type (409 B on CPython 3.12) -- one PyNN ``ID`` object (an
  ``int`` with an instance ``__dict__``, ~200 B), its slot in ``all_cells``, the id range and
  the local mask -- plus 8 B per native parameter and initial value (float64 columns); the peak
  while the parameter space is evaluated adds up to 8 B per parameter (IF_cond_exp 433 B,
  IF_curr_exp 401 B, EIF_cond_exp_isfa_ista 513 B, HH_cond_exp 465 B, SpikeSourcePoisson 305 B,
  Izhikevich 337 B per cell at the peak);
* a synapse costs 16 B of indices (pre, post int64) and 8 B per native parameter kept, and 24 B
  more at the peak (the connector's blocks of pre, post and delays before they are joined),
  8 B more per parameter drawn at random (StaticSynapse 56 B, TsodyksMarkramSynapse 80 B, with a
  random weight 64 B);
* on the device a synapse takes its ring column (int32), its weight and its delay (uint8): 9 B in
  float32 (``memory.estimate``), plus one number per rule parameter and state variable; a cell
  one number per parameter and state variable and its receptors' ring slots.

Refusing is decided without a safety factor, so a network that fits is never refused: the
terms above are the measured peaks of creation (the formula is within 5 % of them: 449 B per
IF_cond_exp cell for 433 B measured, 56 B per static synapse for 56 B), not a padded bound,
and building and running the network need more still (``memory.check_fits`` checks that, with
``HEADROOM``, before compiling) -- so an object refused here could not have been simulated.
MemAvailable already holds what earlier objects took on the host; on the device nothing is
spent before ``run()``, so there the earlier objects' estimates are added.  Objects below
``_FLOOR`` are not checked at all, so that small networks never read ``/proc/meminfo`` or
start JAX's backend to ask for the device's free memory.
"""
from __future__ import annotations

import numbers
import sys

import numpy as np
from pyNN.parameters import Sequence
from pyNN.random import NumpyRNG

from ..engine.synapse_rules import RULES
from .memory import DeviceMemoryError, HostMemoryError, _gb, free_device_bytes

__all__ = ["check_population", "check_projection", "available_host_bytes", "population_bytes",
           "projection_bytes", "expected_synapses"]

_FLOOR = 64 * 2 ** 20         # bytes: below this nothing is checked
# ID object, its all_cells slot, id range, mask: an ID with its ``parent`` attribute is 248 B
# on CPython 3.11 and 408 B on 3.12 (tracemalloc of 1e5 IDs); newer versions take the larger
_CELL_BYTES = 249 if sys.version_info < (3, 12) else 409
_CELL_PARAM_BYTES = 16        # per native parameter: the column and its evaluated copy
_CELL_INITIAL_BYTES = 8       # per initial value: the column
_CELL_SEQUENCE_BYTES = 160    # per Sequence-valued parameter (spike_times): an object per cell
_SYN_INDEX_BYTES = 16         # pre, post int64
_SYN_BLOCK_BYTES = 24         # pre, post, delay of the connector's blocks before they are joined
_SYN_PARAM_BYTES = 8          # per native parameter (float64), one more per random parameter


def available_host_bytes():
    """``MemAvailable`` of ``/proc/meminfo`` in bytes (what can be allocated without swapping),
    or None where it cannot be read."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _itemsize(state) -> int:
    return 8 if state.precision == "float64" else 4


def _ring_slots(state) -> int:
    # the ring holds max_delay / dt + 1 slots; with max_delay 'auto' it is not known until the
    # build, and one slot keeps the term a lower bound
    max_delay = state.explicit_max_delay
    return int(round(max_delay / state.dt)) + 1 if max_delay else 1


def population_bytes(population, state) -> dict:
    """{term: bytes} on the host (creation peak) and on the device for ``population``."""
    celltype = population.celltype
    n = population.size
    params = celltype.get_native_names() if hasattr(celltype, "get_native_names") else list(
        celltype.default_parameters)
    sequences = sum(1 for v in celltype.default_parameters.values() if isinstance(v, Sequence))
    n_initial = len(celltype.default_initial_values)
    n_receptors = len(getattr(celltype, "receptor_types", ()))
    item = _itemsize(state)
    host = {
        "cell ids (one PyNN ID object per cell)": n * _CELL_BYTES,
        "parameter arrays": n * (len(params) * _CELL_PARAM_BYTES
                                 + sequences * _CELL_SEQUENCE_BYTES),
        "initial values": n * n_initial * _CELL_INITIAL_BYTES,
    }
    device = {
        "neuron parameters and states": n * item * (len(params) + n_initial),
        "ring buffer (delayed inputs)": n * item * n_receptors * _ring_slots(state),
    }
    return {"host": host, "device": device}


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
        return float(connector.reference_projection._pre.size)
    return 0.0


def _synapse_bytes(synapse_type, rule, state):
    """(host bytes per synapse: indices, parameters; device bytes per synapse: table, state)."""
    space = synapse_type.parameter_space
    n_params = len(space.keys())
    n_random = sum(1 for name in space.keys() if not space[name].is_homogeneous)
    item = _itemsize(state)
    spec = RULES.get(rule, RULES["static"])
    return ((_SYN_INDEX_BYTES + _SYN_BLOCK_BYTES, _SYN_PARAM_BYTES * (n_params + n_random)),
            (4 + item + 1 + item * len(spec.params), item * len(spec.state)))


def projection_bytes(projection, connector, state) -> dict:
    """{term: bytes} on the host (creation peak) and on the device for ``projection``."""
    n_syn = expected_synapses(connector, projection)
    (index, params), (table, plastic) = _synapse_bytes(projection.synapse_type,
                                                       projection._rule, state)
    return {"host": {"synapse indices (pre, post int64; the connector's blocks)": n_syn * index,
                     "synapse parameters (float64)": n_syn * params},
            "device": {"synapse tables": n_syn * table,
                       "plastic synapse states": n_syn * plastic},
            "synapses": n_syn, "device per synapse": table + plastic}


def _existing_device_bytes(state) -> float:
    """The device bytes of the populations and projections already created (from the figures
    their own check left on them: a sum of numbers, no estimate is made again)."""
    return (sum(getattr(pop, "_footprint_device", 0.0) for pop in state.populations)
            + sum(prj._pre.size * getattr(prj, "_footprint_per_synapse", 0.0)
                  for prj in state.projections))


_FIXES_DEVICE = ("simulate fewer synapses or neurons, use setup(precision='float32') if "
                 "float64 is set, record fewer cells, or run on a device with more memory")


def _check(what: str, terms: dict, state, fixes: str, rollback=None, hint=""):
    host, device = terms["host"], terms["device"]
    host_total = sum(host.values())
    if host_total > _FLOOR:
        available = available_host_bytes()
        if available is not None and host_total > available:
            if rollback:
                rollback()
            largest, size = max(host.items(), key=lambda kv: kv[1])
            raise HostMemoryError(
                f"{what} needs about {_gb(host_total)} of host memory to be created but "
                f"{_gb(available)} is available (MemAvailable; what earlier populations and "
                f"projections hold is already taken from it). Largest term: {largest} "
                f"({_gb(size)}). To fit: {fixes}{hint}.")
    new_device = sum(device.values())
    if new_device == 0:
        return
    device_total = new_device + _existing_device_bytes(state)
    if device_total > _FLOOR:
        free, where = free_device_bytes()
        if free is not None and device_total > free:
            if rollback:
                rollback()
            largest, size = max(device.items(), key=lambda kv: kv[1])
            raise DeviceMemoryError(
                f"{what} brings the network to about {_gb(device_total)} of device memory "
                f"(this object {_gb(new_device)}, earlier populations and projections "
                f"{_gb(device_total - new_device)}) but {_gb(free)} is free on {where}. "
                f"Largest term: {largest} ({_gb(size)}). To fit: {_FIXES_DEVICE}{hint}.")


def check_population(population) -> None:
    """Refuse ``population`` before its cells are created if it cannot fit."""
    from ..simulator import state
    terms = population_bytes(population, state)

    def rollback():       # PyNN registered the recorder before creating the cells
        state.recorders.discard(getattr(population, "recorder", None))
    per_cell = sum(terms["host"].values()) / max(population.size, 1)
    _check(f"Population({population.size:,}, {type(population.celltype).__name__}) "
           f"({per_cell:.0f} B per cell)", terms, state,
           "create fewer cells (a smaller or scaled-down network), or run on a machine with more "
           "memory", rollback)
    population._footprint_device = sum(terms["device"].values())


def check_projection(projection, connector) -> None:
    """Refuse ``projection`` before ``connector`` draws if its synapses cannot fit."""
    from ..simulator import state
    terms = projection_bytes(projection, connector, state)
    n_syn = terms["synapses"]
    per_syn = sum(terms["host"].values()) / max(n_syn, 1)
    what = (f"Projection({projection.pre.size:,} -> {projection.post.size:,} cells, "
            f"{type(connector).__name__}, about {_count(n_syn)} synapses, {per_syn:.0f} B per "
            f"synapse)")
    # a probability connector with a NumpyRNG also draws one number per candidate pair
    hint = ("; rng=NativeRNG(seed) draws the connections in O(synapses) instead of one "
            "number per candidate pair" if isinstance(getattr(connector, "rng", None), NumpyRNG)
            else "")
    _check(what, terms, state, "make fewer synapses (a lower connection probability, fewer "
           "connections per cell, smaller populations), or run on a machine with more memory",
           hint=hint)
    projection._footprint_per_synapse = terms["device per synapse"]


def _count(n: float) -> str:
    return f"{n:,.0f}" if n < 1e7 else f"{n:.2g}".replace("e+", "e")
