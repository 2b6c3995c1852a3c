"""PyNN current sources: DCSource, ACSource, StepCurrentSource, NoisyCurrentSource.

Host side only: parameters (PyNN units: nA, ms, Hz, degrees) and the target cells.  The
waveforms are generated on the device each step (``engine/waveforms.py``), so a source costs
the same whatever its duration.  ``start``/``stop`` of DC, AC and noise sources must lie on
the time grid (multiples of dt) and ``stop >= start``, as NEST requires
(``InvalidParameterValueError`` names the nearest valid times); StepCurrentSource times are
rounded to the nearest step, as pyNN.nest does (PyNN's ``_round_timestamp``), several on one
step keeping the last amplitude.  Every value must be finite.  A source switched on at ``t``
acts from the step that starts at ``t`` and so first changes ``v`` at ``t + dt``.
``record()`` / ``get_data()`` give t/dt + 1 samples including t = 0; the sample at ``t`` is
the current acting during the step that starts at ``t``.
"""
from __future__ import annotations

import neo
import numpy as np
import quantities as pq
from pyNN import errors
from pyNN.common import Assembly, Population, PopulationView
from pyNN.parameters import ParameterSpace, Sequence
from pyNN.standardmodels import StandardCurrentSource, build_translations, electrodes

from ..ensembles import Batch, check_member, split_batches
from ..simulator import check_current, grid_steps, state

__all__ = ["DCSource", "ACSource", "StepCurrentSource", "NoisyCurrentSource"]




def _check_location(source, population, location):
    """Refuse ``location=`` for point neurons and a location that names no place on the cell
    (``InvalidParameterValueError``, naming the places the cell has)."""
    celltype = population.celltype
    if location is None:
        return
    if not hasattr(celltype, "location_nodes"):
        raise errors.InvalidParameterValueError(
            f"{type(source).__name__}.inject_into(..., location={location!r}): population "
            f"{population.label!r} has point neurons ({celltype}); location= is for "
            f"multi-compartment cells (sim.MultiCompartmentNeuron): leave it out.")
    places = celltype.location_nodes(location)
    if len(places) != 1:
        raise errors.InvalidParameterValueError(
            f"{type(source).__name__}.inject_into(..., location={location!r}) gives "
            f"{len(places)} places on each cell; a current source injects at one place: give "
            f"one section label or a generator of one location.")


def _place(population, idx, location):
    """Record where the source injects into cells ``idx``; a cell takes its sources at one
    place (the engine adds a cell's source currents into one node)."""
    column = population._parameters["inject_location"]
    node = population.celltype.location_nodes(location)[0][1]
    for cell in idx:
        old = column[cell]
        if old is not None and population.celltype.location_nodes(old)[0][1] != node:
            raise errors.InvalidParameterValueError(
                f"inject_into(..., location={location!r}): cell {int(cell)} of population "
                f"{population.label!r} already takes current at {old!r}; this backend injects "
                f"all of a cell's current sources at one place (inject them at {old!r}, or "
                f"use another cell).")
        column[cell] = location

