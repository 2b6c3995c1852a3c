r"""A neuron's sections as NEURON compartmentalises them: nodes in parent-index order (NumPy).

The first brick of multi-compartment cells (issue 16; design in
``docs/design/multicompartment.md`` sections 4 and 6).  A cell is a tree of unbranched
*sections* (cylinders here: length ``L``, diameter ``diam``), each cut into ``nseg`` segments.
As in NEURON (``src/nrnoc/treeset.cpp``), a section owns one *node* at the centre of each
segment, at ``x = (j + 1/2) / nseg``, with membrane area :math:`\pi d\,dx`, plus a zero-area node
at its ``x = 1`` end; its ``x = 0`` end is the ``x = 1`` node of its parent section (a root
section owns a zero-area node there too).  Zero-area nodes carry no capacitance and no channels:
they are Kirchhoff junctions.  Neighbouring nodes are joined by the axial conductance of the
cable between them, half a segment from a centre to an end node and a whole segment from
centre to centre:

.. math::

    r_{half} = 10^{-2}\, R_a\, \frac{dx/2}{\pi d^2/4}\ [M\Omega], \qquad g = 1/r\ [\mu S]

(``Ra`` in ohm cm, lengths in um).  Nodes are numbered so that ``parent[i] < i`` (root 0,
``parent[0] = -1``): the order in which the tree (Hines) solve of ``kernels/cable.py``
eliminates them.  Units as everywhere here: capacitance nF (``cm`` uF/cm2 x area um2 x 1e-5),
conductance uS (S/cm2 x um2 x 1e-2).

``d_lambda_nseg`` is NEURON's d_lambda rule (CellBuilder, ``celgeom.hoc``; PyNN's
``pyNN/neuron/cells.py`` copies it): the number of segments that keeps each at most ``d_lambda``
of the AC length constant at ``freq`` Hz, always odd so that ``x = 0.5`` is a node.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["Section", "CableTree", "build_tree", "d_lambda_nseg", "node_of", "per_node",
           "laplacian_diagonal", "node_positions", "point_source_weights", "cable_params"]


class Section(NamedTuple):
    """An unbranched cylinder: its parent section's index (None: the root), joined at the
    parent's ``x = 1`` end; length and diameter (um); number of segments."""

    parent: int | None
    L: float
    diam: float
    nseg: int = 1


class CableTree(NamedTuple):
    """The nodes of one cell in parent-index order (all arrays ``[n_nodes]``)."""

    parent: np.ndarray     # int32: the node's parent (-1 for the root)
    area: np.ndarray       # um2 membrane area (0 at the junction nodes)
    g_axial: np.ndarray    # uS between the node and its parent (0 for the root)
    centres: list          # per section: the node indices of its segment centres, in x order
    ends: list             # per section: its x = 1 node
    starts: list           # per section: its x = 0 node (the parent's x = 1 node)


def d_lambda_nseg(L: float, diam: float, Ra: float, cm: float, d_lambda: float = 0.1,
                  freq: float = 100.0) -> int:
    """NEURON's d_lambda rule: ``1 + 2 int((L / (d_lambda lambda_f) + 0.999) / 2)`` with the
    AC length constant ``lambda_f = 1e5 sqrt(diam / (4 pi freq Ra cm))`` um (diam um, Ra ohm
    cm, cm uF/cm2)."""
    lam = 1e5 * np.sqrt(diam / (4.0 * np.pi * freq * Ra * cm))
    return int(1 + 2 * int((L / (d_lambda * lam) + 0.999) / 2))


def build_tree(sections, Ra: float) -> CableTree:
    """Nodes, areas and axial conductances of a cell of ``sections`` (each section's parent
    listed before it), ``Ra`` in ohm cm."""
    parent, area, g_axial = [], [], []
    centres, ends, starts = [], [], []

    def add(p, a, g):
        parent.append(p)
        area.append(a)
        g_axial.append(g)
        return len(parent) - 1

    for k, sec in enumerate(sections):
        if sec.nseg < 1 or sec.L <= 0 or sec.diam <= 0:
            raise ValueError(f"section {k}: L = {sec.L} um, diam = {sec.diam} um and nseg = "
                             f"{sec.nseg} must all be positive")
        if sec.parent is not None and not 0 <= sec.parent < k:
            raise ValueError(f"section {k}: parent {sec.parent} must be an earlier section "
                             f"(0 .. {k - 1}) or None for the root")
        dx = sec.L / sec.nseg
        r_half = 1e-2 * Ra * (dx / 2.0) / (np.pi * sec.diam ** 2 / 4.0)      # MOhm
        prev = add(-1, 0.0, 0.0) if sec.parent is None else ends[sec.parent]
        starts.append(prev)
        r = r_half
        mine = []
        for _ in range(sec.nseg):
            prev = add(prev, np.pi * sec.diam * dx, 1.0 / r)
            mine.append(prev)
            r = 2.0 * r_half
        centres.append(mine)
        ends.append(add(prev, 0.0, 1.0 / r_half))
    return CableTree(parent=np.asarray(parent, np.int32), area=np.asarray(area, float),
                     g_axial=np.asarray(g_axial, float), centres=centres, ends=ends,
                     starts=starts)


