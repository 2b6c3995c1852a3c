"""The cable solver of multi-compartment cells (``kernels/cable.py``, ``compiler/cable_tree.py``;
issue 16): against a dense linear solve, the analytic passive cable, its convergence order, and
NEURON itself on a ball-and-stick Hodgkin-Huxley cell.  float64 throughout (the references are
exact to ~1e-12; float32 rounding would hide the differences under test)."""
from __future__ import annotations

import jax
import numpy as np
import pytest

from pynn_cbgtc_jax.compiler.cable_tree import (Section, build_tree, cable_params,
                                                d_lambda_nseg, laplacian_diagonal, node_of)


@pytest.fixture(autouse=True)
def _x64():
    previous = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", previous)


def test_hines_solve_equals_a_dense_solve_on_a_branched_tree():
    """Reference: numpy.linalg.solve of the same matrix (a 5-section tree with two branch
    points, 40 nodes; agreement to 1e-12 relative: both are exact up to rounding)."""
    import jax.numpy as jnp
    from pynn_cbgtc_jax.kernels.cable import hines_solve
    tree = build_tree([Section(None, 20, 20, 1), Section(0, 300, 2, 9), Section(1, 100, 1, 7),
                       Section(1, 150, 1.5, 11), Section(0, 80, 1, 5)], Ra=150.0)
    n = tree.parent.size
    rng = np.random.default_rng(2)
    d = laplacian_diagonal(tree) + rng.uniform(0.1, 2.0, n)
    r = rng.normal(size=n)
    a = np.diag(d)
    for i in range(1, n):
        a[i, tree.parent[i]] = a[tree.parent[i], i] = -tree.g_axial[i]
    got = np.asarray(hines_solve(jnp.asarray(d), -jnp.asarray(tree.g_axial), jnp.asarray(r),
                                 jnp.asarray(tree.parent)))
    np.testing.assert_allclose(got, np.linalg.solve(a, r), rtol=1e-12, atol=1e-12)


def test_passive_cable_steady_state_is_the_analytic_one():
    """A sealed-end cable (1000 um x 2 um, Ra 100 ohm cm, g_pas 1e-4 S/cm2: lambda = 707 um),
    0.1 nA into its x = 0 end, 300 ms (30 membrane time constants).  Reference: the cable
    equation's steady state V(x) - E = I r_a lambda cosh((L - x)/lambda) / sinh(L/lambda),
    r_a = 4 Ra / (pi d^2).  Tolerance 0.1 % (issue 16's target): the second-order spatial error
    of 201 segments of 5 um is (dx / lambda)^2 / 12 ~ 4e-6, the remaining transient e^-30."""
    import jax.numpy as jnp
    from pynn_cbgtc_jax.kernels.cable import initial_state, run
    L, d, Ra, g, E, I0 = 1000.0, 2.0, 100.0, 1e-4, -65.0, 0.1
    tree = build_tree([Section(None, L, d, 201)], Ra=Ra)
    p = cable_params(tree, cm=1.0, g_pas=g, e_pas=E)
    dt, steps = 0.1, 3000
    i_inj = np.zeros((steps, tree.parent.size))
    i_inj[:, node_of(tree, 0, 0.0)] = I0
    _, v, _ = run(p, initial_state(p, jnp.full(tree.parent.size, E)), jnp.asarray(i_inj), dt)
    lam_um = np.sqrt((d * 1e-4 / 4.0) / (Ra * g)) * 1e4
    r_a = 4.0 * Ra / (np.pi * (d * 1e-4) ** 2) * 1e-4            # ohm/cm -> ohm/um
    x = (np.arange(201) + 0.5) * L / 201
    want = E + I0 * 1e-9 * r_a * lam_um * np.cosh((L - x) / lam_um) / np.sinh(L / lam_um) * 1e3
    got = np.asarray(v[-1])[tree.centres[0]]
    np.testing.assert_allclose(got - E, want - E, rtol=1e-3)
    assert (want - E).min() > 1.0          # a response far above the tolerance


def test_backward_euler_is_first_order_on_the_membrane_time_constant():
    """An isopotential cable (no current) starting 10 mV above rest decays as
    10 exp(-t / tau), tau = cm / g_pas = 10 ms.  Reference: that exponential; the error at
    t = 10 ms must halve with dt (backward Euler's order 1: ratio 2 within 5 %, as the
    leading term dominates at these dt)."""
    import jax.numpy as jnp
    from pynn_cbgtc_jax.kernels.cable import initial_state, run
    tree = build_tree([Section(None, 100.0, 10.0, 3)], Ra=100.0)
    p = cable_params(tree, cm=1.0, g_pas=1e-4, e_pas=-65.0)
    errors = []
    for dt in (0.1, 0.05, 0.025):
        steps = int(round(10.0 / dt))
        _, v, _ = run(p, initial_state(p, jnp.full(tree.parent.size, -55.0)),
                      jnp.zeros((steps, tree.parent.size)), dt)
        errors.append(abs(float(v[-1, 1]) - (-65.0 + 10.0 * np.exp(-1.0))))
    assert 1.9 < errors[0] / errors[1] < 2.1 and 1.9 < errors[1] / errors[2] < 2.1, errors


