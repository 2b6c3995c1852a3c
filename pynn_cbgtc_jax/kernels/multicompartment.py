r"""PyNN's ``MultiCompartmentNeuron`` as a neuron model of the engine: one cell, one step.

The cable of ``cable.py`` (NEURON's fixed-step scheme: backward Euler for the node voltages
solved by Hines elimination, ``cnexp`` for the Hodgkin-Huxley gates half a step later) with the
engine's inputs at their nodes:

* the current sources of the cell (``Drive.i_inj``, nA) into node ``inject_node`` (a parameter
  per cell: the location given to ``inject_into(..., location=)``; default the soma);
* an extracellular electrode's current ``I_el`` (``Drive.i_field``, nA) as ``I_el a_i`` into
  every node ``i``, ``a = field_weight`` (``compiler/cable_tree.point_source_weights``: the
  activating function of a point source in a homogeneous medium, NEURON's ``extracellular``
  mechanism with its defaults);
* each density mechanism (``kernels/mechanisms.py``: a published point model's channels, e.g.
  Rubin & Terman's STN) at its nodes, its current linearised around ``v^n`` as NEURON does
  for a BREAKPOINT (slope by a 1e-3 mV difference), its states advanced with ``v^{n+1}``;
* each synapse column ``c`` (a post-synaptic entity's place; a PSE has one column per node
  its places fall on, and the engine's receptor axis counts columns) at node ``syn_nodes[c]``
  (static): an exponentially decaying conductance (``CondExpPostSynapticResponse``, NEURON's
  ``ExpSyn``), or Fleming et al.'s saturating Destexhe conductance
  (``DestexhePostSynapticResponse``: during a pulse of ``C_dur`` it relaxes to ``g_max
  R_inf``, after it decays at ``beta``; a spike reaching it idle sets ``g_max`` to its weight,
  one during a pulse restarts the pulse; ``density_synapses.py``),

  .. math:: I_r = g_r (E_r - v_{node}), \quad dg_r/dt = -g_r/\tau_r, \quad g_r \mathrel{+}= w

  taken implicitly in the voltage solve (its ``g`` on the diagonal), or a current
  (``CurrExpPostSynapticResponse``, NEURON's ``ExpISyn``) :math:`I_r` with the same decay.
  The weights arriving in a step are added before it and the step uses ``g`` from its start;
  ``g`` then decays exactly over ``dt``.

The structure (tree, HH nodes, detector, synapse nodes) is static: one model per structure,
built and registered by :func:`multicompartment_model`; every number is a traced parameter per
cell.  State per cell: ``v`` [n_nodes], the gates ``m``, ``h``, ``n`` [n_hh] and the synaptic
variables ``g`` [n_columns].  Recorded signals name an element: ``v@k`` (node ``k``),
``m@j`` (the ``j``-th HH node) -- ``engine.spec.signal_values``.
"""
from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.custom_batching import custom_vmap

from . import cable
from .declaration import NeuronModel, Parameter
from .mechanisms import MECHANISMS, SLOPE_DV
from .registry import NEURON_MODELS, register

__all__ = ["Structure", "Params", "State", "multicompartment_model"]


class Structure(NamedTuple):
    """What a compiled cell's program depends on (hashable)."""

    parent: tuple            # parent node of each node (-1: root)
    hh_nodes: tuple          # nodes with HH gates
    detector: int            # spike detector node
    syn_nodes: tuple         # node per synapse column
    syn_kind: tuple          # per column: "cond_exp", "curr_exp" or "destexhe" (SYN_KINDS)
    receptors: tuple         # per column: its name, "<PSE>" for a PSE's first, "<PSE>#k" after
    gates: tuple             # (PyNN variable, gate) pairs, e.g. (("na.m", "m"), ("kdr.n", "n"))
    mechanisms: tuple = ()   # (channel name, mechanism name, nodes) per density mechanism
                             # (kernels/mechanisms.py), e.g. (("stn", "stn_rt2004", (1,)),)
    detectors: tuple = ()    # nodes of the cell type's further spike detectors (read by the
                             # runner: engine/runner.py, detector_counts)

    @property
    def name(self) -> str:
        digest = hashlib.sha1(repr(self).encode()).hexdigest()[:12]
        return f"MultiCompartment[{len(self.parent)} nodes:{digest}]"


