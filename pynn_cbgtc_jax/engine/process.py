"""The process-wide JAX settings this backend uses: applied by ``setup()``, undone by
:func:`restore`.

Importing ``pynn_cbgtc_jax`` changes nothing in JAX.  ``setup()`` calls :func:`apply`, which

* registers JAX's unrolled Threefry lowering for the CPU where that pays
  (:mod:`.cpu_rng`: jax < 0.11; the same random numbers, computed faster), and
* turns on JAX's persistent compilation cache in this backend's folder unless the user chose
  otherwise (:mod:`.compile_cache`),

remembering what each replaced.  :func:`restore` puts back JAX's own lowering rule and the two
cache settings (``jax_compilation_cache_dir``, ``jax_compilation_cache_max_size``).  One thing
cannot be undone from outside JAX: JAX opens the cache at the first compilation of the process
and keeps using it, so programs compiled after ``restore()`` may still be written to it.
``setup(precision="float64")`` also switches JAX's x64 mode on (a documented PyNN-level choice,
not undone here).
"""
from __future__ import annotations

from . import compile_cache, cpu_rng

__all__ = ["apply", "restore", "applied"]

_saved: dict | None = None


def applied() -> bool:
    """Whether :func:`apply` has run and :func:`restore` has not undone it since."""
    return _saved is not None


def apply() -> dict:
    """Apply the settings (once; later calls change nothing).  Returns what was done:
    ``{"threefry_unrolled": bool, "compile_cache_dir": str | None}``."""
    global _saved
    import jax
    if _saved is None:
        previous = {name: getattr(jax.config, name) for name in
                    ("jax_compilation_cache_dir", "jax_compilation_cache_max_size")}
        unrolled = cpu_rng.unroll_threefry_on_cpu()
        _saved = {"config": previous, "threefry_unrolled": unrolled,
                  "compile_cache_dir": compile_cache.enable_compile_cache()}
    return {k: _saved[k] for k in ("threefry_unrolled", "compile_cache_dir")}


def restore() -> None:
    """Undo :func:`apply` (see the module docstring for the one limit)."""
    global _saved
    if _saved is None:
        return
    import jax
    if _saved["threefry_unrolled"]:
        cpu_rng.restore_threefry_on_cpu()
    for name, value in _saved["config"].items():
        jax.config.update(name, value)
    _saved = None
