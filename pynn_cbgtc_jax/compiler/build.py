"""Compile a ``Network`` (``inputs.py``: the plain data the PyNN layer exports) into a ``NetSpec``
(static) and ``NetData`` (arrays).

* populations -> model parameters as arrays (spike sources: step ranges, event lists);
* projections -> synapses grouped by (pre population, post population, receptor) and sorted by
  presynaptic cell (CSR), delays in whole steps;
* current sources -> one table of waveforms plus (source, cell) injection pairs;
* recorders -> index arrays of the recorded cells.

NumPy only (and no PyNN object); the result is handed to ``simulation.Simulation``.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass, field

import numpy as np

from ..engine import hosts
from ..engine.spec import (ElectrodeData, ElectrodeSpec, LoopSpec, NetData, NetSpec, PopSpec,
                           RecData, RecSpec, SynData, SynSpec)
from ..engine.spike_sources import SOURCES, BuildContext
from ..engine.synapse_rules import RULES, rule_param
from ..engine.waveforms import FIELDS, WAVEFORMS, kind_index
from .inputs import Network, PopulationData

__all__ = ["Build", "build_network", "SENTINEL", "MAX_CHUNK"]

SENTINEL = np.iinfo(np.int32).max
MAX_CHUNK = 1000              # steps per compiled scan
_RECORD_BYTES_PER_CHUNK = 64 * 2 ** 20


@dataclass
class Build:
    """A compiled network: spec, host arrays, and what the runner needs to route results.

    Populations, projections and sources are named by their index in the ``Network``.
    """

    spec: NetSpec
    data: NetData
    populations: tuple                                # population indices, in spec order
    signal_names: list = field(default_factory=list)  # per population: recorded variable names
    recorded_sources: list = field(default_factory=list)  # positions in ``sources``
    array_events: list = field(default_factory=list)  # per population: (stamps, cells, times)
    syn_groups: list = field(default_factory=list)    # per group: (rule, [(projection index,
                                                      # n)], perm)
    sources: tuple = ()                               # source indices of the electrode table
    member_builds: tuple = ()                         # ensembles: each member's own Build


def _next_pow2(n):
    return 1 << max(0, int(np.ceil(np.log2(max(n, 1)))))


def _steps(t_ms, dt):
    """ms -> nearest step (int64), saturating at the sentinel."""
    return np.clip(np.rint(np.asarray(t_ms, float) / dt), 0, SENTINEL - 1).astype(np.int64)


# -- populations --------------------------------------------------------------------------------
def _population(pop: PopulationData, dt, dtype, cell_offset, ring_offset, scheme=None,
                min_delay=None):
    kind = pop.kind
    p = pop.parameters
    if kind in SOURCES:
        ctx = BuildContext(dt, dtype, dt if min_delay is None else min_delay,
                           lambda t: _steps(t, dt), _next_pow2)
        params, bound, events = SOURCES[kind].build(pop, ctx)
        return PopSpec(kind, pop.size, cell_offset, bound=bound), params, events
    model = pop.model
    params = (model.build_params(p, pop.size, dtype) if model.build_params is not None else
              model.params(*[np.asarray(p[name], dtype) for name in model.param_names]))
    n_sub = model.substeps(dt, p) if model.substeps is not None else 1
    if "scheme" not in inspect.signature(model.step).parameters:
        scheme = None                     # the model has one integration scheme
    return (PopSpec(kind, pop.size, cell_offset, ring_offset, n_receptors=model.n_receptors,
                    substeps=n_sub, scheme=scheme or ""), params, None)


# -- synapses -----------------------------------------------------------------------------------
def _stable_order(keys: np.ndarray, n_keys: int) -> np.ndarray:
    """``np.argsort(keys, kind="stable")`` for integer keys in ``[0, n_keys)``, in O(n).

    A least-significant-digit radix sort on 16-bit digits: NumPy sorts ``uint16`` keys with a
    stable radix sort, where wider integers get a timsort (34M synapses over 500k cells:
    4.9 s -> 2.7 s; one pass, and faster still, up to 65,536 cells)."""
    order = np.argsort((keys & 0xFFFF).astype(np.uint16), kind="stable")
    shift = 16
    while (n_keys - 1) >> shift:
        digit = ((keys >> shift) & 0xFFFF).astype(np.uint16)    # gather 2 bytes, not 8
        order = order[np.argsort(digit[order], kind="stable")]
        shift += 16
    return order


def total_cells(pops) -> int:
    """The cells of the global spike vector: every population's, then the further spike
    detectors' (``PopSpec.detectors``)."""
    return sum(p.size * (1 + len(p.detectors)) for p in pops)


