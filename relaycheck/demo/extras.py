"""How the demo relay treats request parameters (limits, stop, temperature, structured output, tools, n, logprobs),
and the faults that drop them: the deep checks' counterpart."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from relaycheck.demo.behaviour import Behaviour

FLAKY_PROMPT = "Reply with the single word OK."
PLACE = {"city": "Paris", "country": "France"}
TOOL_ARGUMENTS = {"city": "Paris"}


@dataclass(frozen=True)
class Request:
    """What the stand-in model is asked to do, after the fault has had its say."""

    limit: int | None
    stop: list[str] | None
    temperature: float
    reply: str | None  # a reply the parameters dictate (JSON for response_format), else None
    tool_call: dict[str, Any] | None  # a forced function call, answered instead of text
    n: int
    logprobs: bool
    seed: int | None


def _messages_text(body: dict) -> str:
    return json.dumps(body.get("messages"), ensure_ascii=False)


def flaky_fails(body: dict, behaviour: Behaviour, counter: int) -> bool:
    """With flaky_samples, 30% of the reliability samples fail (which ones follows a counter, so runs repeat)."""
    return behaviour.flaky_samples and FLAKY_PROMPT in _messages_text(body) and counter % 10 in (0, 3, 6)


def _structured(body: dict, behaviour: Behaviour) -> str | None:
    fmt = body.get("response_format")
    kind = fmt.get("type") if isinstance(fmt, dict) else None
    if kind == "json_schema" and behaviour.prose_for_schema:
        return "The city is Paris, in France."
    if kind in ("json_object", "json_schema"):
        if behaviour.verbose_json:  # an honest model that writes more JSON than the probe's budget allows
            return json.dumps({**PLACE, "notes": " ".join(["Paris is the capital and largest city of France."] * 20)})
        return json.dumps(PLACE)
    return None


def _tool_call(body: dict, behaviour: Behaviour) -> dict[str, Any] | None:
    choice, tools = body.get("tool_choice"), body.get("tools")
    if behaviour.drop_tools or not isinstance(tools, list) or not isinstance(choice, dict):
        return None
    name = (choice.get("function") or {}).get("name")
    if not any(isinstance(t, dict) and (t.get("function") or {}).get("name") == name for t in tools):
        return None
    from relaycheck.demo.tampering import asked_arguments

    arguments = asked_arguments(body, name) or TOOL_ARGUMENTS  # the integrity asks name their arguments; copied verbatim
    return {"id": "call_demo1", "type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}


def prepare(body: dict, behaviour: Behaviour) -> Request:
    """Read the parameters the way the demo honours them, unless the behaviour drops one."""
    b = behaviour
    limit = None if b.drop_max_tokens else body.get("max_completion_tokens") or body.get("max_tokens")
    stop = body.get("stop") if not b.drop_stop else None
    stop = [stop] if isinstance(stop, str) else stop if isinstance(stop, list) else None
    temperature = body.get("temperature", 1.0)  # OpenAI's default
    temperature = 0.0 if b.drop_temperature or not isinstance(temperature, (int, float)) else float(temperature)
    n = body.get("n", 1) if not b.drop_n else 1
    seed = body.get("seed") if not b.drop_seed else None
    return Request(
        limit=limit if isinstance(limit, int) else None, stop=stop, temperature=temperature, reply=_structured(body, b),
        tool_call=_tool_call(body, b), n=n if isinstance(n, int) and 1 <= n <= 8 else 1,
        logprobs=body.get("logprobs") is True and not b.drop_logprobs, seed=seed if isinstance(seed, int) else None,
    )


def logprobs_for(pieces: tuple[str, ...]) -> dict[str, Any]:
    """An OpenAI-shaped logprobs object (the stand-in is certain of every token)."""
    return {"content": [{"token": p, "logprob": 0.0, "bytes": list(p.encode()), "top_logprobs": []} for p in pieces], "refusal": None}
