"""Where spofdrill keeps the user's files, and writing them whole or not at all."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


class WriteError(OSError):
    """A file could not be written; the message names the file and the reason."""


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
