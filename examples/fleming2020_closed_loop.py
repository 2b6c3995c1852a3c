"""Fleming, Dunn & Lowery 2020's cortico-basal ganglia network with closed-loop DBS, on this
backend (issue 17; specification: docs/design/fleming2020.md).

    python examples/fleming2020_closed_loop.py [--cells 100] [--warmup 2000] [--duration 2000]
        [--conditions off open pi_amplitude pi_frequency on_off dual_threshold p_amplitude]
        [--dt 0.01] [--seed 3695] [--seeds 1] [--no-figure]

Seven populations of ``--cells`` each: the multi-compartment cortical pyramidal cell
(``Cortex_Pospischil2008``), cortical interneurons, STN (Otsuka), GPe and GPi (Hahn &
McIntyre), thalamus and striatal Poisson spike trains (3 Hz); Destexhe AMPA/GABAa synapses;
connectivity regenerated from the statistics of the authors' connection files (in-degrees,
weights, delays: docs section 3.1); membrane noise and the cortical beta modulation current
(docs 3.4-3.5).  DBS: a point-source electrode at (0, 0, 250) um acting on the cortical
collaterals (cathodic, 130 Hz, 60 us).  The STN LFP between contacts at (0, +-1500, 250) um
feeds the biomarker; each condition runs a ``sim.ClosedLoop`` from the end of the warm-up
(+20 ms) with its controller: ``off`` (constant 0 mA), ``open`` (constant 2.5 mA), Fleming's
on-off, dual-threshold, P and PI amplitude controllers and the PI frequency controller (at 1.5
mA).  Every condition is one member of one ensemble: the conditions differ only in the
controller's numbers, except the frequency controller, which runs in a second program.

``--seeds K``: every condition K times, seeds ``seed, seed + 1, ...``, each with its own noise,
striatal trains and beta modulation signal (the paper's runs differ so: ten modulation
signals) -- all members of the same ensembles, K times the members; the structure
(connectivity, positions, the GPe cells' order) is the ``--seed``'s for all.  Then one more
JSON line per condition: ``"seeds": K`` with the mean and standard deviation over the seeds of
the biomarker and of each population's rate.

Prints, per condition, one JSON object per line: ``condition``, ``beta_arv`` (mean biomarker
over the calls, mV), ``mean_amplitude_mA``, ``mean_frequency_Hz``, population rates, ``rtf``
(wall seconds per simulated second of the whole ensemble run, warm-up included, divided by
the number of members), and writes ``output/fleming2020_closed_loop.png`` (biomarker and
output at every call).

The GPe also receives Fleming's intracellular DBS pulses (100 nA, 60 us, with the cortical
pulses), in as many cells as his table gives for the amplitude in effect (``ClosedLoop``'s
``recruits``; under the frequency controller the cells his 1.5 mA reaches, pulsing at the
controlled rate); cortex -> interneuron synapses read the axon's node 5 (-10 mV,
``source="middle_axon_node"``), the others the collateral.  Not yet (docs section 10): the
authors' fixed segment numbers (d_lambda here).
"""
from __future__ import annotations

import argparse
import json
import pathlib
import time

import numpy as np

import pynn_cbgtc_jax as sim

ROOT = pathlib.Path(__file__).resolve().parents[1]
SETPOINT = 1.0414e-4
#: the conditions that differ only in a PIDController's numbers: one ensemble, one program
ENSEMBLE = ("off", "open", "p_amplitude", "pi_amplitude")
CONDITIONS = ENSEMBLE + ("on_off", "dual_threshold", "pi_frequency")


def positions(n, rng, half_width, min_x, z):
    """(x, y, z) um in a square, keeping |x| >= min_x where y > -1500 (clear of the lead)."""
    out = []
    while len(out) < n:
        x, y = rng.uniform(-half_width, half_width, 2)
        if y > -1500 and abs(x) < min_x:
            continue
        out.append((x, y, z))
    return np.array(out).T


def beta_modulation(rng, t_start, t_stop):
    """Fleming's cortical modulation: 0 nA 'bursts' of 100-1000 ms and -0.02 nA dips of
    300 ms, alternating (docs 3.5)."""
    times, amps, t = [t_start], [0.0], t_start
    while t < t_stop:
        t += rng.uniform(100.0, 1000.0)
        times.append(t)
        amps.append(-0.02)
        t += 300.0
        times.append(t)
        amps.append(0.0)
    return times, amps


