"""An independent NumPy statement of Hahn & McIntyre's ``stn`` (pSTN.mod) and ``GPeA``
(pGPeA.mod) mechanisms in NEURON's own units (S/cm², mA/cm², mM, µm), for SciPy to solve.

Written from the .mod files and Fleming et al. 2020's cell classes, not from the kernel: the
constants are typed again, currents are in mA/cm² and conductances in S/cm² as in the .mod files,
the bias is an IClamp in nA on a 60 x 60 µm cylinder, so a unit slip in the kernel's bridge
shows up as a difference.
"""
from __future__ import annotations

import math

import numpy as np
from scipy.integrate import solve_ivp

FARADAY, R = 96485.3321233100184, 8.31441
AREA_UM2 = math.pi * 60.0 * 60.0


def _inf(v, theta, k):
    return 1.0 / (1.0 + np.exp((v - theta) / k))


def _bell(v, t0, t1, a1, a2, s1, s2):
    return t0 + t1 / (np.exp(-(v - a1) / s1) + np.exp(-(v - a2) / s2))


def _sig(v, t0, t1, a, s):
    return t0 + t1 / (1.0 + np.exp(-(v - a) / s))


STN_GATES = ("m", "h", "n", "a", "b", "c", "d1", "d2", "p", "q", "r")
GP_GATES = ("m", "h", "n", "p", "q", "r")


def _stn_gates(v, cai):
    """{gate: (inf, tau)} of pSTN.mod."""
    return {
        "m": (_inf(v, -40, -8), _sig(v, 0.2, 3, -53, -0.7)),
        "h": (_inf(v, -45.5, 6.4), _bell(v, 0, 24.5, -50, -50, -15, 16)),
        "n": (_inf(v, -41, -14), _bell(v, 0, 11, -40, -40, -40, 50)),
        "a": (_inf(v, -45, -14.7), _sig(v, 1, 1, -40, -0.5)),
        "b": (_inf(v, -90, 7.5), _bell(v, 0, 200, -60, -40, -30, 10)),
        "c": (_inf(v, -30.6, -5), _bell(v, 45, 10, -27, -50, -20, 15)),
        "d1": (_inf(v, -60, 7.5), _bell(v, 400, 500, -40, -20, -15, 20)),
        "d2": (_inf(cai, 0.1e-3, 0.02e-3), 130.0),
        "p": (_inf(v, -56, -6.7), _bell(v, 5, 0.33, -27, -102, -10, 15)),
        "q": (_inf(v, -85, 5.8), _bell(v, 0, 400, -50, -50, -15, 16)),
        "r": (_inf(cai, 0.17e-3, -0.08e-3), 2.0),
    }


def _gp_gates(v, cai):
    """{gate: (inf, tau)} of pGPeA.mod."""
    return {
        "m": (_inf(v, -38, -7), _sig(v, 0.001, 0.1, -53, -0.7)),
        "h": (_inf(v, -45.5, 6.4), _bell(v, 0, 4.5, -50, -50, -15, 16)),
        "n": (_inf(v, -42, -14), _bell(v, 0, 2.4, -40, -40, -40, 50)),
        "p": (_inf(v, -56, -6.7), _bell(v, 5, 0.33, -27, -102, -10, 15)),
        "q": (_inf(v, -85, 5.8), _bell(v, 0, 400, -50, -50, -15, 16)),
        "r": (_inf(cai, 0.17e-3, -0.08e-3), 2.0),
    }


# Fleming's cell classes (S/cm2)
STN_G = dict(gnabar=49e-3, gkdrbar=57e-3, gkabar=5e-3, gkcabar=1.0e-3, gcalbar=15e-3,
             gcatbar=5e-3, gl=0.35e-3)
GP_G = dict(gnabar=0.04, gkdrbar=0.0042, gkcabar=0.1e-3, gcatbar=6.7e-5, gl=4e-5)


def _ionic(cell, y, g):
    """(total ionic current mA/cm2 outward, ica mA/cm2) of state y."""
    gates = STN_GATES if cell == "STN" else GP_GATES
    v, s, cai = y[0], dict(zip(gates, y[1:-1])), y[-1]
    T = 273 + 6.3 - 9.5
    ena = -(R * T) / FARADAY * np.log(10.0 / 108.0) * 1000
    ek = (R * T) / FARADAY * np.log(3.0 / 105.0) * 1000
    # (Radau's trial stages may try cai <= 0: the log of a floor there, as the kernel)
    eca = -(R * T) / FARADAY * np.log(np.maximum(cai, 1e-12) / 2.0) * 1000 / 2
    ina = g["gnabar"] * s["m"] ** 3 * s["h"] * (v - ena)
    ik = g["gkdrbar"] * s["n"] ** 4 * (v - ek) + g["gkcabar"] * (v - ek) * s["r"] ** 2
    ica = g["gcatbar"] * s["p"] ** 2 * s["q"] * (v - eca)
    if cell == "STN":
        ik = ik + g["gkabar"] * s["a"] ** 2 * s["b"] * (v - ek)
        ica = ica + g["gcalbar"] * s["c"] ** 2 * s["d1"] * s["d2"] * (v - eca)
    return ina + ik + ica + g["gl"] * (v - (-60.0)), ica


