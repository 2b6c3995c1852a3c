r"""``ExtracellularElectrode``: DBS delivered as a point-source field, not as an injected current.

A monopolar electrode at ``(x, y, z)`` (um) in a homogeneous, isotropic medium of conductivity
``sigma`` (S/m) passing the current ``I_el(t)`` (nA; the pulse train of :class:`DBSSource`,
whose parameters it takes) sets the quasi-static extracellular potential

.. math:: \phi(\mathbf r, t) = \frac{I_{el}(t)}{4 \pi \sigma |\mathbf r - \mathbf r_{el}|}

(mV for nA, S/m and um).  On a multi-compartment cell it acts through the axial currents
between neighbouring nodes: node ``i`` receives :math:`I_{el}(t)\, a_i` with
:math:`a_i = \sum_j g_{ij} (\phi_j - \phi_i) / I_{el}` -- the activating function, computed once
per cell from its nodes' positions (the morphology's coordinates plus the cell's position in
the population's ``Space``), ``compiler/cable_tree.point_source_weights``.  This is NEURON's
``extracellular`` mechanism with its default layers, driven by ``e_extracellular = phi``
(checked against NEURON to 5e-10 mV, ``tests/test_cable.py``).  Cathodic stimulation is a
negative current: ``amplitude=-1e6`` nA is -1 mA.  Distances below 1 um are raised to 1 um.

A single-compartment cell feels nothing (the sum over no neighbours): injecting into point
neurons is refused.  ``sections="collateral"`` (a section name or label) confines the field to
those sections' segment centres, the potential being 0 outside them (their junction and end
nodes included): Fleming et al. 2020's set-up, where only the cortical axon collateral carries
``xtra`` and the drive comes mostly from the jump at its junction with the main axon.  Each
cell takes at most one electrode for now.  Design note:
``docs/design/multicompartment.md`` section 7; Fleming et al. 2020 use sigma = 0.27 S/m.
"""
from __future__ import annotations

import numpy as np
from pyNN import errors

from ..compiler.cable_tree import node_positions, point_source_weights
from ..standardmodels.translations import identity_translations
from .dbs import DBSSource

__all__ = ["ExtracellularElectrode"]

_FIELD = ("x", "y", "z", "sigma")


class ExtracellularElectrode(DBSSource):
    """A point-source DBS electrode acting on multi-compartment cells through their field.

    Parameters
    ----------
    position : (x, y, z), optional
        um; or give ``x``, ``y``, ``z``.
    sigma : float
        Conductivity of the medium, S/m (> 0; default 0.27, Fleming et al. 2020).
    amplitude, frequency, pulse_width, start, stop, biphasic, amplitude2, pulse_width2, gap
        The pulse train, as :class:`DBSSource` (nA, Hz, ms); cathodic pulses are negative.

    Examples
    --------
    >>> electrode = sim.ExtracellularElectrode(position=(0, 500, 0), amplitude=-2e5,
    ...                                        frequency=130.0, pulse_width=0.06)
    >>> electrode.inject_into(axons)        # multi-compartment cells
    """

    field = True
    default_parameters = dict(DBSSource.default_parameters, x=0.0, y=0.0, z=0.0, sigma=0.27)
    translations = dict(DBSSource.translations, **identity_translations(_FIELD))
    units = dict(DBSSource.units, x="um", y="um", z="um", sigma="S/m")

    def __init__(self, position=None, sections=None, **parameters):
        if sections is not None and not isinstance(sections, str):
            raise errors.InvalidParameterValueError(
                f"ExtracellularElectrode(sections={sections!r}): give a section name or label "
                f"(e.g. 'collateral'), or leave it out for the whole cell.")
        object.__setattr__(self, "sections", sections)
        if position is not None:
            position = np.asarray(position, float).ravel()
            if position.size != 3:
                raise errors.InvalidParameterValueError(
                    f"ExtracellularElectrode(position={position.tolist()}): give three "
                    f"coordinates (x, y, z) in um.")
            parameters.update(x=position[0], y=position[1], z=position[2])
        super().__init__(**parameters)

    def _waveform(self, p):
        for name in _FIELD:
            if not np.isfinite(p[name]) or (name == "sigma" and not p[name] > 0):
                raise errors.InvalidParameterValueError(
                    f"ExtracellularElectrode: {name} = {p[name]}; "
                    + ("the conductivity must be a positive number of S/m (0.27: grey matter, "
                       "Fleming et al. 2020)." if name == "sigma" else
                       "the electrode's coordinates must be finite numbers of um."))
        return super()._waveform(p)

    @property
    def position(self) -> np.ndarray:
        return np.array([self._given[n] for n in ("x", "y", "z")])

    def weights(self, layout, cell_position) -> np.ndarray:
        """Per node of a cell (``compiler.cable_cell.CellLayout``) at ``cell_position`` (um):
        the current into the node per nA of electrode current."""
        first = [np.add(s.proximal, cell_position) for s in layout.sections]
        last = [np.add(s.distal, cell_position) for s in layout.sections]
        positions = node_positions(layout.tree, first, last)
        outside = None
        if self.sections is not None:
            chosen = [k for k, s in enumerate(layout.sections)
                      if s.name == self.sections or self.sections in s.groups]
            if not chosen:
                raise errors.InvalidParameterValueError(
                    f"ExtracellularElectrode(sections={self.sections!r}): no section of the "
                    f"cell has that name or label; its sections: "
                    f"{sorted({s.name for s in layout.sections})}.")
            inside = np.zeros(layout.tree.parent.size, bool)
            for k in chosen:
                inside[layout.tree.centres[k]] = True
            outside = ~inside
        return point_source_weights(layout.tree, positions, self.position, self._given["sigma"],
                                    outside=outside)

    def inject_into(self, cells, location=None):
        """Act on multi-compartment cells (a Population, PopulationView, Assembly or IDs)."""
        if location is not None:
            raise errors.InvalidParameterValueError(
                f"ExtracellularElectrode.inject_into(..., location={location!r}): the "
                f"electrode acts on every node of the cells through the field; leave location "
                f"out.")
        groups = self._target_groups(cells)
        for population, idx in groups:            # all checked before any is added
            column = population._parameters.get("field_electrode")
            if column is None:
                raise errors.InvalidParameterValueError(
                    f"ExtracellularElectrode.inject_into({population.label!r}): "
                    f"{population.celltype} cells have one compartment, on which a field has "
                    f"no effect (no activating function without a cable); use "
                    f"sim.MultiCompartmentNeuron cells, or a DBSSource for an injected current.")
            for cell in idx:
                if column[cell] is not None and column[cell] is not self:
                    raise errors.InvalidParameterValueError(
                        f"ExtracellularElectrode: cell {int(cell)} of {population.label!r} "
                        f"already has an electrode; this backend takes one per cell for now.")
        super().inject_into(cells)
        for population, idx in groups:
            column = population._parameters["field_electrode"]
            for cell in idx:              # one by one: numpy would probe the source as an array
                column[cell] = self
