"""MkDocs hook: fills the generated parts of the reference pages at build time.

A page asks for a generated block with a marker on its own line::

    <!-- tinybench:generate result-schema -->

and the hook replaces it with Markdown made from the code (the JSON Schema file, the
registries, the click commands and their exit paths). An unknown marker fails the build. The
hook also publishes the schema file itself next to the page that describes it.
"""

from __future__ import annotations

import atexit
import re
import shutil
import sys
import tempfile
from pathlib import Path

from mkdocs.exceptions import PluginError
try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cli_page  # noqa: E402
import exit_codes_page  # noqa: E402
import options_page  # noqa: E402
import schema_page  # noqa: E402
import workloads_page  # noqa: E402

SPHINX_ROLE = re.compile(r":(?:class|meth|attr|func|mod|exc|data):(?=<code>)")
MARKER = re.compile(r"^<!-- tinybench:generate ([a-z-]+) -->$", re.MULTILINE)
SCHEMA_DOWNLOAD = "result.schema.json"


def result_schema_path() -> Path:
    """The result schema of the installed tinybench (the file the runner validates with)."""
    import tinybench

    return Path(tinybench.__file__).resolve().parent / "schemas" / "result.schema.json"


GENERATORS = {
    "cli": cli_page.render,
    "result-schema": lambda: schema_page.render(result_schema_path(), SCHEMA_DOWNLOAD),
    "workloads": workloads_page.render,
    "targets": options_page.render,
    "exit-codes": exit_codes_page.render,
}


def package_tree(repo: Path) -> Path:
    """A temporary folder where the repository's source folders appear as the `tinybench.*`
    package tree (pyproject's `package-dir`, e.g. targets/ → tinybench/targets), made of
    symbolic links, so mkdocstrings can read the modules' source statically."""
    mapping = tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["package-dir"]
    root = Path(tempfile.mkdtemp(prefix="tinybench-docs-src-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    for package, folder in sorted(mapping.items(), key=lambda item: item[0].count(".")):
        target = root.joinpath(*package.split("."))
        if package.count(".") == 0:
            target.mkdir(parents=True)
            for entry in (repo / folder).iterdir():
                (target / entry.name).symlink_to(entry.resolve())
        else:
            target.unlink(missing_ok=True)
            target.symlink_to((repo / folder).resolve())
    return root


@event_priority(100)  # before mkdocstrings creates its handlers
def on_config(config):  # noqa: ANN001, ANN201 - MkDocs hook signature
    repo = Path(config.config_file_path).resolve().parent
    python = config.plugins["mkdocstrings"].config.handlers.setdefault("python", {})
    python["paths"] = [str(package_tree(repo))]
    return config


def on_files(files, config):  # noqa: ANN001, ANN201 - MkDocs hook signature
    files.append(File.generated(config, f"reference/{SCHEMA_DOWNLOAD}",
                                abs_src_path=str(result_schema_path())))
    return files


def on_page_markdown(markdown: str, page, config, files) -> str:  # noqa: ANN001
    def replace(match: re.Match) -> str:
        name = match.group(1)
        if name not in GENERATORS:
            raise PluginError(f"{page.file.src_uri}: unknown generated block '{name}' "
                              f"(known: {', '.join(sorted(GENERATORS))})")
        try:
            return GENERATORS[name]()
        except Exception as exc:  # the build must stop and say which block failed
            raise PluginError(f"{page.file.src_uri}: generating '{name}' failed: {exc!r}") from exc

    return MARKER.sub(replace, markdown)


def on_page_content(html: str, page, config, files) -> str:  # noqa: ANN001
    """Docstrings write Sphinx roles (:class:`Target`); the rendered page shows just the name."""
    return SPHINX_ROLE.sub("", html)
