"""Renderers of `relaycheck history`: each check's verdicts over the runs, when findings appeared and cleared, drift."""

from __future__ import annotations

import json
from html import escape

from rich.cells import cell_len

from relaycheck.core.i18n import status
from relaycheck.history.drift import Event
from relaycheck.history.view import CheckLine, TargetHistory
from relaycheck.render.markdown import inline
from relaycheck.text.sanitize import visible

HISTORY_FORMATS = ("terminal", "md", "json", "html")
SCHEMA_VERSION = 1  # of `history --format json`
GLYPHS = {"pass": "✓", "fail": "✗", "warn": "!", "inconclusive": "?", "skip": "–", None: "·"}
COLOURS = {"pass": "#2e7d32", "fail": "#c62828", "warn": "#ef6c00", "inconclusive": "#6a1b9a", "skip": "#9e9e9e", None: "#eeeeee"}
LABELS = {
    "en": {"comma": ", ", "colon": ": ", "run": "run", "runs": "runs", "from": "from", "to": "to", "check": "Check", "model": "Model", "timeline": "Verdicts, oldest first",
           "now": "Now", "first_seen": "First seen", "cleared": "Cleared", "open": "still open", "drift": "Drift",
           "no_drift": "no drift recorded", "all_passed": "checks passed in every run",
           "nothing": "no runs recorded", "legend": "✓ pass  ✗ fail  ! warn  ? inconclusive  – skip  · not run"},
    "zh": {"comma": "，", "colon": "：", "run": "次运行", "runs": "次运行", "from": "自", "to": "至", "check": "检查项", "model": "模型", "timeline": "历次结论（由旧到新）",
           "now": "当前", "first_seen": "首次出现", "cleared": "消除于", "open": "仍未消除", "drift": "漂移",
           "no_drift": "未记录漂移", "all_passed": "项检查每次都通过",
           "nothing": "尚无运行记录", "legend": "✓ 通过  ✗ 失败  ! 警告  ? 无法判定  – 跳过  · 未运行"},
}


def _l(lang: str, key: str) -> str:
    return LABELS.get(lang, LABELS["en"])[key]


def _strip(line: CheckLine) -> str:
    return "".join(GLYPHS.get(s, "?") for s in line.statuses)


_DRIFT = {
    "en": {"check_regressed": "{subject} turned from pass to fail", "identity_changed": "{subject} changed from {before} to {after}",
           "latency_regressed": "{subject} {after} ms against a baseline of {before} ms",
           "success_dropped": "success ratio {after} against a baseline of {before}",
           "billing_moved": "billed {after}x the listed price, {before}x the run before"},
    "zh": {"check_regressed": "{subject} 由通过变为失败", "identity_changed": "{subject} 由 {before} 变为 {after}",
           "latency_regressed": "{subject} 为 {after} 毫秒，基线为 {before} 毫秒", "success_dropped": "成功率 {after}，基线为 {before}",
           "billing_moved": "计费为标价的 {after} 倍，上次为 {before} 倍"},
}


def describe(event: Event, lang: str = "en") -> str:
    """A drift event in words, in `lang` (the stored detail is English, for scripts and --on-drift)."""
    template = _DRIFT.get(lang, _DRIFT["en"]).get(event.rule)
    if template is None:
        return event.detail
    return template.format(subject=event.subject, before=event.before or "—", after=event.after or "—")


def _pad(text: str, width: int) -> str:
    """`text` padded to `width` terminal cells (a Chinese character takes two)."""
    return text + " " * max(0, width - cell_len(text))


def _now(line: CheckLine, lang: str) -> str:
    return status(line.now, lang) if line.now else "—"


def _last_episode(line: CheckLine) -> tuple[str, str]:
    episode = line.episodes[-1]
    return episode.first_seen, episode.cleared or ""


def _split(t: TargetHistory) -> tuple[list[CheckLine], int]:
    """The checks that were ever a finding, and how many others passed (or skipped) throughout."""
    shown = [c for c in t.checks if c.ever_a_finding or c.now not in ("pass", "skip")]
    return shown, len(t.checks) - len(shown)


