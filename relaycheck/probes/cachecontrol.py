"""Probe `cachecontrol` (Anthropic Messages, deep): a long system prompt marked cache_control ephemeral, sent twice
one after the other (the second only once the first has answered, so the cache has been written)."""

from __future__ import annotations

from relaycheck.probes import ProbeContext, ProbeCost, prompts, send
from relaycheck.probes import canaries as c
from relaycheck.probes.registry import Phase, ProbeSpec, Scope, Step, for_each_model
from relaycheck.protocol.anthropic import MESSAGES

NAME = "cachecontrol"
PREFIX_SENTENCES = 340  # about 4,700 tokens: above every Claude model's minimum to cache (4,096 for Opus 4.5, Haiku 4.5)
QUESTIONS = ("first", "repeat")
VISIBLE = 8


def system(nonce: str) -> str:
    """The nonce first (no earlier run's cache can serve it), then the shared filler."""
    return f"Session {nonce}. Background notes follow.\n" + prompts.FILLER_SENTENCE * PREFIX_SENTENCES


def body(model: str, nonce: str, word: str) -> dict:
    """The request: the system prompt as one text block marked for caching, a short ask."""
    ask = MESSAGES.body(model, f"Reply with exactly this text and nothing else: {word}", VISIBLE, VISIBLE)
    return {**ask, "system": [{"type": "text", "text": system(nonce), "cache_control": {"type": "ephemeral"}}]}


def cost(model: str) -> ProbeCost:
    """Two requests whose prompts are the long system text (a cache write is billed 1.25 times the input price:
    the plan's ceiling counts every prompt token once more in a quarter)."""
    prompt = c.text_ceiling(model, system(prompts.NONCE_PREFIX + "0" * 10)) + c.text_ceiling(model, "Reply with exactly this text and nothing else: repeat") + 16
    return ProbeCost(2, 2 * prompt + prompt // 4, 2 * VISIBLE)


async def run(ctx: ProbeContext, model: str) -> None:
    """Send the pair in order; a failed first request ends it (nothing would be read from the cache)."""
    nonce = prompts.new_nonce()
    for word in QUESTIONS:
        exchange = await send(ctx, "POST", ctx.endpoint(), probe=NAME, model=model, label=word, json_body=body(model, nonce, word), auth=ctx.auth)
        if not exchange.ok:
            return


PROBE = ProbeSpec(NAME, order=22, protocols=("anthropic",), scope=Scope.EACH_MODEL, billed=True, cost=lambda target, model, first: cost(model or ""),
                  steps=(Step(Phase.CONCURRENT, for_each_model(run), rank=17),))
