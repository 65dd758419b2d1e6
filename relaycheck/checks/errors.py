"""Checks on the error contract: refusals that are honest, machine-readable, and tell causes apart."""

from __future__ import annotations

from datetime import datetime

from relaycheck.wire import errorclass as ec
from relaycheck.checks import NATIVE, FAIL, INCONCLUSIVE, PASS, SKIP, WARN, CheckInput, Verdict, check
from relaycheck.checks._util import describe, excerpt
from relaycheck.wire.exchange import Exchange
from relaycheck.protocol import is_api_root, protocol_of

TIMEOUT_KINDS = {"connect": "connect", "read": "read (time to first byte)", "stream_idle": "stream idle (gap between events)", "deadline": "total deadline"}
_RATE_HEADERS = ("retry-after", "retry-after-ms")


def _labelled(inp: CheckInput, label: str) -> Exchange | None:
    return next((x for x in inp.of("errors") if x.label == label), None)


def _message(info: ec.ErrorInfo | None) -> str:
    return f"“{excerpt(info.message, 100)}”" if info and info.message else "no error message"


def _as_google_refuses(ex: Exchange, info: ec.ErrorInfo, what: str) -> Verdict | None:
    """Over Gemini, Google's own refusals pass: a wrong key is its 400 INVALID_ARGUMENT (reason API_KEY_INVALID), a
    missing one its 403 PERMISSION_DENIED; judged against OpenAI's 401 they would be false alarms."""
    if protocol_of(ex).name != "gemini" or ex.status not in (400, 401, 403):
        return None
    said = (info.message or "").lower()
    if ex.status == 400 and "api key" not in said and "API_KEY_INVALID" not in ex.body[:4096]:
        return None  # a 400 about something else is no key refusal, on any protocol
    return Verdict(PASS, f"refused with {ex.status} as Google's API does: {_message(info)}", (ex.id,))


def _refusal(ex: Exchange | None, what: str) -> Verdict:
    """401 with a body passes; 403 warns; an accepted request, a 5xx or an HTML page fails."""
    if ex is None:
        return Verdict(INCONCLUSIVE, "the errors probe did not run")
    if ex.status is None:
        return Verdict(INCONCLUSIVE, f"the request with {what} got no answer: {describe(ex)}", (ex.id,))
    if 300 <= ex.status < 400:  # not followed (base.redirects reports it): neither served nor refused
        return Verdict(INCONCLUSIVE, f"the request with {what} was redirected, not answered: {describe(ex)}", (ex.id,))
    info = ec.classify(ex)
    if info is None:
        return Verdict(FAIL, f"a request with {what} was served (HTTP {ex.status}): the relay lets anyone in", (ex.id,))
    if ex.status == 429:
        return Verdict(INCONCLUSIVE, f"rate limited (HTTP 429) even after waiting: the refusal of {what} cannot be judged", (ex.id,))
    if info.shape == "html":
        return Verdict(FAIL, f"{what} was answered with an HTML page (HTTP {ex.status}), which no API client can read", (ex.id,))
    google = _as_google_refuses(ex, info, what)
    if google is not None:
        return google
    if ex.status == 401:
        if info.shape == "empty":
            return Verdict(WARN, "refused with 401 but without an error body", (ex.id,))
        return Verdict(PASS, f"refused with 401: {_message(info)}", (ex.id,))
    if ex.status == 403:
        return Verdict(WARN, f"refused with 403 (401 expected): {_message(info)}", (ex.id,))
    if 400 <= ex.status < 500:
        # Refused all the same, only with the wrong status: clients will not treat it as an authentication failure.
        # The critical "anyone can get in" is kept for a request that was served.
        return Verdict(WARN, f"{what} was refused, but with HTTP {ex.status} instead of 401 (clients do not read it as an "
                             f"authentication failure): {_message(info)}", (ex.id,), {"status": ex.status})
    return Verdict(FAIL, f"{what} got HTTP {ex.status} instead of 401: {_message(info)}", (ex.id,), {"status": ex.status})


@check("errors.bad_key", probes=("errors",), protocols=NATIVE)
def bad_key(inp: CheckInput) -> Verdict:
    """A wrong key is refused with 401."""
    return _refusal(_labelled(inp, "wrong key"), "a wrong key")


@check("errors.missing_key", probes=("errors",), protocols=NATIVE)
def missing_key(inp: CheckInput) -> Verdict:
    """No key at all is refused with 401."""
    return _refusal(_labelled(inp, "no key"), "no key")


