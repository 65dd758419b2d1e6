"""Markdown renderer: a report ready to paste into a support ticket, in English or Chinese."""

from __future__ import annotations

import re

from relaycheck.report import compare
from relaycheck.core.i18n import label, severity, status
from relaycheck.render.evidence import evidence
from relaycheck.report.model import Finding, Report, TargetReport, failing, plan_line, reliability_line
from relaycheck.text.sanitize import visible

_ICON = {"pass": "✅", "warn": "⚠️", "fail": "❌", "inconclusive": "❔", "skip": "⏭"}
# Relay text is shown as text, never as Markdown or HTML: < > & become entities (no tag, comment or entity can
# start), and the characters that open emphasis, code, links, images, strikethrough, maths or table cells are
# backslash-escaped. Newlines become spaces, so no line of relay text can start a block (a fake table, a heading).
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# An underscore between two letters or digits opens nothing (finish_reason, req_demo1): it stays as it is.
_SPECIAL = re.compile(r"[\\`*\[\]|~$&<>]|(?<![^\W_])_|_(?![^\W_])")


def inline(value: str) -> str:
    """Relay-controlled text for a Markdown line or table cell: visible controls, no markup, one line."""
    value = visible(value.replace("\r\n", "\n"), lines=True).replace("\n", " ")
    return _SPECIAL.sub(lambda m: _ENTITIES.get(m.group(), "\\" + m.group()), value)


def unescaped(markdown: str) -> str:
    """The text with our escapes undone, for the final secret scan: a backslash inside a key must not hide it."""
    text = re.sub(r"\\([\\`*_\[\]|~$])", r"\1", markdown)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def code(value: str, cell: bool = False) -> str:
    """`value` as an inline code span with enough backticks that nothing inside can close it (`cell`: in a table)."""
    value = visible(value, lines=False)
    run = max((len(r) for r in re.findall("`+", value)), default=0)
    ticks = "`" * (run + 1)
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    span = f"{ticks}{pad}{value}{pad}{ticks}"
    return span.replace("|", "\\|") if cell else span  # GFM splits cells at | even inside code spans


def _cell(value: str) -> str:
    """Our own text (catalogue titles) in a table cell."""
    return value.replace("|", "\\|").replace("\n", " ")


def _fence(text: str) -> str:
    fence = "```"
    while fence in text:
        fence += "`"
    return f"{fence}\n{text}\n{fence}"


def evidence_lines(target: TargetReport, xid: str, lang: str = "en") -> list[str]:
    """One exchange's support facts (relaycheck.render.evidence) as Markdown list lines, relay text escaped."""
    found = evidence(target, xid, lang)
    if found is None:
        return []
    colon = label("colon", lang)
    lines = [f"- **{xid}** {code(found.request)}"]
    for fact in found.facts:
        if fact.block:
            lines += [f"  - {fact.label}{colon.rstrip()}", ""]
            # Inside a fence long enough that the body cannot close it, the raw text is shown as it came (controls visible).
            lines += ["    " + line for line in _fence(visible(fact.value)).split("\n")]
        else:
            lines.append(f"  - {fact.label}{colon}{inline(fact.value)}")
    return lines


def _ticket(target: TargetReport, finding: Finding, lang: str) -> list[str]:
    model = inline(finding.model) if finding.model else label("all_models", lang)
    lines = [f"#### `{finding.id}` · {finding.text('title', lang)}", "",
             f"{model} · **{status(finding.status, lang)}** " + label("parens", lang, text=f"{label('severity', lang)}{label('colon', lang)}{severity(finding.severity, lang)}"), ""]
    expected = finding.text("expected", lang)
    if expected:
        lines += [f"- {label('expected', lang)}{label('colon', lang)}{expected}", f"- {label('observed', lang)}{label('colon', lang)}{inline(finding.summary)}"]
    else:
        lines.append(f"- {label('observed', lang)}{label('colon', lang)}{inline(finding.summary)}")
    for name, key in (("rationale", "why"), ("remediation", "what_to_do")):
        value = finding.text(name, lang)
        if value:
            lines.append(f"- {label(key, lang)}{label('colon', lang)}{value}")
    lines.append("")
    for xid in finding.evidence:
        lines += evidence_lines(target, xid, lang)
    lines.append("")
    return lines


def _target(target: TargetReport, lang: str) -> list[str]:
    counts = target.counts()
    out = [f"## {label('target', lang)} {code(target.name)}", "", "| | |", "|---|---|",
           f"| {label('base_url', lang)} | {code(target.base_url, cell=True)} |"]
    if target.effective_base_url != target.base_url:
        out.append(f"| {label('works_at', lang)} | {code(target.effective_base_url, cell=True)} |")
    out += [
        f"| {label('key', lang)} | {code(target.key_id, cell=True)} ({label('masked', lang)}) |",
        f"| {label('key_sent_as', lang)} | {inline(target.auth)} |",
        f"| {label('protocol', lang)} | {inline(target.protocol_line)} |",
        f"| {label('models', lang)} | {', '.join(code(m, cell=True) for m in target.models)} |",
        f"| {label('plan', lang)} | {inline(plan_line(target, lang))} |",
        *(f"| {label('fingerprint', lang)} | {inline(line)} |" for line in target.fingerprint),
        *(f"| {label('reliability', lang)} | {inline(line)} |" for line in [reliability_line(target)] if line),
        f"| {label('result', lang)} | {label('list_sep', lang).join(f'{n} {status(s, lang)}' for s, n in counts.items() if n)} |",
        "",
        f"| {label('check', lang)} | {label('model', lang)} | {label('status', lang)} | {label('severity', lang)} | {label('summary', lang)} |",
        "|---|---|---|---|---|",
    ]
    for c in target.checks:
        out.append(f"| `{c.id}` {_cell(c.text('title', lang) or '')} | {inline(c.model) if c.model else '—'} | {_ICON[c.status]} {status(c.status, lang)} | "
                   f"{severity(c.severity, lang)} | {inline(c.summary)} |")
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
        out.append(f"| {code(r.name, cell=True)} | {r.passed}/{r.judged} | {r.failures} | {compare.cell(r.ttft_ms, fmt='{:.0f}')} | "
                   f"{compare.cell(r.tokens_per_s, fmt='{:.0f}')} | {compare.cell(r.price_multiplier, '×', '{:.2f}')} |")
    return out + [""]


def render(report: Report, lang: str = "en", **_: object) -> str:
    """The whole report as Markdown: header, a table and ticket-ready details per target, then the comparison."""
    out = [
        f"# {label('report_title', lang)}",
        "",
        f"- {label('tool', lang)}{label('colon', lang)}relaycheck {inline(report.tool_version)}",
        f"- {label('run_utc', lang)}{label('colon', lang)}{inline(report.started_at)} → {inline(report.finished_at)}",
        f"- {label('profile', lang)}{label('colon', lang)}{inline(report.profile)} · {label('fail_on', lang)}{label('colon', lang)}{severity(report.fail_on, lang)}",
        "",
    ]
    for target in report.targets:
        out += _target(target, lang)
    out += comparison(report, lang)
    blocking = failing(report)
    floor = severity(report.fail_on, lang)
    verdict = label("verdict_fail", lang, n=len(blocking), floor=floor) if blocking else label("verdict_ok", lang, floor=floor)
    out += ["---", f"{label('result', lang)}{label('colon', lang)}{verdict}{label('full_stop', lang)}", ""]
    return visible("\n".join(out))  # a last pass: no control character of any field reaches the ticket raw