def to_dict(histories: tuple[TargetHistory, ...]) -> dict:
    """The JSON document of `history --format json` (schema_version 1)."""
    return {"schema_version": SCHEMA_VERSION, "targets": [{
        "name": t.name,
        "runs": [{"run_id": r.run_id, "finished_at": r.finished_at, "source": r.source, "models": list(r.models),
                  "planned_cost": r.planned_cost, "charged": r.charged, "currency": r.currency, "tokens": r.tokens, "requests": r.requests} for r in t.runs],
        "checks": [{"id": c.check_id, "model": c.model or None, "statuses": list(c.statuses), "now": c.now,
                    "episodes": [{"status": e.status, "first_seen": e.first_seen, "cleared": e.cleared} for e in c.episodes]} for c in t.checks],
        "signals": [{"model": s.model or None, "name": s.name, "values": list(s.values)} for s in t.signals],
        "drift": [{"run_id": d.run_id, "finished_at": d.finished_at, **d.event.as_dict()} for d in t.drift],
    } for t in histories]}


def render_json(histories: tuple[TargetHistory, ...], lang: str = "en") -> str:
    """History as JSON (the language changes nothing: the document is for scripts)."""
    return json.dumps(to_dict(histories), ensure_ascii=False, indent=2) + "\n"


def _span(t: TargetHistory, lang: str) -> str:
    if not t.runs:
        return _l(lang, "nothing")
    return f"{len(t.runs)} {_l(lang, 'run' if len(t.runs) == 1 else 'runs')}{_l(lang, 'comma')}{_l(lang, 'from')} {t.runs[0].finished_at} {_l(lang, 'to')} {t.runs[-1].finished_at}"


def render_md(histories: tuple[TargetHistory, ...], lang: str = "en") -> str:
    """History as Markdown: a table per target of the checks that were ever a finding, then its drift."""
    out = ["# relaycheck history", ""]
    for t in histories:
        out += [f"## {inline(t.name)}", "", _span(t, lang), "", f"`{_l(lang, 'legend')}`", ""]
        shown, passed = _split(t)
        if shown:
            out += [f"| {_l(lang, 'check')} | {_l(lang, 'model')} | {_l(lang, 'timeline')} | {_l(lang, 'now')} | {_l(lang, 'first_seen')} | {_l(lang, 'cleared')} |",
                    "|---|---|---|---|---|---|"]
            for c in shown:
                seen, cleared = _last_episode(c) if c.episodes else ("", "")
                out.append(f"| `{c.check_id}` | {inline(c.model) or '—'} | `{_strip(c)}` | {_now(c, lang)} | {seen} | {cleared or (_l(lang, 'open') if seen else '')} |")
            out.append("")
        out += [f"{passed} {_l(lang, 'all_passed')}", "", f"### {_l(lang, 'drift')}", ""]
        out += [f"- {d.finished_at} · {inline(d.event.model) + ' · ' if d.event.model else ''}`{d.event.rule}`{_l(lang, 'colon')}{inline(describe(d.event, lang))}"
                for d in t.drift] or [f"{_l(lang, 'no_drift')}"]
        out.append("")
    return "\n".join(out)


def render_terminal(histories: tuple[TargetHistory, ...], lang: str = "en", width: int = 120) -> str:
    """History for a terminal: per target, the checks that were ever a finding as a strip of verdicts, then drift."""
    lines: list[str] = []
    for t in histories:
        lines += [f"relaycheck history · {visible(t.name, lines=False)}", f"  {_span(t, lang)}", f"  {_l(lang, 'legend')}", ""]
        shown, passed = _split(t)
        names = [c.check_id + (f" · {visible(c.model, lines=False)}" if c.model else "") for c in shown]
        name_w = max([cell_len(_l(lang, "check")), *map(cell_len, names)])
        if shown:
            lines.append(f"  {_pad(_l(lang, 'check'), name_w)}  {_pad(_l(lang, 'now'), 12)} {_pad(_l(lang, 'first_seen'), 25)} {_l(lang, 'cleared')}")
        for c, name in zip(shown, names):
            seen, cleared = _last_episode(c) if c.episodes else ("", "")
            lines.append(f"  {_pad(name, name_w)}  {_pad(_now(c, lang), 12)} {_pad(seen, 25)} {cleared or (_l(lang, 'open') if seen else '')}")
            lines.append(f"  {'':<{name_w}}  {_strip(c)[-max(10, width - name_w - 4):]}")
        lines += [f"  {passed} {_l(lang, 'all_passed')}", "", f"  {_l(lang, 'drift')}{_l(lang, 'colon').rstrip()}"]
        lines += [f"    {d.finished_at}  {d.event.rule}{_l(lang, 'colon')}{visible(describe(d.event, lang), lines=False)}" for d in t.drift] or [f"    {_l(lang, 'no_drift')}"]
        lines.append("")
    return "\n".join(lines) + "\n"


