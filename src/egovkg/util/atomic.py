"""Safe file writes: whole files or nothing, and never a device or a link destroyed.

- A regular file, or a path that does not exist yet, is written atomically: a temporary
  file in the same folder, then a rename, so a reader or a crash sees the old file or the
  new one, never half of either. On any exception (SIGTERM included: the CLI turns it into
  SystemExit) the temporary file and any folder created for it are removed.
- A symlink is followed and its target replaced the same way, in the target's folder, so
  the link stays a link.
- Anything else that exists (/dev/null, a terminal, a FIFO, /dev/stdout) is written in
  place, streaming: a rename cannot be atomic there and would put a file in its place.
  So is a regular file reached through /proc or /dev/fd (``-o /dev/stdout > out.ttl``):
  that names an open descriptor, whose folder cannot hold a temporary file.

Every OSError, from opening, from the caller's writes inside the ``with`` body, or from
the final rename, becomes one :class:`~egovkg.errors.OutputError` naming the path the
caller gave. Other exceptions pass through unchanged.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from egovkg.errors import OutputError

# Links in these folders name open file descriptors ("pipe:[123]", a deleted file): the
# kernel follows them, readlink does not, so they are opened as they are, never resolved.
DESCRIPTOR_FOLDERS = ("/proc", "/dev/fd")
MAX_LINKS = 40  # as Linux's ELOOP limit


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "wb") -> Iterator[IO]:
    """Open ``path`` for writing (``mode`` "wb" or "w", UTF-8 with "\\n" newlines); see the module docstring."""
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_open writes whole files: mode 'wb' or 'w', not {mode!r}")
    shown = os.fspath(path)
    # Path("") is Path("."): an empty -o reaches us as "." (click turns -o . itself away as a folder)
    if shown in ("", "."):
        raise OutputError("cannot write an empty path: give a file name")
    try:
        with _open(Path(shown), mode) as fh:
            yield fh
    except OSError as exc:
        raise OutputError(f"cannot write {shown}: {exc.strerror or exc}") from exc


@contextlib.contextmanager
def _open(path: Path, mode: str) -> Iterator[IO]:
    """atomic_open without the error mapping: raises OSError."""
    text = {} if "b" in mode else {"encoding": "utf-8", "newline": "\n"}
    target = _follow_links(path)
    if _in_place(target):
        # O_APPEND and no O_TRUNC: a FIFO or device does not care, and a file behind
        # /dev/stdout opened by the shell with >> keeps what it held. No O_CREAT: if the
        # device vanished since the check, fail rather than create a file in its place.
        with os.fdopen(os.open(target, os.O_WRONLY | os.O_APPEND), mode, **text) as fh:
            yield fh
        return
    created = _make_folders(target.parent)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except BaseException:
        _remove_folders(created)
        raise
    try:
        with os.fdopen(fd, mode, **text) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        _remove_folders(created)
        raise


def _follow_links(path: Path) -> Path:
    """``path`` with the symlinks of its last component followed, so the link itself stays."""
    for _ in range(MAX_LINKS):
        if not path.is_symlink() or _names_descriptor(path):
            return path
        path = path.parent / os.readlink(path)  # an absolute link replaces the whole path
    raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), str(path))


def _names_descriptor(path: Path) -> bool:
    folder = os.path.realpath(path.parent)
    return any(folder == d or folder.startswith(d + "/") for d in DESCRIPTOR_FOLDERS)


def _in_place(target: Path) -> bool:
    """Whether ``target`` must be written where it is (see the module docstring); a folder is refused."""
    try:
        st = os.stat(target)
    except FileNotFoundError:
        return False  # a new file (its folder may be missing too: made below)
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(target))
    return not stat.S_ISREG(st.st_mode) or _names_descriptor(target)


def _make_folders(folder: Path) -> list[Path]:
    """Create ``folder`` and its missing parents; return those created, deepest last."""
    missing = []
    while not folder.is_dir():
        missing.append(folder)
        if folder.parent == folder:
            break
        folder = folder.parent
    created = []
    try:
        for d in reversed(missing):
            try:
                os.mkdir(d)
            except FileExistsError:
                if not d.is_dir():  # a file (or a broken link) where a folder should be
                    raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(d)) from None
                continue  # made by someone else meanwhile: theirs, not ours to remove
            created.append(d)
    except BaseException:
        _remove_folders(created)
        raise
    return created


def _remove_folders(created: list[Path]) -> None:
    """Remove the folders _make_folders created, deepest first, if they are still empty."""
    for d in reversed(created):
        with contextlib.suppress(OSError):
            os.rmdir(d)


def write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    with atomic_open(path, "wb") as fh:
        fh.write(data)


def write_text(path: str | os.PathLike[str], text: str) -> None:
    write_bytes(path, text.encode("utf-8"))
