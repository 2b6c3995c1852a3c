"""Run a shared benchmark script with its connectivity drawn by ``NativeRNG``.

    python validation/benchmarks/native_rng.py SCRIPT [script options]

The shared scripts (``../shared/bench``) draw connections with a ``NumpyRNG``, whose PyNN
semantics for ``FixedProbabilityConnector`` take one uniform per candidate pair: at 1M neurons
(CBGTC scale 200) that is about 1e11 draws, hours of building on any PyNN backend.  This
wrapper runs the script unchanged except that the connectors' RNG is a ``NativeRNG`` with the
same seed, so pynn_cbgtc_jax draws connections in O(synapses) (geometric gaps for
FixedProbability, Floyd's sampling for FixedNumberPre; ``connectors.py``).  Everything else
(initial values from ``RandomDistribution``, Poisson seeds) keeps the script's ``NumpyRNG``.
The network is statistically the same, not connection for connection the one NumpyRNG builds.
"""
import os
import runpy
import sys

from pyNN.random import NativeRNG


def _native(cls):
    """``cls`` with its ``rng`` argument replaced by a ``NativeRNG`` of the same seed."""
    init = cls.__init__

    def __init__(self, *args, rng=None, **kwargs):
        if rng is not None and not isinstance(rng, NativeRNG):
            rng = NativeRNG(seed=rng.seed)
        init(self, *args, rng=rng, **kwargs)
    return __init__


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    import pynn_cbgtc_jax as sim
    for name in ("FixedProbabilityConnector", "FixedNumberPreConnector"):
        cls = getattr(sim, name)
        cls.__init__ = _native(cls)
    script = sys.argv[1]
    sys.argv = sys.argv[1:]
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))   # its helper modules
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
