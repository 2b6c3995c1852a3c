"""Compile PyNN's NMODL mechanisms for pyNN.neuron once, into a cache, before it is imported.

pyNN.neuron's cells (``ResetRefrac``, ``AdExpIF``, ``VecStim``, ...) are NMODL files in
``pyNN/neuron/nmodl``; at import it loads ``nmodl/<arch>/libnrnmech.so`` and, when that is
missing, runs ``nrnivmodl`` inside the installed package (which fails in a read-only
site-packages, and two processes importing at once race on the same folder).  The reference
run of ``compare --against neuron`` therefore calls :func:`ensure_mechanisms` first:

* compiled mechanisms already in PyNN's folder: nothing to do, pyNN.neuron loads them;
* otherwise ``nrnivmodl`` runs on a copy of the ``.mod`` files in a fresh folder next to the
  cache entry ``$PYNN_CBGTC_JAX_NRNMECH_DIR`` (default
  ``$XDG_CACHE_HOME/pynn_cbgtc_jax/nrnmech``, i.e. ``~/.cache/...``) ``/<key>``, under a file
  lock, and the folder is renamed to its final name only when the library is built (a killed
  build leaves no half entry).  The key hashes the ``.mod`` files, the NEURON version, the
  machine and the Python version, so another PyNN, NEURON or Python gets its own entry.  About
  40 s on 2 cores, once.
* the cached library is loaded with ``neuron.load_mechanisms`` and PyNN's own folder is put on
  NEURON's list of loaded folders (``neuron.nrn_dll_loaded``), so pyNN.neuron's import neither
  loads nor builds anything.

Needs a C++ compiler and ``make`` (``nrnivmodl`` of the ``neuron`` wheel calls them).
"""
from __future__ import annotations

import glob
import hashlib
import importlib.util
import os
import platform
import shutil
import subprocess
import sys
import sysconfig
import tempfile

__all__ = ["ensure_mechanisms", "pynn_nmodl_dir", "cache_root"]

_LIB = "libnrnmech.so"


def pynn_nmodl_dir() -> str:
    """PyNN's folder of NMODL files (found without importing pyNN.neuron)."""
    spec = importlib.util.find_spec("pyNN")
    return os.path.join(os.path.dirname(spec.origin), "neuron", "nmodl")


def cache_root() -> str:
    """Where compiled mechanisms are kept (see the module docstring)."""
    explicit = os.environ.get("PYNN_CBGTC_JAX_NRNMECH_DIR")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "pynn_cbgtc_jax", "nrnmech")


def _compiled(folder: str) -> bool:
    """nrnivmodl's output as ``neuron.load_mechanisms`` looks for it."""
    return any(os.path.exists(os.path.join(folder, arch, _LIB))
               for arch in (platform.machine(), "i686", "x86_64", "powerpc", "umac"))


def _key(mod_files) -> str:
    import neuron
    digest = hashlib.sha256(f"{neuron.__version__}|{platform.machine()}|"
                            f"{sys.implementation.cache_tag}".encode())
    for path in mod_files:
        digest.update(os.path.basename(path).encode())
        with open(path, "rb") as f:
            digest.update(f.read())
    return digest.hexdigest()[:16]


def _nrnivmodl() -> str:
    """The ``nrnivmodl`` of the ``neuron`` installed with this Python (a virtual environment's
    ``bin`` need not be on ``PATH``), else the one on ``PATH``."""
    for folder in (sysconfig.get_path("scripts"), os.path.dirname(sys.executable)):
        exe = os.path.join(folder, "nrnivmodl")
        if os.access(exe, os.X_OK):
            return exe
    exe = shutil.which("nrnivmodl")
    if exe is None:
        raise RuntimeError("nrnivmodl not found next to this Python or on PATH: PyNN's NEURON "
                           "mechanisms cannot be compiled.  Install NEURON with "
                           "`pip install neuron` (the [test] extra has it).")
    return exe


def _build(mod_files, target: str) -> None:
    """Compile ``mod_files`` into ``target`` (a new folder; renamed into place when done)."""
    parent = os.path.dirname(target)
    work = tempfile.mkdtemp(prefix=os.path.basename(target) + ".build-", dir=parent)
    try:
        for path in mod_files:
            shutil.copy(path, work)
        proc = subprocess.run([_nrnivmodl()], cwd=work, capture_output=True, text=True)
        if proc.returncode != 0 or not _compiled(work):
            tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-20:])
            raise RuntimeError(f"nrnivmodl failed (exit status {proc.returncode}) compiling "
                               f"PyNN's NEURON mechanisms in {work}; it needs a C++ compiler "
                               f"and make.  Last lines of its output:\n{tail}")
        if os.path.isdir(target):               # a broken entry left by hand
            shutil.rmtree(target)
        os.rename(work, target)
    finally:
        if os.path.isdir(work):
            shutil.rmtree(work, ignore_errors=True)


def ensure_mechanisms() -> str:
    """Make pyNN.neuron's mechanisms available to this process before ``import pyNN.neuron``.

    Returns the folder whose compiled mechanisms are used (PyNN's own, or the cache entry,
    which is then already loaded).
    """
    nmodl = pynn_nmodl_dir()
    if _compiled(nmodl):
        return nmodl
    from filelock import FileLock

    import neuron

    mod_files = sorted(glob.glob(os.path.join(nmodl, "*.mod")))
    root = cache_root()
    os.makedirs(root, exist_ok=True)
    target = os.path.join(root, _key(mod_files))
    if not _compiled(target):
        with FileLock(target + ".lock"):
            if not _compiled(target):           # another process may have built it meanwhile
                _build(mod_files, target)
    if not neuron.load_mechanisms(target, warn_if_already_loaded=False):
        raise RuntimeError(f"NEURON could not load the mechanisms compiled in {target}.")
    neuron.nrn_dll_loaded.append(nmodl)         # pyNN.neuron then takes them as loaded
    return target