def test_d_lambda_rule_matches_neuron_cellbuilder():
    """Reference: the values NEURON's CellBuilder gives (docs/design/multicompartment.md,
    section 4: PyNN's scenario5 dendrite, 500 x 2 um at Ra 500, cm 1 -> 29; its soma -> 1)."""
    assert d_lambda_nseg(500.0, 2.0, 500.0, 1.0) == 29
    assert d_lambda_nseg(18.8, 18.8, 500.0, 1.0) == 1
    assert d_lambda_nseg(1.0, 2.0, 100.0, 1.0) % 2 == 1


@pytest.mark.neuron
def test_ball_and_stick_hh_equals_neuron(neuron_h):
    """Reference: NEURON 9.0.2 (the ``neuron`` module, its built-in hh and pas) on the same cell:
    soma 18.8 x 18.8 um (1 segment, HH with gl_hh = 0), dendrite 500 x 2 um (29 segments), pas
    0.0003 S/cm2 / -54.3 mV everywhere, Ra 500, cm 1, IClamp 0.15 nA 50-150 ms at soma(0.5),
    v_init -60, dt 0.025, 200 ms, exact rates (usetable_hh = 0), 6.3 degC.  The soma voltage
    agrees to 1e-6 mV (the design study measured 1.5e-9: both solve the same linear systems,
    in a different order of rounding) and the spike times are identical."""
    import jax.numpy as jnp
    from pynn_cbgtc_jax.kernels.cable import initial_state, run
    h = neuron_h
    soma, dend = h.Section(name="soma_t"), h.Section(name="dend_t")
    soma.L = soma.diam = 18.8
    dend.L, dend.diam, dend.nseg = 500.0, 2.0, 29
    dend.connect(soma(1.0))
    for sec in (soma, dend):
        sec.Ra, sec.cm = 500.0, 1.0
        sec.insert("pas")
        for seg in sec:
            seg.pas.g, seg.pas.e = 0.0003, -54.3
    soma.insert("hh")
    soma(0.5).hh.gl = 0.0
    soma(0.5).ena, soma(0.5).ek = 50.0, -77.0
    clamp = h.IClamp(soma(0.5))
    clamp.delay, clamp.dur, clamp.amp = 50.0, 100.0, 0.15
    h.celsius, h.dt, h.usetable_hh = 6.3, 0.025, 0
    rec = h.Vector().record(soma(0.5)._ref_v)
    h.finitialize(-60.0)
    h.continuerun(200.0)
    want = np.asarray(rec)[1:]

    tree = build_tree([Section(None, 18.8, 18.8, 1), Section(0, 500.0, 2.0, 29)], Ra=500.0)
    det = node_of(tree, 0, 0.5)
    p = cable_params(tree, cm=1.0, g_pas=0.0003, e_pas=-54.3, gnabar=[0.12, 0.0],
                gkbar=[0.036, 0.0], detector=det)
    dt, steps = 0.025, want.size
    t_mid = (np.arange(steps) + 0.5) * dt
    i_inj = np.zeros((steps, tree.parent.size))
    i_inj[(t_mid >= 50.0) & (t_mid < 150.0), det] = 0.15
    _, v, spiked = run(p, initial_state(p, jnp.full(tree.parent.size, -60.0)),
                       jnp.asarray(i_inj), dt)
    got = np.asarray(v)[:, det]
    np.testing.assert_allclose(got, want, atol=1e-6, rtol=0)
    ours = (np.flatnonzero(np.asarray(spiked)) + 1) * dt
    theirs = (np.flatnonzero((want[:-1] < 10.0) & (want[1:] >= 10.0)) + 2) * dt
    assert ours.size >= 5
    np.testing.assert_allclose(ours, theirs, atol=1e-9)


def test_point_source_currents_sum_to_zero_and_follow_the_second_difference():
    """The activating function: the field's currents into a cell sum to zero (it adds no
    charge), and along a uniform straight axon each centre gets g (phi_prev - 2 phi + phi_next),
    the second difference of the potential (reference: that formula with phi = 1/(4 pi sigma r)
    computed here independently; 1e-12 relative)."""
    from pynn_cbgtc_jax.compiler.cable_tree import node_positions, point_source_weights
    tree = build_tree([Section(None, 1000.0, 2.0, 21)], Ra=100.0)
    pos = node_positions(tree, [[-500.0, 0, 0]], [[500.0, 0, 0]])
    a = point_source_weights(tree, pos, [0.0, 200.0, 0.0], sigma=0.3)
    assert abs(a.sum()) < 1e-12 * np.abs(a).max()
    c = np.asarray(tree.centres[0])
    phi = 1.0 / (4 * np.pi * 0.3 * np.linalg.norm(pos - [0.0, 200.0, 0.0], axis=1))
    g = tree.g_axial[c[1]]                                 # centre to centre
    inner = c[1:-1]
    np.testing.assert_allclose(a[inner], g * (phi[inner - 1] - 2 * phi[inner] + phi[inner + 1]),
                               rtol=1e-12)
    assert a[c[10]] < 0 < a[c[0]]      # a positive source hyperpolarises under it


