"""``sim.morphology``: PyNN's morphology filters, distributions and location generators, with
what they mean on this backend (issue 16; design: ``docs/design/multicompartment.md`` section 2).

PyNN (``pyNN/morphology.py``) declares the objects a script writes -- ``uniform('soma', 0.12)``,
``by_distance(dendrites(), f)``, ``centre(soma())``, ``at_distances('dendrite', [0.5])`` ... --
and leaves their behaviour to the backend.  Here a morphology is first turned into
:class:`CellSection` rows (:func:`cell_sections`: one section per NeuroML segment, its ``x = 0``
end joined to its parent's ``x = 1`` end, as pyNN.neuron does); filters return section indices,
distributions a value per section, location generators ``(label, section, x)`` triples.  All of
it is host-side NumPy, evaluated once when a population is compiled.

Differences from pyNN.neuron, on purpose (its quirks, design note section 2.4): label strings
match section groups, then section names;
``by_distance`` is evaluated at each section's centre, as the path length from the root
section's ``x = 0`` end (pyNN.neuron supports it only for SWC morphologies);
``random_placement`` draws with the cell type's seeded RNG and places synapses at random ``x``
(pyNN.neuron: the global ``np.random``, every synapse at 0.5); ``random_section`` is drawn
where a projection connects, one section per postsynaptic cell.
"""
from __future__ import annotations

import builtins
from typing import NamedTuple

import numpy as np
from pyNN import errors
from pyNN import morphology as _pynn
from pyNN.morphology import (IonChannelDistribution, LocationGenerator,  # noqa: F401
                             Morphology, MorphIOMorphology, MorphologyFilter,
                             NeuriteDistribution, NeuroMLMorphology, SynapseDistribution,
                             load_morphology)

__all__ = ["CellSection", "cell_sections", "select", "per_section", "locations",
           "uniform", "by_distance", "by_diameter", "any", "dendrites", "apical_dendrites",
           "basal_dendrites", "axon", "soma", "with_label", "random_section", "sample",
           "LabelledLocations", "at_distances", "random_placement", "centre", "center",
           "Morphology", "NeuroMLMorphology", "MorphIOMorphology", "load_morphology"]


class CellSection(NamedTuple):
    """One unbranched section: name, parent section (None: the root), groups it belongs to,
    its ``x = 0`` and ``x = 1`` points (um) and diameters there (um)."""

    name: str
    parent: int | None
    groups: tuple
    proximal: tuple
    distal: tuple
    diam_proximal: float
    diam_distal: float
    path: float | None = None        # um along a section of several 3-D points (else straight)
    mean_diam: float | None = None   # um, length-weighted over its pieces (else the end mean)

    @property
    def length(self) -> float:
        if self.path is not None:
            return self.path
        return float(np.linalg.norm(np.subtract(self.distal, self.proximal)))

    @property
    def diam(self) -> float:
        if self.mean_diam is not None:
            return self.mean_diam
        return 0.5 * (self.diam_proximal + self.diam_distal)


def _parent_id(segment):
    parent = segment.parent
    if parent is None:
        return None
    return getattr(parent, "id", None) if getattr(parent, "id", None) is not None \
        else parent.segments


