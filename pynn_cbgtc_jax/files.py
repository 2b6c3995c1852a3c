"""Atomic file writing: a file appears under its final name complete, or not at all.

Data files and checkpoints are written to a temporary file in the same folder (so the final
``os.replace`` is a rename within one file system, which POSIX makes atomic), flushed to disk
with ``fsync``, and only then moved over the final name; the folder is synced too, so the rename
survives a power cut.  A write that fails or is killed midway leaves any older file under the
final name intact; a failure inside Python also removes the temporary file.
"""
from __future__ import annotations

import contextlib
import os
import secrets
import shutil

__all__ = ["temporary_path", "atomic_path", "fsync_path", "write_neo_block"]


def temporary_path(path: str) -> str:
    """A fresh hidden name in the folder of ``path`` that keeps its extension.

    The extension is kept because Neo's ``get_io`` chooses the file format by it.
    """
    folder, base = os.path.split(os.path.abspath(path))
    ext = os.path.splitext(base)[1]
    return os.path.join(folder, f".{base}.{os.getpid()}-{secrets.token_hex(4)}.tmp{ext}")


def fsync_path(path: str) -> None:
    """Flush a file (or, on POSIX, a folder) that is already written to the disk."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) if os.path.isdir(path) else os.O_RDONLY
    try:
        fd = os.open(path, flags)
    except OSError:          # folders cannot be opened on some systems (Windows)
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str):
    """Yield a temporary path to write to; on success it replaces ``path`` atomically.

    Examples
    --------
    >>> import os, tempfile
    >>> target = os.path.join(tempfile.mkdtemp(), "out.txt")
    >>> with atomic_path(target) as tmp:
    ...     with open(tmp, "w") as f:
    ...         _ = f.write("done")
    >>> open(target).read()
    'done'
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = temporary_path(path)
    try:
        yield tmp
        if not os.path.exists(tmp):
            raise FileNotFoundError(f"atomic write of {path!r}: nothing was written to the "
                                    f"temporary file {tmp!r}.")
        fsync_path(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    fsync_path(folder)


def _close(io) -> None:
    close = getattr(io, "close", None)
    if callable(close):
        close()


def _is_nix(io) -> bool:
    return type(io).__name__ == "NixIO"


def write_neo_block(block, filename: str, io=None) -> None:
    """Write a Neo ``block`` to ``filename`` atomically, in the format its extension names.

    A new IO of the same class (Neo's ``get_io`` on a temporary name with the same extension,
    or ``type(io)`` if ``io`` is of another class) writes the block next to the target, is
    closed, and the file then replaces ``filename``.  NIX files are opened read-write by
    ``get_io``, so a block is *added* to an existing file (pyNN's behaviour): the existing file
    is copied to the temporary name first; a ``NixIO`` opened with ``mode="ow"`` starts afresh.
    A ``NixIO`` passed as ``io`` has its file closed for the write and reopened read-write
    afterwards.
    """
    filename = os.fspath(filename)
    nix = _is_nix(io) or (io is None and os.path.splitext(filename)[1] in (".nix", ".h5"))
    append = nix
    if io is not None and _is_nix(io):
        nix_file = getattr(io, "nix_file", None)
        if nix_file is not None and nix_file.is_open():
            import nixio
            append = nix_file.mode == nixio.FileMode.ReadWrite
        _close(io)   # flush what the user's IO holds before the file is copied or replaced
    try:
        with atomic_path(filename) as tmp:
            if append and os.path.exists(filename):
                shutil.copyfile(filename, tmp)
            _write_with_io_like(io, block, tmp)
    finally:
        if io is not None and _is_nix(io) and os.path.exists(filename):
            io.__init__(filename, "rw")      # the user's IO is usable again


def _write_with_io_like(io, block, tmp) -> None:
    """Write ``block`` to ``tmp`` with a new IO of ``io``'s class (or ``get_io``'s choice)."""
    from pyNN.recording import get_io
    try:
        writer = get_io(tmp)
    except Exception:
        if io is None:
            raise
        writer = None
    if io is not None and type(writer) is not type(io):
        _close(writer)
        writer = type(io)(filename=tmp)
    try:
        if hasattr(writer, "write_block"):
            writer.write_block(block)
        else:
            writer.write(block)
    finally:
        _close(writer)
