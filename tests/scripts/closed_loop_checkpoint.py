"""A closed-loop network (tests/cbgtc/test_closed_loop.py's) run straight to 600 ms, or to
400 ms and checkpointed, or restored from that checkpoint and run 200 ms more; saves the
controller's outputs.  ``python closed_loop_checkpoint.py full|save|restore DIR``."""
import pathlib
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "cbgtc")]

import pynn_cbgtc_jax as sim                          # noqa: E402
from cbgtc.test_closed_loop import _network           # noqa: E402

mode, folder = sys.argv[1], pathlib.Path(sys.argv[2])
stn, lfp, dbs, controller, loop = _network(sim, loop=True)
if mode == "full":
    sim.run(600.0)
elif mode == "save":
    sim.run(400.0)
    sim.checkpoint(str(folder / "loop.ckpt"))
else:
    sim.restore(str(folder / "loop.ckpt"))
    sim.run(200.0)
if mode != "save":
    outputs = loop.get_data().segments[0].irregularlysampledsignals[1]
    np.save(folder / f"{mode}.npy", np.asarray(outputs)[:, 0])
