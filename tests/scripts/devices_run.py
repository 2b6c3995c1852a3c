"""Run the every-feature network (``tests/every_feature_network.py``, plus the random synapse
rules) on simulated CPU devices and save everything it recorded, for ``tests/test_devices.py``.

    python devices_run.py OUT.npz N_HOST_DEVICES DEVICES [MEMBERS]

``N_HOST_DEVICES`` simulated CPU devices (``XLA_FLAGS``, set before JAX starts); ``DEVICES``
is given to ``setup(devices=...)`` ("none" for None); ``MEMBERS`` > 0 makes an ensemble of
that many members (``rng_seed=Batch``).  With ``JAX_NUM_PROCESSES`` (and the other
``JAX_*`` variables of ``processes.py``) in the environment, this is one process of a
distributed run (``setup(distributed=True)``).  The protocol touches what a run can change: run(a),
``set()`` of a parameter and ``initialize()`` between runs, run(b), ``reset()`` and a run in
a second segment.
"""
import os
import sys
from pathlib import Path

out, n_host, devices = sys.argv[1], int(sys.argv[2]), sys.argv[3]
members = int(sys.argv[4]) if len(sys.argv) > 4 else 0
os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "")
                           + f" --xla_force_host_platform_device_count={n_host}")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np                                    # noqa: E402
from pyNN import errors                               # noqa: E402
from pyNN.core import IndexBasedExpression            # noqa: E402

import pynn_cbgtc_jax as sim                          # noqa: E402
from every_feature_network import build               # noqa: E402

devices = None if devices == "none" else int(devices)
distributed = bool(os.environ.get("JAX_NUM_PROCESSES"))      # one of several processes

seeds = {"rng_seed": sim.Batch(list(range(1, members + 1)))} if members else {}
cells, projections = build(sim, precision="float64", devices=devices, **seeds,
                           **({"distributed": True} if distributed else {}))
# the random synapse rules too (their draws are keyed by the synapse's one-device place)
for i, synapse in enumerate((sim.SimpleStochasticSynapse(p=0.5, weight=0.004, delay=0.5),
                             sim.StochasticTsodyksMarkramSynapse(U=0.5, weight=0.004, delay=0.5),
                             sim.MultiQuantalSynapse(n=3, U=0.5, weight=0.004, delay=0.5))):
    projections.append(sim.Projection(cells[3 + i], cells[i], sim.FixedProbabilityConnector(
        0.3, rng=sim.NumpyRNG(seed=7 + i)), synapse, receptor_type="excitatory"))
# connectors whose synapses a process must take in the one-process order: a clone (its random
# weights drawn per synapse), a list, and a view of a population as the target
projections.append(sim.Projection(
    projections[0].pre, projections[0].post, sim.CloneConnector(projections[0]),
    sim.StaticSynapse(weight=sim.RandomDistribution("uniform", (0.001, 0.003),
                                                    rng=sim.NumpyRNG(seed=11)), delay=0.5),
    receptor_type="excitatory"))
projections.append(sim.Projection(cells[4], cells[2], sim.FromListConnector(
    [(i, (3 * i + 1) % 20, 0.001 * (1 + i % 3), 0.5) for i in range(20)],
    column_names=["weight", "delay"]), receptor_type="excitatory"))
projections.append(sim.Projection(cells[6], cells[7][3:17], sim.AllToAllConnector(),
                                  sim.StaticSynapse(weight=0.0005, delay=0.5),
                                  receptor_type="excitatory"))
# a list of weights (one per synapse, every process's, in the one-process order)
projections[-1].set(weight=list(0.0004 + 1e-5 * np.arange(projections[-1].size())))
# NativeRNG connectors and parameters: each target's synapses come from its own counter-based
# stream, so with several processes each process draws only its own targets' synapses
# (Projection._by_column) -- FixedNumberPost (streams per source) draws all, keeps its own


def native(name, **parameters):
    return sim.RandomDistribution(name, rng=sim.NativeRNG(seed=22), **parameters)