#: the DBS amplitude (mA) of Fleming's frequency controller
FREQUENCY_MA = 1.5
#: Fleming's GPe recruitment (docs 4.3): DBS amplitude (mA) -> number of GPe cells pulsed
RECRUIT_MA = (0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 3.0)
RECRUIT_CELLS = (0, 1, 4, 8, 19, 30, 43, 59, 82, 100)


def gpe_recruits(gpe, rng, fixed_ma=None):
    """One 100 nA, 60 us, 130 Hz pulse train per GPe cell, in a fixed random order; the cell
    of rank r is pulsed while the amplitude reaches the one at which Fleming's table gives more
    than r cells (his int(interp(A)) >= r + 1).  ``fixed_ma``: a frequency loop at that fixed
    amplitude -- the cells it reaches pulse with the loop's rate (threshold 0 Hz), no others."""
    order = rng.permutation(gpe.size)
    scale = gpe.size / 100.0                      # his table is for 100 cells
    recruits = []
    for rank, cell in enumerate(order):
        threshold = float(np.interp((rank + 1) / scale, RECRUIT_CELLS, RECRUIT_MA))
        if fixed_ma is not None:
            if threshold > fixed_ma + 1e-9:
                continue
            threshold = 0.0
        source = sim.DBSSource(amplitude=100.0, frequency=130.0, pulse_width=0.06)
        source.inject_into(gpe[int(cell):int(cell) + 1])
        recruits.append((source, threshold))
    return recruits


def _per_member(values):
    """One value per ensemble member: a Batch, or the value itself when all are the same."""
    return values[0] if all(v == values[0] for v in values) else sim.Batch(list(values))


def modulations(rng, seeds, start, stop, args):
    """Per member (its seed) the beta modulation's (times, amplitudes): the ``--seed``'s from
    ``rng`` (as a single run draws it), the others from their own seeds; padded to one length
    with steps after ``stop`` (a Batch of lists must keep the members' structure equal)."""
    drawn = {}
    for seed in dict.fromkeys(seeds):
        drawn[seed] = beta_modulation(rng if seed == args.seed else np.random.default_rng(seed),
                                      start, stop)
    longest = max(len(times) for times, _ in drawn.values())
    for seed, (times, amps) in drawn.items():
        extra = longest - len(times)
        drawn[seed] = (times + [stop + 1.0 + k for k in range(extra)], amps + [0.0] * extra)
    return [drawn[s] for s in seeds]


