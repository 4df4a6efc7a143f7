"""Archive metadata checked from the raw bytes, before `tarfile`/`zipfile` trust any of it.

tar: `tarfile` reads a GNU long-name (`L`/`K`) or PAX (`x`/`g`) record whole into memory, so a
1 MB archive can declare a 500 MB name. :func:`scan_tar` walks the raw 512-byte headers first
(through the gzip/bz2 stream, reading data blocks in chunks) and refuses any metadata record
above `MAX_META_BYTES`, sparse entries, a member above the per-file limit, too many headers,
or more decompressed bytes than the total limit — all before `tarfile` parses the archive.
It follows PAX `size` overrides exactly as `tarfile` does, so both walk the same blocks.

zip: :func:`check_zip_entries` refuses encrypted entries, compression methods other than
stored and deflate, local headers that disagree with the central directory (name, method,
flags, sizes), and entries whose bytes overlap (the overlapping-entry bomb).
"""

from __future__ import annotations

import bz2
import gzip
import struct
import zipfile
from typing import BinaryIO

from tinybench.reports.safe_json import Refusal

BLOCK = 512
MAX_META_BYTES = 64 * 1024  # one long-name / long-link / PAX record
META_TYPES = {b"L": "GNU long-name", b"K": "GNU long-link", b"x": "PAX", b"g": "PAX global"}
SUPPORTED_ZIP_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}


def open_tar_stream(path: str, head: bytes) -> BinaryIO:
    """The decompressed byte stream of a tar archive whose first bytes are `head`."""
    if head.startswith(b"\x1f\x8b"):
        return gzip.open(path, "rb")
    if head.startswith(b"BZh"):
        return bz2.open(path, "rb")
    if head.startswith(b"\xfd7zXZ\x00") or head.startswith(b"\x5d\x00\x00"):
        raise Refusal("xz/lzma-compressed archives are not accepted (their decoder may need GBs of memory); "
                      "use .tar.gz or .zip")
    return open(path, "rb")  # noqa: SIM115 - closed by the caller


def _number(field: bytes) -> int:
    """A tar numeric field: octal text, or base-256 when the first byte has its top bit set."""
    if field[:1] and field[0] & 0x80:
        value = int.from_bytes(field[1:], "big")
        return -value if field[0] == 0xFF else value
    text = field.split(b"\x00", 1)[0].strip(b" \x00")
    try:
        return int(text or b"0", 8)
    except ValueError as exc:
        raise Refusal(f"corrupt tar header (numeric field {field[:12]!r})") from exc


def _checksum_ok(header: bytes) -> bool:
    stored = header[148:156]
    try:
        expected = _number(stored)
    except Refusal:
        return False
    blanked = header[:148] + b" " * 8 + header[156:]
    unsigned = sum(blanked)
    signed = sum(struct.unpack("148b8x356b", header)) + 256
    return expected in (unsigned, signed)


def _pax_size(record: bytes) -> int | None:
    """The `size` keyword of a PAX record (None if absent); sparse files are refused."""
    if b"GNU.sparse" in record:
        raise Refusal("sparse files are not allowed in a submission")
    size = None
    pos = 0
    while pos < len(record):
        space = record.find(b" ", pos)
        if space < 0 or not record[pos:space].isdigit():
            break
        length = int(record[pos:space])
        if length <= 0 or pos + length > len(record):
            raise Refusal("corrupt PAX record")
        keyword, _, value = record[space + 1:pos + length - 1].partition(b"=")
        if keyword == b"size":
            try:
                size = int(value)
            except ValueError as exc:
                raise Refusal("corrupt PAX size") from exc
        pos += length
    return size


