"""The compiler's input is plain data exported by the PyNN layer (``export.py``,
``compiler/inputs.py``): the compiler imports no pyNN, a build needs nothing but the exported
``Network``, and views, assemblies and ID lists are resolved to (population, cell) pairs.

References: the import direction of docs/architecture.md (PyNN layer -> compiler); the build
made by ``run()`` itself (bitwise); PyNN's own cell ids of views and assemblies.
"""
import subprocess
import sys
from pathlib import Path

import jax
import numpy as np

from pynn_cbgtc_jax import simulator
from pynn_cbgtc_jax.compiler.build import build_network
from pynn_cbgtc_jax.export import export_network

_ROOT = Path(__file__).resolve().parents[1]

_IMPORTS = """
import sys, types, importlib
pkg = types.ModuleType("pynn_cbgtc_jax")       # the modules alone, not the PyNN namespace
pkg.__path__ = [sys.argv[1]]
sys.modules["pynn_cbgtc_jax"] = pkg
for name in ("inputs", "build", "footprint", "memory"):
    importlib.import_module("pynn_cbgtc_jax.compiler." + name)
parts = [m.split(".") for m in sys.modules]
print(sorted(".".join(p) for p in parts if p[0] == "pyNN" or p[0] == "pynn_cbgtc_jax"
             and len(p) > 1 and p[1] not in ("compiler", "engine", "kernels")))
"""


def test_compiler_imports_no_pynn():
    """compiler/ imports neither pyNN nor a module of the PyNN layer (populations, simulator,
    export, ...): only the engine's tables and the kernels below it."""
    out = subprocess.run([sys.executable, "-c", _IMPORTS, str(_ROOT / "pynn_cbgtc_jax")],
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def _network(sim):
    sim.setup(timestep=0.1, min_delay=0.1, rng_seed=5)
    a = sim.Population(12, sim.IF_cond_exp())
    b = sim.Population(7, sim.IF_cond_alpha())
    c = sim.Population(9, sim.IF_cond_exp())
    s = sim.Population(12, sim.SpikeSourcePoisson(rate=80.0))
    pre, post = a[2:6], b + c[1:4]
    prj = sim.Projection(pre, post, sim.AllToAllConnector(),
                         sim.TsodyksMarkramSynapse(weight=0.01, delay=0.5),
                         receptor_type="excitatory")
    sim.Projection(s, a, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.02, delay=1.0))
    dc = sim.DCSource(amplitude=0.2, start=1.0, stop=8.0)
    dc.inject_into(c[::2])
    dc.record()
    a.record(["spikes", "v"])
    c[:3].record("gsyn_exc")
    return (a, b, c, s), prj, dc


def test_export_resolves_views_assemblies_and_ids(sim):
    (a, b, c, s), prj, dc = _network(sim)
    network = export_network(simulator.state)
    data = network.projections[0]
    assert [p.index for p in network.populations] == [0, 1, 2, 3]
    first = np.array([p.first_id for p in network.populations])

    def ids(population, cells):
        return first[population] + cells

    pre_ids = np.array([int(prj.pre[i]) for i in prj._pre])      # PyNN's own ids
    post_ids = np.array([int(prj.post[i]) for i in prj._post])
    assert np.array_equal(ids(data.pre_population, data.pre_cells), pre_ids)
    assert np.array_equal(ids(data.post_population, data.post_cells), post_ids)
    assert set(np.unique(data.post_population)) == {1, 2}
    assert data.rule == "tsodyks_markram" and data.size == 4 * 10
    assert np.array_equal(data.weight, np.full(40, 0.01))
    (src,) = network.sources
    (target, cells), = src.targets
    assert src.waveform == "dc" and src.recording and target == 2
    assert np.array_equal(ids(target, cells), [int(i) for i in c[::2]])
    a_data, c_data = network.populations[0], network.populations[2]
    assert a_data.kind == "IF_cond_exp" and a_data.model is a.celltype.kernel
    assert np.array_equal(a_data.spikes, np.arange(12))
    assert [(r.name, r.recordable, list(r.cells)) for r in a_data.signals] == [
        ("v", "v", list(range(12)))]
    assert [(r.name, list(r.cells)) for r in c_data.signals] == [("gsyn_exc", [0, 1, 2])]
    assert network.populations[3].model is None
    assert network.populations[3].kind == "SpikeSourcePoisson"


def test_build_needs_only_the_exported_data(sim):
    """A build from the exported ``Network`` alone -- after ``setup()`` has discarded every
    PyNN object it came from -- is bitwise the build ``run()`` made."""
    _network(sim)
    sim.run(1.0)
    made = simulator.state.simulation.build
    network = export_network(simulator.state)
    sim.setup()                      # a new simulation: the old objects are gone
    again = build_network(network)
    assert again.spec == made.spec
    leaves = [np.asarray(x) for x in jax.tree_util.tree_leaves(again.data)]
    expected = [np.asarray(x) for x in jax.tree_util.tree_leaves(made.data)]
    assert len(leaves) == len(expected)
    for x, y in zip(leaves, expected):
        assert x.dtype == y.dtype and np.array_equal(x, y)
    assert again.populations == made.populations == (0, 1, 2, 3)
    assert again.sources == made.sources == (0,)
    assert [(r, m) for r, m, _ in again.syn_groups] == [(r, m) for r, m, _ in made.syn_groups]
