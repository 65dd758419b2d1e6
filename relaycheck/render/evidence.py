"""The facts a support team asks for about one exchange (time, status, request ids, raw error text, how it was
classified), in the report's language: each renderer writes them in its own markup."""

from __future__ import annotations

from dataclasses import dataclass

from relaycheck.core.i18n import label
from relaycheck.report.model import TargetReport, request_ids
from relaycheck.text.excerpt import excerpt

RAW_SHOWN = 600  # characters of an error body quoted in a ticket; the whole body stays in the exchange


@dataclass(frozen=True)
class Fact:
    """One labelled fact; `value` is relay text as recorded (the renderer escapes it); `block` is raw text to show
    as it came (a fenced block, a <pre>)."""

    label: str
    value: str
    block: bool = False


@dataclass(frozen=True)
class Evidence:
    """One exchange's request line and facts."""

    xid: str
    request: str  # "METHOD URL"
    facts: tuple[Fact, ...]


def evidence(target: TargetReport, xid: str, lang: str = "en") -> Evidence | None:
    """The support facts of exchange `xid`, or None when the report does not hold it."""
    ex = target.exchange(xid)
    if ex is None:
        return None
    judged = target.judged.get(xid)  # classified before sealing (relaycheck.report.seal.judge): never here
    status = str(ex.status) if ex.status is not None else label("no_response", lang)
    facts = [Fact(label("time_utc", lang), ex.timings.started_at),
             Fact(label("http_status", lang), status + (f" ({ex.error_kind or ''}: {ex.error})" if ex.error else ""))]
    ids = request_ids(ex)
    facts.append(Fact(label("request_ids", lang), ", ".join(ids) if ids else label("none_returned", lang)))
    if ex.status is not None and (ex.status >= 300 or not ex.ok or (isinstance(ex.json, dict) and ex.json.get("error"))):
        raw = excerpt(ex.body, RAW_SHOWN) if ex.body else label("empty_body", lang)
        facts.append(Fact(label("raw_error", lang), raw, block=True))
        message = judged.error_text if judged else ""
        if message and message != raw:
            facts.append(Fact(label("error_message", lang), excerpt(message, 300)))
    if judged is not None and judged.category is not None:
        detail = ", ".join(p for p in (f"{judged.dialect} dialect", f"code {judged.code}" if judged.code else "",
                                       f"type {judged.type}" if judged.type and not judged.code else "") if p)
        facts.append(Fact(label("classified", lang), f"{judged.label} ({detail})"))
    return Evidence(xid, f"{ex.method} {ex.url}", tuple(facts))
