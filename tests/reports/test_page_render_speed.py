"""The run page's cheaper paths write exactly what the plain ones did: the menu rendered once per build, and the
latency histogram with its bar positions and edge labels formatted once."""

from __future__ import annotations

import random

import pytest
from markupsafe import Markup, escape

from tinybench.reports import svg_charts
from tinybench.reports.site_pages import environment, with_nav


def _histogram_in_place(edges, counts, x_label, title):  # noqa: ANN001, ANN202 - the formula, number by number
    s = svg_charts
    plot_w, plot_h = s.WIDTH - s.PAD_L - s.PAD_R, s.HEIGHT - s.PAD_B - s.PAD_T
    top, bar_w = max(counts), plot_w / len(counts)
    base, width = s.HEIGHT - s.PAD_B, max(bar_w - 1, 0.5)
    parts = s._axes(x_label, "inferences")  # noqa: SLF001
    parts += [f'<rect x="{s.PAD_L + i * bar_w:.2f}" y="{base - plot_h * c / top:.2f}" width="{width:.2f}" '
              f'height="{plot_h * c / top:.2f}" class="bar"><title>{edges[i]:.4g}–{edges[i + 1]:.4g}: {c:d}</title></rect>'
              for i, c in enumerate(counts)]
    parts += s._ticks(edges[0], edges[-1], s.HEIGHT - s.PAD_B + 14, vertical=False)  # noqa: SLF001
    parts += s._ticks(0, top, 0, vertical=True)  # noqa: SLF001
    return s._svg(parts, title)  # noqa: SLF001


@pytest.mark.parametrize("seed", range(6))
def test_the_histogram_is_the_number_by_number_formula(seed):
    rnd = random.Random(seed)
    for _ in range(300):
        bars = rnd.randint(1, 80)
        scale = rnd.choice([1.0, 1e-9, 1e-3, 1e6, 1e12])
        edges = sorted(rnd.uniform(-5, 1e4) * scale for _ in range(bars + 1 + rnd.choice([0, 0, 3])))
        counts = [rnd.choice([0, 1, rnd.randint(0, 10 ** 7)]) for _ in range(bars)]
        if max(counts) == 0:
            counts[0] = 1
        assert svg_charts.histogram(edges, counts, "x <ms>", "t & u") == \
            _histogram_in_place(edges, counts, "x <ms>", "t & u")


def test_a_histogram_with_too_few_edges_still_fails_to_render():
    with pytest.raises(IndexError):
        svg_charts.histogram([0.0, 1.0], [1, 2], "x", "t")


@pytest.mark.parametrize("root", ["../", ""])
def test_the_menu_rendered_once_is_the_menu_each_page_rendered(root):
    context = {"root": root, "version": "9.9", "nav_workloads": ["kws01", "<vww01>", "a&b"], "generated": "",
               "standalone": False}
    template = environment().from_string('{% extends "base.html" %}{% block content %}x{% endblock %}')
    once = template.render(with_nav(context))
    assert once == template.render(context)  # base.html renders nav.html itself when no menu is given
    assert f'<a href="{root}leaderboard/{escape("<vww01>")}.html">' in once and "<vww01>" not in once
    assert isinstance(with_nav(context)["nav_html"], Markup)
