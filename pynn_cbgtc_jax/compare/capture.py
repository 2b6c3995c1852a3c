"""Run a PyNN script on one backend in this process and keep every Neo block it records.

Used as ``python -m pynn_cbgtc_jax.compare.capture --backend nest --out DIR SCRIPT [ARGS...]``
by :func:`pynn_cbgtc_jax.compare.compare_script`, once per simulator, each in its own
process.  ``--backend neuron`` runs the script on pyNN.neuron: PyNN's NMODL mechanisms are
compiled first if needed (``neuron_mechanisms``), and ``pyNN.nest`` is pyNN.neuron in that
process, so a script written for pyNN.nest runs unchanged.  The script is not changed; the
hooks are:

* ``pyNN.recording.Recorder.get`` (behind ``get_data``, ``write_data``, ``Assembly.get_data``
  and ``end()``'s deferred writes): before the script's own call, a snapshot of *all*
  variables of *all* recorded cells of that population is taken, so data the script only
  looked at through a view, a variable subset or ``clear=True`` is still captured whole;
* ``setup()`` and ``end()`` of the backend module, and the end of the script: snapshots of every
  recorder still holding data (scripts that never call ``get_data``);
* ``pyNN.common.Population.__init__`` and every current-source class's ``__init__``: the cell
  and current-source types used (a script with Poisson sources or noise is compared statistically).

The latest snapshot of each population wins (a population's data grows with the run).  Blocks
are keyed by population label; a script that calls ``setup()`` several times gets keys
``"<label>#<k>"`` for its k-th simulation (k from 1), so the same labels in different
simulations stay apart; two populations with one label in one simulation are ``label`` and
``label~2``.  Output in ``DIR``: ``blocks.pkl`` (``{key: neo.Block}``) and
``meta.json`` (with ``no_data``: why a run that ended normally left no block, e.g. "the
script recorded nothing").
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import sys
import time
import traceback

__all__ = ["main", "BACKENDS", "STOCHASTIC_TYPES"]

#: --backend value -> how the script's simulator is provided.
BACKENDS = ("nest", "neuron", "cbgtc_jax")
#: Cell and current-source types whose output cannot match spike for spike across simulators.
STOCHASTIC_TYPES = frozenset({
    "SpikeSourcePoisson", "SpikeSourceGamma", "SpikeSourceInhGamma",
    "SpikeSourcePoissonRefractory", "NoisyCurrentSource"})


class _Capture:
    """The hooks' shared state: snapshots, types used, the simulation (setup) counter."""

    def __init__(self):
        self.blocks = {}            # (world, label) -> neo.Block
        self.seen = {}              # id(recorder) -> (world, t, segment_counter)
        self.world = 0
        self.types = set()
        self.modules = []           # backend modules whose state we snapshot
        self.n_populations = 0      # populations created (for the "no data" reason)
        self.recorded = False       # some population had record() called
        self.t_max = 0.0            # latest simulation time seen (ms)

    def snapshot(self, recorder, get):
        if not any(recorder.recorded.values()):
            return
        self.recorded = True
        state = recorder._simulator.state
        self.t_max = max(self.t_max, float(state.t))
        key = (self.world, float(state.t), int(state.segment_counter), bool(state.running))
        if self.seen.get(id(recorder)) == key:
            return
        try:
            block = get(recorder, "all", gather=True, filter_ids=None, clear=False)
        except (IndexError, KeyError):
            return                  # nothing recorded yet (no segment), or data already gone
        self.seen[id(recorder)] = key
        self.blocks[(self.world, self._label(recorder))] = block

    def _label(self, recorder):
        """The population label, made unique within one simulation: populations sharing a
        label are ``label``, ``label~2``, ... in the order they were created (by first ID)."""
        label = recorder.population.label
        state = recorder._simulator.state
        same = {id(r): int(r.population.first_id) for r in getattr(state, "recorders", ())
                if r.population.label == label}
        same[id(recorder)] = int(recorder.population.first_id)
        n = sorted(same.values()).index(same[id(recorder)])
        return label if n == 0 else f"{label}~{n + 1}"

    def snapshot_all(self, get):
        for module in self.modules:
            for recorder in list(getattr(module.simulator.state, "recorders", ())):
                self.snapshot(recorder, get)

    def keyed_blocks(self):
        worlds = sorted({w for w, _ in self.blocks})
        out = {}
        for (world, label), block in self.blocks.items():
            key = label if len(worlds) <= 1 else f"{label}#{worlds.index(world) + 1}"
            block.annotate(compare_key=key)
            out[key] = block
        return out


