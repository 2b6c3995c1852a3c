"""NumPy-only translation of the PyNN network into the engine's spec and arrays."""