def build(args, controller, target="amplitude", seeds=None):
    """The network, its LFP and closed loop; returns the populations and the loop.
    ``seeds``: each ensemble member's seed (noise, striatum, modulation), or None: one
    network of ``--seed``."""
    seeds = list(seeds or [args.seed])
    sim.setup(timestep=args.dt, min_delay=1.0, max_delay=5.0, rng_seed=_per_member(seeds))
    rng = np.random.default_rng(args.seed)
    n = args.cells
    cortex = sim.Population(n, sim.Cortex_Pospischil2008(), label="cortex",
                            initial_values={"v": -68.0})
    cortex.positions = positions(n, rng, 3000.0, 700.0, 0.0)
    interneurons = sim.Population(n, sim.Interneuron_Pospischil2008(i_offset=0.07),
                                  label="interneurons", initial_values={"v": -68.0})
    stn = sim.Population(n, sim.STN_Otsuka2004(i_offset=-0.125), label="stn",
                         initial_values={"v": -68.0})
    stn.positions = positions(n, rng, 2000.0, 635.0, 500.0)
    gpe = sim.Population(n, sim.GP_HahnMcIntyre2010(i_offset=-0.009), label="gpe",
                         initial_values={"v": -68.0})
    gpi = sim.Population(n, sim.GP_HahnMcIntyre2010(i_offset=0.006), label="gpi",
                         initial_values={"v": -68.0})
    thalamus = sim.Population(n, sim.TC_Fleming2020(), label="thalamus",
                              initial_values={"v": -68.0})
    striatum = sim.Population(n, sim.SpikeSourcePoisson(rate=3.0), label="striatum")

    def project(pre, post, n_pre, weight, delay, receptor, seed, source=None):
        sim.Projection(pre, post, sim.FixedNumberPreConnector(
            n_pre, allow_self_connections=False, rng=sim.NumpyRNG(seed=seed)),
            sim.StaticSynapse(weight=weight, delay=delay), receptor_type=receptor,
            source=source)

    uniform = sim.RandomDistribution("uniform", (0.0, 2.5e-3), rng=sim.NumpyRNG(seed=11))
    # Fleming's cortex -> interneuron synapses read the axon's node 5 (-10 mV), the others the
    # collateral (the cell type's spike source)
    project(cortex, interneurons, 10, uniform, 2.0, "AMPA", 1, source="middle_axon_node")
    project(interneurons, cortex, 10, sim.RandomDistribution(
        "uniform", (0.0, 6e-3), rng=sim.NumpyRNG(seed=12)), 2.0, "GABAa", 2)
    project(cortex, stn, 5, 0.12, 1.0, "AMPA", 3)
    project(stn, gpe, 1, 0.111111, 4.0, "AMPA", 4)
    project(gpe, gpe, 1, 0.015, 4.0, "GABAa", 5)
    project(gpe, stn, 2, 0.111111, 3.0, "GABAa", 6)
    project(striatum, gpe, 1, 0.01, 1.0, "GABAa", 7)
    project(stn, gpi, 1, 0.111111, 2.0, "AMPA", 8)
    project(gpe, gpi, 1, 0.111111, 2.0, "GABAa", 9)
    project(gpi, thalamus, 1, 3.0, 2.0, "GABAa", 10)
    project(thalamus, cortex, 1, 5.0, 2.0, "AMPA", 11)

    total = args.warmup + args.duration
    sim.DCSource(amplitude=0.245).inject_into(cortex, location="soma")      # Fleming's biases
    noise = sim.NoisyCurrentSource(mean=0.0, stdev=0.005, dt=1.0, start=0.0, stop=total)
    noise.inject_into(cortex, location="soma")
    sim.NoisyCurrentSource(mean=0.0, stdev=0.005, dt=1.0, start=0.0,
                           stop=total).inject_into(interneurons)
    signals = modulations(rng, seeds, min(args.warmup, 100.0), total, args)
    sim.StepCurrentSource(times=_per_member([t for t, _ in signals]),
                          amplitudes=_per_member([a for _, a in signals])).inject_into(
        cortex, location="soma")

    # DBS: the controller's output (mA) scales a -1 mA cathodic pulse train
    electrode = sim.ExtracellularElectrode(position=(0.0, 0.0, 250.0), sigma=0.27,
                                           amplitude=-1e6, frequency=130.0, pulse_width=0.06,
                                           sections="collateral")
    electrode.inject_into(cortex)
    lfp = sim.LFPElectrode(stn, contacts=[(0.0, -1500.0, 250.0), (0.0, 1500.0, 250.0)],
                           sigma=0.27)
    start = args.warmup + 20.0
    loop = sim.ClosedLoop(controller, lfp, electrode, start=start, sampling_interval=0.5,
                          history=4000, target=target,
                          recruits=gpe_recruits(gpe, rng, None if target == "amplitude"
                                                else FREQUENCY_MA))
    pops = (cortex, interneurons, stn, gpe, gpi, thalamus)
    for pop in pops:
        pop.record("spikes")
    return pops, loop


#: the ``ENSEMBLE`` conditions' PIDController numbers (kp, ti, min_value): off and open are
#: ``kp = 0`` with the constant as ``min_value`` (the output clipped up to it); P and PI are
#: Fleming's amplitude controllers
PID_NUMBERS = {"off": (0.0, 0.0, 0.0), "open": (0.0, 0.0, 2.5), "p_amplitude": (5.0, 0.0, 0.0),
               "pi_amplitude": (0.23, 0.2, 0.0)}


def ensemble_controller(members):
    """One PIDController whose numbers are those of each member's condition (``members``:
    one condition name per ensemble member)."""
    kp, ti, low = zip(*(PID_NUMBERS[name] for name in members))
    return sim.PIDController(setpoint=SETPOINT, kp=_per_member(kp), ti=_per_member(ti),
                             min_value=_per_member(low), max_value=3.0)


