"""Probe `cache` (deep profile): one long prefix sent twice, with balance readings around each request.

It runs alone after the run's last balance reading (relaycheck.run.schedule), so that what each request cost can be
read off the balance without any other request in between.
"""

from __future__ import annotations

from relaycheck.protocol.chat import CHAT
from relaycheck.config.balances import Adapter, Reading, adapters_for
from relaycheck.probes import ProbeContext, ProbeCost, balance, prompts, send
from relaycheck.probes.registry import Job, Phase, ProbeSpec, Scope, Step
from relaycheck.config.targets import TargetKeys

NAME = "cache"
PREFIX_TOKENS = 1300  # above the 1,024 tokens OpenAI needs before it caches, with room for a relay's framing
_SENTENCE_TOKENS = 14  # prompts.FILLER_SENTENCE in o200k_base and cl100k_base alike
QUESTIONS = ("first", "repeat")  # the labels, and the word each request asks to have repeated
VISIBLE, REASONING_BUDGET = 4, 256


def prompt(nonce: str, word: str) -> str:
    """The nonce first (so no earlier run's cache can serve the first request), the shared filler, then the ask."""
    filler = prompts.FILLER_SENTENCE * (PREFIX_TOKENS // _SENTENCE_TOKENS)
    return f"Session {nonce}.\n{filler}\nReply with exactly this text and nothing else: {word}"


def cost(model: str, choice: str | dict | None) -> ProbeCost:
    """Two requests; with billing, a reading before and two settling polls of readings after."""
    example = prompt(prompts.NONCE_PREFIX + "0" * 10, "repeat")
    requests = ProbeCost(1, prompts.prompt_ceiling(model, example), prompts.completion_ceiling(model, VISIBLE, REASONING_BUDGET)) * 2
    if choice is None:
        return requests
    paths = max(len(a.paths) for a in adapters_for(choice))
    return requests + ProbeCost(paths * (1 + 2 * balance.MAX_POLLS))


async def run(ctx: ProbeContext, model: str, billing: tuple[Adapter, Reading] | None, settle_s: float) -> None:
    """Send the pair; around each request, read the balance until it settles (labels `start`, `after first`, ...)."""
    nonce = prompts.new_nonce()
    last: Reading | None = None
    if billing is not None:
        last = await balance.read(ctx, billing[0], "start", probe=NAME)
    for word in QUESTIONS:
        body = CHAT.body(model, prompt(nonce, word), VISIBLE, REASONING_BUDGET)
        exchange = await send(ctx, "POST", ctx.endpoint(), probe=NAME, model=model, label=word,
                              json_body=body, auth=ctx.auth)
        if not exchange.ok:
            return  # the pair is broken: nothing more to learn, nothing more to spend
        if billing is not None and last is not None:
            last = await balance.settle(ctx, billing[0], last, settle_s, f"after {word}", probe=NAME)


async def _pair(ctx: ProbeContext, job: Job, keys: TargetKeys) -> None:
    await run(ctx, job.model or "", ctx.billing, ctx.target.billing_settle_s)


# Billed to the key, but after the run's last balance reading: billing.delta leaves it out.
PROBE = ProbeSpec(NAME, order=15, scope=Scope.FIRST_MODEL, billed=True, cost=lambda target, model, first: cost(model or "", target.billing), steps=(
    Step(Phase.ALONE_LAST, _pair, stage=NAME,
         because="alone at the end: what each of its two requests cost is read off the balance between them"),
))
