"""Markdown renderer: a report ready to paste into a support ticket."""

from __future__ import annotations

from relaycheck.checks._util import error_text, excerpt
from relaycheck.errorclass import classify
from relaycheck.report import Finding, Report, TargetReport, failing, plan_line, request_ids

_ICON = {"pass": "✅ pass", "warn": "⚠️ warn", "fail": "❌ fail", "inconclusive": "❔ inconclusive", "skip": "⏭ skip"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _fence(text: str) -> str:
    fence = "```"
    while fence in text:
        fence += "`"
    return f"{fence}\n{text}\n{fence}"


def _ticket(target: TargetReport, finding: Finding) -> list[str]:
    lines = [f"#### `{finding.id}` · {finding.model or 'all models'} · {finding.status.upper()} ({finding.severity})", ""]
    if finding.expected:
        lines += [f"- Expected: {finding.expected['en']}", f"- Observed: {finding.summary}", ""]
    else:
        lines += [finding.summary, ""]
    for xid in finding.evidence:
        ex = target.exchange(xid)
        if ex is None:
            continue
        lines.append(f"- **{xid}** `{ex.method} {ex.url}`")
        lines.append(f"  - Time (UTC): {ex.timings.started_at}")
        lines.append(f"  - Status: {ex.status if ex.status is not None else 'no response'}" + (f" ({ex.error_kind}: {ex.error})" if ex.error else ""))
        ids = request_ids(ex)
        lines.append(f"  - Request ids: {', '.join(ids) if ids else 'none returned'}")
        if ex.status is not None and (ex.status >= 300 or not ex.ok or (isinstance(ex.json, dict) and ex.json.get("error"))):
            raw = excerpt(ex.body, 600) if ex.body else "(empty body)"
            lines.append("  - Raw error text:")
            lines.append("")
            lines += ["    " + line for line in _fence(raw).splitlines()]
            message = error_text(ex)
            if message and message != raw:
                lines.append(f"  - Error message: {excerpt(message, 300)}")
        info = classify(ex)
        if info is not None:
            detail = ", ".join(p for p in (f"{info.dialect} dialect", f"code {info.code}" if info.code else "", f"type {info.type}" if info.type and not info.code else "") if p)
            lines.append(f"  - Classified as: {info.label} ({detail})")
    lines.append("")
    return lines


def render(report: Report, **_: object) -> str:
    """The whole report as Markdown: header, a table per target, then ticket-ready failure details."""
    out = [
        "# relaycheck report",
        "",
        f"- Tool: relaycheck {report.tool_version}",
        f"- Run (UTC): {report.started_at} → {report.finished_at}",
        f"- Profile: {report.profile} · fail on: {report.fail_on}",
        "",
    ]
    blocking = failing(report)
    for target in report.targets:
        counts = target.counts()
        out += [
            f"## Target `{target.name}`",
            "",
            "| | |",
            "|---|---|",
            f"| Base URL | `{target.base_url}` |",
        ]
        if target.effective_base_url != target.base_url:
            out.append(f"| Working base URL | `{target.effective_base_url}` |")
        out += [
            f"| Key | `{target.key_id}` (masked) |",
            f"| Key sent as | {target.auth} |",
            f"| Models | {', '.join(f'`{m}`' for m in target.models)} |",
            f"| Plan ceiling | {plan_line(target)} |",
            *(f"| Fingerprint | {_cell(line)} |" for line in target.fingerprint),
            f"| Result | {', '.join(f'{n} {s}' for s, n in counts.items() if n)} |",
            "",
            "| Check | Model | Status | Severity | Summary |",
            "|---|---|---|---|---|",
        ]
        for c in target.checks:
            out.append(f"| `{c.id}` | {c.model or '—'} | {_ICON[c.status]} | {c.severity} | {_cell(c.summary)} |")
        out.append("")
        problems = [c for c in target.checks if c.status in ("fail", "warn")]
        if problems:
            out += ["### Details for support", ""]
            for c in problems:
                out += _ticket(target, c)
    verdict = f"{len(blocking)} failing check(s) at or above {report.fail_on}" if blocking else f"no failing check at or above {report.fail_on}"
    out += ["---", f"Result: {verdict}.", ""]
    return "\n".join(out)
