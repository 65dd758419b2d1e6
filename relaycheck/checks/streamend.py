"""How each native protocol's stream ends, judged for stream.complete: Anthropic's named events, the Responses
API's typed events, Gemini's chunks (Chat Completions' finish_reason and [DONE] are judged in stream.py)."""

from __future__ import annotations

import json

from relaycheck.checks import FAIL, INCONCLUSIVE, PASS, Verdict
from relaycheck.checks._util import excerpt
from relaycheck.protocol import chunks
from relaycheck.wire.exchange import Exchange


def _broke_off(ex: Exchange) -> list[str]:
    """The transport cut, as the first problem of a stream (none when it ended cleanly)."""
    return [f"the stream broke off: {ex.error_kind} error ({ex.error})"] if ex.error else []


def _tail(ex: Exchange) -> str:
    return f"; the stream ended with “{excerpt(ex.sse_tail, 60)}”" if ex.sse_tail.strip() else ""


_MESSAGES_EVENTS = {"message_start", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop", "error"}
_TRANSIENT = {"overloaded_error", "api_error", "rate_limit_error"}


def _complete_messages(ex: Exchange) -> Verdict:
    """An Anthropic stream: message_start first, a message_delta with a stop_reason, then message_stop (no [DONE]),
    and no in-band error event."""
    # Pings may come anywhere, before message_start too (the SDK drops them); unknown event types are skipped alike.
    kinds = [(event.index, payload.get("type") if isinstance(payload, dict) else None) for event, payload in ex.event_payloads()]
    kinds = [(i, k) for i, k in kinds if isinstance(k, str) and k in _MESSAGES_EVENTS]  # a hostile list is no event type
    names = [k for _, k in kinds]
    finish, error = None, None
    for chunk in chunks(ex):  # one pass: the first stop reason, the first error event
        finish, error = finish or chunk.finish_reason, error or chunk.error
    kind = error.get("type") if isinstance(error, dict) and isinstance(error.get("type"), str) else None
    if kind in _TRANSIENT:
        # The API itself sends overloaded_error inside a 200 stream: the request was unlucky, the stream is not broken.
        return Verdict(INCONCLUSIVE, f"the stream carried a {kind} event: “{excerpt(json.dumps(error), 120)}” (an overloaded upstream, "
                                     "not a framing fault)", (ex.id,))
    problems = _broke_off(ex)
    if not names or names[0] != "message_start":
        problems.append(f"the first event is {excerpt(str(names[0]), 40)!r}, not 'message_start'" if names else "no event came")
    if finish is None:
        problems.append("no message_delta carried a stop_reason")
    if "message_stop" not in names:
        problems.append("no message_stop event" + _tail(ex))
    if error:
        problems.append(f"an error event: “{excerpt(json.dumps(error), 120)}”")
    if problems:
        return Verdict(FAIL, "; ".join(problems), (ex.id,))
    stop_at = next(i for i, k in kinds if k == "message_stop")
    return Verdict(PASS, f"stop_reason read as {finish!r}, then message_stop at event #{stop_at}", (ex.id,), {"finish_reason": finish})


# Codes of a failed response or error event that say the upstream was busy, not that the relay frames streams wrongly.
_TRANSIENT_CODES = {"server_error", "rate_limit_exceeded", "too_many_requests", "server_is_overloaded", "slow_down"}


def _complete_responses(ex: Exchange) -> Verdict:
    """A Responses stream: response.created first (the openai SDK's stream helper refuses anything else), then a
    terminal event (response.completed, or .incomplete at the output limit); [DONE] is optional, an error is not."""
    kinds = [(event.index, payload.get("type")) for event, payload in ex.event_payloads()
             if isinstance(payload, dict) and isinstance(payload.get("type"), str)]
    names = [k for _, k in kinds]
    finish, error = None, None
    for chunk in chunks(ex):  # one pass: the end the terminal event states, the first error
        finish, error = finish or chunk.finish_reason, error or chunk.error
    code = error.get("code") if isinstance(error, dict) and isinstance(error.get("code"), str) else None
    if code in _TRANSIENT_CODES:
        return Verdict(INCONCLUSIVE, f"the stream carried a {code} error: “{excerpt(json.dumps(error), 120)}” (a busy upstream, "
                                     "not a framing fault)", (ex.id,))
    problems = _broke_off(ex)
    if not names or names[0] != "response.created":
        problems.append(f"the first event is {excerpt(str(names[0]), 40)!r}, not 'response.created'" if names else "no typed event came")
    terminal = next(((i, k) for i, k in kinds if k in ("response.completed", "response.incomplete", "response.failed")), None)
    if terminal is None:
        problems.append("no response.completed event (nor .incomplete or .failed)" +
                        _tail(ex))
    elif terminal[1] == "response.failed" or error:
        problems.append(f"the response failed: “{excerpt(json.dumps(error), 120)}”" if error else "the response failed without an error object")
    if problems:
        return Verdict(FAIL, "; ".join(problems), (ex.id,))
    assert terminal is not None
    return Verdict(PASS, f"{terminal[1]} at event #{terminal[0]}, its end read as {finish!r}", (ex.id,), {"finish_reason": finish})


# Google's statuses of an error object that say the upstream was busy, not that the stream is framed wrongly.
_BUSY_STATUSES = {"RESOURCE_EXHAUSTED", "UNAVAILABLE", "INTERNAL", "DEADLINE_EXCEEDED"}


def _complete_gemini(ex: Exchange) -> Verdict:
    """A Gemini stream: every chunk a response object, one of them stating its finishReason (Gemini sends no end
    marker: the stream just ends), no error object, no transport cut."""
    finish_at, finish, error, shaped = None, None, None, False
    for chunk in chunks(ex):
        payload = chunk.payload if isinstance(chunk.payload, dict) else {}
        shaped = shaped or isinstance(payload.get("candidates"), list)
        if chunk.finish_reason and finish_at is None:
            finish_at, finish = chunk.index, chunk.finish_reason
        error = error or chunk.error
    status = error.get("status") if isinstance(error, dict) and isinstance(error.get("status"), str) else None
    if status in _BUSY_STATUSES:
        return Verdict(INCONCLUSIVE, f"the stream carried a {status} error: “{excerpt(json.dumps(error), 120)}” (a busy upstream, "
                                     "not a framing fault)", (ex.id,))
    problems = _broke_off(ex)
    if not shaped:
        problems.append("no chunk carried candidates")
    if finish_at is None:
        problems.append("no chunk stated a finishReason" + _tail(ex))
    if error:
        problems.append(f"an error object: “{excerpt(json.dumps(error), 120)}”")
    if problems:
        return Verdict(FAIL, "; ".join(problems), (ex.id,))
    return Verdict(PASS, f"finishReason read as {finish!r} at event #{finish_at}, then the stream ended", (ex.id,), {"finish_reason": finish})


NATIVE_ENDS = {"anthropic": _complete_messages, "responses": _complete_responses, "gemini": _complete_gemini}
