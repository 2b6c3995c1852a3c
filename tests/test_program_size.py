"""The compiled chunk does not repeat a spike source's or an electrode's code per population.

Issue 18: drawn population by population, every further SpikeSourcePoisson population added
~5,000 instructions of optimized HLO, two while loops and a conditional to the step loop, and
every further population receiving a noisy current ~1,650 (the gamma source's incomplete gamma
function likewise).  Sources of one kind are now drawn as one block and injected currents as
one table (``engine/source_blocks.py``, ``engine/electrodes.py``); what remains per population
is its neuron kernel, recording and routing (~300-420 instructions for a further population of
a model already present).  ``validation/benchmarks/bench_program_size.py`` measures the growth.
"""
from __future__ import annotations

import jax.numpy as jnp


def _program(sim, n):
    """Instructions and conditionals of the optimized chunk of a network with ``n`` IF_cond_exp
    populations, each driven by its own Poisson and gamma source and a noisy current."""
    sim.setup(timestep=0.1, rng_seed=1)
    for _ in range(n):
        cells = sim.Population(10, sim.IF_cond_exp())
        for source in (sim.SpikeSourcePoisson(rate=30.0),
                       sim.SpikeSourceGamma(alpha=2.0, beta=40.0)):
            sim.Projection(sim.Population(10, source), cells, sim.OneToOneConnector(),
                           sim.StaticSynapse(weight=0.002, delay=0.5))
        sim.NoisyCurrentSource(mean=0.0, stdev=0.05, dt=0.1).inject_into(cells)
        cells.record("spikes")
    sim.run(0.1)
    s = sim.simulator.state.simulation
    text = s.fn.lower(s.data, s.carry, jnp.int32(1)).compile().as_text()
    return (sum(" = " in line for line in text.splitlines()),
            text.count(" conditional("))


def test_sources_and_electrodes_do_not_repeat_per_population(sim):
    """Reference: the same network with one population of each.  Each further set (a neuron
    population, a Poisson and a gamma source, a noisy current) may add its neuron kernel and
    the slices that route its cells: measured 1,110 instructions on jax 0.10.2 (where XLA
    copies the unrolled Threefry of the gamma draw into each population's slices) and 520 on
    jax 0.12.0.1, against ~9,300 when every population had its own draws; bound 1,500.  No
    further conditional (one per Poisson population before)."""
    one, conds_one = _program(sim, 1)
    three, conds_three = _program(sim, 3)
    assert (three - one) / 2 < 1500, (one, three)
    assert conds_three == conds_one
