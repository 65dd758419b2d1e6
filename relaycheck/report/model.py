"""The Report type renderers consume (always redacted: built only by relaycheck.report.seal) and its JSON form."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from relaycheck.core.checklist import SEVERITIES
from relaycheck.checks import STATUSES
from relaycheck.wire.exchange import Exchange
from relaycheck.wire.sse import SSEEvent

SCHEMA_VERSION = 1
_REQUEST_ID_HEADERS = ("x-request-id", "x-oneapi-request-id", "x-new-api-request-id", "x-generation-id", "request-id", "openai-request-id", "cf-ray")
_REQUEST_ID_IN_TEXT = re.compile(r"request id:\s*([A-Za-z0-9_\-]{6,})", re.I)


@dataclass(frozen=True)
class Finding:
    """One check's verdict for one model, with its catalogue texts."""

    id: str
    model: str | None
    status: str
    severity: str
    title: dict[str, str]
    summary: str
    evidence: tuple[str, ...]
    metrics: dict[str, Any]
    expected: dict[str, str] | None = None
    rationale: dict[str, str] | None = None
    remediation: dict[str, str] | None = None

    def text(self, field: str, lang: str = "en") -> str | None:
        """A catalogue text (title, expected, rationale, remediation) in `lang`, falling back to English."""
        values: dict[str, str] | None = getattr(self, field)
        if not values:
            return None
        return values.get(lang) or values.get("en")


@dataclass(frozen=True)
class Judged:
    """What the judge step (relaycheck.report.seal) concluded about one exchange, so that renderers never classify."""

    error_text: str  # the relay's error message, from the usual JSON shapes, else the body excerpt
    category: str | None = None  # the error classification (relaycheck.wire.errorclass), when the exchange is an error
    label: str | None = None
    dialect: str | None = None
    type: str | None = None
    code: str | None = None
    shape: str | None = None


@dataclass(frozen=True)
class TargetReport:
    """One target's results."""

    name: str
    base_url: str
    effective_base_url: str
    key_id: str
    auth: str
    models: tuple[str, ...]
    max_requests: int
    max_tokens: int
    checks: tuple[Finding, ...]
    exchanges: tuple[Exchange, ...]
    fingerprint: tuple[str, ...] = ()
    max_cost: float | None = None
    currency: str | None = None
    judged: dict[str, Judged] = field(default_factory=dict)  # by exchange id
    protocol: str = "openai"  # the wire format the target was probed over (a target's protocol:)

    @property
    def protocol_line(self) -> str:
        """The protocol as the report shows it: its id and what it is ("responses (OpenAI Responses)")."""
        from relaycheck.protocol import TITLES

        return f"{self.protocol} ({TITLES[self.protocol]})" if self.protocol in TITLES else self.protocol

    def exchange(self, xid: str) -> Exchange | None:
        """Look up an exchange by id."""
        return next((x for x in self.exchanges if x.id == xid), None)

    def counts(self) -> dict[str, int]:
        """How many findings have each status."""
        return {s: sum(1 for c in self.checks if c.status == s) for s in STATUSES}


@dataclass(frozen=True)
class Report:
    """A whole run, redacted."""

    schema_version: int
    tool_name: str
    tool_version: str
    started_at: str
    finished_at: str
    profile: str
    fail_on: str
    targets: tuple[TargetReport, ...]


def failing(report: Report) -> list[tuple[TargetReport, Finding]]:
    """Findings with status fail at or above the report's --fail-on severity."""
    if report.fail_on == "none":
        return []
    floor = SEVERITIES.index(report.fail_on)
    return [(t, c) for t in report.targets for c in t.checks if c.status == "fail" and SEVERITIES.index(c.severity) >= floor]


def request_ids(exchange: Exchange) -> list[str]:
    """Request ids a support team can look up: from the usual headers and "(request id: …)" in messages."""
    found = [f"{name}: {v}" for name in _REQUEST_ID_HEADERS if (v := exchange.header(name))]
    found += [f"in body: {m}" for m in _REQUEST_ID_IN_TEXT.findall(exchange.body[:4096])]
    return list(dict.fromkeys(found))


def _event_dict(e: SSEEvent) -> dict[str, Any]:
    return {"i": e.index, "t_ms": round(e.t_ms, 3), "event": e.event, "data": e.data, "id": e.id, "utf8_ok": e.utf8_ok,
            **({"raw": e.raw_text} if e.raw_text is not None else {})}


