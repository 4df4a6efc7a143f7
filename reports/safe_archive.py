"""Reading an untrusted submission (tar, tar.gz, tar.bz2, zip, or a directory) into a private temp dir.

Nothing from the submission is executed, nothing is extracted with `extractall`, and no
link is ever followed. Refused, each with a precise reason: absolute paths, `..`,
symlinks, hardlinks, device files and FIFOs, names that are not UTF-8, a path component
above 255 bytes or a path above 1024, paths nested deeper than `max_depth`, more than
`max_files` entries, a file above `max_file_bytes`, or more than `max_total_bytes` in all
(counted on the bytes actually written, so a compression bomb stops at the limit). Archive
metadata is bounded before it is parsed (:mod:`archive_headers`: tar long-name/PAX records,
zip local headers, encryption, compression methods, overlapping entries). Files are created
with O_EXCL | O_NOFOLLOW inside the temporary directory, so nothing outside it can be touched.
"""

from __future__ import annotations

import os
import stat
import struct
import tarfile
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from tinybench.reports.archive_headers import check_zip_entries, open_tar_stream, scan_tar
from tinybench.reports.safe_json import Refusal
from tinybench.reports.safe_text import utf8_problem

CHUNK = 1 << 16
NAME_MAX = 255  # bytes of one path component (Linux NAME_MAX)
PATH_MAX = 1024  # bytes of a whole entry name


@dataclass(frozen=True)
class Limits:
    max_total_bytes: int = 512 * 1024 * 1024
    max_file_bytes: int = 256 * 1024 * 1024
    max_files: int = 10_000
    max_depth: int = 12


@dataclass
class Member:
    name: str
    kind: str  # "file", "dir", or what it is when refused ("symlink", "hardlink", "device", …)
    size: int
    open: object = None  # callable → binary stream, for files


def check_name(name: str, limits: Limits) -> PurePosixPath:
    if not name or "\x00" in name:
        raise Refusal(f"entry with an empty or NUL-containing name: {name!r}")
    if (problem := utf8_problem(name)) is not None:
        raise Refusal(f"{name.encode('utf-8', 'surrogateescape')!r}: the entry name {problem}")
    if len(name.encode("utf-8")) > PATH_MAX:
        raise Refusal(f"{name[:80]}…: a name of {len(name.encode('utf-8'))} bytes (limit {PATH_MAX})")
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise Refusal(f"{name}: absolute path")
    path = PurePosixPath(name.replace("\\", "/"))
    parts = [p for p in path.parts if p not in ("", ".")]
    if ".." in parts:
        raise Refusal(f"{name}: path traversal ('..')")
    if len(parts) > limits.max_depth:
        raise Refusal(f"{name}: nested {len(parts)} levels deep (limit {limits.max_depth})")
    for part in parts:
        if len(part.encode("utf-8")) > NAME_MAX:
            raise Refusal(f"{name[:80]}…: a path component of {len(part.encode('utf-8'))} bytes (limit {NAME_MAX})")
    return PurePosixPath(*parts) if parts else PurePosixPath(".")


def _tar_members(path: Path, limits: Limits) -> Iterator[Member]:
    try:
        with open(path, "rb") as fh:
            head = fh.read(6)
        with open_tar_stream(str(path), head) as stream:
            scan_tar(stream, limits.max_file_bytes, limits.max_total_bytes, 2 * limits.max_files + 16)
    except (OSError, EOFError) as exc:
        raise Refusal(f"{path.name}: not a readable archive ({exc})") from exc
    try:
        archive = tarfile.open(path, "r:*")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise Refusal(f"{path.name}: not a readable tar archive ({exc})") from exc
    with archive:
        try:
            for info in archive:
                if info.issym():
                    yield Member(info.name, "symlink", 0)
                elif info.islnk():
                    yield Member(info.name, "hardlink", 0)
                elif info.ischr() or info.isblk():
                    yield Member(info.name, "device", 0)
                elif info.isfifo():
                    yield Member(info.name, "fifo", 0)
                elif info.isdir():
                    yield Member(info.name, "dir", 0)
                elif info.isreg():
                    yield Member(info.name, "file", info.size, lambda i=info: archive.extractfile(i))
                else:
                    yield Member(info.name, "special entry", 0)
        except (tarfile.TarError, OSError, EOFError, ValueError) as exc:
            raise Refusal(f"{path.name}: corrupt tar archive ({exc})") from exc


def _zip_name(info: zipfile.ZipInfo) -> str:
    """The entry's name; names without the UTF-8 flag must still be UTF-8 (not another code page)."""
    if info.flag_bits & 0x800:
        return info.filename
    raw = info.filename.encode("cp437")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Refusal(f"{raw!r}: the entry name is not valid UTF-8") from exc


def _zip_kind(info: zipfile.ZipInfo) -> str:
    """file, dir, or what it is; Unix file-type bits count only when present (writestr leaves them 0)."""
    file_type = stat.S_IFMT(info.external_attr >> 16) if info.create_system == 3 else 0
    if file_type == 0:
        return "dir" if info.is_dir() else "file"
    if stat.S_ISLNK(file_type):
        return "symlink"
    if stat.S_ISDIR(file_type):
        return "dir"
    if stat.S_ISREG(file_type):
        return "file"
    return "fifo" if stat.S_ISFIFO(file_type) else "device"