def scan_tar(stream: BinaryIO, max_file_bytes: int, max_total_bytes: int, max_headers: int) -> None:
    """Walk every raw header of a tar stream; refuse what could exhaust memory before tarfile reads it."""
    total = headers = 0
    pending_size: int | None = None  # from a PAX 'x' record, for the next member
    global_size: int | None = None  # from a PAX 'g' record, for every later member
    while True:
        header = stream.read(BLOCK)
        if len(header) < BLOCK or header == bytes(BLOCK) or not _checksum_ok(header):
            return  # the end, or what tarfile also treats as the end
        headers += 1
        if headers > max_headers:
            raise Refusal(f"more than {max_headers} tar headers")
        kind = header[156:157]
        size = _number(header[124:136])
        if kind in META_TYPES:
            if size > MAX_META_BYTES:
                raise Refusal(f"tar header {headers}: a {META_TYPES[kind]} record of {size} bytes "
                              f"(limit {MAX_META_BYTES})")
            record = _read_exact(stream, _padded(size))[:size]
            if kind in (b"x", b"g"):
                value = _pax_size(record)
                if kind == b"x":
                    pending_size = value
                elif value is not None:
                    global_size = value
            continue
        if kind == b"S":
            raise Refusal("sparse files are not allowed in a submission")
        if pending_size is not None:
            size, pending_size = pending_size, None
        elif global_size is not None:
            size = global_size
        if kind in (b"1", b"2", b"3", b"4", b"5", b"6"):
            size = 0  # links, devices, folders, FIFOs carry no data (tarfile refuses them later by kind)
        if size < 0 or size > max_file_bytes:
            raise Refusal(f"tar header {headers}: a member of {size} bytes exceeds the per-file limit of "
                          f"{max_file_bytes}")
        total += size
        if total > max_total_bytes:
            raise Refusal(f"the submission expands past {max_total_bytes} bytes")
        _skip(stream, _padded(size))


def _padded(size: int) -> int:
    return -(-size // BLOCK) * BLOCK


def _read_exact(stream: BinaryIO, size: int) -> bytes:
    data = stream.read(size)
    if len(data) < size:
        raise Refusal("truncated tar archive")
    return data


def _skip(stream: BinaryIO, size: int) -> None:
    while size > 0:
        chunk = stream.read(min(size, 1 << 20))
        if not chunk:
            raise Refusal("truncated tar archive")
        size -= len(chunk)


def check_zip_entries(archive: zipfile.ZipFile, raw: BinaryIO) -> None:
    """Refuse encrypted or unsupported entries, local headers that disagree with the central
    directory, and overlapping entries. `raw` is the archive file opened for reading."""
    spans: list[tuple[int, int, str]] = []
    for info in archive.infolist():
        name = info.orig_filename
        if info.flag_bits & 0x1:
            raise Refusal(f"{name}: encrypted zip entries are not allowed")
        if info.compress_type not in SUPPORTED_ZIP_METHODS:
            raise Refusal(f"{name}: zip compression method {info.compress_type} is not supported "
                          "(use stored or deflate)")
        raw.seek(info.header_offset)
        local = raw.read(30)
        if len(local) < 30 or local[:4] != b"PK\x03\x04":
            raise Refusal(f"{name}: no local zip header where the central directory says")
        flags, method, _, _, crc, compressed, _, name_len, extra_len = struct.unpack("<HHHHIIIHH", local[6:30])
        local_name = raw.read(name_len)
        decoded = local_name.decode("utf-8" if flags & 0x800 else "cp437", errors="replace")
        if decoded != name or method != info.compress_type or (flags & 0x1) != (info.flag_bits & 0x1):
            raise Refusal(f"{name}: the local zip header (name {decoded!r}, method {method}) disagrees with "
                          "the central directory")
        if not flags & 0x8 and compressed != 0xFFFFFFFF and (compressed != info.compress_size or crc != info.CRC):
            raise Refusal(f"{name}: the local zip header's sizes or CRC disagree with the central directory")
        start = info.header_offset
        spans.append((start, start + 30 + name_len + extra_len + info.compress_size, name))
    spans.sort()
    for (_, end, first), (start, _, second) in zip(spans, spans[1:]):
        if start < end:
            raise Refusal(f"{second}: its bytes overlap those of {first} (a zip bomb)")
