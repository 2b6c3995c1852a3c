"""The simulator state: time as an integer step counter, the registry of the network, lazy build.

PyNN's common code reads ``state.t``, ``dt``, ``min_delay``, ``max_delay``, ``segment_counter``,
``recorders`` ...; the backend hooks add populations, projections and current sources here.  At
the first ``run()`` the network is compiled (``compiler.build``) and advanced by the JAX engine;
it is compiled again only when its structure changes.
"""
from __future__ import annotations

import logging

import numpy as np
from pyNN import common, errors

__all__ = ["name", "ID", "State", "state", "NumericalInstabilityError", "StaleObjectError",
           "check_current", "grid_steps"]

logger = logging.getLogger("PyNN")

name = "pynn_cbgtc_jax"


class NumericalInstabilityError(ArithmeticError):
    """A state variable became NaN or infinite during a run (population and time in the message).

    Everything recorded up to the end of the chunk in which it happened is kept.
    """


class StaleObjectError(errors.InvalidParameterValueError, RuntimeError):
    """An object (Population, Projection, current source) of a simulation that a later
    ``setup()`` discarded was used in the current one (a ``pyNN.errors`` type, so scripts that
    catch PyNN's errors catch it; also a ``RuntimeError``)."""


def check_current(obj, action: str):
    """Refuse ``obj`` if it was created before the last ``setup()``.

    ``setup()`` (``State.clear``) starts a new *generation*; every Population, Projection and
    current source remembers the generation it was created in.  An object of an earlier one is
    not part of the simulated network, so connecting, recording, injecting into or setting it
    would silently do nothing (pyNN.nest fails later with NEST's ``UnknownNode``).

    Parameters
    ----------
    obj : Population, PopulationView, Assembly, Projection or current source
    action : str
        What was attempted, for the message (e.g. ``"Projection(pre=...)"``).

    Raises
    ------
    StaleObjectError
    """
    for part in _parts(obj):
        generation = getattr(part, "_generation", state.generation)
        if generation != state.generation:
            label = getattr(part, "label", None)
            raise StaleObjectError(
                f"{action}: {type(part).__name__} {label!r} belongs to a simulation that "
                f"setup() discarded (it was created before the last setup() call, simulation "
                f"#{generation}; the current one is #{state.generation}); it is not part of the "
                f"current network.  Create it again after setup().")


def _parts(obj):
    """The objects that carry a generation: a view's parent population, an assembly's
    populations, the object itself otherwise."""
    if isinstance(obj, common.Assembly):
        return [p for p in obj.populations for p in _parts(p)]
    if isinstance(obj, common.PopulationView):
        return [obj.grandparent]
    return [obj]


def grid_steps(value, dt: float, what: str, allowed: str = "") -> int:
    """``value`` ms as a whole number of steps of ``dt``; refuse a value off the time grid.

    A relative tolerance of 1e-9 on ``value / dt`` absorbs float round-off
    (``0.30000000000000004`` at dt = 0.1 is 3 steps), as NEST's tic grid does.

    Raises
    ------
    pyNN.errors.InvalidParameterValueError
        ``value`` is not finite or not a multiple of ``dt``; the message names ``what``, the
        value, ``dt`` and the two nearest valid values.
    """
    value = float(value)
    if not np.isfinite(value):
        raise errors.InvalidParameterValueError(
            f"{what} = {value}: must be a finite number of ms{allowed}.")
    n = value / dt
    k = round(n)
    if abs(n - k) > 1e-9 * max(1.0, abs(n)):
        below, above = np.floor(n) * dt, np.ceil(n) * dt
        raise errors.InvalidParameterValueError(
            f"{what} = {value} ms is not a multiple of the time step dt = {dt} ms{allowed}; "
            f"the nearest valid values are {below:.10g} and {above:.10g} ms (NEST refuses "
            f"times off the grid too).")
    return int(k)


class ID(int, common.IDMixin):
    """A cell's global id (consecutive within a population)."""

    def __init__(self, n):
        int.__init__(n)
        common.IDMixin.__init__(self)


