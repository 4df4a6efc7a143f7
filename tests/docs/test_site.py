"""The documentation site builds strictly, its links resolve, it fetches nothing, and its
reference pages say what the code says (they are generated from it at build time)."""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from tinybench.cli import cli

EXIT_REGRESSION = 3  # a regression beyond the threshold (used by the exit-code generator's test)


class _Page(HTMLParser):
    """The ids a page defines and the links and resources it refers to."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[tuple[str, str]] = []  # (tag, url)
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for key in ("id", "name"):
            if values.get(key):
                self.ids.add(values[key])
        for key in ("href", "src"):
            if values.get(key) is not None:
                self.links.append((tag, values[key]))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def page_text(site: Path, rel: str) -> str:
    return " ".join(" ".join(parse(site / rel / "index.html").text).split())


def html_pages(site: Path) -> list[Path]:
    """The site's pages; 404.html is left out: servers show it at any path, so its links are
    absolute from the site root."""
    return sorted(p for p in site.rglob("*.html")
                  if "assets" not in p.relative_to(site).parts and p.name != "404.html")


def test_strict_build_makes_every_page(built_site: Path) -> None:
    for rel in ("index.html", "tutorials/first-host-run/index.html", "how-to/energy/index.html",
                "reference/cli/index.html", "reference/result-schema/index.html",
                "reference/adapter-contract/index.html", "reference/workloads/index.html",
                "reference/exit-codes/index.html", "explanation/measurement/index.html",
                "reference/result.schema.json", "screenshots/leaderboard.png"):
        assert (built_site / rel).is_file(), rel
    assert (built_site / "search" / "search_index.json").is_file()


def test_internal_links_and_anchors_resolve(built_site: Path) -> None:
    pages = {p: parse(p) for p in html_pages(built_site)}
    broken = []
    for path, page in pages.items():
        for tag, url in page.links:
            parts = urlsplit(url)
            if parts.scheme or url.startswith("//") or tag in ("script", "link") and not parts.path:
                continue
            target = path if not parts.path else (path.parent / unquote(parts.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{path.relative_to(built_site)}: {url} (no such file)")
                continue
            if parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else parse(target).ids
                if unquote(parts.fragment) not in ids:
                    broken.append(f"{path.relative_to(built_site)}: {url} (no such anchor)")
    assert not broken, "\n".join(broken)


def test_site_fetches_nothing_from_the_network(built_site: Path) -> None:
    """Offline: no stylesheet, script, font or image is loaded from another host."""
    remote = []
    for path in html_pages(built_site):
        for tag, url in parse(path).links:
            if tag in ("script", "link", "img", "iframe", "source") and re.match(r"^(https?:)?//", url):
                remote.append(f"{path.relative_to(built_site)}: <{tag}> {url}")
    for css in built_site.rglob("*.css"):
        remote += [f"{css.name}: {m}" for m in re.findall(r"@import\s+url\((['\"]?https?:[^)]*)\)", css.read_text())]
    assert not remote, "\n".join(remote)


def _commands(group, prefix="tinybench"):
    yield prefix, group
    for name, sub in sorted(getattr(group, "commands", {}).items()):
        yield from _commands(sub, f"{prefix} {name}")


def test_cli_reference_has_every_command_and_option(built_site: Path) -> None:
    text = page_text(built_site, "reference/cli")
    for path, command in _commands(cli):
        assert path in text, f"{path} is missing from the CLI reference"
        for param in command.params:
            for opt in getattr(param, "opts", ()):
                if opt.startswith("-"):
                    assert opt in text, f"{path} {opt} is missing from the CLI reference"


def _schema_paths(schema: dict, prefix: str = ""):
    for name, sub in schema.get("properties", {}).items():
        yield prefix + name
        if isinstance(sub, dict):
            yield from _schema_paths(sub, f"{prefix}{name}.")


def test_schema_reference_has_every_field(built_site: Path) -> None:
    import tinybench

    schema_file = Path(tinybench.__file__).parent / "schemas" / "result.schema.json"
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    text = page_text(built_site, "reference/result-schema")
    for field in _schema_paths(schema):
        assert field in text, f"{field} is missing from the result-schema reference"
    published = json.loads((built_site / "reference" / "result.schema.json").read_text(encoding="utf-8"))
    assert published == schema


def test_workloads_reference_has_every_workload(built_site: Path) -> None:
    from tinybench.workloads import WORKLOADS

    text = page_text(built_site, "reference/workloads")
    for name in WORKLOADS.names():
        w = WORKLOADS.get(name)
        assert f"{name}: {w.title}" in text
        assert html.unescape(w.quality_target.describe()) in text
        if w.reference is not None:
            assert w.reference.sha256 in text


def test_targets_reference_has_every_option(built_site: Path) -> None:
    import dataclasses

    from tinybench.targets import TARGETS

    text = page_text(built_site, "reference/targets")
    for name in TARGETS.names():
        cls = TARGETS.get(name)
        assert f"{name} " in text
        for f in dataclasses.fields(cls.Options):
            assert f.name in text, f"target {name} option {f.name} is missing"


def test_exit_codes_reference_matches_the_code(built_site: Path) -> None:
    import tinybench.cli as cli_module
    from tinybench.errors import TinybenchError

    text = page_text(built_site, "reference/exit-codes")
    constants = {v for k, v in vars(cli_module).items() if k.startswith("EXIT_") and isinstance(v, int)}
    for value in constants | {0, TinybenchError.exit_code, 130}:
        assert re.search(rf"\b{value}\b", text), f"exit code {value} is missing"
    assert "tinybench run" in text


def test_adapter_contract_comes_from_the_docstrings(built_site: Path) -> None:
    from tinybench.targets.contract import InferReport, Target

    text = page_text(built_site, "reference/adapter-contract")
    for obj in (Target, InferReport):
        first_line = " ".join(obj.__doc__.strip().split("\n")[0].replace("`", "").split())
        assert first_line in text, first_line
    for method in ("describe", "load", "infer", "cold_start", "close"):
        assert method in text


# --- the generators alone, on inputs made here ---


def test_schema_generator_follows_a_strict_schema(hooks_path: Path, tmp_path: Path) -> None:
    import schema_page

    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
        "additionalProperties": False, "required": ["name", "metrics"],
        "properties": {
            "name": {"type": "string", "maxLength": 64, "pattern": "^(a|b)+$", "description": "who <b>"},
            "metrics": {"type": "object", "patternProperties": {"^[a-z]+$": {"$ref": "#/$defs/figure"}}},
            "windows": {"type": "array", "maxItems": 1000, "items": {"type": "object", "properties": {
                "elapsed_s": {"type": "number", "exclusiveMinimum": 0}}}},
        },
        "$defs": {"figure": {"type": "object", "required": ["value"], "additionalProperties": False,
                             "properties": {"value": {"type": ["number", "null"]}, "unit": {"enum": ["ms", "µJ"]}}}},
    }
    path = tmp_path / "s.json"
    path.write_text(json.dumps(schema), encoding="utf-8")
    text = schema_page.render(path)
    assert "refuses any other" in text
    assert "| <code>name</code> | string | yes | length ≤ <code>64</code>; matches <code>^(a&#124;b)+$</code> | who &lt;b&gt; |" in text
    assert "<code>metrics.&lt;^&#91;a-z&#93;+$&gt;</code> | [figure](#def-figure)" in text
    assert "<code>windows&#91;&#93;.elapsed_s</code> | number |  | &gt; <code>0</code>" in text
    assert "### figure {#def-figure}" in text and "<code>value</code> | number or null | yes" in text
    for row in text.splitlines():
        if row.startswith("| <code>"):
            assert row.count(" | ") == 4, row  # no stray pipe splits a cell


def test_exit_code_generator_finds_constants_literals_and_signals(hooks_path: Path) -> None:
    import click
    import exit_codes_page

    group = click.Group("tool")

    @group.command("compare")
    def compare() -> None:
        import sys

        sys.exit(EXIT_REGRESSION)

    @group.command("wait")
    def wait() -> None:
        raise SystemExit(130)

    codes = exit_codes_page.collect(group, prog="tool")
    assert codes[3] == {"meanings": ["a regression beyond the threshold (used by the exit-code generator's test)"],
                        "commands": ["`tool compare`"]}
    assert "`tool wait`" in codes[130]["commands"]
    assert any("SIGINT" in m for m in codes[130]["meanings"])
    assert 0 in codes and 2 in codes


def test_option_comments_are_read_from_the_source(hooks_path: Path) -> None:
    import options_page
    from tinybench.targets.serial_target import SerialOptions

    comments = options_page.field_comments(SerialOptions)
    assert comments["reset"] == "none | dtr | rts | command"
    assert "command_timeout_s" not in comments  # no comment on that line
    table = options_page.options_table(SerialOptions)
    assert "| <code>reset</code> | str | <code>none</code> | none &#124; dtr &#124; rts &#124; command |" in table


@pytest.mark.parametrize("marker", ["<!-- tinybench:generate no-such-block -->"])
def test_unknown_generated_block_fails_the_build(hooks_path: Path, marker: str) -> None:
    import generate_reference
    from mkdocs.exceptions import PluginError

    class _File:
        src_uri = "x.md"

    class _Page:
        file = _File()

    with pytest.raises(PluginError, match="no-such-block"):
        generate_reference.on_page_markdown(f"# x\n\n{marker}\n", _Page(), None, None)


def test_cli_page_follows_the_commands(hooks_path: Path) -> None:
    """A command registered on the group appears in the CLI reference with its options."""
    import click
    import cli_page

    @click.command("frobnicate")
    @click.option("--level", type=int, default=3, show_default=True, help="How hard to frobnicate.")
    def frobnicate(level: int) -> None:
        """Frobnicate the results (a command added for this test)."""

    before = cli_page.render()
    cli.add_command(frobnicate)
    try:
        after = cli_page.render()
    finally:
        cli.commands.pop("frobnicate")
    assert "frobnicate" not in before
    assert "### `tinybench frobnicate` {#tinybench-frobnicate}" in after
    assert "| <code>--level INTEGER</code> | How hard to frobnicate. &#91;default: 3&#93; |" in after
    assert "- [`tinybench frobnicate`](#tinybench-frobnicate)" in after


def test_schema_page_follows_the_schema_file(hooks_path: Path, tmp_path: Path) -> None:
    """A field added to the real result schema appears in its reference page."""
    import schema_page
    import tinybench

    schema = json.loads((Path(tinybench.__file__).parent / "schemas" / "result.schema.json").read_text())
    schema["properties"]["tuning"] = {"type": "object", "description": "system tuning applied",
                                      "properties": {"governor": {"type": "string", "maxLength": 32}}}
    path = tmp_path / "result.schema.json"
    path.write_text(json.dumps(schema), encoding="utf-8")
    text = schema_page.render(path)
    assert "| <code>tuning</code> | object |  |  | system tuning applied |" in text
    assert "| <code>tuning.governor</code> | string |  | length ≤ <code>32</code> |  |" in text


def test_every_environment_variable_the_code_reads_is_documented() -> None:
    """The variables named in the package's source (TINYBENCH_*, LG_*) all appear on the page."""
    repo = Path(__file__).resolve().parents[2]
    roots = {repo / d for d in ("bench", "workloads", "targets", "reports")}
    names = set()
    for root in roots:
        for source in root.rglob("*.py"):
            names |= set(re.findall(r"[\"'](TINYBENCH_[A-Z_]+|LG_[A-Z_]+)[\"']", source.read_text(encoding="utf-8")))
    page = (repo / "docs" / "reference" / "environment.md").read_text(encoding="utf-8")
    assert names, "no environment variables found: the source layout changed"
    missing = sorted(n for n in names if f"`{n}`" not in page)
    assert not missing, f"undocumented environment variables: {missing}"
