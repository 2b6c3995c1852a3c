"""Neo blocks -> plain arrays per recorded population and segment (what the metrics read)."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["Signal", "Recording", "recordings_from_blocks", "align_cells"]


class Signal(NamedTuple):
    """One recorded variable: ``values[n_samples, n_cells]`` at ``times`` (ms)."""

    times: np.ndarray
    cells: np.ndarray          # population indices (``channel_index``), one per column
    values: np.ndarray
    units: str


class Recording(NamedTuple):
    """Everything recorded from one population in one segment."""

    key: str                   # population label (+ ``[segN]`` for later segments)
    simulator: str             # ``block.annotations["simulator"]``
    dt: float                  # ms
    t_start: float             # ms
    t_stop: float              # ms
    size: int                  # cells in the population
    spike_cells: np.ndarray    # population indices with a spike train (sorted)
    spikes: list | None        # spike times (ms) per cell of ``spike_cells``; None: not recorded
    signals: dict              # name -> Signal


def _spike_trains(segment):
    trains = list(segment.spiketrains)
    if not trains:
        return np.zeros(0, np.int64), None
    index = [int(st.annotations.get("source_index", i)) for i, st in enumerate(trains)]
    order = np.argsort(index, kind="stable")
    cells = np.asarray(index, np.int64)[order]
    return cells, [np.asarray(trains[i].rescale("ms").magnitude, float) for i in order]


def _signals(segment):
    out = {}
    for sig in segment.analogsignals:
        cells = sig.array_annotations.get("channel_index")
        values = np.asarray(sig.magnitude, float)
        cells = (np.arange(values.shape[1]) if cells is None
                 else np.asarray(cells, np.int64))
        times = np.asarray(sig.times.rescale("ms").magnitude, float)
        out[sig.name] = Signal(times, cells, values, str(sig.units.dimensionality))
    return out


def recordings_from_blocks(blocks: dict) -> dict:
    """``{key: neo.Block}`` (as captured) -> ``{key: Recording}``, one per segment; segments
    after the first get keys ``"<key>[segN]"``."""
    out = {}
    for key, block in blocks.items():
        ann = block.annotations
        for n, segment in enumerate(block.segments):
            cells, trains = _spike_trains(segment)
            signals = _signals(segment)
            t_start = t_stop = 0.0
            if trains is not None:
                st = segment.spiketrains[0]
                t_start = float(st.t_start.rescale("ms").magnitude)
                t_stop = float(st.t_stop.rescale("ms").magnitude)
            elif signals:
                first = next(iter(signals.values()))
                t_start, t_stop = float(first.times[0]), float(first.times[-1])
            name = key if n == 0 else f"{key}[seg{n}]"
            out[name] = Recording(name, str(ann.get("simulator", "?")),
                                  float(ann.get("dt", np.nan)), t_start, t_stop,
                                  int(ann.get("size", len(cells))), cells, trains, signals)
    return out


def align_cells(ref_cells, ref_items, test_cells, test_items, empty):
    """Items of the cells present in either recording, in the order of the union of cell
    indices; a cell missing on one side gets ``empty``.  Returns (cells, ref, test)."""
    cells = np.union1d(ref_cells, test_cells)
    ref_map = dict(zip(np.asarray(ref_cells).tolist(), ref_items))
    test_map = dict(zip(np.asarray(test_cells).tolist(), test_items))
    return (cells, [ref_map.get(c, empty) for c in cells.tolist()],
            [test_map.get(c, empty) for c in cells.tolist()])
