"""PyNN's multi-compartment API on this backend: ``MultiCompartmentNeuron``, its ion channels
and post-synaptic entities (issue 16; design: ``docs/design/multicompartment.md``).

Declared as in PyNN's ``test_scenario5``::

    cell_class = sim.MultiCompartmentNeuron
    cell_class.ion_channels = {'pas': sim.PassiveLeak, 'na': sim.NaChannel, 'kdr': sim.KdrChannel}
    cell_type = cell_class(morphology=NeuroMLMorphology(Morphology(segments=(soma, dend))),
                           cm=1.0, Ra=500.0, ionic_species={"na": IonicSpecies("na", 50.0), ...},
                           pas={"conductance_density": sim.morphology.uniform('all', 0.0003),
                                "e_rev": -54.3},
                           na={"conductance_density": sim.morphology.uniform('soma', 0.120)}, ...)

Channels: ``NaChannel`` and ``KdrChannel`` are the sodium and potassium parts of NEURON's
``hh.mod`` (pyNN.neuron maps them so), reversal potentials from ``ionic_species`` (``na``,
``k``); ``PassiveLeak`` (NEURON ``pas``) and ``PassiveLeakHH`` (``hh``'s leak) are passive
currents with their own ``e_rev``.  Post-synaptic entities: ``CondExpPostSynapticResponse``
(NEURON ``ExpSyn``) and ``CurrExpPostSynapticResponse`` (``ExpISyn``) at the places their
``locations`` give (``random_placement``, ``at_distances``, labels ...; the same places in
every cell of the type); a projection's ``location_selector`` picks among them as pyNN.neuron
does (``receptor_columns``).
Spikes: upward crossings of +10 mV (NEURON's ``NetCon`` default, as pyNN.neuron) in the middle
of the soma (or of a section labelled ``axon_initial_segment``).

Unlike pyNN.neuron, the class-level ``ion_channels`` / ``post_synaptic_entities`` dicts are
copied per instance, so one class makes any number of cell types (design note 2.4, quirk 1).
The values that are objects -- morphology, distributions, ionic species, synapse locations --
are kept by the cell type and given to each population as object columns
(``object_columns``); the numbers (``Ra``, ``e_rev``, ``e_syn``, ``tau_syn``) are ordinary
parameters.
"""
from __future__ import annotations

import numpy as np
from pyNN import errors
from pyNN.parameters import ParameterSpace
from pyNN.standardmodels import (StandardCellType, StandardIonChannelModel,
                                 StandardPostSynapticResponse)
from pyNN.standardmodels import cells as pynn_cells
from pyNN.standardmodels import ion_channels as pynn_channels

from ..compiler.cable_cell import cell_layout, location_node
from ..compiler.cable_tree import laplacian_diagonal
from ..kernels import cable
from ..kernels.mechanisms import MECHANISMS
from ..kernels.multicompartment import (Params, Structure, mechanism_field,
                                        multicompartment_model)
from .composite import CondExpPostSynapticResponse, CurrExpPostSynapticResponse
from ..export import POSITIONS
from .translations import identity_translations

__all__ = ["MultiCompartmentNeuron", "NaChannel", "KdrChannel", "PassiveLeak",
           "PassiveLeakHH", "STNChannelsRT2004", "CorticalSomaChannels", "CorticalAxonNa",
           "CorticalAxonKv", "CorticalAxonKd", "DestexhePostSynapticResponse",
           "SPIKE_THRESHOLD"]

SPIKE_THRESHOLD = 10.0   # mV: NEURON's NetCon default, which pyNN.neuron keeps


def _channel(base, kind, states):
    return type(base.__name__, (base,), {
        "__doc__": base.__doc__ or f"{base.__name__} ({kind})", "__module__": __name__,
        "translations": identity_translations(base.default_parameters), "kind": kind,
        "states": states})


def _mechanism_channel(class_name, mechanism, doc):
    """A channel class for a density mechanism of ``kernels/mechanisms.py``: its parameters
    (with their defaults) plus ``conductance_density``, a scale of the whole channel set (a
    number, or a distribution: 1 where inserted, 0 elsewhere)."""
    mech = MECHANISMS[mechanism]
    defaults = {"conductance_density": 1.0, **mech.params()._asdict()}
    return type(class_name, (StandardIonChannelModel,), {
        "__doc__": doc, "__module__": __name__, "default_parameters": defaults,
        "translations": identity_translations(defaults), "kind": mechanism,
        "states": mech.state._fields, "units": dict(mech.units),
        "default_initial_values": {},
        "get_schema": lambda self: {"conductance_density": object,
                                    **{f: float for f in mech.params._fields}}})


