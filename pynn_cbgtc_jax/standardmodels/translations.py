"""The one translation rule of this backend: native names and units are PyNN's."""
from pyNN.standardmodels import build_translations

__all__ = ["identity_translations"]


def identity_translations(names):
    """PyNN translations mapping every name in ``names`` to itself (no unit change)."""
    return build_translations(*[(name, name) for name in names])
