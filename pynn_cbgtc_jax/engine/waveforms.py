"""Current-source waveforms: one entry of ``WAVEFORMS`` per kind of source.

An entry (a ``Waveform``) declares the per-source fields the waveform reads, how the build
turns a source's native values (ms, nA, Hz, degrees) into them, and the traced amplitude.
A PyNN current source names its entry (``_waveform_name = "..."``); ``engine/electrodes.py``
and ``compiler/build.py`` dispatch through the entry and nowhere switch on the kind.  Adding a
waveform is adding an entry (append it: a source's kind on the device is its entry's
position; the last kind present is the one chosen without a test).

In step ``k`` (from ``t_k`` to ``t_{k+1}``) a windowed source is active when
``start <= k < stop`` (steps rounded from PyNN's ms), so a current switched on at ``t`` first
changes ``v`` at ``t + dt`` (PyNN test_ticket226).

* ``dc``:    ``amplitude``
* ``ac``:    ``offset + amplitude sin(omega (k - start) + phase)``
* ``step``:  the amplitude of the last change at or before ``k``, 0 before the first (not
  windowed: defined by its table alone)
* ``noise``: ``mean + stdev N(0,1)``, a fresh independent value per target cell every
  ``noise_every`` steps from ``start`` (NEST's ``noise_generator`` also draws per target).
* ``pulse_train`` (DBS, ``cbgtc/dbs.py``): with ``r = (k - start) % period``, ``amplitude``
  for ``r < width1``, ``amplitude2`` for ``width1 + gap <= r < width1 + gap + width2``, else
  0 -- monophasic (``width2 = 0``) or charge-balanced biphasic pulses, resolved to the step.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["Waveform", "WAVEFORMS", "FIELDS", "kind_index"]

_NEVER = np.iinfo(np.int32).max     # a step-table time that never comes


def _no_noise(e, src, gid, k, dtype):
    return None


class Waveform(NamedTuple):
    """One current-source waveform, declared once.

    ``fields``: per-source field -> its value where a source does not set it (an ``int``
    default makes an int32 field); the fields named in ``tables`` hold a list per source,
    padded with the default.  ``build(native, dt, steps)`` -> {field: value} from the
    source's native values (``steps(ms)``: the nearest step).  ``amplitude(spec, e, k,
    dtype)`` -> [S] the amplitude of every source in step ``k`` were it of this kind (noise:
    its mean).  ``noise(e, src, gid, k, dtype)`` -> the zero-mean term of each (source,
    target) pair, or None; it is masked to this kind's active sources.
    """

    fields: dict
    build: Callable
    amplitude: Callable
    windowed: bool = True      # active from start to stop only
    tables: tuple = ()
    noise: Callable = _no_noise


# -- DC and AC ----------------------------------------------------------------------------------
def _dc_build(v, dt, steps):
    return {"amplitude": v.get("amplitude", 0.0)}


def _ac_build(v, dt, steps):
    return {"amplitude": v.get("amplitude", 0.0), "offset": v.get("offset", 0.0),
            "omega": 2 * np.pi * v.get("frequency", 0.0) * dt * 1e-3,      # Hz -> rad per step
            "phase": np.deg2rad(v.get("phase", 0.0))}


def _ac(spec, e, k, dtype):
    f = e.fields
    rel = (k - e.start).astype(dtype)
    return f["offset"] + f["amplitude"] * jnp.sin(f["omega"] * rel + f["phase"])


# -- step ---------------------------------------------------------------------------------------
def _step_build(v, dt, steps):
    t = steps(np.atleast_1d(v.get("times", [])))
    a = np.atleast_1d(np.asarray(v.get("amplitudes", []), float))
    # on the grid, several changes may land on one step: the last one wins (as NEST)
    last = np.r_[t[1:] != t[:-1], True] if t.size else np.zeros(0, bool)
    return {"step_times": t[last], "step_amps": a[last]}


def _step(spec, e, k, dtype):
    times, amps = e.fields["step_times"], e.fields["step_amps"]
    if not spec.table:
        return jnp.zeros_like(e.start, dtype)
    n_changed = jnp.sum(times <= k, axis=1)
    return jnp.where(n_changed > 0,
                     jnp.take_along_axis(amps, jnp.maximum(n_changed - 1, 0)[:, None],
                                         axis=1)[:, 0], 0.0)


# -- noise --------------------------------------------------------------------------------------
def _noise_build(v, dt, steps):
    return {"mean": v.get("mean", 0.0), "stdev": v.get("stdev", 0.0),
            "noise_every": max(1, int(round(v.get("dt", dt) / dt)))}


def _noise_term(e, src, gid, k, dtype):
    """``stdev N(0,1)`` per (source, target) pair; the draw depends only on (seed, source,
    global cell id, interval), so it is the same whatever the chunking of the run."""
    interval = (k - e.start[src]) // jnp.maximum(e.fields["noise_every"][src], 1)

    def draw(s, c, i):
        key = jax.random.fold_in(jax.random.fold_in(jax.random.fold_in(e.key, s), c), i)
        return jax.random.normal(key, (), dtype)

    return e.fields["stdev"][src] * jax.vmap(draw)(src, gid, interval)


# -- pulse train (DBS) --------------------------------------------------------------------------
def _pulse_build(v, dt, steps):
    """Native names in ms (``cbgtc/dbs.py`` makes them whole steps): period, width1, gap,
    width2; amplitude, amplitude2 in nA."""
    out = {"amplitude": v.get("amplitude", 0.0), "amplitude2": v.get("amplitude2", 0.0),
           "period": max(1, int(round(v.get("period", dt) / dt)))}
    out.update({name: int(round(v.get(name, 0.0) / dt)) for name in ("width1", "gap", "width2")})
    return out


def _pulse(spec, e, k, dtype):
    f = e.fields
    r = (k - e.start) % jnp.maximum(f["period"], 1)
    second = (r >= f["width1"] + f["gap"]) & (r < f["width1"] + f["gap"] + f["width2"])
    return jnp.where(r < f["width1"], f["amplitude"], jnp.where(second, f["amplitude2"], 0.0))


WAVEFORMS = {
    "dc": Waveform({"amplitude": 0.0}, _dc_build, lambda spec, e, k, dtype: e.fields["amplitude"]),
    "ac": Waveform({"amplitude": 0.0, "offset": 0.0, "omega": 0.0, "phase": 0.0}, _ac_build, _ac),
    "step": Waveform({"step_times": _NEVER, "step_amps": 0.0}, _step_build, _step,
                     windowed=False, tables=("step_times", "step_amps")),
    "pulse_train": Waveform({"amplitude": 0.0, "period": 1, "width1": 0, "amplitude2": 0.0,
                             "gap": 0, "width2": 0}, _pulse_build, _pulse),
    "noise": Waveform({"mean": 0.0, "stdev": 0.0, "noise_every": 1}, _noise_build,
                      lambda spec, e, k, dtype: e.fields["mean"], noise=_noise_term),
}

#: every per-source field of the table -> (default, is a table field)
FIELDS = {}
for _w in WAVEFORMS.values():
    for _name, _default in _w.fields.items():
        FIELDS.setdefault(_name, (_default, _name in _w.tables))


def kind_index(name: str) -> int:
    """A waveform's kind on the device: its position in ``WAVEFORMS``."""
    return list(WAVEFORMS).index(name)
