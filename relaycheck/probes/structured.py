"""Probe `structured` (deep profile): JSON modes, a forced tool call (non-stream and stream), n, logprobs, seed."""

from __future__ import annotations

import asyncio

from relaycheck.protocol.chat import CHAT
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


def body_for(model: str, label: str) -> dict:
    """The request body of one labelled request."""
    prompt, extra, stream = REQUESTS[label]
    body = CHAT.body(model, prompt, VISIBLE, REASONING_BUDGET, stream=stream)
    body.update(extra)
    return body


def cost(model: str) -> ProbeCost:
    """One request per label; n=2 may be billed for two replies."""
    total = ProbeCost(0)
    for label, (prompt, _, _) in REQUESTS.items():
        one = request_cost(model, prompt, VISIBLE, REASONING_BUDGET)
        if label == "n":
            one = ProbeCost(1, one.prompt_tokens, one.completion_tokens * 2)
        # Non-stream requests may take one larger-budget retry on a reasoning model's empty reply.
        total = total + one + (retry_cost(model, one.prompt_tokens, REASONING_BUDGET) if not REQUESTS[label][2] else ProbeCost(0))
    return total


async def run(ctx: ProbeContext, model: str) -> None:
    """Send every labelled request together."""
    url = ctx.endpoint()
    await asyncio.gather(*(
        send(ctx, "POST", url, probe=NAME, model=model, label=label, json_body=body_for(model, label), auth=ctx.auth, expect_sse=True)
        if REQUESTS[label][2] else
        send_reply(ctx, url, probe=NAME, model=model, label=label, json_body=body_for(model, label), auth=ctx.auth)
        for label in REQUESTS
    ))


PROBE = ProbeSpec(NAME, order=9, scope=Scope.EACH_MODEL, billed=True, cost=lambda target, model, first: cost(model or ""),
                  steps=(Step(Phase.CONCURRENT, for_each_model(run), rank=7),))
