"""Workload and target registries, including extension through real entry points."""

import sys
import textwrap

import pytest

from tinybench.errors import TinybenchError, UnknownNameError
from tinybench.registry import Registry
from tinybench.targets import TARGETS, create_target
from tinybench.workloads import WORKLOADS, get_workload


def test_builtin_workloads_are_registered():
    assert set(WORKLOADS.names()) >= {"vww01", "kws01", "ic01", "ic02", "ad01"}
    for name in ("vww01", "kws01", "ic01", "ic02", "ad01"):
        w = get_workload(name)
        assert w.id == name
        assert w.reference.url.startswith("https://github.com/mlcommons/tiny/raw/")
        assert len(w.reference.sha256) == 64
        assert w.quality_target.minimum > 0


def test_unknown_names_list_the_choices():
    with pytest.raises(UnknownNameError, match="choose one of: .*kws01"):
        get_workload("kws99")
    with pytest.raises(UnknownNameError, match="unknown target 'mcu'.*host"):
        create_target("mcu")


@pytest.fixture
def plugin_on_path(tmp_path, monkeypatch):
    """A real installed-distribution layout (dist-info + module) on sys.path."""
    (tmp_path / "acme_plugin.py").write_text(textwrap.dedent("""
        from tinybench.workloads.kws01 import WORKLOAD as _KWS
        import dataclasses
        WORKLOAD = dataclasses.replace(_KWS, id="acme01", title="ACME keyword spotting")
        BROKEN = None
    """))
    dist = tmp_path / "acme_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(textwrap.dedent("""
        [tinybench.test_workloads]
        acme01 = acme_plugin:WORKLOAD
        kws01 = acme_plugin:WORKLOAD
        broken = acme_plugin_missing:WORKLOAD
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield
    sys.modules.pop("acme_plugin", None)


def test_entry_points_extend_a_registry(plugin_on_path):
    registry = Registry("workload", "tinybench.test_workloads", {"kws01": "tinybench.workloads.kws01:WORKLOAD"})
    with pytest.warns(UserWarning, match="'kws01' from acme-plugin is ignored"):
        regs = registry.registrations()
    assert regs["acme01"].origin == "acme-plugin"
    assert registry.get("acme01").title == "ACME keyword spotting"
    # a plugin cannot take over a built-in name
    assert regs["kws01"].origin == "builtin"
    assert registry.get("kws01").id == "kws01"


def test_broken_plugin_is_a_clear_error(plugin_on_path):
    registry = Registry("workload", "tinybench.test_workloads", {})
    with pytest.raises(TinybenchError, match="cannot load workload 'broken'.*acme-plugin"):
        registry.get("broken")


def test_host_target_is_builtin():
    assert TARGETS.registrations()["host"].origin == "builtin"
