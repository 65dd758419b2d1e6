"""What relaycheck's own prompts demand, read back from a recorded request, and where a reply meets that demand."""

from __future__ import annotations

import re
from dataclasses import dataclass

from relaycheck.protocol import protocol_of
from relaycheck.wire.exchange import Exchange

# The prompts of relaycheck/probes/prompts.py, as they appear in a request.
_EXACT = re.compile(r"Reply with exactly this text and nothing else: (\S+)")
_BLOCK = re.compile(r"Reply with exactly this text and nothing else:\n(.+)\Z", re.S)  # a block of lines (the code block)
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
    if (m := _BLOCK.search(prompt)) is not None:
        return Demand("exact", m.group(1))
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


def expected_text(demand: Demand) -> str:
    """The whole text a demand asks for."""
    if demand.kind == "count":
        return "\n".join(str(i) for i in range(1, int(demand.arg) + 1))
    return demand.arg if demand.kind == "exact" else "OK"


@dataclass(frozen=True)
class Edit:
    """One change inside the demanded text: what was asked there ("" for an insertion) and what came instead."""

    asked: str
    got: str


@dataclass(frozen=True)
class Comparison:
    """A reply set against its demand: the text around an exact copy, or the edits inside a near copy."""

    demand: Demand
    text: str
    cut: bool  # the reply ended at its own limit (finish_reason length): it has no end to judge
    around: tuple[str, str] | None  # (before, after) an exact copy of the demanded text, None when there is none
    edits: tuple[Edit, ...] = ()  # inside a near copy, and invisible marks anywhere

    @property
    def intact(self) -> bool:
        """The demanded text is there as asked (additions around it aside)."""
        return self.around is not None and not self.edits


# Marks no one sees: zero-width characters, the word joiner, a BOM, Unicode tag characters (text watermarks).
INVISIBLE = re.compile("[\u200b-\u200d\u2060-\u2064\ufeff\U000e0000-\U000e007f]")
_FENCE = re.compile(r"^[ \t]*```[\w+-]*[ \t]*$", re.M)  # a code fence line: a model may drop it or relabel it
NEAR_COPY = 0.6  # a reply sharing fewer of the demanded words was not a copy at all (the model's own answer)


def _words(text: str) -> list[str]:
    return _FENCE.sub(" ", text).split()


def compare(exchange: Exchange) -> Comparison | None:
    """The one comparison of a reply with what its prompt demanded (chat.injection reads the text around an exact
    copy, integrity.content the edits inside a near copy); None when there is no demand, no reply, or the reply is
    no copy of it (the model answered something else: nothing to judge)."""
    demand, text = demand_of(exchange), answer_of(exchange)
    if demand is None or not text:
        return None
    cut = exchange.reply.finish_reason in ("length", "max_tokens")  # OpenAI's word, and Anthropic's passed through
    found = around(text, demand, cut)
    hidden = INVISIBLE.findall(text)
    marks = (Edit("", f"{len(hidden)} invisible characters ({', '.join(sorted({f'U+{ord(ch):04X}' for ch in hidden}))})"),) if hidden else ()
    if found is not None:
        return Comparison(demand, text, cut, found, marks)
    edits = _edits(_words(expected_text(demand)), _words(INVISIBLE.sub("", text)), cut)
    if edits is None:
        return None
    return Comparison(demand, text, cut, None, marks + edits)


def _edits(asked: list[str], got: list[str], cut: bool) -> tuple[Edit, ...] | None:
    """The word-level edits that turn `asked` into the aligned part of `got` (additions before and after it are
    not edits); None when too few of the asked words are there to call it a copy."""
    from difflib import SequenceMatcher

    if len(got) > 4 * len(asked) + 50:
        return None  # far longer than what was asked: no copy (and never aligned word by word at hostile lengths)
    matcher = SequenceMatcher(None, asked, got, autojunk=False)
    blocks = [b for b in matcher.get_matching_blocks() if b.size]
    if not asked or sum(b.size for b in blocks) < NEAR_COPY * len(asked):
        return None
    first, last = blocks[0], blocks[-1]
    edits = [Edit(" ".join(asked[: first.a]), " ".join(got[: first.b]))] if first.a else []  # the start never came as asked
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal" or j2 <= first.b or j1 >= last.b + last.size:
            continue  # text before the first or after the last matched word is an addition around the copy
        if op == "delete" and i1 >= last.a + last.size and cut:
            continue  # the end of a reply cut at its own limit
        edits.append(Edit(" ".join(asked[i1:i2]), " ".join(got[j1:j2])))
    if not cut and last.a + last.size < len(asked):
        edits.append(Edit(" ".join(asked[last.a + last.size:]), ""))  # the end of the asked text never came
    return tuple(edits)
