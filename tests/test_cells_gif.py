"""GIF_cond_exp: deterministic limit vs NEST, escape-noise statistics vs the hazard, parameters.

References and tolerances, with their reasons:

* Deterministic limit vs NEST ``gif_cond_exp`` (float64, dt = 0.1 ms): with delta_v = 1e-6 mV
  the hazard is 0 below the moving threshold and infinite above it, so the draw no longer
  matters and both fire on the same steps.  v within 1e-3 mV (NEST's RKF45 tolerance; the
  equation is linear with slow conductances and we see ~3e-10 mV); i_eta and v_t are sums of
  exact exponentials in both -> 1e-9.
* Escape noise at constant v (v = v_rest = v_reset, no input, no kernels): each free step fires
  with probability p = 1 - exp(-lambda0 exp((v - v_t_star)/delta_v) dt), then
  round(tau_refrac/dt) steps are refractory.  The expected spike count follows exactly from
  that two-state chain; the population mean must be within 5 standard errors of it (a false
  alarm about once in 1.7 million runs), and the ISIs minus the dead time must have mean 1/p
  steps, also within 5 standard errors.  NEST's counts, in the same setting, must pass the same
  test: that checks the hazard's units (lambda0 in Hz) against NEST's.
"""
import os

import numpy as np
import pytest
from pyNN import errors

from pynn_cbgtc_jax.engine.runner import TRACE_COUNT

os.environ.setdefault("PYNEST_QUIET", "1")

DT = 0.1


def _nest():
    return pytest.importorskip("pyNN.nest", reason="nest-simulator is not installed")


def _setup(sim, nest_sim, **kw):
    if nest_sim is not None and sim is nest_sim:
        sim.setup(timestep=DT, min_delay=0.1, spike_precision="on_grid", verbosity="error", **kw)
    else:
        sim.setup(timestep=DT, min_delay=0.1, precision="float64", **kw)


def _deterministic(sim, nest_sim):
    """Two cells with spike-triggered current and moving threshold, delta_v -> 0."""
    _setup(sim, nest_sim)
    params = dict(delta_v=1e-6, v_t_star=-55.0, tau_refrac=2.0,
                  a_eta=(0.05, 0.02, 0.01), a_gamma=(1.0, 2.0, 3.0))
    cells = sim.Population(2, sim.GIF_cond_exp(**params))
    exc = sim.Population(1, sim.SpikeSourceArray(spike_times=[5.0, 10.05, 20.0, 20.0, 50.0]))
    inh = sim.Population(1, sim.SpikeSourceArray(spike_times=[15.0, 30.0, 140.0]))
    sim.Projection(exc, cells, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.02, delay=1.0))
    sim.Projection(inh, cells, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.02, delay=1.5),
                   receptor_type="inhibitory")
    cells[1:2].inject(sim.DCSource(amplitude=1.5, start=60.0, stop=150.0))
    cells[0:1].inject(sim.StepCurrentSource(times=[100.0, 120.0], amplitudes=[1.0, -0.2]))
    record = ["spikes", "v", "gsyn_exc", "i_eta", "v_t"]
    cells.record(record)
    sim.run(200.0)
    seg = cells.get_data().segments[0]
    out = {name: seg.filter(name=name)[0] for name in record if name != "spikes"}
    out["spike_steps"] = [np.rint(np.asarray(s) / DT).astype(int) for s in seg.spiketrains]
    sim.end()
    return out


@pytest.mark.nest
def test_deterministic_limit_matches_nest(sim):
    nest_sim = _nest()
    ref = _deterministic(nest_sim, nest_sim)
    ours = _deterministic(sim, nest_sim)
    assert sum(len(s) for s in ref["spike_steps"]) >= 6
    for a, b in zip(ref["spike_steps"], ours["spike_steps"]):
        np.testing.assert_array_equal(b, a)
    for name, tol, unit in (("v", 1e-3, "mV"), ("gsyn_exc", 1e-9, "uS"), ("i_eta", 1e-9, "nA"),
                            ("v_t", 1e-9, "mV")):
        assert ours[name].shape == ref[name].shape == (2001, 2)
        assert str(ours[name].units.dimensionality) == unit
        assert np.max(np.abs(np.asarray(ours[name]) - np.asarray(ref[name]))) < tol, name
    # the kernels act: after a spike the threshold has moved by sum(a_gamma) = 6 mV
    v_t = np.asarray(ours["v_t"])[:, 1]
    first = ours["spike_steps"][1][0]
    assert v_t[first + 1] == pytest.approx(-55.0 + 6.0)


