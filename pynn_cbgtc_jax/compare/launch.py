"""Run an unchanged PyNN script on this backend: module aliases, progress line, ``runpy``.

PyNN finds a backend by importing ``pyNN.<name>`` (``pyNN.utility.get_simulator`` does
``import_module("pyNN." + name)``), and PyNN is a regular package, so a separate distribution
cannot add a submodule to it.  The aliases are therefore ``sys.modules`` entries made in the
process that runs the script:

* ``pyNN.cbgtc_jax`` (and ``pyNN.pynn_cbgtc_jax``) always;
* with ``as_=("nest",)`` also ``pyNN.nest`` and ``pyNN.nest.<sub>`` for every imported
  ``pynn_cbgtc_jax.<sub>``, so ``import pyNN.nest as sim`` gets this backend.

Nothing here changes the script; everything is undone when the process ends.
"""
from __future__ import annotations

import os
import runpy
import sys
import time
from typing import Iterable, Sequence

__all__ = ["ALIASES", "STANDS_IN_FOR", "install_aliases", "install_progress", "run_script"]

#: Names under which the backend is always importable as ``pyNN.<name>``.
ALIASES = ("cbgtc_jax", "pynn_cbgtc_jax")
#: PyNN backends this one can stand in for (``--as``).
STANDS_IN_FOR = ("nest", "neuron", "brian2")


def install_aliases(as_: Iterable[str] = ()) -> object:
    """Make the backend importable as ``pyNN.cbgtc_jax`` and, for each name in ``as_``, as
    ``pyNN.<name>`` (with its submodules).  Returns the backend module."""
    import pyNN

    import pynn_cbgtc_jax as backend

    names = list(ALIASES)
    for name in as_:
        if name not in STANDS_IN_FOR:
            raise ValueError(f"--as {name!r}: this backend can stand in for "
                             f"{', '.join(STANDS_IN_FOR)}; give one of these.")
        names.append(name)
    prefix = backend.__name__ + "."
    submodules = {key[len(prefix):]: mod for key, mod in list(sys.modules.items())
                  if key.startswith(prefix) and mod is not None}
    for name in names:
        # A stale real module (e.g. pyNN.nest imported before) must not survive next to us.
        for key in [k for k in sys.modules if k.startswith(f"pyNN.{name}.")]:
            del sys.modules[key]
        sys.modules[f"pyNN.{name}"] = backend
        setattr(pyNN, name, backend)
        for sub, mod in submodules.items():
            sys.modules[f"pyNN.{name}.{sub}"] = mod
    return backend


class _Progress:
    """A one-line progress display on stderr (stdout stays the script's own)."""

    def __init__(self, stream=None, min_interval_s: float = 0.5):
        self.stream = stream or sys.stderr
        self.min_interval_s = min_interval_s
        self._last = 0.0
        self._t0 = None

    def show(self, t: float, t_start: float, t_stop: float, force: bool = False):
        now = time.monotonic()
        if self._t0 is None:
            self._t0 = now
        if not force and now - self._last < self.min_interval_s:
            return
        self._last = now
        span = max(t_stop - t_start, 1e-12)
        frac = min(max((t - t_start) / span, 0.0), 1.0)
        width = 30
        bar = "#" * int(round(frac * width))
        elapsed = now - self._t0
        self.stream.write(f"\r[{bar:<{width}}] {100 * frac:5.1f} %  t = {t:.1f} / "
                          f"{t_stop:.1f} ms  ({elapsed:.1f} s)")
        if frac >= 1.0:
            self.stream.write("\n")
        self.stream.flush()


def install_progress(module, n_updates: int = 50, stream=None) -> None:
    """Wrap ``module.run``/``run_until``/``run_for`` so each call shows a progress line.

    The run is split with PyNN's run callbacks (``run_until(t, callbacks)``) into about
    ``n_updates`` pieces; ``run(a + b)`` equals ``run(a); run(b)`` on this backend, so the
    results do not change.
    """
    run_until_orig = module.run_until
    progress = _Progress(stream)

    def run_until(time_point, callbacks=None):
        t_start = module.get_current_time()
        interval = max((time_point - t_start) / n_updates, module.get_time_step())

        def show(t):
            if t < time_point - 1e-9:
                progress.show(t, t_start, time_point)
            return t + interval

        result = run_until_orig(time_point, list(callbacks or []) + [show])
        progress.show(module.get_current_time(), t_start, time_point, force=True)
        return result

    def run(simtime, callbacks=None):
        return run_until(module.get_current_time() + simtime, callbacks)

    run.__doc__, run_until.__doc__ = module.run.__doc__, run_until_orig.__doc__
    module.run = module.run_for = run
    module.run_until = run_until


def run_script(script: str, args: Sequence[str] = (), as_: Iterable[str] = (),
               progress: bool = False) -> None:
    """Run ``script`` as ``__main__`` with ``sys.argv = [script, *args]`` on this backend.

    ``SystemExit`` raised by the script propagates (its exit status is the caller's).
    """
    if not os.path.isfile(script):
        raise FileNotFoundError(f"no such script: {script!r}")
    backend = install_aliases(as_)
    if progress:
        install_progress(backend)
    script_dir = os.path.dirname(os.path.abspath(script))
    sys.argv = [script, *args]
    # As `python script.py` does: the script's folder first on the path (its own helpers).
    sys.path.insert(0, script_dir)
    runpy.run_path(script, run_name="__main__")
