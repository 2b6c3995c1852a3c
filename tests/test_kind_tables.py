"""Every PyNN spike source, current source and synapse type names an entry of its table.

Issue 13 item 2: a kind is declared once, as one entry of ``engine/spike_sources.py:
SOURCES``, ``engine/waveforms.py: WAVEFORMS`` or ``engine/synapse_rules.py: RULES``, and the
rest of the package dispatches through the entry.  These are contract tests (no numerics):
the numbers of each entry are tested in test_spike_sources.py, test_electrodes.py,
cbgtc/test_dbs.py and test_synapses_vs_nest.py.
"""
from __future__ import annotations

import inspect

import pynn_cbgtc_jax as sim
from pynn_cbgtc_jax.engine.spike_sources import BLOCK_KINDS, SOURCES
from pynn_cbgtc_jax.engine.synapse_rules import RULES
from pynn_cbgtc_jax.engine.waveforms import FIELDS, WAVEFORMS
from pynn_cbgtc_jax.standardmodels.electrodes import _CurrentSource


def test_every_spike_source_type_has_an_entry():
    names = {n for n in dir(sim) if n.startswith("SpikeSource")}
    assert names == set(SOURCES), names ^ set(SOURCES)


def test_block_streams_are_stable():
    """A block kind's random stream is its position among the block entries: appending an
    entry must not renumber the others (same spikes for the same seed)."""
    assert BLOCK_KINDS[:4] == ("SpikeSourcePoisson", "SpikeSourceGamma",
                               "SpikeSourcePoissonRefractory", "SpikeSourceInhGamma")


def test_every_current_source_names_a_waveform():
    classes = [c for c in vars(sim).values()
               if inspect.isclass(c) and issubclass(c, _CurrentSource) and c is not _CurrentSource]
    assert {c.__name__ for c in classes} >= {"DCSource", "ACSource", "StepCurrentSource",
                                             "NoisyCurrentSource", "DBSSource"}
    assert {c._waveform_name for c in classes} == set(WAVEFORMS)


def test_waveform_fields_agree():
    """A field shared by two waveforms (``amplitude``) has one default and one type."""
    for w in WAVEFORMS.values():
        for name, default in w.fields.items():
            assert FIELDS[name] == (default, name in w.tables), name


def test_every_synapse_type_names_a_rule():
    rules = {getattr(c, "rule", None) for c in vars(sim).values() if inspect.isclass(c)}
    rules.discard(None)
    assert rules == set(RULES), rules ^ set(RULES)
    for name, rule in RULES.items():
        assert len(set(rule.params)) == len(rule.params), name
        assert not rule.post_tau or rule.post_tau in rule.params, name
