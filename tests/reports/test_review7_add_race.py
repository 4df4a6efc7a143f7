"""Review 7: a run's add must not replace a newer verdict with the one it made for older bytes, nor store a bundle
that is not directly in the results folder.

The add stamps the bundle, checks it, then writes its row (waiting up to 5 s for a busy index). If the bundle's files
change meanwhile and a build stores the verdict for the new bytes, the add's late write put back the verdict of the
old bytes under the old stamp: the folder is known by path and inode, so only the sweep (which takes the bundles
stamped longest ago, and this row is the newest) or `--full` ever looked at it again — on a large collection,
hundreds of builds showing figures the files on disk do not give."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from .scale_bundles import copy_bundle
from .test_result_index import results, seed, sync  # noqa: F401 - its fixtures: 6 real bundles
from tinybench.reports.result_index import INDEX_NAME, add_written_bundle, hash_of

# the add of a run, in its own process, paused (by a wrapper, not a stand-in: the real check runs) between its check
# and its write, so that the test can change the bundle and let a build store the new verdict in between
PAUSED_ADD = textwrap.dedent("""
    import sys
    from pathlib import Path
    from tinybench.reports import result_index
    real = result_index.check_folder
    def paused(*args, **kwargs):
        record = real(*args, **kwargs)
        print(record.status, flush=True)
        sys.stdin.readline()
        return record
    result_index.check_folder = paused
    print(result_index.add_written_bundle(Path(sys.argv[1]), Path(sys.argv[2])), flush=True)
""")


def test_an_add_never_puts_back_the_verdict_of_bytes_changed_while_it_checked(seed, results):
    sync(results)
    added = copy_bundle(seed, results, 20)
    child = subprocess.Popen([sys.executable, "-c", PAUSED_ADD, str(results), str(added)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ok"  # checked: the bytes as the run wrote them
        result = json.loads((added / "result.json").read_text())
        result["modes"]["performance"]["metrics"]["latency_median"]["value"] *= 2  # edited in place
        (added / "result.json").write_text(json.dumps(result))
        _, entries = sync(results)  # a build stores the verdict of the new bytes
        assert {e.path: e.status for e in entries}[added.name] == "rejected"
        out, err = child.communicate("\n", timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 0, err[-2000:]
    import sqlite3

    conn = sqlite3.connect(results / INDEX_NAME)
    row = conn.execute("SELECT status, sha256 FROM bundles WHERE path = ?", (added.name,)).fetchone()
    conn.close()
    assert row == ("rejected", hash_of(added)), f"the add stored a verdict for bytes no longer on disk: {row}"
    assert "changed while it was checked" in out, out


def test_only_a_bundle_directly_in_the_results_folder_is_added(seed, results, tmp_path):
    """`..` in the folder, a subfolder or a link: a row for a bundle the listing never finds (or finds elsewhere) was kept
    by the builds while the results folder itself did not change — an outside bundle shown as one of the results."""
    sync(results)
    outside = copy_bundle(seed, tmp_path / "elsewhere", 21)
    nested = copy_bundle(seed, results / "sub", 22)
    (results / "link").symlink_to(outside)  # (made before the build: the results folder is unchanged after it)
    sync(results)
    for folder in (results / ".." / "elsewhere" / outside.name, nested, results / ".", results / ".." / results.name,
                   results / "link"):
        why = add_written_bundle(results, folder)
        assert why is not None and "not updated" in why, (folder, why)
    _, entries = sync(results)
    assert all(not e.path.startswith(("..", ".")) for e in entries), [e.path for e in entries]
    assert Path(results / "sub" / nested.name).is_dir()
