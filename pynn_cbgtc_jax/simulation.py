"""The running network: device arrays, the loop carry, and the chunk loop on the host.

``ensure_simulation(state)`` compiles the network when its structure changed (and only then),
uploads changed parameters, and returns the ``Simulation``.  ``advance(n)`` runs ``n`` steps in
chunks; after each chunk the recorded data goes to the host once and on to the recorders.

A chunk (one call of the compiled program) is sized from the measured wall time so that it takes
about ``CALL_SECONDS``: the number of steps (at most ``spec.chunk``) is a traced argument of the
compiled program (``engine/runner.py``), so any size reuses it.  Ctrl-C during ``advance`` only
sets a flag; the loop stops after the chunk in progress, with the step counter, the carry and
the recorders at that chunk's end, and raises ``KeyboardInterrupt``; ``get_data()`` and a
further ``run()`` work.
"""
from __future__ import annotations

import contextlib
import logging
import signal
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import jax
import jax.numpy as jnp
import numpy as np
from pyNN import errors

from .compiler.build import build_network, total_cells
from .compiler.ensemble import stack_builds
from .compiler import memory
from .compiler.memory import HEADROOM, DeviceMemoryError, _gb, check_fits, estimate
from .engine.closed_loops import initial_loops, modulate_sources
from .engine.runner import TRACE_COUNT, carry_axes, chunk_function, probes
from .engine.spec import Carry, probe_value, signal_values
from .engine import spike_fetch
from .engine.spike_fetch import fetch_outputs
from .engine.spike_sources import SOURCES
from .engine.spike_timing import HISTORY
from .engine.synapse_rules import RULES, initial_state
from .engine.electrodes import recorded_amplitudes, source_amplitudes
from .export import export_network
from .kernels.registry import NEURON_MODELS
from .simulator import NumericalInstabilityError

__all__ = ["Simulation", "ensure_simulation", "CALL_SECONDS"]

logger = logging.getLogger("PyNN")

CALL_SECONDS = 0.25      # target wall time of one chunk: bounds the response to Ctrl-C
_FIRST_CALL_STEPS = 10   # steps of the first chunk of a new program, before any timing


def ensure_simulation(state) -> "Simulation":
    """The simulation for ``state``: rebuilt if the structure changed, data refreshed if stale."""
    sim = state.simulation
    if sim is None or state.structure_changed or state.data_changed:
        # unchanged synapses are not exported: the previous build's tables are reused
        network = export_network(state, synapses=sim is None or state.synapses_changed)
        previous = None if sim is None else (sim.build.member_builds or (sim.build,))[0]
        build = build_network(network, previous=previous)
        size, workers, devices = None, 1, state.devices
        if state.members and state.processes > 1:
            raise NotImplementedError(
                "An ensemble (Batch) over several processes is not available yet: run it in "
                "one process (setup(devices='all') splits its members over that process's "
                "devices).")
        if state.members:
            build = _ensemble_build(state, build)
            size = _group_size(build)
            if devices and len(devices) > 1:
                size, workers = _device_groups(build, size, len(devices))
            elif size is None:
                size, workers = _parallel_groups(build)
        if sim is None or (getattr(sim, "size", None), getattr(sim, "workers", 1)) \
                != (size, workers):
            if sim is not None and state.step > 0:
                raise NotImplementedError(
                    "The ensemble's members no longer fit the device in the same groups "
                    "(MemberGroups) during a run; call reset() first, or run fewer members.")
            if size is None:
                check_fits(build)
            if size is not None:
                sim = MemberGroups(state, build, size, workers, devices)
            elif devices and len(devices) > 1:
                from .sharded_simulation import ShardedSimulation
                sim = ShardedSimulation(state, build, devices)
            else:
                sim = Simulation(state, build, device=devices[0] if devices else None)
        elif build.spec != sim.build.spec or state.structure_changed:
            if size is None:
                check_fits(build)
            sim.rebuild(build)
        else:
            sim.upload(build)
        state.simulation = sim
        state.structure_changed = state.data_changed = state.synapses_changed = False
    return sim


