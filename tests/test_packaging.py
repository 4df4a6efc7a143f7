"""The wheel holds the tinybench namespace only, with its data files."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_has_only_the_tinybench_namespace_and_its_data(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path),
         str(ROOT)],
        capture_output=True, text=True, check=False, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    wheel = next(tmp_path.glob("tinybench-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names}
    assert top == {"tinybench", next(t for t in top if t.endswith(".dist-info"))}
    for required in ("tinybench/cli.py", "tinybench/workloads/kws01.py", "tinybench/targets/host.py",
                     "tinybench/reports/__init__.py", "tinybench/schemas/result.schema.json",
                     "tinybench/workloads/builtin/manifest.json", "tinybench/workloads/builtin/vww01.tflite"):
        assert required in names
    # every package folder of the source tree reaches the wheel (the package list is explicit)
    mapping = {"bench": "tinybench", "workloads": "tinybench/workloads", "targets": "tinybench/targets",
               "reports": "tinybench/reports"}
    for folder, prefix in mapping.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            relative = init.relative_to(ROOT / folder).as_posix()
            assert f"{prefix}/{relative}" in names, f"{folder}/{relative} is missing from the wheel"
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "tinybench = tinybench.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
