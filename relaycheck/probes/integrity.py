"""Probe `integrity`: forced tool calls with canary arguments, an exact code block, and canaries placed in the request.

Everything asked can be verified to the character: the tool calls name fresh canary packages, paths and payees
(probes/canaries.py); the code block a canary URL and package; the request ask a canary in the system message and
one in a tool description. Each exchange is sent once, never retried for its content: judging is the checks' job.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from relaycheck.protocol import NATIVE
from relaycheck.probes import ProbeContext, ProbeCost, prompts, send
from relaycheck.probes import canaries as c
from relaycheck.probes.registry import Phase, ProbeSpec, Scope, Step, for_each_model
from relaycheck.protocol.chat import CHAT

NAME = "integrity"


@dataclass(frozen=True)
class Ask:
    """One request of the probe: its label, body, visible completion budget and the tools it offers."""

    label: str
    body: dict
    visible: int
    tools: tuple[c.Tool, ...] = ()


def call_ask(model: str, ask: c.CallAsk, protocol=CHAT) -> Ask:
    """A request forcing one call of the ask's tool."""
    visible = c.budget(model, ask.max_tokens)
    body = protocol.body(model, ask.prompt, visible, c.REASONING_BUDGET, stream=ask.stream)
    return Ask(ask.label, protocol.with_tools(body, (ask.tool,), ask.tool.name), visible, (ask.tool,))


def content_ask(model: str, stream: bool, protocol=CHAT) -> Ask:
    """A request for the canary code block, verbatim."""
    visible = c.budget(model, c.CONTENT_MAX_TOKENS)
    body = protocol.body(model, c.content_prompt(c.new_canary()), visible, c.REASONING_BUDGET, stream=stream)
    return Ask("content stream" if stream else "content", body, visible)


def audit_ask(model: str, protocol=CHAT) -> Ask:
    """The request ask: repeat the system message's canary and the tool description's, with tool calls forbidden."""
    tool, visible = c.audit_tool(c.new_canary()), c.budget(model, c.AUDIT_MAX_TOKENS)
    body = protocol.with_system(protocol.body(model, c.AUDIT_PROMPT, visible, c.REASONING_BUDGET), c.audit_system(c.new_canary()))
    return Ask("request", protocol.with_tools(body, (tool,), "none"), visible, (tool,))


def ask_cost(model: str, ask: Ask) -> ProbeCost:
    """The ceiling of one request: its messages and tools, and the completion it may be billed for."""
    system = ask.body.get("system")  # Anthropic's top-level system prompt
    messages = ask.body["messages"] + ([{"role": "system", "content": system}] if isinstance(system, str) else [])
    prompt = c.messages_ceiling(model, messages, ask.tools)
    return ProbeCost(1, prompt, prompts.completion_ceiling(model, ask.visible, c.REASONING_BUDGET))


def asks(model: str, protocol=CHAT) -> list[Ask]:
    """Every request of the probe for `model`, each with fresh canaries."""
    return [*(call_ask(model, ask, protocol) for ask in c.shell_asks()), content_ask(model, False, protocol), content_ask(model, True, protocol),
            audit_ask(model, protocol)]


def cost(model: str) -> ProbeCost:
    """One request per ask (the canaries' draw never changes the ceiling)."""
    total = ProbeCost(0)
    for ask in asks(model):
        total = total + ask_cost(model, ask)
    return total


async def run(ctx: ProbeContext, model: str) -> None:
    """Send every ask together."""
    url = ctx.endpoint()
    await asyncio.gather(*(
        send(ctx, "POST", url, probe=NAME, model=model, label=ask.label, json_body=ask.body, auth=ctx.auth,
             expect_sse=bool(ask.body.get("stream")))
        for ask in asks(model, ctx.protocol)
    ))


PROBE = ProbeSpec(NAME, order=18, protocols=NATIVE, scope=Scope.EACH_MODEL, billed=True, cost=lambda target, model, first: cost(model or ""),
                  steps=(Step(Phase.CONCURRENT, for_each_model(run), rank=13),))