NaChannel = _channel(pynn_channels.NaChannel, "na", ("m", "h"))
KdrChannel = _channel(pynn_channels.KdrChannel, "kdr", ("n",))
PassiveLeak = _channel(pynn_channels.PassiveLeak, "leak", ())
PassiveLeakHH = _channel(pynn_channels.PassiveLeakHH, "leak", ())
STNChannelsRT2004 = _mechanism_channel(
    "STNChannelsRT2004", "stn_rt2004",
    """The Rubin & Terman 2004 STN channels (I_L, I_Na, I_K, I_AHP, I_Ca, I_T) and Gillies &
    Willshaw's I_h, as ``sim.STN_RT2004`` has them (``kernels/stn.py``; densities mS/cm2,
    mV), inserted where ``conductance_density`` (a scale of the whole set) is > 0, e.g.
    ``{"conductance_density": sim.morphology.uniform("soma", 1.0)}``; states ``h``, ``n``,
    ``r``, ``f``, ``ca`` (recordable as ``"<name>.h"`` ...).  Put no other leak where it is
    (it has its own ``g_L``) and use ``cm=1`` there (the model's C_m).""")

CorticalSomaChannels = _mechanism_channel(
    "CorticalSomaChannels", "cortical_soma",
    """Pospischil et al. 2008's regular-spiking soma as Fleming et al. 2020 use it (Na, Kd, M;
    ``kernels/mechanisms.py``; densities mS/cm2 as the parameters ``g_Na``, ``g_Kd``, ``g_M``,
    scaled by ``conductance_density``), e.g. ``{"conductance_density":
    sim.morphology.uniform("soma", 1.0)}``; states ``m``, ``h``, ``n``, ``p``.""")
CorticalAxonNa = _mechanism_channel(
    "CorticalAxonNa", "cortical_axon_na",
    """Fleming et al. 2020's axon Na (after Foust et al. 2011, Q10 rescaled); its
    ``conductance_density`` is the density in S/cm2 (AIS 0.4, nodes 0.28, ...).""")
CorticalAxonKv = _mechanism_channel(
    "CorticalAxonKv", "cortical_axon_kv",
    """Fleming et al. 2020's axon Kv (n, first power); ``conductance_density`` in S/cm2.""")
CorticalAxonKd = _mechanism_channel(
    "CorticalAxonKd", "cortical_axon_kd",
    """Fleming et al. 2020's axon Kd (m h, with the .mod file's rising h_inf kept);
    ``conductance_density`` in S/cm2.""")

class DestexhePostSynapticResponse(StandardPostSynapticResponse):
    """Fleming et al. 2020's synapse on a multi-compartment cell: Destexhe's first-order
    kinetics with a transmitter pulse, one saturating conductance per place
    (``kernels/density_synapses.py`` explains the rule: a spike reaching an idle receptor sets
    g_max to its weight, one during a pulse only prolongs it).  Parameters: ``e_syn`` (mV),
    ``alpha`` (1/(ms mM)), ``beta`` (1/ms), ``C_max`` (mM), ``C_dur`` (ms); AMPA's defaults
    (GABAa: ``alpha=10.5, beta=0.166, e_syn=-80``)."""
    default_parameters = {"locations": 0.5, "e_syn": 0.0, "alpha": 0.94, "beta": 0.18,
                          "C_max": 0.5, "C_dur": 0.3}
    translations = identity_translations(default_parameters)
    recordable = ["gsyn"]


#: per PSE class, its kind in kernels/multicompartment.py (SYN_KINDS)
_PSE_KINDS = {CondExpPostSynapticResponse: "cond_exp", CurrExpPostSynapticResponse: "curr_exp",
              DestexhePostSynapticResponse: "destexhe"}
#: object-valued parameters: kept by the cell type, one object column per population
_OBJECTS = ("morphology", "cm", "ionic_species")


