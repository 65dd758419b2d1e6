"""`relaycheck enroll`: sample the categorical prompts from an endpoint the user trusts into a behaviour reference.

Every request goes out as the behaviour probe sends it (relaycheck.probes.behaviour.sample), through the same
recording client (deadlines, caps, the polite gate) and, with a cap and prices, the same run-time cost guard
(relaycheck.probes.budget). Only the normalised answers' counts are kept, with the model, the UTC time and the
endpoint's host: never its key, never its full URL.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx

from relaycheck.config.targets import Target
from relaycheck.core import reference as ref
from relaycheck.core.loopback import is_loopback_host
from relaycheck.probes import ProbeContext, ProbeCost
from relaycheck.probes import behaviour as probe
from relaycheck.probes.budget import Budget
from relaycheck.protocol.chat import CHAT
from relaycheck.run.runner import utc_now
from relaycheck.transport.client import Limits, RecordingClient
from relaycheck.wire.exchange import Exchange

DEFAULT_SAMPLES = 50  # per prompt: blocks of 10 reference answers for the default 60-request audit
MAX_SAMPLES = 1000


@dataclass(frozen=True)
class Enrolment:
    """What enrolment produced: the reference and every exchange it recorded (for a summary of failures)."""

    reference: ref.Reference
    exchanges: tuple[Exchange, ...]

    @property
    def usable(self) -> int:
        """Usable answers over every prompt."""
        return sum(self.reference.usable(p) for p in self.reference.counts)


def cost(model: str, samples: int) -> ProbeCost:
    """The ceiling of enrolment: every prompt asked `samples` times."""
    total = ProbeCost(0)
    for prompt in ref.PROMPTS:
        total = total + probe.one_cost(model, prompt) * samples
    return total


async def _sample(target: Target, key: str, samples: int, seed: int, cap: float | None) -> Enrolment:
    model = target.models[0]
    limits = Limits(concurrency=target.concurrency, deadline_s=target.timeout_s, read_s=target.idle_timeout_s, retry_wait_s=target.retry_wait_s)
    budget = Budget(cap, target.pricing) if cap is not None and target.pricing is not None else None
    trust_env = not is_loopback_host(httpx.URL(target.base_url).host)
    client = RecordingClient(key, limits, trust_env=trust_env, budget=budget, run_deadline_s=target.deadline_s)
    ctx = ProbeContext(client, target, target.base_url, CHAT.auth)
    jobs = [(p, i) for i in range(samples) for p in ref.PROMPTS]  # round by round: a cut-short run still covers every prompt
    async with client:
        sent = await asyncio.gather(*(probe.sample(ctx, model, p, probe.request_seed(seed, f"enrol/{p.id}", i), i) for p, i in jobs))
    counts: dict[str, dict[str, int]] = {p.id: {} for p in ref.PROMPTS}
    unusable: dict[str, int] = {p.id: 0 for p in ref.PROMPTS}
    for (prompt, _), exchange in zip(jobs, sent):
        answer = probe.answer_of(exchange, prompt)
        if answer is None:
            unusable[prompt.id] += 1
        else:
            counts[prompt.id][answer] = counts[prompt.id].get(answer, 0) + 1
    host = httpx.URL(target.base_url).host
    reference = ref.Reference(model, utc_now(), host, samples, counts, unusable)
    return Enrolment(reference, tuple(sorted(client.exchanges, key=lambda x: int(x.id[1:]))))


def enrol(target: Target, key: str, samples: int, seed: int, cap: float | None = None) -> Enrolment:
    """Ask every categorical prompt `samples` times (each request with its own seed) and count the answers."""
    box: list[Enrolment] = []

    async def main() -> None:
        box.append(await _sample(target, key, samples, seed, cap))

    asyncio.run(main())
    return box[0]
