"""JAX's persistent compilation cache, on by default for this backend.

The first ``run()`` of a network compiles its chunk program (1.5-10 s for the benchmark
networks on this project's 2-core CPU); running the same script again compiles the same
program again.  JAX can keep compiled programs on disk, keyed by the program, the compile
options and the JAX/XLA versions, but leaves that off unless configured.  This module turns it
on at import, unless the user already chose:

* ``JAX_COMPILATION_CACHE_DIR`` set, or ``jax_compilation_cache_dir`` configured: left as is;
* ``PYNN_CBGTC_JAX_CACHE=0`` (or ``off``/``false``/``no``): left off;
* otherwise the directory is ``$PYNN_CBGTC_JAX_CACHE_DIR``, else
  ``$XDG_CACHE_HOME/pynn_cbgtc_jax/jax`` (``~/.cache/pynn_cbgtc_jax/jax``), limited to
  :data:`MAX_BYTES` (JAX evicts the least recently used entries).

Only programs that took at least 1 s to compile are stored (JAX's default threshold).  JAX
decides whether to use a cache at the first compilation of the process, so a script that runs
JAX code of its own before ``import pynn_cbgtc_jax`` runs without it (nothing else changes).
Measured: the CBGTC benchmark at scale 1, first run (compilation + 10 ms) 7.3 s in a fresh
cache, 1.9 s when the script runs again.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

import jax

__all__ = ["MAX_BYTES", "cache_dir", "enable_compile_cache"]

MAX_BYTES = 2 * 1024 ** 3
"""Size bound of the cache directory when this module sets it up (2 GiB)."""

logger = logging.getLogger("PyNN")


def cache_dir() -> Path:
    """The directory this backend uses for the cache when the user has not chosen one."""
    explicit = os.environ.get("PYNN_CBGTC_JAX_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "pynn_cbgtc_jax" / "jax"


def enable_compile_cache() -> str | None:
    """Turn JAX's persistent compilation cache on (see the module docstring).

    Returns the directory now in use, or None where the cache stays off.
    """
    if os.environ.get("JAX_COMPILATION_CACHE_DIR") or jax.config.jax_compilation_cache_dir:
        return os.environ.get("JAX_COMPILATION_CACHE_DIR") or jax.config.jax_compilation_cache_dir
    if os.environ.get("PYNN_CBGTC_JAX_CACHE", "").strip().lower() in ("0", "off", "false", "no"):
        return None
    path = cache_dir()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:        # read-only home, no permission: run without the cache
        logger.debug("pynn_cbgtc_jax: no compilation cache (%s)", err)
        return None
    jax.config.update("jax_compilation_cache_dir", str(path))
    try:
        import filelock  # noqa: F401  (JAX's size-bounded cache locks its files with it)
    except ImportError:
        logger.debug("pynn_cbgtc_jax: filelock missing, the compilation cache is unbounded")
    else:
        jax.config.update("jax_compilation_cache_max_size", MAX_BYTES)
    return str(path)
