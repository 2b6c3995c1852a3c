"""One build for every ensemble member: the members' builds stacked along a leading axis.

Each member is built as a single network would be (``build.build_network`` from that member's
export), so a member's arrays are exactly those of a separate simulation with its values.  The
members share the structure (``NetSpec``).  Every floating-point number -- the per-cell and
per-source values (``params``, ``electrodes``, ``key``, ``dt``, ``post_tau``) and the synapse
weights and rule parameters -- is stacked ``[N, ...]``; the synapse index arrays (rows,
targets, delays) and the recording indices stay one array for all members (the connectivity is
shared).  Stacked leaves are flagged in ``NetSpec.batched``; the engine vmaps the chunk over
that axis.

Why stack parameters that do not differ: XLA compiles an operation between a member-batched and
an unbatched operand differently from one between two batched operands, and the results then
differ from a single run's in the last bits (measured: the STN kernel with only ``I_app``
batched, 7e-15 mV after 100 ms in float64; with every parameter stacked, bitwise equal).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
from pyNN import errors

from .build import Build, ensemble_batch

__all__ = ["stack_builds"]


def _same(a, b) -> bool:
    return a is b or (np.shape(a) == np.shape(b) and np.array_equal(np.asarray(a),
                                                                     np.asarray(b)))


def _describe_difference(first, other, names) -> str:
    for i, (p, q) in enumerate(zip(first.pops, other.pops)):
        if p != q:
            changed = [f for f in p._fields if getattr(p, f) != getattr(q, f)]
            return (f"population {names[i]!r} ({p.kind}): its static {', '.join(changed)} "
                    f"differ")
    return "the network's static structure differs"


_ALWAYS = ("params", "electrodes", "key", "dt", "post_tau")


def _always_stacked(data) -> list:
    """Per leaf of ``data`` (tree_leaves order): whether it is always stacked -- the fields of
    ``_ALWAYS``, and the weights and rule parameters of every synapse group (4 bytes per
    synapse and member in float32: with them shared, the STN of a network with STDP, static
    Poisson input and DBS differed from its single run by 4e-14 mV in float64; stacked, it is
    bitwise equal).  Index arrays (rows, targets, delays) and recording indices stay shared."""
    import jax
    flags = []
    for name in data._fields:
        value = getattr(data, name)
        if name == "syns":
            for syn in value:
                for field in syn._fields:
                    n = len(jax.tree_util.tree_leaves(getattr(syn, field)))
                    flags += [field in ("weight", "params")] * n
            continue
        flags += [name in _ALWAYS] * len(jax.tree_util.tree_leaves(value))
    return flags


def stack_builds(builds: list, names: list) -> Build:
    """The members' ``Build``s (same structure) as one ensemble ``Build``.

    ``names``: the populations' labels, for the message when a member's values change the
    static structure (e.g. AdEx substeps that follow ``v_spike``/``delta_T``)."""
    import jax
    first = builds[0]
    for m, other in enumerate(builds[1:], start=1):
        if other.spec != first.spec:
            raise errors.InvalidParameterValueError(
                f"Ensemble member {m}: {_describe_difference(first.spec, other.spec, names)} "
                f"from member 0's, so the members cannot share one compiled program; give "
                f"these members values with the same structure, or run them separately.")
    leaves, treedef = jax.tree_util.tree_flatten(first.data)
    member_leaves = [jax.tree_util.tree_flatten(b.data)[0] for b in builds]
    always = _always_stacked(first.data)
    stacked, batched = [], []
    for j, leaf in enumerate(leaves):
        column = [ml[j] for ml in member_leaves]
        if not always[j] and all(_same(leaf, x) for x in column[1:]):
            stacked.append(leaf)
            batched.append(False)
        else:
            stacked.append(np.stack([np.asarray(x) for x in column]))
            batched.append(True)
    spec = first.spec._replace(members=len(builds), batched=tuple(batched),
                               syns=tuple(ensemble_batch(g) for g in first.spec.syns))
    return replace(first, spec=spec, data=jax.tree_util.tree_unflatten(treedef, stacked),
                   member_builds=tuple(builds))
