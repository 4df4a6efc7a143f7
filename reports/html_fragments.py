"""Run-page tables built in Python: the same markup the templates would write, much faster
(a site of 10,000 runs renders these loops 10,000 times). Every value is escaped here — text,
numbers and attribute values alike — so a mistyped field can never become markup."""

from __future__ import annotations

from markupsafe import Markup, escape


def _num(value: object, spec: str) -> str:
    """`value` formatted with `spec` if it is a number, else its escaped text."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return format(value, spec)
    return str(escape(value))


def _attr(value: object) -> str:
    if type(value) in (float, int):  # digits, '.', 'e', '+', '-', 'inf', 'nan': nothing to escape
        return repr(value)
    return str(escape(value))


def metrics(items: list[tuple[str, str, float]]) -> Markup:
    body = "".join(f'<dt>{escape(name)}</dt><dd data-value="{_attr(value)}">{escape(text)}</dd>'
                   for name, text, value in items)
    return Markup(f'<dl class="metrics">{body}</dl>') if items else Markup("")


def windows(rows: list[dict]) -> Markup:
    body = "".join(
        f'<tr><td>{_num(w["window"] + 1, "d")}</td><td>{escape(w.get("sample_id", ""))}</td>'
        f'<td class="num">{_num(w["iterations"], "d")}</td>'
        f'<td class="num" data-value="{_attr(w["elapsed_s"])}">{_num(w["elapsed_s"], ".4f")}</td>'
        f'<td class="num" data-value="{_attr(w["throughput_inf_s"])}">{_num(w["throughput_inf_s"], ".5g")}</td></tr>'
        for w in rows)
    return Markup('<table class="windows"><thead><tr><th>window</th><th>input</th><th>iterations</th><th>time (s)</th>'
                  f"<th>throughput (inf/s)</th></tr></thead><tbody>{body}</tbody></table>")


def phases(by_kind: dict[str, dict[str, float]]) -> Markup:
    body = "".join(f'<tr><td>{escape(kind)}</td><td>{escape(phase)}</td><td class="num" data-value="{_attr(value)}">'
                   f"{_num(value, '.4g')}</td></tr>" for kind, values in by_kind.items() for phase, value in values.items())
    return Markup('<table class="phases"><thead><tr><th>kind</th><th>phase</th><th>median (ms)</th></tr></thead>'
                  f"<tbody>{body}</tbody></table>")


def checks(items: list[dict]) -> Markup:
    body = "".join(f'<li class="{"ok" if c["passed"] is True else "bad"}">{"✓" if c["passed"] is True else "✗"} '
                   f'{escape(c["rule"])}: {escape(c["detail"])}</li>' for c in items)
    return Markup(f'<ul class="checks">{body}</ul>') if items else Markup("")
