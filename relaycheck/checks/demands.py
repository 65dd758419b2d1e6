"""What relaycheck's own prompts demand, read back from a recorded request, and where a reply meets that demand."""

from __future__ import annotations

import re
from dataclasses import dataclass

from relaycheck.protocol import protocol_of
from relaycheck.wire.exchange import Exchange

# The prompts of relaycheck/probes/prompts.py, as they appear in a request.
_EXACT = re.compile(r"Reply with exactly this text and nothing else: (\S+)")
_COUNT = re.compile(r"Write the integers from 1 to (\d+) in ascending order, one per line, with nothing else\.")
_OK = re.compile(r"^Reply with OK\. Reference: ")
# Reasoning some relays leave in the content (DeepSeek-R1 style): the model's, not part of the answer.
_THINK = re.compile(r"^\s*<think>.*?</think>", re.S)


@dataclass(frozen=True)
class Demand:
    """What a prompt asks the reply to be: kind "exact" (arg: the text), "count" (arg: N, the lines 1..N) or "ok"."""

    kind: str
    arg: str = ""


def prompt_of(exchange: Exchange) -> str:
    """The first text message of a request, or ""."""
    return protocol_of(exchange).prompt_of(exchange.request_json)


def demand_of(exchange: Exchange) -> Demand | None:
    """The demand of the request's prompt, or None for prompts that make no exact demand."""
    prompt = prompt_of(exchange)
    if (m := _EXACT.search(prompt)) is not None:
        return Demand("exact", m.group(1))
    if (m := _COUNT.search(prompt)) is not None:
        return Demand("count", m.group(1))
    if _OK.search(prompt):
        return Demand("ok")
    return None


def answer_of(exchange: Exchange) -> str | None:
    """The reply's text (stream deltas concatenated), a leading <think> block removed; None without a reply."""
    if not exchange.ok:
        return None
    text = exchange.reply.streamed_text if exchange.events else exchange.reply.text
    return _THINK.sub("", text) if text else None


def around(text: str, demand: Demand, cut: bool) -> tuple[str, str] | None:
    """(before, after) the demanded content inside `text`, or None when the text does not hold it."""
    if demand.kind == "exact":
        at = text.lower().find(demand.arg.lower())
        return None if at < 0 else (text[:at], text[at + len(demand.arg) :])
    if demand.kind == "count":
        return around_count(text, int(demand.arg), cut)
    m = re.search(r"\bOK\b", text, re.I)  # "Okay" is not "OK" plus "ay"
    return None if m is None else (text[: m.start()], text[m.end() :])


def meets(exchange: Exchange, text: str, demand: Demand) -> bool:
    """Whether `text` holds what `demand` asks for (a reply cut at the budget may hold a clean start of it)."""
    return around(text, demand, exchange.reply.finish_reason == "length") is not None


def around_count(text: str, high: int, cut: bool) -> tuple[str, str] | None:
    """Text before the line "1" and after the line with `high`; None when the numbers are not all there in order."""
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.strip() == "1"), None)
    if start is None:
        return None
    expect, i = 1, start
    while i < len(lines) and expect <= high and lines[i].strip() == str(expect):
        expect, i = expect + 1, i + 1
    before, after = "".join(lines[:start]), "".join(lines[i:])
    if expect <= high:
        # The last number may carry an addition on its own line ("40——…"): split it off there.
        last = lines[i].strip() if i < len(lines) else ""
        if expect == high and last.startswith(str(high)) and not last[len(str(high)) :][:1].isdigit():
            return before, last[len(str(high)) :] + "".join(lines[i + 1 :])
        return (before, "") if cut else None  # a reply cut short has no end to judge, only its start
    return before, after
