"""Where spofdrill keeps the user's files, and writing them whole or not at all."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


class WriteError(OSError):
    """A file could not be written; the message names the file and the reason."""


class TooLarge(OSError):
    """A file is larger than its reader accepts; the message names the limit."""


def read_limited(path: str | Path, limit: int, what: str) -> bytes:
    """At most ``limit`` bytes of a file, or :class:`TooLarge` (never reads more than ``limit + 1``).

    Works on anything that can be opened: a regular file, ``/dev/zero``, a
    pipe. Other :class:`OSError` s (missing, a directory, no permission)
    propagate unchanged for the caller to word.
    """
    from engine.util.limits import over

    with open(path, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        size = _size_of(path)
        if size > limit:
            raise TooLarge(f"{path}: {over(what, size, limit, 'bytes')}")
        raise TooLarge(f"{path}: {over(what, None, limit, 'bytes')}")  # a device or a pipe: no size to tell
    return data


def _size_of(path: str | Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


DATA_DIR_ENV = "SPOFDRILL_DATA_DIR"


def _read_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _read_umask()  # read once, at import (umask has no read-only call)


def data_dir() -> Path:
    """The directory spofdrill keeps its data in (not created here).

    ``$SPOFDRILL_DATA_DIR`` when set, else ``$XDG_DATA_HOME/spofdrill`` (an
    absolute path, as the XDG spec requires), else ``~/.local/share/spofdrill``.
    """
    explicit = os.environ.get(DATA_DIR_ENV, "").strip()
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME", "").strip()
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / "spofdrill"
    return Path.home() / ".local" / "share" / "spofdrill"


def write_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` via a temporary file, fsync and rename; raise :class:`WriteError`."""
    target = Path(path)
    tmp: str | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        # mkstemp makes the file private (0600); a result file gets the usual permissions
        try:
            mode = os.stat(target).st_mode & 0o777
        except OSError:
            mode = 0o666 & ~_UMASK
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
        tmp = None
    except OSError as exc:
        raise WriteError(f"cannot write {target}: {exc.strerror or exc}") from None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    return target
