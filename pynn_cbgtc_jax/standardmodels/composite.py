"""PyNN's composed point neurons: ``PointNeuron(LIF(...) | AdExp(...), NAME=PSR(...), ...)``.

The membrane component and the post-synaptic responses map onto one kernel built by
``kernels.composite.point_neuron_model``; receptor types are the PSR names (sorted, as PyNN),
their parameters and state appear as ``"AMPA.tau_syn"``, ``"AMPA.gsyn"`` etc.
"""
from __future__ import annotations

from pyNN.parameters import ParameterSpace
from pyNN.standardmodels import cells, receptors

from ..kernels.composite import point_neuron_model
from .translations import identity_translations

__all__ = ["PointNeuron", "LIF", "AdExp", "CurrExpPostSynapticResponse",
           "CondExpPostSynapticResponse", "CondAlphaPostSynapticResponse",
           "CondBetaPostSynapticResponse", "CurrExpPSR", "ExpPSR", "AlphaPSR", "BetaPSR"]


def _component(base, **attributes):
    """Our subclass of a PyNN component type: its docstring, identity translations (one unit
    system) and ``attributes``."""
    return type(base.__name__, (base,), {
        "__doc__": base.__doc__, "__module__": __name__,
        "translations": identity_translations(base.default_parameters), **attributes})


LIF = _component(cells.LIF, kernel_base="LIF")
AdExp = _component(cells.AdExp, kernel_base="AdExp")
#: post-synaptic responses: the recorded variable and the kernel's shape (kernels/composite.py)
CurrExpPostSynapticResponse = _component(receptors.CurrExpPostSynapticResponse,
                                         recordable=["isyn"], shape="curr_exp")
CondExpPostSynapticResponse = _component(receptors.CondExpPostSynapticResponse,
                                         recordable=["gsyn"], shape="cond_exp")
CondAlphaPostSynapticResponse = _component(receptors.CondAlphaPostSynapticResponse,
                                           recordable=["gsyn"], shape="cond_alpha")
CondBetaPostSynapticResponse = _component(receptors.CondBetaPostSynapticResponse,
                                          recordable=["gsyn"], shape="cond_beta")

CurrExpPSR = CurrExpPostSynapticResponse
ExpPSR = CondExpPostSynapticResponse
AlphaPSR = CondAlphaPostSynapticResponse
BetaPSR = CondBetaPostSynapticResponse


class PointNeuron(cells.PointNeuron):
    __doc__ = """A point neuron made of a membrane model (LIF or AdExp) and named
    post-synaptic responses, e.g. ``PointNeuron(AdExp(), AMPA=AlphaPSR(), GABAA=AlphaPSR())``.
    """

    @property
    def kernel(self):
        return point_neuron_model(
            self.neuron.kernel_base,
            tuple((name, self.post_synaptic_receptors[name].shape)
                  for name in self.receptor_types))

    @property
    def injectable(self):
        return True

    @property
    def native_parameters(self):
        """One flat ParameterSpace: membrane names, then ``"<receptor>.<parameter>"``."""
        values = dict(self.neuron.native_parameters.items())
        for name in self.receptor_types:
            for pname, value in self.post_synaptic_receptors[name].native_parameters.items():
                if pname != "locations":
                    values[f"{name}.{pname}"] = value
        return ParameterSpace(values, shape=None)

    def get_native_names(self, *names):
        if not names:
            return list(self.native_parameters.keys())
        return list(names)

    def reverse_translate(self, native_parameters):
        return native_parameters

    def computed_parameters(self):
        return []

    def __str__(self):
        return self.kernel.name
