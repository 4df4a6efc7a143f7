"""Run-page tables built in Python: the same markup the templates would write, much faster
(a site of 10,000 runs renders these loops 10,000 times). Every text is escaped here."""

from __future__ import annotations

from markupsafe import Markup, escape


def metrics(items: list[tuple[str, str, float]]) -> Markup:
    body = "".join(f'<dt>{escape(name)}</dt><dd data-value="{value!r}">{escape(text)}</dd>'
                   for name, text, value in items)
    return Markup(f'<dl class="metrics">{body}</dl>') if items else Markup("")


def windows(rows: list[dict]) -> Markup:
    body = "".join(
        f'<tr><td>{w["window"] + 1}</td><td>{escape(w["sample_id"])}</td><td class="num">{w["iterations"]}</td>'
        f'<td class="num" data-value="{w["elapsed_s"]!r}">{w["elapsed_s"]:.4f}</td>'
        f'<td class="num" data-value="{w["throughput_inf_s"]!r}">{w["throughput_inf_s"]:.5g}</td></tr>'
        for w in rows)
    return Markup('<table class="windows"><thead><tr><th>window</th><th>input</th><th>iterations</th><th>time (s)</th>'
                  f"<th>throughput (inf/s)</th></tr></thead><tbody>{body}</tbody></table>")


def phases(by_kind: dict[str, dict[str, float]]) -> Markup:
    body = "".join(f'<tr><td>{escape(kind)}</td><td>{escape(phase)}</td><td class="num" data-value="{value!r}">'
                   f"{value:.4g}</td></tr>" for kind, values in by_kind.items() for phase, value in values.items())
    return Markup('<table class="phases"><thead><tr><th>kind</th><th>phase</th><th>median (ms)</th></tr></thead>'
                  f"<tbody>{body}</tbody></table>")


def checks(items: list[dict]) -> Markup:
    body = "".join(f'<li class="{"ok" if c["passed"] else "bad"}">{"✓" if c["passed"] else "✗"} '
                   f'{escape(c["rule"])}: {escape(c["detail"])}</li>' for c in items)
    return Markup(f'<ul class="checks">{body}</ul>') if items else Markup("")