def _with_detectors(pops) -> list:
    """``[(PopSpec, ((node, threshold), ...)), ...]`` -> the ``PopSpec``s with the global
    cells of their further detectors placed after every population's cells
    (``PopSpec.detectors``: (node, threshold, first cell))."""
    cell = sum(p.size for p, _ in pops)
    out = []
    for p, detectors in pops:
        placed = []
        for node, threshold in detectors:
            placed.append((int(node), float(threshold), cell))
            cell += p.size
        out.append(p._replace(detectors=tuple(placed)))
    return out


def _source_offset(prj, pops, cell_offset):
    """Per synapse of ``prj`` the global cell of its presynaptic population's first cell,
    in the output of the detector its ``source`` names (``ProjectionData.sources``)."""
    pre_pop = prj.pre_population
    offset = cell_offset[pre_pop]
    for pop, k in prj.sources.items():
        if k:
            offset = np.where(pre_pop == pop, pops[pop].detectors[k - 1][2], offset)
    return offset


def _synapses(projections, pops, populations, dt, dtype):
    """Synapses grouped by rule and by fan-out (at most one synapse per presynaptic cell on
    average, or more), each group one CSR table by global presynaptic cell.

    ``projections``: ``ProjectionData``; ``pops``: the ``PopSpec`` of ``populations``
    (``PopulationData``).  Returns ([(rule, SynData, fan-out per cell, [(projection index, n)],
    perm)], max delay in steps).
    """
    cell_offset = np.array([p.cell_offset for p in pops], np.int64)
    ring_offset = np.array([p.ring_offset for p in pops], np.int64)
    size = np.array([p.size for p in pops], np.int64)
    n_cells = total_cells(pops)
    by_rule = {}
    for prj in projections:
        if prj.whole:
            # at most one synapse per presynaptic cell on average (one-to-one drives, e.g. a
            # Poisson source per neuron): a table of its own, which the dense path delivers in
            # one pass, instead of events that double the event path's batches (microcircuit,
            # 10 %, K_scaling 0.1: 2,500 events a step, half of them from the sources)
            pre_pops = prj.pre_populations
            sparse = bool(len(pre_pops) == 1 and prj.whole <= size[pre_pops[0]])
            by_rule.setdefault((prj.rule, sparse), []).append(prj)
    groups, max_delay = [], 1
    for key in sorted(by_rule):
        rule = key[0]
        names = RULES[rule].params
        pre_g, post_g, target, weight, delay, params, members = [], [], [], [], [], [], []
        places, offset = [], 0
        for prj in by_rule[key]:
            places.append(offset + prj.place)     # the synapse's place in the group's order
            offset += prj.whole
            pre = prj.pre_cells
            post_pop, post = prj.post_population, prj.post_cells
            pre_g.append(_source_offset(prj, pops, cell_offset) + pre)
            post_g.append(cell_offset[post_pop] + post)
            target.append(ring_offset[post_pop] + prj.receptor * size[post_pop] + post)
            weight.append(prj.weight)
            delay.append(prj.delay)
            params.append([rule_param(prj, n, populations) for n in names])
            members.append((prj.index, prj.size))
        pre_g, post_g, target = (np.concatenate(a) for a in (pre_g, post_g, target))
        weight, delay = np.concatenate(weight), np.concatenate(delay)
        params = [np.concatenate([p[j] for p in params]) for j in range(len(names))]
        perm = _stable_order(pre_g, n_cells)
        counts = np.bincount(pre_g, minlength=n_cells)
        row_ptr = np.concatenate([[0], np.cumsum(counts), [pre_g.size]]).astype(np.int32)
        delay_steps = np.maximum(np.rint(delay / dt), 1).astype(np.int32)
        # narrow first, then gather: half the memory traffic of gathering 64-bit values
        data = SynData(row_ptr=row_ptr, pre=pre_g.astype(np.int32)[perm],
                       post=post_g.astype(np.int32)[perm], target=target.astype(np.int32)[perm],
                       weight=weight.astype(dtype)[perm], delay=delay_steps[perm],
                       params=tuple(p.astype(dtype)[perm] for p in params),
                       # random rules key their draws by the place: any device/process count
                       ids=(np.concatenate(places)[perm].astype(np.int32)
                            if RULES[rule].random else ()))
        groups.append((rule, data, counts, members, perm))
        max_delay = max(max_delay, int(delay_steps.max(initial=1)))
    # several processes: each holds the synapses onto its own cells; the ring is everyone's
    return groups, int(hosts.combine(max_delay, "max"))