def _zip_members(path: Path) -> Iterator[Member]:
    try:
        archive = zipfile.ZipFile(path)
        with open(path, "rb") as raw:
            check_zip_entries(archive, raw)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, struct.error) as exc:
        raise Refusal(f"{path.name}: not a readable zip archive ({exc})") from exc
    with archive:
        for info in archive.infolist():
            name, kind = _zip_name(info), _zip_kind(info)
            size = info.file_size if kind == "file" else 0
            yield Member(name, kind, size, (lambda i=info: archive.open(i)) if kind == "file" else None)


def _dir_members(root: Path) -> Iterator[Member]:
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in sorted(dirnames + filenames):
            full = Path(dirpath) / name
            rel = full.relative_to(root).as_posix()
            st = os.lstat(full)
            if stat.S_ISLNK(st.st_mode):
                yield Member(rel, "symlink", 0)
            elif stat.S_ISDIR(st.st_mode):
                yield Member(rel, "dir", 0)
            elif stat.S_ISREG(st.st_mode):
                if st.st_nlink > 1:
                    yield Member(rel, "hardlink", 0)
                else:
                    yield Member(rel, "file", st.st_size, lambda p=full: _open_no_follow(p))
            elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
                yield Member(rel, "device", 0)
            else:
                yield Member(rel, "special entry", 0)
        dirnames[:] = [d for d in dirnames if not (Path(dirpath) / d).is_symlink()]


def _open_no_follow(path: Path) -> BinaryIO:
    return os.fdopen(os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)), "rb")


def members(path: Path, limits: Limits | None = None) -> Iterator[Member]:
    path = Path(path)
    limits = limits or Limits()
    if path.is_symlink():
        raise Refusal(f"{path}: the submission itself is a symlink")
    if path.is_dir():
        return _dir_members(path)
    if not path.is_file():
        raise Refusal(f"{path}: no such file or directory (or not a regular file)")
    if path.stat().st_size > limits.max_total_bytes:
        raise Refusal(f"{path.name}: {path.stat().st_size} bytes exceeds the submission limit of "
                      f"{limits.max_total_bytes}")
    if zipfile.is_zipfile(path):
        return _zip_members(path)
    return _tar_members(path, limits)


class SafeTree:
    """The submission's files, copied into a private temporary directory (a context manager)."""

    def __init__(self, source: Path, limits: Limits | None = None) -> None:
        self.source = Path(source)
        self.limits = limits or Limits()
        self._tmp = tempfile.TemporaryDirectory(prefix="tinybench-submission-")
        self.root = Path(self._tmp.name) / "submission"
        self.root.mkdir()
        self.files: list[str] = []

    def __enter__(self) -> SafeTree:
        try:
            self._copy_all()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._tmp.cleanup()

    def _copy_all(self) -> None:
        total = count = 0
        for member in members(self.source, self.limits):
            rel = check_name(member.name, self.limits)
            if member.kind not in ("file", "dir"):
                raise Refusal(f"{member.name}: {member.kind}s are not allowed in a submission")
            count += 1
            if count > self.limits.max_files:
                raise Refusal(f"more than {self.limits.max_files} entries")
            if str(rel) == ".":
                continue
            target = self.root / rel
            try:
                if member.kind == "dir":
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                if member.size > self.limits.max_file_bytes:
                    raise Refusal(f"{member.name}: {member.size} bytes exceeds the per-file limit of "
                                  f"{self.limits.max_file_bytes}")
                target.parent.mkdir(parents=True, exist_ok=True)
                written = self._write(member, target, self.limits.max_total_bytes - total)
            except (FileExistsError, NotADirectoryError, IsADirectoryError) as exc:
                raise Refusal(f"{member.name}: clashes with another entry of the same name "
                              "(a file and a folder, or a file twice)") from exc
            except OSError as exc:
                raise Refusal(f"{member.name}: cannot be copied ({exc.strerror or exc})") from exc
            total += written
            self.files.append(rel.as_posix())

    def _write(self, member: Member, target: Path, budget: int) -> int:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(target, flags, 0o600)
        except FileExistsError as exc:
            raise Refusal(f"{member.name}: appears twice in the submission") from exc
        except (NotADirectoryError, IsADirectoryError) as exc:
            raise Refusal(f"{member.name}: clashes with another entry of the same name") from exc
        written = 0
        with os.fdopen(fd, "wb") as out:
            stream: BinaryIO | None = None
            try:
                stream = member.open()
                while chunk := stream.read(CHUNK):
                    written += len(chunk)
                    if written > self.limits.max_file_bytes:
                        raise Refusal(f"{member.name}: expands past the per-file limit of {self.limits.max_file_bytes} bytes")
                    if written > budget:
                        raise Refusal(f"the submission expands past {self.limits.max_total_bytes} bytes "
                                      f"(at {member.name})")
                    out.write(chunk)
            except (OSError, EOFError, zipfile.BadZipFile, tarfile.TarError, ValueError, RuntimeError) as exc:
                raise Refusal(f"{member.name}: cannot be read from the archive ({exc})") from exc
            finally:
                if stream is not None:
                    stream.close()
        return written
