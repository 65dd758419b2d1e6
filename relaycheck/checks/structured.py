"""Deep checks: structured output, forced tool calls, n, logprobs and seed: honoured, or honestly refused."""

from __future__ import annotations

from typing import Any

from relaycheck.checks import FAIL, INCONCLUSIVE, NATIVE, PASS, WARN, CheckInput, Verdict, check
from relaycheck.checks._util import cut_by_own_budget, describe, excerpt
from relaycheck.wire.exchange import Exchange, loads_relay
from relaycheck.probes.structured import PLACE_SCHEMA, TOOL

_REFUSED = (400, 422)  # an explicit "not supported" is honest, never fraud


def _x(inp: CheckInput, label: str) -> Exchange | None:
    return next((x for x in inp.of("structured") if x.label == label and x.model == inp.model), None)


def matches(value: Any, schema: dict) -> bool:
    """The small part of JSON Schema the probes use: object/string types, properties, required, additionalProperties."""
    kind = schema.get("type")
    if kind == "string":
        return isinstance(value, str)
    if kind == "object":
        if not isinstance(value, dict):
            return False
        props = schema.get("properties", {})
        if any(key not in value for key in schema.get("required", ())):
            return False
        if schema.get("additionalProperties") is False and set(value) - set(props):
            return False
        return all(matches(value[k], sub) for k, sub in props.items() if k in value)
    return True


def _parsed(text: str) -> Any:
    return loads_relay(text)  # the model's text is relay text: nested 1,000 deep it is "not JSON", not a crash


def _unusable(x: Exchange | None, what: str) -> Verdict | None:
    """A verdict when the request cannot be judged for its parameter: not sent, refused, failed or empty."""
    if x is None:
        return Verdict(INCONCLUSIVE, f"the {what} request was not sent")
    if x.status in _REFUSED:
        return Verdict(PASS, f"{what} is not supported: refused with HTTP {x.status} ({describe(x)}), which is honest", (x.id,), {"supported": False})
    if not x.ok or not isinstance(x.json, dict) and not x.events:
        return Verdict(INCONCLUSIVE, f"the {what} request did not succeed ({describe(x)})", (x.id,))
    return None


@check("params.json_mode", probes=("structured",))
def json_mode(inp: CheckInput) -> Verdict:
    """json_object gives a JSON object; json_schema (strict) gives JSON matching the schema."""
    results, evidence = [], []
    for label in ("json_object", "json_schema"):
        x = _x(inp, label)
        early = _unusable(x, f"response_format {label}")
        if early is not None:
            return early if early.status != PASS else Verdict(INCONCLUSIVE, early.summary, early.evidence)
        assert x is not None
        evidence.append(x.id)
        text = x.reply.text or ""
        if not text.strip():
            return Verdict(INCONCLUSIVE, f"the {label} reply is empty", tuple(evidence))
        value = _parsed(text)
        cut = cut_by_own_budget(x)
        if cut and not isinstance(value, dict):  # half a JSON object is what any budget cut leaves behind
            return Verdict(INCONCLUSIVE, f"the {label} reply: {cut}", tuple(evidence))
        ok = isinstance(value, dict) and (label == "json_object" or matches(value, PLACE_SCHEMA))
        results.append((label, ok, text))
    bad = [(label, text) for label, ok, text in results if not ok]
    if bad:
        return Verdict(FAIL, "; ".join(f"{label} answered with “{excerpt(text, 60)}”, not JSON matching what was asked" for label, text in bad), tuple(evidence))
    return Verdict(PASS, "json_object gave a JSON object and json_schema (strict) JSON matching the schema", tuple(evidence))


# Where a tool_use id's prefix says the call was made: Anthropic's own (also on Bedrock and Vertex: toolu_bdrk_,
# toolu_vrtx_), or another API's format translated into a Messages reply.
TOOL_ID_ORIGINS = (("toolu_", "Anthropic"), ("tooluse_", "Bedrock's Converse API"), ("call_", "OpenAI Chat Completions"))


def _foreign_ids(calls: list) -> list[str]:
    """Messages tool_use ids that are not Anthropic's, each with the format its prefix names."""
    out = []
    for call in calls:
        origin = next((name for prefix, name in TOOL_ID_ORIGINS if isinstance(call.id, str) and call.id.startswith(prefix)), None)
        if origin != "Anthropic":
            out.append(f"{excerpt(str(call.id), 40)!r} ({origin + ' format' if origin else 'no known format'})")
    return out


