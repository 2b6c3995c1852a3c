"""Vectorised connectors (filled in below); the rest are PyNN's own."""
__all__ = []
