"""Fetching the official models: pinned SHA-256, mirrors, a local HTTP server, no half files."""

import http.server
import shutil
import threading

import pytest

from tinybench.errors import ModelError
from tinybench.workloads import get_workload
from tinybench.workloads.reference_fetch import fetch, file_sha256, verify
from tinybench.workloads.reference_models import cached_path

pytestmark = pytest.mark.needs_reference
KWS = get_workload("kws01")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TINYBENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("TINYBENCH_REFERENCE_DIR", raising=False)
    return tmp_path / "cache"


@pytest.fixture
def server(tmp_path, reference_dir, monkeypatch):
    """A real HTTP server on localhost serving a copy of benchmark/training/… ."""
    root = tmp_path / "www"
    target = root / KWS.reference.path
    target.parent.mkdir(parents=True)
    shutil.copy(reference_dir / "models" / KWS.reference.filename, target)
    behaviour = {"mode": "ok"}

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args):
            pass

        def do_GET(self):  # noqa: N802
            if behaviour["mode"] == "truncate":
                body = target.read_bytes()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                return
            super().do_GET()

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("TINYBENCH_MODEL_URL_BASE", f"http://127.0.0.1:{httpd.server_address[1]}")
    yield target, behaviour
    httpd.shutdown()


def no_partial_files(cache):
    return not list(cache.rglob("*.part"))


def test_download_verifies_and_caches(cache, server):
    result = fetch(KWS)
    assert result.how == "download" and result.path == cached_path(KWS)
    assert file_sha256(result.path) == KWS.reference.sha256
    assert fetch(KWS).how == "cached"
    assert verify(KWS) == ("ok", cached_path(KWS))


def test_tampered_download_is_refused_and_nothing_is_stored(cache, server):
    target, _ = server
    content = bytearray(target.read_bytes())
    content[1000] ^= 1
    target.write_bytes(bytes(content))
    with pytest.raises(ModelError, match="checksum mismatch for kws_ref_model.tflite from http://127.0.0.1"):
        fetch(KWS)
    assert not cached_path(KWS).exists() and no_partial_files(cache)


def test_truncated_download_is_refused(cache, server):
    _, behaviour = server
    behaviour["mode"] = "truncate"
    with pytest.raises(ModelError, match="(ended after|cannot download)"):
        fetch(KWS)
    assert not cached_path(KWS).exists() and no_partial_files(cache)


def test_missing_file_on_the_server(cache, server, monkeypatch):
    monkeypatch.setenv("TINYBENCH_MODEL_URL_BASE", "http://127.0.0.1:9")  # nothing listens on port 9
    with pytest.raises(ModelError, match="cannot download .*no network\\?"):
        fetch(KWS)


def test_offline_mirror_and_corrupt_cache(cache, reference_dir):
    result = fetch(KWS, mirror=reference_dir)
    assert result.how == "mirror"
    path = cached_path(KWS)
    content = bytearray(path.read_bytes())
    content[-1] ^= 0xFF
    path.write_bytes(bytes(content))
    assert verify(KWS)[0] == "mismatch"
    assert fetch(KWS, mirror=reference_dir).how == "mirror"  # a bad cache entry is replaced
    assert verify(KWS)[0] == "ok"


def test_mirror_without_the_file_is_named(cache, tmp_path):
    with pytest.raises(ModelError, match="kws_ref_model.tflite is not in the mirror"):
        fetch(KWS, mirror=tmp_path)
