"""Building the site from 10,000 result bundles: time and the leaderboard pages' size.

Clones one real bundle (made here by a quick host run) 10,000 times with varied systems
(100), workloads (5) and figures, then times `build_site` and reports the largest
leaderboard page. Targets: < 10 s and < 2 MB.

    python benchmarks/site_build.py [--bundles 10000] [--systems 100]
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tinybench.reports.site import build_site

WORKLOADS = ["vww01", "kws01", "ic01", "ic02", "ad01"]


def seed_bundle(folder: Path) -> tuple[dict, Path]:
    subprocess.run([sys.executable, "-m", "tinybench", "run", "-w", "kws01", "--quick", "--out", str(folder)],
                   check=True, capture_output=True)
    path = next(folder.glob("*/result.json"))
    return json.loads(path.read_text()), path.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bundles", type=int, default=10_000)
    parser.add_argument("--systems", type=int, default=100)
    args = parser.parse_args()
    rng = random.Random(0)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        seed, seed_dir = seed_bundle(tmp / "seed")
        results = tmp / "results"
        t0 = time.perf_counter()
        for i in range(args.bundles):
            r = copy.deepcopy(seed)
            system = i % args.systems
            workload = WORKLOADS[(i // args.systems) % len(WORKLOADS)]
            r["run_id"] = f"20260101T000000Z-host-{workload}-{i:06x}"
            r["created_utc"] = f"2026-01-01T{(i // 3600) % 24:02d}:{(i // 60) % 60:02d}:{i % 60:02d}Z"
            r["workload"]["id"] = workload
            r["target"]["system"]["name"] = f"Vendor {system % 17} board {system}"
            r["target"]["options"] = {"threads": system}
            # the figures stay those of the raw files (the site recomputes them and rejects forged ones)
            folder = results / r["run_id"]
            shutil.copytree(seed_dir, folder)
            (folder / "result.json").write_text(json.dumps(r))
        made = time.perf_counter() - t0
        report = build_site([results], tmp / "site")
        boards = sorted((report.out / "leaderboard").glob("*.html"), key=lambda p: p.stat().st_size)
        total = sum(p.stat().st_size for p in report.out.rglob("*") if p.is_file())
        print(f"{args.bundles} bundles ({args.systems} systems × {len(WORKLOADS)} workloads), written in {made:.1f} s")
        print(f"site build: {report.seconds:.2f} s for {report.pages} pages ({total / 1e6:.1f} MB in all)")
        print(f"largest leaderboard page: {boards[-1].name} {boards[-1].stat().st_size / 1e6:.3f} MB; "
              f"index {(report.out / 'index.html').stat().st_size / 1e3:.1f} kB")
        print(f"targets: build < 10 s → {'met' if report.seconds < 10 else 'MISSED'}; "
              f"leaderboard < 2 MB → {'met' if boards[-1].stat().st_size < 2e6 else 'MISSED'}")


if __name__ == "__main__":
    main()
