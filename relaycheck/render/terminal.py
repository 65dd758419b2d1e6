"""Terminal renderer: a rich table per target, rendered to a string."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table
from rich.text import Text

from relaycheck.report import Report, failing, plan_line

_STYLE = {"pass": "green", "warn": "yellow", "fail": "bold red", "inconclusive": "magenta", "skip": "dim"}


def render(report: Report, color: bool = False, width: int = 120, **_: object) -> str:
    """Tables of verdicts with a header per target and a closing line; ANSI colour when `color`."""
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=color, no_color=not color, width=width, highlight=False, soft_wrap=False)
    for target in report.targets:
        console.print(Text(f"relaycheck {report.tool_version} · {target.name}", style="bold"))
        console.print(f"  base URL   {target.base_url}", markup=False)
        if target.effective_base_url != target.base_url:
            console.print(f"  works at   {target.effective_base_url}", markup=False)
        console.print(f"  key        {target.key_id} (sent as {target.auth})", markup=False)
        console.print(f"  models     {', '.join(target.models)}", markup=False)
        console.print(f"  plan       {plan_line(target)}", markup=False)
        for line in target.fingerprint:
            console.print(f"  relay      {line}", markup=False)
        table = Table(show_lines=False, expand=False)
        table.add_column("check", no_wrap=True)
        table.add_column("model", no_wrap=True)
        table.add_column("status", no_wrap=True)
        table.add_column("severity", no_wrap=True)
        table.add_column("summary", overflow="fold")
        for c in target.checks:
            table.add_row(c.id, c.model or "—", Text(c.status, style=_STYLE[c.status]), c.severity, Text(c.summary))
        console.print(table)
        counts = target.counts()
        console.print("  " + ", ".join(f"{n} {s}" for s, n in counts.items() if n), markup=False)
        console.print()
    blocking = failing(report)
    if blocking:
        console.print(Text(f"{len(blocking)} failing check(s) at or above {report.fail_on}", style="bold red"))
    else:
        console.print(Text(f"no failing check at or above {report.fail_on}", style="green"))
    return buffer.getvalue()