def cell_sections(morphology) -> list:
    """The sections of ``morphology``, each parent before its children: a
    ``NeuroMLMorphology`` of a ``neuroml.Morphology`` (one section per segment) or a
    ``MorphIOMorphology`` (an SWC/ASC/H5 file: one section per unbranched morphio section
    plus the soma).  Raises ``InvalidParameterValueError`` for what this backend cannot
    read (a NeuroMLMorphology of an SWC ``ArrayMorphology``: one section per point, joined
    wrongly in pyNN.neuron, design note 2.4 quirk 2)."""
    cached = getattr(morphology, "_cbgtc_sections", None)
    if cached is not None:
        return cached
    if isinstance(morphology, _pynn.MorphIOMorphology):
        morphology._cbgtc_sections = _morphio_sections(morphology._morphology)
        return morphology._cbgtc_sections
    inner = getattr(morphology, "_morphology", None)
    segments = getattr(inner, "segments", None)
    if not isinstance(morphology, Morphology) or segments is None or \
            hasattr(inner, "vertices"):
        raise errors.InvalidParameterValueError(
            f"MultiCompartmentNeuron(morphology={morphology!r}): this backend reads "
            f"NeuroMLMorphology(neuroml.Morphology(segments=...)) and MorphIOMorphology(file); "
            f"for an SWC file use load_morphology(path, use_library='morphio') (a "
            f"NeuroMLMorphology of an SWC ArrayMorphology is not supported).")
    index = {seg.id: i for i, seg in enumerate(segments)}
    groups = {}
    for grp in getattr(inner, "segment_groups", []) or []:
        for member in grp.members:
            groups.setdefault(index[member.segments], []).append(grp.id)
    order, placed = [], set()
    parents = {}
    for i, seg in enumerate(segments):
        pid = _parent_id(seg)
        if pid is not None and pid not in index:
            raise errors.InvalidParameterValueError(
                f"morphology segment {seg.name!r} (id {seg.id}): its parent id {pid} is not a "
                f"segment of the morphology; give parent=<one of its segments>.")
        parents[i] = None if pid is None else index[pid]
    roots = [i for i, p in parents.items() if p is None]
    if len(roots) != 1:
        raise errors.InvalidParameterValueError(
            f"morphology: {len(roots)} segments without a parent "
            f"({[segments[i].name for i in roots]}); a cell is one tree: give every segment "
            f"but the root a parent.")
    stack = roots
    while stack:                       # parents before children, children in given order
        i = stack.pop(0)
        order.append(i)
        placed.add(i)
        stack = [j for j in parents if parents[j] == i and j not in placed] + stack
    position = {i: k for k, i in enumerate(order)}
    out = []
    for i in order:
        seg = segments[i]
        prox = seg.proximal if seg.proximal is not None else segments[parents[i]].distal
        out.append(CellSection(
            name=seg.name or f"segment{seg.id}",
            parent=None if parents[i] is None else position[parents[i]],
            groups=tuple(groups.get(i, ())),
            proximal=(float(prox.x), float(prox.y), float(prox.z)),
            distal=(float(seg.distal.x), float(seg.distal.y), float(seg.distal.z)),
            diam_proximal=float(prox.diameter), diam_distal=float(seg.distal.diameter)))
    morphology._cbgtc_sections = out
    return out


def _piecewise(points, diameters):
    """Path length (um) and length-weighted mean diameter of a polyline of 3-D points."""
    pieces = np.linalg.norm(np.diff(points, axis=0), axis=1)
    mid = 0.5 * (diameters[1:] + diameters[:-1])
    total = float(pieces.sum())
    return total, (float((pieces * mid).sum() / total) if total > 0 else float(diameters[0]))


def _morphio_sections(m) -> list:
    """A morphio ``Morphology`` as sections: the soma first (a single-point soma of diameter
    d is NEURON's cylinder of length and diameter d; a contour, a cylinder of its extent and
    mean diameter), then morphio's sections, root neurites joined to the soma's x = 1 end
    (NEURON's Import3D joins them at the soma's centre: for a soma of one segment the two
    differ by half the soma's axial resistance)."""
    pts, diams = np.asarray(m.soma.points, float), np.asarray(m.soma.diameters, float)
    centre = pts.mean(axis=0) if len(pts) else np.zeros(3)
    if len(pts) > 1:
        extent = float(np.ptp(pts, axis=0).max())
        d = float(diams.mean())
    else:
        extent = d = float(diams[0]) if len(diams) else 1.0
    axis = np.array([1.0, 0.0, 0.0]) * extent / 2
    out = [CellSection("soma", None, ("soma",), tuple(centre - axis), tuple(centre + axis), d, d)]
    index = {}
    for sec in m.iter():                    # depth first: parents before children
        points, dia = np.asarray(sec.points, float), np.asarray(sec.diameters, float)
        kind = str(sec.type).split(".")[-1]           # axon, basal_dendrite, apical_dendrite
        groups = (kind, "dendrite") if "dendrite" in kind else (kind,)
        path, mean = _piecewise(points, dia)
        index[sec.id] = len(out)
        out.append(CellSection(f"{kind}_{sec.id}", 0 if sec.is_root else index[sec.parent.id],
                               groups, tuple(points[0]), tuple(points[-1]), float(dia[0]),
                               float(dia[-1]), path, mean))
    return out


def _labels(sections) -> dict:
    """Label -> section indices: group names and section names."""
    out = {}
    for k, s in enumerate(sections):
        for g in s.groups:
            out.setdefault(g, []).append(k)
    for k, s in enumerate(sections):
        out.setdefault(s.name, []).append(k)
    return out


