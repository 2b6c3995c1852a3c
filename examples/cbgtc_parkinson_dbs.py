"""Cortico-basal ganglia-thalamo-cortical loop: healthy, Parkinsonian, and Parkinsonian with DBS.

A small CBGTC network in the spirit of Rubin & Terman 2004 (J Comput Neurosci 16:211), So et al.
2012 (J Comput Neurosci 32:499) and Kumaravelu et al. 2016 (J Comput Neurosci 40:207), built
from PyNN cell types of this backend:

==========  ==========================================  ======================================
nucleus     cells                                       inputs
==========  ==========================================  ======================================
CTX         20 ``EIF_cond_exp_isfa_ista`` (AdEx)        Poisson background
STR         20 ``IF_cond_exp`` (LIF)                    Poisson background, CTX
STN         10 ``STN_RT2004``                           CTX (hyperdirect), GPe
GPe         10 ``GPe_RT2004``                           STN, GPe (2 neighbours), STR
GPi         10 ``GPi_RT2004``                           STN, GPe, STR
TC          10 ``TC_RT2004``                            GPi, sensorimotor pulses
==========  ==========================================  ======================================

STN<->GPe<->GPi connectivity is the structured ring of So et al. 2012 (cell i talks to its
neighbours); each TC cell receives a few neighbouring GPi cells.  The thalamus gets the
Rubin & Terman sensorimotor input: a 5 ms current pulse every 50 ms.

Conditions (Rubin & Terman 2004's ``.setnorm`` / ``.setpark``):

* healthy: GPe ``I_app = 2`` µA/cm², GPe->GPe inhibition;
* Parkinsonian: GPe ``I_app = -2.2`` µA/cm², no GPe->GPe inhibition, stronger striatal
  inhibition of GPe (more striatal output after dopamine loss; the striatal drive is raised);
* DBS: Parkinsonian plus a 130 Hz train of monophasic 0.3 ms pulses into every STN cell
  (So et al. 2012 / Kumaravelu et al. 2016 waveform, here in nA).

Each condition writes ``<output>/cbgtc_<condition>.pkl`` (Neo) and ``cbgtc_<condition>.png``
(raster, population rates, STN/GPe power spectra) and prints:

* beta-band (13-30 Hz) power of the STN and GPe population rates (Elephant ``time_histogram``
  at 1 ms, ``welch_psd`` with 1 s Hann windows after a 500 ms transient);
* the TC error index of Rubin & Terman 2004: for every sensorimotor pulse (after 200 ms and
  before the last 25 ms) a TC cell's response is correct iff it fires exactly one spike within
  25 ms of the pulse onset; spikes between two responses count as errors too (So et al.
  2012's ``calculateEI.m``); EI = errors / (pulses x cells).

``--sweep`` runs the DBS condition over DBS frequency (20-180 Hz) x amplitude x seeds as ONE
ensemble run (``sim.grid`` and ``sim.Batch``: every member is a variant of the network in the
same compiled program), prints the STN rate, the STN/GPe/GPi beta power relative to DBS off and
the EI per frequency and amplitude (mean over seeds), and draws ``cbgtc_dbs_sweep.png``: beta
power and EI against frequency, and heat maps of STN beta power and EI over frequency x
amplitude (copied to ``docs/figures/``).  It also times the same members run one by one
(``--sequential all``; by default the first two, the rest estimated from them).  Published
shape (Kumaravelu et al. 2016): ineffective below 40 Hz, gradual from 50 to 130 Hz, saturated
above 150 Hz.  This network reproduces the two ends but not the middle: at the default
amplitude it is entrained 1:1 from 40 Hz on.

Time step 0.025 ms, the largest at which the GP cells use RK4 (up to 0.05 ms they switch to an
exponential midpoint scheme, rates within ~2 %); ``--dt 0.01`` also works.

    python examples/cbgtc_parkinson_dbs.py                 # 3 conditions, 2.5 s each
    python examples/cbgtc_parkinson_dbs.py --sweep         # plus the DBS sweep (one ensemble)
"""
import argparse
import os
import time
import warnings

import numpy as np
import quantities as pq

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument("--duration", type=float, default=2500.0, help="simulated time per run (ms)")
p.add_argument("--output", default="output", help="folder for the figures and Neo files")
p.add_argument("--sweep", action="store_true", help="also sweep the DBS frequency")
p.add_argument("--frequencies", default="20,40,60,90,130,160,180",
               help="DBS frequencies of the sweep (Hz, comma separated)")
