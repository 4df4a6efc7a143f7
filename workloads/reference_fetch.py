"""`tinybench models fetch / verify`: get the official models into the cache, verified.

A file reaches its cache path only after its SHA-256 matched: downloads and mirror
copies go to a temporary file in the same directory first, so nothing half-downloaded
or tampered with is ever used. `TINYBENCH_MODEL_URL_BASE` replaces the pinned URL
base (a company mirror of `benchmark/training/`); the SHA-256 pins stay.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tinybench.errors import ModelError
from tinybench.workloads.reference_models import cached_path, mirror_candidates
from tinybench.workloads.spec import REFERENCE_URL_BASE, Workload

ENV_URL_BASE = "TINYBENCH_MODEL_URL_BASE"
CHUNK = 1 << 16
TIMEOUT_S = 60.0

# bytes done, bytes total (None if unknown)
ProgressCallback = Callable[[int, int | None], None]


@dataclass(frozen=True)
class FetchResult:
    workload: str
    path: Path
    how: str  # "cached" (already there), "mirror" (copied), "download"
    origin: str  # where the bytes came from


def url_for(workload: Workload) -> str:
    base = os.environ.get(ENV_URL_BASE)
    if base:
        return base.rstrip("/") + "/" + workload.reference.path
    return REFERENCE_URL_BASE + workload.reference.path


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(workload: Workload, mirror: Path | None = None, on_progress: ProgressCallback | None = None,
          force: bool = False) -> FetchResult:
    """Make the verified reference model of `workload` available in the cache."""
    dest = cached_path(workload)
    want = workload.reference.sha256
    if dest.exists() and not force:
        if file_sha256(dest) == want:
            return FetchResult(workload.id, dest, "cached", str(dest))
        dest.unlink()  # corrupt cache entry: fetch again
    dest.parent.mkdir(parents=True, exist_ok=True)
    candidates = mirror_candidates(workload, mirror) if mirror is not None else mirror_candidates(workload)
    if mirror is not None and not any(p.is_file() for p in candidates):
        raise ModelError(
            f"{workload.reference.filename} is not in the mirror {mirror}",
            hint=f"expected {candidates[0]} or {candidates[1]}",
        )
    for source in candidates:
        if source.is_file():
            _install(dest, want, lambda tmp, src=source: _copy(src, tmp), str(source))
            return FetchResult(workload.id, dest, "mirror", str(source))
    url = url_for(workload)
    _install(dest, want, lambda tmp: _download(url, tmp, on_progress), url)
    return FetchResult(workload.id, dest, "download", url)


def verify(workload: Workload) -> tuple[str, Path]:
    """('ok' | 'missing' | 'mismatch', cache path) for `workload`'s cached reference model."""
    path = cached_path(workload)
    if not path.exists():
        return "missing", path
    return ("ok" if file_sha256(path) == workload.reference.sha256 else "mismatch"), path


def _install(dest: Path, sha256: str, produce: Callable[[Path], None], origin: str) -> None:
    fd, name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    os.close(fd)
    tmp = Path(name)
    try:
        produce(tmp)
        got = file_sha256(tmp)
        if got != sha256:
            raise ModelError(
                f"checksum mismatch for {dest.name} from {origin}: SHA-256 {got} is not the pinned {sha256}",
                hint="the file was corrupted or replaced; nothing was stored",
            )
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def _copy(source: Path, tmp: Path) -> None:
    shutil.copyfile(source, tmp)


def _download(url: str, tmp: Path, on_progress: ProgressCallback | None) -> None:
    request = urllib.request.Request(url, headers={"User-Agent": "tinybench"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response, tmp.open("wb") as out:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            done = 0
            while block := response.read(CHUNK):
                out.write(block)
                done += len(block)
                if on_progress:
                    on_progress(done, total)
            if total is not None and done != total:
                raise ModelError(f"download of {url} ended after {done} of {total} bytes",
                                 hint="try again; nothing was stored")
    except urllib.error.HTTPError as exc:
        raise ModelError(f"cannot download {url}: HTTP {exc.code} {exc.reason}",
                         hint="check the URL base, or use --from DIR with an offline mirror") from exc
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ModelError(f"cannot download {url}: {reason}",
                         hint="no network? use --from DIR (or TINYBENCH_REFERENCE_DIR) with an offline mirror") from exc
