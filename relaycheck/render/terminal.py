"""Terminal renderer: a rich table per target (and a comparison of several), rendered to a string."""

from __future__ import annotations

import io

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from relaycheck.report import compare
from relaycheck.core.i18n import label, severity, status
from relaycheck.report.model import Report, TargetReport, failing, plan_line, reliability_line
from relaycheck.text.sanitize import visible

_STYLE = {"pass": "green", "warn": "yellow", "fail": "bold red", "inconclusive": "magenta", "skip": "dim"}


def _t(value: str, style: str = "", lines: bool = True) -> Text:
    """Relay-controlled text as a rich Text: never parsed as markup, its control and bidi characters made visible."""
    return Text(visible(value, lines=lines), style=style)


def _target(console: Console, report: Report, target: TargetReport, lang: str) -> None:
    console.print(_t(f"relaycheck {report.tool_version} · {target.name}", "bold", lines=False))
    rows = [(label("base_url", lang), target.base_url)]
    if target.effective_base_url != target.base_url:
        rows.append((label("works_at", lang), target.effective_base_url))
    rows += [
        (label("key", lang), f"{target.key_id} ({label('masked', lang)})"),
        (label("key_sent_as", lang), target.auth),
        (label("protocol", lang), target.protocol_line),
        (label("models", lang), ", ".join(target.models)),
        (label("plan", lang), plan_line(target, lang)),
        *((label("fingerprint", lang), line) for line in target.fingerprint),
        *((label("reliability", lang), line) for line in [reliability_line(target)] if line),
    ]
    for name, value in rows:
        pad = " " * max(1, 14 - cell_len(name))  # CJK characters take two cells: pad by width, not length
        console.print(_t(f"  {name}{pad}{value}", lines=False))  # one line each: a relay cannot add a row
    table = Table(show_lines=False, expand=False)
    table.add_column(label("check", lang), no_wrap=True)
    table.add_column(label("model", lang), no_wrap=True)
    table.add_column(label("status", lang), no_wrap=True)
    table.add_column(label("severity", lang), no_wrap=True)
    table.add_column(label("summary", lang), overflow="fold")
    for c in target.checks:
        check = c.id if lang == "en" else f"{c.id}\n{c.text('title', lang)}"
        table.add_row(_t(check), _t(c.model or "—"), Text(status(c.status, lang), style=_STYLE[c.status]), severity(c.severity, lang), _t(c.summary))
    console.print(table)
    console.print("  " + label("list_sep", lang).join(f"{n} {status(s, lang)}" for s, n in target.counts().items() if n), markup=False)
    console.print()


def _comparison(console: Console, report: Report, lang: str) -> None:
    table_rows = compare.rows(report)
    if not table_rows:
        return
    table = Table(title=label("comparison", lang), expand=False)
    for head in (label("target", lang), label("passed", lang), label("failures", lang), f"{label('ttft', lang)} (ms)",
                 label("tokens_per_s", lang), label("price_multiplier", lang)):
        table.add_column(head, no_wrap=True)
    for r in table_rows:
        table.add_row(_t(r.name), f"{r.passed}/{r.judged}", Text(str(r.failures), style="bold red" if r.failures else "green"),
                      compare.cell(r.ttft_ms, fmt="{:.0f}"), compare.cell(r.tokens_per_s, fmt="{:.0f}"),
                      compare.cell(r.price_multiplier, "×", "{:.2f}"))
    console.print(table)
    console.print()


def render(report: Report, color: bool = False, width: int = 120, lang: str = "en", **_: object) -> str:
    """Tables of verdicts with a header per target, a comparison of several targets and a closing line."""
    buffer = io.StringIO()
    # No emoji codes either: a relay's ":skull:" stays text (relay strings go in as Text, never as markup).
    console = Console(file=buffer, force_terminal=color, no_color=not color, width=width, highlight=False, soft_wrap=False, emoji=False)
    for target in report.targets:
        _target(console, report, target, lang)
    _comparison(console, report, lang)
    blocking = failing(report)
    floor = severity(report.fail_on, lang)
    if blocking:
        console.print(Text(label("verdict_fail", lang, n=len(blocking), floor=floor) + ("：" if lang == "zh" else ":"), style="bold red"))
        several = len(report.targets) > 1
        for target, c in blocking:  # what to read first, without scrolling back through the tables
            where = f"{target.name} · " if several else ""
            model = f" ({c.model})" if c.model else ""
            line = Text("  ✗ ", style="bold red")
            line.append(_t(f"{where}{c.id}{model}: {c.summary}", lines=False))
            console.print(line)
    else:
        console.print(Text(label("verdict_ok", lang, floor=floor), style="green"))
    return buffer.getvalue()