def node_of(tree: CableTree, section: int, x: float) -> int:
    """The node of location ``x`` (0..1) on ``section``, as NEURON's ``node_index``: a centre for
    0 < x < 1 (the segment holding x), the end nodes for x = 0 and x = 1."""
    if not 0.0 <= x <= 1.0:
        raise ValueError(f"x = {x}: a location on a section is 0 <= x <= 1")
    if x == 0.0:
        return int(tree.starts[section])
    if x == 1.0:
        return int(tree.ends[section])
    centres = tree.centres[section]
    return int(centres[min(int(x * len(centres)), len(centres) - 1)])


def per_node(tree: CableTree, per_section) -> np.ndarray:
    """A value per node from one per section (e.g. a channel's density): each segment centre
    takes its section's value, the junction nodes 0."""
    out = np.zeros(tree.parent.size)
    for centres, value in zip(tree.centres, per_section):
        out[centres] = value
    return out


def laplacian_diagonal(tree: CableTree) -> np.ndarray:
    """uS: the sum of the axial conductances meeting at each node (the diagonal of the tree's
    conductance Laplacian; its off-diagonal entries are ``-g_axial[i]`` at ``(i, parent[i])``)."""
    diag = tree.g_axial.copy()
    np.add.at(diag, tree.parent[1:], tree.g_axial[1:])
    return diag


def node_positions(tree: CableTree, first, last) -> np.ndarray:
    """um ``[n_nodes, 3]``: where each node is, for straight sections from ``first[k]`` (the
    section's x = 0 end, 3 coordinates) to ``last[k]`` (x = 1): centres at ``(j + 1/2) / nseg``,
    junction nodes at the ends."""
    first, last = np.asarray(first, float), np.asarray(last, float)
    pos = np.zeros((tree.parent.size, 3))
    for k, centres in enumerate(tree.centres):
        x = (np.arange(len(centres)) + 0.5) / len(centres)
        pos[centres] = first[k] + x[:, None] * (last[k] - first[k])
        pos[tree.starts[k]] = first[k]
        pos[tree.ends[k]] = last[k]
    return pos


def point_source_weights(tree: CableTree, positions, electrode, sigma: float,
                         min_distance: float = 1.0, outside=None) -> np.ndarray:
    r"""Per node, the current (nA) that a point-source electrode passing 1 nA puts into the
    cell through its extracellular potential: ``a_i = sum_j g_ij (phi_j - phi_i)`` over the
    node's neighbours, with :math:`\phi = 1 / (4 \pi \sigma r)` (mV for 1 nA, ``sigma`` S/m,
    ``r`` um: nA / (S/m um) = mV exactly), ``g`` the axial conductances (uS).

    This is NEURON's ``extracellular`` mechanism with its defaults (``xg = 1e9``, ``xc = 0``,
    ``xraxial = 1e9``) and ``e_extracellular = phi I_el``: the potential outside each node is
    the imposed one, the membrane potential is ``v_i - phi_i``, and the axial currents see
    the difference of the outside potentials -- one injected current per node, summing to 0
    over the cell (the activating function).  ``r`` below ``min_distance`` um is raised to it
    (a point source has no potential at r = 0); ``outside`` (bool per node): nodes whose
    outside potential is held at 0 (the field confined to the others).  Design note:
    docs/design/multicompartment.md, section 7."""
    r = np.linalg.norm(np.asarray(positions, float) - np.asarray(electrode, float), axis=1)
    phi = 1.0 / (4.0 * np.pi * sigma * np.maximum(r, min_distance))
    if outside is not None:
        phi = np.where(outside, 0.0, phi)
    child = np.arange(1, tree.parent.size)
    flow = tree.g_axial[child] * (phi[tree.parent[child]] - phi[child])   # parent -> child
    a = np.zeros(tree.parent.size)
    np.add.at(a, child, flow)
    np.add.at(a, tree.parent[child], -flow)
    return a


def cable_params(tree: CableTree, cm, g_pas, e_pas: float, gnabar=0.0, gkbar=0.0,
                 ena: float = 50.0, ek: float = -77.0, detector: int = 0,
                 v_thresh: float = 10.0):
    """``kernels.cable.CableParams`` (NumPy arrays) of ``tree`` from densities per section (a
    scalar: every section): ``cm`` uF/cm2 -> nF (x area um2 x 1e-5), ``g_pas``, ``gnabar``,
    ``gkbar`` S/cm2 -> uS (x area x 1e-2); HH gates at the nodes where either HH density is
    not zero; ``detector`` the node whose upward crossing of ``v_thresh`` (mV) is a spike."""
    from ..kernels.cable import CableParams
    n_sec = len(tree.centres)

    def per_cell_node(density, scale):
        return per_node(tree, np.broadcast_to(np.asarray(density, float), (n_sec,))) \
            * tree.area * scale

    na, k = per_cell_node(gnabar, 1e-2), per_cell_node(gkbar, 1e-2)
    hh = np.flatnonzero((na > 0) | (k > 0)).astype(np.int32)
    return CableParams(parent=tree.parent, cap=per_cell_node(cm, 1e-5), g_axial=tree.g_axial,
                       l_diag=laplacian_diagonal(tree), g_pas=per_cell_node(g_pas, 1e-2),
                       e_pas=np.float64(e_pas), hh_nodes=hh, gnabar=na[hh], gkbar=k[hh],
                       ena=np.float64(ena), ek=np.float64(ek), detector=np.int32(detector),
                       v_thresh=np.float64(v_thresh))
