"""Memory checked before it is spent: each Population and Projection as it is created.

The PyNN layer (``pynn_cbgtc_jax/footprint.py``: ``check_population``, called by
``Population._create_cells`` before any per-cell array exists, and ``check_projection``, called
by ``Projection.__init__`` before the connector draws) describes the object by its sizes alone
(``inputs.py``: ``PopulationFootprint``, ``ProjectionFootprint``, and the network so far,
``NetworkFootprint``); here ``population_bytes`` / ``projection_bytes`` estimate from them --
O(1), nothing allocated -- the host memory its creation takes and the device memory the
network will need with it (~15 us per object), and ``check`` refuses an object that cannot fit
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

import sys

from ..engine.synapse_rules import RULES
from .inputs import NetworkFootprint, PopulationFootprint, ProjectionFootprint
from .memory import DeviceMemoryError, HostMemoryError, _gb, free_device_bytes

__all__ = ["check", "available_host_bytes", "population_bytes", "projection_bytes"]

_FLOOR = 64 * 2 ** 20         # bytes: below this nothing is checked
# ID object, its all_cells slot, id range, mask: an ID with its ``parent`` attribute is 248 B
# on CPython 3.11 and 408 B on 3.12 (tracemalloc of 1e5 IDs); newer versions take the larger
_CELL_BYTES = 249 if sys.version_info < (3, 12) else 409
_CELL_PARAM_BYTES = 16        # per native parameter: the column and its evaluated copy
_CELL_INITIAL_BYTES = 8       # per initial value: the column
_CELL_SEQUENCE_BYTES = 160    # per Sequence-valued parameter (spike_times): an object per cell
_SYN_INDEX_BYTES = 16         # pre, post int64
_SYN_BLOCK_BYTES = 16         # pre, post of the connector's blocks before they are joined
# per parameter that differs between synapses (float64: the column and the block drawn or
# evaluated before it is joined); a parameter with one value for all synapses is one number
# (projections._joined)
_SYN_PARAM_BYTES = 16


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


def population_bytes(population: PopulationFootprint, network: NetworkFootprint) -> dict:
    """{term: bytes} on the host (creation peak) and on the device for ``population``."""
    n = population.size
    item = network.itemsize
    host = {
        "cell ids (one PyNN ID object per cell)": n * _CELL_BYTES,
        "parameter arrays": n * (population.n_parameters * _CELL_PARAM_BYTES
                                 + population.n_sequences * _CELL_SEQUENCE_BYTES),
        "initial values": n * population.n_initial * _CELL_INITIAL_BYTES,
    }
    device = {
        "neuron parameters and states": n * item * (population.n_parameters
                                                    + population.n_initial),
        "ring buffer (delayed inputs)": n * item * population.n_receptors * network.ring_slots,
    }
    return {"host": host, "device": device}


def _synapse_bytes(projection: ProjectionFootprint, network: NetworkFootprint):
    """(host bytes per synapse: indices, parameters; device bytes per synapse: table, state)."""
    item = network.itemsize
    spec = RULES.get(projection.rule, RULES["static"])
    return ((_SYN_INDEX_BYTES + _SYN_BLOCK_BYTES,
             _SYN_PARAM_BYTES * projection.n_random),
            (4 + item + 1 + item * len(spec.params), item * len(spec.state)))


def projection_bytes(projection: ProjectionFootprint, network: NetworkFootprint) -> dict:
    """{term: bytes} on the host (creation peak) and on the device for ``projection``, with
    its expected ``synapses`` and the ``device per synapse``."""
    n_syn = projection.n_synapses
    (index, params), (table, plastic) = _synapse_bytes(projection, network)
    return {"host": {"synapse indices (pre, post int64; the connector's blocks)": n_syn * index,
                     "synapse parameters (float64)": n_syn * params},
            "device": {"synapse tables": n_syn * table,
                       "plastic synapse states": n_syn * plastic},
            "synapses": n_syn, "device per synapse": table + plastic}


_FIXES_DEVICE = ("simulate fewer synapses or neurons, use setup(precision='float32') if "
                 "float64 is set, record fewer cells, or run on a device with more memory")


def check(what: str, terms: dict, network: NetworkFootprint, fixes: str, rollback=None,
          hint=""):
    """Refuse an object whose ``terms`` (``population_bytes`` / ``projection_bytes``) do not
    fit: its host terms in ``available_host_bytes()``, its device terms with the
    ``network.device_bytes`` of the earlier objects in ``free_device_bytes()``.

    ``what`` names the object and ``fixes`` says how to make it fit, in the message;
    ``rollback()`` is called before raising.

    Raises
    ------
    HostMemoryError, DeviceMemoryError
    """
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
    device_total = new_device + network.device_bytes
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
