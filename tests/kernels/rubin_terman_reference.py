"""Independent SciPy reference for the Rubin & Terman 2004 STN (+ I_h), GP and TC cells.

Written again from ``/work/shared/notes/cbgtc-models.md`` §2.1–2.3 and §2.5 in the XPP
file's own form — ``x_inf = 1/(1+exp(-(v-θ_x)/σ_x))``,
``τ_x = τ0 + τ1/(1+exp(-(v-θ^τ_x)/σ^τ_x))`` — with its own parameter tables, and without
importing ``pynn_cbgtc_jax``.  The kernels write the same curves as ``σ(x) = 1/(1+exp(x))``
with the constants folded in, so a sign or constant slip in either transcription shows up as a
trajectory mismatch in the tests.

Each model is a plain NumPy right-hand side ``rhs(t, y, p, i_inj)`` over the state vector, in
the order of the kernel's state ``NamedTuple``; :func:`solve` integrates it with
``scipy.integrate.solve_ivp`` at ``rtol = atol = 1e-10``.
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

__all__ = [
    "STN", "GP", "TC", "STATE_NAMES",
    "stn_rhs", "gp_rhs", "tc_rhs", "solve", "spike_times",
]


def _xinf(v, theta, sigma):
    return 1.0 / (1.0 + np.exp(-(v - theta) / sigma))


def _tau(v, tau0, tau1, theta, sigma):
    return tau0 + tau1 / (1.0 + np.exp(-(v - theta) / sigma))


# --- STN: rubin_terman_pd.ode (2004 values) + Gillies & Willshaw 2006 Ih.mod ----------------------
STN = dict(
    gl=2.25, gna=37.5, gk=45.0, gahp=9.0, gca=0.5, gt=0.5, gh=0.5,
    vl=-60.0, vna=55.0, vk=-80.0, vca=140.0, eh=-56.1,
    thetam=-30.0, sm=15.0, thetah=-39.0, sh=-3.1, thetan=-32.0, sn=8.0,
    thetar=-67.0, sr=-2.0, thetaa=-63.0, sa=7.8, thetas=-39.0, ss=8.0,
    thetab=0.25, sb=-0.07,
    tauh0=1.0, tauh1=500.0, thh=-57.0, sgh=-3.0,
    taun0=1.0, taun1=100.0, thn=-80.0, sgn=-26.0,
    taur0=7.1, taur1=17.5, thr=68.0, sgr=-2.2,
    phih=0.75, phin=0.75, phir=0.5, phica=0.75,
    eps=5e-5, kca=22.5, k1=15.0, iapp=0.0, celsius=35.5,
)


def stn_rhs(t, y, p, i_inj=0.0):
    """STN right-hand side; ``y = [v, h, n, r, f, ca]``."""
    v, h, n, r, f, ca = y
    minf = _xinf(v, p["thetam"], p["sm"])
    hinf = _xinf(v, p["thetah"], p["sh"])
    ninf = _xinf(v, p["thetan"], p["sn"])
    rinf = _xinf(v, p["thetar"], p["sr"])
    ainf = _xinf(v, p["thetaa"], p["sa"])
    sinf = _xinf(v, p["thetas"], p["ss"])
    binf = (1.0 / (1.0 + np.exp((r - p["thetab"]) / p["sb"]))
            - 1.0 / (1.0 + np.exp(-p["thetab"] / p["sb"])))
    tauh = _tau(v, p["tauh0"], p["tauh1"], p["thh"], p["sgh"])
    taun = _tau(v, p["taun0"], p["taun1"], p["thn"], p["sgn"])
    taur = _tau(v, p["taur0"], p["taur1"], p["thr"], p["sgr"])
    # Ih.mod: finf = 1/(1+exp((v+80)/5.5)), tau = 1/(exp(-15.02-0.086v)+exp(-1.5195+0.0701v))/q
    q = 2.0 ** ((p["celsius"] - 35.5) / 10.0)
    finf = 1.0 / (1.0 + np.exp((v + 80.0) / 5.5))
    tauf = 1.0 / (np.exp(-15.02 - 0.086 * v) + np.exp(-1.5195 + 0.0701 * v)) / q

    il = p["gl"] * (v - p["vl"])
    ina = p["gna"] * minf ** 3 * h * (v - p["vna"])
    ik = p["gk"] * n ** 4 * (v - p["vk"])
    iahp = p["gahp"] * (v - p["vk"]) * ca / (ca + p["k1"])
    ica = p["gca"] * sinf ** 2 * (v - p["vca"])
    it = p["gt"] * ainf ** 3 * binf ** 2 * (v - p["vca"])
    ih = p["gh"] * q * f * (v - p["eh"])
    return np.array([
        -(il + ina + ik + iahp + ica + it + ih) + p["iapp"] + i_inj,
        p["phih"] * (hinf - h) / tauh,
        p["phin"] * (ninf - n) / taun,
        p["phir"] * (rinf - r) / taur,
        (finf - f) / tauf,
        p["phica"] * p["eps"] * (-ica - it - p["kca"] * ca),
    ])


# --- GP: rubin_terman_pd.ode + .setnorm (iapp = 2) ----------------------------------------------
GP = dict(
    gl=0.1, gna=120.0, gk=30.0, gahp=30.0, gca=0.1, gt=0.5,
    vl=-55.0, vna=55.0, vk=-80.0, vca=120.0,
    thetam=-37.0, sm=10.0, thetah=-58.0, sh=-12.0, thetan=-50.0, sn=14.0,
    thetar=-70.0, sr=-2.0, thetaa=-57.0, sa=2.0, thetas=-35.0, ss=2.0,
    tau0=0.05, tau1=0.27, tht=-40.0, sgt=-12.0, taur=30.0,
    phih=0.05, phin=0.1, phir=1.0,
    eps=1e-4, kca=15.0, k1=30.0, iapp=2.0,
)


def gp_rhs(t, y, p, i_inj=0.0):
    """GP right-hand side; ``y = [v, h, n, r, ca]``."""
    v, h, n, r, ca = y
    minf = _xinf(v, p["thetam"], p["sm"])
    hinf = _xinf(v, p["thetah"], p["sh"])
    ninf = _xinf(v, p["thetan"], p["sn"])
    rinf = _xinf(v, p["thetar"], p["sr"])
    ainf = _xinf(v, p["thetaa"], p["sa"])
    sinf = _xinf(v, p["thetas"], p["ss"])
    tau = _tau(v, p["tau0"], p["tau1"], p["tht"], p["sgt"])

    il = p["gl"] * (v - p["vl"])
    ina = p["gna"] * minf ** 3 * h * (v - p["vna"])
    ik = p["gk"] * n ** 4 * (v - p["vk"])
    iahp = p["gahp"] * (v - p["vk"]) * ca / (ca + p["k1"])
    ica = p["gca"] * sinf ** 2 * (v - p["vca"])
    it = p["gt"] * ainf ** 3 * r * (v - p["vca"])
    return np.array([
        -(it + ina + ik + iahp + ica + il) + p["iapp"] + i_inj,
        p["phih"] * (hinf - h) / tau,
        p["phin"] * (ninf - n) / tau,
        p["phir"] * (rinf - r) / p["taur"],
        p["eps"] * (-ica - it - p["kca"] * ca),
    ])


# --- TC: rubin_terman_pd.ode --------------------------------------------------------------------
TC = dict(gl=0.05, el=-70.0, gna=3.0, ena=50.0, gk=5.0, ek=-90.0, gt=5.0, et=0.0, iapp=0.0)


def tc_rhs(t, y, p, i_inj=0.0):
    """TC right-hand side; ``y = [v, h, r]``."""
    v, h, r = y
    minf = 1.0 / (1.0 + np.exp(-(v + 37.0) / 7.0))
    pinf = 1.0 / (1.0 + np.exp(-(v + 60.0) / 6.2))
    hinf = 1.0 / (1.0 + np.exp((v + 41.0) / 4.0))
    rinf = 1.0 / (1.0 + np.exp((v + 84.0) / 4.0))
    ah = 0.128 * np.exp(-(v + 46.0) / 18.0)
    bh = 4.0 / (1.0 + np.exp(-(v + 23.0) / 5.0))
    tauh = 1.0 / (ah + bh)
    taur = 0.4 * (28.0 + np.exp(-(v + 25.0) / 10.5))

    il = p["gl"] * (v - p["el"])
    ina = p["gna"] * minf ** 3 * h * (v - p["ena"])
    ik = p["gk"] * (0.75 * (1.0 - h)) ** 4 * (v - p["ek"])
    it = p["gt"] * pinf ** 2 * r * (v - p["et"])
    return np.array([
        -(il + ina + ik + it) + p["iapp"] + i_inj,
        (hinf - h) / tauh,
        (rinf - r) / taur,
    ])


STATE_NAMES = {stn_rhs: ("v", "h", "n", "r", "f", "ca"), gp_rhs: ("v", "h", "n", "r", "ca"),
               tc_rhs: ("v", "h", "r")}


def solve(rhs, p, y0, t_eval, i_inj=0.0, method="DOP853"):
    """Integrate ``rhs`` from ``t = 0`` to ``t_eval[-1]`` (ms) under a constant ``i_inj``.

    Returns the states at ``t_eval`` as an array of shape ``(len(y0), len(t_eval))``, at
    ``rtol = atol = 1e-10`` with ``max_step = 0.05`` ms so that no step jumps over the onset of a
    spike.  DOP853 (8th order, 7th-order dense output) is the default: its error against the
    kernels' RK4 at small steps is ~1e-6 mV, while LSODA's dense output floors at ~2e-5 mV.
    LSODA is ~5x faster and accurate enough for spike times.
    """
    sol = solve_ivp(rhs, (0.0, float(t_eval[-1])), np.asarray(y0, dtype=float), method=method,
                    t_eval=t_eval, args=(p, i_inj), rtol=1e-10, atol=1e-10, max_step=0.05)
    if not sol.success:
        raise RuntimeError(sol.message)
    return sol.y


def spike_times(t, v, v_thresh=-20.0):
    """Upward crossings of ``v_thresh``, linearly interpolated between samples (ms)."""
    t, v = np.asarray(t), np.asarray(v)
    k = np.nonzero((v[:-1] < v_thresh) & (v[1:] >= v_thresh))[0]
    return t[k] + (v_thresh - v[k]) / (v[k + 1] - v[k]) * (t[k + 1] - t[k])
