"""Which devices a simulation runs on: ``setup(devices=...)``.

``None`` (default): one device, JAX's default.  An int ``k``: the first ``k`` of
``jax.devices()``; ``"all"``: every one; or a list of ``jax.Device`` objects.  More than one
device:

* an ensemble (``ensembles.py``) is split into groups of consecutive members, one group per
  device, each group its own program on its own device (``simulation.MemberGroups``); the
  members are independent, so nothing is exchanged between devices and every member's data is
  bitwise that of the one-device run;
* a single network is partitioned over the devices (``compiler/partition.py``).

Simulated CPU devices for tests: ``XLA_FLAGS=--xla_force_host_platform_device_count=4`` in the
environment before JAX is first used.
"""
from __future__ import annotations

from pyNN import errors

__all__ = ["resolve_devices"]


def resolve_devices(value) -> tuple | None:
    """The devices ``setup(devices=value)`` asks for, as a tuple (None: one, the default);
    ``InvalidParameterValueError`` naming the value, what is allowed and the fix."""
    if value is None:
        return None
    import jax
    available = jax.devices()
    hint = (f"This process sees {len(available)} device(s) ({_names(available)}); on the CPU, "
            f"XLA_FLAGS=--xla_force_host_platform_device_count=N set before JAX starts gives N "
            f"simulated devices.")
    if isinstance(value, str):
        if value != "all":
            raise errors.InvalidParameterValueError(
                f"setup(devices={value!r}): allowed values are None (one device), an int, "
                f"'all' or a list of jax.Device objects. {hint}")
        return tuple(available)
    if isinstance(value, bool) or not isinstance(value, (int, list, tuple)):
        raise errors.InvalidParameterValueError(
            f"setup(devices={value!r}): allowed values are None (one device), an int, 'all' "
            f"or a list of jax.Device objects, not {type(value).__name__}. {hint}")
    if isinstance(value, int):
        if not 1 <= value <= len(available):
            raise errors.InvalidParameterValueError(
                f"setup(devices={value}): between 1 and {len(available)} devices can be used. "
                f"{hint}")
        return tuple(available[:value])
    devices = tuple(value)
    bad = [d for d in devices if d not in available]
    if not devices or bad:
        raise errors.InvalidParameterValueError(
            f"setup(devices={value!r}): " + (f"{bad[0]!r} is not one of this process's "
                                              f"devices. " if bad else "an empty list. ")
            + f"Give jax.Device objects from jax.devices(). {hint}")
    if len(set(devices)) != len(devices):
        raise errors.InvalidParameterValueError(
            f"setup(devices={value!r}): a device is listed twice; list each once.")
    return devices


def _names(devices) -> str:
    shown = ", ".join(str(d) for d in devices[:4])
    return shown + (", ..." if len(devices) > 4 else "")
