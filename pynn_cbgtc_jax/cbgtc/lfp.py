r"""The local field potential of a population's synaptic currents, computed on the device.

``LFPElectrode(population, contacts, sigma=0.27, currents=("AMPA.i", "GABAa.i"))`` records,
at every time step, the potential that the population's synaptic currents produce at one or two
electrode contacts in a homogeneous medium of conductivity ``sigma`` (S/m), each current a point
source at its cell's position (``population.positions``, µm):

.. math::

    \phi_c(t) = \frac{1}{4\pi\sigma} \sum_n \frac{\sum_j I_{j,n}(t)}{r_{n,c}}
    \qquad\text{(mV, with } I \text{ in nA and } r \text{ in µm)}

and, with two contacts, the bipolar (differential) signal :math:`\phi_1 - \phi_2`, what Fleming
et al. 2020 record from the STN between contacts at (0, ±1500, 250) µm.  The currents are the
cell type's recordables (``AMPA.i``, ``GABAa.i`` of Fleming's cells: NEURON's sign, outward
positive); the sum is one dot product per step inside the compiled program
(``engine/spec.probe_value``), so nothing per cell leaves the device and a controller in the
program can read it.

``get_data()`` returns a ``neo.Block`` with one ``Segment`` per run segment (as a population's
``get_data``; a new one after ``reset()``), holding one ``AnalogSignal`` named ``"LFP"`` in mV,
sampled every time step from t = 0; in an ensemble ``get_data(member=i)`` gives member i's.

Limits: one population per electrode (create one per population and add the signals); not on a
network split over devices (refused at ``run()``); the weights use the positions at the first
``run()`` after the electrode was made.
"""
from __future__ import annotations

import numpy as np
import quantities as pq
from neo import AnalogSignal, Block, Segment
from pyNN import errors
from pyNN.common import Population

from ..simulator import check_current, state

__all__ = ["LFPElectrode"]


class LFPElectrode:
    """An electrode recording the field of ``population``'s synaptic currents (module doc)."""

    def __init__(self, population, contacts, sigma: float = 0.27,
                 currents=("AMPA.i", "GABAa.i"), label: str | None = None):
        if not isinstance(population, Population):
            raise errors.InvalidParameterValueError(
                f"LFPElectrode(population={population!r}): give a Population (for a view or an "
                f"Assembly make one electrode per population and add their signals).")
        check_current(population, "LFPElectrode()")
        contacts = np.asarray(contacts, float)
        if contacts.ndim == 1:
            contacts = contacts[None, :]
        if contacts.ndim != 2 or contacts.shape[1] != 3 or contacts.shape[0] not in (1, 2):
            raise errors.InvalidParameterValueError(
                f"LFPElectrode(contacts={contacts.tolist()}): give one (x, y, z) point in um "
                f"(monopolar) or two (bipolar: the first minus the second).")
        if not np.isfinite(contacts).all():
            raise errors.InvalidParameterValueError(
                f"LFPElectrode(contacts={contacts.tolist()}): coordinates must be finite.")
        if not (np.isfinite(sigma) and sigma > 0):
            raise errors.InvalidParameterValueError(
                f"LFPElectrode(sigma={sigma}): the tissue conductivity must be > 0 S/m (grey "
                f"matter: ~0.27).")
        currents = (currents,) if isinstance(currents, str) else tuple(currents)
        recordable = population.celltype.recordable
        unknown = [c for c in currents if c not in recordable]
        if not currents or unknown:
            raise errors.InvalidParameterValueError(
                f"LFPElectrode(currents={currents}): {unknown or 'nothing'} not recordable by "
                f"{type(population.celltype).__name__}; its currents are "
                f"{[r for r in recordable if r.endswith('.i')] or 'none'} (Fleming's cells: "
                f"'AMPA.i', 'GABAa.i').")
        self.population, self.contacts, self.sigma = population, contacts, float(sigma)
        self.currents, self.label = currents, label or f"LFP of {population.label}"
        self._data = {}              # (member, segment) -> [(steps, values)]
        self.index = state.add_lfp_electrode(self)

    def weights(self) -> np.ndarray:
        """mV per nA of each cell's summed currents: ``sum_c sign_c / (4 pi sigma r_{n,c})``."""
        positions = np.asarray(self.population.positions, float).T          # [n, 3] um
        signs = (1.0, -1.0)[:len(self.contacts)]
        w = np.zeros(len(positions))
        for sign, contact in zip(signs, self.contacts):
            r = np.linalg.norm(positions - contact, axis=1)
            if np.any(r <= 0):
                cell = int(np.flatnonzero(r <= 0)[0])
                raise errors.InvalidParameterValueError(
                    f"LFPElectrode: cell {cell} of {self.population.label!r} sits on the contact "
                    f"{contact.tolist()} (distance 0: an infinite point-source potential); move "
                    f"the contact or set population.positions.")
            w += sign / (4.0 * np.pi * self.sigma * r)
        return w

    # -- data --------------------------------------------------------------------------------
    def _store(self, steps, values, member: int = 0):
        self._data.setdefault((member, state.segment_counter), []).append(
            (np.asarray(steps), np.asarray(values, float)))

    def get_data(self, member: int | None = None) -> Block:
        """The recorded LFP: a Block with one Segment per run segment (module doc)."""
        members = sorted({m for m, _ in self._data})
        if state.members and member is None and len(members) > 1:
            raise errors.InvalidParameterValueError(
                f"LFPElectrode.get_data(): an ensemble of {state.members} members; give "
                f"member=i.")
        member = member or 0
        block = Block(name=self.label)
        for (m, segment) in sorted(k for k in self._data if k[0] == member):
            chunks = self._data[m, segment]
            steps = np.concatenate([c[0] for c in chunks])
            values = np.concatenate([c[1] for c in chunks])
            order = np.argsort(steps, kind="stable")
            seg = Segment(name=f"segment{segment:03d}")
            signal = AnalogSignal(values[order][:, None], units=pq.mV,
                                  sampling_period=state.dt * pq.ms,
                                  t_start=steps[order][0] * state.dt * pq.ms, name="LFP")
            signal.annotate(contacts_um=self.contacts.tolist(), sigma_S_per_m=self.sigma,
                            currents=list(self.currents), population=self.population.label,
                            member=m)
            seg.analogsignals.append(signal)
            block.segments.append(seg)
        return block