def _group_size(build) -> int | None:
    """None if the ensemble ``build`` fits the device at once; otherwise the largest number of
    members that does (``MemberGroups`` then runs them group after group), from the memory
    estimate's shared part and its part per member (``compiler/memory.py``, linear in the
    members); ``DeviceMemoryError`` if not even one member fits."""
    try:
        check_fits(build)
        return None
    except DeviceMemoryError as error:
        n = build.spec.members
        total = sum(estimate(build).values())
        one = sum(estimate(build.member_builds[0]).values())
        per_member = max((total - one) / max(n - 1, 1), 1.0)
        shared = max(one - per_member, 0.0)
        free, where = memory.free_device_bytes()
        size = int((free / HEADROOM - shared) // per_member) if free is not None else 0
        if size < 1:
            raise error
        size = min(size, n - 1)
        logger.warning(
            "The ensemble of %d members needs about %s of %s (%s free): running it in groups "
            "of %d members one after another (the last group may compile a second program).",
            n, _gb(int(total * HEADROOM)), where, _gb(free), size)
        return size


def cpu_workers() -> int:
    """The CPU cores this process may use (its affinity mask: ``taskset`` and container
    limits count); 1 where JAX's default device is not a CPU."""
    if jax.devices()[0].platform != "cpu":
        return 1
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:                   # not Linux
        return os.cpu_count() or 1


def _parallel_groups(build) -> tuple:
    """``(size, workers)`` of an ensemble that fits the device at once: on a CPU with several
    cores, groups of ``ceil(members / cores)`` members run side by side (``MemberGroups``);
    elsewhere ``(None, 1)``, one program for every member."""
    n, workers = build.spec.members, min(cpu_workers(), build.spec.members)
    if workers < 2:
        return None, 1
    size = -(-n // workers)
    return size, -(-n // size)


def _device_groups(build, size, n_devices: int) -> tuple:
    """``(size, workers)`` of an ensemble split over ``n_devices`` devices: groups of
    consecutive members, one per device (smaller if ``size``, the most members one device
    holds, is smaller), as many running at once as there are devices."""
    n = build.spec.members
    per_device = -(-n // n_devices)
    size = per_device if size is None else min(size, per_device)
    return size, min(n_devices, -(-n // size))


def _ensemble_build(state, first):
    """Every ensemble member built as a single network with its values (sharing member 0's
    synapse tables and static bounds), stacked (``compiler/ensemble.py``)."""
    # members share member 0's synapse tables unless a synapse value is batched; then each
    # member's tables are built from its values (the same order: the same stable sort)
    synapses = any(prj._batches for prj in state.projections)
    builds = [first] + [build_network(export_network(state, synapses=synapses, member=m),
                                      previous=first)
                        for m in range(1, state.members)]
    return stack_builds(builds, [state.populations[i].label for i in first.populations])


def _stack(trees):
    """Member trees (NumPy leaves) -> one tree with a leading member axis."""
    return jax.tree_util.tree_map(lambda *xs: np.stack([np.asarray(x) for x in xs]), *trees)


def _member(tree, m):
    """Member ``m``'s slice of a tree with a leading member axis on every leaf."""
    return jax.tree_util.tree_map(lambda x: x[m], tree)


def one_member(values, member, what):
    """Member ``member``'s row of ``values`` ``[N, ...]``; with ``member`` None the rows must
    all be equal (then any is the answer), else ``InvalidParameterValueError`` asks for one."""
    values = np.asarray(values)
    if member is not None:
        if not 0 <= member < len(values):
            raise IndexError(f"{what}: member={member}, but the ensemble has {len(values)} "
                             f"members (0 to {len(values) - 1}).")
        return values[member]
    if not all(np.array_equal(values[0], row, equal_nan=True) for row in values[1:]):
        raise errors.InvalidParameterValueError(
            f"{what}: the values differ between the {len(values)} ensemble members; give "
            f"member=i (e.g. Projection.get('weight', format='list', member=0)).")
    return values[0]


def _initial_state(pop, dtype, member=0):
    """A population's initial state (ensemble member ``member``'s initial values)."""
    model = NEURON_MODELS[pop.celltype.kernel.name]
    if model.initial_state is not None:
        return model.initial_state(pop._parameters, pop._initial, pop.size, dtype)
    defaults = pop.celltype.default_initial_values
    batches = getattr(pop, "_initial_batches", {}) if member else {}
    fields = []
    for name in model.state._fields:
        if name == "refrac":
            fields.append(np.zeros(pop.size, np.int32))
        elif name in model.initial:
            key = model.initial[name]
            value = (batches[key][member] if key in batches else
                     pop._initial.get(key, np.full(pop.size, defaults.get(key, 0.0))))
            fields.append(np.asarray(value, dtype))
        else:
            fields.append(np.zeros(pop.size, dtype))
    return model.state(*fields)


class Simulation:
    """Device-side network plus the host loop that drives it.

    ``member_offset``: for a group of an ensemble's members (``MemberGroups``), the index of
    its first member; recorded data goes to member ``member_offset + m``.  ``device``: the
    ``jax.Device`` its arrays live on (None: JAX's default)."""

    def __init__(self, state, build, member_offset=0, device=None):
        self.state = state
        self.member_offset = member_offset
        self.device = device
        # recorded spikes compacted on the device where the host is far (engine/spike_fetch)
        self._compact_spikes = spike_fetch.compacts_on(
            device.platform if device is not None else jax.default_backend())
        self._load(build)
        self.carry = self._initial_carry(step=state.step)
        self._sampled_start = False

    # -- setup ---------------------------------------------------------------------------------
    def _load(self, build):
        old = getattr(self, "build", None)
        self.build = build
        self.spec = build.spec
        # the build names populations, projections and sources by their index in the state
        self.populations = [self.state.populations[i] for i in build.populations]
        self.sources = [self.state.current_sources[i] for i in build.sources]
        # the LFP electrodes behind the probes of the outputs, in their order (export.py)
        self.probe_owners = [e for pop in self.populations for e in self.state.lfp_electrodes
                             if e.population is pop]
        self.syn_members = [[(self.state.projections[i], n) for i, n in members]
                            for _, members, _ in build.syn_groups]
        self.data = self._upload(build, old)
        fn = chunk_function(self.program_spec)
        if fn is not getattr(self, "fn", None):
            self.fn = fn
            self._call_steps = min(_FIRST_CALL_STEPS, self.spec.chunk)   # no timing yet
            self._timed = False
        self._initial_currents = None

    @property
    def program_spec(self):
        """The ``NetSpec`` the compiled program is made for."""
        return self.spec

    def _upload(self, build, old):
        """``build``'s data on the device (``old``: the previous build, whose synapse tables
        ``build_network`` may have reused: their device copies are kept)."""
        if old is not None and len(build.data.syns) == len(old.data.syns) \
                and all(a is b for a, b in zip(build.data.syns, old.data.syns)):
            return jax.device_put(build.data._replace(syns=()), self.device)._replace(
                syns=self.data.syns)
        return jax.device_put(build.data, self.device)

    def upload(self, build):
        """New parameter values, same structure: no recompilation."""
        self._load(build)
        self._refresh_source_states()

    def rebuild(self, build):
        """New structure: recompile; keep the state of the populations that are unchanged."""
        old_pops, old_carry, old_spec = self.populations, self.carry, self.spec
        self._load(build)
        fresh = self._initial_carry(step=self.state.step)
        if self.state.step == 0:
            self.carry = fresh
            return
        states = list(fresh.states)
        for i, pop in enumerate(self.populations):
            if pop in old_pops:
                j = old_pops.index(pop)
                kind = self.spec.pops[i].kind
                if (old_spec.pops[j].kind == kind
                        and (kind not in SOURCES or SOURCES[kind].keep_state)
                        and old_spec.pops[j].size == self.spec.pops[i].size):
                    states[i] = old_carry.states[j]
        same_layout = (old_spec.ring == self.spec.ring and old_spec.width == self.spec.width
                       and [p.ring_offset for p in old_spec.pops if p.ring_offset >= 0]
                       == [p.ring_offset for p in self.spec.pops if p.ring_offset >= 0])
        if not same_layout:
            logger.warning("The network's neurons or longest delay changed during a run: "
                           "spikes in flight are dropped.")
        same_synapses = old_spec.syns == self.spec.syns
        if not same_synapses and any(RULES[g.rule].state for g in old_spec.syns):
            logger.warning("The synapses changed during a run: plastic synapse states restart "
                           "from their initial values.")
        self.carry = fresh._replace(
            states=tuple(states), ring=old_carry.ring if same_layout else fresh.ring,
            inputs=old_carry.inputs if same_layout else fresh.inputs,
            syn_states=old_carry.syn_states if same_synapses else fresh.syn_states,
            history=old_carry.history if same_layout and same_synapses else fresh.history)

    def restart(self):
        """reset(): back to step 0 and the initial values (same compiled program)."""
        self.carry = self._initial_carry(step=0)
        self._sampled_start = False

    @property
    def members(self) -> int:
        """Ensemble members (0: a single network)."""
        return self.spec.members

    def _member_builds(self):
        return self.build.member_builds or (self.build,)

    def _initial_carry(self, step):
        if self.members:       # the member axes of engine/runner.py: carry_axes
            carry = _stack([self._initial_carry_of(b, step, self.member_offset + m)
                            for m, b in enumerate(self._member_builds())])
            return jax.device_put(carry._replace(step=np.int32(step)), self.device)
        return jax.device_put(self._initial_carry_of(self.build, step), self.device)

    def _initial_carry_of(self, build, step, member=0):
        """The initial carry of one network (one member), NumPy leaves."""
        dtype = np.dtype(self.spec.dtype)
        states = []
        for pop, pspec, params in zip(self.populations, self.spec.pops, build.data.params):
            if pspec.kind in SOURCES:
                states.append(SOURCES[pspec.kind].initial(pspec.size, params, step))
            else:
                states.append(_initial_state(pop, dtype, member))
        syn_states = []
        for (rule, _, perm), members, data in zip(build.syn_groups, self.syn_members,
                                                  build.data.syns):
            init = {}
            for name in RULES[rule].state:
                # NaN where a projection was not initialised: initial_state's default there
                if any(name in prj._params for prj, _ in members):
                    init[name] = np.concatenate([prj._params.get(name, np.full(n, np.nan))
                                                 for prj, n in members])[perm]
            syn_states.append(initial_state(rule, data.weight, data.params, init, dtype))
        n_cells = total_cells(self.spec.pops)     # as the spike vector: detectors' cells too
        carry = Carry(step=np.int32(step), states=tuple(states),
                      ring=np.zeros(self.spec.ring * self.spec.width, dtype),
                      inputs=np.zeros(self.spec.width, dtype),
                      syn_states=tuple(syn_states),
                      history=((np.full((n_cells, HISTORY), -1e9, dtype),
                                np.zeros((n_cells, HISTORY), dtype)) if self.spec.history else ()),
                      bad_step=tuple(np.int32(-1) for _ in self.populations))
        if self.spec.loops:
            first = probes(self.spec, build.data, carry.states)
            carry = carry._replace(control=jax.tree_util.tree_map(
                np.asarray, initial_loops(self.spec, first, dtype)))
        return carry

    def _refresh_source_states(self):
        """The states that follow the parameters (SpikeSourceArray's pointer), at this step."""
        states = list(self.carry.states)
        for i, pspec in enumerate(self.spec.pops):
            if pspec.kind in SOURCES and SOURCES[pspec.kind].refresh:
                fresh = [SOURCES[pspec.kind].initial(pspec.size, b.data.params[i],
                                                     self.state.step)
                         for b in self._member_builds()]
                states[i] = jax.device_put(_stack(fresh) if self.members else fresh[0],
                                           self.device)
        self.carry = self.carry._replace(states=tuple(states))

    def set_live_state(self, pop, variable, idx, values):
        """initialize() during a simulation: write into the current state (as NEST does)."""
        i = self.populations.index(pop)
        model = NEURON_MODELS.get(self.spec.pops[i].kind)
        if model is None:
            return
        fields = [f for f, name in model.initial.items() if name == variable]
        if not fields:
            return
        st = self.carry.states[i]
        arr = getattr(st, fields[0])
        cells = jnp.asarray(np.arange(pop.size)[idx])
        if self.members:          # values [N, cells] (a Batch) or [cells] (every member)
            arr = arr.at[:, cells].set(jnp.asarray(values, arr.dtype))
        else:
            arr = arr.at[cells].set(jnp.asarray(values, arr.dtype))
        states = list(self.carry.states)
        states[i] = st._replace(**{fields[0]: arr})
        self.carry = self.carry._replace(states=tuple(states))

    # -- running -------------------------------------------------------------------------------
    def advance(self, n_steps: int):
        """Run ``n_steps`` steps, routing recorded data to the recorders after every chunk.

        Chunks are sized to take about ``CALL_SECONDS`` each.  Ctrl-C (SIGINT, main thread
        with Python's default handler) stops the run after the chunk in progress and raises
        ``KeyboardInterrupt``; the simulation is then consistent at that chunk's end.
        """
        self._start()
        with _SigintFlag() as interrupt:
            done = 0
            while done < n_steps:
                n = min(self._call_steps, n_steps - done)
                step0 = self.state.step
                self._finish(self._call(n), step0, n)
                done += n
                _stop_if(interrupt, self.state, n_steps - done)

    def _start(self):
        """The t = 0 samples, before the first step."""
        if not self._sampled_start and self.state.step == 0:
            self._record_start()

    def _call(self, n: int):
        """One chunk of ``n`` steps on the device: ``(outputs, bad, seconds, compiled)``, the
        outputs on the host.  Touches nothing but this simulation's carry (``MemberGroups``
        calls the groups' chunks from several threads)."""
        traces = TRACE_COUNT["chunk"]
        start = time.perf_counter()
        self.carry, outputs = self.fn(self.data, self.carry, jnp.int32(n))
        outputs, bad = fetch_outputs(outputs, self.carry.bad_step, n, self._compact_spikes)
        return outputs, bad, time.perf_counter() - start, TRACE_COUNT["chunk"] != traces

    def _finish(self, called, step0: int, n: int, check: bool = True):
        """After the chunk ``called`` of ``n`` steps from ``step0``: the step counter, the
        recorders, the next chunk's size and (``check``) the divergence check."""
        outputs, bad, elapsed, compiled = called
        self.state.step = step0 + n
        self._route(outputs, step0, n)
        if not compiled:                 # a call that compiled says nothing
            self._size_calls(n, elapsed)
        if check:
            self._check(bad)

    def _size_calls(self, n, elapsed):
        """Steps per chunk for about ``CALL_SECONDS`` of wall time (at most ``spec.chunk``).

        The per-step time of a short chunk includes the call overhead, so it errs long and
        the next chunk short; sizes converge within a few chunks.
        """
        per_step = max(elapsed / n, 1e-9)
        self._call_steps = int(np.clip(CALL_SECONDS / per_step, 1, self.spec.chunk))
        self._timed = True

    def _projections(self):
        return [prj for members in self.syn_members for prj, _ in members]

    def synapse_values(self, projection, name, member=None):
        """Current values of a plastic synapse variable of ``projection`` (projection order);
        in an ensemble, member ``member``'s (``one_member`` says what None means).

        None if the projection's rule keeps ``name`` constant (then the host copy is current).
        """
        for g, ((rule, _, perm), members) in enumerate(zip(self.build.syn_groups,
                                                           self.syn_members)):
            names = RULES[rule].state
            if name not in names or all(p is not projection for p, _ in members):
                continue
            values = np.asarray(self.carry.syn_states[g][names.index(name)])
            if self.members:
                values = one_member(values, member, f"Projection {projection.label!r}: {name}")
            ordered = np.empty_like(values)
            ordered[perm] = values
            offset = 0
            for prj, n in members:
                if prj is projection:
                    return ordered[offset:offset + n]
                offset += n
        return None

    def _record_start(self):
        """The t = 0 samples: initial values of recorded signals and source currents."""
        self._sampled_start = True
        states, control = jax.device_get((self.carry.states, self.carry.control))
        if self.members:
            for m in range(self.members):
                self._record_start_of(_member(states, m), m, _member(control, m))
        else:
            self._record_start_of(states, 0, control)

    def _record_start_of(self, states, member, control=()):
        steps = np.zeros(1, np.int64)
        owners = iter(self.probe_owners)
        for i, pop in enumerate(self.populations):
            rs, rd = self.spec.recs[i], self.build.data.recs[i]
            for (fld, _), idx, name in zip(rs.signals, rd.signals, self.build.signal_names[i]):
                values = np.asarray(signal_values(states[i], fld, idx))[None, :]
                pop.recorder.store_signal(name, steps, pop.first_id + idx, values,
                                          self.member_offset + member)
            for fields, weights in zip(rs.probes, rd.probes):
                value = np.asarray(probe_value(states[i], fields, weights))[None]
                next(owners)._store(steps, value, self.member_offset + member)
        if self.spec.electrodes.record:
            e_spec, e = self.spec.electrodes, self._member_builds()[member].data.electrodes
            dtype = jnp.dtype(self.spec.dtype)
            # a closed loop's source at its output at t = 0 (engine/closed_loops.py)
            amps = modulate_sources(self.spec, control, source_amplitudes(e_spec, e, 0, dtype),
                                    e, 0)
            amps = recorded_amplitudes(e_spec, e, amps, 0, dtype)
            amps = np.asarray(amps)
            for j in self.build.recorded_sources:
                self.sources[j]._store(np.zeros(1), amps[j:j + 1], self.member_offset + member)

    def _route(self, outputs, step0, n):
        if self.members:          # outputs [N, chunk, ...]
            for m in range(self.members):
                self._route_member(_member(outputs, m), step0, n, m)
        else:
            self._route_member(outputs, step0, n, 0)

    def _route_member(self, outputs, step0, n, member):
        steps = step0 + 1 + np.arange(n, dtype=np.int64)
        member = self.member_offset + member        # the recorders' (ensemble) index
        for i, pop in enumerate(self.populations):
            rd = self.build.data.recs[i]
            events = self.build.array_events[i]
            if events is not None and rd.spikes.size:
                # SpikeSourceArray: report the exact times the user gave (as NEST does)
                stamps, cells, times = events
                lo = np.searchsorted(stamps, step0 + 1, side="left")
                hi = np.searchsorted(stamps, step0 + n, side="right")
                sel = np.isin(cells[lo:hi], rd.spikes)
                pop.recorder.store_spikes(pop.first_id + cells[lo:hi][sel], times[lo:hi][sel],
                                          member)
                continue
            events = outputs.spikes[i]          # engine/spike_fetch.SpikeEvents
            if rd.spikes.size:
                (rows, cols), reps = events.index, events.counts.astype(np.int64)
                ids = np.repeat(pop.first_id + rd.spikes[cols].astype(np.int64), reps)
                pop.recorder.store_spikes(ids, np.repeat(steps[rows], reps) * self.state.dt,
                                          member)
            for values, idx, name in zip(outputs.signals[i], rd.signals,
                                         self.build.signal_names[i]):
                pop.recorder.store_signal(name, steps, pop.first_id + idx, values[:n], member)
        for owner, values in zip(self.probe_owners, outputs.probes):
            owner._store(steps, np.asarray(values[:n]), member)
        for loop, (y, u) in zip(self.state.closed_loops, outputs.control):
            loop._store(steps, np.asarray(y[:n]), np.asarray(u[:n]), member)
        if self.spec.electrodes.record:
            currents = np.asarray(outputs.currents[:n])
            for j in self.build.recorded_sources:
                self.sources[j]._store(steps * self.state.dt, currents[:, j], member)

    def _check(self, bad):
        for i, steps in enumerate(bad):
            steps = np.atleast_1d(steps)
            if np.any(steps >= 0):
                pop = self.populations[i]
                member = int(np.flatnonzero(steps >= 0)[0])
                step = steps[member]
                where = (f" in ensemble member {self.member_offset + member}" if self.members
                         else "")
                raise NumericalInstabilityError(
                    f"Population {pop.label!r} ({pop.celltype}){where}: the state diverged "
                    f"(NaN, infinite "
                    f"or beyond 1e12) at t = {(int(step) + 1) * self.state.dt:.3f} ms. Data "
                    f"recorded up to t = {self.state.t:.3f} ms is kept. Check parameters (e.g. "
                    f"very large weights, delta_T, or a time step too large for the model).")


def _stop_if(interrupt, state, left: int):
    """``KeyboardInterrupt`` after the chunk in progress if Ctrl-C was pressed."""
    if interrupt.requested:
        message = (f"Simulation interrupted (Ctrl-C) at t = {state.t:.3f} ms "
                   f"(step {state.step}, {left} steps of this run not done): the data "
                   f"recorded up to there is kept and a further run() continues from there.")
        logger.warning(message)
        raise KeyboardInterrupt(message)


class _SigintFlag:
    """While active, SIGINT (Ctrl-C) sets ``requested`` instead of raising mid-chunk.

    Installed only in the main thread and only over Python's default handler (a handler of
    the user's, ``SIG_IGN`` or ``SIG_DFL`` is left alone); the previous handler comes back on
    exit.  A KeyboardInterrupt raised inside a chunk's Python code would leave the step
    counter, the carry and the recorders out of step with each other.
    """

    def __enter__(self):
        self.requested = False
        self._previous = None
        if (threading.current_thread() is threading.main_thread()
                and signal.getsignal(signal.SIGINT) is signal.default_int_handler):
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame):
        self.requested = True

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
        return False


class MemberGroups:
    """An ensemble run as groups of ``size`` members, each group a ``Simulation`` of its
    members' stacked build (one compiled program for every full group; a smaller last group
    compiles its own).  Every group advances by the same steps, so each member's data equals
    the all-at-once ensemble's (and a separate simulation's).

    Three reasons to split an ensemble (``ensure_simulation``):

    * ``setup(devices=...)`` with several devices: group ``g`` lives on ``devices[g % D]``
      (``_device_groups``), the groups run at once, one host thread each (a thread waits for
      its device's results; dispatch itself is asynchronous).
    * ``workers > 1``: on a CPU with several cores the groups run at once, one host thread
      each (``_parallel_groups``).  XLA:CPU spreads one program's operations over the cores
      only inside each operation, which for a small network's ``[members, cells]`` arrays
      gains nothing (the CBGTC example ensemble: the same time on one core as on two), while
      two programs on two threads run side by side (2.2x the throughput on 2 cores).
    * ``workers == 1``: the ensemble does not fit the device at once; the groups run one
      after the other.

    Chunks are called in rounds of all groups (``workers`` at a time), the recorded data is
    routed on the calling thread after each round.  Ctrl-C stops after the round in progress.
    """

    def __init__(self, state, build, size: int, workers: int = 1, devices=None):
        self.state, self.size, self.build, self.workers = state, size, build, workers
        self.groups = [Simulation(state, b, lo, devices[g % len(devices)] if devices else None)
                       for g, (lo, b) in enumerate(self._split(build))]

    def _split(self, build):
        names = [self.state.populations[i].label for i in build.populations]
        members = build.member_builds
        return [(lo, stack_builds(members[lo:lo + self.size], names))
                for lo in range(0, len(members), self.size)]

    @property
    def spec(self):
        return self.build.spec

    @property
    def members(self) -> int:
        return self.build.spec.members

    @property
    def populations(self):
        return self.groups[0].populations

    def _projections(self):
        return self.groups[0]._projections()

    @property
    def carry(self):
        """Every member's carry, stacked (on the host): what a checkpoint saves."""
        carries = jax.device_get([group.carry for group in self.groups])
        return jax.tree_util.tree_map(
            lambda axis, *xs: xs[0] if axis is None else np.concatenate(xs),
            carry_axes(carries[0], self.members), *carries, is_leaf=lambda x: x is None)

    @carry.setter
    def carry(self, carry):
        axes = carry_axes(carry, self.members)
        for group in self.groups:
            lo, hi = group.member_offset, group.member_offset + group.members
            group.carry = jax.device_put(jax.tree_util.tree_map(
                lambda axis, x: x if axis is None else x[lo:hi], axes, carry,
                is_leaf=lambda x: x is None), group.device)

    @property
    def _sampled_start(self) -> bool:
        return all(group._sampled_start for group in self.groups)

    @_sampled_start.setter
    def _sampled_start(self, value: bool):
        for group in self.groups:
            group._sampled_start = value

    def upload(self, build):
        self.build = build
        for (_, b), group in zip(self._split(build), self.groups):
            group.upload(b)

    def rebuild(self, build):
        self.build = build
        for (_, b), group in zip(self._split(build), self.groups):
            group.rebuild(b)

    def restart(self):
        for group in self.groups:
            group.restart()

    def advance(self, n_steps: int):
        for group in self.groups:
            group._start()
        # threads only for groups that run side by side (not for groups that must take turns)
        pool = (ThreadPoolExecutor(self.workers, thread_name_prefix="members")
                if self.workers > 1 else contextlib.nullcontext())
        with _SigintFlag() as interrupt, pool:
            done = 0
            while done < n_steps:
                n = min(min(group._call_steps for group in self.groups), n_steps - done)
                step0 = self.state.step
                # side by side once every group's program has run (is compiled): groups of
                # one size share a program, which two threads would both compile
                if self.workers > 1 and all(group._timed for group in self.groups):
                    called = list(pool.map(lambda group: group._call(n), self.groups))
                else:
                    called = [group._call(n) for group in self.groups]
                # every group's data routed before any divergence is reported: nothing lost
                for group, result in zip(self.groups, called):
                    group._finish(result, step0, n, check=False)
                for group, result in zip(self.groups, called):
                    group._check(result[1])
                done += n
                _stop_if(interrupt, self.state, n_steps - done)

    def set_live_state(self, pop, variable, idx, values):
        values = np.asarray(values)
        for group in self.groups:
            lo = group.member_offset
            group.set_live_state(pop, variable, idx,
                                 values[lo:lo + group.members] if values.ndim == 2 else values)

    def synapse_values(self, projection, name, member=None):
        if member is not None:
            group = self.groups[member // self.size]
            return group.synapse_values(projection, name, member - group.member_offset)
        rows = [group.synapse_values(projection, name, m)
                for group in self.groups for m in range(group.members)]
        if rows[0] is None:
            return None
        return one_member(np.stack(rows), None, f"Projection {projection.label!r}: {name}")
