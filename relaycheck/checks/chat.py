"""Checks on a minimal non-stream chat completion: shape, and that a live model followed the prompt."""

from __future__ import annotations


from relaycheck.checks import NATIVE, FAIL, INCONCLUSIVE, PASS, WARN, CheckInput, Verdict, check
from relaycheck.checks._util import best, describe, excerpt, is_int

from relaycheck.probes.prompts import NONCE_PATTERN
from relaycheck.protocol import protocol_of

# Top-level fields OpenAI or well-known gateways send; anything else is a tolerated deviation (warn).
_KNOWN_FIELDS = {
    "id", "object", "created", "model", "choices", "usage", "system_fingerprint", "service_tier",
    "prompt_filter_results", "provider", "obfuscation", "citations", "x_groq", "prompt_logprobs", "kv_transfer_params",
}


def _missing_fields(body: dict) -> list[str]:
    missing = [f for f in ("id", "object", "created", "model") if f not in body]
    if "id" in body and not isinstance(body["id"], str):
        missing.append("id (not a string)")
    if "created" in body and not is_int(body["created"]):
        missing.append("created (not an integer)")
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices:
        return missing + ["choices"]
    for i, choice in enumerate(choices):
        if not isinstance(choice, dict):
            missing.append(f"choices[{i}]")
            continue
        for field in ("index", "message", "finish_reason"):
            if field not in choice:
                missing.append(f"choices[{i}].{field}")
        message = choice.get("message")
        if isinstance(message, dict) and "content" not in message and "tool_calls" not in message:
            missing.append(f"choices[{i}].message.content")
    return missing


def _deviations(body: dict) -> list[str]:
    found = [] if body.get("object") == "chat.completion" else [f"object is {body.get('object')!r}"]
    extra = sorted(set(body) - _KNOWN_FIELDS)
    return found + ([f"extra fields {', '.join(extra)}"] if extra else [])


@check("chat.basic", probes=("chat",), protocols=NATIVE)
def basic(inp: CheckInput) -> Verdict:
    """200 with the required fields passes; tolerated extras warn; anything else fails."""
    ex = best(inp.of("chat"))
    if ex is None:
        return Verdict(INCONCLUSIVE, "no chat request was sent")
    metrics = {"latency_ms": round(ex.timings.end_ms or 0.0, 1), "status": ex.status}
    if not ex.ok:
        return Verdict(FAIL, f"the completion failed: {describe(ex)}", (ex.id,), metrics)
    body = ex.json
    if not isinstance(body, dict):
        return Verdict(FAIL, f"HTTP {ex.status} but the body is not a JSON object: “{excerpt(ex.body, 100)}”", (ex.id,), metrics)
    if body.get("error"):
        return Verdict(FAIL, f"HTTP {ex.status} with an error body: {describe(ex)}", (ex.id,), metrics)
    protocol = protocol_of(ex)
    if protocol.name != "chat":  # another protocol knows its own reply's shape
        missing, deviations = protocol.shape_problems(body)
    else:
        missing, deviations = _missing_fields(body), _deviations(body)
    if missing:
        return Verdict(FAIL, f"HTTP {ex.status} but required fields are missing: {', '.join(missing)}", (ex.id,), metrics)
    if deviations:
        return Verdict(WARN, f"works, with deviations the SDK tolerates: {'; '.join(deviations)}", (ex.id,), metrics)
    return Verdict(PASS, f"HTTP {ex.status} with every required field in {metrics['latency_ms']:.0f} ms", (ex.id,), metrics)


@check("chat.follows", probes=("chat",), protocols=NATIVE)
def follows(inp: CheckInput) -> Verdict:
    """The reply contains the fresh nonce; an older nonce is a replay; no nonce in a finished reply is canned."""
    ex = next((x for x in inp.of("chat") if x.ok), None)
    if ex is None:
        return Verdict(INCONCLUSIVE, "no successful completion to judge")
    prompt = str(ex.request_json)
    asked = NONCE_PATTERN.search(prompt)
    text = ex.reply.text
    if asked is None or text is None:
        return Verdict(INCONCLUSIVE, "the reply has no message content to compare", (ex.id,))
    nonce = asked.group()
    if nonce.lower() in text.lower():
        return Verdict(PASS, "the reply repeats the fresh nonce: a live model answered", (ex.id,))
    others = [m for m in NONCE_PATTERN.findall(text) if m.lower() != nonce.lower()]
    if others:
        return Verdict(FAIL, f"asked for {nonce}, the reply carries {others[0]}: a cached or replayed answer", (ex.id,))
    finish = ex.reply.finish_reason
    if not text.strip() or finish in ("length", "content_filter"):
        # Cut at the limit, or refused by the model's own filter (Anthropic's refusal): no canned reply shown either way.
        return Verdict(INCONCLUSIVE, f"the reply was empty, cut at the token limit or filtered (finish_reason {finish!r})", (ex.id,))
    return Verdict(
        FAIL,
        f"the reply does not contain the nonce asked for: “{excerpt(text, 80)}” (a canned reply, "
        "or a model that cannot repeat one line)",
        (ex.id,),
    )
