"""A checkpoint of the every-feature network written on one device count and continued on
another, for ``tests/test_devices.py``.

    python devices_checkpoint.py full|save|load DEVICES CHECKPOINT OUT.npz

``full``: run 10 ms; ``save``: run 4 ms and write CHECKPOINT; ``load``: restore CHECKPOINT and
run 6 ms.  ``DEVICES``: "none" or a count (4 simulated CPU devices are available).  Saves the
last 200 samples of an STN population's v and the STDP weights.
"""
import os
import sys
from pathlib import Path

mode, devices, checkpoint, out = sys.argv[1:5]
os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "")
                           + " --xla_force_host_platform_device_count=4")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np                                    # noqa: E402

import pynn_cbgtc_jax as sim                          # noqa: E402
from every_feature_network import build               # noqa: E402

cells, projections = build(sim, precision="float64",
                           devices=None if devices == "none" else int(devices))
if mode == "full":
    sim.run(10.0)
elif mode == "save":
    sim.run(4.0)
    sim.checkpoint(checkpoint)
    sys.exit(0)
else:
    sim.restore(checkpoint)
    sim.run(6.0)
v = np.asarray(cells[5].get_data().segments[0].filter(name="v")[0])
np.savez(out, v=v[-200:], w=np.asarray(projections[2].get("weight", format="array")))
