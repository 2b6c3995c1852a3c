"""Spike sources: one entry of ``SOURCES`` per PyNN spike-source type.

An entry (a ``Source``) declares how the build turns a population's exported values
(``compiler/inputs.py: PopulationData``) into its parameters (``kernels/sources.py``), its
static bound and, for ``SpikeSourceArray``, the event list reported back to the recorder; the
spikes per cell and step it leads the build to expect; its state at a step (the carry's); and
its traced draw.  ``compiler/build.py``, ``simulation.py``, ``source_blocks.py`` and
``runner.py`` dispatch through the entry and nowhere switch on the kind.  Adding a source is
adding an entry.

* ``SpikeSourcePoisson``: a Poisson count per cell and step, ``rate dt / 1000`` inside
  ``[start, start + duration)``; a population whose cells share one rate is drawn by total
  (``kernels/sources.py: poisson_block_counts``).  No state.
* ``SpikeSourceGamma``, ``SpikeSourcePoissonRefractory``, ``SpikeSourceInhGamma``: renewal
  processes; the state is the age in steps.
* ``SpikeSourceArray``: the user's times as one event list sorted by stamp (NEST's stamps:
  :func:`spike_source_stamps`); the state is a pointer into it.

The sources of a block entry are drawn a kind at a time (``source_blocks.py``); the random
stream of a kind is its position among the block entries, so entries are appended, never
inserted.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from ..kernels import sources as src

__all__ = ["Source", "SOURCES", "BLOCK_KINDS", "BuildContext", "spike_source_stamps"]

_NEVER = np.iinfo(np.int32).max     # a stamp past any run


class BuildContext(NamedTuple):
    """What an entry's build needs of the network build."""

    dt: float                # ms
    dtype: object            # NumPy float type of the run
    min_delay: float         # ms
    steps: Callable          # ms -> nearest step (int64, saturating below the sentinel)
    next_pow2: Callable      # n -> the smallest power of two >= n


def _no_events(pop, params, dt):
    return None


def _stateless(size, params, step):
    return ()


def _busy(p, size, bound, dt):
    return None


class Source(NamedTuple):
    """One spike-source type, declared once.

    ``build(pop, ctx) -> (params, bound, events)``: from ``pop`` (a ``PopulationData``: its
    ``size`` and native ``parameters``), the population's parameters, its static bound
    (``PopSpec.bound``) and the (stamps, cells, times) it reports, or None.
    ``rate(parameters, size, bound, dt)`` (``parameters``: ``PopulationData.parameters``):
    expected spikes per cell and step (None: as a busy neuron).  ``initial(size, params,
    step)``: the carry state at ``step`` (NumPy).  A block entry draws ``draw(params, ages,
    key, k, dt, static, member_axis) -> (counts, ages)`` for all its populations at once
    (``ages`` None when stateless; ``member_axis`` the name of an ensemble's member axis, or
    None, for a draw that must keep a conditional one for all members;
    ``arrange(pops, members) -> (members, static)`` orders the block);
    otherwise ``draw(params, state, k, pop) -> (counts, state)`` per population.
    """

    build: Callable
    initial: Callable
    draw: Callable
    rate: Callable = _busy
    block: bool = True       # drawn as one block with the other populations of its kind
    stateful: bool = True    # a block entry: its draw carries a state per cell
    arrange: Callable = None
    pad: Callable = None     # a block entry: pads the members' parameters to one width
    keep_state: bool = True  # a rebuild during a run keeps the state of the population
    keep_bound: bool = False  # a set() keeps the compiled bound (no recompilation)
    refresh: bool = False    # the state follows the parameters: recomputed on upload


def _window(p, ctx):
    """start / stop (ms) -> int32 [start, stop) steps."""
    start = ctx.steps(p["start"])
    stop = ctx.steps(np.asarray(p["start"], float) + np.asarray(p["duration"], float))
    return start, stop