CELL, ROW = 12, 18  # px per run and per check in the timeline picture


def _timeline_svg(t: TargetHistory, shown: list[CheckLine]) -> str:
    """One row of coloured cells per check that was ever a finding, one column per run; drift runs marked above."""
    label_w, runs = 220, max(1, len(t.runs))
    width, height = label_w + runs * CELL + 10, 24 + ROW * max(1, len(shown))
    drift_runs = {d.run_id for d in t.drift}
    body = [f'<rect x="{label_w + i * CELL}" y="2" width="{CELL - 2}" height="8" fill="#c62828"><title>drift</title></rect>'
            for i, r in enumerate(t.runs) if r.run_id in drift_runs]
    for row, c in enumerate(shown):
        y = 16 + row * ROW
        body.append(f'<text x="0" y="{y + 11}" font-size="11">{escape(c.check_id + (" · " + c.model if c.model else ""))}</text>')
        body += [f'<rect x="{label_w + i * CELL}" y="{y}" width="{CELL - 2}" height="{ROW - 4}" fill="{COLOURS.get(s, "#000")}">'
                 f'<title>{escape(t.runs[i].finished_at)}: {escape(s or "not run")}</title></rect>' for i, s in enumerate(c.statuses)]
    return (f'<svg role="img" aria-label="{escape(t.name)} timeline" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}">' + "".join(body) + "</svg>")


def render_html(histories: tuple[TargetHistory, ...], lang: str = "en") -> str:
    """History as one self-contained page: a timeline picture per target (inline SVG), the table, the drift."""
    parts = [f'<!DOCTYPE html><html lang="{escape(lang)}"><head><meta charset="utf-8"><title>relaycheck history</title>'
             '<style>body{font-family:sans-serif;margin:2em}td,th{padding:2px 8px;text-align:left}code{white-space:nowrap}</style></head><body>',
             "<h1>relaycheck history</h1>"]
    for t in histories:
        shown, passed = _split(t)
        parts += [f"<h2>{escape(t.name)}</h2>", f"<p>{escape(_span(t, lang))}</p>", _timeline_svg(t, shown),
                  f"<p><code>{escape(_l(lang, 'legend'))}</code></p>"]
        if shown:
            parts.append(f"<table><tr><th>{_l(lang, 'check')}</th><th>{_l(lang, 'model')}</th><th>{_l(lang, 'now')}</th>"
                         f"<th>{_l(lang, 'first_seen')}</th><th>{_l(lang, 'cleared')}</th></tr>")
            for c in shown:
                seen, cleared = _last_episode(c) if c.episodes else ("", "")
                parts.append(f"<tr><td><code>{escape(c.check_id)}</code></td><td>{escape(c.model) or '—'}</td><td>{escape(_now(c, lang))}</td>"
                             f"<td>{escape(seen)}</td><td>{escape(cleared or (_l(lang, 'open') if seen else ''))}</td></tr>")
            parts.append("</table>")
        parts += [f"<p>{passed} {escape(_l(lang, 'all_passed'))}</p>", f"<h3>{_l(lang, 'drift')}</h3>"]
        items = [f"<li>{escape(d.finished_at)} · <code>{escape(d.event.rule)}</code>{_l(lang, 'colon')}{escape(visible(describe(d.event, lang), lines=False))}</li>" for d in t.drift]
        parts.append(f"<ul>{''.join(items)}</ul>" if items else f"<p>{_l(lang, 'no_drift')}</p>")
    parts.append("</body></html>\n")
    return "".join(parts)


def render_history(histories: tuple[TargetHistory, ...], fmt: str, lang: str = "en", **options: object) -> str:
    """`relaycheck history` in `fmt`."""
    if fmt == "terminal":
        return render_terminal(histories, lang, **options)  # type: ignore[arg-type]
    return {"md": render_md, "json": render_json, "html": render_html}[fmt](histories, lang)
