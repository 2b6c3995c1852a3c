"""Cortico-basal ganglia-thalamo-cortical (CBGTC) cell types and deep brain stimulation.

* :class:`STN_RT2004`, :class:`GP_RT2004` / :class:`GPe_RT2004` / :class:`GPi_RT2004`,
  :class:`TC_RT2004`: the Rubin & Terman 2004 cells as PyNN cell types, with conductance-based
  exponential synapses and a membrane ``area`` that converts PyNN's nA / µS to the models'
  µA/cm² / mS/cm² (``models.py``);
* :class:`DBSSource`: monophasic or charge-balanced biphasic DBS pulse trains (``dbs.py``);
* :class:`ExtracellularElectrode`: the same pulses from a point source in the tissue, acting on
  multi-compartment cells through their field (``extracellular.py``);
* :class:`LFPElectrode`: the field of a population's synaptic currents at one or two contacts,
  computed on the device every step (``lfp.py``);
* closed-loop controllers (:class:`OnOffController`, :class:`DualThresholdController`,
  :class:`PIDController`, :class:`ConstantController`; ``controllers.py``) and Fleming's beta
  biomarker (``biomarkers.py``) as pure JAX functions.

Importing this package registers the three ``NeuronModel``s with the engine.
"""
from .cells import *  # noqa: F401,F403
from .dbs import *    # noqa: F401,F403
from .extracellular import *    # noqa: F401,F403
from .lfp import *    # noqa: F401,F403
from .controllers import *    # noqa: F401,F403
from .closed_loop import *    # noqa: F401,F403
from .fleming_cortex import *    # noqa: F401,F403
from . import (cells as _cells, closed_loop as _closed_loop, controllers as _controllers,
               dbs as _dbs, extracellular as _extracellular, fleming_cortex as _fleming_cortex,
               lfp as _lfp)

__all__ = (_cells.__all__ + _dbs.__all__ + _extracellular.__all__ + _lfp.__all__
           + [n for n in _controllers.__all__ if n != "ControllerState"] + _closed_loop.__all__
           + _fleming_cortex.__all__)