# -- Poisson ------------------------------------------------------------------------------------
def _poisson_build(pop, ctx):
    p = pop.parameters
    start, stop = _window(p, ctx)
    params = src.PoissonParams(rate=np.asarray(p["rate"], ctx.dtype),
                               start_step=start.astype(np.int32), stop_step=stop.astype(np.int32))
    rates = np.asarray(p["rate"], float) * np.ones(pop.size)
    # by total only where all cells share one mean (one rate, one active window): a
    # population that always fell back would have its whole block drawn cell by cell
    uniform = all(np.ptp(x) == 0 for x in (rates, start, stop))
    return params, src.poisson_max_spikes(rates, ctx.dt) if uniform else 0, None


def _by_total_last(pops, members):
    """The populations drawn by total (bound > 0) last, with their (size, bound)."""
    total = [i for i in members if pops[i].bound > 0]
    members = [i for i in members if pops[i].bound <= 0] + total
    return members, tuple((pops[i].size, pops[i].bound) for i in total)


def _poisson_draw(params, ages, key, k, dt, by_total, member_axis=None):
    return src.poisson_block_counts(params, key, k, dt, by_total, member_axis), None


def _rate_hz(p, size, bound, dt):
    return np.asarray(p["rate"], float) * dt * 1e-3


# -- renewal processes --------------------------------------------------------------------------
def _ages(size, params, step):
    return np.zeros(size, np.int32)                  # age in steps


def _gamma_build(pop, ctx):
    p = pop.parameters
    start, stop = (x.astype(np.int32) for x in _window(p, ctx))
    return (src.GammaParams(np.asarray(p["alpha"], ctx.dtype), np.asarray(p["beta"], ctx.dtype),
                            start, stop), 0, None)


def _dead_time_build(pop, ctx):
    p = pop.parameters
    start, stop = (x.astype(np.int32) for x in _window(p, ctx))
    return (src.DeadTimeParams(np.asarray(p["rate"], ctx.dtype),
                               np.asarray(p["tau_refrac"], ctx.dtype), start, stop), 0, None)


def _inh_gamma_build(pop, ctx):
    p = pop.parameters
    start, stop = (x.astype(np.int32) for x in _window(p, ctx))
    seqs = [[np.atleast_1d(np.asarray(getattr(v, "value", v), float)) for v in p[name]]
            for name in ("a", "b", "tbins")]
    width = max(len(x) for x in seqs[2])
    table = np.full((3, pop.size, width), np.nan)
    for c in range(pop.size):
        for j in range(3):
            table[j, c, :len(seqs[j][c])] = seqs[j][c]
    bin_step = np.where(np.isnan(table[2]), _NEVER, ctx.steps(np.nan_to_num(table[2])))
    return (src.InhGammaParams(np.nan_to_num(table[0], nan=1.0).astype(ctx.dtype),
                               np.nan_to_num(table[1], nan=1.0).astype(ctx.dtype),
                               bin_step.astype(np.int32), start, stop), 0, None)


def _inh_gamma_pad(members):
    """InhGamma tables padded to the widest with bins that never start."""
    import jax.numpy as jnp
    width = max(m.a.shape[1] for m in members)

    def pad(x, value):
        return jnp.pad(x, ((0, 0), (0, width - x.shape[1])), constant_values=value)
    return [m._replace(a=pad(m.a, 1.0), b=pad(m.b, 1.0), bin_step=pad(m.bin_step, _NEVER))
            for m in members]


def _renewal(counts):
    def draw(params, ages, key, k, dt, static, member_axis=None):
        return counts(params, ages, key, k, dt)
    return draw


# -- array --------------------------------------------------------------------------------------
_NEST_TICS_PER_MS = 1000       # NEST's default time base: 1 tic = 1 us


