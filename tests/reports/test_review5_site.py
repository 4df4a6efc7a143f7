"""Review of the faster site build (commits 81a516d…ac9321d): hostile or damaged inputs that the speed-ups
must handle as the slower code did."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from tinybench.reports.site import build_site

from .scale_bundles import copy_bundle, real_bundle


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    return real_bundle(tmp_path_factory.mktemp("seed"))


def test_a_runs_folder_made_a_link_between_two_builds_of_one_process_is_not_written_through(seed, tmp_path):
    """page_path caches each folder's realpath: a second build in the same process must look again (the first
    build's answer is stale once `runs/` became a symbolic link to a folder outside the site)."""
    results, site, outside = tmp_path / "results", tmp_path / "site", tmp_path / "outside"
    for i in range(3):
        copy_bundle(seed, results, i)
    build_site([results], site)
    outside.mkdir()
    shutil.rmtree(site / "runs")
    os.symlink(outside, site / "runs")
    built = build_site([results], site, full=True)
    assert os.listdir(outside) == []
    assert len(built.skipped) == 3 and all("would leave the site folder" in s for s in built.skipped)


def test_a_recomputed_figure_that_overflows_is_refused_not_stored_as_null(seed, tmp_path):
    """Four cold spin-ups of 1.7e308 ms (raw CSV values, not bounded by the schema) have a median of inf: the
    stored result (cache_json: orjson writes inf as null) came back with the measured metric's value None, and
    the run page said 'not measured'. A verified result must hold finite figures only."""
    from tinybench.reports.result_index import check_folder

    folder = tmp_path / "results" / "spin"
    shutil.copytree(seed, folder)
    head, *rows = (folder / "spinup.csv").read_text().splitlines()
    cold, warm = [r for r in rows if r.startswith("cold")], [r for r in rows if r.startswith("warm")]
    result = json.loads((folder / "result.json").read_text())
    runtime_import = result["modes"]["spinup"]["phases_median_ms"]["cold"]["runtime_import"]
    made = [f"cold,{i},1.7e308,0,0,1.7e308,{runtime_import!r}" for i in range(4)]
    assert head == "kind,repetition,load_ms,allocate_ms,first_inference_ms,total_ms,runtime_import_ms" and cold
    (folder / "spinup.csv").write_text("\n".join([head, *made, *warm]) + "\n")
    result["modes"]["spinup"]["repetitions"]["cold"] = 4
    result["modes"]["spinup"]["phases_median_ms"]["cold"].update(allocate=0.0, first_inference=0.0)
    (folder / "result.json").write_text(json.dumps(result))
    record = check_folder(tmp_path / "results", folder)
    assert record.status == "rejected" and "not a finite number" in record.reason, (record.status, record.reason)


def test_a_lone_surrogate_escaped_in_result_json_is_refused_and_the_build_goes_on(seed, tmp_path):
    """"\\udc80" in a system name is ASCII JSON but no Unicode text: its system id could not be stored in the
    results index (UnicodeEncodeError: the whole sync, so every `report build`, stopped)."""
    from tinybench.reports.safe_json import Refusal, loads_untrusted

    results = tmp_path / "results"
    copy_bundle(seed, results, 0)
    odd = copy_bundle(seed, results, 1)
    text = (odd / "result.json").read_text()
    result = json.loads(text)
    result["target"]["system"]["name"] = "Board \udc80"
    (odd / "result.json").write_text(json.dumps(result))  # ASCII: written as \udc80
    built = build_site([results], tmp_path / "site")
    assert built.bundles == 1 and len(built.skipped) == 1 and "surrogate" in built.skipped[0]
    with pytest.raises(Refusal, match="surrogate"):
        loads_untrusted(b'{"a": ["x\\ud800"]}', "t.json")
    with pytest.raises(Refusal, match="surrogate"):
        loads_untrusted(b'{"\\udfff": 1}', "t.json")
    assert loads_untrusted(b'{"e": "\\ud83d\\ude00", "b": "\\\\udc80"}', "t.json") == {"e": "\U0001F600", "b": "\\udc80"}


