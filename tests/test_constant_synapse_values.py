"""A projection's constant weight and delay take no memory per synapse (``projections._joined``).

Reference: the same network with the weights given one per synapse (a plain array): every
spike and ``v`` the same bit for bit, and ``get``/``set`` answer as PyNN's API says -- a write
to one synapse changes that synapse only.
"""
import numpy as np


def _network(sim, per_synapse: bool):
    sim.setup(timestep=0.1, min_delay=0.1, rng_seed=2)
    src = sim.Population(40, sim.SpikeSourcePoisson(rate=80.0))
    cells = sim.Population(30, sim.IF_cond_exp())
    cells.record(["spikes", "v"])
    connector = sim.FixedProbabilityConnector(0.3, rng=sim.NumpyRNG(seed=3))
    prj = sim.Projection(src, cells, connector, sim.StaticSynapse(weight=0.02, delay=0.7))
    if per_synapse:      # the same values, one per synapse
        prj.set(weight=list(np.full(prj.size(), 0.02)))
    return cells, prj


def test_constant_values_are_one_number_and_give_the_same_run(sim):
    results = []
    for per_synapse in (False, True):
        cells, prj = _network(sim, per_synapse)
        weight, delay = prj._params["weight"], prj._params["delay"]
        assert delay.strides == (0,)                      # a view of one number
        assert (weight.strides == (0,)) != per_synapse
        sim.run(50.0)
        seg = cells.get_data().segments[0]
        results.append(([np.asarray(st) for st in seg.spiketrains],
                        np.asarray(seg.filter(name="v")[0])))
        sim.end()
    (spikes_a, v_a), (spikes_b, v_b) = results
    assert sum(s.size for s in spikes_a) > 10
    assert all(np.array_equal(a, b) for a, b in zip(spikes_a, spikes_b))
    np.testing.assert_array_equal(v_a, v_b)


def test_writes_to_a_constant_value_change_only_their_synapses(sim):
    _, prj = _network(sim, per_synapse=False)
    n = prj.size()
    prj[3].weight = 0.009                    # one synapse, through its Connection
    weights = np.asarray(prj.get("weight", format="list"))[:, 2]
    assert weights[3] == 0.009 and np.all(np.delete(weights, 3) == 0.02)
    prj.set(delay=1.5)                       # every synapse
    assert np.all(np.asarray(prj.get("delay", format="list"))[:, 2] == 1.5)
    assert len(weights) == n
