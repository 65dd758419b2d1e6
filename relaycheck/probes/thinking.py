"""Probe `thinking` (Anthropic Messages, deep profile): one tool-use request with extended thinking on, then the
conversation continued with the tool's result twice, concurrently: once with the thinking block exactly as it
came, once with its signature altered. Only a reply that carries a signed thinking block and a tool call is
continued (nothing else makes the backend verify the block)."""

from __future__ import annotations

import asyncio
import json

from relaycheck.probes import ProbeContext, ProbeCost, send
from relaycheck.probes import canaries as c
from relaycheck.probes.registry import Phase, ProbeSpec, Scope, Step, for_each_model
from relaycheck.protocol import thinking
from relaycheck.protocol.anthropic import MESSAGES

NAME = "thinking"
TOOL = c.Tool("get_time", "Get the current time in a city.",
              {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]})
PROMPT = "What time is it in Paris right now? Use the get_time tool to find out, then tell me in one short sentence."
RESULT = "14:05"  # what the tool answers in the next turn


def first_body(model: str) -> dict:
    """The tool-use request with thinking on (tool_choice stays auto: Anthropic refuses a forced tool with thinking)."""
    return thinking.enabled(MESSAGES.with_tools(MESSAGES.body(model, PROMPT, thinking.MAX_TOKENS, thinking.MAX_TOKENS), (TOOL,), None))


def cost(model: str) -> ProbeCost:
    """Three requests: the first, then two continuations whose prompts carry the first reply (at most its whole
    budget of thinking and text) and the tool's result; nothing for a model that is not Claude (nothing is sent)."""
    if not thinking.claude(model):
        return ProbeCost(0)
    prompt = c.messages_ceiling(model, [{"role": "user", "content": PROMPT}], (TOOL,))
    answer = thinking.MAX_TOKENS
    follow_prompt = prompt + answer + c.text_ceiling(model, json.dumps({"type": "tool_result", "tool_use_id": "toolu_" + "x" * 24,
                                                                          "content": RESULT})) + 16
    return ProbeCost(1, prompt, answer) + ProbeCost(2, 2 * follow_prompt, 2 * answer)


async def run(ctx: ProbeContext, model: str) -> None:
    """Ask; when the reply carries a signed thinking block and a tool call, send both continuations together."""
    if not thinking.claude(model):
        return  # other models served over Messages sign no thinking: nothing to send (the check says so)
    body = first_body(model)
    url = ctx.endpoint()
    first = await send(ctx, "POST", url, probe=NAME, model=model, label="thinking", json_body=body, auth=ctx.auth)
    reply = first.json if first.ok else None
    signed = [t for t in thinking.thoughts(reply) if t.kind == "thinking" and t.signature]
    if not isinstance(reply, dict) or not signed or not thinking.tool_uses(reply):
        return  # nothing to send back: the check says why from the first reply
    await asyncio.gather(
        send(ctx, "POST", url, probe=NAME, model=model, label="thinking returned", json_body=thinking.next_turn(body, reply, RESULT),
             auth=ctx.auth),
        send(ctx, "POST", url, probe=NAME, model=model, label="signature altered",
             json_body=thinking.next_turn(body, reply, RESULT, alter=True), auth=ctx.auth),
    )


PROBE = ProbeSpec(NAME, order=20, protocols=("anthropic",), scope=Scope.EACH_MODEL, billed=True,
                  cost=lambda target, model, first: cost(model or ""),
                  steps=(Step(Phase.CONCURRENT, for_each_model(run), rank=15),))