@check("errors.unknown_model", probes=("errors",), protocols=NATIVE)
def unknown_model(inp: CheckInput) -> Verdict:
    """A nonexistent model is refused (404, 400, one-api's 503 no channel) naming the problem; a 200 is a substitution."""
    ex = _labelled(inp, "unknown model")
    if ex is None:
        return Verdict(INCONCLUSIVE, "the errors probe did not run")
    asked = protocol_of(ex).asked_model(ex) or "?"
    if ex.status is None:
        return Verdict(INCONCLUSIVE, f"the request for {asked} got no answer: {describe(ex)}", (ex.id,))
    if 300 <= ex.status < 400:
        return Verdict(INCONCLUSIVE, f"the request for {asked} was redirected, not answered: {describe(ex)}", (ex.id,))
    info = ec.classify(ex)
    if info is None:
        served = ex.reply.model
        return Verdict(FAIL, f"the nonexistent model {asked} was answered (HTTP {ex.status}) by {served or 'some model'}", (ex.id,))
    if ex.status in (401, 429):
        return Verdict(INCONCLUSIVE, f"refused as {info.label} (HTTP {ex.status}), before the model was looked at", (ex.id,))
    names_it = info.category == ec.MODEL_NOT_FOUND or bool(info.message and ("model" in info.message.lower() or asked in info.message))
    refusal = ex.status in (400, 404, 422) or (ex.status == 503 and info.category == ec.MODEL_NOT_FOUND) or (ex.status == 403 and names_it)
    if not refusal:
        kind = "looks like an outage" if ex.status >= 500 else "is not a model refusal"
        return Verdict(FAIL, f"HTTP {ex.status} for the nonexistent model {asked} {kind}: {_message(info)}", (ex.id,))
    if not info.parseable:
        return Verdict(WARN, f"refused with {ex.status} but without a JSON error a client can read ({info.shape})", (ex.id,))
    if not names_it:
        return Verdict(WARN, f"refused with {ex.status}, but the error does not say the model is unknown: {_message(info)}", (ex.id,))
    return Verdict(PASS, f"refused with {ex.status}: {_message(info)}", (ex.id,))


@check("errors.bad_request", probes=("errors",), protocols=NATIVE)
def bad_request(inp: CheckInput) -> Verdict:
    """Invalid JSON and a request without messages get a 4xx with a body, never a 5xx or a 200."""
    results: list[tuple[str, str, str]] = []
    evidence = []
    for label in ("invalid JSON", "missing messages"):
        ex = _labelled(inp, label)
        if ex is None:
            results.append((INCONCLUSIVE, label, "not sent"))
            continue
        evidence.append(ex.id)
        info = ec.classify(ex)
        if ex.status is None:
            results.append((INCONCLUSIVE, label, describe(ex)))
        elif info is None:
            results.append((FAIL, label, f"accepted with HTTP {ex.status}"))
        elif ex.status >= 500:
            results.append((FAIL, label, f"HTTP {ex.status} (a server error for a client mistake): {_message(info)}"))
        elif ex.status in (401, 403, 429):
            results.append((INCONCLUSIVE, label, f"refused as {info.label} (HTTP {ex.status}) before the body was read"))
        elif info.shape == "empty":
            results.append((WARN, label, f"HTTP {ex.status} without a body"))
        else:
            results.append((PASS, label, f"HTTP {ex.status}"))
    for status in (FAIL, INCONCLUSIVE, WARN):
        if any(r[0] == status for r in results):
            return Verdict(status, "; ".join(f"{label}: {text}" for st, label, text in results if st == status), tuple(evidence))
    return Verdict(PASS, "; ".join(f"{label}: {text}" for _, label, text in results), tuple(evidence))


def _error_responses(inp: CheckInput) -> list[tuple[Exchange, ec.ErrorInfo]]:
    """Every error response of the run, except wrong-base-URL pages (base.api_root judges those)."""
    found = []
    for x in inp.exchanges:
        if x.probe == "root" and not is_api_root(x):
            continue
        info = ec.classify(x)
        if info is not None:
            found.append((x, info))
    return found


@check("errors.shape", probes=("errors",), protocols=NATIVE)
def shape(inp: CheckInput) -> Verdict:
    """Every error response is a JSON error object (OpenAI shape or a known dialect)."""
    found = _error_responses(inp)
    if not found:
        return Verdict(INCONCLUSIVE, "no error response was seen in this run")
    bad = [(x, i) for x, i in found if not i.parseable and i.shape != "empty"]
    empty = [(x, i) for x, i in found if i.shape == "empty"]
    odd = [(x, i) for x, i in found if i.parseable and i.dialect == "unknown" and not _openai_shaped(x)]
    dialects = sorted({i.dialect for _, i in found})
    metrics = {"error_responses": len(found), "dialects": dialects}
    if bad:
        listed = ", ".join(f"{x.id} (HTTP {x.status}, {i.shape})" for x, i in bad[:6])
        return Verdict(FAIL, f"{len(bad)} of {len(found)} error responses are not JSON error objects: {listed}", tuple(x.id for x, _ in bad), metrics)
    if empty:
        listed = ", ".join(f"{x.id} (HTTP {x.status})" for x, _ in empty[:6])
        return Verdict(WARN, f"{len(empty)} of {len(found)} error responses have no body: {listed}", tuple(x.id for x, _ in empty), metrics)
    if odd:
        # A message can be dug out, but not where the official SDKs look for it (error.message).
        listed = ", ".join(f"{x.id} (HTTP {x.status}, {_shape_words(x)})" for x, _ in odd[:6])
        return Verdict(WARN, f"{len(odd)} of {len(found)} error responses are JSON in no known dialect, which the official SDKs "
                             f"cannot read a message from: {listed}", tuple(x.id for x, _ in odd), metrics)
    return Verdict(PASS, f"all {len(found)} error responses are JSON error objects ({', '.join(dialects)} dialect)", (), metrics)


