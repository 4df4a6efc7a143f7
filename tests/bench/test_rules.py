"""Rules profiles and when a custom profile stays valid for submission."""

import pytest

from tinybench.errors import TinybenchError
from tinybench.rules import MLPERF_TINY, QUICK, RuleCheck, all_passed, resolve_profile


def test_default_profile_is_the_mlperf_tiny_rule():
    p = resolve_profile(quick=False)
    assert p is MLPERF_TINY
    assert (p.windows, p.min_window_s, p.submission) == (5, 10.0, True)


def test_quick_is_never_valid_for_submission():
    assert resolve_profile(quick=True) is QUICK
    assert not QUICK.submission
    assert not resolve_profile(quick=True, windows=5, min_window_s=20.0).submission


@pytest.mark.parametrize(("windows", "min_s", "valid"), [(5, 10.0, True), (7, 12.0, True), (4, 10.0, False),
                                                         (5, 9.9, False)])
def test_custom_profile_valid_only_if_at_least_as_strict(windows, min_s, valid):
    p = resolve_profile(quick=False, windows=windows, min_window_s=min_s)
    assert p.name == "custom"
    assert p.submission is valid


@pytest.mark.parametrize(("windows", "min_s"), [(0, 10.0), (5, 0.0), (5, -1.0)])
def test_nonsense_overrides_are_errors(windows, min_s):
    with pytest.raises(TinybenchError):
        resolve_profile(quick=False, windows=windows, min_window_s=min_s)


def test_all_passed_needs_at_least_one_check():
    assert not all_passed([])
    assert all_passed([RuleCheck("a", True, "")])
    assert not all_passed([RuleCheck("a", True, ""), RuleCheck("b", False, "")])
