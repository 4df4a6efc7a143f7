"""The per-bundle check of `report build`, timed phase by phase in one process.

Clones one real bundle (a quick host kws01 run, made here; see `site_build.py`) N times, then:

1. times `result_index.check_folder` — what `ResultIndex.sync` runs for every new bundle — on each
   clone (the real entry point, end to end), and checks that every clone was accepted;
2. times the same work split into its phases on each clone, calling the functions check_folder calls:
   stamp (`stamp_of`; in a real sync the listing takes it and passes it in), hash (`hash_of`), parse (`load_untrusted`: bounded read, nesting bound, strict
   JSON), schema (`validation_errors`: the non-finite walk + the schema), recompute (`verify_bundle`:
   every figure from the raw files), store (export rows, zlib'd JSON of the verified result, `slim`);
   the non-finite walk and the schema validator are also timed alone (they are inside "schema").

Prints CPU ms per bundle per phase (process time: another process busy on the shared machine inflates
wall time, much less CPU time), the total (CPU and wall), and the load average:

    python benchmarks/bundle_check.py [--bundles 2000] [--work DIR] [--profile] [--repeat N]

`--work DIR` keeps the clones (reused by the next run with the same count); `--profile` prints the
cProfile of the check_folder pass (top functions by own time); `--repeat N` times each pass N times and
prints each figure's smallest.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from site_build import clones, load  # noqa: E402


def phases(root: Path, folders: list[Path]) -> dict[str, float]:
    """Seconds spent in each phase of check_folder over `folders` (the same calls, timed apart)."""
    from tinybench.bundle import RESULT_FILE
    from tinybench.reports.local_bundles import verify_bundle
    from tinybench.reports import result_index
    from tinybench.reports.result_index import hash_of, slim, stamp_of
    from tinybench.reports.results_store import COLUMNS, SCHEMA_ID, rows_of, system_id
    from tinybench.reports.safe_json import load_untrusted
    from tinybench.result_schema import _fast_validator, non_finite_paths, validation_errors

    # what check_folder stores (its JSON written by cache_json; older code: json.dumps, zlib level 6)
    from tinybench.reports import cache_json

    level = getattr(result_index, "PAYLOAD_ZLIB_LEVEL", 6)
    spent = dict.fromkeys(("stamp", "hash", "parse", "schema", "recompute", "store"), 0.0)
    alone = dict.fromkeys(("non-finite walk alone", "schema validator alone"), 0.0)
    fast = _fast_validator()
    clock = time.process_time  # CPU time of this process: other processes on the machine inflate wall time
    for folder in folders:
        t0 = clock()
        stamp_of(folder)
        t1 = clock()
        hash_of(folder)
        t2 = clock()
        result = load_untrusted(folder / RESULT_FILE)
        assert isinstance(result, dict) and result["schema"] == SCHEMA_ID
        t3 = clock()
        assert not validation_errors(result)
        t4 = clock()
        result["_bundle"] = str(folder)
        verified = verify_bundle(result)
        assert verified.result is not None, verified.problems
        t5 = clock()
        final = verified.result
        rows = [tuple(map(row.get, COLUMNS)) for row in rows_of(final)]
        stored = (final["run_id"], system_id(final), zlib.compress(cache_json.dumps(final).encode(), level),
                  cache_json.dumps(slim(final)), rows)
        t6 = clock()
        assert stored
        for name, (a, b) in zip(spent, ((t0, t1), (t1, t2), (t2, t3), (t3, t4), (t4, t5), (t5, t6))):
            spent[name] += b - a
        t7 = clock()
        non_finite_paths(result)
        t8 = clock()
        if fast is not None:
            fast.is_valid({k: v for k, v in result.items() if k != "_bundle"})
        t9 = clock()
        alone["non-finite walk alone"] += t8 - t7
        alone["schema validator alone"] += t9 - t8
    return {**spent, **alone}


def check_pass(root: Path, folders: list[Path], profile: bool) -> tuple[float, float]:
    """Seconds of check_folder over `folders`, wall and CPU (every one must be accepted)."""
    from tinybench.reports.result_index import check_folder

    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    t0, cpu0 = time.perf_counter(), time.process_time()
    records = [check_folder(root, folder) for folder in folders]
    seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    if profiler is not None:
        import pstats

        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    refused = [r for r in records if r.status != "ok"]
    if refused:
        raise SystemExit(f"{len(refused)} clones were refused, e.g. {refused[0].path}: {refused[0].reason}")
    return seconds, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bundles", type=int, default=2_000, help="how many clones to check (default 2,000)")
    parser.add_argument("--systems", type=int, default=100, help="distinct systems among the clones (default 100)")
    parser.add_argument("--work", type=Path, default=None, help="keep the clones here (default: a temporary folder)")
    parser.add_argument("--profile", action="store_true", help="print the cProfile of the check_folder pass")
    parser.add_argument("--repeat", type=int, default=1,
                        help="time every pass this many times and keep each figure's smallest (default 1): on a shared "
                             "machine another process's load inflates even CPU time (caches, frequency)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bundle-check-"))
    work.mkdir(parents=True, exist_ok=True)
    seed, results = clones(work, args.bundles, args.systems), work / "results"
    folders = sorted(p for p in results.iterdir() if p.is_dir() and not p.name.startswith("."))
    print(f"{len(folders)} bundles ({sum(f.stat().st_size for f in seed.iterdir()) / 1e3:.0f} kB in "
          f"{len(list(seed.iterdir()))} files each), one process; {load()}")
    phases(results, folders[:20])  # imports and lazily built validators, not counted
    check_seconds, check_cpu = check_pass(results, folders, args.profile)
    spent = phases(results, folders)
    for _ in range(args.repeat - 1):
        seconds, cpu = check_pass(results, folders, False)
        check_seconds, check_cpu = min(check_seconds, seconds), min(check_cpu, cpu)
        spent = {name: min(value, again) for (name, value), again in zip(spent.items(), phases(results, folders).values())}
    n = len(folders)
    print(f"\n{'phase':<28} {'CPU ms/bundle':>14}")
    total = 0.0
    for name, seconds in spent.items():
        inside = name.endswith("alone")
        if not inside:
            total += seconds
        print(f"{('  (' + name + ')') if inside else name:<28} {seconds / n * 1e3:14.3f}")
    print(f"{'sum of the phases':<28} {total / n * 1e3:14.3f}")
    print(f"{'check_folder, end to end':<28} {check_cpu / n * 1e3:14.3f}   ({check_seconds / n * 1e3:.3f} ms wall; "
          f"100,000 bundles ≈ {check_cpu / n * 1e5:.0f} s of one core)")
    print(f"[{load()}]")
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