def spike_source_stamps(times, dt, min_delay):
    """The step stamp (end of the emitting step, in steps) of each SpikeSourceArray time, as
    pyNN.nest produces it.

    pyNN.nest sends a spike generator the times ``t - min_delay`` (double precision;
    ``adjust_spike_times_forward``; a parrot neuron adds ``min_delay`` back) with
    ``precise_times``, and NEST stamps each at the end of the step that contains it
    (``Time::fromstamp``: truncate to tics, down to a step, one step up if that grid time is
    below the time).  For most times this is ``ceil(t / dt)``; where ``t - min_delay`` lands a
    hair above a grid point in binary (e.g. 71.4 - 0.1 = 71.30000000000001) it is one step
    later, and we follow NEST (validation/findings.md, "ssa-rounding").  Times not after
    ``min_delay``, or a ``dt`` that is not a whole number of tics, use ``ceil(t / dt)``.
    """
    times = np.asarray(times, float)
    plain = np.ceil(np.round(times / dt, 6)).astype(np.int64)
    tics_per_step = dt * _NEST_TICS_PER_MS
    if times.size == 0 or abs(tics_per_step - round(tics_per_step)) > 1e-9:
        return plain
    tics_per_step = int(round(tics_per_step))
    ms_per_step = tics_per_step / _NEST_TICS_PER_MS
    shifted = times - min_delay
    n = np.trunc(shifted * _NEST_TICS_PER_MS).astype(np.int64)
    steps = n // tics_per_step
    steps = steps + (steps * ms_per_step < shifted)
    nest = steps + int(round(min_delay / dt))
    return np.where(shifted > 0, nest, plain)


def _array_build(pop, ctx):
    """One event list sorted by (stamp, cell), padded with a window of sentinels; the bound is
    the window: the largest number of events on one stamp, rounded up to a power of two."""
    stamps, cells = [], []
    for i, seq in enumerate(pop.parameters["spike_times"]):
        times = np.asarray(getattr(seq, "value", seq), float)
        # a spike at t goes out with the step NEST stamps it with (see spike_source_stamps)
        s = spike_source_stamps(times, ctx.dt, ctx.min_delay)
        stamps.append(s)
        cells.append(np.full(s.size, i, np.int64))
    stamps = np.concatenate(stamps) if stamps else np.zeros(0, np.int64)
    cells = np.concatenate(cells) if cells else np.zeros(0, np.int64)
    times = np.concatenate([np.asarray(getattr(seq, "value", seq), float)
                            for seq in pop.parameters["spike_times"]] or [np.zeros(0)])
    order = np.lexsort((cells, stamps))
    stamps, cells, times = stamps[order], cells[order], times[order]
    window = ctx.next_pow2(np.bincount(stamps).max() if stamps.size else 1)
    events = (stamps, cells, times)
    stamps = np.concatenate([stamps, np.full(window, _NEVER)]).astype(np.int32)
    cells = np.concatenate([cells, np.full(window, pop.size)]).astype(np.int32)
    return src.ArrayParams(stamps=stamps, cells=cells), window, events


def _array_pointer(size, params, step):
    """The first event not yet sent at ``step``."""
    return np.int32(np.searchsorted(params.stamps, step + 1))


def _array_draw(params, ptr, k, pop):
    return src.array_counts(params, ptr, k, pop.size, pop.bound)


SOURCES = {
    "SpikeSourcePoisson": Source(_poisson_build, _stateless, _poisson_draw, _rate_hz,
                                 stateful=False, arrange=_by_total_last, keep_state=False,
                                 keep_bound=True),
    "SpikeSourceGamma": Source(_gamma_build, _ages, _renewal(src.gamma_counts),
                               lambda p, size, bound, dt: np.asarray(p["beta"], float)
                               / np.asarray(p["alpha"], float) * dt * 1e-3),
    "SpikeSourcePoissonRefractory": Source(_dead_time_build, _ages,
                                           _renewal(src.dead_time_counts), _rate_hz),
    "SpikeSourceInhGamma": Source(_inh_gamma_build, _ages, _renewal(src.inh_gamma_counts),
                                  pad=_inh_gamma_pad),
    "SpikeSourceArray": Source(_array_build, _array_pointer, _array_draw,
                               lambda p, size, bound, dt: np.full(size, bound / max(size, 1)),
                               block=False, keep_state=False, refresh=True),
}

#: the kinds drawn a block at a time; a kind's random stream is its position here
BLOCK_KINDS = tuple(name for name, s in SOURCES.items() if s.block)
