"""Renewal spike sources against their interval distributions.

References: the gamma and shifted-exponential interval distributions (Kolmogorov-Smirnov test,
D < 0.05 with thousands of intervals; the grid discretisation at dt = 0.1 ms shifts the
distribution by at most dt/2, small against intervals of 2-20 ms) and the rate of an
inhomogeneous gamma process in each bin (5 sigma of the spike count).
"""
import numpy as np
import pytest
from pyNN.parameters import Sequence
from scipy.stats import kstest


def _isis(sim, celltype, n, t_stop):
    """Inter-spike intervals of ``n`` independent cells, pooled."""
    src = sim.Population(n, celltype)
    src.record("spikes")
    sim.run(t_stop)
    return np.concatenate([np.diff(np.asarray(st)) for st in src.get_data().segments[0].spiketrains])


@pytest.mark.parametrize("alpha, beta", [(2, 1000.0), (4, 200.0), (6, 100.0)])
def test_gamma_intervals(sim, alpha, beta):
    mean_isi = 1000.0 * alpha / beta
    isi = _isis(sim, sim.SpikeSourceGamma(alpha=alpha, beta=beta),
                int(np.ceil(3000 * mean_isi / 20000.0)), 20000.0)
    assert isi.size > 2000
    D, _ = kstest(isi, "gamma", args=(alpha, 0, 1000.0 / beta))
    assert D < 0.05


@pytest.mark.parametrize("rate, tau_refrac", [(100.0, 0.0), (100.0, 5.0), (50.0, 5.0)])
def test_dead_time_intervals(sim, rate, tau_refrac):
    isi = _isis(sim, sim.SpikeSourcePoissonRefractory(rate=rate, tau_refrac=tau_refrac),
                4, 10000.0)
    assert isi.min() >= tau_refrac
    mean_free = 1000.0 / rate - tau_refrac
    D, _ = kstest(isi - tau_refrac, "expon", args=(0, mean_free))
    assert D < 0.05
    # the output rate is `rate` (5 sigma of a renewal count, CV < 1)
    n = isi.size + 4
    assert abs(n - rate * 40.0) < 5 * np.sqrt(rate * 40.0)


def test_inhomogeneous_gamma_rate_per_bin(sim):
    n, t_stop = 50, 2000.0
    celltype = sim.SpikeSourceInhGamma(a=Sequence([2.0, 2.0]), b=Sequence([0.005, 0.025]),
                                       tbins=Sequence([0.0, 1000.0]))
    src = sim.Population(n, celltype)
    src.record("spikes")
    sim.run(t_stop)
    times = np.concatenate([np.asarray(s) for s in src.get_data().segments[0].spiketrains])
    # mean interval a*b: 10 ms (100 Hz), then 50 ms (20 Hz); skip 100 ms after the switch
    for (lo, hi), rate in (((100.0, 1000.0), 100.0), ((1100.0, 2000.0), 20.0)):
        count = np.sum((times > lo) & (times <= hi))
        expected = n * rate * (hi - lo) / 1000.0
        assert abs(count - expected) < 5 * np.sqrt(expected)


def test_sources_start_and_duration(sim):
    src = sim.Population(20, sim.SpikeSourceGamma(alpha=2, beta=400.0, start=50.0, duration=100.0))
    src.record("spikes")
    sim.run(300.0)
    times = np.concatenate([np.asarray(s) for s in src.get_data().segments[0].spiketrains])
    assert times.size > 100 and times.min() > 50.0 and times.max() <= 150.0