class Params(NamedTuple):
    """One cell (arrays per node, per HH node, per receptor; PyNN units)."""

    cap: jnp.ndarray        # nF [n_nodes]
    g_axial: jnp.ndarray    # uS [n_nodes]
    l_diag: jnp.ndarray     # uS [n_nodes]
    g_pas: jnp.ndarray      # uS [n_nodes]
    e_pas: jnp.ndarray      # mV [n_nodes]
    gnabar: jnp.ndarray     # uS [n_hh]
    gkbar: jnp.ndarray      # uS [n_hh]
    ena: jnp.ndarray        # mV
    ek: jnp.ndarray         # mV
    v_thresh: jnp.ndarray   # mV
    inject_node: jnp.ndarray  # int32
    e_syn: jnp.ndarray      # mV [n_columns]
    tau_syn: jnp.ndarray    # ms [n_columns] (exponential kinds)
    alpha: jnp.ndarray      # 1/(ms mM) [n_columns] (destexhe; else unused)
    beta: jnp.ndarray       # 1/ms
    c_max: jnp.ndarray      # mM
    c_dur: jnp.ndarray      # ms
    field_weight: jnp.ndarray  # [n_nodes]: nA into each node per nA of the cell's
                               # extracellular electrode (the activating function; 0: none)
    mech: tuple = ()        # per density mechanism: (its params, [n_m] each; factor [n_m]:
                            # area x 1e-5 x scale, nA per uA/cm2)


class State(NamedTuple):
    """The state of a cell without density mechanisms (``state_type`` adds their fields)."""

    v: jnp.ndarray          # mV [n_nodes]
    m: jnp.ndarray          # [n_hh], half a step after v
    h: jnp.ndarray
    n: jnp.ndarray
    g: jnp.ndarray          # uS or nA [n_columns]
    gmax: jnp.ndarray       # uS [n_columns]: a destexhe column's pulse target (else 0)
    left: jnp.ndarray       # [n_columns]: steps left of its pulse (else 0)


def mechanism_field(channel: str, variable: str) -> str:
    """The state field of a density mechanism's variable: ``"<channel>__<variable>"``."""
    return f"{channel}__{variable}"


def state_type(structure: "Structure") -> type:
    """``State``, plus one field ``[n_m]`` per state variable of each density mechanism."""
    extra = [mechanism_field(chan, f) for chan, mech, _ in structure.mechanisms
             for f in MECHANISMS[mech].state._fields]
    return State if not extra else _state_type(tuple(extra))


@functools.lru_cache(maxsize=None)
def _state_type(extra: tuple) -> type:
    return NamedTuple("MCState", [(f, jnp.ndarray) for f in State._fields + extra])


class _Recordables(Mapping):
    """``"v@k"`` -> ``"v@k"``; ``"na.m@k"`` -> ``"m@j"`` (``j``: node ``k`` among the HH
    nodes); plain names for PyNN's listing."""

    def __init__(self, structure: Structure):
        self._s = structure
        self._names = ("v",) + tuple(v for v, _ in structure.gates) + tuple(
            f"{chan}.{f}" for chan, mech, _ in structure.mechanisms
            for f in MECHANISMS[mech].state._fields)

    def __getitem__(self, key):
        name, _, node = key.partition("@")
        if name == "v":
            return key
        gates = dict(self._s.gates)
        if name in gates:
            return f"{gates[name]}@{self._s.hh_nodes.index(int(node))}"
        chan, _, var = name.partition(".")
        for c, _, nodes in self._s.mechanisms:
            if c == chan:
                return f"{mechanism_field(chan, var)}@{nodes.index(int(node))}"
        raise KeyError(key)

    def __iter__(self):
        return iter(self._names)

    def __len__(self):
        return len(self._names)