# -- escape noise ----------------------------------------------------------------------------
N_CELLS, T_STOP = 200, 1000.0
V_REST = np.r_[np.full(N_CELLS // 2, -60.0), np.full(N_CELLS // 2, -58.0)]
NOISE = dict(v_t_star=-55.0, delta_v=2.0, lambda0=1000.0, tau_refrac=2.0,
             a_eta=(0.0, 0.0, 0.0), a_gamma=(0.0, 0.0, 0.0), i_offset=0.0)


def _expected_count(v, n_steps):
    """Exact mean spike count of the refractory escape-noise chain started free."""
    p = -np.expm1(-NOISE["lambda0"] * 1e-3 * np.exp((v - NOISE["v_t_star"]) / NOISE["delta_v"])
                  * DT)
    n_ref = int(round(NOISE["tau_refrac"] / DT))
    occupancy = np.zeros(n_ref + 1)            # P(refractory counter = r)
    occupancy[0] = 1.0
    count = 0.0
    for _ in range(n_steps):
        fire = occupancy[0] * p
        count += fire
        occupancy = np.r_[occupancy[0] - fire + occupancy[1], occupancy[2:], fire]
    return count, p, n_ref


def _noise_counts(sim, nest_sim=None, seed=1):
    _setup(sim, nest_sim, rng_seed=seed)
    cells = sim.Population(N_CELLS, sim.GIF_cond_exp(v_rest=V_REST, v_reset=V_REST, **NOISE))
    cells.initialize(v=V_REST)
    cells.record("spikes")
    sim.run(T_STOP)
    trains = [np.rint(np.asarray(s) / DT).astype(int) for s in
              cells.get_data().segments[0].spiketrains]
    sim.end()
    return trains


def _check_statistics(trains):
    n_steps = int(round(T_STOP / DT))
    counts = np.array([len(s) for s in trains])
    for half in (slice(0, N_CELLS // 2), slice(N_CELLS // 2, None)):
        expected, p, n_ref = _expected_count(V_REST[half][0], n_steps)
        c = counts[half]
        assert abs(c.mean() - expected) < 5 * c.std(ddof=1) / np.sqrt(c.size), (c.mean(), expected)
        isi = np.concatenate([np.diff(s) for s in trains[half]])
        assert isi.min() == n_ref + 1                    # no spike inside the dead time
        waits = isi - n_ref                               # geometric(p) on 1, 2, ...
        assert abs(waits.mean() - 1 / p) < 5 * waits.std(ddof=1) / np.sqrt(waits.size)
    return counts


def test_escape_noise_statistics_match_hazard(sim):
    trains = _noise_counts(sim)
    counts = _check_statistics(trains)
    assert counts[N_CELLS // 2:].mean() > 1.5 * counts[:N_CELLS // 2].mean()   # e-fold hazard
    first = [s[0] for s in trains if len(s)]
    assert len(np.unique(first)) > N_CELLS // 4        # independent draws per neuron
    # another seed, another realisation
    assert _noise_counts(sim, seed=2)[0].tolist() != trains[0].tolist()


@pytest.mark.nest
def test_nest_escape_noise_passes_the_same_test(sim):
    nest_sim = _nest()
    _check_statistics(_noise_counts(nest_sim, nest_sim))


# -- parameters ------------------------------------------------------------------------------
def test_array_parameters_round_trip(sim):
    cells = sim.Population(3, sim.GIF_cond_exp(
        tau_eta=(2.0, 20.0), a_eta=[(0.1, 0.2), (0.0, 0.0), (0.3, 0.4)]))
    tau_eta = cells.get("tau_eta")
    np.testing.assert_array_equal(tau_eta.value, [2.0, 20.0])      # two components stay two
    np.testing.assert_array_equal(cells.get("a_eta")[2].value, [0.3, 0.4])
    np.testing.assert_array_equal(cells.get("tau_gamma").value, [1.0, 10.0, 100.0])  # default
    cells.set(tau_gamma=(5.0,), a_gamma=(4.0,))
    np.testing.assert_array_equal(cells.get("a_gamma").value, [4.0])
    with pytest.raises(errors.InvalidParameterValueError, match="at most 3"):
        sim.Population(1, sim.GIF_cond_exp(tau_eta=(1.0, 2.0, 3.0, 4.0),
                                           a_eta=(1.0, 1.0, 1.0, 1.0)))
    with pytest.raises(errors.InvalidParameterValueError, match="same number"):
        sim.Population(1, sim.GIF_cond_exp(tau_eta=(1.0, 2.0), a_eta=(1.0, 1.0, 1.0)))
    with pytest.raises(errors.InvalidParameterValueError, match=r"tau_gamma\[1\] = -2.0 ms"):
        sim.Population(1, sim.GIF_cond_exp(tau_gamma=(1.0, -2.0, 3.0)))


def test_set_kernels_after_run_does_not_recompile(sim):
    """A spike-triggered current set after a run acts on the next run, with the same program."""
    cells = sim.Population(1, sim.GIF_cond_exp(delta_v=1e-6, v_t_star=-60.0, i_offset=0.5,
                                               a_eta=(0.0, 0.0, 0.0)))
    cells.record(["spikes", "i_eta"])
    sim.run(100.0)
    traces = TRACE_COUNT["chunk"]
    cells.set(a_eta=(0.2, 0.0, 0.0))
    sim.run(100.0)
    assert TRACE_COUNT["chunk"] == traces
    seg = cells.get_data().segments[0]
    i_eta = np.asarray(seg.filter(name="i_eta")[0])[:, 0]
    spikes = np.asarray(seg.spiketrains[0])
    assert np.all(i_eta[:1001] == 0.0) and i_eta[1001:].max() > 0.1
    assert np.sum(spikes > 100.0) < np.sum(spikes <= 100.0)      # adaptation slows firing