p.add_argument("--amplitudes", default="10,20,30",
               help="DBS amplitudes of the sweep (nA, comma separated)")
p.add_argument("--seeds", type=int, default=2, help="seeds per sweep point (ensemble members)")
p.add_argument("--sequential", default="2",
               help="members of the sweep also run one by one for the timing: a number, or "
                    "'all' (then their spike counts are checked against the ensemble's)")
p.add_argument("--dt", type=float, default=0.025, help="time step (ms), <= 0.05")
p.add_argument("--seed", type=int, default=11)
p.add_argument("--no-figures", action="store_true", help="skip the figures (faster)")
args = p.parse_args()

import pynn_cbgtc_jax as sim                                            # noqa: E402

# a spike at exactly t_stop falls outside the last bin; Elephant says so for every histogram
warnings.filterwarnings("ignore", message="Binning discarded")

N = 10                      # cells per basal ganglia / thalamic nucleus
N_CTX = N_STR = 20
TRANSIENT = 500.0           # ms discarded by the analysis
BETA = (13.0, 30.0)         # Hz
SM_PERIOD, SM_WIDTH = 50.0, 5.0   # sensorimotor pulses (Rubin & Terman 2004 .set)

# Weights in uS (conductance-based synapses everywhere), delays in ms.  At the default membrane
# area of the Rubin & Terman cells (10 000 um^2) 0.01 uS is 0.1 mS/cm^2 and 0.1 nA 1 uA/cm^2.
# The loop's values (the 5-digit ones) come from a random search around Rubin & Terman-like
# couplings for the three conditions (healthy asynchronous, PD synchronised, relay restored by
# 130 Hz DBS), then hand-tuned (GPe->GPe, striatum->GPe in PD, GPi->TC) and checked on seeds
# 3, 7, 11 of the search and 1, 2, 11 of this script; they are not fitted to the DBS sweep.
P = dict(
    ctx_in_rate=1000.0, w_ctx_in=0.003,          # Poisson -> CTX (one source per cell)
    str_in_rate=1000.0, w_str_in=0.003, w_str_in_pd=0.004,   # Poisson -> STR
    w_ctx_str=0.002, w_ctx_stn=0.00943,
    w_str_gpe=0.00297, w_str_gpe_pd=0.016, w_str_gpi=0.002,
    stn_i_app=0.48981, gpe_i_app=2.0, gpe_i_app_pd=-2.2, gpi_i_app=4.15637,  # uA/cm^2
    tau_gpe=17.40238,                            # GPe -> STN/GPe/GPi decay (ms)
    tau_gpi=8.0,                                 # GPi -> TC decay (ms)
    w_gpe_stn=0.12048, w_stn_gpe=0.07683, w_gpe_gpe=0.012,
    w_stn_gpi=0.11737, w_gpe_gpi=0.00814, w_gpi_tc=0.0045,
    gpi_tc_offsets=(-2, -1, 0, 1, 2),
    sm_amplitude=0.4,                            # nA (4 uA/cm^2)
    dbs_amplitude=30.0, dbs_width=0.3,           # nA (300 uA/cm^2), ms
)


def _ring(n, offsets):
    """(pre, post) pairs of the So et al. 2012 ring: cell i -> cell (i + offset) % n."""
    return [(i, (i + o) % n) for i in range(n) for o in offsets]


