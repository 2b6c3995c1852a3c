r"""Fleming et al. 2020's cortical pyramidal cell: a Pospischil et al. 2008 regular-spiking soma,
an axon after Foust et al. 2011 (initial segment, 10 myelinated internodes and 10 nodes) and an
axon collateral, as a ``MultiCompartmentNeuron`` (``docs/design/fleming2020.md`` section 1.4).

========================  ======  ========  ================  ==========================
section                   L (um)  diam(um)  cm (uF/cm2)       channels (S/cm2)
========================  ======  ========  ================  ==========================
``soma``                  35      25        1                 Na/Kd/M (Pospischil), leak 1e-4
``ais``                   20      1.2       0.8               Na 0.4, Kv 2e-3, Kd 0.015, leak 3.3e-5
``myelin`` x 10           500     1.4       0.04              Na 1e-3
``node`` x 10             2       1.2       0.8               Na 0.28, Kv 5e-4, Kd 0.0072, leak 0.02
``collateral``            500     0.5       0.8               Na 0.1333, Kv 1e-3, Kd 0.006,
                                                              leak 3.33e-5
========================  ======  ========  ================  ==========================

All leaks reverse at -70 mV, Ra 150 ohm cm.  The collateral hangs from the last node and points
along +z from ``z = -250`` um relative to the cell's position, so a population's ``positions``
(x, y, 0) place the collaterals as Fleming's ``cortical_xy_pos`` lines; the rest of the axon
runs along -x, away from the field, which Fleming applies to the collateral only
(``ExtracellularElectrode(..., sections="collateral")``).  Spikes are detected in the middle of
the collateral (+10 mV), the source of Fleming's cortex -> STN projection; two further
detectors (``spike_detectors``) are the sources a ``Projection(..., source=name)`` reads:
``"middle_axon_node"``, the middle of the sixth node (``node[5]``) at -10 mV, Fleming's
cortex -> interneuron source, and ``"soma"`` (+10 mV).  Receptors: ``AMPA``
and ``GABAa`` at the soma, Destexhe's saturating kinetics
(``sim.DestexhePostSynapticResponse``).  Fleming's network gives it a 0.245 nA bias
(``DCSource`` into the soma).

Differences from Fleming's NEURON cell, on purpose: segments follow NEURON's d_lambda rule
(pyNN.neuron's; 115 nodes), not his fixed ``nseg`` -- a subclass with ``nseg = FLEMING_NSEG``
has his (161 nodes, ~40 % more work); gates start at their steady state (his soma's .mod
files start m = h = n = 0, a transient his 6 s warm-up removes: isolated, our cell fires ~5 %
below NEURON's over the first seconds and as NEURON's, 62 Hz, once both have adapted,
``tests/cbgtc/test_fleming_cortex.py``).
"""
from __future__ import annotations

from neuroml import Morphology, Point3DWithDiam, Segment, SegmentParent
from pyNN.morphology import NeuroMLMorphology

from .. import morphology as m
from ..standardmodels.multicompartment import (CorticalAxonKd, CorticalAxonKv, CorticalAxonNa,
                                               CorticalSomaChannels, DestexhePostSynapticResponse,
                                               MultiCompartmentNeuron, PassiveLeak)

__all__ = ["Cortex_Pospischil2008", "fleming_cortex_morphology", "FLEMING_NSEG"]

N_NODES = 10
#: Fleming's segments per section (his ``Cortical_Neuron`` class), for ``nseg``
FLEMING_NSEG = {"soma": 1, "ais": 5, "myelin": 11, "node": 1, "collateral": 11}


def fleming_cortex_morphology() -> NeuroMLMorphology:
    """The sections of the table above as NeuroML segments; the 10 internodes are all named
    ``myelin`` and the 10 nodes ``node`` (a label selects all sections of its name)."""
    pieces = [("soma", 35.0, 25.0), ("ais", 20.0, 1.2)]
    for _ in range(N_NODES):
        pieces += [("myelin", 500.0, 1.4), ("node", 2.0, 1.2)]
    # from the soma along +x, ending where the collateral starts, 250 um below the cell
    x = -sum(length for _, length, _ in pieces)
    segments = []
    for k, (name, length, diam) in enumerate(pieces):
        segments.append(Segment(
            id=k, name=name, parent=SegmentParent(segments=k - 1) if k else None,
            proximal=Point3DWithDiam(x=x, y=0, z=-250.0, diameter=diam),
            distal=Point3DWithDiam(x=x + length, y=0, z=-250.0, diameter=diam)))
        x += length
    k = len(segments)
    segments.append(Segment(id=k, name="collateral", parent=SegmentParent(segments=k - 1),
                            proximal=Point3DWithDiam(x=0, y=0, z=-250.0, diameter=0.5),
                            distal=Point3DWithDiam(x=0, y=0, z=250.0, diameter=0.5)))
    return NeuroMLMorphology(Morphology(segments=segments))


def _by_section(**values):
    """A distribution with one value per named section or group (0 elsewhere)."""
    return m.any(*(m.uniform(label, value) for label, value in values.items()))


class Cortex_Pospischil2008(MultiCompartmentNeuron):
    __doc__ = __doc__
    ion_channels = {"soma": CorticalSomaChannels, "na": CorticalAxonNa, "kv": CorticalAxonKv,
                    "kd": CorticalAxonKd, "pas": PassiveLeak}
    post_synaptic_entities = {"AMPA": DestexhePostSynapticResponse,
                              "GABAa": DestexhePostSynapticResponse}
    spike_source = "collateral"
    spike_detectors = {"middle_axon_node": (("node", 5), -10.0), "soma": ("soma", 10.0)}

    def __init__(self, **parameters):
        defaults = dict(
            morphology=fleming_cortex_morphology(),
            cm=_by_section(myelin=0.04, soma=1.0, ais=0.8, node=0.8, collateral=0.8),
            Ra=150.0,
            soma={"conductance_density": m.uniform("soma", 1.0)},
            na={"conductance_density": _by_section(ais=0.4, myelin=1e-3, node=0.28,
                                                   collateral=0.133333)},
            kv={"conductance_density": _by_section(ais=2e-3, node=5e-4, collateral=1e-3)},
            kd={"conductance_density": _by_section(ais=0.015, node=0.0072, collateral=0.006)},
            pas={"conductance_density": _by_section(soma=1e-4, ais=3.3e-5, node=0.02,
                                                    collateral=3.33333e-5), "e_rev": -70.0},
            AMPA={"locations": m.centre("soma")},
            GABAa={"locations": m.centre("soma"), "alpha": 10.5, "beta": 0.166,
                   "e_syn": -80.0})
        for key, value in defaults.items():
            parameters.setdefault(key, value)
        super().__init__(**parameters)
