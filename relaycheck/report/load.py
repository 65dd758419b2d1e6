"""Read a saved JSON report back into a Report, so any format can be rendered without probing again."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from relaycheck.core.checklist import SEVERITIES
from relaycheck.checks import STATUSES
from relaycheck.core.exits import UsageError
from relaycheck.wire.exchange import MAX_JSON_DEPTH, Exchange, Timings, too_deep
from relaycheck.report.model import SCHEMA_VERSION, Finding, Report, TargetReport
from relaycheck.wire.sse import SSEEvent

MAX_REPORT_BYTES = 256 * 1024 * 1024  # a report holds capped bodies; anything larger is not ours


def _texts(check: dict[str, Any], name: str) -> dict[str, str] | None:
    """A bilingual text from the English top-level field and its translation under "zh"."""
    en = check.get(name)
    if not isinstance(en, str):
        return None
    zh = (check.get("zh") or {}).get(name)
    return {"en": en, **({"zh": zh} if isinstance(zh, str) else {})}


def _finding(c: dict[str, Any]) -> Finding:
    # Renderers index their tables by status and severity: a hand-edited value is a damaged report, not a crash.
    if c["status"] not in STATUSES:
        raise UsageError(f"the JSON report is damaged: check {c.get('id')!r} has status {c['status']!r} (one of {', '.join(STATUSES)} expected)")
    if c["severity"] not in SEVERITIES:
        raise UsageError(f"the JSON report is damaged: check {c.get('id')!r} has severity {c['severity']!r} (one of {', '.join(SEVERITIES)} expected)")
    return Finding(
        id=c["id"], model=c.get("model"), status=c["status"], severity=c["severity"], title=_texts(c, "title") or {"en": c["id"]},
        summary=c.get("summary", ""), evidence=tuple(c.get("evidence") or ()), metrics=dict(c.get("metrics") or {}),
        expected=_texts(c, "expected"), rationale=_texts(c, "rationale"), remediation=_texts(c, "remediation"),
    )


def _event(e: dict[str, Any]) -> SSEEvent:
    return SSEEvent(index=e["i"], t_ms=e["t_ms"], event=e.get("event"), data=e.get("data"), id=e.get("id"),
                    utf8_ok=e.get("utf8_ok", True), raw_text=e.get("raw"))


def _exchange(x: dict[str, Any]) -> Exchange:
    request, response, t = x["request"], x["response"], x["timings"]
    sse = x.get("sse") or {}
    error = x.get("error") or {}
    return Exchange(
        id=x["id"], probe=x["probe"], model=x.get("model"), label=x.get("label", ""), method=x["method"], url=x["url"],
        request_headers=tuple(tuple(h) for h in request.get("headers") or ()), request_body=request.get("body"),
        status=response.get("status"), response_headers=tuple(tuple(h) for h in response.get("headers") or ()),
        body=response.get("body") or "", body_bytes=response.get("body_bytes", 0), body_truncated=response.get("body_truncated", False),
        body_utf8_ok=response.get("utf8_ok", True),
        timings=Timings(started_at=t["started_at"], headers_ms=t.get("headers_ms"), first_byte_ms=t.get("first_byte_ms"),
                        first_event_ms=t.get("first_event_ms"), end_ms=t.get("end_ms")),
        events=tuple(_event(e) for e in sse.get("events") or ()), events_total=sse.get("events_total", 0),
        sse_comments=sse.get("comments", 0), sse_tail=sse.get("tail", ""),
        error=error.get("message"), error_kind=error.get("kind"), deadline_s=x.get("deadline_s"),
        notes=tuple(x.get("notes") or ()), retry_of=x.get("retry_of"), key_echoed=x.get("key_echoed", False),
        completion_ceiling=x.get("completion_ceiling") if isinstance(x.get("completion_ceiling"), int) else None,
    )


def _target(t: dict[str, Any]) -> TargetReport:
    plan = t.get("plan") or {}
    return TargetReport(
        name=t["name"], base_url=t["base_url"], effective_base_url=t.get("effective_base_url", t["base_url"]), key_id=t["key_id"],
        auth=t.get("auth", ""), models=tuple(t.get("models") or ()), max_requests=plan.get("max_requests", 0),
        max_tokens=plan.get("max_tokens", 0), checks=tuple(_finding(c) for c in t.get("checks") or ()),
        exchanges=tuple(_exchange(x) for x in t.get("exchanges") or ()), fingerprint=tuple(t.get("fingerprint") or ()),
        max_cost=plan.get("max_cost"), currency=plan.get("currency"),
        protocol=t["protocol"] if isinstance(t.get("protocol"), str) else "openai",  # reports before issue 19 name none
    )


def from_dict(data: Any) -> Report:
    """Rebuild a Report from its JSON form (sealed again by relaycheck.report.seal); UsageError when it is not one we can read."""
    if not isinstance(data, dict) or (data.get("tool") or {}).get("name") != "relaycheck":
        raise UsageError("not a relaycheck JSON report (expected the output of --format json)")
    if data.get("schema_version") != SCHEMA_VERSION:
        raise UsageError(f"report schema_version {data.get('schema_version')!r} is not supported (this relaycheck reads {SCHEMA_VERSION})")
    from relaycheck.report.seal import reseal

    try:
        return reseal(
            tool_version=data["tool"]["version"], started_at=data["started_at"], finished_at=data["finished_at"],
            profile=data["profile"], fail_on=data["fail_on"], targets=tuple(_target(t) for t in data["targets"]),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise UsageError(f"the JSON report is incomplete or damaged ({type(exc).__name__}: {exc})") from None


def load(path: Path) -> Report:
    """Read and rebuild a JSON report file; UsageError on a missing, oversized or malformed file."""
    try:
        size = path.stat().st_size
        if size > MAX_REPORT_BYTES:
            raise UsageError(f"{path} is {size} bytes, larger than any relaycheck report")
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path} is not valid JSON: {exc}") from None
    except RecursionError:
        raise UsageError(f"{path} is JSON nested too deep to be a relaycheck report") from None
    # A report relaycheck wrote nests about a dozen levels; deeper metrics would break every renderer's walk.
    if too_deep(data, MAX_JSON_DEPTH):
        raise UsageError(f"{path} is JSON nested more than {MAX_JSON_DEPTH} levels deep: not a relaycheck report")
    return from_dict(data)