def _install_hooks(cap: _Capture, module, setup_defaults: dict):
    """Wrap the recorder, population and current-source classes and ``module.setup/end``."""
    from pyNN import recording
    from pyNN.common import populations
    from pyNN.standardmodels import StandardCurrentSource

    get_orig = recording.Recorder.get

    def get(self, variables, gather=False, filter_ids=None, clear=False, annotations=None,
            locations=None):
        cap.snapshot(self, get_orig)
        return get_orig(self, variables, gather=gather, filter_ids=filter_ids, clear=clear,
                        annotations=annotations, locations=locations)

    recording.Recorder.get = get

    init_orig = populations.Population.__init__

    def population_init(self, *args, **kwargs):
        init_orig(self, *args, **kwargs)
        cap.n_populations += 1
        cap.types.add(type(self.celltype).__name__)

    populations.Population.__init__ = population_init

    # Every current-source class (mixins included) gets its own __init__ wrapper.
    def _subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from _subclasses(sub)

    for cls in {StandardCurrentSource, *_subclasses(StandardCurrentSource)}:
        def source_init(self, *args, _orig=cls.__init__, **kwargs):
            cap.types.add(type(self).__name__)
            _orig(self, *args, **kwargs)
        cls.__init__ = source_init

    setup_orig, end_orig = module.setup, module.end

    def setup(*args, **kwargs):
        cap.snapshot_all(get_orig)
        cap.world += 1
        for key, value in setup_defaults.items():
            if key == "integration_scheme" and kwargs.get(
                    "precision", setup_defaults.get("precision")) != "float64":
                continue        # NEST's scheme is the exact-comparison default in float64 only
            kwargs.setdefault(key, value)
        return setup_orig(*args, **kwargs)

    def end(*args, **kwargs):
        cap.snapshot_all(get_orig)
        return end_orig(*args, **kwargs)

    setup.__doc__, end.__doc__ = setup_orig.__doc__, end_orig.__doc__
    module.setup, module.end = setup, end
    cap.modules.append(module)
    return get_orig


def _prepare_backend(backend: str, precision: str | None, nest_spike_precision: str | None,
                     integration_scheme: str | None = None):
    """Import the backend the script will get and return it with its setup() defaults."""
    if backend == "nest":
        os.environ.setdefault("PYNEST_QUIET", "1")
        import pyNN.nest as module
        defaults = {"spike_precision": nest_spike_precision} if nest_spike_precision else {}
        return module, defaults
    if backend == "neuron":
        return _prepare_neuron(), {}
    from .launch import STANDS_IN_FOR, install_aliases
    module = install_aliases(STANDS_IN_FOR)
    defaults = {"precision": precision} if precision else {}
    if integration_scheme:
        defaults["integration_scheme"] = integration_scheme
    return module, defaults


def _prepare_neuron():
    """pyNN.neuron, with its mechanisms compiled and standing in for ``pyNN.nest``."""
    import pyNN

    from .neuron_mechanisms import ensure_mechanisms
    ensure_mechanisms()
    import pyNN.neuron as module
    for key in [k for k in sys.modules if k == "pyNN.nest" or k.startswith("pyNN.nest.")]:
        del sys.modules[key]
    for key, mod in list(sys.modules.items()):
        if key == "pyNN.neuron" or key.startswith("pyNN.neuron."):
            sys.modules["pyNN.nest" + key[len("pyNN.neuron"):]] = mod
    pyNN.nest = module
    return module


