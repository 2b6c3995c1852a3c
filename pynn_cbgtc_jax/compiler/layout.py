"""Where every cell of a PyNN population-like object lives: (population index, local index)."""
from __future__ import annotations

import numpy as np
from pyNN.common import Assembly, PopulationView

__all__ = ["resolve_cells"]


def resolve_cells(cells, idx):
    """Map indices into a Population, PopulationView or Assembly to (population index, local).

    Returns two int64 arrays aligned with ``idx``.
    """
    idx = np.asarray(idx, dtype=np.int64)
    if isinstance(cells, Assembly):
        pop_of = np.empty(idx.size, np.int64)
        local = np.empty(idx.size, np.int64)
        offsets = np.cumsum([0] + [p.size for p in cells.populations])
        which = np.searchsorted(offsets, idx, side="right") - 1
        for j, member in enumerate(cells.populations):
            sel = which == j
            pop_of[sel], local[sel] = resolve_cells(member, idx[sel] - offsets[j])
        return pop_of, local
    if isinstance(cells, PopulationView):
        root = cells.grandparent
        return (np.full(idx.size, root._index, np.int64),
                np.asarray(cells.index_in_grandparent(idx), np.int64))
    return np.full(idx.size, cells._index, np.int64), idx
