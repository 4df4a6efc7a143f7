"""Review 6: text a device says (its `name` reply: device and vendor; its `profile` reply) is kept in the run's
system description, whose fields the result schema bounds (a name: 200 characters). A firmware with a long vendor
string — or, since the writer shows control characters as `\\x1b` (4 characters each), 60 escape characters — made
`BundleWriter.commit` refuse its own result ("result.json does not match its schema"): the measured run was lost
in a `.partial-…` folder. Device text is bounded where it is read."""

from __future__ import annotations

import json
import os

import pytest

from tinybench.reports.safe_json import load_untrusted

from .conftest import Emulator, tb


@pytest.mark.parametrize("vendor", [pytest.param("A" * 300, id="long"), pytest.param("\x1b" * 60, id="escapes")])
def test_a_device_with_a_long_or_escaped_vendor_string_still_gives_a_published_run(tmp_path, vendor):
    env = dict(os.environ)
    dut = Emulator(env, "dut", "-w", "kws01", "--vendor", vendor, "--time-scale", "0")
    try:
        done = tb("run", "-t", "serial", "-O", f"port={dut.info['pty']}", "-w", "kws01", "--quick", "-m",
                  "performance", "--out", str(tmp_path / "results"), env=env)
    finally:
        dut.stop()
    assert done.returncode == 0, done.stderr[-1500:]
    result = load_untrusted(next((tmp_path / "results").glob("*/result.json")))
    system = result["target"]["system"]
    shown = json.dumps(vendor)[1:-1].replace("\\u001b", "\\x1b")  # as the writer shows it
    assert system["name"].startswith(shown[:40]) and "…" in system["name"], system["name"]