_NO_CELLS = np.zeros(0, np.int32)


def _device_table(rule, data: SynData, spec: SynSpec) -> SynData:
    """What the device keeps of a synapse table: per synapse only the ring column (int32), the
    weight and the delay in the smallest unsigned type that holds it (uint8 up to 255 steps),
    i.e. 9 bytes in float32 -- plus ``pre`` for the dense path (which visits every synapse)
    and ``post`` for rules that read postsynaptic spike histories.  The event path finds a
    synapse's presynaptic cell from the CSR rows."""
    delay = data.delay
    longest = hosts.combine(int(delay.max(initial=0)), "max")
    for small in (np.uint8, np.uint16):
        if longest <= np.iinfo(small).max:
            delay = delay.astype(small)
            break
    return data._replace(pre=data.pre if spec.dense else _NO_CELLS,
                         post=data.post if RULES[rule].plastic_weight else _NO_CELLS,
                         delay=delay)


def _post_tau(groups, n_cells, dtype):
    """Per cell: the postsynaptic trace time constant of the plastic synapses onto it.

    NEST keeps one tau_minus per neuron too; the first plastic synapse onto a cell sets it.
    """
    tau = np.full(n_cells, -np.inf)
    for rule, data, _, _, _ in groups[::-1]:
        name = RULES[rule].post_tau
        if name:
            values = data.params[RULES[rule].params.index(name)]
            tau[data.post[::-1]] = values[::-1]
    # several processes: each holds the synapses onto its own cells
    tau = hosts.combine(tau, "max")
    return np.where(np.isfinite(tau), tau, 20.0).astype(dtype)


def _expected_events(populations, pops, fanout, dt):
    """A guess of the synapse events per step, to choose and size the delivery path."""
    events = 0.0
    for pop, spec in zip(populations, pops):
        rows = fanout[spec.cell_offset:spec.cell_offset + spec.size]
        rate = (SOURCES[spec.kind].rate(pop.parameters, spec.size, spec.bound, dt)
                if spec.kind in SOURCES else None)
        if rate is None:
            rate = np.full(spec.size, 30.0 * dt * 1e-3)     # a busy neuron: 30 Hz
        events += (rate * rows).sum()
        for _, _, first in spec.detectors:
            events += (rate * fanout[first:first + spec.size]).sum()
    return events


def owner_group(lengths, batch: int) -> int:
    """The event path's lookup stride for rows of these ``lengths`` (``SynSpec.group``): the
    largest power of two at most every non-empty row's length, and at most ``batch`` (which
    holds when there is no such row: nothing to look up)."""
    lengths = np.asarray(lengths)
    rows = lengths[lengths > 0]
    if rows.size == 0:
        return batch
    return int(min(1 << (int(rows.min()).bit_length() - 1), batch))


