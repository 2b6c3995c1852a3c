"""pynn_cbgtc_jax: a PyNN backend whose whole network runs as one JAX program.

Use it as any PyNN backend::

    import pynn_cbgtc_jax as sim
    sim.setup(timestep=0.1)
    ...
"""
from pyNN import errors, random, space                                     # noqa: F401
from pyNN.connectors import *                                              # noqa: F401,F403
from pyNN.network import Network                                           # noqa: F401
from pyNN.random import GSLRNG, NumpyRNG, RandomDistribution               # noqa: F401
from pyNN.recording import *                                               # noqa: F401,F403
from pyNN.space import Space                                               # noqa: F401
from pyNN.standardmodels import StandardCellType

from .connectors import *                                                  # noqa: F401,F403
from .control import (end, get_current_time, get_max_delay, get_min_delay,  # noqa: F401
                      get_time_step, initialize, num_processes, rank, reset, run, run_for,
                      run_until, setup)
from .populations import Assembly, Population, PopulationView              # noqa: F401
from .ensembles import Batch, grid                                         # noqa: F401
from .procedural_api import connect, create, record, record_gsyn, record_v, set  # noqa: F401
from .projections import Projection                                        # noqa: F401
from .native import NativeRNG, native_cell_type, native_synapse_type      # noqa: F401
from .simulator import NumericalInstabilityError, StaleObjectError         # noqa: F401
from .checkpoint import CheckpointMismatchError                            # noqa: F401
# after the module import above, which binds the name 'checkpoint' to the module
from .control import checkpoint, restore                                   # noqa: F401,E402
from .compiler.memory import DeviceMemoryError, HostMemoryError            # noqa: F401
from .standardmodels import *                                              # noqa: F401,F403
from .cbgtc import *                                                       # noqa: F401,F403
from . import morphology                                                   # noqa: F401,E402


def __getattr__(name):
    """The cell type of every declared neuron model, e.g. ``sim.Izhikevich_cond``: generated
    from its declaration on first use (``standardmodels.cells.cell_types``)."""
    from .standardmodels.cells import cell_types
    if name in cell_types():
        return cell_types()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    from .standardmodels.cells import cell_types
    return sorted({*globals(), *cell_types()})      # (``set`` is PyNN's procedural set here)


def list_standard_models():
    """Names of the standard cell types available in this backend (every declared model's)."""
    from .standardmodels.cells import cell_types
    names = [obj.__name__ for obj in globals().values()
             if isinstance(obj, type) and issubclass(obj, StandardCellType)
             and obj is not StandardCellType]
    return names + sorted(name for name in cell_types() if name not in names)
