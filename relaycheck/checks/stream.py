"""Checks on streaming: SSE framing the SDK can consume, completion, real incrementality, usage."""

from __future__ import annotations

import json

from relaycheck.text import tokens
from relaycheck.checks import NATIVE, FAIL, INCONCLUSIVE, PASS, CheckInput, Verdict, check
from relaycheck.checks._util import describe, excerpt, usage_problem
from relaycheck.checks.streamend import NATIVE_ENDS
from relaycheck.protocol import chunks, protocol_of
from relaycheck.wire.exchange import Exchange, loads_relay

_NOT_JSON = object()

MIN_TOKENS_TO_JUDGE = 50
# Real generation of 50+ tokens takes well over this; a buffered reply arrives within a few ms.
BUFFERED_SPAN_MS = 20.0


def _stream_to_judge(inp: CheckInput) -> Exchange | Verdict:
    """The 200 stream of this model, or the inconclusive verdict saying why there is none to judge."""
    found = inp.of("stream")
    if not found:
        return Verdict(INCONCLUSIVE, "no streaming request was sent")
    ex = found[0]
    if ex.status != 200:
        return Verdict(INCONCLUSIVE, f"the streaming request did not succeed ({describe(ex)}); see stream.sse", (ex.id,))
    return ex


# Answers to stream=true that say the relay cannot stream, rather than that this request was unlucky (401, 408, 429).
_CANNOT_STREAM = (400, 404, 405, 415, 422, 500, 501, 502, 503)


def _cannot_stream(inp: CheckInput) -> Verdict | None:
    """stream=true refused or failing while the same model answers without streaming: streaming is broken."""
    found = inp.of("stream")
    ex = found[0] if found else None
    if ex is None or ex.status is None or ex.status not in _CANNOT_STREAM:
        return None
    plain = next((x for x in inp.of("chat") if x.ok and not x.events), None)
    if plain is None:
        return None  # nothing works: chat.basic says so, and a stream verdict would only repeat it
    return Verdict(FAIL, f"the relay cannot stream: stream=true got {describe(ex)} while the same model answers without streaming ({plain.id})",
                   (ex.id, plain.id))


@check("stream.sse", probes=("stream", "chat"), protocols=("openai", "responses", "gemini"))
def sse(inp: CheckInput) -> Verdict:
    """text/event-stream, and every event before [DONE] is a JSON object without an error."""
    broken = _cannot_stream(inp)
    if broken is not None:
        return broken
    ex = _stream_to_judge(inp)
    if isinstance(ex, Verdict):
        return ex
    problems: list[str] = []
    if ex.content_type != "text/event-stream":
        problems.append(f"content-type is {ex.content_type or 'missing'}, not text/event-stream")
    if not ex.events:
        problems.append(f"no SSE events (body starts “{excerpt(ex.body, 80)}”)")
    for event in ex.events:
        where = f"event #{event.index}"
        if not event.utf8_ok:
            problems.append(f"{where} is not valid UTF-8")
            continue
        if event.data is None:
            problems.append(f"{where} ({event.event or 'unnamed'}) has no data line")
            continue
        if event.is_done:
            break
        payload = loads_relay(event.data, default=_NOT_JSON)  # never raises, even on JSON nested 1,000 deep
        if payload is _NOT_JSON:
            problems.append(f"{where} data is not JSON: “{excerpt(event.data, 40)}”")
            continue
        if not isinstance(payload, dict):
            problems.append(f"{where} data is JSON but not an object")
        elif payload.get("error"):
            problems.append(f"{where} carries an error inside a 200 stream: “{excerpt(json.dumps(payload['error']), 80)}”")
    metrics = {"events": ex.events_total, "comments": ex.sse_comments}
    if problems:
        more = f" (+{len(problems) - 3} more)" if len(problems) > 3 else ""
        return Verdict(FAIL, "; ".join(problems[:3]) + more, (ex.id,), metrics)
    return Verdict(PASS, f"{ex.events_total} events, all consumable by the SDK ({ex.sse_comments} comment lines ignored)", (ex.id,), metrics)


def _finish_after_done(ex: Exchange) -> tuple[int, str] | None:
    """(event index, finish_reason) of the first finish chunk after [DONE], read from the raw events.

    event_payloads stops at [DONE] as the SDKs do, so such a chunk is invisible to every client: the stream has no
    finish_reason for them, and the check names the misplaced chunk so the relay's operator can see why.
    """
    after, proto = False, protocol_of(ex)
    for event in ex.events:
        if event.is_done:
            after = True
            continue
        finish = proto.chunk(event.index, event.t_ms, loads_relay(event.data)).finish_reason if after else None
        if isinstance(finish, str) and finish:
            return event.index, finish
    return None


