"""setup(), end() and the run/reset/query functions built by PyNN's factories."""
from __future__ import annotations

import logging
import warnings

import numpy as np
from pyNN import common, errors
from pyNN.common.control import DEFAULT_MAX_DELAY, DEFAULT_MIN_DELAY, DEFAULT_TIMESTEP

from . import simulator
from .devices import resolve_devices
from .engine import process
from . import processes
from .ensembles import Batch

__all__ = ["setup", "end", "run", "run_until", "run_for", "reset", "initialize",
           "get_current_time", "get_time_step", "get_min_delay", "get_max_delay",
           "num_processes", "rank"]

logger = logging.getLogger("PyNN")

# setup() keywords that other backends use and that have no meaning here
_IGNORED = {"threads": "the JAX engine uses every core of the device it runs on",
            "spike_precision": "spikes are always on the time grid (NEST's 'on_grid' mode)",
            "verbosity": "there is no simulator kernel log",
            "t_flush": "reset() is exact here, no flush time is needed",
            "use_cvode": "the step is fixed", "rng_type": "JAX uses its own counter-based RNG",
            "num_processes": "a single process drives the device", "rank": "single process"}
_KNOWN = {"max_delay", "rng_seed", "precision", "grng_seed", "integration_scheme",
          "devices", "distributed"} | set(_IGNORED)
SCHEMES = (None, "nest", "rk4")
_WARNED = set()      # warn once per (keyword, value) and process


def _check_setup_args(timestep, min_delay, max_delay, precision, extra_params):
    scheme = extra_params.get("integration_scheme")
    if scheme not in SCHEMES:
        raise errors.InvalidParameterValueError(
            f"setup(integration_scheme={scheme!r}): allowed values are None (NEST's scheme in "
            f"float64, RK4 in float32), 'nest' (NEST's adaptive RKF45 for EIF_cond_*_isfa_ista "
            f"and HH_cond_exp: spike for spike with NEST, slower in firing AdEx populations) and "
            f"'rk4' (fixed-step RK4).")
    if not (isinstance(timestep, (int, float)) and timestep > 0):
        raise errors.InvalidParameterValueError(
            f"setup(timestep={timestep!r}): the time step must be a positive number of ms, "
            f"e.g. setup(timestep=0.1).")
    for arg, value in (("min_delay", min_delay), ("max_delay", max_delay)):
        if value != "auto" and not (isinstance(value, (int, float)) and value > 0):
            raise errors.InvalidParameterValueError(
                f"setup({arg}={value!r}): must be 'auto' or a positive number of ms.")
    if min_delay != "auto" and min_delay < timestep * (1 - 1e-9):
        raise errors.InvalidParameterValueError(
            f"setup(min_delay={min_delay!r}): shorter than the time step {timestep} ms; a "
            f"delay is at least one step: give min_delay >= timestep, or 'auto'.")
    if "auto" not in (min_delay, max_delay) and max_delay < min_delay:
        raise errors.InvalidParameterValueError(
            f"setup(max_delay={max_delay!r}): below min_delay = {min_delay} ms; give "
            f"max_delay >= min_delay, or 'auto'.")
    if precision not in ("float32", "float64"):
        raise errors.InvalidParameterValueError(
            f"setup(precision={precision!r}): allowed values are 'float32' (default, fast) and "
            f"'float64' (for validation).")
    for key in extra_params:
        if key not in _KNOWN:
            logger.warning("setup(%s=...) is not used by pynn_cbgtc_jax and is ignored.", key)


