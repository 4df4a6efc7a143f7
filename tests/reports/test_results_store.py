"""Result bundles → typed rows; exports; unreadable bundles reported, not fatal."""

import json
import subprocess
import sys

import pandas as pd
import pytest

from tinybench.reports.results_store import UNITS, export, load_bundles, to_frame


@pytest.fixture(scope="module")
def bundles(tmp_path_factory):
    out = tmp_path_factory.mktemp("results")
    subprocess.run([sys.executable, "-m", "tinybench", "run", "-w", "kws01", "-m", "performance,energy", "--quick",
                    "--out", str(out)], check=True, capture_output=True, timeout=300,
                   env={**__import__("os").environ, "TINYBENCH_POWERCAP_ROOT": str(out / "none")})
    return out


def test_one_row_per_mode_with_units_and_missing_values(bundles):
    loaded = load_bundles([bundles])
    frame = to_frame(loaded.bundles)
    assert len(frame) == 2 and set(frame["mode"]) == {"performance", "energy"}
    perf = frame[frame["mode"] == "performance"].iloc[0]
    energy = frame[frame["mode"] == "energy"].iloc[0]
    result = loaded.bundles[0]
    assert perf["latency_ms"] == result["modes"]["performance"]["metrics"]["latency_median"]["value"]
    assert pd.isna(energy["energy_uj_per_inf"]) and energy["status"] == "not_measured"  # NA, never zero
    assert "no RAPL" in energy["reason"]
    assert str(frame["latency_ms"].dtype) == "Float64" and str(frame["valid_for_submission"].dtype) == "boolean"
    assert frame.attrs["units"]["energy_uj_per_inf"] == "µJ/inf"
    assert set(UNITS) <= set(frame.columns)


@pytest.mark.parametrize("suffix", [".csv", ".json", ".parquet"])
def test_exports_round_trip(bundles, tmp_path, suffix):
    frame = to_frame(load_bundles([bundles]).bundles)
    path = export(frame, tmp_path / f"table{suffix}")
    back = {".csv": pd.read_csv, ".json": pd.read_json, ".parquet": pd.read_parquet}[suffix](path)
    assert len(back) == 2
    assert back["latency_ms"].dropna().iloc[0] == pytest.approx(frame["latency_ms"].dropna().iloc[0])
    with pytest.raises(ValueError, match="unknown export format"):
        export(frame, tmp_path / "table.xlsx")


def test_unreadable_bundles_are_skipped_with_the_reason(bundles, tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "result.json").write_text("{ not json")
    other = tmp_path / "other"
    other.mkdir()
    (other / "result.json").write_text(json.dumps({"schema": "something/else"}))
    hidden = tmp_path / ".partial-x"
    hidden.mkdir()
    (hidden / "result.json").write_text("{}")
    loaded = load_bundles([bundles, tmp_path])
    assert len(loaded.bundles) == 1
    assert any("broken/result.json: unreadable" in s for s in loaded.skipped)
    assert any("not a tinybench.result/1 result" in s for s in loaded.skipped)
    assert not any(".partial-x" in s for s in loaded.skipped)


def test_cli_export_and_build(bundles, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "tinybench", "report", "export", "--results", str(bundles), "--to",
                           str(tmp_path / "t.csv")], capture_output=True, text=True)
    assert proc.returncode == 0 and "wrote 2 rows from 1 bundles" in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "tinybench", "report", "build", "--results", str(bundles), "--out",
                           str(tmp_path / "site")], capture_output=True, text=True)
    assert proc.returncode == 0 and (tmp_path / "site" / "index.html").exists()
    (tmp_path / "notasite").mkdir()
    (tmp_path / "notasite" / "precious.txt").write_text("keep me")
    proc = subprocess.run([sys.executable, "-m", "tinybench", "report", "build", "--results", str(bundles), "--out",
                           str(tmp_path / "notasite")], capture_output=True, text=True)
    assert proc.returncode == 2 and "is not a tinybench site" in proc.stderr
    assert (tmp_path / "notasite" / "precious.txt").read_text() == "keep me"