def exchange_dict(x: Exchange, lazy: bool = False, judged: Judged | None = None) -> dict[str, Any]:
    """The JSON form of one exchange (with what the judge step concluded); with `lazy`, SSE events are made as written."""
    sse = None
    if x.events or x.events_total or x.sse_tail or x.sse_comments:
        sse = {
            "events": LazyRecords(_event_dict, x.events) if lazy else [_event_dict(e) for e in x.events],
            "events_total": x.events_total,
            "comments": x.sse_comments,
            "tail": x.sse_tail,
        }
    t = x.timings
    return {
        "id": x.id,
        "probe": x.probe,
        "label": x.label,
        "model": x.model,
        "method": x.method,
        "url": x.url,
        "request": {"headers": [list(h) for h in x.request_headers], "body": x.request_body},
        "response": {
            "status": x.status,
            "headers": [list(h) for h in x.response_headers],
            "body": x.body,
            "body_bytes": x.body_bytes,
            "body_truncated": x.body_truncated,
            "utf8_ok": x.body_utf8_ok,
        },
        "sse": sse,
        "timings": {"started_at": t.started_at, "headers_ms": _ms(t.headers_ms), "first_byte_ms": _ms(t.first_byte_ms),
                    "first_event_ms": _ms(t.first_event_ms), "end_ms": _ms(t.end_ms)},
        "deadline_s": x.deadline_s,
        "error": {"kind": x.error_kind, "message": x.error} if x.error else None,
        "error_class": _error_class(judged),
        "retry_of": x.retry_of,
        "key_echoed": x.key_echoed,
        **({"completion_ceiling": x.completion_ceiling} if x.completion_ceiling is not None else {}),
        "request_ids": request_ids(x),
        "notes": list(x.notes),
    }


def _error_class(judged: Judged | None) -> dict[str, Any] | None:
    if judged is None or judged.category is None:
        return None
    return {"category": judged.category, "dialect": judged.dialect, "type": judged.type, "code": judged.code, "shape": judged.shape}


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


class LazyRecords:
    """A list of JSON records made one at a time while the document is written (see render/jsonfmt.py)."""

    def __init__(self, make: Any, items: tuple[Any, ...]) -> None:
        self.make, self.items = make, items

    def __iter__(self) -> Any:
        return (self.make(item) for item in self.items)

    def __len__(self) -> int:
        return len(self.items)


class _LazyExchanges(LazyRecords):
    """A target's exchanges in JSON, made one at a time as the document is written."""

    def __init__(self, target: "TargetReport") -> None:
        super().__init__(lambda x: exchange_dict(x, lazy=True, judged=target.judged.get(x.id)), target.exchanges)


def to_dict(report: Report, lazy: bool = False) -> dict[str, Any]:
    """The versioned JSON document (schema_version 1); with `lazy`, exchanges are made only as they are written."""
    return {
        "schema_version": report.schema_version,
        "tool": {"name": report.tool_name, "version": report.tool_version},
        "started_at": report.started_at,
        "finished_at": report.finished_at,
        "profile": report.profile,
        "fail_on": report.fail_on,
        "targets": [
            {
                "name": t.name,
                "base_url": t.base_url,
                "effective_base_url": t.effective_base_url,
                "protocol": t.protocol,
                "key_id": t.key_id,
                "auth": t.auth,
                "models": list(t.models),
                "plan": {"max_requests": t.max_requests, "max_tokens": t.max_tokens, "max_cost": t.max_cost, "currency": t.currency},
                "fingerprint": list(t.fingerprint),
                "summary": t.counts(),
                "checks": [_finding_dict(c) for c in t.checks],
                "exchanges": _LazyExchanges(t) if lazy else [exchange_dict(x, judged=t.judged.get(x.id)) for x in t.exchanges],
            }
            for t in report.targets
        ],
    }


_TEXTS = ("title", "expected", "rationale", "remediation")


def _finding_dict(c: Finding) -> dict[str, Any]:
    """A finding in JSON: English texts at the top level (stable for scripts), other languages under their code."""
    out: dict[str, Any] = {"id": c.id, "model": c.model, "status": c.status, "severity": c.severity, "title": c.title["en"],
                           "summary": c.summary, "evidence": list(c.evidence), "metrics": c.metrics}
    for name in _TEXTS[1:]:
        value = c.text(name, "en")
        if value:
            out[name] = value
    translations: dict[str, str] = {}
    for name in _TEXTS:
        values = getattr(c, name) or {}
        if values.get("zh"):
            translations[name] = values["zh"]
    if translations:
        out["zh"] = translations
    return out


def reliability_line(t: TargetReport) -> str | None:
    """The reliability.sampled figure, shown at the top of every report: every other verdict depends on it."""
    found = next((c for c in t.checks if c.id == "reliability.sampled"), None)
    return f"{found.status}: {found.summary}" if found else None


def plan_line(t: TargetReport, lang: str = "en") -> str:
    """The planned ceiling in words, for the renderers."""
    from relaycheck.core.i18n import label

    text = label("plan_requests", lang, requests=t.max_requests, tokens=t.max_tokens)
    if t.max_cost is not None:
        text += label("plan_cost", lang, cost=f"{t.max_cost:.6f}".rstrip("0").rstrip("."), currency=t.currency)
    return text