def rhs(t, y, cell, bias_na):
    """dy/dt of [v, gates..., cai]; ``bias_na`` an IClamp on the 60 x 60 µm soma (cm = 1)."""
    g = STN_G if cell == "STN" else GP_G
    gates = STN_GATES if cell == "STN" else GP_GATES
    i_ion, ica = _ionic(cell, y, g)
    # IClamp nA -> mA/cm2: nA * 1e-6 mA/nA / (area um2 * 1e-8 cm2/um2)
    i_clamp = bias_na * 1e-6 / (AREA_UM2 * 1e-8)
    dv = (i_clamp - i_ion) * 1e3            # mA/cm2 / (uF/cm2) -> mV/ms
    kin = (_stn_gates if cell == "STN" else _gp_gates)(y[0], y[-1])
    dgates = [(kin[x][0] - s) / kin[x][1] for x, s in zip(gates, y[1:-1])]
    dcai = 0.1 * (-ica * AREA_UM2 * 1e-11 / (2 * FARADAY * 3.355e-11) - 2.0 * y[-1])
    return np.array([dv, *dgates, dcai])


def initial(cell, v=-68.0, cai=5e-6):
    kin = (_stn_gates if cell == "STN" else _gp_gates)(v, cai)
    gates = STN_GATES if cell == "STN" else GP_GATES
    return np.array([v, *(kin[x][0] for x in gates), cai])


def solve(cell, bias_na, t_eval, y0=None):
    """The stiff reference: Radau at rtol 1e-10 (the GP's tau_m of 1 us makes it stiff)."""
    y0 = initial(cell) if y0 is None else y0
    sol = solve_ivp(rhs, (0.0, t_eval[-1]), y0, method="Radau", t_eval=t_eval, rtol=1e-10,
                    atol=1e-12, args=(cell, bias_na))
    assert sol.success, sol.message
    return sol.y


def spike_times(t, v, threshold=10.0):
    """Times (interpolated) of upward crossings of ``threshold``."""
    up = np.flatnonzero((v[:-1] < threshold) & (v[1:] >= threshold))
    return t[up] + (threshold - v[up]) / (v[up + 1] - v[up]) * (t[up + 1] - t[up])


# -- Pospischil 2008 interneuron (Interneuron_I_{Na,K,Leak}.mod), NEURON units ----------------
INTERNEURON_AREA_UM2 = math.pi * 35.0 * 25.0


def _vtrap(x, y):
    return y * (1 - x / y / 2) if abs(x / y) < 1e-6 else x / (math.exp(x / y) - 1)


def _interneuron_rates(v):
    u = v + 55.0                                  # v - V_T
    am, bm = 0.32 * _vtrap(-(u - 13), 4), 0.28 * _vtrap(u - 40, 5)
    ah, bh = 0.128 * math.exp(-(u - 17) / 18), 4 / (1 + math.exp(-(u - 40) / 5))
    an, bn = 0.032 * _vtrap(-(u - 15), 5), 0.5 * math.exp(-(u - 10) / 40)
    return (am, bm), (ah, bh), (an, bn)


def interneuron_rhs(t, y, bias_na):
    v, m, h, n = y
    (am, bm), (ah, bh), (an, bn) = _interneuron_rates(v)
    i_ion = (0.05 * m ** 3 * h * (v - 50) + 0.01 * n ** 4 * (v + 100)
             + 0.00015 * (v + 70))                                    # mA/cm2
    i_clamp = bias_na * 1e-6 / (INTERNEURON_AREA_UM2 * 1e-8)
    return [(i_clamp - i_ion) * 1e3, am * (1 - m) - bm * m, ah * (1 - h) - bh * h,
            an * (1 - n) - bn * n]


def interneuron_solve(bias_na, t_eval, v0=-68.0):
    """Radau at rtol 1e-10 from the gates' steady state at ``v0``."""
    rates = _interneuron_rates(v0)
    y0 = [v0] + [a / (a + b) for a, b in rates]
    sol = solve_ivp(interneuron_rhs, (0.0, t_eval[-1]), y0, method="Radau", t_eval=t_eval,
                    rtol=1e-10, atol=1e-12, args=(bias_na,))
    assert sol.success, sol.message
    return sol.y


# -- Fleming's thalamic cell (Thalamic_I_{leak,Na_K,T}.mod), NEURON units, cm = 100 ----------
TC_AREA_UM2 = math.pi * 100.0 * 100.0


def _s(x):
    return 1.0 / (1.0 + math.exp(x))


