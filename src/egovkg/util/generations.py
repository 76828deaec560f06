"""Atomic output sets: a build publishes all its outputs at once, or leaves the previous set as it was.

In the output folder OUT (see docs/BUILD.md for the whole design)::

    OUT/.generations/<id>/             one complete set of outputs; never changed once published
    OUT/.generations/current -> <id>   the switch: renaming one symlink publishes a whole set
    OUT/.generations/staging-*/        a set being written; a killed build's is removed by the next
    OUT/.generations/lock              held (flock) by the build that writes
    OUT/egovkg.ttl -> .generations/current/egovkg.ttl    the public names: links through `current`
    OUT/site -> .generations/current/site
    viz/overview.html -> ../build/.generations/current/viz/overview.html

The public links do not change from build to build, so the one rename of ``current``
switches every output together: a reader, a kill or a full disk sees the old set or the
new one, never a new ``.jsonld`` beside an old ``.ttl``. An output that did not change is
hard-linked from the previous set, so its bytes and its mtime stay as they were.

Names that still hold plain files or folders from before (a first run in an old checkout)
are migrated without a mixed moment: their contents are hard-linked into a set that
becomes current first, and each is then replaced by its link (a rename, or for a folder
an atomic exchange) showing the same bytes.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import secrets
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

STATE = ".generations"
CURRENT = "current"
MANIFEST = "MANIFEST.json"
LINK_TMP = ".egovkg-link.tmp"
_LEFTOVER = re.compile(r"^\..+\.(tmp|old)$")  # atomic.py's and the old site writer's temporaries


class Generations:
    """The output sets of one output folder; ``links`` maps each public path to its entry in a set."""

    def __init__(self, out: Path) -> None:
        self.out = Path(out).absolute()
        self.state = self.out / STATE
        self.lock_fd: int | None = None  # the lock's descriptor while :meth:`locked` holds it

    # -- reading -----------------------------------------------------------------

    def current(self) -> Path | None:
        """The published set's folder, or None before the first build."""
        link = self.state / CURRENT
        try:
            name = os.readlink(link)
        except OSError:
            return None
        folder = self.state / name
        return folder if folder.is_dir() else None

    def manifest(self) -> dict[str, Any]:
        """The published set's manifest ({} when there is none or it cannot be read)."""
        current = self.current()
        if current is None:
            return {}
        try:
            return json.loads((current / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def link_target(self, public: Path, entry: str) -> str:
        """What the public link ``public`` holds: a relative path through ``current`` to ``entry``."""
        return os.path.relpath(self.state / CURRENT / entry, Path(public).absolute().parent)

    def links_in_place(self, links: dict[Path, str]) -> bool:
        """Whether every public path is our link to its entry, and the entry exists."""
        for public, entry in links.items():
            try:
                if os.readlink(public) != self.link_target(public, entry):
                    return False
            except OSError:
                return False
            if not os.path.lexists(self.state / CURRENT / entry):
                return False
        return True

    # -- writing -----------------------------------------------------------------

    @contextlib.contextmanager
    def locked(self, link_folders: Iterable[Path] = ()) -> Iterator[None]:
        """Hold the output folder's lock (waiting for another build to finish), then remove
        what interrupted builds left: staging folders, unpublished sets, temporary links."""
        import fcntl

        self.state.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.state / "lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            self.lock_fd = fd  # a process forked meanwhile closes it: it must not outlive the build's hold
            self.remove_leftovers([self.out, *link_folders])
            yield
        finally:
            self.lock_fd = None
            os.close(fd)  # releases the lock

    def tidy(self, link_folders: Iterable[Path] = ()) -> None:
        """Remove what interrupted builds left, taking the lock only if there is something
        (a build that finds nothing to do stays read-only)."""
        folders = [self.out, *link_folders]
        if self._leftovers(folders):
            with self.locked(folders[1:]):
                pass

    def _leftovers(self, folders: list[Path]) -> bool:
        current = self.current()
        try:
            if any(e.name not in ("lock", CURRENT) and e != current for e in self.state.iterdir()):
                return True
        except OSError:
            return False
        return any(
            e.name.endswith(LINK_TMP) or _LEFTOVER.match(e.name)
            for folder in folders
            if folder.is_dir()
            for e in folder.iterdir()
        )

    def remove_leftovers(self, folders: Iterable[Path]) -> None:
        current = self.current()
        for entry in self.state.iterdir():
            if entry.name in ("lock", CURRENT) or (current is not None and entry == current):
                continue
            _remove(entry)
        for folder in folders:
            if not folder.is_dir():
                continue
            for entry in folder.iterdir():
                if entry.name.endswith(LINK_TMP) or _LEFTOVER.match(entry.name):
                    _remove(entry)

    def stage(self) -> Path:
        """A new, empty folder to write a set into (call inside :meth:`locked`)."""
        folder = self.state / f"staging-{secrets.token_hex(6)}"
        folder.mkdir()
        return folder

    def reuse(self, staging: Path, entries: Iterable[str]) -> bool:
        """Hard-link ``entries`` (files or folders) of the published set into ``staging``;
        False (and nothing linked) if one is missing there."""
        current = self.current()
        entries = list(entries)
        if current is None or not all(os.path.lexists(current / e) for e in entries):
            return False
        for e in entries:
            _link_tree(current / e, staging / e)
        return True

    def publish(
        self, staging: Path, manifest: dict[str, Any], links: dict[Path, str], old_links: dict[Path, str]
    ) -> Path:
        """Make ``staging`` the published set: its manifest written, the public links made, then
        one rename of ``current``. The links of the old set (``old_links``) that the new one lacks
        are removed after the switch. Returns the new set's folder."""
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        folder = self.state / f"{str(manifest.get('key', 'set'))[:16]}-{secrets.token_hex(4)}"
        os.rename(staging, folder)
        try:
            self._migrate(links)
            for public, entry in sorted(links.items()):
                self._link(public, self.link_target(public, entry))
        except BaseException:
            _remove(folder)
            raise
        old = self.current()
        self._switch(folder.name)
        for public, entry in old_links.items():
            if (
                public not in links
                and os.path.islink(public)
                and os.readlink(public) == self.link_target(public, entry)
            ):
                os.unlink(public)
        if old is not None and old != folder:
            _remove(old)
        return folder

    def _switch(self, name: str) -> None:
        tmp = self.state / f".{CURRENT}{LINK_TMP}"
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        os.symlink(name, tmp)
        os.replace(tmp, self.state / CURRENT)
        _fsync_folder(self.state)

    def _link(self, public: Path, target: str) -> None:
        with contextlib.suppress(OSError):
            if os.readlink(public) == target:
                return
        public.parent.mkdir(parents=True, exist_ok=True)
        tmp = public.parent / f".{public.name}{LINK_TMP}"
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        os.symlink(target, tmp)
        try:
            if public.is_dir() and not public.is_symlink():
                raise IsADirectoryError(errno.EISDIR, "a folder where a link belongs (not migrated)", str(public))
            os.replace(tmp, public)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def _migrate(self, links: dict[Path, str]) -> None:
        """Public paths that hold plain files or folders (not our links) become links, showing
        the same contents throughout: see the module docstring."""
        legacy = {p: e for p, e in links.items() if os.path.lexists(p) and not os.path.islink(p)}
        if not legacy:
            return
        current = self.current()
        interim = self.stage()
        try:
            if current is not None:
                for entry in os.listdir(current):
                    if entry != MANIFEST:
                        _link_tree(current / entry, interim / entry)
            for public, entry in legacy.items():
                target = interim / entry
                if os.path.lexists(target):
                    _remove(target)
                target.parent.mkdir(parents=True, exist_ok=True)
                _link_tree(public, target)
            # no manifest: a build finds nothing to reuse in this set, and renders every output
            (interim / MANIFEST).write_text("{}\n", encoding="utf-8")
            folder = self.state / f"migrated-{secrets.token_hex(4)}"
            os.rename(interim, folder)
        except BaseException:
            _remove(interim)
            raise
        self._switch(folder.name)
        if current is not None:
            _remove(current)
        for public, entry in legacy.items():
            target = self.link_target(public, entry)
            if public.is_dir():
                tmp = public.parent / f".{public.name}{LINK_TMP}"
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
                os.symlink(target, tmp)
                exchange(tmp, public)  # the link in place and the old folder at tmp, at once
                _remove(tmp)
            else:
                self._link(public, target)


def exchange(a: Path, b: Path) -> None:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); OSError where unsupported."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    fn = getattr(libc, "renameat2", None)
    if fn is None:
        raise OSError(errno.ENOSYS, "renameat2 is not available", str(a))
    at_fdcwd, rename_exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err), str(b))


def _link_tree(src: Path, dst: Path) -> None:
    """``dst`` as a copy of ``src`` made of hard links (a symlink is copied as a symlink)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    if os.path.islink(src):
        os.symlink(os.readlink(src), dst)
    elif src.is_dir():
        shutil.copytree(src, dst, symlinks=True, copy_function=hard_link)
    else:
        hard_link(src, dst)


def hard_link(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
    """``dst`` as a hard link to ``src``, or a copy (mtime kept) where links are not possible."""
    try:
        os.link(src, dst)
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK):
            raise
        shutil.copy2(src, dst)  # another file system, or links not allowed: a copy (mtime kept)


def _remove(path: Path) -> None:
    if os.path.islink(path) or not path.is_dir():
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
    else:
        shutil.rmtree(path, ignore_errors=True)


def _fsync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


__all__ = ["Generations", "exchange", "hard_link", "STATE"]
