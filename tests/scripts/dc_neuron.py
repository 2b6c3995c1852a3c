"""One IF_cond_exp neuron under a DC current, in plain PyNN (issue 12 item 3).

Usage: ``python dc_neuron.py [--simulator NAME] [--amplitude NA] [--perturb-on NAME]
[--tau-m-scale X]``.

PyNN's default IF_cond_exp parameters except ``tau_refrac = 2 ms`` (v_rest -65 mV, v_thresh
-50 mV, tau_m 20 ms, cm 1 nF), a ``DCSource`` of ``--amplitude`` nA (default 1.0) from 100 to
900 ms, 1 s at dt = 0.1 ms; spikes and v are recorded.  The simulator is ``pyNN.<--simulator>``
(``--simulator {sim}`` under ``pynn-cbgtc-jax compare``).  With ``--perturb-on NAME`` the run
whose ``--simulator`` is NAME multiplies ``tau_m`` by ``--tau-m-scale`` (a deliberate model
error on one side).
"""
import argparse
import importlib

parser = argparse.ArgumentParser()
parser.add_argument("--simulator", default="nest")
parser.add_argument("--amplitude", type=float, default=1.0)
parser.add_argument("--perturb-on", default="")
parser.add_argument("--tau-m-scale", type=float, default=1.01)
args = parser.parse_args()

sim = importlib.import_module("pyNN." + args.simulator)
sim.setup(timestep=0.1, min_delay=0.1)
scale = args.tau_m_scale if args.perturb_on == args.simulator else 1.0
cell = sim.Population(1, sim.IF_cond_exp(tau_refrac=2.0, tau_m=20.0 * scale), label="dc")
cell.inject(sim.DCSource(amplitude=args.amplitude, start=100.0, stop=900.0))
cell.record(["spikes", "v"])
sim.run(1000.0)
sim.end()
