"""Charts as inline SVG strings (no scripts, no external assets). Every text is escaped here."""

from __future__ import annotations

from functools import lru_cache

from markupsafe import Markup, escape

WIDTH, HEIGHT, PAD_L, PAD_B, PAD_T, PAD_R = 560, 220, 64, 34, 12, 16


def tick_label(value: float) -> str:
    if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-3):
        return f"{value:.2e}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _axes(x_label: str, y_label: str) -> list[str]:
    x0, y0 = PAD_L, HEIGHT - PAD_B
    return [
        f'<line x1="{x0}" y1="{PAD_T}" x2="{x0}" y2="{y0}" class="axis"/>',
        f'<line x1="{x0}" y1="{y0}" x2="{WIDTH - PAD_R}" y2="{y0}" class="axis"/>',
        f'<text x="{(x0 + WIDTH - PAD_R) / 2}" y="{HEIGHT - 4}" class="label" text-anchor="middle">{escape(x_label)}</text>',
        f'<text x="12" y="{(PAD_T + y0) / 2}" class="label" text-anchor="middle" '
        f'transform="rotate(-90 12 {(PAD_T + y0) / 2})">{escape(y_label)}</text>',
    ]


def _scale(values: list[float], size: float, offset: float, invert: bool = False):  # noqa: ANN202
    low, high = min(values), max(values)
    span = (high - low) or max(abs(high), 1e-12)

    def f(v: float) -> float:
        t = (v - low) / span
        return offset + (1 - t) * size if invert else offset + t * size

    return f, low, low + span


def _ticks(low: float, high: float, at: float, vertical: bool) -> list[str]:
    out = []
    for i, value in enumerate((low, (low + high) / 2, high)):
        label = escape(tick_label(value))
        if vertical:
            y = HEIGHT - PAD_B - i * (HEIGHT - PAD_B - PAD_T) / 2
            out.append(f'<text x="{PAD_L - 4}" y="{y + 4:.1f}" class="tick" text-anchor="end">{label}</text>')
        else:
            x = PAD_L + i * (WIDTH - PAD_L - PAD_R) / 2
            out.append(f'<text x="{x:.1f}" y="{at}" class="tick" text-anchor="middle">{label}</text>')
    return out


def _svg(parts: list[str], title: str) -> Markup:
    body = "".join(parts)
    return Markup(f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">'
                  f"<title>{escape(title)}</title>{body}</svg>")


@lru_cache(maxsize=16)
def _bar_xs(bars: int) -> tuple[str, ...]:
    """The x of each of `bars` histogram bars, as histogram() writes it."""
    bar_w = (WIDTH - PAD_L - PAD_R) / bars
    return tuple("%.2f" % (PAD_L + i * bar_w) for i in range(bars))


def histogram(edges: list[float], counts: list[int], x_label: str, title: str) -> Markup:
    if not counts or max(counts) == 0:
        return Markup("")
    plot_w, plot_h = WIDTH - PAD_L - PAD_R, HEIGHT - PAD_B - PAD_T
    top = max(counts)
    bar_w = plot_w / len(counts)
    parts = _axes(x_label, "inferences")
    base, width = HEIGHT - PAD_B, max(bar_w - 1, 0.5)
    # numbers only (no text from a bundle), so no escaping is needed: this runs for every run page (%-formatting:
    # a third cheaper than f-strings here)
    # x positions depend on the number of bars only, and each edge is formatted once (it ends one bar and starts the
    # next): the same text as formatting each number in place
    bar = f'<rect x="%s" y="%.2f" width="{width:.2f}" height="%.2f" class="bar"><title>%s–%s: %d</title></rect>'
    xs, labels = _bar_xs(len(counts)), ["%.4g" % edge for edge in edges[:len(counts) + 1]]
    parts.extend(bar % (xs[i], base - height, height, labels[i], labels[i + 1], c)
                 for i, c in enumerate(counts) for height in (plot_h * c / top,))
    parts += _ticks(edges[0], edges[-1], HEIGHT - PAD_B + 14, vertical=False)
    parts += _ticks(0, top, 0, vertical=True)
    return _svg(parts, title)


def line(xs: list[float], ys: list[float], x_label: str, y_label: str, title: str,
         marks: tuple[float | None, float | None] = (None, None)) -> Markup:
    if len(xs) < 2:
        return Markup("")
    fx, x_lo, x_hi = _scale(xs, WIDTH - PAD_L - PAD_R, PAD_L)
    fy, y_lo, y_hi = _scale([0.0, *ys], HEIGHT - PAD_B - PAD_T, PAD_T, invert=True)
    points = " ".join(f"{fx(x):.1f},{fy(y):.1f}" for x, y in zip(xs, ys))
    parts = _axes(x_label, y_label) + [f'<polyline points="{points}" class="trace"/>']
    for mark in marks:
        if mark is not None:
            parts.append(f'<line x1="{fx(mark):.1f}" y1="{PAD_T}" x2="{fx(mark):.1f}" y2="{HEIGHT - PAD_B}" class="event"/>')
    parts += _ticks(x_lo, x_hi, HEIGHT - PAD_B + 14, vertical=False) + _ticks(y_lo, y_hi, 0, vertical=True)
    return _svg(parts, title)


def scatter(points: list[tuple[float, float, str]], x_label: str, y_label: str, title: str,
            target: float | None = None) -> Markup:
    """(x, y, label) points; an optional horizontal line at the quality target."""
    if not points:
        return Markup("")
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    fx, x_lo, x_hi = _scale(xs if len(set(xs)) > 1 else [xs[0] * 0.9, xs[0] * 1.1 or 1], WIDTH - PAD_L - PAD_R, PAD_L)
    y_values = ys + ([target] if target is not None else [])
    fy, y_lo, y_hi = _scale(y_values if len(set(y_values)) > 1 else [ys[0] - 0.05, ys[0] + 0.05],
                            HEIGHT - PAD_B - PAD_T, PAD_T, invert=True)
    parts = _axes(x_label, y_label)
    if target is not None:
        parts.append(f'<line x1="{PAD_L}" y1="{fy(target):.1f}" x2="{WIDTH - PAD_R}" y2="{fy(target):.1f}" '
                     f'class="target"><title>quality target {target:g}</title></line>')
    for x, y, label in points:
        parts.append(f'<circle cx="{fx(x):.1f}" cy="{fy(y):.1f}" r="4" class="point">'
                     f"<title>{escape(label)}: {x:.4g}, {y:.4g}</title></circle>")
    parts += _ticks(x_lo, x_hi, HEIGHT - PAD_B + 14, vertical=False) + _ticks(y_lo, y_hi, 0, vertical=True)
    return _svg(parts, title)