@check("stream.complete", probes=("stream",), protocols=NATIVE)
def complete(inp: CheckInput) -> Verdict:
    """A chunk with a non-null finish_reason, then data: [DONE], and no transport cut."""
    ex = _stream_to_judge(inp)
    if isinstance(ex, Verdict):
        return ex
    native = NATIVE_ENDS.get(protocol_of(ex).name)
    if native is not None:  # each native protocol ends its stream its own way
        return native(ex)
    finish_at = None
    finish_reason = None
    for chunk in chunks(ex):
        if chunk.finish_reason:
            finish_at, finish_reason = chunk.index, chunk.finish_reason
    done_at = next((e.index for e in ex.events if e.is_done), None)
    problems = []
    if ex.error:
        problems.append(f"the stream broke off: {ex.error_kind} error ({ex.error})")
    if finish_at is None:
        late = _finish_after_done(ex)
        problems.append("no chunk carried a finish_reason" if late is None else
                        f"no chunk before [DONE] carried a finish_reason; event #{late[0]} after [DONE] carries {late[1]!r}, "
                        "which SDKs never read (they stop at [DONE])")
    if done_at is None:
        problems.append("no data: [DONE]" + (f"; the stream ended with “{excerpt(ex.sse_tail, 60)}”" if ex.sse_tail.strip() else ""))
    if problems:
        return Verdict(FAIL, "; ".join(problems), (ex.id,))
    return Verdict(PASS, f"finish_reason {finish_reason!r} at event #{finish_at}, then [DONE]", (ex.id,), {"finish_reason": finish_reason})


def _completion_tokens(ex: Exchange, text: str, model: str) -> int | None:
    """The visible reply's tokens: the reported completion less its hidden reasoning (thoughts are not streamed text)."""
    if ex.reply.completion_tokens is not None:
        return max(ex.reply.completion_tokens - ex.reply.reasoning_tokens, 0)
    encoding = tokens.encoding_for(model)
    return tokens.count_text(text, encoding) if encoding != tokens.UNKNOWN else None


@check("stream.incremental", probes=("stream",), protocols=NATIVE)
def incremental(inp: CheckInput) -> Verdict:
    """A 50+ token reply must arrive in many chunks spread over time; metrics ttft_ms and tokens_per_s."""
    ex = _stream_to_judge(inp)
    if isinstance(ex, Verdict):
        return ex
    assert inp.model is not None
    content = [chunk for chunk in chunks(ex) if chunk.carries_text]
    text = ex.reply.streamed_text
    n_tokens = _completion_tokens(ex, text, inp.model)
    if not content or n_tokens is None or n_tokens < MIN_TOKENS_TO_JUDGE:
        return Verdict(INCONCLUSIVE, f"the reply had {n_tokens if n_tokens is not None else 'an unknown number of'} tokens; {MIN_TOKENS_TO_JUDGE}+ are needed to judge streaming", (ex.id,))
    first, last = content[0].t_ms, content[-1].t_ms
    span = last - first
    metrics = {
        "ttft_ms": round(first, 1),
        "span_ms": round(span, 1),
        "content_chunks": len(content),
        "arrivals": len({e.t_ms for e in content}),
        "completion_tokens": n_tokens,
        "tokens_per_s": round(n_tokens / (span / 1000.0), 1) if span > 0 else None,
    }
    if len(content) == 1:
        return Verdict(FAIL, f"the whole reply of {n_tokens} tokens arrived as one chunk after {first:.0f} ms", (ex.id,), metrics)
    if span < BUFFERED_SPAN_MS:
        return Verdict(
            FAIL,
            f"all {len(content)} chunks arrived within {span:.1f} ms, {first:.0f} ms after the request: buffered, not streamed",
            (ex.id,),
            metrics,
        )
    rate = f", {metrics['tokens_per_s']:.0f} tokens/s" if metrics["tokens_per_s"] else ""
    return Verdict(PASS, f"{len(content)} chunks over {span:.0f} ms; first token after {first:.0f} ms{rate}", (ex.id,), metrics)


# Where each protocol's stream reports its usage, as a finding names it.
_USAGE_WHERE = {"chat": "no usage chunk although stream_options.include_usage was set", "gemini": "no chunk carried usageMetadata",
                "anthropic": "neither message_start nor message_delta carried usage",
                "responses": "the terminal event's response carried no usage"}


@check("stream.usage", probes=("stream",), protocols=NATIVE)
def usage(inp: CheckInput) -> Verdict:
    """The stream reports usage (include_usage's chunk; Messages' and Responses' own events), it adds up, and it
    matches the streamed text's token count."""
    ex = _stream_to_judge(inp)
    if isinstance(ex, Verdict):
        return ex
    assert inp.model is not None
    reported, proto = ex.reply.usage, protocol_of(ex)
    if reported is None:
        return Verdict(FAIL, _USAGE_WHERE.get(proto.name, "the stream carried no usage"), (ex.id,))
    problem = usage_problem(reported, proto)
    if problem:
        return Verdict(FAIL, f"the usage chunk is unusable: {problem}", (ex.id,))
    encoding = tokens.encoding_for(inp.model)
    completion = ex.reply.completion_tokens
    assert completion is not None  # usage_problem found the protocol's completion count
    if encoding == tokens.UNKNOWN:
        return Verdict(
            INCONCLUSIVE,
            f"usage present ({proto.usage_completion} {completion}); {inp.model}'s tokenizer is not available offline, so agreement with the text cannot be verified",
            (ex.id,),
        )
    local = tokens.count_text(ex.reply.streamed_text, encoding)
    reasoning = ex.reply.reasoning_tokens
    expected = local + reasoning
    tolerance = max(2, round(0.05 * expected))
    metrics = {"reported_completion_tokens": completion, "counted_completion_tokens": local, "reasoning_tokens": reasoning}
    if abs(completion - expected) > tolerance:
        return Verdict(
            FAIL,
            f"usage says {completion} completion tokens; the streamed text is {local} tokens in {encoding}"
            + (f" (+{reasoning} reasoning)" if reasoning else ""),
            (ex.id,),
            metrics,
        )
    return Verdict(PASS, f"usage chunk agrees with the streamed text ({completion} vs {expected} counted in {encoding})", (ex.id,), metrics)