def build(condition, dbs_frequency=130.0, dbs_amplitude=None, seed=None):
    """The network of one condition; returns the populations by name.

    Every condition has the same structure (absent pathways have weight 0, DBS amplitude 0), so
    one compiled program serves all runs: parameters are traced, not compiled in.
    ``dbs_frequency``, ``dbs_amplitude`` and ``seed`` (of the Poisson inputs) may be
    ``sim.Batch`` values: the network is then an ensemble with one member per value; the
    connectivity and initial values (drawn from ``--seed``) are the same for every member.
    """
    pd = condition != "healthy"
    sim.setup(timestep=args.dt, min_delay=args.dt,
              rng_seed=args.seed if seed is None else seed)
    rng = sim.NumpyRNG(seed=args.seed)
    ctx_in = sim.Population(N_CTX, sim.SpikeSourcePoisson(rate=P["ctx_in_rate"]), label="ctx_in")
    str_in = sim.Population(N_STR, sim.SpikeSourcePoisson(rate=P["str_in_rate"]), label="str_in")
    ctx = sim.Population(N_CTX, sim.EIF_cond_exp_isfa_ista(), label="CTX")
    stri = sim.Population(N_STR, sim.IF_cond_exp(tau_m=20.0, v_rest=-70.0, v_thresh=-50.0,
                                                 v_reset=-70.0, tau_refrac=2.0,
                                                 tau_syn_I=10.0), label="STR")
    stn = sim.Population(N, sim.STN_RT2004(I_app=P["stn_i_app"], tau_syn_I=P["tau_gpe"]),
                         label="STN")
    gpe = sim.Population(N, sim.GPe_RT2004(I_app=P["gpe_i_app_pd" if pd else "gpe_i_app"],
                                           tau_syn_I=P["tau_gpe"]), label="GPe")
    gpi = sim.Population(N, sim.GPi_RT2004(I_app=P["gpi_i_app"], tau_syn_I=P["tau_gpe"]),
                         label="GPi")
    tc = sim.Population(N, sim.TC_RT2004(tau_syn_I=P["tau_gpi"]), label="TC")
    for pop in (stn, gpe, gpi, tc, ctx):
        pop.initialize(v=sim.RandomDistribution("uniform", low=-70.0, high=-55.0, rng=rng))

    def connect(pre, post, connector, weight, delay, receptor):
        sim.Projection(pre, post, connector, sim.StaticSynapse(weight=weight, delay=delay),
                       receptor_type=receptor)

    def ring(offsets):
        return sim.FromListConnector(_ring(N, offsets))

    def random(p):
        return sim.FixedProbabilityConnector(p, rng=rng)

    exc, inh = "excitatory", "inhibitory"
    connect(ctx_in, ctx, sim.OneToOneConnector(), P["w_ctx_in"], 1.0, exc)
    connect(str_in, stri, sim.OneToOneConnector(), P["w_str_in_pd" if pd else "w_str_in"],
            1.0, exc)
    connect(ctx, stri, random(0.2), P["w_ctx_str"], 5.0, exc)
    connect(ctx, stn, random(0.2), P["w_ctx_stn"], 5.0, exc)
    connect(stri, gpe, random(0.3), P["w_str_gpe_pd" if pd else "w_str_gpe"], 5.0, inh)
    connect(stri, gpi, random(0.3), P["w_str_gpi"], 5.0, inh)
    connect(gpe, stn, ring((0, 1)), P["w_gpe_stn"], 2.0, inh)
    connect(stn, gpe, ring((0, -1)), P["w_stn_gpe"], 2.0, exc)
    connect(gpe, gpe, ring((1, 2)), 0.0 if pd else P["w_gpe_gpe"], 1.0, inh)
    connect(stn, gpi, ring((0, -1)), P["w_stn_gpi"], 2.0, exc)
    connect(gpe, gpi, ring((1, -2)), P["w_gpe_gpi"], 3.0, inh)
    connect(gpi, tc, ring(P["gpi_tc_offsets"]), P["w_gpi_tc"], 3.0, inh)

    sm = sim.DBSSource(amplitude=P["sm_amplitude"], frequency=1000.0 / SM_PERIOD,
                       pulse_width=SM_WIDTH, start=100.0)
    sm.inject_into(tc)
    if dbs_amplitude is None:
        dbs_amplitude = P["dbs_amplitude"] if condition == "dbs" else 0.0
    dbs = sim.DBSSource(amplitude=dbs_amplitude, frequency=dbs_frequency,
                        pulse_width=P["dbs_width"])
    dbs.inject_into(stn)
    pops = dict(CTX=ctx, STR=stri, STN=stn, GPe=gpe, GPi=gpi, TC=tc)
    for pop in pops.values():
        pop.record("spikes")
    return pops


def spiketrains(pop, member=None):
    return pop.get_data(member=member).segments[0].spiketrains