def run_captured(script: str, args, backend: str, out_dir: str, precision: str | None = None,
                 nest_spike_precision: str | None = "on_grid",
                 integration_scheme: str | None = None) -> int:
    """Run ``script`` on ``backend`` in this process; write ``blocks.pkl`` and ``meta.json``.

    Returns the script's exit status (0 when it returned normally).
    """
    import runpy
    if backend not in BACKENDS:
        raise ValueError(f"backend {backend!r}: allowed values are {', '.join(BACKENDS)}")
    os.makedirs(out_dir, exist_ok=True)
    cap = _Capture()
    module, defaults = _prepare_backend(backend, precision, nest_spike_precision,
                                        integration_scheme)
    get_orig = _install_hooks(cap, module, defaults)
    sys.argv = [script, *args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    status, error = 0, None
    t0 = time.perf_counter()
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as exc:
        code = exc.code
        status = code if isinstance(code, int) else (0 if code is None else 1)
        if status:
            error = f"SystemExit({code!r})"
    except BaseException:                             # noqa: BLE001 - reported to the parent
        status, error = 1, traceback.format_exc()
        traceback.print_exc()
    wall = time.perf_counter() - t0
    cap.snapshot_all(get_orig)
    blocks = cap.keyed_blocks()
    with open(os.path.join(out_dir, "blocks.pkl"), "wb") as f:
        pickle.dump(blocks, f, protocol=pickle.HIGHEST_PROTOCOL)
    meta = {"backend": backend, "module": module.__name__,
            "simulator": getattr(module.simulator, "name", module.__name__),
            "script": script, "args": list(args), "status": status, "error": error,
            "wall_s": wall, "types": sorted(cap.types),
            "stochastic": sorted(cap.types & STOCHASTIC_TYPES),
            "setup_defaults": defaults, "populations": sorted(blocks),
            "no_data": None if blocks else _no_data_reason(cap)}
    with open(os.path.join(out_dir, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    return status


def _no_data_reason(cap: _Capture) -> str:
    """Why a run that returned normally left no Neo block (for the parent's error message)."""
    if cap.n_populations == 0:
        return "the script created no population (check its arguments)"
    if not cap.recorded:
        return (f"the script recorded nothing: none of its {cap.n_populations} population(s) "
                f"had record() called")
    if cap.t_max <= 0.0:
        return "record() was called but the simulation never ran (no run() call)"
    return "no Neo block captured: the recorded data could not be read back"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pynn_cbgtc_jax.compare.capture",
        description="Run a PyNN script on one backend and pickle every Neo block it records.")
    parser.add_argument("--backend", required=True, choices=BACKENDS)
    parser.add_argument("--out", required=True, help="folder for blocks.pkl and meta.json")
    parser.add_argument("--precision", choices=["float32", "float64"],
                        help="cbgtc_jax: default setup(precision=...) (the script's own wins)")
    parser.add_argument("--integration-scheme", choices=["nest", "rk4"],
                        help="cbgtc_jax: default setup(integration_scheme=...) when the run is "
                             "in float64 (the script's own wins)")
    parser.add_argument("--nest-spike-precision", default="on_grid",
                        choices=["on_grid", "off_grid", "script"],
                        help="nest: default setup(spike_precision=...); 'script' leaves the "
                             "script's and pyNN.nest's own default (off_grid)")
    parser.add_argument("script")
    parser.add_argument("args", nargs=argparse.REMAINDER)
    ns = parser.parse_args(argv)
    sp = None if ns.nest_spike_precision == "script" else ns.nest_spike_precision
    return run_captured(ns.script, ns.args, ns.backend, ns.out, ns.precision, sp,
                        ns.integration_scheme)


if __name__ == "__main__":
    sys.exit(main())
