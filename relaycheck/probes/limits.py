"""Probe `limits`: ask for one token more than the claimed model's published output ceiling (refused: free).

The real model refuses and names its ceiling; a cheaper sibling served under the claimed name names its own. The
prompt asks for one word, and a relay that accepts (it clamps the limit, or the model allows more) is read only to
its first events, then the stream is closed: the accepted case stays as cheap as the refused one.
"""

from __future__ import annotations

from relaycheck.core.models import lookup
from relaycheck.probes import ProbeContext, ProbeCost, prompts, send
from relaycheck.probes.registry import Phase, ProbeSpec, Scope, Step, for_each_model
from relaycheck.protocol.chat import CHAT

NAME = "limits"
PROMPT = "Answer with the word OK and nothing else."  # not the reliability samples' prompt: demo faults key on that one
CLOSE_AFTER_EVENTS = 3  # a role chunk, the word, and one more: enough to see the relay accepted
COMPLETION_CEILING = 16  # what a one-word reply read to its third event can have cost in completion tokens


def over_the_ceiling(model: str) -> int | None:
    """One more than the catalogue's output ceiling of `model`, or None when the catalogue does not know it."""
    facts = lookup(model)
    return facts.max_output_tokens + 1 if facts is not None and facts.max_output_tokens else None


def body(model: str, limit: int) -> dict:
    """A streamed one-word request whose completion limit (max_tokens, or max_completion_tokens) is `limit`."""
    return CHAT.body(model, PROMPT, limit, limit, stream=True)


def cost(model: str) -> ProbeCost:
    """One request, or none for a model the catalogue does not know."""
    if over_the_ceiling(model) is None:
        return ProbeCost(0)
    return ProbeCost(1, prompts.prompt_ceiling(model, PROMPT), COMPLETION_CEILING)


async def run(ctx: ProbeContext, model: str) -> None:
    """Send the over-the-ceiling request (nothing for a model the catalogue does not know)."""
    limit = over_the_ceiling(model)
    if limit is None:
        return
    await send(ctx, "POST", ctx.endpoint(), probe=NAME, model=model, label="one over the ceiling", json_body=body(model, limit),
               auth=ctx.auth, expect_sse=True, close_after_events=CLOSE_AFTER_EVENTS, completion_ceiling=COMPLETION_CEILING)


PROBE = ProbeSpec(NAME, order=16, scope=Scope.EACH_MODEL, billed=True, cost=lambda target, model, first: cost(model or ""),
                  steps=(Step(Phase.CONCURRENT, for_each_model(run), rank=12),))
