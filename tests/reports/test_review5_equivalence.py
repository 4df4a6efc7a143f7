"""Review of the faster site build: the fast paths give what the code they replaced gave (held; kept as tests)."""

from __future__ import annotations

import math

import pytest
from jinja2 import Environment

from tinybench.reports import cache_json
from tinybench.reports.site_pages import _PageEnvironment, page_path
from tinybench.reports.system_pages import rows_html

_OLD_ROWS = """{% for r in runs %}<tr><td data-value="{{ r.run_id }}"><a href="../runs/{{ r.run_id }}.html">{{ r.run_id }}\
</a></td><td data-value="{{ r.created }}">{{ r.created }}</td><td data-value="{{ r.workload }}">{{ r.workload }}</td>\
<td data-value="{{ r.model }}">{{ r.model }}</td>
<td class="num" data-value="{{ '' if r.latency is none else r.latency }}">{{ r.latency_text }}</td><td class="num" \
data-value="{{ '' if r.energy is none else r.energy }}">{{ r.energy_text }}</td><td data-value="{{ r.accuracy_text }}">\
{{ r.accuracy_text }}</td><td data-value="{{ r.valid }}">{{ r.valid }}</td></tr>
{% endfor %}"""  # the system page's loop before rows_html


def test_rows_html_is_the_template_loop_it_replaced_for_hostile_strings_and_odd_numbers():
    hostile = "<script>alert(\"x\")</script>'&\u2028\x00{{7*7}}"
    rows = [dict(run_id=hostile, created=hostile, workload=hostile, model=hostile, latency=latency,
                 latency_text=hostile, energy=energy, energy_text=hostile, accuracy_text=hostile, valid=hostile)
            for latency, energy in [(None, None), (0.1, 1), (True, -0.0), (1e300, 10**25), (math.nan, math.inf)]]
    html = str(rows_html(rows))
    assert Environment(autoescape=True).from_string(_OLD_ROWS).render(runs=rows) == html
    assert "<script>" not in html


def test_page_environment_looks_up_dict_attributes_as_jinja_does():
    plain, fast = Environment(autoescape=True), _PageEnvironment(autoescape=True)
    names = [*dir(dict), "x", "missing", "__dict__", "mro", "__name__"]

    class Sub(dict):
        pass

    for data in ({n: "key" for n in names}, {}, Sub({n: "key" for n in names}), Sub()):
        for name in names:
            want, got = plain.getattr(data, name), fast.getattr(data, name)
            assert type(want) is type(got), name
            assert callable(want) or repr(want) == repr(got), name
    template = "{{ d.items is callable }}|{{ d.x }}|{{ d.nope is defined }}|{{ d.get is callable }}|{{ d['items'] }}"
    data = {"items": 1, "x": 2, "get": 3}
    assert fast.from_string(template).render(d=data) == plain.from_string(template).render(d=data) == "True|2|False|True|1"


def test_cache_json_keeps_what_a_verified_result_can_hold():
    values = [2**64 - 1, 2**64, -(2**63), -(2**63) - 1, 10**29, -(10**29), -0.0, 1e300, -1e300, 5e-324, 1.0, 1e16,
              True, None, "\u2028\u2029\x00", "y" * 2000, "\U0001F600", {"items": 1, "keys": [1], "get": "x"}]
    for value in values + [values]:
        back = cache_json.loads(cache_json.dumps(value))
        assert repr(back) == repr(value) and type(back) is type(value)
        assert cache_json.loads(cache_json.dumps(value).encode()) == value


def test_page_path_refuses_a_name_with_a_trailing_newline(tmp_path):
    assert page_path(tmp_path, "runs", "run-1").name == "run-1.html"
    with pytest.raises(ValueError, match="unsafe page name"):
        page_path(tmp_path, "runs", "run-1\n")