def _soma(sections) -> int:
    names = [s.name for s in sections]
    return names.index("soma") if "soma" in names else 0


def select(selector, sections, rng=None) -> np.ndarray:
    """Section indices chosen by ``selector`` (a filter, a label, or 'all'); ``rng`` for a
    ``random_section``."""
    if isinstance(selector, str):
        if selector == "all":
            return np.arange(len(sections))
        if selector == "soma":
            return np.array([_soma(sections)])
        labels = _labels(sections)
        if selector not in labels:
            raise errors.InvalidParameterValueError(
                f"morphology label {selector!r} names no section or section group; the "
                f"morphology has {sorted(labels)} (and 'all', 'soma').")
        return np.asarray(sorted(set(labels[selector])))
    if isinstance(selector, _Filter):
        return np.asarray(selector(sections, rng), int)
    raise errors.InvalidParameterValueError(
        f"{selector!r} is not a morphology selector; give a label string ('soma', 'all', a "
        f"segment or group name) or a filter from sim.morphology (dendrites(), ...).")


class _Filter:
    def __call__(self, sections, rng=None):
        raise NotImplementedError


class _ByType(_Filter):
    words: tuple = ()

    def __call__(self, sections, rng=None):
        return [k for k, s in enumerate(sections)
                if builtins.any(w in (s.name or "").lower()
                                or builtins.any(w in g.lower() for g in s.groups)
                                for w in self.words)]


class dendrites(_ByType, _pynn.dendrites):
    """Sections named, or in a group named, like a dendrite ('dend', 'dendrite', 'apical',
    'basal')."""
    words = ("dend", "apic", "basal")


class apical_dendrites(_ByType, _pynn.apical_dendrites):
    words = ("apic",)


class basal_dendrites(_ByType, _pynn.basal_dendrites):
    words = ("basal",)


class axon(_ByType, _pynn.axon):
    words = ("axon",)


class soma(_Filter, MorphologyFilter):
    """The soma: the section named 'soma', else the root."""

    def __call__(self, sections, rng=None):
        return [_soma(sections)]


class with_label(_Filter, _pynn.with_label):
    def __call__(self, sections, rng=None):
        return sorted({int(k) for label in self.labels for k in select(label, sections)})


class random_section(_Filter, _pynn.random_section):
    """One section drawn (uniformly) from those of the filter ``f``, with ``rng`` (a NumPy
    ``Generator``; the caller seeds it: a projection draws one per postsynaptic cell)."""

    def __call__(self, sections, rng=None):
        if rng is None:
            raise errors.InvalidParameterValueError(
                "random_section(...) is drawn where a projection connects "
                "(location_selector=random_section(...)); as a distribution's or a "
                "location's selector name the sections instead (with_label(...), a label).")
        choices = select(self.f, sections)
        return [int(rng.choice(choices))] if len(choices) else []


sample = random_section


def _label_selector(self, label):
    return with_label(label) if label not in ("all", "soma") else label


class _Distribution:
    def value_per_section(self, sections) -> np.ndarray:
        raise NotImplementedError


class uniform(_Distribution, _pynn.uniform):
    """``value`` in the selected sections, ``absence`` (0) elsewhere."""

    get_with_label_selector = _label_selector

    def value_per_section(self, sections):
        out = np.full(len(sections), float(self.absence))
        out[select(self.selector, sections)] = float(self.value_provider)
        return out


class by_distance(_Distribution, _pynn.by_distance):
    """``value_provider(d)`` in the selected sections, ``d`` the path length (um) from the root
    section's x = 0 end to the section's centre."""

    get_with_label_selector = _label_selector

    def value_per_section(self, sections):
        out = np.full(len(sections), float(self.absence))
        start = np.zeros(len(sections))
        for k, s in enumerate(sections):
            if s.parent is not None:
                start[k] = start[s.parent] + sections[s.parent].length
        for k in select(self.selector, sections):
            out[k] = float(self.value_provider(start[k] + 0.5 * sections[k].length))
        return out


class by_diameter(_Distribution, _pynn.by_diameter):
    """``value_provider(diameter)`` in the selected sections (the mean diameter, um)."""

    get_with_label_selector = _label_selector

    def value_per_section(self, sections):
        out = np.full(len(sections), float(self.absence))
        for k in select(self.selector, sections):
            out[k] = float(self.value_provider(sections[k].diam))
        return out


