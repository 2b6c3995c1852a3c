r"""A ``MultiCompartmentNeuron``'s values -> its nodes, per-node parameters and named places.

NumPy, at compile time (issue 16).  From the morphology (``morphology.cell_sections``), ``cm``
(uF/cm2, a number or a distribution), ``Ra`` (ohm cm), the ion channels and the post-synaptic
entities, :func:`cell_layout` builds

* the tree of nodes (``cable_tree.build_tree``) with NEURON's d_lambda rule for each section's
  number of segments (``d_lambda = 0.1`` at 100 Hz, as pyNN.neuron);
* per node: capacitance (nF), the leak conductance (uS) and its reversal potential (several leak
  channels -- ``PassiveLeak``, ``PassiveLeakHH`` -- add up to one conductance with the
  conductance-weighted mean reversal potential: the same current), the Hodgkin-Huxley sodium
  and potassium conductances (uS) at the nodes that have them;
* the spike detector (the middle of the soma, or of a section labelled
  ``axon_initial_segment``, as pyNN.neuron; or of the section a cell type names in its
  ``spike_source``), the nodes of the cell type's further detectors (``spike_detectors``:
  the sources a ``Projection(..., source=name)`` reads) and one node per post-synaptic
  entity.

Densities in S/cm2 x area in um2 x 1e-2 = uS; ``cm`` x area x 1e-5 = nF.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
from pyNN import errors

from ..kernels.mechanisms import MECHANISMS
from ..morphology import cell_sections, locations, per_section
from .cable_tree import Section, build_tree, d_lambda_nseg, node_of, per_node

__all__ = ["CHANNEL_KINDS", "CellLayout", "cell_layout", "location_node"]

#: channel class kinds: ``na``/``kdr``: NEURON's hh.mod sodium / potassium parts (reversal from
#: the ionic species), ``leak``: a passive current with its own ``e_rev``; and every density
#: mechanism of ``kernels/mechanisms.py`` (its ``conductance_density`` scales the whole set)
CHANNEL_KINDS = ("na", "kdr", "leak") + tuple(MECHANISMS)


class CellLayout(NamedTuple):
    """One cell's compiled form: the static structure and the per-node numbers."""

    sections: list            # morphology.CellSection per section
    tree: object              # cable_tree.CableTree
    hh_nodes: np.ndarray      # int32: nodes with HH gates (where Na or Kdr is present)
    detector: int             # node whose upward crossing of the threshold is a spike
    syn_nodes: tuple          # node of each synapse column (PSE places, merged per node)
    syn_pse: tuple            # the post-synaptic entity (index) of each column
    syn_sections: tuple       # the section of each column
    cap: np.ndarray           # nF per node
    g_leak: np.ndarray        # uS per node
    e_leak: np.ndarray        # mV per node
    gnabar: np.ndarray        # uS at hh_nodes
    gkbar: np.ndarray         # uS at hh_nodes
    ena: float
    ek: float
    mechanisms: tuple = ()    # (channel name, mechanism name, nodes int array, factor per node:
                              # area um2 x 1e-5 x the density's scale) per density mechanism
    detectors: tuple = ()     # node of each further spike detector (``cell_layout``)


def _reversal(ionic_species, ion: str, default: float) -> float:
    species = (ionic_species or {}).get(ion)
    return default if species is None else float(species.reversal_potential)


def section_middle(tree, labels: list, where, what: str) -> int:
    """The node in the middle of a section named by ``where``: a label (its first section)
    or ``(label, k)``, the ``k``-th section of that label (Fleming's ``node[5]``: ``("node",
    5)``).  ``what`` names the setting in the error."""
    label, k = (where, 0) if isinstance(where, str) else where
    of_label = [i for i, name in enumerate(labels) if name == label]
    if not 0 <= k < len(of_label):
        raise errors.InvalidParameterValueError(
            f"MultiCompartmentNeuron: {what} = {where!r}: the morphology has "
            f"{len(of_label)} section(s) labelled {label!r} (labels: {sorted(set(labels))}); "
            f"name a label, or (label, k) with k below that count.")
    return int(node_of(tree, of_label[k], 0.5))