def multicompartment_model(structure: Structure, build_params, initial_state) -> NeuronModel:
    """The registered model of ``structure`` (``build_params``/``initial_state``: the
    compiler's hooks, ``declaration.NeuronModel``)."""
    name = structure.name
    if name in NEURON_MODELS:
        return NEURON_MODELS[name]
    parent = np.asarray(structure.parent, np.int32)
    hh = np.asarray(structure.hh_nodes, np.int32)
    syn_nodes = np.asarray(structure.syn_nodes, np.int32)
    kinds = np.asarray(structure.syn_kind, object)
    is_current = kinds == "curr_exp"
    is_pulse = kinds == "destexhe"
    n_nodes, n_rec = parent.size, len(structure.receptors)

    def prepare(p: Params, dt):
        dt = jnp.asarray(dt, p.cap.dtype)
        rate_on = p.c_max * p.alpha + p.beta
        pulse = (p.c_max * p.alpha / rate_on, jnp.exp(-dt * rate_on), jnp.exp(-dt * p.beta),
                 jnp.maximum(jnp.round(p.c_dur / dt), 1.0))
        return p, dt, jnp.exp(-dt / p.tau_syn), pulse

    def advance(coeffs, s: State, d, cells: tuple):
        """The step on one cell (``cells = ()``) or, node-major, on ``[.., C]`` arrays
        (``cells = (C,)``: every per-cell leaf with the cell axis last)."""
        p, dt, decay, (r_inf, on_decay, off_decay, n_on) = coeffs
        cp = cable.CableParams(parent=parent, cap=p.cap, g_axial=p.g_axial, l_diag=p.l_diag,
                               g_pas=p.g_pas, e_pas=p.e_pas, hh_nodes=hh, gnabar=p.gnabar,
                               gkbar=p.gkbar, ena=p.ena, ek=p.ek, detector=structure.detector,
                               v_thresh=p.v_thresh)
        shape = (n_nodes,) + cells
        column = (jnp.arange(cells[0]),) if cells else ()
        i_node = jnp.zeros(shape, s.v.dtype).at[(p.inject_node,) + column].add(d.i_inj)
        if d.i_field is not None:
            i_node = i_node + d.i_field * p.field_weight
        g_extra = 0.0
        g, gmax, left = s.g, s.gmax, s.left
        if n_rec:
            current = is_current.reshape((n_rec,) + (1,) * len(cells))
            pulse = is_pulse.reshape((n_rec,) + (1,) * len(cells))
            w = jnp.stack(d.receptors[:n_rec])
            # exponential kinds add the weight; a destexhe column starts or prolongs its pulse
            # (g_max set only when idle: weights do not add)
            arrived = pulse & (w > 0)
            gmax = jnp.where(arrived & (left == 0), w, gmax)
            left = jnp.where(arrived, n_on, left)
            g = jnp.where(pulse, g, g + w)
            i_node = i_node.at[syn_nodes].add(jnp.where(current, g, g * p.e_syn))
            g_extra = jnp.zeros(shape, s.v.dtype).at[syn_nodes].add(jnp.where(current, 0.0, g))
        mech_states = []
        for k, (chan, name, nodes) in enumerate(structure.mechanisms):
            mech, idx = MECHANISMS[name], np.asarray(nodes, np.int32)
            mp, factor = p.mech[k]
            ms = mech.state(*(getattr(s, mechanism_field(chan, f))
                              for f in mech.state._fields))
            v_m = s.v[idx]
            i0 = mech.current(mp, ms, v_m)
            slope = (mech.current(mp, ms, v_m + SLOPE_DV) - i0) / SLOPE_DV * factor
            i_node = i_node.at[idx].add(slope * v_m - i0 * factor)     # NEURON's nrn_rhs
            g_extra = (g_extra + jnp.zeros(shape, s.v.dtype).at[idx].add(slope))  # nrn_lhs
            mech_states.append((mech, idx, mp, ms))
        new, spiked = cable.step(cp, cable.CableState(s.v, s.m, s.h, s.n), i_node, dt,
                                 g_extra)
        extra = [x for mech, idx, mp, ms in mech_states
                 for x in mech.advance(mp, ms, new.v[idx], dt)]
        if n_rec:
            target = gmax * r_inf
            g_next = jnp.where(pulse, jnp.where(left > 0, target + (g - target) * on_decay,
                                                g * off_decay), g * decay)
            left = jnp.maximum(left - 1.0, 0.0)
        else:
            g_next = g
        return type(s)(new.v, new.m, new.h, new.n, g_next, gmax, left, *extra), spiked

    @custom_vmap
    def step(coeffs, s: State, d):
        return advance(coeffs, s, d, ())

    @step.def_vmap
    def cells(n, in_batched, coeffs, s, d):
        """A population: node-major ``[n_nodes, cells]`` arrays, so each node of the tree
        solve is one contiguous row (``jax.vmap`` of the one-cell step gives ``[cells,
        n_nodes]``, a strided column per node: ``validation/benchmarks/bench_mc_pynn.py``)."""
        def last(x, batched):
            x = x if batched else jnp.broadcast_to(x, (n,) + jnp.shape(x))
            return jnp.moveaxis(x, 0, -1)
        args = jax.tree_util.tree_map(last, (coeffs, s, d), tuple(in_batched))
        new, spiked = advance(*args, (n,))
        new = jax.tree_util.tree_map(lambda x: jnp.moveaxis(x, -1, 0), new)
        return (new, spiked), (jax.tree_util.tree_map(lambda _: True, new), True)

    limits = [MECHANISMS[mech].dt_max for _, mech, _ in structure.mechanisms
              if MECHANISMS[mech].dt_max is not None]
    parameters = {f: Parameter("", 0.0) for f in Params._fields}
    model = NeuronModel(
        name, parameters, state_type(structure), prepare, step,
        recordables=_Recordables(structure),
        receptor_types=structure.receptors, conductance_based=not np.all(is_current),
        build_params=build_params, initial_state=initial_state,
        dt_max=min(limits) if limits else None,
        schemes="the cable's implicit scheme with density mechanisms linearised at v^n",
        doc=f"Multi-compartment cell: {n_nodes} nodes, {hh.size} with HH channels.")
    return register(model)
