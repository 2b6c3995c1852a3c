"""Cross-simulator validation: the same PyNN script on pyNN.nest (or pyNN.neuron) and on
pynn_cbgtc_jax.

>>> from pynn_cbgtc_jax.compare import compare_script
>>> result = compare_script("my_model.py", ["--duration", "500"], output="cmp")  # doctest: +SKIP
>>> result.passed, result.failed_checks                                          # doctest: +SKIP

``compare_script`` runs the unchanged script once per simulator in separate processes
(``capture``), captures every Neo block the script records (``data``), computes spike and
signal metrics per population (``metrics``), checks them against tolerances (``tolerances``)
and writes ``report.md`` with figures (``report``).  ``launch`` runs a script on this backend
alone (``pynn-cbgtc-jax run``); ``neuron_mechanisms`` compiles PyNN's NMODL files for a
pyNN.neuron reference run.
"""
from .core import (DEFAULT_SIM_NAMES, Comparison, NoData, RunFailed, compare_recordings,
                   compare_script)
from .launch import install_aliases, run_script
from .tolerances import Check, Tolerances, load_tolerances

__all__ = ["compare_script", "compare_recordings", "Comparison", "RunFailed", "NoData",
           "Tolerances", "Check", "load_tolerances", "install_aliases", "run_script",
           "DEFAULT_SIM_NAMES"]