@pytest.mark.parametrize("damage", ["runs folder is a file", "run page is a folder"])
def test_a_damaged_site_folder_is_a_user_error_not_a_traceback(seed, tmp_path, damage):
    """Something in the way of a page (a file named `runs`, a folder named like a run page): `--full` stops with
    a TinybenchError (one line and a hint in the CLI), not an OSError's traceback; the error survives pickling
    (run pages are written by forked workers)."""
    import pickle

    from tinybench.errors import TinybenchError

    results, site = tmp_path / "results", tmp_path / "site"
    run_id = copy_bundle(seed, results, 0).name
    build_site([results], site)
    shutil.rmtree(site / "runs")
    if damage == "runs folder is a file":
        (site / "runs").write_text("not a folder")
    else:
        (site / "runs" / f"{run_id}.html").mkdir(parents=True)
    with pytest.raises(TinybenchError, match="cannot be written") as caught:
        build_site([results], site, full=True)
    again = pickle.loads(pickle.dumps(caught.value))
    assert again.hint == caught.value.hint and str(again) == str(caught.value)


@pytest.mark.parametrize("link", ["symbolic", "hard"])
def test_full_build_replaces_a_run_page_linked_to_a_file_outside_the_site_even_with_the_same_bytes(seed, tmp_path,
                                                                                                    link):
    """Run pages are written only when their bytes differ (`only_if_changed`): a page that is a link to a file
    outside the site (same bytes today, anyone's to change tomorrow) must still be replaced by `--full`, as it was
    before that shortcut."""
    results, site, outside = tmp_path / "results", tmp_path / "site", tmp_path / "outside.html"
    run_id = copy_bundle(seed, results, 0).name
    build_site([results], site)
    page = site / "runs" / f"{run_id}.html"
    shutil.copy(page, outside)
    page.unlink()
    (os.symlink if link == "symbolic" else os.link)(outside, page)
    build_site([results], site, full=True)
    assert not page.is_symlink() and page.stat().st_nlink == 1 and page.read_bytes() == outside.read_bytes()


def test_a_worker_error_reaches_the_user_when_run_pages_are_made_by_forked_workers(seed, tmp_path):
    """From 200 run pages on they are rendered in a pool: an error in a worker left the pool running and
    `pool.join()` raised 'ValueError: Pool is still running' over it (and Pool.__del__ an OSError at exit)."""
    from tinybench.errors import TinybenchError
    from tinybench.reports import site_pages

    if (os.cpu_count() or 1) < 2:
        pytest.skip("one core: no worker pool")
    results, site = tmp_path / "results", tmp_path / "site"
    run_ids = sorted(copy_bundle(seed, results, i).name for i in range(210))
    build_site([results], site)
    (site / "runs" / f"{run_ids[0]}.html").unlink()
    (site / "runs" / f"{run_ids[0]}.html").mkdir()
    with pytest.raises(TinybenchError, match="cannot be written"):
        build_site([results], site, full=True)
    assert site_pages._FORKED is None


@pytest.mark.parametrize("fast", [True, False])
def test_a_trailing_newline_does_not_pass_an_anchored_pattern(seed, tmp_path, monkeypatch, fast):
    """The schema's patterns end in `$`: in JSON Schema (ECMA-262) that is the end of the text, in Python's `re`
    also the place before a final newline. jsonschema_rs refused "run\\n", jsonschema (which words the problems)
    found none, so the bundle passed and its run page was `runs/<id>\\n.html`, linked as `<id>.html` by browsers
    (which drop newlines from URLs)."""
    from tinybench import result_schema

    if not fast:
        monkeypatch.setattr(result_schema, "_fast_validator", lambda: None)
    results = tmp_path / "results"
    folder = copy_bundle(seed, results, 0)
    result = json.loads((folder / "result.json").read_text())
    assert result_schema.validation_errors(result) == []
    for field, value in (("run_id", result["run_id"] + "\n"), ("created_utc", result["created_utc"] + "\n")):
        assert any("does not match" in p for p in result_schema.validation_errors(dict(result, **{field: value})))
    result["run_id"] += "\n"
    (folder / "result.json").write_text(json.dumps(result))
    built = build_site([results], tmp_path / "site")
    assert built.bundles == 0 and len(built.skipped) == 1