for pre, post, connector, synapse in (
        (cells[2], cells[0], sim.FixedProbabilityConnector(0.3, rng=sim.NativeRNG(seed=21)),
         sim.StaticSynapse(weight=native("normal_clipped", mu=0.002, sigma=0.001, low=0.0,
                                         high=0.01), delay=native("uniform", low=0.3, high=1.0))),
        (cells[1], cells[1], sim.FixedNumberPreConnector(
            5, allow_self_connections=False, rng=sim.NativeRNG(seed=21)),
         sim.SimpleStochasticSynapse(p=0.5, weight=native("gamma", k=2.0, theta=0.001),
                                     delay=0.5)),
        (cells[7], cells[6], sim.FixedTotalNumberConnector(60, rng=sim.NativeRNG(seed=21)),
         sim.TsodyksMarkramSynapse(weight=native("lognormal", mu=np.log(0.002), sigma=0.3),
                                   delay=0.5)),
        (cells[4], cells[3], sim.FixedNumberPostConnector(3, rng=sim.NativeRNG(seed=21)),
         sim.StaticSynapse(weight=native("exponential", beta=0.002), delay=0.5)),
        (cells[5], cells[4], sim.DistanceDependentProbabilityConnector(
            "exp(-d / 5)", rng=sim.NativeRNG(seed=21)), sim.StaticSynapse(weight=0.001,
                                                                          delay=0.5)),
        (cells[0], cells[5], sim.AllToAllConnector(),
         sim.StaticSynapse(weight=native("uniform", low=0.0, high=0.0004), delay=0.5))):
    projections.append(sim.Projection(pre, post, connector, synapse,
                                      receptor_type="excitatory"))


class _ByIndex(IndexBasedExpression):
    def __call__(self, i, j):
        return 0.0001 * (1 + i + j)


# values computed per synapse, every synapse onto cell 0 (one process's): the other process's
# blocks hold none of its own
onto_first = np.zeros((20, 20), bool)
onto_first[:5, 0] = True
projections.append(sim.Projection(cells[3], cells[2], sim.ArrayConnector(onto_first),
                                  sim.StaticSynapse(weight=_ByIndex(), delay=0.5),
                                  receptor_type="excitatory"))
sim.run(6.0)
cells[0].set(tau_m=15.0)
cells[6].initialize(v=-60.0)
sim.run(4.0)
sim.reset()
sim.run(5.0)
sim_state = sim.simulator.state.simulation
where = sorted({str(d) for g in getattr(sim_state, "groups", [sim_state])
                for d in getattr(g, "_carry", g.carry).ring.devices()})
saved = {"devices": np.array(where),
         "processes": np.array([sim.rank(), sim.num_processes()])}
for p, pop in enumerate(cells):
    for b, seg in enumerate(pop.get_data().segments):
        saved[f"v_{p}_{b}"] = np.asarray(seg.filter(name="v")[0])
        for i, st in enumerate(seg.spiketrains):
            saved[f"spikes_{p}_{b}_{i}"] = np.asarray(st.magnitude)
if distributed:     # get_data(gather=False): this process's cells only, as pyNN.nest
    for p, pop in enumerate(cells):
        seg = pop.get_data(gather=False).segments[-1]
        saved[f"local_{p}"] = np.array(sorted(int(st.annotations["source_index"])
                                              for st in seg.spiketrains), int)
        saved[f"all_{p}"] = np.arange(pop.size)
for j, prj in enumerate(projections):
    if "weight" in prj.synapse_type.get_parameter_names():
        for m in range(max(members, 1)):
            saved[f"w_{j}_{m}"] = np.asarray(
                prj.get("weight", format="array", **({"member": m} if members else {})))
        if not members:     # every synapse with its address, in the one-process order
            saved[f"wlist_{j}"] = np.asarray(prj.get(["weight", "delay"], format="list"))
    if distributed:         # this process holds only the synapses onto its own cells
        saved[f"nsyn_{j}"] = np.array([len(prj), prj.size(gather=False), prj.size()])
        saved[f"bycol_{j}"] = np.array(prj._by_column)
if distributed:
    # a value refused where its synapse lives (a delay below the minimum onto cell 0, drawn
    # only by the process that owns cell 0): every process raises, none waits in a collective
    class _ShortOntoFirst(IndexBasedExpression):
        def __call__(self, i, j):
            return np.where(j == 0, 0.01, 0.5)
    try:
        sim.Projection(cells[0], cells[1], sim.AllToAllConnector(),
                       sim.StaticSynapse(weight=0.0001, delay=_ShortOntoFirst()),
                       receptor_type="excitatory")
        saved["proc_error"] = np.array("none")
    except errors.ConnectionError as e:
        saved["proc_error"] = np.array(str(e))
if distributed:     # a checkpoint needs the whole network's state, which no process holds
    try:
        sim.checkpoint(out + ".ckpt")
        saved["proc_checkpoint"] = np.array("written")
    except errors.InvalidParameterValueError as e:
        saved["proc_checkpoint"] = np.array(str(e))
np.savez(out, **saved)
