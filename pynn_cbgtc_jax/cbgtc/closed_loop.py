r"""Closed-loop DBS inside the compiled program: an LFP biomarker drives a controller that sets a
current source's amplitude, with no return to Python per controller call.

``sim.ClosedLoop(controller, lfp, source, start=..., sampling_interval=0.5, history=4000)``:

* the LFP electrode's signal (``lfp.py``) is sampled every ``sampling_interval`` ms (Fleming:
  0.5 ms, 2 kHz) into a history of the last ``history`` samples (zeros before the run's first
  samples) held in the program's loop carry;
* every ``controller.ts`` seconds from ``start`` (ms) -- at the times ``start + j ts`` -- the
  biomarker ``beta_arv(history)`` (``biomarkers.py``) is fed to ``controller.update`` and its
  output ``u`` scales the source's waveform from that time on: the source delivers
  ``u x`` (its waveform with its own parameters), so build it with ``amplitude=1`` (nA per unit
  of ``u``; -1 for cathodic pulses) or any gain.  Before ``start``, ``u = 0`` (no stimulation:
  Fleming's protocol);
* ``target="frequency"``: the output is the pulse rate (Hz) of a ``DBSSource``, whose pulse
  shape (widths, amplitudes, start/stop) is kept and whose own frequency is ignored: after a
  call at ``f`` the next pulse starts one period (``round(1000 / (f dt))`` steps, as
  ``DBSSource``) after the last one, never before the call, and pulses follow every period
  until the next call; ``f = 0`` stops them (a pulse under way finishes).  Fleming's frequency
  controllers (PI ``kp = 19.3``, 0-250 Hz at a fixed 1.5 mA) are this;
* ``recruits=[(source, threshold), ...]``: further sources, each on (at its own amplitude)
  while the output is at least its threshold and off below: Fleming's GPe stimulation, where a
  DBS amplitude of ``u`` mA reaches a number of GPe cells that grows with ``u`` (one source per
  cell, thresholds from his table: ``docs/design/fleming2020.md`` section 4.3).  Under a
  frequency loop each recruited source is a ``DBSSource`` that pulses with the loop's source
  -- one pulse of its own shape at each of the loop's onsets -- while the rate is at least its
  threshold (Fleming's 19 GPe cells at his fixed 1.5 mA: threshold 0);
* every call's time, biomarker and output are kept: ``loop.get_data()``.

The same loop written the PyNN way -- ``run`` to each call, ``lfp.get_data()``, the biomarker on
the host, ``source.amplitude = u`` -- gives the same numbers (``tests/cbgtc/test_closed_loop.py``):
a call at ``t`` sees the LFP up to and including ``t`` and acts from the step that starts at
``t``.  An ensemble runs one loop per member; a network split over devices is refused (the LFP
is).
"""
from __future__ import annotations

import numpy as np
import quantities as pq
from neo import Block, IrregularlySampledSignal, Segment
from pyNN import errors

from ..simulator import check_current, state
from .biomarkers import WINDOW
from .controllers import _Controller
from .lfp import LFPElectrode

__all__ = ["ClosedLoop"]


