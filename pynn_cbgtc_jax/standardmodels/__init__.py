"""PyNN standard cell, synapse and electrode types, mapped onto the JAX kernels."""
from .cells import *       # noqa: F401,F403
from .synapses import *    # noqa: F401,F403
from .electrodes import *  # noqa: F401,F403
from .composite import *   # noqa: F401,F403
from .multicompartment import *   # noqa: F401,F403