def _syn_spec(rule, n_syn, n_cells, events):
    """Delivery path of a synapse group from the expected synapse events per step.

    The event path costs a running sum over the cells plus ~log2(n_cells) gathers per event;
    the dense path one pass over every synapse.  Dense wins for small tables.  The event
    path's batch (events per loop iteration) on a CPU is about half the expected events of a
    step (the guess assumes 30 Hz for every neuron, so real steps often fit one batch):
    measured on the CBGTC benchmark, 1024 and 2048 cost the same, 4096 15-30 % more.
    """
    dense = n_syn <= 2 * n_cells + 16 * events
    batch = int(np.clip(_next_pow2(events / 2), 256, 2048))
    import jax
    if jax.default_backend() != "cpu":
        # a GPU does a big batch in the time of a small one, and each loop iteration costs a
        # round trip to the host there: one batch should hold a busy step
        batch = int(np.clip(_next_pow2(8 * events), 4096, 2 ** 20))
    return SynSpec(rule=rule, n_syn=int(n_syn), batch=batch, dense=bool(dense))


def ensemble_batch(spec: SynSpec) -> SynSpec:
    """``spec`` with the event path's batch of an ensemble: a quarter of one network's (at
    least 128) on a CPU.  The members' loop runs as many batches as the busiest member needs
    (``delivery.deliver``), so every member pays for the empty slots of its last batch and
    of the busiest member's extra batches -- waste that grows with the batch -- while each
    batch's fixed cost is shared by the members.  COBA 4000, 4 members on one core: 219 us a
    step with batches of 512, 210 with 256, 203 with 128; one network: the same with 128 to
    512 (``bench_ensembles.py``).  On a GPU each batch is a round trip to the host: unchanged.
    The batch changes no bit of the result."""
    import jax
    if jax.default_backend() != "cpu":
        return spec
    return spec._replace(batch=max(128, spec.batch // 4))


# -- electrodes ---------------------------------------------------------------------------------
def _electrodes(sources, populations, dt, dtype, seed):
    """One table of every source's waveform (``engine/waveforms.py``: each kind's entry builds
    its fields from the source's native values) plus the (source, cell) injection pairs.

    ``sources``: ``SourceData``; ``populations``: ``PopulationData``."""
    S = len(sources)
    kind, start, stop = (np.zeros(S, np.int32) for _ in range(3))
    record_gid = np.zeros(S, np.int32)
    built = []
    for j, src in enumerate(sources):
        v = src.native
        kind[j] = kind_index(src.waveform)
        start[j] = _steps(v.get("start", 0.0), dt)
        stop[j] = _steps(v.get("stop", 1e12), dt) if "stop" in v else SENTINEL - 1
        built.append(WAVEFORMS[src.waveform].build(v, dt, lambda t: _steps(t, dt)))
        if src.targets:
            p, idx = src.targets[0]
            record_gid[j] = populations[p].first_id + int(idx[0])
    kinds = tuple(name for i, name in enumerate(WAVEFORMS) if np.any(kind == i))
    names = sorted({name for k in kinds for name in WAVEFORMS[k].fields})
    width = max([np.size(b[n]) for b in built for n in b if FIELDS[n][1]] + [0])
    width = _next_pow2(width) if width else 0
    fields = {}
    for name in names:
        default, is_table = FIELDS[name]
        field_type = np.int32 if isinstance(default, int) else dtype
        values = np.full((S, width) if is_table else S, default, field_type)
        for j, b in enumerate(built):
            if name in b:
                if is_table:
                    values[j, :np.size(b[name])] = b[name]
                else:
                    values[j] = b[name]
        fields[name] = values
    # one table of (source, cell) pairs; cells numbered within the targeted populations: first
    # a block per population that current sources target, then one per population that
    # extracellular electrodes (field sources) target
    pair_source, pair_cell, pair_gid, n_target_cells = [], [], [], 0
    blocks = {}
    for is_field in (False, True):
        offsets = []
        for pop in populations:
            srcs, cells = [], []
            for j, src in enumerate(sources):
                for p, idx in src.targets:
                    if p == pop.index and src.field == is_field:
                        srcs.append(np.full(idx.size, j))
                        cells.append(idx)
            if not srcs:
                offsets.append(-1)
                continue
            c = np.concatenate(cells)
            pair_source.append(np.concatenate(srcs))
            pair_cell.append(n_target_cells + c)
            pair_gid.append(c + pop.first_id)
            offsets.append(n_target_cells)
            n_target_cells += pop.size
        blocks[is_field] = offsets
    targets = blocks[False]
    pair_source, pair_cell, pair_gid = (np.concatenate(a).astype(np.int32) if a
                                        else np.zeros(0, np.int32)
                                        for a in (pair_source, pair_cell, pair_gid))
    spec = ElectrodeSpec(n_sources=S, kinds=kinds, table=width,
                         targets=tuple(targets), n_target_cells=n_target_cells,
                         record=any(src.recording for src in sources),
                         field_targets=(tuple(blocks[True]) if any(s.field for s in sources)
                                        else ()))
    import jax
    data = ElectrodeData(kind=kind, start=start, stop=stop, fields=fields,
                         pair_source=pair_source, pair_cell=pair_cell, pair_gid=pair_gid,
                         record_gid=record_gid,
                         key=jax.random.key_data(jax.random.key(seed + 1)))
    return spec, data


# -- closed loops --------------------------------------------------------------------------------
def _loops(network: Network, populations, sources) -> tuple:
    """A ``LoopSpec`` per closed loop: its LFP's position among the step's probes (populations
    in order, each one's probes in order) and its source's in the electrode table."""
    owners = [probe.owner for pop in populations for probe in pop.probes]
    table = [s.index for s in sources]
    loops = []
    for loop in network.loops:
        # (a source injected into no cell is refused at run(): simulator.py)
        loops.append(LoopSpec(probe=owners.index(loop.lfp), source=table.index(loop.source),
                              controller=loop.controller, start=loop.start, every=loop.every,
                              period=loop.period, history=loop.history, fs=loop.fs,
                              target=loop.target,
                              recruits=tuple((table.index(src), thr)
                                             for src, thr in loop.recruits)))
    return tuple(loops)


# -- recording ----------------------------------------------------------------------------------
def _recording(pop: PopulationData, dtype):
    spikes = pop.spikes
    names, signals, idx = [], [], []
    recordables = getattr(pop.model, "recordables", {}) or {}
    for signal in pop.signals:
        names.append(signal.name)
        signals.append((recordables[signal.recordable], int(signal.cells.size)))
        idx.append(signal.cells.astype(np.int32))
    probes = tuple(tuple(recordables[r] for r in probe.recordables) for probe in pop.probes)
    weights = tuple(np.asarray(probe.weights, dtype) for probe in pop.probes)
    return (RecSpec(spikes=int(spikes.size), signals=tuple(signals), probes=probes),
            RecData(spikes=spikes.astype(np.int32), signals=tuple(idx), probes=weights), names)


def build_network(network: Network, previous: "Build | None" = None) -> Build:
    """Translate ``network`` (the PyNN layer's export, ``export.export_network``) into a
    ``Build``.

    ``previous``: the last build of the same network; its synapse tables (the costly part:
    sorting every synapse) are reused when ``network.projections`` is None (the synapses are
    unchanged) -- so a ``set()`` of neuron parameters between runs does not rebuild 100M
    synapses.
    """
    import jax
    dt, dtype = network.dt, np.dtype(network.precision)
    populations = list(network.populations)
    indices = tuple(p.index for p in populations)
    pops, params, events, cell, ring = [], [], [], 0, 0
    for pop in populations:
        is_neuron = pop.injectable
        spec, prm, ev = _population(pop, dt, dtype, cell, ring if is_neuron else -1,
                                    network.integration_scheme, network.min_delay)
        pops.append(spec)
        params.append(prm)
        events.append(ev)
        cell += pop.size
        ring += spec.n_receptors * pop.size if is_neuron else 0
    pops = _with_detectors(list(zip(pops, (p.detectors for p in populations))))
    cell = total_cells(pops)
    if previous is not None and previous.populations == indices:
        # a set() of Poisson rates keeps the compiled by-total bound (poisson_counts falls back
        # to per-cell draws where the new rates exceed it): no recompilation
        pops = [p._replace(bound=q.bound) if p.kind == q.kind and p.kind in SOURCES
                and SOURCES[p.kind].keep_bound else p
                for p, q in zip(pops, previous.spec.pops)]
    if network.projections is None:
        if previous is None:
            raise ValueError("build_network: network.projections is None (synapses unchanged) "
                             "but there is no previous build whose tables could be reused; "
                             "export the projections.")
        syn_specs, syn_data = list(previous.spec.syns), list(previous.data.syns)
        syn_groups, post_tau = previous.syn_groups, previous.data.post_tau
        max_delay = previous.spec.ring - 1
    else:
        groups, max_delay = _synapses(network.projections, pops, populations, dt, dtype)
        post_tau = _post_tau(groups, cell, dtype)
        syn_specs, syn_data = [], []
        for rule, data_g, fanout, _, _ in groups:
            # the program is the same in every process: from every process's synapses
            fanout = hosts.combine(fanout, "sum")
            rows = np.flatnonzero(fanout)
            n_events = _expected_events(populations, pops, fanout, dt)
            g_spec = _syn_spec(rule, int(fanout.sum()), cell, n_events)
            syn_specs.append(g_spec._replace(cells=(int(rows[0]), int(rows[-1]) + 1),
                                             group=owner_group(fanout, g_spec.batch)))
            syn_data.append(_device_table(rule, data_g, syn_specs[-1]))
        syn_groups = [(rule, members, perm) for rule, _, _, members, perm in groups]
    sources = [s for s in network.sources if s.targets or s.recording]
    e_spec, e_data = _electrodes(sources, populations, dt, dtype, network.rng_seed)
    recs, rdata, names = zip(*[_recording(p, dtype) for p in populations]) if populations \
        else ((), (), ())
    bytes_per_step = sum(r.spikes + (sum(n for _, n in r.signals) + len(r.probes)) * dtype.itemsize
                         for r in recs)
    bytes_per_step += e_spec.n_sources * dtype.itemsize * e_spec.record
    chunk = int(np.clip(_RECORD_BYTES_PER_CHUNK // max(bytes_per_step, 1), 16, MAX_CHUNK))
    spec = NetSpec(pops=tuple(pops), syns=tuple(syn_specs), recs=tuple(recs), electrodes=e_spec,
                   ring=max_delay + 1, width=max(ring, 1), chunk=chunk,
                   history=any(RULES[g.rule].plastic_weight for g in syn_specs),
                   dtype=dtype.name, loops=_loops(network, populations, sources))
    data = NetData(params=tuple(params), syns=tuple(syn_data), recs=tuple(rdata),
                   electrodes=e_data, key=jax.random.key_data(jax.random.key(network.rng_seed)),
                   dt=np.asarray(dt, dtype),
                   post_tau=post_tau,
                   loops=tuple(type(loop.params)(*(np.asarray(v, dtype) for v in loop.params))
                               for loop in network.loops))
    return Build(spec=spec, data=data, populations=indices,
                 syn_groups=syn_groups,
                 signal_names=list(names), array_events=list(events),
                 recorded_sources=[j for j, s in enumerate(sources) if s.recording],
                 sources=tuple(s.index for s in sources))