def setup(timestep=DEFAULT_TIMESTEP, min_delay=DEFAULT_MIN_DELAY, **extra_params):
    """Initialise (or re-initialise) the simulator; any existing network is destroyed.

    Parameters
    ----------
    timestep : float
        Integration time step (ms).
    min_delay, max_delay : float or 'auto'
        Delay bounds (ms).  'auto' takes them from the projections.
    rng_seed : int or Batch
        Seed of the backend's random numbers (Poisson sources, noisy currents); default 42.
        A ``Batch`` of seeds makes an ensemble with one member per seed (``ensembles.py``):
        each member draws its own spike sources and noise; connectors use the first seed, so
        every member has the same connectivity.
    devices : None, int, 'all' or list of jax.Device
        Where the simulation runs (``devices.py``): None, one device (JAX's default); more
        than one partitions the network over them (an ensemble: splits its members).
    distributed : bool
        One network over the devices of several processes (``processes.py``): every process
        runs the same script; ``jax.distributed`` is initialised from the environment
        (``JAX_COORDINATOR_ADDRESS``, ``JAX_NUM_PROCESSES``, ``JAX_PROCESS_ID``) or the
        cluster; ``devices`` defaults to every device of every process.
    precision : {'float32', 'float64'}
        Floating-point type of the simulation (float64 enables JAX's x64 mode).
    integration_scheme : {None, 'nest', 'rk4'}
        Integration of the models NEST integrates with GSL's adaptive RKF45
        (EIF_cond_exp/alpha_isfa_ista, HH_cond_exp): 'nest' reproduces NEST's scheme (the same
        spike steps as NEST; an AdEx step with a spike takes ~20 sub-steps, which a whole
        population then waits for), 'rk4' is fixed-step RK4 (AdEx: fast, 97 % of spikes on
        NEST's step; HH: closer to the exact solution than NEST).  Default None: 'nest' in
        float64, 'rk4' in float32.

    Keywords of other backends (``threads``, ``spike_precision``, ``verbosity``, ``t_flush``,
    ...) are accepted; they have no meaning here, and a warning says so (once per value).
    """
    max_delay = extra_params.get("max_delay", DEFAULT_MAX_DELAY)
    precision = extra_params.get("precision", "float32")
    _check_setup_args(timestep, min_delay, max_delay, precision, extra_params)
    distributed = extra_params.get("distributed", False)
    if not isinstance(distributed, bool):
        raise errors.InvalidParameterValueError(
            f"setup(distributed={distributed!r}): give True (several processes, "
            f"jax.distributed) or False.")
    if distributed:
        processes.initialize()
    devices = extra_params.get("devices")
    if processes.process_count() > 1:
        devices = resolve_devices("all" if devices is None else devices)
        if len(devices) != processes.process_count() * len(
                [d for d in devices if d.process_index == processes.process_index()]):
            raise errors.InvalidParameterValueError(
                f"setup(devices={extra_params.get('devices')!r}) with "
                f"{processes.process_count()} processes: every process must bring the same "
                f"number of devices; give devices='all'.")
    else:
        devices = resolve_devices(devices)
    common.setup(timestep, min_delay, **extra_params)
    for key, why in _IGNORED.items():
        if key in extra_params and (key, extra_params[key]) not in _WARNED:
            _WARNED.add((key, extra_params[key]))
            warnings.warn(f"setup({key}={extra_params[key]!r}) has no meaning in pynn_cbgtc_jax "
                          f"and is ignored: {why}.", stacklevel=2)
    state = simulator.state
    state.clear()
    state.dt = float(timestep)
    state.min_delay = min_delay
    state.max_delay = max_delay
    state.precision = precision
    state.integration_scheme = extra_params.get("integration_scheme")
    state.devices = devices
    # rank() answers the process index; PyNN's own gathering (MPI) stays off: every process
    # receives all recorded data, and projections gather their synapses themselves
    # (processes.py)
    state.mpi_rank, state.processes = processes.process_index(), processes.process_count()
    seed = extra_params.get("rng_seed", extra_params.get("grng_seed", 42))
    if isinstance(seed, Batch):
        # each member its own spike-source and noise streams; connectors and NativeRNG draws
        # use the first member's seed, so the connectivity is the same for every member
        state.ensemble(len(seed), "setup(rng_seed=Batch(...))")
        state.rng_seeds = Batch([int(v) for v in seed])
        seed = seed[0]
    state.rng_seed = int(seed)
    if precision == "float64":
        import jax
        jax.config.update("jax_enable_x64", True)
    process.apply()
    return rank()


