"""Every bad or stressful input of ``validation/reliability_cases.py`` is handled (issue 11).

Reference: the cases' own expectations, which say what a careful simulator does with each
input (a refusal naming the argument and value, or a result checked against its closed form,
e.g. NEST's delay rounding ``floor(d/dt + 0.5)``).  ``validation/reliability.py`` runs the same
cases on pyNN.nest for the table in ``validation/RELIABILITY.md``; here only our side is
asserted: ``clear error``, ``correct`` or ``warned``, never an unclear error or a silent wrong
answer.  Cases that could allocate a huge network if our memory check failed run in a
separate process under an address-space cap, so a regression fails the test instead of the
machine.
"""
import importlib.util
import os
import sys

import pytest

import pynn_cbgtc_jax

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _load(name):
    spec = importlib.util.spec_from_file_location(
        name, os.path.join(ROOT, "validation", name + ".py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


cases = _load("reliability_cases")
runner = _load("reliability")


@pytest.mark.parametrize("case", [c for c in cases.CASES if c.group != "memory"],
                         ids=lambda c: c.id)
def test_case(sim, case):
    kind, detail = cases.outcome(case, pynn_cbgtc_jax)
    assert kind in cases.GOOD, f"{case.what}: {kind}: {detail}"


@pytest.mark.parametrize("case", [c for c in cases.CASES if c.group == "memory"],
                         ids=lambda c: c.id)
def test_memory_case(case):
    result = runner.run_case("ours", case.id, timeout=120, memory_gb=4.0)
    assert result["class"] in cases.GOOD, f"{case.what}: {result}"


def test_the_table_has_every_class_of_issue_11():
    """At least 60 cases, every item of issue 11's list among them."""
    assert len(cases.CASES) >= 60
    assert len({c.id for c in cases.CASES}) == len(cases.CASES)
    assert sum(c.issue_11 for c in cases.CASES) >= 30
