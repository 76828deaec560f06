"""atomic_open: regular files replaced whole, links followed, devices and FIFOs written in place, OSError typed."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

from egovkg.errors import OutputError
from egovkg.util.atomic import atomic_open, write_bytes, write_text


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_regular_file_is_replaced_whole(tmp_path: Path) -> None:
    target = tmp_path / "out.ttl"
    target.write_bytes(b"previous")
    write_text(target, "新的\n")
    assert target.read_bytes() == "新的\n".encode()
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert _names(tmp_path) == ["out.ttl"]


def test_missing_folders_are_made(tmp_path: Path) -> None:
    write_bytes(tmp_path / "a/b/out.nt", b"x")
    assert (tmp_path / "a/b/out.nt").read_bytes() == b"x"


def test_a_symlink_is_followed_and_stays_a_link(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real/data.ttl").write_bytes(b"previous")
    link = tmp_path / "link.ttl"
    link.symlink_to("real/data.ttl")
    write_bytes(link, b"new")
    assert link.is_symlink() and os.readlink(link) == "real/data.ttl"
    assert (tmp_path / "real/data.ttl").read_bytes() == b"new"
    assert _names(tmp_path) == ["link.ttl", "real"]
    assert _names(tmp_path / "real") == ["data.ttl"], "the temporary file lives beside the target, and is gone"


def test_a_chain_of_links_and_a_dangling_link_reach_their_target(tmp_path: Path) -> None:
    (tmp_path / "b").symlink_to(tmp_path / "c")  # absolute, to a file not there yet
    (tmp_path / "a").symlink_to("b")
    write_bytes(tmp_path / "a", b"x")
    assert (tmp_path / "a").is_symlink() and (tmp_path / "b").is_symlink()
    assert (tmp_path / "c").read_bytes() == b"x"


def test_a_symlink_loop_is_one_error(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    with pytest.raises(OutputError, match=f"^cannot write {tmp_path}/a: Too many levels of symbolic links$"):
        write_bytes(tmp_path / "a", b"x")


def test_a_link_to_a_character_device_is_written_through(tmp_path: Path) -> None:
    """The link lives in tmp_path, so without the fix only the link is replaced, never /dev/null."""
    link = tmp_path / "null"
    link.symlink_to("/dev/null")
    write_bytes(link, b"x" * 100_000)
    assert link.is_symlink() and stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert _names(tmp_path) == ["null"]


@pytest.mark.skipif(os.geteuid() != 0, reason="mknod needs root")
def test_a_device_node_stays_a_device(tmp_path: Path) -> None:
    node = tmp_path / "mynull"
    os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    write_text(node, "x\n")
    assert stat.S_ISCHR(node.lstat().st_mode)
    assert _names(tmp_path) == ["mynull"]


def test_a_fifo_is_streamed_to_and_stays_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "myfifo"
    os.mkfifo(fifo)
    # a reader first, non-blocking, so the writer's open does not wait and a failing write cannot hang
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        write_bytes(fifo, b"<urn:a> <urn:b> <urn:c> .\n")
        assert stat.S_ISFIFO(fifo.lstat().st_mode)
        assert os.read(reader, 1000) == b"<urn:a> <urn:b> <urn:c> .\n"
    finally:
        os.close(reader)
    assert _names(tmp_path) == ["myfifo"]


def test_a_write_error_in_the_body_is_typed_and_leaves_the_previous_file(tmp_path: Path) -> None:
    target = tmp_path / "out.nt"
    target.write_bytes(b"previous")
    with pytest.raises(OutputError, match=f"^cannot write {target}: No space left on device$") as caught:
        with atomic_open(target) as fh:
            fh.write(b"half")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    assert isinstance(caught.value.__cause__, OSError)
    assert target.read_bytes() == b"previous"
    assert _names(tmp_path) == ["out.nt"]


def test_a_full_device_is_one_error(tmp_path: Path) -> None:
    full = tmp_path / "full"
    full.symlink_to("/dev/full")
    with pytest.raises(OutputError, match=f"^cannot write {full}: No space left on device$"):
        write_bytes(full, b"x" * 100_000)
    assert full.is_symlink() and _names(tmp_path) == ["full"]


@pytest.mark.parametrize("exc", [RuntimeError("the caller's own"), KeyboardInterrupt(), SystemExit(143)])
def test_other_exceptions_pass_unchanged_and_remove_the_temporary_file(tmp_path: Path, exc: BaseException) -> None:
    target = tmp_path / "new/out.nt"
    with pytest.raises(type(exc)) as caught:
        with atomic_open(target) as fh:
            fh.write(b"half")
            raise exc
    assert caught.value is exc
    assert _names(tmp_path) == [], "neither the temporary file nor the folder made for it is left"


def test_a_failed_rename_is_typed_and_cleaned_up(tmp_path: Path, monkeypatch) -> None:
    def refuse(*_a: object) -> None:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OutputError, match=f"^cannot write {tmp_path}/out.ttl: Permission denied$"):
        write_bytes(tmp_path / "out.ttl", b"x")
    assert _names(tmp_path) == []


def test_a_file_where_a_folder_should_be(tmp_path: Path) -> None:
    (tmp_path / "afile").write_bytes(b"")
    for target in (tmp_path / "afile/out.ttl", tmp_path / "afile/sub/out.ttl"):
        with pytest.raises(OutputError, match=f"^cannot write {target}: Not a directory$"):
            write_bytes(target, b"x")
    assert _names(tmp_path) == ["afile"]


def test_a_folder_is_not_replaced(tmp_path: Path) -> None:
    (tmp_path / "out.ttl").mkdir()
    with pytest.raises(OutputError, match=f"^cannot write {tmp_path}/out.ttl: Is a directory$"):
        write_bytes(tmp_path / "out.ttl", b"x")
    assert _names(tmp_path) == ["out.ttl"] and (tmp_path / "out.ttl").is_dir()


def test_a_folder_that_cannot_hold_files(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="^cannot write /proc/x.ttl: No such file or directory$"):
        write_bytes(Path("/proc/x.ttl"), b"x")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(OutputError, match=f"^cannot write {folder}/out.ttl: Permission denied$"):
            write_bytes(folder / "out.ttl", b"x")
        assert _names(folder) == []
    finally:
        folder.chmod(0o755)


@pytest.mark.parametrize("path", ["", Path("")])
def test_an_empty_path_is_refused_as_such(tmp_path: Path, monkeypatch, path: str | Path) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(OutputError, match="^cannot write an empty path: give a file name$"):
        write_bytes(path, b"x")
    assert _names(tmp_path) == []
