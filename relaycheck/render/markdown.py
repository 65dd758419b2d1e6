"""Markdown renderer: a report ready to paste into a support ticket, in English or Chinese."""

from __future__ import annotations

from relaycheck import compare
from relaycheck.checks._util import error_text, excerpt
from relaycheck.errorclass import classify
from relaycheck.i18n import label, severity, status
from relaycheck.report import Finding, Report, TargetReport, failing, plan_line, reliability_line, request_ids

_ICON = {"pass": "✅", "warn": "⚠️", "fail": "❌", "inconclusive": "❔", "skip": "⏭"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _fence(text: str) -> str:
    fence = "```"
    while fence in text:
        fence += "`"
    return f"{fence}\n{text}\n{fence}"


def evidence_lines(target: TargetReport, xid: str, lang: str = "en") -> list[str]:
    """One exchange as the facts a support team asks for: time, status, request ids, raw error text."""
    ex = target.exchange(xid)
    if ex is None:
        return []
    lines = [f"- **{xid}** `{ex.method} {ex.url}`", f"  - {label('time_utc', lang)}: {ex.timings.started_at}"]
    code = ex.status if ex.status is not None else label("no_response", lang)
    lines.append(f"  - {label('http_status', lang)}: {code}" + (f" ({ex.error_kind}: {ex.error})" if ex.error else ""))
    ids = request_ids(ex)
    lines.append(f"  - {label('request_ids', lang)}: {', '.join(ids) if ids else label('none_returned', lang)}")
    if ex.status is not None and (ex.status >= 300 or not ex.ok or (isinstance(ex.json, dict) and ex.json.get("error"))):
        raw = excerpt(ex.body, 600) if ex.body else label("empty_body", lang)
        lines += [f"  - {label('raw_error', lang)}:", ""]
        lines += ["    " + line for line in _fence(raw).splitlines()]
        message = error_text(ex)
        if message and message != raw:
            lines.append(f"  - {label('error_message', lang)}: {excerpt(message, 300)}")
    info = classify(ex)
    if info is not None:
        detail = ", ".join(p for p in (f"{info.dialect} dialect", f"code {info.code}" if info.code else "", f"type {info.type}" if info.type and not info.code else "") if p)
        lines.append(f"  - {label('classified', lang)}: {info.label} ({detail})")
    return lines


def _ticket(target: TargetReport, finding: Finding, lang: str) -> list[str]:
    model = finding.model or label("all_models", lang)
    lines = [f"#### `{finding.id}` · {finding.text('title', lang)}", "",
             f"{model} · **{status(finding.status, lang)}** ({label('severity', lang)}: {severity(finding.severity, lang)})", ""]
    expected = finding.text("expected", lang)
    if expected:
        lines += [f"- {label('expected', lang)}: {expected}", f"- {label('observed', lang)}: {finding.summary}"]
    else:
        lines.append(f"- {label('observed', lang)}: {finding.summary}")
    for name, key in (("rationale", "why"), ("remediation", "what_to_do")):
        value = finding.text(name, lang)
        if value:
            lines.append(f"- {label(key, lang)}: {value}")
    lines.append("")
    for xid in finding.evidence:
        lines += evidence_lines(target, xid, lang)
    lines.append("")
    return lines


def _target(target: TargetReport, lang: str) -> list[str]:
    counts = target.counts()
    out = [f"## {label('target', lang)} `{target.name}`", "", "| | |", "|---|---|", f"| {label('base_url', lang)} | `{target.base_url}` |"]
    if target.effective_base_url != target.base_url:
        out.append(f"| {label('works_at', lang)} | `{target.effective_base_url}` |")
    out += [
        f"| {label('key', lang)} | `{target.key_id}` ({label('masked', lang)}) |",
        f"| {label('key_sent_as', lang)} | {target.auth} |",
        f"| {label('models', lang)} | {', '.join(f'`{m}`' for m in target.models)} |",
        f"| {label('plan', lang)} | {plan_line(target, lang)} |",
        *(f"| {label('fingerprint', lang)} | {_cell(line)} |" for line in target.fingerprint),
        *(f"| {label('reliability', lang)} | {_cell(line)} |" for line in [reliability_line(target)] if line),
        f"| {label('result', lang)} | {', '.join(f'{n} {status(s, lang)}' for s, n in counts.items() if n)} |",
        "",
        f"| {label('check', lang)} | {label('model', lang)} | {label('status', lang)} | {label('severity', lang)} | {label('summary', lang)} |",
        "|---|---|---|---|---|",
    ]
    for c in target.checks:
        out.append(f"| `{c.id}` {_cell(c.text('title', lang) or '')} | {c.model or '—'} | {_ICON[c.status]} {status(c.status, lang)} | "
                   f"{severity(c.severity, lang)} | {_cell(c.summary)} |")
    out.append("")
    problems = [c for c in target.checks if c.status in ("fail", "warn")]
    if problems:
        out += [f"### {label('details', lang)}", ""]
        for c in problems:
            out += _ticket(target, c, lang)
    return out


def comparison(report: Report, lang: str) -> list[str]:
    """The several-targets table, or nothing for a single target."""
    table = compare.rows(report)
    if not table:
        return []
    head = (label("target", lang), label("passed", lang), label("failures", lang), f"{label('ttft', lang)} (ms)",
            label("tokens_per_s", lang), label("price_multiplier", lang))
    out = [f"## {label('comparison', lang)}", "", "| " + " | ".join(head) + " |", "|---|---|---|---|---|---|"]
    for r in table:
        out.append(f"| `{_cell(r.name)}` | {r.passed}/{r.judged} | {r.failures} | {compare.cell(r.ttft_ms, fmt='{:.0f}')} | "
                   f"{compare.cell(r.tokens_per_s, fmt='{:.0f}')} | {compare.cell(r.price_multiplier, '×', '{:.2f}')} |")
    return out + [""]


def render(report: Report, lang: str = "en", **_: object) -> str:
    """The whole report as Markdown: header, a table and ticket-ready details per target, then the comparison."""
    out = [
        f"# {label('report_title', lang)}",
        "",
        f"- {label('tool', lang)}: relaycheck {report.tool_version}",
        f"- {label('run_utc', lang)}: {report.started_at} → {report.finished_at}",
        f"- {label('profile', lang)}: {report.profile} · {label('fail_on', lang)}: {severity(report.fail_on, lang)}",
        "",
    ]
    for target in report.targets:
        out += _target(target, lang)
    out += comparison(report, lang)
    blocking = failing(report)
    floor = severity(report.fail_on, lang)
    verdict = label("verdict_fail", lang, n=len(blocking), floor=floor) if blocking else label("verdict_ok", lang, floor=floor)
    out += ["---", f"{label('result', lang)}: {verdict}.", ""]
    return "\n".join(out)
