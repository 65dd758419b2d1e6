"""Probe `context` (deep profile): a two-marker needle at growing depths, stopping at the first failure."""

from __future__ import annotations

import re
import secrets

from relaycheck.protocol.chat import CHAT
from relaycheck.probes import ProbeContext, ProbeCost, prompts, retry_cost, send_reply
from relaycheck.probes.registry import Phase, ProbeSpec, Scope, Step, for_each_model

NAME = "context"
DEPTHS = (2000, 8000)  # default prompt tokens between the two markers (a target's context_depths overrides)
MARKER_PREFIX = "CTX-"
MARKER = re.compile(re.escape(MARKER_PREFIX) + r"[0-9A-F]{8}")
VISIBLE, REASONING_BUDGET = 30, 1024
_SENTENCE_TOKENS = 14  # the filler sentence counts 14 tokens in o200k_base and cl100k_base alike


def new_marker() -> str:
    """A fresh random marker no cache or guess can produce."""
    return MARKER_PREFIX + secrets.token_hex(4).upper()


def needle_prompt(head: str, tail: str, depth: int) -> str:
    """The head marker, `depth` tokens of filler, the tail marker, then the instruction."""
    filler = prompts.FILLER_SENTENCE * max(1, depth // _SENTENCE_TOKENS)
    return (f"Remember the code {head}.\n{filler}\nRemember the code {tail}.\n"
            "Reply with both codes, in order, separated by one space, and nothing else.")


def body(model: str, head: str, tail: str, depth: int) -> dict:
    """The needle request at one depth."""
    return CHAT.body(model, needle_prompt(head, tail, depth), VISIBLE, REASONING_BUDGET)


def cost(model: str, depths: tuple[int, ...] = DEPTHS) -> ProbeCost:
    """One request per depth (the later ones only if the earlier succeed: the ceiling counts them all)."""
    total = ProbeCost(0)
    for depth in depths:
        prompt = needle_prompt(MARKER_PREFIX + "0" * 8, MARKER_PREFIX + "0" * 8, depth)
        completion = prompts.completion_ceiling(model, VISIBLE, REASONING_BUDGET)
        # Markers are random hex: counted at one token per character, so the ceiling holds whatever the draw.
        one = ProbeCost(1, prompts.prompt_ceiling(model, prompt) + 2 * len(MARKER_PREFIX + "0" * 8), completion)
        total = total + one + retry_cost(model, one.prompt_tokens, REASONING_BUDGET)
    return total


def both_repeated(text: str, head: str, tail: str) -> bool:
    """Whether a reply carries both markers."""
    return head in text and tail in text


async def run(ctx: ProbeContext, model: str) -> None:
    """Depths in order; the next depth only after the previous one came back with both markers."""
    for depth in ctx.target.context_depths:
        head, tail = new_marker(), new_marker()
        exchange = await send_reply(ctx, ctx.endpoint(), probe=NAME, model=model, label=f"depth {depth}",
                              json_body=body(model, head, tail, depth), auth=ctx.auth)
        if not exchange.ok or not both_repeated(exchange.reply.text or "", head, tail):
            return  # stop at the first failure: a deeper prompt would cost more and prove nothing new


PROBE = ProbeSpec(NAME, order=10, scope=Scope.EACH_MODEL, billed=True, cost=lambda target, model, first: cost(model or "", target.context_depths),
                  steps=(Step(Phase.CONCURRENT, for_each_model(run), rank=2),))