def end(compatible_output=True):
    """Write the data requested with ``record(..., to_file=...)``; keep everything else."""
    for population, variables, filename in simulator.state.write_on_end:
        population.write_data(filename, variables)    # atomic (Recorder.write)
    simulator.state.write_on_end = []


_common_run, _common_run_until = common.build_run(simulator)


def _check_run_time(call: str, value, duration: bool):
    """Refuse NaN, infinite, off-grid and (for a duration) negative times before PyNN's
    factory sees them (NEST, nestkernel/nest.cpp: "The simulation time must be finite.",
    "... must be a multiple of the simulation resolution.")."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise errors.InvalidParameterValueError(
            f"{call} = {value!r}: must be a number of ms.") from None
    if not np.isfinite(number):
        raise errors.InvalidParameterValueError(
            f"{call} = {number}: must be a finite number of ms; give the time to simulate "
            f"(a multiple of dt = {simulator.state.dt} ms).")
    if duration and number < 0:
        raise errors.InvalidParameterValueError(
            f"{call} = {number} ms is negative: a simulation cannot run backwards; give a "
            f"duration >= 0, or call reset() to go back to t = 0.")
    simulator.grid_steps(number, simulator.state.dt, call,
                         " (run()/run_until() times must lie on the time grid)")


def run_until(time_point, callbacks=None):
    """Advance the simulation until ``time_point`` (ms).

    ``time_point`` must be finite, not in the past and on the time grid (a multiple of dt,
    up to float round-off), as NEST requires; otherwise ``InvalidParameterValueError`` (a
    ``ValueError``) names the time, dt and the nearest valid times.  ``callbacks``: see
    ``pyNN.common.control.build_run``.
    """
    _check_run_time("run_until(time_point)", time_point, duration=False)
    return _common_run_until(time_point, callbacks)


def run(simtime, callbacks=None):
    """Advance the simulation by ``simtime`` ms (finite, >= 0, a multiple of dt).

    Bad values raise ``InvalidParameterValueError`` (see ``run_until``).
    """
    _check_run_time("run(simtime)", simtime, duration=True)
    return _common_run(simtime, callbacks)


run_for = run
reset = common.build_reset(simulator)
initialize = common.initialize
get_current_time, get_time_step, get_min_delay, get_max_delay, _num_processes, rank = \
    common.build_state_queries(simulator)


def num_processes():
    """The number of processes of a distributed simulation (``setup(distributed=True)``)."""
    return simulator.state.processes


# -- checkpoints (checkpoint.py) -----------------------------------------------------------------
__all__ += ["checkpoint", "restore"]


def checkpoint(path):
    """Write everything needed to continue the simulation to ``path`` (an ``.npz`` file).

    The time step counter, every population's state, the synapses' (plastic) state, the delay
    ring buffers, postsynaptic spike histories, the segment counter and everything recorded so
    far.  The file is written atomically: a temporary file in the same folder replaces ``path``
    once complete.  See ``pynn_cbgtc_jax.checkpoint`` for the format.

    Examples
    --------
    Process 1: build the network, ``run(a)``, ``checkpoint("net.npz")``.  Process 2: ``setup()``
    with the same arguments, build the same network, ``restore("net.npz")``, ``run(b)``: the
    data equal those of an uninterrupted ``run(a + b)`` bit for bit.
    """
    from .checkpoint import save
    save(simulator.state, path)


def restore(path):
    """Continue from the checkpoint ``path`` in the network built since ``setup()``.

    The network must be the one that was checkpointed; otherwise ``CheckpointMismatchError``
    (an ``InvalidParameterValueError``) names what differs (populations, cell types, sizes,
    parameters, projections, synapse counts, weights, dt, precision, recorded variables...).
    Returns the restored time (ms).
    """
    from .checkpoint import load
    load(simulator.state, path)
    return simulator.state.t
