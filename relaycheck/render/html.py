"""HTML renderer: one self-contained page (inline CSS and SVG, no scripts, no external assets)."""

from __future__ import annotations

from html import escape

from relaycheck.report import compare
from relaycheck.core.i18n import label, severity, status
from relaycheck.render import svg
from relaycheck.render.evidence import evidence
from relaycheck.core.checklist import SEVERITIES
from relaycheck.report.model import Report, TargetReport, failing, plan_line, reliability_line
from relaycheck.text.sanitize import visible

OVERVIEW_FINDINGS = 5  # the worst findings per relay at the top of the page; every one is in the table below
BODY_SHOWN = 16 * 1024  # characters of each body shown inline; the JSON report and the bundle keep what was recorded
# The policy forbids every fetch: the page cannot reach the network even when opened from a mail client.
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC","PingFang SC",sans-serif;margin:24px;color:#1d232a;max-width:1100px}
h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #d0d7de;padding-bottom:4px;margin-top:32px}h3{font-size:15px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f3f5f7}code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
pre{background:#f6f8fa;padding:8px;overflow:auto;max-height:360px;white-space:pre-wrap;word-break:break-all}
.s-pass{color:#116329}.s-warn{color:#9a6700}.s-fail{color:#cf222e;font-weight:600}.s-inconclusive{color:#8250df}.s-skip{color:#6e7781}
.banner{padding:8px 12px;border-radius:6px;font-weight:600}.banner.bad{background:#ffebe9;color:#cf222e}.banner.good{background:#dafbe1;color:#116329}
svg{display:block;margin:6px 0;background:#fbfcfd;border:1px solid #eaeef2}
.axis{stroke:#57606a;stroke-width:1}.tick{stroke:#0969da;stroke-width:1}.first{stroke:#1a7f37;stroke-width:2}
.stall{fill:#cf222e;opacity:.35}.note{font-size:11px;fill:#57606a}.first-label{fill:#1a7f37}
.bar-total{fill:#b6d4fe}.bar-head{fill:#0969da}.bar-expected{fill:#8c959f}.bar-observed{fill:#0969da}.band{fill:#dafbe1}
details{margin:4px 0}summary{cursor:pointer}
.verdicts td:nth-child(2),.verdicts td:nth-child(3),.verdicts td:nth-child(4),.verdicts th{white-space:nowrap}
.evidence{margin:6px 0 10px}.evidence ul{margin:2px 0}.evidence pre{margin:2px 0}
#overview{border:1px solid #d0d7de;border-radius:6px;padding:4px 14px;margin:12px 0}#overview ul{padding-left:18px}#overview li{margin:4px 0}
"""


def _status(name: str, lang: str) -> str:
    return f'<span class="s-{name}">{escape(status(name, lang))}</span>'


def _verdicts(target: TargetReport, lang: str) -> str:
    head = "".join(f"<th>{escape(label(k, lang))}</th>" for k in ("check", "model", "status", "severity", "summary"))
    rows = []
    for c in target.checks:
        evidence = " ".join(f'<a href="#{escape(_anchor(target, x))}">{escape(x)}</a>' for x in c.evidence)
        rows.append(
            f'<tr class="verdict" data-status="{c.status}"><td><code>{escape(c.id)}</code><br>{escape(c.text("title", lang) or "")}</td>'
            f"<td>{escape(c.model or '—')}</td><td>{_status(c.status, lang)}</td><td>{escape(severity(c.severity, lang))}</td>"
            f"<td>{escape(c.summary)}<br><small>{evidence}</small></td></tr>"
        )
    return f'<table class="verdicts"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _anchor(target: TargetReport, xid: str) -> str:
    return f"{target.name}-{xid}".replace(" ", "_")


def _facts(target: TargetReport, xid: str, lang: str) -> str:
    """One exchange's support facts as a list (raw error text in a <pre>), linked to the exchange below."""
    found = evidence(target, xid, lang)
    if found is None:
        return ""
    colon = escape(label("colon", lang))
    items = "".join(f"<li>{escape(f.label)}{colon}<pre>{escape(f.value)}</pre></li>" if f.block else f"<li>{escape(f.label)}{colon}{escape(f.value)}</li>"
                    for f in found.facts)
    return (f'<div class="evidence"><a href="#{escape(_anchor(target, xid))}"><code>{escape(xid)}</code></a> '
            f"<code>{escape(found.request)}</code><ul>{items}</ul></div>")


def _details(target: TargetReport, lang: str) -> str:
    parts = []
    colon = escape(label("colon", lang))
    for c in (c for c in target.checks if c.status in ("fail", "warn")):
        items = [f"<li>{escape(label('expected', lang))}{colon}{escape(c.text('expected', lang) or '')}</li>" if c.expected else "",
                 f"<li>{escape(label('observed', lang))}{colon}{escape(c.summary)}</li>",
                 f"<li>{escape(label('why', lang))}{colon}{escape(c.text('rationale', lang) or '')}</li>",
                 f"<li>{escape(label('what_to_do', lang))}{colon}{escape(c.text('remediation', lang) or '')}</li>"]
        facts = "".join(_facts(target, xid, lang) for xid in c.evidence)
        parts.append(f'<div class="ticket"><h4><code>{escape(c.id)}</code> · {escape(c.model or label("all_models", lang))} · '
                     f"{_status(c.status, lang)}</h4><ul>{''.join(items)}</ul>{facts}</div>")
    return f'<h3>{escape(label("details", lang))}</h3>' + "".join(parts) if parts else ""


_RANK = {"fail": 0, "warn": 1}


def _overview(report: Report, lang: str) -> str:
    """What a reader needs in five seconds: per relay, its worst findings and what to do about each."""
    out = []
    for target in report.targets:
        worst = sorted((c for c in target.checks if c.status in _RANK),
                       key=lambda c: (_RANK[c.status], -SEVERITIES.index(c.severity) if c.severity in SEVERITIES else 0))[:OVERVIEW_FINDINGS]
        counts = label("list_sep", lang).join(f"{n} {_status(s, lang)}" for s, n in target.counts().items() if n)
        rows = "".join(f"<li>{_status(c.status, lang)} <b>{escape(c.text('title', lang) or c.id)}</b> "
                       + escape(label("parens", lang, text=f"{c.id}{' · ' + c.model if c.model else ''}{label('list_sep', lang)}{severity(c.severity, lang)}"))
                       + f"{escape(label('colon', lang))}{escape(c.summary)}"
                       f"<br><small>{escape(label('what_to_do', lang))}{escape(label('colon', lang))}{escape(c.text('remediation', lang) or '')}</small></li>"
                       for c in worst)
        out.append(f'<div class="overview-target"><h3>{escape(target.name)} · <code>{escape(target.base_url)}</code></h3><p>{counts}</p>'
                   + (f"<ul>{rows}</ul>" if rows else "") + "</div>")
    return f'<section id="overview">{"".join(out)}</section>'


def _pictures(target: TargetReport, lang: str) -> str:
    stall = next((c.metrics.get("threshold_ms") for c in target.checks if c.id == "long.no_stall" and "threshold_ms" in c.metrics), None)
    streams = [x for x in target.exchanges if x.events]
    out = []
    if streams:
        out.append(f'<h3>{escape(label("stream_timeline", lang))}</h3><div id="{escape(target.name)}-timelines" class="timelines">')
        for x in streams:
            out.append(f'<p><a href="#{escape(_anchor(target, x.id))}">{escape(x.id)}</a> {escape(x.probe)} · {escape(x.label)} · '
                       f"{escape(x.model or '')}</p>" + svg.timeline(x, stall, lang))
        out.append("</div>")
    bars = svg.latency(list(target.exchanges), lang)
    if bars:
        out.append(f'<h3>{escape(label("latency", lang))}</h3>' + bars)
    delta = next((c for c in target.checks if c.id == "billing.delta"), None)
    picture = svg.billing(delta.metrics, lang) if delta else ""
    if delta and picture:
        out.append(f'<h3>{escape(label("billing_delta", lang))}</h3>{picture}<p>{_status(delta.status, lang)} {escape(delta.summary)}</p>')
    return "".join(out)


def _headers(headers: tuple[tuple[str, str], ...]) -> str:
    return "\n".join(f"{k}: {v}" for k, v in headers)


def _shown(text: str | None) -> str:
    text = text or ""
    return text if len(text) <= BODY_SHOWN else text[:BODY_SHOWN] + f"\n… ({len(text) - BODY_SHOWN} more characters in the JSON report)"


def _exchanges(target: TargetReport, lang: str) -> str:
    items = []
    for x in target.exchanges:
        code = x.status if x.status is not None else label("no_response", lang)
        stream = "".join(e.raw for e in x.events[:200])
        response = _headers(x.response_headers) + "\n\n" + (_shown(stream) if x.events else _shown(x.body))
        items.append(
            f'<details class="exchange" id="{escape(_anchor(target, x.id))}"><summary><code>{escape(x.id)}</code> '
            f"{escape(x.method)} {escape(x.url)} → {escape(str(code))} · {escape(x.probe)} {escape(x.label)} · "
            f"{x.timings.end_ms or 0:.0f} ms · {escape(x.timings.started_at)}</summary>"
            f"<h4>{escape(label('request', lang))}</h4><pre>{escape(_headers(x.request_headers) + chr(10) * 2 + _shown(x.request_body))}</pre>"
            f"<h4>{escape(label('response', lang))}</h4><pre>{escape(response)}</pre>"
            + (f"<p>{escape(x.error_kind or '')}: {escape(x.error)}</p>" if x.error else "") + "</details>"
        )
    return f'<h3>{escape(label("exchanges", lang))}</h3>' + "".join(items)


def _target(target: TargetReport, lang: str) -> str:
    facts = [(label("base_url", lang), f"<code>{escape(target.base_url)}</code>")]
    if target.effective_base_url != target.base_url:
        facts.append((label("works_at", lang), f"<code>{escape(target.effective_base_url)}</code>"))
    facts += [(label("key", lang), f"<code>{escape(target.key_id)}</code> ({escape(label('masked', lang))})"),
              (label("key_sent_as", lang), escape(target.auth)), (label("protocol", lang), escape(target.protocol_line)),
              (label("models", lang), escape(", ".join(target.models))),
              (label("plan", lang), escape(plan_line(target, lang))),
              *((label("fingerprint", lang), escape(line)) for line in target.fingerprint),
              *((label("reliability", lang), escape(line)) for line in [reliability_line(target)] if line),
              (label("result", lang), label("list_sep", lang).join(f"{n} {_status(s, lang)}" for s, n in target.counts().items() if n))]
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{v}</td></tr>" for k, v in facts)
    return (f'<section class="target" data-target="{escape(target.name)}"><h2>{escape(label("target", lang))} {escape(target.name)}</h2>'
            f"<table>{rows}</table>{_verdicts(target, lang)}{_details(target, lang)}{_pictures(target, lang)}{_exchanges(target, lang)}</section>")


def _comparison(report: Report, lang: str) -> str:
    rows = compare.rows(report)
    if not rows:
        return ""
    head = "".join(f"<th>{escape(h)}</th>" for h in (label("target", lang), label("passed", lang), label("failures", lang),
                                                     f"{label('ttft', lang)} (ms)", label("tokens_per_s", lang), label("price_multiplier", lang)))
    body = "".join(f"<tr><td>{escape(r.name)}</td><td>{r.passed}/{r.judged}</td><td>{r.failures}</td><td>{compare.cell(r.ttft_ms, fmt='{:.0f}')}</td>"
                   f"<td>{compare.cell(r.tokens_per_s, fmt='{:.0f}')}</td><td>{compare.cell(r.price_multiplier, '×', '{:.2f}')}</td></tr>" for r in rows)
    return f'<section id="comparison"><h2>{escape(label("comparison", lang))}</h2><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></section>'


def render(report: Report, lang: str = "en", **_: object) -> str:
    """The whole report as one HTML document."""
    blocking = failing(report)
    floor = severity(report.fail_on, lang)
    verdict = label("verdict_fail", lang, n=len(blocking), floor=floor) if blocking else label("verdict_ok", lang, floor=floor)
    header = (f"<p>{escape(label('tool', lang))}{escape(label('colon', lang))}relaycheck {escape(report.tool_version)} · {escape(label('run_utc', lang))}{escape(label('colon', lang))}"
              f"{escape(report.started_at)} → {escape(report.finished_at)} · {escape(label('profile', lang))}{escape(label('colon', lang))}{escape(report.profile)}</p>")
    page = (
        f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}"><meta name="viewport" content="width=device-width">'
        f"<title>{escape(label('report_title', lang))}</title><style>{_CSS}</style></head><body>"
        f"<h1>{escape(label('report_title', lang))}</h1>{header}"
        f'<p class="banner {"bad" if blocking else "good"}" id="verdict">{escape(verdict)}</p>'
        # The verdict first, then the relays' worst findings, the comparison, and then each target's table and evidence.
        + _overview(report, lang) + _comparison(report, lang) + "".join(_target(t, lang) for t in report.targets) + "</body></html>\n"
    )
    # Every string on the page is escaped as HTML; a last pass shows each control and bidi character as an escape,
    # so relay text can neither reorder what the reader sees nor hide in the page as raw control bytes.
    return visible(page)