class any(_Distribution, _pynn.any):      # noqa: A001 -- PyNN's name; builtins.any above
    """The first of the distributions that is not absent in a section."""

    def value_per_section(self, sections):
        out = np.full(len(sections), np.nan)
        for dist in self.distributions:
            values = per_section(dist, sections, "any(...)")
            take = np.isnan(out) & (values != dist.absence)
            out[take] = values[take]
        return np.where(np.isnan(out), 0.0 if self.absence is None else self.absence, out)


def per_section(value, sections, what: str) -> np.ndarray:
    """One value per section from a number or a distribution."""
    if isinstance(value, _Distribution):
        return value.value_per_section(sections)
    if isinstance(value, NeuriteDistribution):
        raise errors.InvalidParameterValueError(
            f"{what} = {value!r}: use the distributions of sim.morphology (uniform, "
            f"by_distance, by_diameter, any), not another backend's.")
    try:
        return np.full(len(sections), float(value))
    except (TypeError, ValueError):
        raise errors.InvalidParameterValueError(
            f"{what} = {value!r}: give a number or a distribution from sim.morphology "
            f"(e.g. uniform('all', 0.0003)).") from None


# -- locations ----------------------------------------------------------------------------------
class LabelledLocations(_pynn.LabelledLocations):
    def generate(self, sections, rng=None):
        return [(label, int(k), 0.5) for label in self.labels
                for k in select(label, sections)[:1]]


class at_distances(_pynn.at_distances):
    """One location per selected section and fraction ``d`` in ``distances``, labelled
    ``'{section}-d-{d}'``."""

    get_with_label_selector = _label_selector

    def generate(self, sections, rng=None):
        if not all(0.0 <= d <= 1.0 for d in self.distances):
            raise errors.InvalidParameterValueError(
                f"at_distances(..., distances={list(self.distances)}): the distances are "
                f"fractions along a section, 0 <= d <= 1.")
        return [(f"{sections[k].name}-d-{d}", int(k), float(d))
                for k in select(self.selector, sections) for d in self.distances]


class centre(_pynn.centre):
    """The middle (x = 0.5) of the middle one of the selected sections, labelled
    ``'centre'`` (as pyNN.neuron)."""

    get_with_label_selector = _label_selector

    def generate(self, sections, rng=None):
        chosen = select(self.selector, sections)
        if not len(chosen):
            raise errors.InvalidParameterValueError(
                f"centre({self.selector!r}) selects no section of this morphology (sections: "
                f"{[s.name for s in sections]}).")
        return [("centre", int(chosen[len(chosen) // 2]), 0.5)]    # pyNN.neuron's choice


center = centre


class random_placement(_pynn.random_placement):
    """Places in each section at the density ``density_function`` gives (per um): ``density x
    L`` of them, the fraction rounded up with that probability (pyNN.neuron's rule), each at
    a uniformly drawn ``x`` (pyNN.neuron puts them all at 0.5), labelled ``'random-<k>'``.
    ``rng``: a seeded NumPy ``Generator`` (the cell type's, ``setup(rng_seed)``)."""

    def generate(self, sections, rng=None):
        if rng is None:
            rng = np.random.default_rng(0)
        density = per_section(self.density_function, sections, "random_placement(...)")
        if np.any(density < 0):
            raise errors.InvalidParameterValueError(
                f"random_placement({self.density_function!r}): a negative density "
                f"({density.min()} per um); synapse densities are >= 0.")
        out = []
        for k, (s, d) in enumerate(zip(sections, density)):
            n, rest = divmod(float(d) * s.length, 1.0)
            n = int(n) + int(rng.uniform() < rest)
            out += [(f"random-{k}", k, float(x)) for x in np.sort(rng.uniform(size=n))]
        return out


def locations(location, sections, rng=None) -> list:
    """``(label, section, x)`` for a location: a label string (the middle of that section or
    of the first section of that group) or a location generator."""
    if isinstance(location, str):
        k = select(location, sections)
        return [(location, int(k[0]), 0.5)]
    if hasattr(location, "generate"):
        return location.generate(sections, rng)
    raise errors.InvalidParameterValueError(
        f"location {location!r}: give a section label ('soma', 'dendrite', ...) or a "
        f"location generator from sim.morphology (centre(...), at_distances(...), "
        f"LabelledLocations(...)).")
