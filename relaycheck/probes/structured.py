"""Probe `structured` (deep profile): JSON modes, a forced tool call (non-stream and stream), n, logprobs, seed; over
the native protocols the forced tool call only (the rest are Chat Completions' own parameters)."""

from __future__ import annotations

import asyncio

from typing import Any

from relaycheck.protocol import NATIVE, for_target
from relaycheck.protocol.chat import CHAT
from relaycheck.probes.canaries import Tool, messages_ceiling
from relaycheck.probes import ProbeContext, ProbeCost, request_cost, retry_cost, send, send_reply
from relaycheck.probes.registry import Phase, ProbeSpec, Scope, Step, for_each_model

NAME = "structured"
VISIBLE, REASONING_BUDGET = 60, 1024
PLACE_PROMPT = "Return the capital of France as a JSON object with the keys city and country."
TOOL_PROMPT = "What is the weather in Paris right now? Use the tool."
SEED_PROMPT = "Write one short sentence about the sea."
SEED = 4242
PLACE_SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "country": {"type": "string"}},
    "required": ["city", "country"],
    "additionalProperties": False,
}
TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"], "additionalProperties": False},
        "strict": True,
    },
}

WEATHER = Tool(TOOL["function"]["name"], TOOL["function"]["description"], TOOL["function"]["parameters"])  # as each protocol writes it
TOOL_LABELS = ("tools", "tools stream")  # what the native protocols are asked

# label -> (prompt, extra body fields, stream)
REQUESTS: dict[str, tuple[str, dict, bool]] = {
    "json_object": (PLACE_PROMPT, {"response_format": {"type": "json_object"}}, False),
    "json_schema": (PLACE_PROMPT, {"response_format": {"type": "json_schema", "json_schema": {"name": "place", "strict": True, "schema": PLACE_SCHEMA}}}, False),
    "tools": (TOOL_PROMPT, {"tools": [TOOL], "tool_choice": {"type": "function", "function": {"name": "get_weather"}}}, False),
    "tools stream": (TOOL_PROMPT, {"tools": [TOOL], "tool_choice": {"type": "function", "function": {"name": "get_weather"}}}, True),
    "n": (PLACE_PROMPT, {"n": 2}, False),
    "logprobs": (PLACE_PROMPT, {"logprobs": True, "top_logprobs": 2}, False),
    "seed #1": (SEED_PROMPT, {"seed": SEED, "temperature": 1.0}, False),
    "seed #2": (SEED_PROMPT, {"seed": SEED, "temperature": 1.0}, False),
}


def labels(protocol: Any = CHAT) -> tuple[str, ...]:
    """The requests sent in a protocol: every label in Chat Completions, the forced tool call in the others."""
    return tuple(REQUESTS) if protocol is CHAT else TOOL_LABELS


def body_for(model: str, label: str, protocol: Any = CHAT) -> dict:
    """The request body of one labelled request."""
    prompt, extra, stream = REQUESTS[label]
    body = protocol.body(model, prompt, VISIBLE, REASONING_BUDGET, stream=stream)
    if protocol is not CHAT:  # the tool as the protocol writes it, forced by name
        return protocol.with_tools(body, (WEATHER,), WEATHER.name)
    body.update(extra)
    return body


def cost(model: str, protocol: Any = CHAT) -> ProbeCost:
    """One request per label; n=2 may be billed for two replies."""
    total = ProbeCost(0)
    for label in labels(protocol):
        prompt = REQUESTS[label][0]
        one = request_cost(model, prompt, VISIBLE, REASONING_BUDGET)
        if label in TOOL_LABELS:  # the tool's definition is prompt too (and Anthropic adds its tool-use prompt)
            one = ProbeCost(1, messages_ceiling(model, [{"role": "user", "content": prompt}], (WEATHER,)), one.completion_tokens)
        if label == "n":
            one = ProbeCost(1, one.prompt_tokens, one.completion_tokens * 2)
        # Non-stream requests may take one larger-budget retry on a reasoning model's empty reply.
        total = total + one + (retry_cost(model, one.prompt_tokens, REASONING_BUDGET) if not REQUESTS[label][2] else ProbeCost(0))
    return total


async def run(ctx: ProbeContext, model: str) -> None:
    """Send every labelled request together."""
    url, protocol = ctx.endpoint(), ctx.protocol
    await asyncio.gather(*(
        send(ctx, "POST", url, probe=NAME, model=model, label=label, json_body=body_for(model, label, protocol), auth=ctx.auth, expect_sse=True)
        if REQUESTS[label][2] else
        send_reply(ctx, url, probe=NAME, model=model, label=label, json_body=body_for(model, label, protocol), auth=ctx.auth)
        for label in labels(protocol)
    ))


PROBE = ProbeSpec(NAME, order=9, protocols=NATIVE, scope=Scope.EACH_MODEL, billed=True,
                  cost=lambda target, model, first: cost(model or "", for_target(target)),
                  steps=(Step(Phase.CONCURRENT, for_each_model(run), rank=7),))
