"""Ensembles: many variants of one network in one compiled run.

``Batch(values)`` is a parameter value that holds one value per ensemble *member*; it is
accepted where PyNN accepts a parameter value (cell-type parameters at creation,
``Population.set``, ``setup(rng_seed=...)``).  Every Batch in one simulation has the same
length N.  The network's structure -- population sizes, connectivity, delays, what is recorded
-- is shared by all members; only numbers differ.  The compiled program then carries a leading
member axis over the traced data that differs (parameters, random keys) and over the state, and
runs all members at once (``jax.vmap`` of the chunk), so N members cost little more than one
when one does not fill the machine.

``grid(a=[...], b=[...])`` gives the Cartesian product as one Batch per name (the first name
varies slowest, as ``itertools.product``).
"""
from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np
from pyNN import errors

__all__ = ["Batch", "grid", "split_batches", "member_values"]


class Batch:
    """One value per ensemble member: ``Batch([v0, v1, ...])``.

    A member's value is what PyNN accepts for the parameter in a single run: a number, or an
    array with one value per cell.
    """

    def __init__(self, values):
        if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, np.ndarray)):
            raise errors.InvalidParameterValueError(
                f"Batch({values!r}): give a list with one value per ensemble member, e.g. "
                f"Batch([10.0, 20.0, 40.0]).")
        self.values = list(values)
        if not self.values:
            raise errors.InvalidParameterValueError(
                "Batch([]): an ensemble needs at least one member; give one value per member.")

    def __len__(self) -> int:
        return len(self.values)

    def __getitem__(self, member: int):
        return self.values[member]

    def __iter__(self):
        return iter(self.values)

    def __repr__(self) -> str:
        return f"Batch({self.values!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Batch) and len(other) == len(self) and all(
            np.array_equal(np.asarray(a), np.asarray(b)) for a, b in zip(self, other))

    __hash__ = None


def grid(**axes) -> dict:
    """The Cartesian product of ``axes`` (name -> list of values) as ``{name: Batch}``.

    >>> g = grid(frequency=[130.0, 180.0], seed=[1, 2, 3])
    >>> len(g["frequency"]), g["frequency"].values[:3], g["seed"].values[:3]
    (6, [130.0, 130.0, 130.0], [1, 2, 3])
    """
    if not axes:
        raise errors.InvalidParameterValueError("grid(): give at least one name=[values].")
    for name, values in axes.items():
        if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, np.ndarray)) \
                or len(values) == 0:
            raise errors.InvalidParameterValueError(
                f"grid({name}={values!r}): give a non-empty list of values.")
    rows = list(itertools.product(*axes.values()))
    return {name: Batch([row[j] for row in rows]) for j, name in enumerate(axes)}


def split_batches(parameters: Mapping) -> tuple[dict, dict]:
    """``(plain, batches)``: the parameters with each Batch replaced by its first member's value
    (what PyNN's own checks see), and ``{name: Batch}``."""
    plain, batches = {}, {}
    for name, value in parameters.items():
        if isinstance(value, Batch):
            batches[name] = value
            plain[name] = value[0]
        else:
            plain[name] = value
    return plain, batches


def check_member(member, members: int, call: str) -> int:
    """``members`` (an ensemble's member count, 0 or 1 for one network, as at least 1) with
    ``member`` (None, or the index a per-member read is given) checked against it."""
    members = max(members, 1)
    if member is not None and not (isinstance(member, (int, np.integer))
                                   and 0 <= member < members):
        raise errors.InvalidParameterValueError(
            f"{call}(member={member!r}): give a member index 0 <= i < {members}.")
    return members


def member_values(batch: Batch, size: int, what: str) -> np.ndarray:
    """A Batch as a float array ``[N, size]`` (a member's value: a number or ``size`` values)."""
    rows = []
    for m, value in enumerate(batch):
        if hasattr(value, "next") or callable(value):
            raise errors.InvalidParameterValueError(
                f"{what}: member {m} of the Batch is {value!r}; a member's value must be a "
                f"number or an array of {size} numbers (draw random values with numpy first).")
        row = np.asarray(value, dtype=float)
        if row.ndim == 0:
            row = np.full(size, float(row))
        if row.shape != (size,):
            raise errors.InvalidParameterValueError(
                f"{what}: member {m} of the Batch has shape {row.shape}; give a number or "
                f"{size} values (one per cell).")
        rows.append(row)
    return np.stack(rows)