def run(args):
    results = []
    seeds = [args.seed + j for j in range(args.seeds)]
    names = [c for c in ENSEMBLE if c in args.conditions]
    if names:
        members = [(name, seed) for name in names for seed in seeds]
        t0 = time.perf_counter()
        pops, loop = build(args, ensemble_controller([n for n, _ in members]),
                           seeds=[s for _, s in members])
        sim.run(args.warmup + args.duration)
        wall = time.perf_counter() - t0
        for m, (name, seed) in enumerate(members):
            results.append(_summary(name, pops, loop, m if len(members) > 1 else None,
                                    wall / len(members), args, seed))
        sim.end()
    others = {"on_off": lambda: sim.OnOffController(max_value=3.0),
              "dual_threshold": lambda: sim.DualThresholdController(max_value=3.0),
              "pi_frequency": lambda: sim.PIDController(kp=19.3, ti=0.2, max_value=250.0)}
    for name, make in others.items():
        if name not in args.conditions:
            continue
        t0 = time.perf_counter()
        target = "frequency" if name == "pi_frequency" else "amplitude"
        pops, loop = build(args, make(), target=target, seeds=seeds)
        if target == "frequency":
            loop.source.amplitude = -FREQUENCY_MA * 1e6  # Fleming's fixed amplitude (nA)
        sim.run(args.warmup + args.duration)
        wall = time.perf_counter() - t0
        for m, seed in enumerate(seeds):
            results.append(_summary(name, pops, loop, m if len(seeds) > 1 else None,
                                    wall / len(seeds), args, seed))
        sim.end()
    return results + (over_seeds(results) if args.seeds > 1 else [])


def over_seeds(results):
    """Per condition the mean and standard deviation over its seeds (one JSON line each)."""
    out = []
    for name in dict.fromkeys(r["condition"] for r in results):
        runs = [r for r in results if r["condition"] == name]
        arv = np.array([r["beta_arv"] for r in runs])
        rates = {pop: [r["rates_hz"][pop] for r in runs] for pop in runs[0]["rates_hz"]}
        out.append({"condition": name, "seeds": len(runs),
                    "beta_arv_mean": float(arv.mean()), "beta_arv_sd": float(arv.std(ddof=1)),
                    "rates_hz_mean": {p: round(float(np.mean(v)), 2) for p, v in rates.items()},
                    "rates_hz_sd": {p: round(float(np.std(v, ddof=1)), 2)
                                    for p, v in rates.items()}})
    return out


_HISTORY = {}      # condition -> (call times ms, biomarker mV, output), for the figure


def figure(path):
    """Biomarker and controller output at every call, one line per condition."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    for name, (t, y, u) in _HISTORY.items():
        top.plot(t / 1000.0, y * 1e3, label=name)
        bottom.plot(t / 1000.0, u, label=name)
    top.axhline(SETPOINT * 1e3, color="k", lw=0.8, ls="--")
    top.set_ylabel("beta ARV (uV)")
    bottom.set_ylabel("output (mA, or Hz for pi_frequency)")
    bottom.set_xlabel("time (s)")
    top.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.png")
    fig.savefig(tmp, dpi=120)
    tmp.replace(path)                                 # written atomically


def _summary(name, pops, loop, member, wall, args, seed):
    kw = {} if member is None else {"member": member}
    signals = loop.get_data(**kw).segments[0].irregularlysampledsignals
    y, u = np.asarray(signals[0])[:, 0], np.asarray(signals[1])[:, 0]
    window = args.duration / 1000.0
    rates = {}
    for pop in pops:
        trains = pop.get_data(**kw).segments[-1].spiketrains
        spikes = sum(int(np.sum(np.asarray(st) >= args.warmup)) for st in trains)
        rates[pop.label] = round(spikes / len(trains) / window, 2)
    frequency = name == "pi_frequency"
    if seed == args.seed:                          # the figure shows the --seed's runs
        _HISTORY[name] = (np.asarray(signals[0].times), y, u)
    return {"condition": name, "seed": seed, "beta_arv": float(np.mean(y)),
            "mean_amplitude_mA": 1.5 if frequency else float(np.mean(u)),
            "mean_frequency_Hz": float(np.mean(u)) if frequency else 130.0,
            "rates_hz": rates, "calls": int(len(y)),
            "rtf": round(wall / ((args.warmup + args.duration) / 1000.0), 2)}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--cells", type=int, default=100)
    p.add_argument("--warmup", type=float, default=2000.0)
    p.add_argument("--duration", type=float, default=2000.0)
    p.add_argument("--dt", type=float, default=0.01)
    p.add_argument("--seed", type=int, default=3695)
    p.add_argument("--seeds", type=int, default=1,
                   help="runs per condition (seeds --seed, --seed + 1, ...), one ensemble")
    p.add_argument("--conditions", nargs="+", default=list(CONDITIONS), choices=CONDITIONS)
    p.add_argument("--no-figure", action="store_true")
    args = p.parse_args()
    results = run(args)
    if not args.no_figure:
        figure(pathlib.Path("output") / "fleming2020_closed_loop.png")
    for result in results:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
