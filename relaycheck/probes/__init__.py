"""Probes: the requests relaycheck sends. Each declares its maximum requests and tokens for the plan."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from relaycheck.protocol.chat import CHAT
from relaycheck.wire.exchange import Exchange
from relaycheck.probes import prompts
from relaycheck.config.targets import Target
from relaycheck.protocol.auth import Auth
from relaycheck.transport.client import RecordingClient

if TYPE_CHECKING:
    from relaycheck.config.balances import Adapter, Reading


@dataclass(frozen=True)
class ProbeContext:
    """What a probe needs: the recording client, the target, and what earlier stages learned (base URL, auth, balance)."""

    client: RecordingClient
    target: Target
    base_url: str
    auth: Auth = CHAT.auth  # the protocol's placement until the chat probe finds the relay wants another
    billing: tuple[Adapter, Reading] | None = None  # the adapter that answered before the run, with its reading

    def url(self, path: str) -> str:
        """Join the effective base URL and an API path."""
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")

    @property
    def protocol(self) -> Any:
        """The protocol the target speaks (Chat Completions unless it says another)."""
        from relaycheck.protocol import for_target

        return for_target(self.target)

    def endpoint(self) -> str:
        """Where completions go in the target's protocol ({base}/chat/completions, {base}/v1/messages)."""
        return self.url(self.protocol.path)


@dataclass(frozen=True)
class ProbeCost:
    """The planned ceiling of a probe: requests, and the prompt and completion tokens they may be billed for."""

    requests: int
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def max_tokens(self) -> int:
        """Prompt plus completion ceiling."""
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: "ProbeCost") -> "ProbeCost":
        return ProbeCost(self.requests + other.requests, self.prompt_tokens + other.prompt_tokens, self.completion_tokens + other.completion_tokens)

    def __mul__(self, times: int) -> "ProbeCost":
        return ProbeCost(self.requests * times, self.prompt_tokens * times, self.completion_tokens * times)


def request_cost(model: str, prompt: str, visible: int, reasoning_budget: int) -> ProbeCost:
    """The ceiling of one single-message request answered with at most `visible` tokens (more for reasoning models)."""
    return ProbeCost(1, prompts.prompt_ceiling(model, prompt), prompts.completion_ceiling(model, visible, reasoning_budget))


async def send(ctx: ProbeContext, method: str, url: str, *, retry_of: str | None = None, **kwargs: Any) -> Exchange:
    """Send through the recording client; a rate-limited 429 with Retry-After is retried once after the wait.

    The retry is the probe's policy, recorded as its own exchange (retry_of names the 429), so the transport
    itself never retries and the 429 stays in the evidence.
    """
    from relaycheck.wire.errorclass import INSUFFICIENT_BALANCE, classify

    kwargs["headers"] = {**ctx.protocol.headers(), **(kwargs.get("headers") or {})}  # anthropic-version and the like
    if method == "POST":  # Gemini names the model in the URL: the protocol moves it there from the body
        url, kwargs["json_body"] = ctx.protocol.route(url, kwargs.get("json_body"), kwargs.get("model"))
    first = await ctx.client.request(method, url, retry_of=retry_of, **kwargs)
    assert first is not None  # only requests with `unless` can be skipped
    if first.status != 429:
        return first
    info = classify(first)
    if info is not None and info.category == INSUFFICIENT_BALANCE:
        return first  # waiting does not refill a balance
    if not ctx.client.retry_granted(first):
        return first  # no Retry-After, one too long, or the run's budget for waiting is spent (the 429 says which)
    # The client's polite gate holds every request until Retry-After has passed, this one included.
    retried = await ctx.client.request(method, url, retry_of=first.id, **kwargs)
    assert retried is not None
    return retried


# A reasoning model can spend its whole max_completion_tokens thinking and show nothing; the deep probes then ask
# once more with this many times the budget before anything is judged (an empty reply is never evidence).
EMPTY_RETRY_FACTOR = 4


def retry_cost(model: str, prompt_tokens: int, reasoning_budget: int) -> ProbeCost:
    """The one larger-budget retry a reasoning model's empty reply may take (nothing for other models)."""
    from relaycheck.text import tokens

    if not tokens.is_reasoning_model(model):
        return ProbeCost(0)
    return ProbeCost(1, prompt_tokens, reasoning_budget * EMPTY_RETRY_FACTOR)


def reply_cost(model: str, prompt: str, visible: int, reasoning_budget: int) -> ProbeCost:
    """request_cost plus the retry_cost of a request sent with send_reply."""
    one = request_cost(model, prompt, visible, reasoning_budget)
    return one + retry_cost(model, one.prompt_tokens, reasoning_budget)


def spent_on_hidden_reasoning(exchange: Exchange) -> bool:
    """A non-stream reply cut at its limit (`finish_reason: length`) with no text and no tool call."""
    reply = exchange.reply
    if not exchange.ok or reply.streamed or reply.message is None or reply.finish_reason != "length":
        return False
    return not reply.message.get("content") and not reply.message.get("tool_calls")


async def send_reply(ctx: ProbeContext, url: str, *, model: str, json_body: dict, **kwargs: Any) -> Exchange:
    """POST a completion; a reasoning model's empty reply at its limit is asked again once with a larger budget.

    The retry names the first reply in `retry_of`, so checks judge the retry and the empty reply stays as evidence.
    """
    from relaycheck.text import tokens

    first = await send(ctx, "POST", url, model=model, json_body=json_body, **kwargs)
    budget = json_body.get("max_completion_tokens")
    if not tokens.is_reasoning_model(model) or not isinstance(budget, int) or not spent_on_hidden_reasoning(first):
        return first
    larger = {**json_body, "max_completion_tokens": budget * EMPTY_RETRY_FACTOR}
    # Through send(), so a 429 on the retry is itself waited out and retried like any other request.
    return await send(ctx, "POST", url, model=model, json_body=larger, retry_of=first.id, **kwargs)