class ClosedLoop:
    """A controller between an LFP electrode and a current source (module doc)."""

    def __init__(self, controller, lfp, source, start: float = 0.0,
                 sampling_interval: float = 0.5, history: int = 4000,
                 target: str = "amplitude", recruits=()):
        if not isinstance(controller, _Controller):
            raise errors.InvalidParameterValueError(
                f"ClosedLoop(controller={controller!r}): give one of sim.OnOffController, "
                f"DualThresholdController, PIDController, ConstantController.")
        if not isinstance(lfp, LFPElectrode):
            raise errors.InvalidParameterValueError(
                f"ClosedLoop(lfp={lfp!r}): give the sim.LFPElectrode whose signal is the "
                f"biomarker's input.")
        if not hasattr(source, "_waveform_name"):
            raise errors.InvalidParameterValueError(
                f"ClosedLoop(source={source!r}): give a current source of this backend (e.g. "
                f"sim.DBSSource(amplitude=1.0, frequency=130.0, pulse_width=0.06)).")
        check_current(source, "ClosedLoop()")
        if any(loop.source is source for loop in state.closed_loops):
            raise errors.InvalidParameterValueError(
                f"ClosedLoop(source={source}): another ClosedLoop already controls this source "
                f"(its outputs would multiply); give each loop its own source.")
        if target not in ("amplitude", "frequency"):
            raise errors.InvalidParameterValueError(
                f"ClosedLoop(target={target!r}): the controller's output sets the source's "
                f"'amplitude' (a factor) or its pulse 'frequency' (Hz).")
        if target == "frequency" and source._waveform_name != "pulse_train":
            raise errors.InvalidParameterValueError(
                f"ClosedLoop(target='frequency'): {type(source).__name__} has no pulses; give "
                f"a sim.DBSSource (its pulse shape is kept, its rate is the controller's).")
        dt = state.dt
        for name, value in (("start", start), ("sampling_interval", sampling_interval)):
            if not (np.isfinite(value) and value >= 0):
                raise errors.InvalidParameterValueError(
                    f"ClosedLoop({name}={value}): give a time >= 0 ms.")
        every = sampling_interval / dt
        period = controller.ts * 1000.0 / dt
        for name, steps, value in (("sampling_interval", every, sampling_interval),
                                   ("controller.ts", period, controller.ts)):
            if steps < 1 or abs(steps - round(steps)) > 1e-6:
                raise errors.InvalidParameterValueError(
                    f"ClosedLoop: {name} = {value} is not a whole number (>= 1) of time steps "
                    f"of {dt} ms; choose a multiple of the time step.")
        if round(period) % round(every):
            raise errors.InvalidParameterValueError(
                f"ClosedLoop: the controller period ({controller.ts} s) is not a multiple of "
                f"the sampling interval ({sampling_interval} ms); calls must fall on samples.")
        if not (isinstance(history, (int, np.integer)) and history >= -WINDOW[0]):
            raise errors.InvalidParameterValueError(
                f"ClosedLoop(history={history!r}): give a whole number of samples >= "
                f"{-WINDOW[0]}, the biomarker's window (Fleming: 4000, 2 s at 2 kHz).")
        if round(start / dt) % round(every):
            raise errors.InvalidParameterValueError(
                f"ClosedLoop(start={start}): the first call must fall on an LFP sample, a "
                f"multiple of sampling_interval = {sampling_interval} ms.")
        recruits = tuple(recruits)
        for entry in recruits:
            if not (isinstance(entry, tuple) and len(entry) == 2
                    and hasattr(entry[0], "_waveform_name") and np.isfinite(entry[1])):
                raise errors.InvalidParameterValueError(
                    f"ClosedLoop(recruits=...): give (current source, threshold) pairs; got "
                    f"{entry!r}.")
            check_current(entry[0], "ClosedLoop(recruits=...)")
        for recruit, _ in recruits:
            if target == "frequency" and recruit._waveform_name != "pulse_train":
                raise errors.InvalidParameterValueError(
                    f"ClosedLoop(target='frequency', recruits=...): {type(recruit).__name__} "
                    f"has no pulses; a frequency loop's recruited sources pulse with its "
                    f"source, so give sim.DBSSource (its pulse shape is kept).")
        self.recruits = recruits
        if controller.members > 1:      # its Batch numbers make (or join) this ensemble
            state.ensemble(controller.members, f"ClosedLoop({type(controller).__name__})")
        self.controller, self.lfp, self.source, self.target = controller, lfp, source, target
        self.start, self.sampling_interval, self.history = (float(start),
                                                            float(sampling_interval),
                                                            int(history))
        self.every, self.period = int(round(every)), int(round(period))
        self.start_step = int(round(start / dt))
        self._data = {}              # (member, segment) -> [(times ms, y, u)]
        self.index = state.add_closed_loop(self)

    @property
    def fs(self) -> float:
        """The biomarker's sampling rate, Hz."""
        return 1000.0 / self.sampling_interval

    def _store(self, steps, y, u, member: int = 0):
        calls = (steps >= self.start_step) & ((steps - self.start_step) % self.period == 0)
        if calls.any():
            self._data.setdefault((member, state.segment_counter), []).append(
                (steps[calls] * state.dt, np.asarray(y)[calls], np.asarray(u)[calls]))

    def get_data(self, member: int | None = None) -> Block:
        """Every controller call: a Block with one Segment per run segment, holding the
        ``biomarker`` (mV) and the controller ``output`` as irregularly sampled signals at the
        call times."""
        if state.members and member is None and len({m for m, _ in self._data}) > 1:
            raise errors.InvalidParameterValueError(
                f"ClosedLoop.get_data(): an ensemble of {state.members} members; give "
                f"member=i.")
        member = member or 0
        block = Block(name=f"ClosedLoop {type(self.controller).__name__}")
        for (m, segment) in sorted(k for k in self._data if k[0] == member):
            t, y, u = (np.concatenate(x) for x in zip(*self._data[m, segment]))
            seg = Segment(name=f"segment{segment:03d}")
            seg.irregularlysampledsignals.append(IrregularlySampledSignal(
                t * pq.ms, y[:, None], units=pq.mV, name="biomarker"))
            seg.irregularlysampledsignals.append(IrregularlySampledSignal(
                t * pq.ms, u[:, None], units=pq.dimensionless, name="output"))
            block.segments.append(seg)
        return block
