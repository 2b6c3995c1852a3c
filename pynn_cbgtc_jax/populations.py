"""Population, PopulationView and Assembly: host-side parameter and initial-value arrays.

Before the first ``run()`` (and always, as the source of truth) a population keeps its native
parameters as NumPy arrays; ``get``/``set`` work on them directly and mark the simulator's
device copy stale.  ``initialize()`` stores evaluated arrays, so ``reset()`` restores exactly the
same initial state; after a run has started it also changes the live state (as NEST does).
"""
from __future__ import annotations

import numpy as np
from pyNN import common
from pyNN.parameters import ParameterSpace, Sequence, simplify
from pyNN.standardmodels import StandardCellType

from . import simulator
from .recording import Recorder
from .standardmodels.cells import check_parameters

__all__ = ["Population", "PopulationView", "Assembly"]


def _column(value, n):
    """A parameter as an owned array of length ``n`` (object array for Sequence values)."""
    if isinstance(value, np.ndarray) and value.shape == (n,):
        return value.copy()
    if isinstance(value, Sequence) or (isinstance(value, np.ndarray) and value.dtype == object):
        out = np.empty(n, dtype=object)
        out[:] = list(np.atleast_1d(value)) if not isinstance(value, Sequence) else [value] * n
        return out
    return np.full(n, value, dtype=float)


class Assembly(common.Assembly):
    _simulator = simulator


class _ParameterAccess:
    """get/set of native parameters through ``self._pop`` and ``self._idx``."""

    def _get_parameters(self, *names):
        if isinstance(self.celltype, StandardCellType):
            if any(name in self.celltype.computed_parameters() for name in names):
                native_names = self.celltype.get_native_names()
            else:
                native_names = self.celltype.get_native_names(*names)
            return self.celltype.reverse_translate(self._get_native_parameters(*native_names))
        return self._get_native_parameters(*names)

    def _get_native_parameters(self, *names):
        pop, idx = self._pop, self._idx
        values = {name: simplify(pop._parameters[name][idx]) for name in names}
        return ParameterSpace(values, shape=(len(idx),))

    def _set_parameters(self, parameter_space):
        pop, idx = self._pop, self._idx
        parameter_space.shape = (len(idx),)
        parameter_space.evaluate(simplify=False)
        values = dict(parameter_space.items())
        check_parameters(pop.celltype, values)
        structure = False
        for name, value in values.items():
            pop._parameters[name][idx] = value
            structure |= name == "spike_times"    # may change the event-table shape
        # Tsodyks-Markram synapses take tau_psc from the postsynaptic cells' tau_syn
        synapses = any(name.startswith("tau_syn") for name in values)
        simulator.state.mark_changed(structure=structure, synapses=synapses)

    def _set_initial_value_array(self, variable, initial_values):
        pop, idx = self._pop, self._idx
        values = np.broadcast_to(np.asarray(initial_values.evaluate(simplify=False), float),
                                 (len(idx),))
        # native (NEST-named) cell types: V_m -> v, w in pA -> nA
        variable, scale = getattr(pop.celltype, "initial_map", {}).get(variable, (variable, 1.0))
        values = values * scale
        current = pop._initial.setdefault(variable, np.zeros(pop.size))
        current[idx] = values
        sim = simulator.state.simulation
        if sim is not None and pop in sim.populations:
            sim.set_live_state(pop, variable, idx, values)


class Population(_ParameterAccess, common.Population):
    __doc__ = common.Population.__doc__
    _simulator = simulator
    _recorder_class = Recorder
    _assembly_class = Assembly

    @property
    def _pop(self):
        return self

    @property
    def _idx(self):
        return np.arange(self.size)

    def _create_cells(self):
        state = simulator.state
        if isinstance(self.celltype, StandardCellType):
            parameter_space = self.celltype.native_parameters
        else:
            parameter_space = self.celltype.parameter_space
        parameter_space.shape = (self.size,)
        parameter_space.evaluate(simplify=False)
        parameters = {name: _column(value, self.size) for name, value in parameter_space.items()}
        check_parameters(self.celltype, parameters)     # before anything is registered
        self._parameters = parameters
        ids = np.arange(state.id_counter, state.id_counter + self.size)
        self.all_cells = np.array([simulator.ID(i) for i in ids], dtype=simulator.ID)
        for cell in self.all_cells:
            cell.parent = self
        self._mask_local = np.ones(self.size, dtype=bool)
        state.id_counter += self.size
        self._initial = {}
        self._index = state.add_population(self)

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)


class PopulationView(_ParameterAccess, common.PopulationView):
    __doc__ = common.PopulationView.__doc__
    _simulator = simulator
    _assembly_class = Assembly

    @property
    def _pop(self):
        return self.grandparent

    @property
    def _idx(self):
        return np.asarray(self.index_in_grandparent(np.arange(self.size)))

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)
