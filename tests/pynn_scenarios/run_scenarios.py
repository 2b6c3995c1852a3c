"""Run PyNN 0.13's own system scenarios (test/system/scenarios) against pynn_cbgtc_jax.

PyNN's test code is not part of this repository: it is read from PyNN's source distribution
(``--tests <sdist>/test``).  Before pytest collects the scenarios, our backend is registered as
``pyNN.cbgtc_jax`` and PyNN's ``run_with_simulators`` decorator is replaced so that every
scenario PyNN runs for "nest" runs for us, and the multi-compartment ones in ``ALSO`` (the
others are reported as skipped).

Run from a scratch directory: the scenarios write files into the working directory.
"""
import argparse
import importlib
import os
import sys

import pytest

#: scenarios PyNN runs only for its multi-compartment backends (neuron, arbor) that this
#: backend runs too
ALSO = {"test_scenario5"}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tests", required=True, help="the test/ folder of PyNN's sdist")
    ap.add_argument("--subset", default="nest",
                    help="run the scenarios PyNN runs for this simulator, or 'all'")
    args, pytest_args = ap.parse_known_args(argv)
    test_dir = os.path.abspath(args.tests)
    sys.path.insert(0, test_dir)                     # scenarios import as system.scenarios.*
    backend = importlib.import_module("pynn_cbgtc_jax")
    sys.modules["pyNN.cbgtc_jax"] = backend          # LazySimulator("cbgtc_jax") imports it
    import system.scenarios.fixtures as fixtures

    def run_with_simulators(*sim_names):
        def decorate(test):
            if args.subset == "all" or args.subset in sim_names or test.__name__ in ALSO:
                return pytest.mark.parametrize("sim", [pytest.param(
                    fixtures.LazySimulator("cbgtc_jax"), id="cbgtc_jax")])(test)
            return pytest.mark.parametrize("sim", [pytest.param(
                None, id="cbgtc_jax",
                marks=pytest.mark.skip(reason=f"PyNN does not run this for {args.subset}"))])(
                    test)
        return decorate

    fixtures.run_with_simulators = run_with_simulators     # before collection
    return pytest.main([os.path.join(test_dir, "system", "scenarios"), "-p", "no:cacheprovider",
                        "--rootdir", test_dir] + pytest_args)


if __name__ == "__main__":
    sys.exit(main())
