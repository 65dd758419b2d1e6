"""Checks on the usage object of non-stream replies."""

from __future__ import annotations

from relaycheck.text import tokens
from relaycheck.checks import FAIL, INCONCLUSIVE, NATIVE, PASS, SKIP, WARN, CheckInput, Verdict, check
from relaycheck.checks._util import describe, prompt_tokens, usage_problem
from relaycheck.protocol import protocol_of
from relaycheck.wire.exchange import Exchange


@check("usage.present", probes=("chat",), protocols=NATIVE)
def present(inp: CheckInput) -> Verdict:
    """usage has the protocol's integers and its total adds up (Anthropic Messages reports no total)."""
    ex = next((x for x in inp.of("chat") if x.ok and isinstance(x.json, dict)), None)
    if ex is None:
        return Verdict(INCONCLUSIVE, "no successful completion to read usage from")
    usage, proto, reply = ex.reply.usage, protocol_of(ex), ex.reply
    problem = usage_problem(usage, proto)
    if problem:
        return Verdict(FAIL, problem, (ex.id,))
    metrics = {"prompt_tokens": reply.prompt_tokens, "completion_tokens": reply.completion_tokens, "total_tokens": reply.total_tokens}
    if not proto.usage_total:
        return Verdict(PASS, f"{proto.usage_prompt} {usage[proto.usage_prompt]}, {proto.usage_completion} {usage[proto.usage_completion]} "
                             "(the protocol reports no total)", (ex.id,), metrics)
    if proto.name != "chat":
        return Verdict(PASS, f"{proto.usage_prompt} {usage[proto.usage_prompt]} + {proto.usage_completion} {usage[proto.usage_completion]} "
                             f"= {proto.usage_total} {usage[proto.usage_total]}", (ex.id,), metrics)
    return Verdict(
        PASS,
        f"prompt {usage['prompt_tokens']} + completion {usage['completion_tokens']} = total {usage['total_tokens']}",
        (ex.id,),
        metrics,
    )


SLOPE_TOLERANCE = 0.03
HIDDEN_WARN = 6  # tokens per request beyond the chat framing
HIDDEN_FAIL = 30


@check("usage.prompt", probes=("slope",), protocols=("openai", "responses"))
def prompt(inp: CheckInput) -> Verdict:
    """prompt_tokens against the local count of 1x, 2x, 4x prompts: slope 1, intercept = hidden overhead."""
    assert inp.model is not None
    encoding = tokens.encoding_for(inp.model)
    if encoding == tokens.UNKNOWN:
        return Verdict(SKIP, f"{inp.model} is not an OpenAI model: its prompt cannot be counted offline")
    points = sorted(inp.of("slope"), key=lambda x: x.label)
    if len(points) < 3:
        return Verdict(INCONCLUSIVE, "the prompt-length probe did not complete")
    evidence = tuple(x.id for x in points)
    xs, ys = [], []
    for x in points:
        reported = prompt_tokens(x)
        if reported is None:
            return Verdict(INCONCLUSIVE, f"{x.id} has no usable prompt_tokens ({describe(x)})", evidence)
        # The user's text counted as one chat message: the framing is the per-request overhead, the same at every size.
        xs.append(tokens.count_chat_prompt([{"role": "user", "content": protocol_of(x).user_prompt_of(x.request_json)}], encoding))
        ys.append(reported)
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    slope = sum((a - mean_x) * (b - mean_y) for a, b in zip(xs, ys)) / sum((a - mean_x) ** 2 for a in xs)
    hidden = mean_y - slope * mean_x
    share = hidden / ys[0] if ys[0] else 0.0
    metrics = {"slope": round(slope, 4), "hidden_tokens": round(hidden, 1), "share_of_short_request": round(share, 3),
               "local_counts": xs, "reported": ys}
    points_text = ", ".join(f"{a}→{b}" for a, b in zip(xs, ys))
    if abs(slope - 1) > SLOPE_TOLERANCE:
        return Verdict(FAIL, f"prompt_tokens grow {slope:.2f}x as fast as the text ({encoding} count→reported: {points_text}; expected 1.00 ± {SLOPE_TOLERANCE})", evidence, metrics)
    overhead = f"{hidden:.0f} tokens per request beyond the chat framing ({share:.0%} of the shortest request; counted→reported {points_text})"
    if hidden >= HIDDEN_FAIL:
        return Verdict(FAIL, f"a hidden prompt of about {overhead}: you pay for text you did not send", evidence, metrics)
    if hidden >= HIDDEN_WARN:
        return Verdict(WARN, f"a small hidden overhead of about {overhead}", evidence, metrics)
    if hidden <= -HIDDEN_WARN:
        return Verdict(WARN, f"reports {-hidden:.0f} tokens fewer per request than the prompt has ({points_text})", evidence, metrics)
    return Verdict(PASS, f"slope {slope:.2f}, overhead {hidden:.0f} tokens (expected 0 ± {HIDDEN_WARN - 1}; counted→reported {points_text})", evidence, metrics)


