"""Memory checked before it is spent: a Population or Projection that cannot fit is refused as
it is created (``footprint.py`` reads its sizes, ``compiler/footprint.py`` estimates and
refuses), quickly, with the estimate, its largest term, the memory available and the fix in
the message, and nothing registered.

Reference: the estimate's own terms (sizes x measured bytes per cell / synapse), so the
threshold is tested exactly by setting the available memory to the estimate and one byte less.
"""
import time

import pytest

from pynn_cbgtc_jax import footprint
from pynn_cbgtc_jax.compiler import footprint as estimate


def _registry(sim):
    state = sim.simulator.state
    return (len(state.populations), len(state.projections), len(state.recorders),
            state.id_counter)


def test_huge_population_refused_quickly(sim):
    before = _registry(sim)
    start = time.perf_counter()
    with pytest.raises(sim.HostMemoryError) as info:
        sim.Population(10 ** 11, sim.IF_cond_exp())
    assert time.perf_counter() - start < 0.5         # no per-cell work was started
    message = str(info.value)
    for part in ("100,000,000,000", "IF_cond_exp", "TiB of host memory", "available",
                 "Largest term: cell ids", "fewer cells"):
        assert part in message
    assert isinstance(info.value, MemoryError)
    assert _registry(sim) == before
    # the simulator still works
    p = sim.Population(3, sim.IF_cond_exp())
    p.record("v")
    sim.run(1.0)
    assert p.get_data().segments[0].analogsignals[0].shape == (11, 3)


def test_huge_all_to_all_refused_quickly(sim):
    a = sim.Population(200_000, sim.SpikeSourcePoisson(rate=1.0))
    b = sim.Population(200_000, sim.IF_cond_exp())
    before = _registry(sim)
    start = time.perf_counter()
    with pytest.raises(MemoryError) as info:
        sim.Projection(a, b, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.01))
    assert time.perf_counter() - start < 0.5
    message = str(info.value)
    for part in ("200,000 -> 200,000", "AllToAllConnector", "4e10 synapses", "TiB",
                 "available", "Largest term: synapse indices", "fewer synapses"):
        assert part in message
    assert _registry(sim) == before


@pytest.mark.parametrize("connector, expected", [
    ("AllToAllConnector()", 50 * 40),
    ("AllToAllConnector(allow_self_connections=False)", 50 * 50 - 50),   # on a == a
    ("FixedProbabilityConnector(0.25)", 0.25 * 50 * 40),
    ("FixedNumberPreConnector(7)", 7 * 40),
    ("FixedNumberPostConnector(7)", 7 * 50),
    ("FixedTotalNumberConnector(123)", 123),
    ("FromListConnector([(0, 1), (2, 3), (4, 5)])", 3),
])
def test_expected_synapses(sim, connector, expected):
    a = sim.Population(50, sim.IF_cond_exp())
    b = a if "allow_self" in connector else sim.Population(40, sim.IF_cond_exp())
    conn = eval("sim." + connector)
    prj = sim.Projection(a, b, conn, sim.StaticSynapse(weight=0.01))
    assert footprint.expected_synapses(conn, prj) == pytest.approx(expected)
    if "Fixed" not in connector or "Number" in connector:
        assert len(prj) == expected                  # exact for the deterministic counts


def _estimate_population(sim, n):
    class Probe:                     # what check_population reads of a population
        size = n
        celltype = sim.IF_cond_exp()
    terms = footprint.population_bytes(Probe, sim.simulator.state)
    return sum(terms["host"].values()), sum(terms["device"].values())


def test_host_threshold_exact(sim, monkeypatch):
    """Refused exactly when the estimate exceeds what is available: no hidden factor."""
    monkeypatch.setattr(estimate, "_FLOOR", 0)
    monkeypatch.setattr(estimate, "free_device_bytes", lambda: (None, "none"))
    host, _ = _estimate_population(sim, 1000)
    monkeypatch.setattr(estimate, "available_host_bytes", lambda: host - 1)
    with pytest.raises(sim.HostMemoryError, match="Largest term"):
        sim.Population(1000, sim.IF_cond_exp())
    assert sim.simulator.state.populations == []
    monkeypatch.setattr(estimate, "available_host_bytes", lambda: host)
    sim.Population(1000, sim.IF_cond_exp())
    assert len(sim.simulator.state.populations) == 1


def test_device_threshold_counts_earlier_objects(sim, monkeypatch):
    """The device check adds the new object to what earlier ones will need on the device."""
    monkeypatch.setattr(estimate, "_FLOOR", 0)
    monkeypatch.setattr(estimate, "available_host_bytes", lambda: None)
    _, cells = _estimate_population(sim, 100)
    a = sim.Population(100, sim.IF_cond_exp())
    b = sim.Population(100, sim.IF_cond_exp())
    # static float32: int32 column + float32 weight + uint8 delay (memory.estimate's table)
    synapses = 100 * 100 * 9
    total = 2 * cells + synapses
    monkeypatch.setattr(estimate, "free_device_bytes", lambda: (total - 1, "a test device"))
    before = _registry(sim)
    with pytest.raises(sim.DeviceMemoryError) as info:
        sim.Projection(a, b, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.01))
    assert "a test device" in str(info.value) and "Largest term: synapse tables" in str(
        info.value)
    assert _registry(sim) == before
    monkeypatch.setattr(estimate, "free_device_bytes", lambda: (total, "a test device"))
    sim.Projection(a, b, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.01))
    # the next population is checked against all of it
    with pytest.raises(sim.DeviceMemoryError, match="earlier populations and projections"):
        sim.Population(100, sim.IF_cond_exp())


def test_normal_network_accepted_without_querying(sim, monkeypatch):
    """Below the floor nothing is read: no /proc/meminfo, no device query."""
    def fail(*_):
        raise AssertionError("queried memory for a small network")
    monkeypatch.setattr(estimate, "available_host_bytes", fail)
    monkeypatch.setattr(estimate, "free_device_bytes", fail)
    a = sim.Population(1000, sim.IF_cond_exp())
    sim.Projection(a, a, sim.FixedProbabilityConnector(0.1, rng=sim.NumpyRNG(1)),
                   sim.StaticSynapse(weight=0.01))


def test_measured_bytes_per_cell_and_synapse(sim):
    """The estimate is close to (and not below 90 % of) the measured peak of creation."""
    import tracemalloc
    tracemalloc.start()
    tracemalloc.reset_peak()
    a = sim.Population(20_000, sim.IF_cond_exp())
    peak = tracemalloc.get_traced_memory()[1]
    host, _ = _estimate_population(sim, 20_000)
    assert 0.9 * peak < host < 1.25 * peak
    b = sim.Population(500, sim.IF_cond_exp())
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    connector = sim.AllToAllConnector()
    prj = sim.Projection(b, a[:1000], connector, sim.StaticSynapse(weight=0.01, delay=1.0))
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    terms = footprint.projection_bytes(prj, connector, sim.simulator.state)
    assert 0.9 * peak < sum(terms["host"].values()) < 1.25 * peak