def tc_rhs(t, y, step):
    """dy/dt of [v, h, r] with an IClamp of ``step(t)`` nA on the 100 x 100 um soma."""
    v, h, r = y
    i_ion = (0.005 * (v + 70) + 0.3 * _s(-(v + 37) / 7) ** 3 * h * (v - 50)
             + 0.5 * (0.75 * (1 - h)) ** 4 * (v + 90) + 0.5 * _s(-(v + 60) / 6.2) ** 2 * r * v)
    i_clamp = step(t) * 1e-6 / (TC_AREA_UM2 * 1e-8)
    tau_h = 1 / (0.128 * math.exp(-(v + 46) / 18) + 4 / (1 + math.exp(-(v + 23) / 5)))
    tau_r = 28 + math.exp(-(v + 25) / 10.5)
    return [(i_clamp - i_ion) * 1e3 / 100.0, (_s((v + 41) / 4) - h) / tau_h,
            (_s((v + 84) / 4) - r) / tau_r]


def tc_solve(step, t_eval, v0=-65.0, max_step=0.05):
    """Radau at rtol 1e-10 from the steady gates at ``v0`` (``max_step`` resolves the step's
    edges)."""
    y0 = [v0, _s((v0 + 41) / 4), _s((v0 + 84) / 4)]
    sol = solve_ivp(tc_rhs, (0.0, t_eval[-1]), y0, method="Radau", t_eval=t_eval, rtol=1e-10,
                    atol=1e-12, args=(step,), max_step=max_step)
    assert sol.success, sol.message
    return sol.y


# -- Fleming's cortical channels in one compartment (Cortical_Soma_*.mod, Cortical_Axon_*.mod) --
def _gate(a, b):
    return a / (a + b), a + b


def _soma_gates(v):
    """[(x_inf, rate)] of m, h, n (Pospischil, V_T -55) and p (M current, tau_max 1000)."""
    tau_p = 1000 / (3.3 * math.exp((v + 35) / 20) + math.exp(-(v + 35) / 20))
    return [_gate(a, b) for a, b in _interneuron_rates(v)] + [
        (1 / (1 + math.exp(-(v + 35) / 10)), 1 / tau_p)]


def _node_gates(v):
    """[(x_inf, rate)] of the axon Na m, h, Kv n, Kd m, h (Q_s 3.209)."""
    q = 3.209
    return [_gate(q * 0.182 * _vtrap(-(v + 30), 8), q * 0.124 * _vtrap(v + 30, 8)),
            (1 / (1 + math.exp((v + 60) / 6.2)),
             q * (0.028 * _vtrap(-(v + 45), 6) + 0.0091 * _vtrap(v + 70, 6))),
            _gate(q * 0.01 * _vtrap(-(v - 30), 9), q * 0.002 * _vtrap(v - 30, 9)),
            (1 - 1 / (1 + math.exp((v + 43) / 8)), 1.0),
            (1 - 1 / (1 + math.exp((v + 67) / 7.3)), 1 / 1500.0)]


def cortical_rhs(t, y, kind, bias_na, area_um2):
    """dy/dt of one compartment with Fleming's soma channels (``kind="soma"``: Na, Kd, M, leak
    1e-4 S/cm2) or node channels (``"node"``: axon Na 0.28, Kv 5e-4, Kd 0.0072, leak 0.02
    S/cm2), leaks to -70 mV, cm = 1, an IClamp of ``bias_na`` nA."""
    v, g = y[0], y[1:]
    if kind == "soma":
        m, h, n, p = g
        i_ion = (0.05 * m ** 3 * h * (v - 50) + 5e-3 * n ** 4 * (v + 100)
                 + 7e-5 * p * (v + 100) + 1e-4 * (v + 70))
        gates = _soma_gates(v)
    else:
        m, h, n, km, kh = g
        i_ion = (0.28 * m ** 3 * h * (v - 60) + 5e-4 * n * (v + 90)
                 + 0.0072 * km * kh * (v + 90) + 0.02 * (v + 70))
        gates = _node_gates(v)
    i_clamp = bias_na * 1e-6 / (area_um2 * 1e-8)
    return [(i_clamp - i_ion) * 1e3] + [(x_inf - x) * rate for x, (x_inf, rate) in
                                        zip(g, gates)]


def cortical_solve(kind, bias_na, area_um2, t_eval, v0=-68.0):
    """Radau at rtol 1e-10 from every gate's steady state at ``v0``."""
    gates = _soma_gates(v0) if kind == "soma" else _node_gates(v0)
    sol = solve_ivp(cortical_rhs, (0.0, t_eval[-1]), [v0] + [x for x, _ in gates],
                    method="Radau", t_eval=t_eval, rtol=1e-10, atol=1e-12,
                    args=(kind, bias_na, area_um2))
    assert sol.success, sol.message
    return sol.y