def population_rate(trains, bin_ms=1.0):
    """Mean rate of a population (spikes/s per cell) after the transient, Elephant histogram."""
    from elephant.statistics import time_histogram   # here: the ensemble benchmark imports
    #                                                  this module on machines without Elephant
    h = time_histogram(list(trains), bin_size=bin_ms * pq.ms, t_start=TRANSIENT * pq.ms,
                       t_stop=args.duration * pq.ms, output="rate")
    return np.asarray(h.rescale("Hz").magnitude).ravel()


def spectrum(trains):
    """Welch PSD of the population rate ((spikes/s)^2/Hz), 1 s Hann windows (shorter runs: the
    whole analysed signal), 50 % overlap."""
    rate = population_rate(trains)
    from elephant.spectral import welch_psd
    freqs, psd = welch_psd(rate - rate.mean(), len_segment=min(1000, rate.size), fs=1000.0,
                           overlap=0.5)
    return np.asarray(freqs), np.asarray(psd)


def band_power(freqs, psd, band=BETA):
    sel = (freqs >= band[0]) & (freqs <= band[1])
    return float(np.sum(psd[sel]) * (freqs[1] - freqs[0]))


def error_index(trains):
    """Rubin & Terman 2004 TC error index, as So et al. 2012's ``calculateEI.m``.

    For each sensorimotor pulse after 200 ms (and 25 ms before the end) and each TC cell: a
    miss (no spike within 25 ms of the onset) or a bad response (more than one) is one error,
    and every spike between 25 ms after the onset and the next pulse is one more (an extra
    spike).  EI = errors / (pulses x cells).
    """
    onsets = np.arange(100.0, args.duration, SM_PERIOD)
    onsets = onsets[(onsets >= 200.0) & (onsets <= args.duration - 25.0)]
    errors = 0
    for st in trains:
        t = np.asarray(st.rescale("ms").magnitude)
        for o in onsets:
            errors += np.count_nonzero((t >= o) & (t < o + 25.0)) != 1
            errors += np.count_nonzero((t >= o + 25.0) & (t < o + SM_PERIOD))
    return errors / (len(onsets) * len(trains))


def analyse(data):
    # mean rate per cell = time average of the population rate (Elephant time_histogram)
    rates = {name: float(population_rate(trains).mean()) for name, trains in data.items()}
    spectra = {name: spectrum(data[name]) for name in ("STN", "GPe", "GPi")}
    beta = {name: band_power(*spectra[name]) for name in spectra}
    return dict(rates=rates, spectra=spectra, beta=beta, ei=error_index(data["TC"]))