@pytest.fixture
def neuron_h():
    """NEURON's ``h``, its global settings (dt, celsius, hh's rate table) restored afterwards
    so that a later pyNN.neuron run in this process sees NEURON's defaults."""
    neuron = pytest.importorskip("neuron")
    h = neuron.h
    h.load_file("stdrun.hoc")
    saved = (h.dt, h.celsius, h.usetable_hh)
    yield h
    h.dt, h.celsius, h.usetable_hh = saved


def _axon(neuron_h, nseg):
    sec = neuron_h.Section(name="axon_t")
    sec.L, sec.diam, sec.nseg, sec.Ra, sec.cm = 2000.0, 2.0, nseg, 100.0, 1.0
    sec.insert("hh")
    return sec


@pytest.mark.neuron
def test_axon_activation_thresholds_equal_neurons_extracellular(neuron_h):
    """A straight HH axon (2000 x 2 um, 201 segments, hh.mod with its leak, Ra 100, cm 1) under
    a point electrode (sigma 0.27 S/m) above its middle; a 0.1 ms cathodic pulse at 1 ms; the
    threshold is the smallest current whose action potential reaches the axon's far end
    (x = 0.95 crosses 0 mV by 6 ms), found by bisection to 0.1 % for 10 electrode distances
    from 50 to 1000 um.  Reference: NEURON 9.0.2 with its ``extracellular`` mechanism and
    ``e_extracellular`` played per segment (dt 0.005 ms, exact rates).  Tolerance 2 % (issue
    16's target); the bisections resolve 0.1 %, so the agreement itself is what is tested."""
    import jax.numpy as jnp
    from pynn_cbgtc_jax.compiler.cable_tree import node_positions, point_source_weights
    from pynn_cbgtc_jax.kernels.cable import initial_state, run
    h = neuron_h
    dt, t_end, t_on, width, sigma = 0.005, 6.0, 1.0, 0.1, 0.27
    distances = np.geomspace(50.0, 1000.0, 10)

    tree = build_tree([Section(None, 2000.0, 2.0, 201)], Ra=100.0)
    pos = node_positions(tree, [[-1000.0, 0, 0]], [[1000.0, 0, 0]])
    probe = node_of(tree, 0, 0.95)
    p = cable_params(tree, cm=1.0, g_pas=0.0003, e_pas=-54.3, gnabar=0.12, gkbar=0.036)
    steps = int(round(t_end / dt))
    t_mid = (np.arange(steps) + 0.5) * dt
    pulse = ((t_mid >= t_on) & (t_mid < t_on + width)).astype(float)
    s0 = initial_state(p, jnp.full(tree.parent.size, -65.0))

    @jax.jit
    def fires_ours(amp_na, a):
        _, v, _ = run(p, s0, -amp_na * pulse[:, None] * a[None, :], dt)
        return jnp.max(v[:, probe]) > 0.0

    axon = _axon(h, 201)
    axon.insert("extracellular")
    rec = h.Vector().record(axon(0.95)._ref_v)
    tvec = h.Vector([0.0, t_on, t_on, t_on + width, t_on + width, t_end + 1.0])
    plays = []

    def fires_neuron(amp_na, r):
        plays.clear()                  # a played Vector that is freed stops playing
        for seg in axon:
            x = -1000.0 + 2000.0 * seg.x
            phi = 1.0 / (4 * np.pi * sigma * np.hypot(x, r))
            vals = h.Vector([0.0, 0.0, -amp_na * phi, -amp_na * phi, 0.0, 0.0])
            vals.play(seg._ref_e_extracellular, tvec, 1)
            plays.append(vals)
        h.dt, h.celsius, h.usetable_hh = dt, 6.3, 0
        h.finitialize(-65.0)
        h.continuerun(t_end)
        return np.max(np.asarray(rec)) > 0.0

    def threshold(fires):
        lo, hi = 0.0, 1.0
        while not fires(hi):
            lo, hi = hi, hi * 4.0
        while hi - lo > 1e-3 * hi:
            mid = 0.5 * (lo + hi)
            lo, hi = (lo, mid) if fires(mid) else (mid, hi)
        return hi

    ours, theirs = [], []
    for r in distances:
        a = jnp.asarray(point_source_weights(tree, pos, [0.0, r, 0.0], sigma))
        ours.append(threshold(lambda amp: bool(fires_ours(amp * 1e3, a))))        # uA -> nA
        theirs.append(threshold(lambda amp: fires_neuron(amp * 1e3, r)))
    ours, theirs = np.array(ours), np.array(theirs)
    print("thresholds uA, ours / NEURON:", np.round(ours, 3), np.round(theirs, 3))
    assert np.all(np.diff(theirs) > 0)                 # farther needs more: a real sweep
    np.testing.assert_allclose(ours, theirs, rtol=0.02)
