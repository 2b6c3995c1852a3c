r"""Single-compartment conductance cells declared as tables: gates, currents, reversals.

A cell is a :class:`CellTable`: its gates (each a function giving the steady state
:math:`x_\infty` and the rate :math:`1/\tau_x` at the current v and, for calcium-gated ones,
Ca), its ionic currents as products of gates,
:math:`I_j = g_j \prod_k x_k^{p_k} (v - E_j)`, its reversal potentials (constants or functions
of the state, e.g. a Nernst E_Ca), and optionally a calcium pool driven by the currents that
carry calcium.  From the table come the state and parameter types, the right-hand side in
exponential form (:func:`linearised`) and the PyNN cell type (:func:`cell_model`), so a model
module (``hahn_mcintyre.py``, ``pospischil.py``) holds only its published numbers.

Every such cell integrates with the exponential midpoint scheme with a staggered half step
(:func:`.integrators.exponential_midpoint_staggered`): the membrane relaxes to its
conductance-weighted reversal at rate G/C_m, each gate to :math:`x_\infty` at :math:`1/\tau`,
each solved exactly with frozen coefficients; second order and stable at any step, even for
gates of microsecond time constants (``hahn_mcintyre``'s GP).  Spikes: upward crossings of
``v_thresh``.
"""
from __future__ import annotations

import functools
from typing import Callable, NamedTuple

import jax.numpy as jnp

from .declaration import params_type
from .density import DensityKernel, KernelCoeffs, density_cell, linearised_step
from .density_synapses import DESTEXHE
from .integrators import Relax

__all__ = ["CellTable", "Derived", "gated_conductance", "linearised", "derivatives",
           "initial_state", "cell_model"]


class CellTable(NamedTuple):
    """One cell: everything but its parameter values' meaning lives here."""
    name: str
    gates: dict          # gate -> f(v, ca, p) -> (x_inf, 1/tau); ca is None without a pool
    currents: tuple      # (conductance parameter, ((gate, power), ...), reversal, carries Ca)
    parameters: dict     # name -> Parameter (density units; see density.declare)
    derive: Callable     # params -> tuple of constants the reversals and the pool need
    reversals: Callable  # (params, constants, state) -> {reversal name: mV}
    calcium: Callable | None = None   # (params, constants, state, I_Ca uA/cm2) -> Relax
    v_init: float = -65.0            # mV: the default initial v (gates at steady state)
    ca_init: float = 0.0             # initial Ca (with a pool)

    @property
    def fields(self) -> tuple:
        return ("v",) + tuple(self.gates) + (("ca",) if self.calcium else ())


class Derived(NamedTuple):
    """A step's coefficients: the parameters, the table's derived constants, ``C_m`` (read by
    :func:`.density.linearised_step`)."""
    p: tuple
    constants: tuple
    C_m: jnp.ndarray


def _prepare(table: CellTable, params, dt: float) -> KernelCoeffs:
    return KernelCoeffs(params=Derived(params, table.derive(params), params.C_m), dt=dt)


def gated_conductance(p, state, g_name: str, powers) -> jnp.ndarray:
    """A current's conductance: parameter ``g_name`` times its gates to their powers
    (``powers``: ``((gate, power), ...)``); shared with ``mechanisms.gated_mechanism``."""
    g = getattr(p, g_name)
    for gate, power in powers:
        g = g * getattr(state, gate) ** power
    return g


def _conductances(table: CellTable, d: Derived, y):
    """``(G, sum g E, g of calcium currents, their sum g E)``, mS/cm² and mS/cm² mV."""
    p = d.p
    reversal = table.reversals(p, d.constants, y)
    g_total, g_e = p.g_leak, p.g_leak * p.E_leak
    g_ca, g_ca_e = 0.0, 0.0
    for g_name, gates, e_name, calcium in table.currents:
        g = gated_conductance(p, y, g_name, gates)
        g_total, g_e = g_total + g, g_e + g * reversal[e_name]
        if calcium:
            g_ca, g_ca_e = g_ca + g, g_ca_e + g * reversal[e_name]
    return g_total, g_e, g_ca, g_ca_e


def linearised(table: CellTable, d: Derived, y, i_total):
    """The right-hand side in exponential form at ``y`` (a :class:`.integrators.Relax` per
    variable); ``i_total`` the applied current density (µA/cm², depolarising positive)."""
    g_total, g_e, g_ca, g_ca_e = _conductances(table, d, y)
    ca = y.ca if table.calcium else None
    lin = {"v": Relax((g_e + i_total) / g_total, g_total / d.p.C_m)}
    for gate, kinetics in table.gates.items():
        lin[gate] = Relax(*kinetics(y.v, ca, d.p))
    if table.calcium:
        lin["ca"] = table.calcium(d.p, d.constants, y, g_ca * y.v - g_ca_e)
    return type(y)(**lin)


def derivatives(table: CellTable, c: KernelCoeffs, y, i_total):
    """Time derivatives (per ms) of every variable (what SciPy comparisons check)."""
    lin = linearised(table, c.params, y, i_total)
    return type(y)(*(r.rate * (r.x_inf - x) for r, x in zip(lin, y)))


def initial_state(table: CellTable, state: type, params, v=None):
    """Every gate at its steady state for ``v`` (default ``table.v_init``) and the pool's Ca
    at ``table.ca_init``."""
    v = jnp.asarray(table.v_init if v is None else v, dtype=jnp.result_type(float))
    ca = jnp.full_like(v, table.ca_init) if table.calcium else None
    gates = {g: jnp.broadcast_to(f(v, ca, params)[0], v.shape)
             for g, f in table.gates.items()}
    return state(v=v, **gates, **({"ca": ca} if table.calcium else {}))


def kernel(table: CellTable) -> DensityKernel:
    """The density kernel of ``table`` (types built here, functions bound to the table)."""
    state = NamedTuple(f"{table.name}State", [(f, jnp.ndarray) for f in table.fields])
    state.__doc__ = f"State of {table.name}: " + ", ".join(table.fields) + "."
    return DensityKernel(table.parameters, params_type(table.parameters, f"{table.name}Params",
                                                       defaults=True),
                         state, functools.partial(_prepare, table),
                         functools.partial(derivatives, table),
                         functools.partial(initial_state, table, state))


def cell_model(table: CellTable, name: str, *, dt_max: float, doc: str, units: dict,
               **defaults):
    """The PyNN cell type's ``NeuronModel`` (``density.density_cell``) of ``table``; ``units``
    of the state variables beyond v and the gates (e.g. ``{"ca": "mM"}``).  Receptors ``AMPA``
    and ``GABAa`` with Destexhe's pulse kinetics (``density_synapses.DESTEXHE``), as the cells
    of Fleming et al. 2020 that these tables describe."""
    names = {f: ("Ca" if f == "ca" else f) for f in table.fields}
    unit_of = {names[f]: ("mV" if f == "v" else units.get(f, "dimensionless"))
               for f in table.fields}
    step = linearised_step(functools.partial(linearised, table), staggered=True)
    return density_cell(name, kernel(table), names, unit_of, dt_max=dt_max, rk4_dt_max=0.0,
                        large_step=step, doc=doc, synapses=DESTEXHE, **defaults)