def _openai_shaped(x: Exchange) -> bool:
    """{"error": {"message": "..."}}: what the official SDKs read, whatever else the object carries."""
    err = x.json.get("error") if isinstance(x.json, dict) else None
    return isinstance(err, dict) and isinstance(err.get("message"), str)


def _shape_words(x: Exchange) -> str:
    """The top-level shape of a JSON error body, e.g. {"error": <string>} or {"message", "status"}."""
    body = x.json
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return '{"error": <string>}'
    keys = sorted(str(k) for k in body) if isinstance(body, dict) else []
    shown = ", ".join(f'"{excerpt(k, 20)}"' for k in keys[:5]) + (", …" if len(keys) > 5 else "")
    return "{" + shown + "}"


@check("errors.key_echo", probes=("errors",), protocols=NATIVE)
def key_echo(inp: CheckInput) -> Verdict:
    """No response carries a presented key back in full."""
    answered = [x for x in inp.exchanges if x.status is not None]
    if not answered:
        return Verdict(INCONCLUSIVE, "no response was received")
    echoed = [x for x in answered if x.key_echoed]
    if echoed:
        listed = ", ".join(f"{x.id} ({x.label or x.probe}, HTTP {x.status})" for x in echoed[:6])
        return Verdict(
            FAIL,
            f"{len(echoed)} response(s) echoed the presented key in full: {listed}; every log that keeps error text now holds it (shown redacted here)",
            tuple(x.id for x in echoed),
        )
    return Verdict(PASS, f"none of {len(answered)} responses echoed a presented key")


def _started(x: Exchange) -> datetime | None:
    try:
        return datetime.fromisoformat(x.timings.started_at.replace("Z", "+00:00"))
    except ValueError:
        return None


def _retry_delay(x: Exchange) -> str | None:
    """Google's retry hint: a google.rpc.RetryInfo detail's retryDelay in the error body (its APIs send no Retry-After)."""
    if protocol_of(x).name != "gemini":
        return None
    body = x.json
    err = body.get("error") if isinstance(body, dict) else None
    details = err.get("details") if isinstance(err, dict) else None
    for detail in details if isinstance(details, list) else []:
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("google.rpc.RetryInfo") and isinstance(detail.get("retryDelay"), str):
            return excerpt(detail["retryDelay"], 20)
    return None


@check("errors.rate_limit", probes=("burst",), protocols=NATIVE)
def rate_limit(inp: CheckInput) -> Verdict:
    """Opt-in burst: the first 429 carries a JSON error and Retry-After or x-ratelimit-*; report the limit seen."""
    if inp.target.rate_limit_probe is None:
        seen = sum(1 for x in inp.exchanges if x.status == 429)
        note = f" ({seen} request(s) got 429 during the run)" if seen else ""
        return Verdict(SKIP, f"opt-in: add rate_limit_probe: {{requests: N, concurrency: C}} to the target{note}")
    burst = inp.of("burst")
    if not burst:
        return Verdict(INCONCLUSIVE, "the burst did not run")
    first = next((x for x in burst if x.status == 429), None)
    if first is None:
        return Verdict(INCONCLUSIVE, f"no 429 within {len(burst)} requests: the limit is higher than the burst, or absent", (), {"burst_requests": len(burst)})
    info = ec.classify(first)
    assert info is not None
    before = [x for x in burst if int(x.id[1:]) < int(first.id[1:]) and x.ok]
    start, end = _started(burst[0]), _started(first)
    elapsed = max((end - start).total_seconds(), 0.001) if start and end else None
    headers = {k.lower(): v for k, v in first.response_headers}
    limit_headers = {k: v for k, v in headers.items() if k.startswith("x-ratelimit-")}
    metrics = {
        "ok_before_first_429": len(before),
        "seconds_to_first_429": round(elapsed, 3) if elapsed is not None else None,
        "retry_after": headers.get("retry-after") or headers.get("retry-after-ms"),
        **({"x_ratelimit_limit_requests": limit_headers["x-ratelimit-limit-requests"]} if "x-ratelimit-limit-requests" in limit_headers else {}),
    }
    observed = f"429 after {len(before)} successful requests" + (f" in {elapsed:.2f} s" if elapsed is not None else "")
    problems = []
    if info.category == ec.INSUFFICIENT_BALANCE:
        return Verdict(INCONCLUSIVE, f"{observed}, but it reports insufficient balance ({info.code or info.type}), not a rate limit", (first.id,), metrics)
    if not info.parseable:
        problems.append(f"no JSON error body ({info.shape})")
    retry_info = _retry_delay(first)
    if retry_info:
        metrics["retry_delay"] = retry_info
    if not any(h in headers for h in _RATE_HEADERS) and not limit_headers and not retry_info:
        problems.append("no Retry-After or x-ratelimit-* headers, so clients can only guess when to retry")
    if problems:
        return Verdict(FAIL, f"{observed}; " + "; ".join(problems), (first.id,), metrics)
    hints = [f"Retry-After {metrics['retry_after']}"] if metrics["retry_after"] else []
    hints += [f"RetryInfo retryDelay {retry_info}"] if retry_info else []
    hints += [f"{k} {v}" for k, v in sorted(limit_headers.items())[:3]]
    return Verdict(PASS, f"{observed}, with {', '.join(hints)}", (first.id,), metrics)