def figure(condition, data, result, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig = plt.figure(figsize=(12, 8))
    grid = fig.add_gridspec(2, 2, height_ratios=(2, 1))
    ax = fig.add_subplot(grid[0, :])
    y, colours = 0, dict(CTX="C7", STR="C4", STN="C3", GPe="C0", GPi="C2", TC="C1")
    for name, trains in data.items():
        for st in trains:
            t = st.rescale("ms").magnitude
            ax.plot(t, np.full(len(t), y), "|", ms=3, color=colours[name])
            y += 1
        ax.text(args.duration + 10, y - len(trains) / 2, name, va="center",
                color=colours[name])
    ax.set_xlim(max(0.0, args.duration - 1000.0), args.duration)
    ax.set_ylim(-1, y)
    ax.set_xlabel("time (ms)")
    ax.set_yticks([])
    ax.set_title(f"{condition}: EI = {result['ei']:.2f}, beta power STN "
                 f"{result['beta']['STN']:.0f}, GPe {result['beta']['GPe']:.0f} (spikes/s)^2")
    ax = fig.add_subplot(grid[1, 0])
    t0 = max(TRANSIENT, args.duration - 500.0)
    for name in ("STN", "GPe", "GPi"):
        r = population_rate(data[name], bin_ms=2.0)
        t = TRANSIENT + 2.0 * np.arange(len(r))
        ax.plot(t[t >= t0], r[t >= t0], color=colours[name], label=name, lw=1)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("population rate (spikes/s)")
    ax.legend(fontsize=8, ncol=4)
    ax = fig.add_subplot(grid[1, 1])
    for name in ("STN", "GPe"):
        freqs, psd = result["spectra"][name]
        sel = (freqs > 0) & (freqs <= 200)
        ax.semilogy(freqs[sel], psd[sel] + 1e-3, color=colours[name], label=name)
    ax.axvspan(*BETA, color="0.9")
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("PSD ((spikes/s)^2/Hz)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def run_condition(condition, dbs_frequency=130.0, save=True):
    t0 = time.perf_counter()
    pops = build(condition, dbs_frequency)
    sim.run(args.duration)
    t_run = time.perf_counter() - t0
    data = {name: spiketrains(pop) for name, pop in pops.items()}
    result = analyse(data)
    if save:
        sim.Assembly(*pops.values()).write_data(
            os.path.join(args.output, f"cbgtc_{condition}.pkl"))
        if not args.no_figures:
            figure(condition, data, result, os.path.join(args.output, f"cbgtc_{condition}.png"))
    sim.end()
    result["time"] = t_run
    return result


def main():
    os.makedirs(args.output, exist_ok=True)
    results = {}
    print(f"{'condition':<14}" + "".join(f"{n:>7}" for n in ("CTX", "STR", "STN", "GPe", "GPi",
                                                                "TC"))
          + "   beta STN   beta GPe     EI   (rates in spikes/s; beta in (spikes/s)^2)")
    for condition in ("healthy", "parkinsonian", "dbs"):
        r = results[condition] = run_condition(condition)
        print(f"{condition:<14}" + "".join(f"{r['rates'][n]:7.1f}" for n in r["rates"])
              + f"{r['beta']['STN']:11.1f}{r['beta']['GPe']:11.1f}{r['ei']:7.2f}"
              + f"   ({r['time']:.1f} s)", flush=True)
    h, pd, dbs = results["healthy"], results["parkinsonian"], results["dbs"]
    for name in ("STN", "GPe"):
        print(f"beta power {name}: PD / healthy = {pd['beta'][name] / h['beta'][name]:.1f}, "
              f"DBS / PD = {dbs['beta'][name] / pd['beta'][name]:.2f}")
    print(f"error index: healthy {h['ei']:.2f}, PD {pd['ei']:.2f}, DBS {dbs['ei']:.2f}")
    if args.sweep:
        sweep(h, pd)

def sweep(healthy, pd):
    """DBS frequency x amplitude x seeds of the Parkinsonian network as one ensemble run: a
    table, ``cbgtc_dbs_sweep.png``, and the time against the same members run one by one.

    Reference shape (Kumaravelu et al. 2016, GPi 7-35 Hz power; Rubin & Terman 2004 and So et
    al. 2012, TC error index): DBS below about 40 Hz is ineffective (at or above the
    Parkinsonian level), the pathological activity falls gradually from 50 to 130 Hz and
    saturates above about 150 Hz.  Beta power is printed relative to DBS off.
    """
    freqs = [float(x) for x in args.frequencies.split(",")]
    amps = [float(x) for x in args.amplitudes.split(",")]
    seeds = [args.seed + 100 * k for k in range(args.seeds)]
    g = sim.grid(frequency=freqs, amplitude=amps, seed=seeds)
    n = len(g["seed"])
    t0 = time.perf_counter()
    pops = build("dbs", dbs_frequency=g["frequency"], dbs_amplitude=g["amplitude"],
                 seed=g["seed"])
    sim.run(args.duration)
    t_batch = time.perf_counter() - t0
    results = [analyse({name: spiketrains(pop, m) for name, pop in pops.items()})
               for m in range(n)]
    counts = [sum(len(st) for st in spiketrains(pops["STN"], m)) for m in range(n)]
    sim.end()
    print(f"DBS sweep: {len(freqs)} frequencies x {len(amps)} amplitudes x {len(seeds)} seeds "
          f"= {n} members in one run: {t_batch:.1f} s (build, compile and run)", flush=True)
    k = n if args.sequential == "all" else min(n, int(args.sequential))
    t0 = time.perf_counter()
    for m in range(k):
        single = build("dbs", dbs_frequency=g["frequency"][m], dbs_amplitude=g["amplitude"][m],
                       seed=g["seed"][m])
        sim.run(args.duration)
        if args.sequential == "all":
            assert sum(len(st) for st in spiketrains(single["STN"])) == counts[m], m
        sim.end()
    if k:
        t_one = (time.perf_counter() - t0) / k
        what = "measured" if k == n else f"estimated from the first {k}"
        print(f"the same {n} members one by one: {t_one * n:.1f} s ({what}); "
              f"ensemble speed-up {t_one * n / t_batch:.1f}x", flush=True)

    def mean(values):
        return float(np.mean(values))

    table = {}        # (frequency, amplitude) -> (STN rate, beta rel. STN/GPe/GPi, EI)
    for f in freqs:
        for a in amps:
            members = [m for m in range(n) if g["frequency"][m] == f and g["amplitude"][m] == a]
            rel = {name: mean([results[m]["beta"][name] for m in members]) / pd["beta"][name]
                   for name in ("STN", "GPe", "GPi")}
            table[f, a] = (mean([results[m]["rates"]["STN"] for m in members]), rel,
                           mean([results[m]["ei"] for m in members]))
    print("DBS sweep (Parkinsonian network; beta relative to DBS off; mean over seeds):")
    print(f"{'f (Hz)':>8}{'A (nA)':>8}{'STN rate':>10}{'beta STN':>10}{'beta GPe':>10}"
          f"{'beta GPi':>10}{'EI':>7}")
    print(f"{'off':>8}{'':>8}{pd['rates']['STN']:10.1f}{1.0:10.2f}{1.0:10.2f}{1.0:10.2f}"
          f"{pd['ei']:7.2f}")
    for (f, a), (rate, rel, ei) in table.items():
        print(f"{f:8.0f}{a:8.0f}{rate:10.1f}{rel['STN']:10.2f}{rel['GPe']:10.2f}"
              f"{rel['GPi']:10.2f}{ei:7.2f}")
    if not args.no_figures:
        sweep_figure(freqs, amps, table, healthy, pd,
                     os.path.join(args.output, "cbgtc_dbs_sweep.png"))


def sweep_figure(freqs, amps, table, healthy, pd, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    f = np.array(freqs)
    a_top = amps[-1]
    fig, axes = plt.subplots(1, 4, figsize=(18, 4))
    ax1, ax2, ax3, ax4 = axes
    for name, colour in (("STN", "C3"), ("GPe", "C0"), ("GPi", "C2")):
        # floor at 1e-3: a fully entrained network has no beta power at all
        ax1.semilogy(f, [max(table[x, a_top][1][name], 1e-3) for x in freqs], "o-",
                     color=colour, label=name)
        ax1.axhline(healthy["beta"][name] / pd["beta"][name], color=colour, ls=":", lw=1)
    ax1.set_ylim(5e-4, 10.0)
    ax1.axhline(1.0, color="k", lw=1, label="DBS off (PD)")
    ax1.set_ylabel(f"beta power / DBS off at {a_top:g} nA (dotted: healthy)")
    for a in amps:
        ax2.plot(f, [table[x, a][2] for x in freqs], "o-", label=f"{a:g} nA")
    ax2.axhline(pd["ei"], color="k", lw=1, label="DBS off (PD)")
    ax2.axhline(healthy["ei"], color="k", ls=":", lw=1, label="healthy")
    ax2.set_ylabel("TC error index")
    for ax in (ax1, ax2):
        ax.axvspan(0, 40, color="0.92")
        ax.axvspan(150, f.max() + 10, color="0.92")
        ax.set_xlim(0, f.max() + 10)
        ax.set_xlabel("DBS frequency (Hz)")
        ax.legend(fontsize=8)
    beta = np.array([[max(table[x, a][1]["STN"], 1e-3) for x in freqs] for a in amps])
    ei = np.array([[table[x, a][2] for x in freqs] for a in amps])
    for ax, values, title, kw in (
            (ax3, np.log10(beta), "STN beta power / DBS off (log10)", dict(cmap="viridis")),
            (ax4, ei, "TC error index", dict(cmap="magma", vmin=0.0))):
        im = ax.imshow(values, origin="lower", aspect="auto", **kw)
        ax.set_xticks(range(len(freqs)), [f"{x:g}" for x in freqs])
        ax.set_yticks(range(len(amps)), [f"{x:g}" for x in amps])
        ax.set_xlabel("DBS frequency (Hz)")
        ax.set_ylabel("DBS amplitude (nA)")
        ax.set_title(title, fontsize=9)
        fig.colorbar(im, ax=ax)
    fig.suptitle("DBS sweep as one ensemble run (mean over seeds); shaded: ineffective (< 40 Hz) "
                 "and saturated (> 150 Hz) in Kumaravelu et al. 2016", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


if __name__ == "__main__":
    main()