class _CurrentSource(StandardCurrentSource):
    """Common host-side behaviour of our current sources.

    ``_waveform_name`` names the source's entry of ``engine/waveforms.py: WAVEFORMS``, which
    reads the native parameters (start, stop and the waveform's own; times in ms, currents in nA).
    """

    _waveform_name = None
    field = False             # an extracellular electrode (cbgtc/extracellular.py) acts
                              # through its field, not at one place

    def __init__(self, **parameters):
        parameters, batches = split_batches(parameters)
        object.__setattr__(self, "_targets", [])   # [(population, local index array)]
        object.__setattr__(self, "_recording", False)
        object.__setattr__(self, "_record_data", [])
        object.__setattr__(self, "_native", {})
        object.__setattr__(self, "_members", None)  # ensembles: per member (native, own)
        object.__setattr__(self, "_generation", state.generation)  # simulator.check_current
        super().__init__(**parameters)
        self.set_native_parameters(self.translate(self.parameter_space))
        object.__setattr__(self, "_index", state.add_current_source(self))
        if batches:
            self._set_batches(batches)

    def set_parameters(self, copy=True, **parameters):
        """PyNN's ``set_parameters``; a ``Batch`` value gives each ensemble member its own."""
        parameters, batches = split_batches(parameters)
        if parameters:
            super().set_parameters(copy=copy, **parameters)
            if self._members is not None:       # the plain values hold for every member
                self._set_batches({name: Batch([value] * len(self._members))
                                   for name, value in parameters.items()})
        if batches:
            self._set_batches(batches)

    # the per-source state a member has of its own (DBSSource adds the values as given)
    _OWN = ("_native",)

    def _set_batches(self, batches: dict):
        """One value per ensemble member for each name of ``batches``: each member's native
        values are derived and checked as a single source's (``set_native_parameters``); the
        source's own stay member 0's, which every single-network path reads."""
        n = len(next(iter(batches.values())))
        what = f"{type(self).__name__}: {', '.join(batches)}=Batch(...)"
        state.ensemble(n, what)
        mine = {name: getattr(self, name) for name in self._OWN}
        members = self._members or [dict(mine) for _ in range(n)]
        updated = []
        try:
            for m in range(n):
                for name, value in members[m].items():
                    object.__setattr__(self, name, value)
                values = ParameterSpace({k: b[m] for k, b in batches.items()},
                                        self.get_schema(), (1,))
                try:
                    self.set_native_parameters(self.translate(values))
                except errors.InvalidParameterValueError as e:
                    raise errors.InvalidParameterValueError(f"{what}, member {m}: {e}") from None
                updated.append({name: getattr(self, name) for name in self._OWN})
        finally:
            for name, value in (updated[0] if updated else mine).items():
                object.__setattr__(self, name, value)
        object.__setattr__(self, "_members", updated)
        object.__setattr__(self, "_batched", self.__dict__.get("_batched", frozenset())
                           | set(batches))
        state.mark_changed()

    def __getattr__(self, name):
        """PyNN's parameter read (``source.amplitude``); a parameter given as a Batch whose
        members' values differ is refused (it read member 0's): ``member_value(i, name)``."""
        if name in self.__dict__.get("_batched", ()):
            values = [self.member_value(m, name)
                      for m in range(len(self.__dict__.get("_members") or ()))]
            if any(not np.array_equal(np.asarray(v), np.asarray(values[0])) for v in values[1:]):
                raise errors.InvalidParameterValueError(
                    f"{type(self).__name__}.{name}: a Batch whose {len(values)} ensemble "
                    f"members differ; read member i's with member_value(i, {name!r}).")
        return super().__getattr__(name)

    def member_value(self, member: int, name: str):
        """Ensemble member ``member``'s value of parameter ``name`` as the user gave it."""
        own = self._members[member]
        return own.get("_given", own["_native"]).get(name)

    def member_native(self, member: int | None) -> dict:
        """The native values of ensemble member ``member`` (None or 0: the source's own)."""
        if not member or self._members is None:
            return self._native
        return self._members[member]["_native"]

    # -- parameters --------------------------------------------------------------------------
    def set_native_parameters(self, parameters):
        parameters.shape = (1,)
        parameters.evaluate(simplify=True)
        values = dict(self._native)
        for name, value in parameters.items():
            if isinstance(value, Sequence):
                value = value.value
            values[name] = np.array(value, dtype=float) if np.ndim(value) else float(value)
        self._check(values)
        values = self._on_grid(values)
        old_shapes = {k: np.shape(v) for k, v in self._native.items()}
        object.__setattr__(self, "_native", values)
        state.mark_changed(structure=old_shapes != {k: np.shape(v) for k, v in values.items()})

    def get_native_parameters(self):
        # as pyNN.nest: plain values, arrays for the StepCurrentSource lists
        return ParameterSpace({k: (v.copy() if np.ndim(v) else v) for k, v in self._native.items()})

    def _on_grid(self, values):
        return values

    def _check(self, values):
        """Finite values; ``start``/``stop`` >= 0, on the time grid, ``stop >= start``.

        NEST (nestkernel/device.cpp, ``Device::Parameters_::set``): "start must be a multiple
        of the simulation resolution.", "stop >= start required."
        """
        name = type(self).__name__
        for key, value in values.items():
            if not np.all(np.isfinite(value)):
                raise errors.InvalidParameterValueError(
                    f"{name}: {key} = {value} is not finite; give a finite number (PyNN units: "
                    f"nA, ms, Hz, degrees).")
        for key in ("frequency", "stdev"):
            # NEST noise_generator.cpp: "The standard deviation cannot be negative."; a
            # negative frequency would only flip the sine's sign, so it is a mistake
            if key in values and values[key] < 0:
                raise errors.InvalidParameterValueError(
                    f"{name}: {key} = {values[key]}; must be >= 0.")
        for key in ("start", "stop"):
            if key in values:
                if values[key] < 0:
                    raise errors.InvalidParameterValueError(
                        f"{name}: {key} = {values[key]} ms; must be >= 0.")
                grid_steps(values[key], state.dt, f"{name}: {key}",
                           " (a source switches on and off at step boundaries)")
        if "start" in values and "stop" in values and values["stop"] < values["start"]:
            raise errors.InvalidParameterValueError(
                f"{name}: stop = {values['stop']} ms is before start = {values['start']} ms; "
                f"give stop >= start (NEST: 'stop >= start required.').")

    # -- targets -----------------------------------------------------------------------------
    def inject_into(self, cells, location=None):
        """Inject into a Population, PopulationView, Assembly or a list of IDs; ``location``
        (multi-compartment cells only): where on each cell -- a section label ('soma',
        'dendrite') or a location generator of ``sim.morphology``; default the soma."""
        check_current(self, "inject_into()")
        groups = self._target_groups(cells)
        for population, _ in groups:             # all checked before any is added
            check_current(population, f"{type(self).__name__}.inject_into()")
            if not population.celltype.injectable:
                raise TypeError(f"Can't inject current into a spike source "
                                f"({population.celltype} population {population.label!r}).")
        for population, idx in groups:             # all checked before any is placed
            _check_location(self, population, location)
        for population, idx in groups:
            if location is not None:
                _place(population, np.asarray(idx, dtype=np.int64), location)
            self._targets.append((population, np.asarray(idx, dtype=np.int64)))
        state.mark_changed(structure=True)

    @staticmethod
    def _target_groups(cells):
        """``[(population, cell indices), ...]`` of a Population, PopulationView, Assembly or
        list of IDs."""
        if isinstance(cells, Assembly):             # its members may be views
            return [g for member in cells.populations
                    for g in _CurrentSource._target_groups(member)]
        if isinstance(cells, PopulationView):
            return [(cells.grandparent, np.asarray(cells.index_in_grandparent(
                np.arange(cells.size))))]
        if isinstance(cells, Population):
            return [(cells, np.arange(cells.size))]
        by_parent = {}
        for cell in cells:
            by_parent.setdefault(id(cell.parent), (cell.parent, []))[1].append(
                cell.parent.id_to_index(cell))
        return [(p, np.asarray(idx)) for p, idx in by_parent.values()]

    # -- recording ---------------------------------------------------------------------------
    def record(self):
        """Record the current of this source (for noise: the value at its first target)."""
        check_current(self, "record()")
        object.__setattr__(self, "_recording", True)
        state.mark_changed(structure=True)

    def _store(self, times, values, member: int = 0):
        if member:        # ensembles: each member's recorded current apart (ensembles.py)
            self.__dict__.setdefault("_member_data", {}).setdefault(member, []).append(
                (np.asarray(times), np.asarray(values)))
            return
        self._record_data.append((np.asarray(times), np.asarray(values)))

    def _clear(self):
        object.__setattr__(self, "_record_data", [])
        object.__setattr__(self, "_member_data", {})

    def get_data(self, member: int | None = None):
        """The recorded current as a Neo signal (PyNN's); in an ensemble, member ``member``'s
        -- without it, refused where the members' currents differ (member 0's is not the
        others')."""
        members = check_member(member, state.members, f"{type(self).__name__}.get_data")
        if member is None:
            first = self._get_data(0)
            if any(not all(np.array_equal(a, b) for a, b in zip(first, self._get_data(m)))
                   for m in range(1, members)):
                raise errors.InvalidParameterValueError(
                    f"{type(self).__name__}.get_data(): the {members} ensemble members' "
                    f"recorded currents differ; give member=i (0 <= i < {members}).")
            member = 0
        t, i = self._get_data(int(member))
        intervals = np.diff(t)
        if intervals.size > 0 and intervals.max() - intervals.min() < 1e-9:
            return neo.AnalogSignal(i, units="nA", t_start=t[0] * pq.ms,
                                    sampling_period=intervals[0] * pq.ms)
        return neo.IrregularlySampledSignal(t, i, units="nA", time_units="ms")

    def _get_data(self, member: int = 0):
        data = self._record_data if not member else self.__dict__.get(
            "_member_data", {}).get(member, [])
        if not data:
            return np.zeros(0), np.zeros(0)
        t = np.concatenate([d[0] for d in data])
        i = np.concatenate([d[1] for d in data])
        return t, i