class MultiCompartmentNeuron(StandardCellType):
    # PyNN's own class (pyNN.standardmodels.cells) has the metaclass HasSections, under which
    # *any* missing class attribute is a new Section (for ``cell_class.soma.insert(...)``, an
    # API no backend implements): ``getattr(cls, "kernel", None)`` would never be None.  So
    # this class restates its few declarations instead of inheriting them.
    __doc__ = __doc__
    default_parameters = dict(pynn_cells.MultiCompartmentNeuron.__dict__["default_parameters"])
    translations = identity_translations(("morphology", "cm", "Ra", "ionic_species"))
    ion_channels = {}
    post_synaptic_entities = {}
    injectable = True
    #: the section whose middle detects spikes (None: the soma, or an axon_initial_segment;
    #: a label, or ``(label, k)``: the k-th section of that label), at ``SPIKE_THRESHOLD``
    spike_source = None
    #: further spike detectors, name -> (section as ``spike_source``, threshold mV): what a
    #: ``Projection(..., source=name)`` reads instead (Fleming's ``middle_axon_node``)
    spike_detectors = {}
    #: segments per section of a label, instead of NEURON's d_lambda rule (a published model's
    #: fixed ``nseg``), e.g. ``{"myelin": 11}``
    nseg = {}

    def __init__(self, **parameters):
        channels, pses = {}, {}
        for name, cls in dict(self.ion_channels).items():
            if not (isinstance(cls, type) and hasattr(cls, "kind")):
                raise errors.InvalidParameterValueError(
                    f"MultiCompartmentNeuron.ion_channels[{name!r}] = {cls!r}: give one of "
                    f"this backend's channel classes (sim.NaChannel, sim.KdrChannel, "
                    f"sim.PassiveLeak, sim.PassiveLeakHH).")
            channels[name] = cls(**parameters.pop(name, {}))
        for name, cls in dict(self.post_synaptic_entities).items():
            if cls not in _PSE_KINDS:
                raise errors.InvalidParameterValueError(
                    f"MultiCompartmentNeuron.post_synaptic_entities[{name!r}] = {cls!r}: this "
                    f"backend takes sim.CondExpPostSynapticResponse, "
                    f"sim.CurrExpPostSynapticResponse and sim.DestexhePostSynapticResponse on "
                    f"multi-compartment cells.")
            pses[name] = cls(**parameters.pop(name, {}))
        super().__init__(**parameters)
        self.ion_channels, self.post_synaptic_entities = channels, pses   # this instance's
        for name, obj in {**channels, **pses}.items():
            self.parameter_space[name] = obj.parameter_space
        if self.parameter_space["morphology"].base_value is None:
            raise errors.InvalidParameterValueError(
                "MultiCompartmentNeuron(morphology=None): give a morphology, e.g. "
                "NeuroMLMorphology(neuroml.Morphology(segments=(soma, dendrite))).")
        self._kernel = None

    # -- PyNN's questions ------------------------------------------------------------------
    def get_schema(self):
        """The cell's own parameters and, flat, the numbers of its channels and synapses
        (``"pas.e_rev"``, ``"AMPA.tau_syn"``: what ``Population.set`` takes)."""
        schema = {"morphology": object, "cm": object, "Ra": float, "ionic_species": object}
        for name, obj in {**getattr(self, "ion_channels", {}),
                          **getattr(self, "post_synaptic_entities", {})}.items():
            if isinstance(obj, type):
                continue                       # before __init__ replaced the classes
            for pname in obj.default_parameters:
                if pname not in ("conductance_density", "locations"):
                    schema[f"{name}.{pname}"] = float
        return schema

    @property
    def receptor_types(self):
        return tuple(self.post_synaptic_entities)

    @property
    def recordable(self):
        return ["spikes", "v"] + [f"{c}.{s}" for c, ch in self.ion_channels.items()
                                  for s in ch.states]

    @property
    def units(self):
        return {"v": "mV", **{f"{c}.{s}": "dimensionless" for c, ch in
                              self.ion_channels.items() for s in ch.states}}

    @property
    def default_initial_values(self):
        """``v`` only: a gate that is not initialised starts at its steady state for the
        initial ``v`` (NEURON's ``finitialize``)."""
        return {"v": -65.0}

    @property
    def state_variables(self):
        """What ``initialize()`` takes: ``v`` and the gates, ``"<channel>.<gate>"``."""
        return ["v"] + [f"{c}.{s}" for c, ch in self.ion_channels.items() for s in ch.states]

    def can_record(self, variable, location=None):
        return variable in self.recordable

    def has_parameter(self, name):
        return name in self.native_parameters.keys()

    def get_parameter_names(self):
        return list(self.native_parameters.keys())

    def __str__(self):
        return getattr(self, "label", type(self).__name__)

    # -- values --------------------------------------------------------------------------
    def _value(self, name, part=None):
        space = self.parameter_space if part is None else self.parameter_space[part]
        return space[name].base_value

    @property
    def native_parameters(self):
        """The numbers, as one flat ParameterSpace (``Ra``, ``"<channel>.e_rev"``,
        ``"<pse>.e_syn"``, ``"<pse>.tau_syn"``); the objects are ``object_columns``."""
        values = {"Ra": self.parameter_space["Ra"]}
        for name, obj in {**self.ion_channels, **self.post_synaptic_entities}.items():
            for pname in obj.default_parameters:
                if pname not in ("conductance_density", "locations"):
                    values[f"{name}.{pname}"] = self.parameter_space[name][pname]
        return ParameterSpace(values, shape=None)

    def object_columns(self, size: int) -> dict:
        """Name -> object array ``[size]`` of the object-valued parameters, and
        ``inject_location`` (None: the soma) for ``inject_into(..., location=)``."""
        objects = {name: self._value(name) for name in _OBJECTS}
        for name in self.ion_channels:
            objects[f"{name}.conductance_density"] = self._value("conductance_density", name)
        for name in self.post_synaptic_entities:
            objects[f"{name}.locations"] = self._value("locations", name)
        objects["inject_location"] = None
        objects["field_electrode"] = None
        out = {}
        for name, value in objects.items():
            column = np.empty(size, dtype=object)
            column[:] = [value] * size
            out[name] = column
        return out

    def get_native_names(self, *names):
        return list(names) if names else list(self.native_parameters.keys())

    def translate(self, parameters, copy=True):
        """Names and units are PyNN's on this backend: the values as given (flat
        ``"<channel>.<parameter>"`` names included)."""
        return parameters

    def reverse_translate(self, native_parameters):
        return native_parameters

    def computed_parameters(self):
        return []

    # -- the kernel ----------------------------------------------------------------------
    def _layout(self, columns, cell: int = 0):
        def at(name):
            return columns[name][cell]
        channels = {name: (ch.kind, at(f"{name}.conductance_density"),
                           at(f"{name}.e_rev") if ch.kind == "leak" else None)
                    for name, ch in self.ion_channels.items()}
        return cell_layout(at("morphology"), at("cm"), at("Ra"), at("ionic_species"), channels,
                           {name: at(f"{name}.locations")
                            for name in self.post_synaptic_entities}, self._placement_seed,
                           spike_source=self.spike_source,
                           detectors=tuple((name, where) for name, (where, _)
                                           in self.spike_detectors.items()),
                           nseg=self.nseg)

    def detector_index(self, source) -> int:
        """0 for the cell's spike source (``source`` None, or its section's label), ``k``
        for the ``k``-th of ``spike_detectors``; a clear error for any other name."""
        primary = self.spike_source if isinstance(self.spike_source, str) else None
        if source is None or source == primary:
            return 0
        names = list(self.spike_detectors)
        if source in names:
            return 1 + names.index(source)
        allowed = [repr(n) for n in [primary] + names if n is not None]
        raise errors.InvalidParameterValueError(
            f"Projection: source = {source!r} is no spike detector of {type(self).__name__}; "
            f"give None (its spike source, the middle of "
            f"{self.spike_source or 'the soma or axon initial segment'})"
            + (f" or one of {', '.join(allowed)}" if allowed else "")
            + ", or declare the detector in the cell type's spike_detectors.")

    def extra_detectors(self) -> tuple:
        """``((node, threshold mV), ...)`` of ``spike_detectors``, in their order."""
        return tuple((int(node), float(threshold)) for node, (_, threshold)
                     in zip(self._type_layout.detectors, self.spike_detectors.values()))

    @property
    def _placement_seed(self) -> int:
        """The seed of this cell type's random synapse placements: ``setup(rng_seed)`` when
        the cell type is first compiled, then fixed (every population of the type, every
        rebuild, gets the same places)."""
        if getattr(self, "_seed", None) is None:
            from ..simulator import state
            self._seed = int(state.rng_seed) if state.rng_seed is not None else 0
        return self._seed

    def _structure(self, layout) -> Structure:
        gates = tuple((f"{c}.{s}", s) for c, ch in self.ion_channels.items()
                      if ch.kind not in MECHANISMS for s in ch.states)
        pses = list(self.post_synaptic_entities.values())
        names, seen = [], {}
        for r in layout.syn_pse:
            k = seen.get(r, 0)
            seen[r] = k + 1
            names.append(self.receptor_types[r] + (f"#{k}" if k else ""))
        return Structure(parent=tuple(int(p) for p in layout.tree.parent),
                         hh_nodes=tuple(int(i) for i in layout.hh_nodes),
                         detector=layout.detector, syn_nodes=layout.syn_nodes,
                         syn_kind=tuple(_PSE_KINDS[type(pses[r])] for r in layout.syn_pse),
                         receptors=tuple(names), gates=gates,
                         mechanisms=tuple((chan, mech, tuple(int(i) for i in nodes))
                                          for chan, mech, nodes, _ in layout.mechanisms),
                         detectors=tuple(int(n) for n in layout.detectors))

    def _own_columns(self):
        columns = dict(self.object_columns(1))
        for name, value in self.native_parameters.items():
            columns[name] = np.array([value.base_value], float)
        return columns

    @property
    def kernel(self):
        if self._kernel is None:
            self._struct = self._structure(self._type_layout)
            self._kernel = multicompartment_model(self._struct, self._build_params,
                                                  self._initial_state)
        return self._kernel

    def receptor_columns(self, receptor_type, location_selector=None, rng=None) -> list:
        """The synapse columns (engine receptor indices) a connection to ``receptor_type``
        goes to: without a selector the PSE's first place; with one (a filter, a label,
        'all'), as pyNN.neuron, the first place of the PSE in each selected section -- a
        connection is made to each.  ``rng`` draws a ``random_section``."""
        from ..morphology import select
        lay = self._type_layout
        r = self.receptor_types.index(receptor_type)
        mine = [c for c, p in enumerate(lay.syn_pse) if p == r]
        if location_selector is None:
            return mine[:1]
        chosen = set(int(k) for k in select(location_selector, lay.sections, rng))
        out, taken = [], set()
        for c in mine:
            sec = lay.syn_sections[c]
            if sec in chosen and sec not in taken:
                taken.add(sec)
                out.append(c)
        if not out:
            raise errors.ConnectionError(
                f"location_selector={location_selector!r} selects no section holding a "
                f"{receptor_type!r} synapse of {self}; the {receptor_type!r} places are in "
                f"sections {sorted({lay.sections[lay.syn_sections[c]].name for c in mine})}.")
        return out

    def location_nodes(self, location) -> list:
        """``[(label, node), ...]`` of a recording or injection location on this cell."""
        return location_node(self._type_layout, location)

    @property
    def _type_layout(self):
        """The layout of the cell type's own values (cached: the places of its synapses and
        locations; a population's cells are checked against it when compiled)."""
        if getattr(self, "_cached_layout", None) is None:
            self._cached_layout = self._layout(self._own_columns())
        return self._cached_layout

    def _layouts(self, columns, size):
        """The layout of each cell, computed once per distinct set of values."""
        names = sorted(columns)
        cache, out = {}, []
        for cell in range(size):
            key = tuple(id(columns[n][cell]) if columns[n].dtype == object
                        else float(columns[n][cell]) for n in names
                        if n not in ("inject_location", "field_electrode", POSITIONS))
            if key not in cache:
                cache[key] = self._layout(columns, cell)
            out.append(cache[key])
        return out

    def _build_params(self, columns, size, dtype):
        layouts = self._layouts(columns, size)
        structure = self.kernel.name
        distinct = {id(lay): (cell, lay) for cell, lay in enumerate(layouts)}  # shared objects
        for cell, lay in distinct.values():
            if self._structure(lay).name != structure:
                raise errors.InvalidParameterValueError(
                    f"{self}: cell {cell}'s values give other compartments than the cell "
                    f"type's (a set() of Ra, cm or a morphology changed the number of segments "
                    f"or the channels' places); create a new cell type with these values.")
        inject = np.zeros(size, np.int32)
        nodes = {}                      # (layout, location) -> node, each resolved once
        for cell in range(size):
            where = columns["inject_location"][cell]
            key = (id(layouts[cell]), id(where))
            if key not in nodes:
                nodes[key] = (layouts[cell].detector if where is None
                              else location_node(layouts[cell], where)[0][1])
            inject[cell] = nodes[key]

        field = np.zeros((size, len(layouts[0].tree.parent)))
        for cell in range(size):
            electrode = columns["field_electrode"][cell]
            if electrode is not None:
                field[cell] = electrode.weights(layouts[cell], columns[POSITIONS][cell])

        def stack(f):
            return np.stack([np.asarray(f(lay), float) for lay in layouts]).astype(dtype)

        def column(name, default):
            return (np.asarray(columns[name], dtype) if name in columns
                    else np.full(size, default, dtype))
        pses = list(self.post_synaptic_entities)
        syn = [(column(f"{pses[r]}.e_syn", 0.0), column(f"{pses[r]}.tau_syn", 5.0))
               for r in layouts[0].syn_pse]
        pulse = [tuple(column(f"{pses[r]}.{name}", default) for name, default in
                       (("alpha", 0.0), ("beta", 1.0), ("C_max", 0.0), ("C_dur", 1.0)))
                 for r in layouts[0].syn_pse]

        def per_column(k, empty):
            return (np.stack([x[k] for x in pulse], axis=1) if pulse
                    else np.full((size, 0), empty, dtype))
        return Params(
            cap=stack(lambda lay: lay.cap), g_axial=stack(lambda lay: lay.tree.g_axial),
            l_diag=stack(lambda lay: laplacian_diagonal(lay.tree)),
            g_pas=stack(lambda lay: lay.g_leak), e_pas=stack(lambda lay: lay.e_leak),
            gnabar=stack(lambda lay: lay.gnabar), gkbar=stack(lambda lay: lay.gkbar),
            ena=stack(lambda lay: lay.ena), ek=stack(lambda lay: lay.ek),
            v_thresh=np.full(size, SPIKE_THRESHOLD, dtype), inject_node=inject,
            e_syn=np.stack([e for e, _ in syn], axis=1) if syn else np.zeros((size, 0), dtype),
            tau_syn=(np.stack([t for _, t in syn], axis=1) if syn
                     else np.ones((size, 0), dtype)), field_weight=field.astype(dtype),
            alpha=per_column(0, 0.0), beta=per_column(1, 1.0), c_max=per_column(2, 0.0),
            c_dur=per_column(3, 1.0),
            mech=tuple(self._mechanism_params(columns, layouts, k, dtype)
                       for k in range(len(layouts[0].mechanisms))))

    def _mechanism_params(self, columns, layouts, k, dtype):
        """Mechanism ``k``'s parameters ``[cells, n_m]`` (its columns, one value per cell,
        at each of its nodes) and its nA-per-uA/cm2 factor per node."""
        chan, name, nodes, _ = layouts[0].mechanisms[k]
        mech, shape = MECHANISMS[name], (len(layouts), len(nodes))
        values = mech.params(*(np.broadcast_to(np.asarray(columns[f"{chan}.{f}"], dtype)[:, None],
                                               shape).copy() for f in mech.params._fields))
        return values, np.stack([lay.mechanisms[k][3] for lay in layouts]).astype(dtype)

    def _initial_state(self, columns, initial, size, dtype):
        """Every node at the cell's initial ``v``; a gate not given by ``initialize()`` at its
        steady state for that ``v`` (NEURON's ``finitialize``)."""
        self.kernel                                   # computes self._struct
        structure = self._struct
        n_nodes = len(structure.parent)
        hh = np.asarray(structure.hh_nodes, int)
        v0 = np.asarray(initial.get("v", np.full(size, -65.0)), float)
        v = np.repeat(v0[:, None], n_nodes, axis=1)
        minf, _, hinf, _, ninf, _ = (np.asarray(x) for x in cable.hh_rates(v[:, hh]))
        gates = {"m": minf, "h": hinf, "n": ninf}
        for variable, gate in structure.gates:
            given = initial.get(variable)          # initialize() refused non-finite values
            if given is not None:
                gates[gate] = np.repeat(np.asarray(given, float)[:, None], hh.size, axis=1)
        n_rec = len(structure.receptors)
        fields = dict(v=v.astype(dtype), m=gates["m"].astype(dtype),
                      h=gates["h"].astype(dtype), n=gates["n"].astype(dtype),
                      g=np.zeros((size, n_rec), dtype), gmax=np.zeros((size, n_rec), dtype),
                      left=np.zeros((size, n_rec), dtype))
        for chan, name, nodes in structure.mechanisms:
            mech = MECHANISMS[name]
            p = mech.params(*(np.asarray(columns[f"{chan}.{f}"], float)[:, None]
                              for f in mech.params._fields))
            rest = mech.steady(p, v[:, list(nodes)])
            for f, value in zip(mech.state._fields, rest):
                given = initial.get(f"{chan}.{f}")
                value = (np.repeat(np.asarray(given, float)[:, None], len(nodes), axis=1)
                         if given is not None else np.asarray(value))
                fields[mechanism_field(chan, f)] = value.astype(dtype)
        return self.kernel.state(**fields)

