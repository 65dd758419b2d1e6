"""A reasoning model's empty reply at its limit is asked again once with a larger budget; nothing else is retried."""

from __future__ import annotations

import asyncio
import json

import httpx
import respx

from relaycheck.checks import CheckInput
from relaycheck.run.plan import plan_target
from relaycheck.probes import EMPTY_RETRY_FACTOR, ProbeContext, twins
from relaycheck.config.targets import Target
from relaycheck.transport.client import RecordingClient

KEY = "sk-test-abcdefghijklmnopqrstuvwx"
URL = "https://relay.test/v1/chat/completions"


def _answer(request: httpx.Request) -> httpx.Response:
    """A stand-in reasoning model that thinks for 600 tokens before it says anything."""
    body = json.loads(request.content)
    budget = body.get("max_completion_tokens") or body.get("max_tokens") or 0
    text, finish, used = ("A lighthouse leans into the storm.", "stop", 612) if budget > 600 else ("", "length", budget)
    return httpx.Response(200, json={
        "id": "c", "object": "chat.completion", "created": 1, "model": body["model"],
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}],
        "usage": {"prompt_tokens": 20, "completion_tokens": used, "total_tokens": 20 + used,
                  "completion_tokens_details": {"reasoning_tokens": min(used, 600)}}})


def _run_twins(model: str):
    target = Target(name="t", base_url="https://relay.test/v1", api_key_env="K", models=(model, "claude-sonnet-4-5"))

    async def go():
        with respx.mock() as mock:
            route = mock.post(URL).mock(side_effect=_answer)
            async with RecordingClient(KEY) as client:
                await twins.run(ProbeContext(client, target, "https://relay.test/v1"), model)
                return list(client.exchanges), [json.loads(c.request.content) for c in route.calls]

    return target, *asyncio.run(go())


def test_an_empty_reply_at_the_limit_is_retried_once_with_a_larger_budget():
    target, exchanges, sent = _run_twins("o4-mini")
    assert len(exchanges) == 2 * twins.ASKS * 2  # every ask answered empty, then retried
    budgets = sorted(b["max_completion_tokens"] for b in sent)
    assert budgets == [twins.REASONING_BUDGET] * 4 + [twins.REASONING_BUDGET * EMPTY_RETRY_FACTOR] * 4
    retries = [x for x in exchanges if x.retry_of]
    assert len(retries) == 4 and all(x.label for x in retries)
    # Checks see the retries only; the empty replies stay in the evidence.
    judged = CheckInput(target, "o4-mini", tuple(exchanges)).of("twins")
    assert {x.id for x in judged} == {x.id for x in retries}
    assert all("lighthouse" in x.body for x in judged)


def test_other_models_are_never_retried():
    _, exchanges, sent = _run_twins("gpt-4o-mini")  # answered empty at its small limit: judged as such, not re-asked
    assert len(exchanges) == 4 and not any(x.retry_of for x in exchanges) and all("max_tokens" in b for b in sent)


def test_the_plan_counts_the_retry_for_reasoning_models():
    def twins_cost(model: str):
        plan = plan_target(Target(name="t", base_url="https://relay.test/v1", api_key_env="K", models=(model, "claude-sonnet-4-5")),
                           ("models.twins",))
        return next(s for s in plan.steps if s.model == model)

    reasoning, chat = twins_cost("o4-mini"), twins_cost("gpt-4o-mini")
    assert reasoning.requests == 2 * chat.requests
    assert reasoning.completion_tokens == 4 * (twins.REASONING_BUDGET + twins.REASONING_BUDGET * EMPTY_RETRY_FACTOR)
