"""Probe `behaviour` (opt-in with a reference): one-token answers to the categorical prompts, until the test decides.

The relay is asked the reference's prompts (relaycheck.core.reference) round by round, a few requests at a time,
each with its own seed and the model's default temperature, as `relaycheck enroll` asked the trusted endpoint.
After every wave the sequential test (relaycheck.core.sequential) is run over the answers so far: once it rejects
"same distribution as the reference" the probe stops (the evidence is already overwhelming); otherwise it asks
until the budget is spent. models.behaviour judges the recorded answers with the same function.
"""

from __future__ import annotations

import asyncio
import hashlib

from relaycheck.core import reference as ref
from relaycheck.core import sequential
from relaycheck.core.reference import BehaviourSpec, CategoricalPrompt
from relaycheck.probes import ProbeContext, ProbeCost, prompts, send
from relaycheck.probes.registry import Phase, ProbeSpec, Scope, Step, for_each_model
from relaycheck.protocol.chat import CHAT
from relaycheck.text import tokens
from relaycheck.wire.exchange import Exchange

NAME = "behaviour"
WAVE = 4  # requests in flight at once (never above the target's concurrency)


def serves_reference(model: str | None, spec: BehaviourSpec | None) -> bool:
    """Whether `model` is the one the reference was enrolled for (by name, or without a provider prefix)."""
    if spec is None or not model:
        return False
    names = {model, tokens.base_model_name(model)}
    return bool(names & {spec.reference.model, tokens.base_model_name(spec.reference.model)})


def plan(spec: BehaviourSpec) -> tuple[tuple[CategoricalPrompt, ...], int]:
    """The prompts asked (those with a large enough reference) and the rounds the budget allows."""
    order = sequential.active_prompts(spec.reference.counts, [p.id for p in ref.PROMPTS], spec.requests)
    return tuple(ref.BY_ID[pid] for pid in order), sequential.rounds_for(spec.requests, len(order))


def slots(spec: BehaviourSpec) -> list[tuple[int, CategoricalPrompt]]:
    """(round, prompt) of every request the budget allows, in the order they are asked and read."""
    chosen, rounds = plan(spec)
    return [(r, p) for r in range(rounds) for p in chosen][: spec.requests]


def request_seed(run_seed: int, prompt_id: str, index: int) -> int:
    """A request's own seed: distinct per request (no two bodies alike, no cache can answer), fixed by the run's seed."""
    digest = hashlib.sha256(f"relaycheck-behaviour-request:{run_seed}:{prompt_id}:{index}".encode()).digest()
    return int.from_bytes(digest[:4], "big") >> 1


def body(model: str, prompt: CategoricalPrompt, seed: int) -> dict:
    """A one-token request at the model's default temperature (CHAT.body's temperature 0 would ask the mode only)."""
    built = CHAT.body(model, prompt.text, ref.VISIBLE_TOKENS, ref.REASONING_BUDGET)
    built.pop("temperature", None)
    built["seed"] = seed
    return built


def one_cost(model: str, prompt: CategoricalPrompt) -> ProbeCost:
    """The ceiling of one categorical request."""
    return ProbeCost(1, prompts.prompt_ceiling(model, prompt.text), prompts.completion_ceiling(model, ref.VISIBLE_TOKENS, ref.REASONING_BUDGET))


def cost(model: str, spec: BehaviourSpec | None) -> ProbeCost:
    """Every request of the budget (the test usually stops a substitution sooner; an honest relay takes them all)."""
    if spec is None or not serves_reference(model, spec):
        return ProbeCost(0)
    total = ProbeCost(0)
    for _, prompt in slots(spec):
        total = total + one_cost(model, prompt)
    return total


def label(prompt: CategoricalPrompt, index: int) -> str:
    """The exchange's label: the prompt id and the request's place among that prompt's."""
    return f"{prompt.id} #{index + 1}"


def prompt_of(exchange: Exchange) -> CategoricalPrompt | None:
    """The categorical prompt a request asked (read from its body through the protocol seam)."""
    from relaycheck.protocol import protocol_of

    return ref.BY_TEXT.get(protocol_of(exchange).prompt_of(exchange.request_json))


def answer_of(exchange: Exchange, prompt: CategoricalPrompt) -> str | None:
    """The normalised answer of a reply, or None when it is no usable answer (an error, empty, a sentence)."""
    if not exchange.ok or exchange.reply.finish_reason not in (None, "stop", "length"):
        return None
    return ref.normalise(prompt.kind, exchange.reply.text)


def answers(exchanges: list[Exchange], spec: BehaviourSpec) -> dict[str, list[str | None]]:
    """Per asked prompt, the normalised answers in request order (ids are given in sending order)."""
    chosen, _ = plan(spec)
    found: dict[str, list[str | None]] = {p.id: [] for p in chosen}
    for x in sorted(exchanges, key=lambda x: int(x.id[1:])):
        prompt = prompt_of(x)
        if prompt is not None and prompt.id in found:
            found[prompt.id].append(answer_of(x, prompt))
    return found


def judge(found: dict[str, list[str | None]], spec: BehaviourSpec) -> sequential.Audit:
    """The sequential test over the answers so far (the probe's stopping rule and the check's verdict)."""
    chosen, rounds = plan(spec)
    return sequential.audit(spec.reference.counts, found, [p.id for p in chosen], rounds, spec.seed, spec.alpha)


async def sample(ctx: ProbeContext, model: str, prompt: CategoricalPrompt, seed: int, index: int) -> Exchange:
    """Ask one categorical prompt once (also what `relaycheck enroll` sends to the trusted endpoint)."""
    return await send(ctx, "POST", ctx.endpoint(), probe=NAME, model=model, label=label(prompt, index), json_body=body(model, prompt, seed),
                      auth=ctx.auth)


async def run(ctx: ProbeContext, model: str) -> None:
    """Ask wave after wave; stop once the test rejects, or when the budget is spent."""
    spec = ctx.target.reference
    if spec is None or not serves_reference(model, spec):
        return
    todo = slots(spec)
    chosen = plan(spec)[0]
    # No wave asks one prompt twice, so each prompt's answers are recorded (and read back) in the order asked.
    width = max(1, min(WAVE, ctx.target.concurrency, len(chosen)))
    found: dict[str, list[str | None]] = {p.id: [] for p in chosen}
    for start in range(0, len(todo), width):
        wave = todo[start:start + width]
        sent = await asyncio.gather(*(sample(ctx, model, p, request_seed(spec.seed, p.id, r), r) for r, p in wave))
        for (_, prompt), exchange in zip(wave, sent):
            found[prompt.id].append(answer_of(exchange, prompt))
        if judge(found, spec).rejected:
            return  # decided: more answers cannot take the verdict back


PROBE = ProbeSpec(
    NAME, order=17, scope=Scope.EACH_MODEL, billed=True, when=lambda target: target.reference is not None,
    cost=lambda target, model, first: cost(model or "", target.reference),
    steps=(Step(Phase.CONCURRENT, for_each_model(run), rank=0),),
)
