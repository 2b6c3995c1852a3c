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

__all__ = ["name", "ID", "State", "state", "NumericalInstabilityError"]

logger = logging.getLogger("PyNN")

name = "pynn_cbgtc_jax"


class NumericalInstabilityError(ArithmeticError):
    """A state variable became NaN or infinite during a run (population and time in the message).

    Everything recorded up to the end of the chunk in which it happened is kept.
    """


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
        self.num_processes = 1
        self.dt = 0.1
        self.min_delay = "auto"
        self.max_delay = 10.0
        self.precision = "float32"
        self.integration_scheme = None  # None, "nest" or "rk4" (kernels/adex.py, hh.py)
        self.rng_seed = 42
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
        """Forget the whole network (``setup()``)."""
        self.populations = []
        self.projections = []
        self.current_sources = []
        self.recorders = set()
        self.id_counter = 0
        self.segment_counter = -1
        self.write_on_end = []
        self.simulation = None           # the compiled network (compiler.Network)
        self.structure_changed = True
        self.data_changed = True
        self.synapses_changed = True     # the synapse tables must be rebuilt (compiler.build)
        self.reset()

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
        n_steps = int(round((tstop - self.t) / self.dt))
        if n_steps < 0:
            raise ValueError(f"run_until(tstop={tstop}): tstop is before the current time "
                             f"t = {self.t} ms; give a time >= t, or call reset() first.")
        from .simulation import ensure_simulation
        simulation = ensure_simulation(self)
        self.running = True
        simulation.advance(n_steps)

    def reset(self):
        """Back to t = 0 with the initial values; a new segment; parameters and weights kept."""
        self.running = False
        self.step = 0
        self.t_start = 0
        self.segment_counter += 1
        for recorder in self.recorders:
            recorder._clear_simulator()
        if getattr(self, "simulation", None) is not None:
            self.simulation.restart()


state = State()