@check("params.tools", probes=("structured",), protocols=NATIVE)
def tools(inp: CheckInput) -> Verdict:
    """A forced call names the function with arguments valid against its schema, non-stream and stream; over
    Messages its tool_use ids are Anthropic's (toolu_), else a warning names the format they were translated from."""
    name, schema = TOOL["function"]["name"], TOOL["function"]["parameters"]
    evidence, problems, made = [], [], []
    for label in ("tools", "tools stream"):
        x = _x(inp, label)
        early = _unusable(x, f"forced tool call ({label})")
        if early is not None:
            return early
        assert x is not None
        evidence.append(x.id)
        calls = x.reply.tool_calls  # a stream's reassembled from its fragments
        cut = cut_by_own_budget(x)
        if cut:  # arguments cut mid-way are not the relay's edit
            return Verdict(INCONCLUSIVE, f"the forced tool call ({label}): {cut}", tuple(evidence))
        if not calls:
            text = x.reply.text if label == "tools" else None
            problems.append(f"{label}: no tool_calls" + (f", a text reply instead (“{excerpt(text, 50)}”)" if text else ""))
            continue
        call = calls[0]
        made.append(call)
        arguments = _parsed(call.arguments if isinstance(call.arguments, str) else "")
        if call.name != name or not matches(arguments, schema):
            problems.append(f"{label}: called {call.name!r} with arguments {excerpt(str(call.arguments), 60)!r}, not valid against the schema")
    if problems:
        return Verdict(FAIL, "the forced function call was not made as asked: " + "; ".join(problems), tuple(evidence))
    foreign = _foreign_ids(made) if inp.target.protocol == "anthropic" else []
    if foreign:
        return Verdict(WARN, f"{name} was called as asked, but the tool_use ids are not Anthropic's toolu_ ids: {', '.join(foreign)}; "
                       "the calls were translated from another API's reply", tuple(evidence))
    return Verdict(PASS, f"{name} was called with schema-valid arguments, non-stream and stream (reassembled from fragments)", tuple(evidence))


@check("params.n", probes=("structured",))
def n_choices(inp: CheckInput) -> Verdict:
    """n=2 returns two choices, or is refused with a 400; one choice means it was accepted and ignored."""
    x = _x(inp, "n")
    early = _unusable(x, "n=2")
    if early is not None:
        return early
    assert x is not None
    count = len(x.reply.choices)
    if count == 2:
        return Verdict(PASS, "n=2 returned two choices", (x.id,), {"choices": 2})
    return Verdict(FAIL, f"n=2 was accepted (HTTP {x.status}) but {count} choice(s) came back: the parameter was ignored", (x.id,), {"choices": count})


@check("params.logprobs", probes=("structured",))
def logprobs(inp: CheckInput) -> Verdict:
    """logprobs returns per-token log probabilities, or is refused with a 400; a reply without them is the failure."""
    x = _x(inp, "logprobs")
    early = _unusable(x, "logprobs")
    if early is not None:
        return early
    assert x is not None
    first = x.reply.choices[0] if x.reply.choices and isinstance(x.reply.choices[0], dict) else {}
    block = first.get("logprobs")
    content = block.get("content") if isinstance(block, dict) else None
    if isinstance(content, list) and content and all(isinstance(t, dict) and "logprob" in t for t in content):
        n = len(content)
        return Verdict(PASS, f"logprobs for {n} token{'' if n == 1 else 's'} came back", (x.id,), {"tokens": n})
    return Verdict(FAIL, f"logprobs was accepted (HTTP {x.status}) but the reply carries none: the parameter was ignored", (x.id,))


@check("params.seed", probes=("structured",))
def seed(inp: CheckInput) -> Verdict:
    """The same seed at temperature 1 reproduces the reply, or the seed is refused with a 400. OpenAI's seed is
    best effort: different replies are inconclusive, never proof it was dropped."""
    pair = [_x(inp, "seed #1"), _x(inp, "seed #2")]
    for x in pair:
        early = _unusable(x, "seed")
        if early is not None:
            return early
    first, second = (x.reply.text or "" for x in pair if x is not None)
    evidence = tuple(x.id for x in pair if x is not None)
    if not first.strip() or not second.strip():
        return Verdict(INCONCLUSIVE, "a seeded request gave an empty reply", evidence)
    if first == second:
        return Verdict(PASS, "the same seed gave the same reply at temperature 1", evidence)
    return Verdict(INCONCLUSIVE, "the same seed gave different replies; seed is best effort upstream, so this does not prove it was dropped", evidence)