class State(common.control.BaseState):
    """Global simulator state (one instance: ``state``)."""

    def __init__(self):
        super().__init__()
        self.mpi_rank = 0
        self.num_processes = 1           # what PyNN's recorders and connectors see (its MPI
                                         # paths stay off: every process receives all
                                         # recorded data, and projections keep their own
                                         # synapses: processes.py)
        self.processes = 1               # num_processes(): jax.distributed's process count
        self.dt = 0.1
        self.min_delay = "auto"
        self.max_delay = 10.0
        self.precision = "float32"
        self.integration_scheme = None  # None, "nest" or "rk4" (kernels/adex.py, hh.py)
        self.rng_seed = 42
        self.devices = None              # setup(devices=...): a tuple of jax.Device, or None
        self.step = 0
        self.clear()

    # --- time -----------------------------------------------------------------------------------
    @property
    def t(self):
        """Current time in ms (``step * dt``)."""
        return self.step * self.dt

    @t.setter
    def t(self, value):
        # BaseState.__init__ assigns t = 0; time is only ever moved by run()/reset().
        self.step = int(round(value / self.dt)) if value else 0

    # --- registry -------------------------------------------------------------------------------
    def clear(self):
        """Forget the whole network (``setup()``); objects created before belong to an
        earlier *generation* and are refused from now on (``check_current``)."""
        self.generation = getattr(self, "generation", -1) + 1
        self.populations = []
        self.projections = []
        self.current_sources = []
        self.lfp_electrodes = []         # cbgtc/lfp.py
        self.closed_loops = []           # cbgtc/closed_loop.py
        self.recorders = set()
        self.id_counter = 0
        self.segment_counter = -1
        self.write_on_end = []
        self.simulation = None           # the compiled network (compiler.Network)
        self.structure_changed = True
        self.data_changed = True
        self.synapses_changed = True     # the synapse tables must be rebuilt (compiler.build)
        self.members = 0                 # ensemble members (0: a single network; ensembles.py)
        self.rng_seeds = None            # a Batch of rng_seed, one per member, or None
        self.reset()

    def ensemble(self, n: int, what: str):
        """Register a ``Batch`` of ``n`` members given to ``what``; every Batch of a simulation
        has the same length (``InvalidParameterValueError`` otherwise)."""
        from pyNN import errors
        if self.members and n != self.members:
            raise errors.InvalidParameterValueError(
                f"{what}: a Batch of {n} members, but this simulation's ensemble has "
                f"{self.members} (every Batch of one simulation has the same length; use "
                f"sim.grid(...) to combine parameters, or give {self.members} values).")
        if self.members == 0:
            self.members = n
            self.mark_changed(structure=True)

    def add_population(self, population) -> int:
        self.populations.append(population)
        self.structure_changed = True
        return len(self.populations) - 1

    def add_projection(self, projection) -> int:
        self.projections.append(projection)
        self.structure_changed = True
        return len(self.projections) - 1

    def add_current_source(self, source) -> int:
        self.current_sources.append(source)
        self.structure_changed = True
        return len(self.current_sources) - 1

    def add_lfp_electrode(self, electrode) -> int:
        self.lfp_electrodes.append(electrode)
        self.mark_changed(structure=True)
        return len(self.lfp_electrodes) - 1

    def add_closed_loop(self, loop) -> int:
        self.closed_loops.append(loop)
        self.mark_changed(structure=True)
        return len(self.closed_loops) - 1

    def mark_changed(self, structure: bool = False, synapses: bool = False):
        """Host-side values changed: upload them (and recompile if ``structure``) before a run;
        ``synapses``: the synapse tables must be rebuilt too (any ``structure`` change implies
        it; otherwise a ``set()`` reuses them)."""
        self.data_changed = True
        if structure:
            self.structure_changed = True
        if synapses or structure:
            self.synapses_changed = True

    # --- min_delay ------------------------------------------------------------------------------
    @property
    def min_delay(self):
        if self._min_delay == "auto":
            delays = [p._min_delay_value() for p in getattr(self, "projections", [])]
            delays = [d for d in delays if d is not None]
            return min(delays) if delays else self.dt
        return self._min_delay

    @min_delay.setter
    def min_delay(self, value):
        self._min_delay = value

    @property
    def max_delay(self):
        if self._max_delay == "auto":
            delays = [p._max_delay_value() for p in getattr(self, "projections", [])]
            delays = [d for d in delays if d is not None]
            return max(delays) if delays else self.min_delay
        return self._max_delay

    @max_delay.setter
    def max_delay(self, value):
        self._max_delay = value

    @property
    def explicit_max_delay(self):
        return None if self._max_delay == "auto" else self._max_delay

    @property
    def explicit_min_delay(self):
        return None if self._min_delay == "auto" else self._min_delay

    # --- running --------------------------------------------------------------------------------
    def run(self, simtime):
        self.run_until(self.t + simtime)

    def run_until(self, tstop):
        # NEST: "The simulation time must be a multiple of the simulation resolution."
        # (nestkernel/nest.cpp, simulate()); no silent stop at another time here either
        target = grid_steps(tstop, self.dt, "run_until(tstop)",
                            " (run()/run_until() times must lie on the time grid)")
        n_steps = target - self.step
        if n_steps < 0:
            raise ValueError(f"run_until(tstop={tstop}): tstop is before the current time "
                             f"t = {self.t} ms; give a time >= t, or call reset() first.")
        if self.structure_changed:
            self._check_network_current()
        from .simulation import ensure_simulation
        simulation = ensure_simulation(self)
        self.running = True
        simulation.advance(n_steps)

    def _check_network_current(self):
        """The last guard before a build: every projection's populations and every current
        source's targets belong to this simulation (``check_current``), so no synapse or
        electrode of a discarded one is compiled into a network where it does nothing."""
        for prj in self.projections:
            check_current(prj.pre, f"run(): Projection {prj.label!r}")
            check_current(prj.post, f"run(): Projection {prj.label!r}")
        for source in self.current_sources:
            for population, _ in source._targets:
                check_current(population, f"run(): {type(source).__name__}")
        for loop in self.closed_loops:
            for source, _ in loop.recruits:
                if not source._targets:
                    raise errors.InvalidParameterValueError(
                        f"run(): a source recruited by a ClosedLoop ({source}) is injected "
                        f"into no cell; inject_into() its cells before run().")
            if not loop.source._targets:
                raise errors.InvalidParameterValueError(
                    f"run(): the ClosedLoop's {type(loop.source).__name__} is injected into no "
                    f"cell; inject_into() the cells it stimulates before run().")

    def reset(self):
        """Back to t = 0 with the initial values; a new segment; parameters and weights kept."""
        self.running = False
        self.step = 0
        self.t_start = 0
        self.segment_counter += 1
        for recorder in self.recorders:
            recorder.clear_members()          # every ensemble member's current segment
        if getattr(self, "simulation", None) is not None:
            self.simulation.restart()


state = State()
