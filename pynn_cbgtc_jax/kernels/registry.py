"""The neuron models the engine knows: every ``MODELS`` declared in this package.

``NEURON_MODELS`` maps a model's name to its ``NeuronModel`` (``declaration.py``).  It is filled
on first use, by importing every module of ``pynn_cbgtc_jax.kernels`` and collecting the
``MODELS`` tuple each model module ends with -- so adding a model is adding one module, and
importing the package registers nothing.  Models declared at run time (``composite.py``'s
``PointNeuron`` combinations) are added with :func:`register`.
"""
from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping

from .declaration import NeuronModel

__all__ = ["NeuronModel", "NEURON_MODELS", "register"]


class _Registry(Mapping):
    """Name -> ``NeuronModel``, scanned from the package on first access."""

    def __init__(self):
        self._models: dict | None = None

    def _scan(self) -> dict:
        if self._models is None:
            models = {}
            package = importlib.import_module(__package__)
            for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
                module = importlib.import_module(f"{__package__}.{info.name}")
                for model in getattr(module, "MODELS", ()):
                    _add(models, model)
            self._models = models
        return self._models

    def __getitem__(self, name: str) -> NeuronModel:
        return self._scan()[name]

    def __iter__(self):
        return iter(self._scan())

    def __len__(self) -> int:
        return len(self._scan())

    def __repr__(self) -> str:
        return f"NEURON_MODELS({sorted(self._scan())})"


def _add(models: dict, model: NeuronModel) -> None:
    if model.name in models and models[model.name] is not model:
        raise ValueError(f"a neuron model named {model.name!r} is declared twice")
    models[model.name] = model


NEURON_MODELS = _Registry()


def register(model: NeuronModel) -> NeuronModel:
    """Add a model declared at run time (e.g. a ``PointNeuron`` combination)."""
    _add(NEURON_MODELS._scan(), model)
    return model