class DCSource(_CurrentSource, electrodes.DCSource):
    __doc__ = electrodes.DCSource.__doc__
    _waveform_name = "dc"
    translations = build_translations(("amplitude", "amplitude"), ("start", "start"),
                                      ("stop", "stop"))


class ACSource(_CurrentSource, electrodes.ACSource):
    __doc__ = electrodes.ACSource.__doc__
    _waveform_name = "ac"
    translations = build_translations(("amplitude", "amplitude"), ("start", "start"),
                                      ("stop", "stop"), ("frequency", "frequency"),
                                      ("offset", "offset"), ("phase", "phase"))


class NoisyCurrentSource(_CurrentSource, electrodes.NoisyCurrentSource):
    __doc__ = electrodes.NoisyCurrentSource.__doc__
    _waveform_name = "noise"
    translations = build_translations(("mean", "mean"), ("start", "start"), ("stop", "stop"),
                                      ("stdev", "stdev"), ("dt", "dt"))

    def _check(self, values):
        super()._check(values)
        if "dt" in values and values["dt"] < state.dt - 1e-12:
            raise errors.InvalidParameterValueError(
                f"NoisyCurrentSource: dt = {values['dt']} ms is shorter than the time step "
                f"{state.dt} ms; give dt >= the time step.")


class StepCurrentSource(_CurrentSource, electrodes.StepCurrentSource):
    __doc__ = electrodes.StepCurrentSource.__doc__
    _waveform_name = "step"
    translations = build_translations(("amplitudes", "amplitudes"), ("times", "times"))

    def _check(self, values):
        times = np.atleast_1d(values.get("times", []))
        amps = np.atleast_1d(values.get("amplitudes", []))
        for key, array in (("times", times), ("amplitudes", amps)):
            if not np.all(np.isfinite(array)):
                raise errors.InvalidParameterValueError(
                    f"StepCurrentSource: {key} = {array.tolist()[:10]} holds a value that is "
                    f"not finite; give finite {'ms' if key == 'times' else 'nA'} values.")
        if times.shape != amps.shape:
            raise errors.InvalidParameterValueError(
                f"StepCurrentSource: times ({times.size}) and amplitudes ({amps.size}) must "
                f"have the same length.")
        if times.size and (np.any(times < 0) or np.any(np.diff(times) <= 0)):
            raise ValueError(
                f"StepCurrentSource: times = {times.tolist()[:10]} must be >= 0 and strictly "
                f"increasing.")

    def _on_grid(self, values):
        """Times to the nearest step; of several landing on one step the last wins (NEST)."""
        times = np.atleast_1d(values.get("times", np.zeros(0))).astype(float)
        amps = np.atleast_1d(values.get("amplitudes", np.zeros(0))).astype(float)
        steps = np.rint(times / state.dt).astype(np.int64)
        last = np.r_[steps[1:] != steps[:-1], True] if steps.size else np.zeros(0, bool)
        return dict(values, times=steps[last] * state.dt, amplitudes=amps[last])
