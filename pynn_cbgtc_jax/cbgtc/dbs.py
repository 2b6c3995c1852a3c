"""``DBSSource``: deep brain stimulation as a rectangular current pulse train (PyNN units).

Monophasic or charge-balanced biphasic pulses::

    amplitude  for pulse_width                          (first phase)
    0          for gap                                  (interphase gap, biphasic only)
    amplitude2 for pulse_width2                         (second phase, biphasic only)
    0          for the rest of the period 1000/frequency ms

from ``start`` to ``stop`` (ms), the first pulse starting at ``start``.  By default the second
phase has the width of the first and the opposite charge, ``amplitude2 = -amplitude *
pulse_width / pulse_width2``, so every period carries zero net charge.  Currents are in nA as
every PyNN source: a density of ``j`` µA/cm² into a cell of area ``A`` µm² (``area`` of the
CBGTC cells) is ``j * A * 1e-5`` nA (300 µA/cm², Kumaravelu et al. 2016, is 30 nA at the
default 10 000 µm²).

The waveform is generated on the device each step (``engine/waveforms.py``, entry
``pulse_train``), so a train costs the same whatever its length.  Pulse widths and the gap
must be whole numbers of time steps (checked here: a 60 µs pulse needs ``dt = 0.01`` ms or a
divisor of it); the period is rounded to the nearest step, so the delivered frequency is
``1000 / (round(1000 / (frequency * dt)) * dt)`` Hz (130 Hz at dt = 0.01 ms: 130.04 Hz).
"""
from __future__ import annotations

import numpy as np
from pyNN import errors
from pyNN.parameters import ParameterSpace

from ..simulator import state
from ..standardmodels.electrodes import _CurrentSource
from ..standardmodels.translations import identity_translations

__all__ = ["DBSSource"]

_PARAMETERS = ("amplitude", "frequency", "pulse_width", "start", "stop", "biphasic",
               "amplitude2", "pulse_width2", "gap")


class DBSSource(_CurrentSource):
    """Rectangular DBS pulse train, monophasic or charge-balanced biphasic.

    Parameters
    ----------
    amplitude : float
        First-phase current, nA (positive depolarising, as every PyNN current).
    frequency : float
        Pulses per second, Hz (> 0).
    pulse_width : float
        First-phase width, ms; a multiple of the time step.
    start, stop : float
        ms; the first pulse starts at ``start``, none after ``stop``.
    biphasic : bool
        Add a second phase after each pulse.
    amplitude2 : float
        Second-phase current, nA; ``nan`` (default) = charge-balanced,
        ``-amplitude * pulse_width / pulse_width2``.
    pulse_width2 : float
        Second-phase width, ms; ``nan`` (default) = ``pulse_width``.
    gap : float
        Interphase gap, ms (multiple of the time step).

    Examples
    --------
    >>> import pynn_cbgtc_jax as sim
    >>> _ = sim.setup(timestep=0.01)
    >>> stn = sim.Population(10, sim.STN_RT2004())
    >>> dbs = sim.DBSSource(amplitude=30.0, frequency=130.0, pulse_width=0.06, biphasic=True)
    >>> stn.inject(dbs)
    """

    _waveform_name = "pulse_train"
    default_parameters = dict(amplitude=1.0, frequency=130.0, pulse_width=0.1, start=0.0,
                              stop=1e12, biphasic=False, amplitude2=float("nan"),
                              pulse_width2=float("nan"), gap=0.0)
    translations = identity_translations(_PARAMETERS)
    units = dict(amplitude="nA", frequency="Hz", pulse_width="ms", start="ms", stop="ms",
                 biphasic="dimensionless", amplitude2="nA", pulse_width2="ms", gap="ms")

    _OWN = ("_native", "_given")     # per ensemble member (electrodes._CurrentSource)

    def __init__(self, **parameters):
        object.__setattr__(self, "_given", {})
        super().__init__(**parameters)

    # -- parameters --------------------------------------------------------------------------
    def set_native_parameters(self, parameters):
        """Store the PyNN values and derive the engine's (steps-resolvable) waveform."""
        parameters.shape = (1,)
        parameters.evaluate(simplify=True)
        given = dict(self._given)
        for name, value in parameters.items():
            given[name] = bool(value) if name == "biphasic" else float(value)
        native = self._waveform(given)
        object.__setattr__(self, "_given", given)
        object.__setattr__(self, "_native", native)
        state.mark_changed()

    def get_native_parameters(self):
        return ParameterSpace(dict(self._given))

    def _steps(self, name, value, allow_zero=False):
        """``value`` ms as a whole number of steps, or InvalidParameterValueError."""
        dt = state.dt
        n = value / dt
        if not np.isfinite(n) or abs(n - round(n)) > 1e-6 * max(1.0, abs(n)) or n < 0 \
                or (round(n) < 1 and not allow_zero):
            lower = "0 or " if allow_zero else ""
            raise errors.InvalidParameterValueError(
                f"DBSSource: {name} = {value} ms is not resolvable at the time step dt = {dt} "
                f"ms: it must be {lower}a whole multiple of dt (>= dt). Use e.g. "
                f"{name} = {max(1, round(n)) * dt:g} ms, or a smaller setup(timestep=...) that "
                f"divides it (0.01 ms for 60 us pulses).")
        return int(round(n))

    def _waveform(self, p):
        """PyNN values -> native engine values (ms, nA): amplitude, start, stop, period,
        width1, gap, width2, amplitude2 (all times whole steps)."""
        dt = state.dt
        if not (np.isfinite(p["frequency"]) and p["frequency"] > 0):
            raise errors.InvalidParameterValueError(
                f"DBSSource: frequency = {p['frequency']} Hz; it must be > 0.")
        for name in ("start", "stop"):
            if not p[name] >= 0:
                raise errors.InvalidParameterValueError(
                    f"DBSSource: {name} = {p[name]} ms; it must be >= 0.")
        if not np.isfinite(p["amplitude"]):
            raise errors.InvalidParameterValueError(
                f"DBSSource: amplitude = {p['amplitude']} nA is not finite.")
        period = max(1, int(round(1000.0 / p["frequency"] / dt)))
        width1 = self._steps("pulse_width", p["pulse_width"])
        gap = width2 = 0
        amplitude2 = 0.0
        if p["biphasic"]:
            w2 = p["pulse_width"] if np.isnan(p["pulse_width2"]) else p["pulse_width2"]
            width2 = self._steps("pulse_width2", w2)
            gap = self._steps("gap", p["gap"], allow_zero=True)
            amplitude2 = (-p["amplitude"] * width1 / width2 if np.isnan(p["amplitude2"])
                          else p["amplitude2"])
        if width1 + gap + width2 > period:
            raise errors.InvalidParameterValueError(
                f"DBSSource: a pulse (pulse_width {width1 * dt:g} + gap {gap * dt:g} + "
                f"pulse_width2 {width2 * dt:g} ms) is longer than the period "
                f"{period * dt:g} ms of {p['frequency']} Hz; lower the frequency or the widths.")
        return dict(amplitude=p["amplitude"], start=p["start"], stop=p["stop"],
                    period=period * dt, width1=width1 * dt, gap=gap * dt, width2=width2 * dt,
                    amplitude2=amplitude2)

    @property
    def delivered_frequency(self) -> float:
        """The pulse rate actually delivered (Hz): the period is a whole number of steps."""
        return 1000.0 / self._native["period"]