def cell_layout(morphology, cm, Ra, ionic_species, channels, pses, seed: int = 0,
                spike_source=None, detectors=(), nseg=None) -> CellLayout:
    """``channels``: name -> (kind, conductance_density, e_rev or None), ``kind`` in
    :data:`CHANNEL_KINDS`; ``pses``: receptor name -> its ``locations`` value, in receptor
    order.  Each post-synaptic entity gets one synapse *column* per node its places fall on
    (two places in one segment are one exponential synapse: the dynamics are linear);
    random placements are drawn with ``numpy.random.default_rng(seed)``, so every call with
    the same values gives the same places.  ``spike_source`` and each of ``detectors``: a
    section as ``section_middle`` takes it.  ``nseg``: label -> segments per section of that
    label, instead of the d_lambda rule (a published model's fixed numbers)."""
    sections = cell_sections(morphology)
    Ra = float(Ra)
    if not Ra > 0:
        raise errors.InvalidParameterValueError(
            f"MultiCompartmentNeuron: Ra = {Ra} ohm cm; the axial resistivity must be > 0 "
            f"(NEURON's default is 35.4).")
    cm_sec = per_section(cm, sections, "cm")
    if not np.all(cm_sec > 0):
        raise errors.InvalidParameterValueError(
            f"MultiCompartmentNeuron: cm = {cm!r} gives {cm_sec.min()} uF/cm2 in a section; "
            f"the specific capacitance must be > 0 everywhere.")
    nseg = dict(nseg or {})
    unknown = set(nseg) - {s.name for s in sections}
    if unknown or not all(isinstance(n, (int, np.integer)) and n >= 1 for n in nseg.values()):
        raise errors.InvalidParameterValueError(
            f"MultiCompartmentNeuron: nseg = {nseg!r}; give whole numbers >= 1 of segments "
            f"for section labels of the morphology ({sorted({s.name for s in sections})})"
            + (f", not {sorted(unknown)}" if unknown else "") + ".")
    secs = [Section(s.parent, s.length, s.diam,
                    int(nseg[s.name]) if s.name in nseg
                    else d_lambda_nseg(s.length, s.diam, Ra, float(c)))
            for s, c in zip(sections, cm_sec)]
    tree = build_tree(secs, Ra)
    area = tree.area
    g_leak = np.zeros(area.size)
    ge_leak = np.zeros(area.size)
    na = np.zeros(area.size)
    k = np.zeros(area.size)
    mechanisms = []
    for name, (kind, density, e_rev) in channels.items():
        dens = per_section(density, sections, f"{name}.conductance_density")
        if np.any(dens < 0):
            raise errors.InvalidParameterValueError(
                f"MultiCompartmentNeuron: {name}.conductance_density = {density!r} is "
                f"negative in a section; conductance densities (and a mechanism's scale) "
                f"are >= 0.")
        if kind in MECHANISMS:          # a whole channel set; the density scales it
            scale = per_node(tree, dens)
            nodes = np.flatnonzero(scale > 0).astype(np.int32)
            mechanisms.append((name, kind, nodes, scale[nodes] * area[nodes] * 1e-5))
            continue
        g = per_node(tree, dens) * area * 1e-2
        if kind == "leak":
            g_leak += g
            ge_leak += g * float(e_rev)
        elif kind == "na":
            na += g
        else:
            k += g
    e_leak = np.where(g_leak > 0, ge_leak / np.where(g_leak > 0, g_leak, 1.0), -65.0)
    hh = np.flatnonzero((na > 0) | (k > 0)).astype(np.int32)
    labels = [s.name for s in sections]
    if spike_source is not None:            # a cell type's own detector (Fleming's collateral)
        detector = section_middle(tree, labels, spike_source, "spike_source")
    else:
        source = labels.index("axon_initial_segment") if "axon_initial_segment" in labels \
            else (labels.index("soma") if "soma" in labels else 0)
        detector = node_of(tree, source, 0.5)
    extra = tuple(section_middle(tree, labels, where, f"spike_detectors[{name!r}]")
                  for name, where in detectors)
    rng = np.random.default_rng(seed)
    syn_nodes, syn_pse, syn_sections = [], [], []
    for r, (name, where) in enumerate(pses.items()):
        places = locations(where, sections, rng)
        if not places:
            raise errors.InvalidParameterValueError(
                f"MultiCompartmentNeuron: {name}.locations = {where!r} gives no place on the "
                f"morphology; a post-synaptic entity needs at least one (raise the density, "
                f"or choose other sections).")
        seen = set()
        for _, sec, x in places:
            node = node_of(tree, sec, x)
            if node not in seen:
                seen.add(node)
                syn_nodes.append(node)
                syn_pse.append(r)
                syn_sections.append(sec)
    return CellLayout(sections=sections, tree=tree, hh_nodes=hh, detector=int(detector),
                      syn_nodes=tuple(syn_nodes), syn_pse=tuple(syn_pse),
                      syn_sections=tuple(syn_sections),
                      cap=per_node(tree, cm_sec) * area * 1e-5,
                      g_leak=g_leak, e_leak=e_leak, gnabar=na[hh], gkbar=k[hh],
                      ena=_reversal(ionic_species, "na", 50.0),
                      ek=_reversal(ionic_species, "k", -77.0), mechanisms=tuple(mechanisms),
                      detectors=extra)


def location_node(layout: CellLayout, location) -> list:
    """``[(label, node), ...]`` for a location (a label or a location generator)."""
    return [(label, node_of(layout.tree, sec, x))
            for label, sec, x in locations(location, layout.sections)]