@check("errors.insufficient_balance", probes=("errors",), protocols=NATIVE)
def insufficient_balance(inp: CheckInput) -> Verdict:
    """Opt-in: a key with no balance is refused with an error a client can tell apart from a rate limit."""
    if not inp.target.empty_key_env:
        return Verdict(SKIP, "opt-in: set empty_key_env to the variable of a key with no balance")
    ex = _labelled(inp, "empty-balance key")
    if ex is None:
        return Verdict(INCONCLUSIVE, "the empty-balance request was not sent")
    if ex.status is None:
        return Verdict(INCONCLUSIVE, f"the empty-balance request got no answer: {describe(ex)}", (ex.id,))
    info = ec.classify(ex)
    if ex.status < 300:
        return Verdict(FAIL, f"a key with no balance got HTTP {ex.status}: a client sees success, not an empty balance", (ex.id,))
    assert info is not None
    cause = f"HTTP {ex.status} {info.code or info.type or ''}".strip()
    if ex.status >= 500:
        return Verdict(FAIL, f"{cause}: a server error, not a balance refusal: {_message(info)}", (ex.id,))
    if info.category == ec.INSUFFICIENT_BALANCE:
        return Verdict(PASS, f"refused with {cause}: a client can tell an empty balance from a rate limit", (ex.id,))
    if info.category == ec.RATE_LIMITED:
        return Verdict(FAIL, f"refused like a rate limit ({cause}): clients will retry instead of topping up", (ex.id,))
    if info.category == ec.AUTHENTICATION:
        return Verdict(INCONCLUSIVE, f"refused as an invalid key ({cause}): is empty_key_env a valid key with no balance?", (ex.id,))
    return Verdict(FAIL, f"refused as {info.label} ({cause}): not recognisable as an exhausted balance", (ex.id,))


@check("errors.timeout", protocols=NATIVE)
def timeout(inp: CheckInput) -> Verdict:
    """Every request finished within its deadline; the ones that did not are classified."""
    sent = [x for x in inp.exchanges if x.error_kind not in ("not_sent", "cost_cap", "run_deadline")]
    if not sent:
        return Verdict(INCONCLUSIVE, "no requests were sent")
    # A refused connection or an unknown host is not slowness: base.api_root and chat.basic name it.
    tried = [x for x in sent if x.error_kind != "unreachable"]
    if not tried:
        return Verdict(INCONCLUSIVE, f"the relay could not be reached ({sent[0].id}: {sent[0].error}): no deadline was tested", (sent[0].id,))
    late = [x for x in tried if x.error_kind in TIMEOUT_KINDS]
    metrics = {kind: sum(1 for x in late if x.error_kind == kind) for kind in TIMEOUT_KINDS}
    if late:
        parts = []
        for x in late[:5]:
            detail = TIMEOUT_KINDS[x.error_kind or ""]
            if x.error_kind == "stream_idle" and x.events:
                detail += f" after event #{x.events[-1].index} at {x.events[-1].t_ms:.0f} ms"
            parts.append(f"{x.id} {x.probe} {detail}")
        return Verdict(FAIL, f"{len(late)} of {len(tried)} requests did not finish in time: {'; '.join(parts)}", tuple(x.id for x in late), metrics)
    slowest = max(tried, key=lambda x: x.timings.end_ms or 0.0)
    return Verdict(PASS, f"all {len(tried)} requests finished within their deadlines (slowest {slowest.timings.end_ms or 0:.0f} ms, {slowest.id})", (), metrics)
