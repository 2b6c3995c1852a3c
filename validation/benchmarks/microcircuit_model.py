"""The Potjans & Diesmann (2014) cortical microcircuit, written against the plain PyNN API.

Potjans TC, Diesmann M (2014) The cell-type specific cortical microcircuit: relating structure
and activity in a full-scale spiking network model.  Cereb Cortex 24:785-806,
doi:10.1093/cercor/bhs358 (tables 4 and 5).  Written for ``bench_microcircuit.py`` from the
published parameters; the semantics of scaling, synapse numbers and the DC compensation follow
the reference implementations (NEST's ``pynest/examples/Potjans_2014`` and PyNN's
``examples/Potjans2014``), whose code is not reused here.

The model, at full scale (``n_scale = k_scale = 1``):

* 8 populations of ``IF_curr_exp`` cells (4 layers x excitatory / inhibitory, 77,169 cells):
  tau_m 10 ms, C_m 250 pF, E_L = V_reset = -65 mV, V_th -50 mV, t_ref 2 ms, exponential
  current synapses with tau_syn 0.5 ms.  Initial V ~ N(-58, 10) mV (the reference
  implementations' "original" initial condition).
* Recurrent synapses: for each pair (target, source) of populations the total number
  ``K = log(1 - C) / log(1 - 1 / (N_pre N_post))`` that gives the connection probability C of
  table 5 when sources and targets are drawn at random with multapses
  (``FixedTotalNumberConnector``, PyNN's default ``with_replacement=True``).  Weights
  N(w, 0.1 |w|) clipped to their sign, w = 87.8 pA for excitatory sources (doubled for
  L4E -> L2/3E), g w = -351.2 pA for inhibitory ones; delays N(1.5, 0.75) ms (excitatory
  sources) and N(0.75, 0.375) ms (inhibitory), redrawn below one time step.
* Background: each cell gets ``K_ext`` external synapses of 87.8 pA, each carrying an 8 Hz
  Poisson train -- one ``SpikeSourcePoisson`` per cell at ``8 K_ext`` Hz, one-to-one, delay
  1.5 ms -- or, with ``drive="dc"``, the mean of that input as a constant current
  ``8 Hz K_ext w tau_syn``.

Scaling.  ``n_scale`` multiplies every population size and every total synapse number, so each
cell keeps its full-scale in-degree (sources drawn from a smaller population): the mean and
variance of every cell's input are those of the full model, and no compensation is needed.
``k_scale < 1`` divides the in-degrees (recurrent and ``K_ext``) by ``1 / k_scale``,
multiplies every weight by ``1 / sqrt(k_scale)`` (keeps the input variance) and adds the DC
current that restores the mean input, computed from the full-scale rates ``FULL_MEAN_RATES``
(the reference implementations' scheme; it was not part of the 2014 study).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["POPULATIONS", "N_FULL", "CONN_PROBS", "K_EXT", "FULL_MEAN_RATES", "CELL",
           "W_MEAN", "G", "W_REL_SD", "BG_RATE", "DELAY_MEAN", "DELAY_REL_SD",
           "POISSON_DELAY", "V0_MEAN", "V0_SD", "MAX_DELAY", "Scaled", "full_synapse_numbers",
           "scaled", "build"]

POPULATIONS = ("L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I")

#: cells per population at full scale (table 5)
N_FULL = np.array([20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948])

#: connection probabilities C[target, source] (table 5; rows and columns in POPULATIONS order)
CONN_PROBS = np.array([
    # L23E    L23I    L4E     L4I     L5E     L5I     L6E     L6I        <- source
    [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0,    0.0076, 0.0],      # L23E target
    [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0,    0.0042, 0.0],      # L23I
    [0.0077, 0.0059, 0.0497, 0.1350, 0.0067, 0.0003, 0.0453, 0.0],      # L4E
    [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0,    0.1057, 0.0],      # L4I
    [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],      # L5E
    [0.0548, 0.0269, 0.0257, 0.0022, 0.0600, 0.3158, 0.0086, 0.0],      # L5I
    [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],   # L6E
    [0.0364, 0.0010, 0.0034, 0.0005, 0.0277, 0.0080, 0.0658, 0.1443],   # L6I
])

#: external (background) in-degree per cell (table 5, layer-specific indegrees)
K_EXT = np.array([1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100])

#: rates (Hz) of one full-scale network (NEST's and PyNN's reference implementations: "precise
#: values differ somewhat between network realizations"): the DC compensation of
#: ``k_scale < 1`` uses them, and the benchmark prints them as the reference
FULL_MEAN_RATES = np.array([0.971, 2.868, 4.746, 5.396, 8.142, 9.078, 0.991, 7.523])

#: IF_curr_exp parameters in PyNN units (table 5: C_m 250 pF, tau_m 10 ms, ...)
CELL = dict(cm=0.25,            # nF
            tau_m=10.0,         # ms
            v_rest=-65.0,       # mV, E_L
            v_reset=-65.0,      # mV
            v_thresh=-50.0,     # mV
            tau_refrac=2.0,     # ms
            tau_syn_E=0.5,      # ms
            tau_syn_I=0.5,      # ms
            i_offset=0.0)       # nA

W_MEAN = 87.8e-3        # nA: mean PSC amplitude of an excitatory synapse (87.8 pA)
W_L4E_L23E = 2.0        # factor of the L4E -> L2/3E weight
G = -4.0                # inhibitory weight relative to W_MEAN
W_REL_SD = 0.1          # SD of the weights relative to their mean
BG_RATE = 8.0           # Hz per external synapse
DELAY_MEAN = {"E": 1.5, "I": 0.75}     # ms, by source type
DELAY_REL_SD = 0.5      # SD of the delays relative to their mean
POISSON_DELAY = 1.5     # ms: background synapses (NEST's reference implementation)
V0_MEAN, V0_SD = -58.0, 10.0           # mV: initial membrane potential
MAX_DELAY = 10.0        # ms: setup(max_delay); delays above are redrawn (11 SD above the mean)


def full_synapse_numbers() -> np.ndarray:
    """Total synapses K[target, source] of the full-scale model: with K synapses drawn at random
    among N_pre N_post pairs, a pair is connected at least once with probability
    ``1 - (1 - 1/(N_pre N_post))^K = C``."""
    pairs = np.outer(N_FULL, N_FULL).astype(float)
    with np.errstate(divide="ignore"):
        return np.log1p(-CONN_PROBS) / np.log1p(-1.0 / pairs)


def _weights() -> np.ndarray:
    """Mean weights w[target, source] in nA (negative for inhibitory sources)."""
    w = np.empty((len(POPULATIONS),) * 2)
    w[:, 0::2] = W_MEAN
    w[:, 1::2] = G * W_MEAN
    w[POPULATIONS.index("L23E"), POPULATIONS.index("L4E")] *= W_L4E_L23E
    return w


@dataclass(frozen=True)
class Scaled:
    """The model at one scale; arrays are in ``POPULATIONS`` order (targets first)."""

    n_scale: float
    k_scale: float
    drive: str                  # "poisson" or "dc"
    sizes: np.ndarray           # int [8] cells per population
    synapses: np.ndarray        # int [8, 8] total synapses per projection (target, source)
    weights: np.ndarray         # [8, 8] nA, mean weight per projection
    k_ext: np.ndarray           # int [8] background synapses per cell
    w_ext: float                # nA, weight of a background synapse
    dc: np.ndarray              # [8] nA, constant current per cell (i_offset)


def scaled(n_scale: float = 1.0, k_scale: float = 1.0, drive: str = "poisson") -> Scaled:
    """Population sizes, synapse numbers, weights and DC currents at ``n_scale`` cells and
    ``k_scale`` in-degrees; ``drive``: "poisson" background or its mean as "dc"."""
    if drive not in ("poisson", "dc"):
        raise ValueError(f"drive={drive!r}: use 'poisson' or 'dc'")
    if not (0.0 < n_scale <= 1.0 and 0.0 < k_scale <= 1.0):
        raise ValueError(f"n_scale={n_scale}, k_scale={k_scale}: both must be in (0, 1]")
    k_full = full_synapse_numbers()
    w, w_ext = _weights(), W_MEAN
    tau_syn = CELL["tau_syn_E"]
    # the mean background current as a DC: rate x in-degree x charge of one PSC (w tau_syn)
    dc = (np.zeros(len(POPULATIONS)) if drive == "poisson"
          else BG_RATE * K_EXT * w_ext * tau_syn * 1e-3)          # Hz x nA x ms -> nA
    if k_scale != 1.0:
        # weights x 1/sqrt(k) keep the input variance; the DC restores the mean input lost
        # with the in-degrees: (1 - sqrt(k)) x the full model's mean input
        indegree = k_full / N_FULL[:, None]
        mean_input = (w * indegree * FULL_MEAN_RATES[None, :]).sum(axis=1)   # nA x Hz
        if drive == "poisson":
            mean_input = mean_input + w_ext * K_EXT * BG_RATE
        dc = dc + 1e-3 * tau_syn * (1.0 - np.sqrt(k_scale)) * mean_input    # ms x Hz -> 1
        w, w_ext = w / np.sqrt(k_scale), w_ext / np.sqrt(k_scale)
    return Scaled(n_scale=n_scale, k_scale=k_scale, drive=drive,
                  sizes=np.round(N_FULL * n_scale).astype(int),
                  synapses=np.round(k_full * n_scale * k_scale).astype(int),
                  weights=w, k_ext=np.round(K_EXT * k_scale).astype(int), w_ext=w_ext, dc=dc)


def build(sim, model: Scaled, seed: int, dt: float, record: bool):
    """Create the populations, background and projections on ``sim`` (after ``setup()``).

    Returns ``(populations, projections)``: a dict label -> Population of model cells, and the
    list of every projection.  Four ``NumpyRNG``s seeded from ``seed`` draw the connections,
    the weights, the delays and the initial potentials, so a backend that follows PyNN's
    random-number semantics builds the same network as pyNN.nest."""
    from pyNN.random import NumpyRNG, RandomDistribution

    conn_rng, w_rng, d_rng, v_rng = (NumpyRNG(seed=seed + i) for i in range(4))
    pops = {}
    for label, size, dc in zip(POPULATIONS, model.sizes, model.dc):
        pop = sim.Population(int(size), sim.IF_curr_exp(**dict(CELL, i_offset=float(dc))),
                             label=label)
        pop.initialize(v=RandomDistribution("normal", mu=V0_MEAN, sigma=V0_SD, rng=v_rng))
        if record:
            pop.record("spikes")
        pops[label] = pop
    projections = []
    if model.drive == "poisson":
        for label, k_ext in zip(POPULATIONS, model.k_ext):
            pop = pops[label]
            bg = sim.Population(pop.size, sim.SpikeSourcePoisson(rate=BG_RATE * float(k_ext)),
                                label=label + "_bg")
            projections.append(sim.Projection(
                bg, pop, sim.OneToOneConnector(),
                sim.StaticSynapse(weight=model.w_ext, delay=POISSON_DELAY),
                receptor_type="excitatory", label=label + "_bg->" + label))
    for t, target in enumerate(POPULATIONS):
        for s, source in enumerate(POPULATIONS):
            n = int(model.synapses[t, s])
            if n == 0:
                continue
            w = float(model.weights[t, s])
            excitatory = source.endswith("E")
            # weights keep their sign: PyNN wants negative current-based inhibitory weights
            weight = RandomDistribution("normal_clipped", mu=w, sigma=abs(w) * W_REL_SD,
                                        low=0.0 if excitatory else -np.inf,
                                        high=np.inf if excitatory else 0.0, rng=w_rng)
            d = DELAY_MEAN[source[-1]]
            delay = RandomDistribution("normal_clipped", mu=d, sigma=d * DELAY_REL_SD,
                                       low=dt, high=MAX_DELAY, rng=d_rng)
            projections.append(sim.Projection(
                pops[source], pops[target], sim.FixedTotalNumberConnector(n, rng=conn_rng),
                sim.StaticSynapse(weight=weight, delay=delay),
                receptor_type="excitatory" if excitatory else "inhibitory",
                label=source + "->" + target))
    return pops, projections