COMPLETION_TOLERANCE = 0.03


@check("usage.completion", probes=("chat", "stream", "long"), protocols=NATIVE)
def completion(inp: CheckInput) -> Verdict:
    """Reported completion_tokens equal the local count of the returned text (plus reasoning), on both paths."""
    assert inp.model is not None
    encoding = tokens.encoding_for(inp.model)
    if encoding == tokens.UNKNOWN:
        return Verdict(SKIP, f"{inp.model} is not an OpenAI model: its replies cannot be counted offline")
    checked: dict[str, list[tuple[Exchange, int, int]]] = {"non-stream": [], "stream": []}
    no_usage = []
    for x in inp.of("chat") + inp.of("stream") + inp.of("long"):
        if not x.ok:
            continue
        path = "stream" if x.events else "non-stream"
        text = x.reply.streamed_text if x.events else x.reply.text
        if text is None:
            continue
        if x.reply.completion_tokens is None:
            no_usage.append(f"{x.id} ({path})")
            continue
        expected = tokens.count_text(text, encoding) + x.reply.reasoning_tokens
        checked[path].append((x, x.reply.completion_tokens, expected))
    pairs = checked["non-stream"] + checked["stream"]
    if not pairs:
        return Verdict(INCONCLUSIVE, "no reply carried completion_tokens to compare")
    note = f"; no usage on {', '.join(no_usage)}" if no_usage else ""
    inflated = [(x, r, e) for x, r, e in pairs if r > e + max(2, round(COMPLETION_TOLERANCE * e))]
    under = [(x, r, e) for x, r, e in pairs if r < e - max(2, round(COMPLETION_TOLERANCE * e))]
    worst = max(pairs, key=lambda p: p[1] / max(p[2], 1))
    metrics = {"replies": len(pairs), "worst_ratio": round(worst[1] / max(worst[2], 1), 3)}
    evidence = tuple(x.id for x, _, _ in (inflated or under or pairs))
    if inflated:
        listed = "; ".join(f"{x.id} ({x.label}) says {r}, the text is {e} ({r / max(e, 1):.2f}x)" for x, r, e in inflated[:4])
        return Verdict(FAIL, f"completion_tokens inflated: {listed}{note}", evidence, metrics)
    if under:
        listed = "; ".join(f"{x.id} ({x.label}) says {r}, the text is {e}" for x, r, e in under[:4])
        return Verdict(WARN, f"completion_tokens below the text's count: {listed}{note}", evidence, metrics)
    paths = ", ".join(f"{len(v)} {k}" for k, v in checked.items() if v)
    biggest = max(pairs, key=lambda p: p[2])
    return Verdict(PASS, f"{paths} replies match their text (±{COMPLETION_TOLERANCE:.0%}), e.g. {biggest[1]} reported vs {biggest[2]} counted{note}", evidence, metrics)
