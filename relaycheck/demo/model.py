"""A deterministic stand-in model that follows the probes' instructions and counts tokens like OpenAI."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from relaycheck.text import tokens
from relaycheck.demo.cache import MIN_TOKENS

if TYPE_CHECKING:
    from relaycheck.demo.cache import PrefixCache

# Dated snapshots the demo reports, as OpenAI does for its aliases.
SNAPSHOTS = {
    "gpt-4o-mini": "gpt-4o-mini-2024-07-18",
    "gpt-4o": "gpt-4o-2024-08-06",
    "gpt-4.1-mini": "gpt-4.1-mini-2025-04-14",
    "gpt-4-turbo": "gpt-4-turbo-2024-04-09",
    "claude-sonnet-4-5": "claude-sonnet-4-5-20250929",  # another vendor's name: models.twins compares the two
    "gemini-2.5-flash": "gemini-2.5-flash",  # Gemini's own name for its protocol (its modelVersion is the name itself)
    "o4-mini": "o4-mini-2025-04-16",  # a reasoning model: hidden reasoning tokens come before the visible reply
}
# How many hidden reasoning tokens the reasoning model spends before it writes anything (a budget below this
# leaves the reply empty, cut with finish_reason "length"); the long_thinking fault makes it think longer
# (behaviour.LONG_REASONING_TOKENS).
REASONING_TOKENS = 200
MODELS = tuple(SNAPSHOTS)
DEFAULT_MODEL = "gpt-4o-mini"
OTHER_VENDOR_MODEL = "claude-sonnet-4-5"

_REPEAT = re.compile(r"Reply with exactly this text and nothing else:\s*(.+?)\s*$", re.S)
_NEEDLE = re.compile(r"Remember the code (CTX-[0-9A-F]{8})\.")
_COUNT = re.compile(r"Write the integers from (\d+) to (\d+) in ascending order, one per line", re.I)


@dataclass(frozen=True)
class Completion:
    """What the stand-in model produced for one request."""

    pieces: tuple[str, ...]  # the reply split at token boundaries, for streaming
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str
    cached_tokens: int = 0  # of the prompt, served from the demo's prefix cache
    reasoning_tokens: int = 0  # hidden, billed as completion tokens (a reasoning model's)
    cache_written: int = 0  # of the prompt, written to the cache (Anthropic's cache_control: billed at 1.25x)

    @property
    def text(self) -> str:
        return "".join(self.pieces)


def content_text(content: object) -> str:
    """A message's text: a string, or the text of its parts joined (Chat Completions' content parts, Messages' text
    blocks, Responses' input_text, Gemini's parts); parts without text, and text that is not a string, add nothing."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts
        return "".join(p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return ""


_OPEN = "Write one short sentence about the sea."
_SEA = ("The sea", "The grey sea", "A restless sea", "The quiet ocean", "The cold tide", "The night sea")
_DOES = ("keeps its secrets", "hums against the harbour wall", "folds the light into waves", "pulls at the sand", "breathes under the moon")


def open_reply(temperature: float, noisy: bool, seed: int | None = None) -> str:
    """The open-ended sentence: fixed at temperature 0 (as real models nearly are), sampled above it (reproducibly
    for a seed), or always sampled when the demo plays a noisy model."""
    if temperature <= 0 and not noisy:
        return "The sea keeps its secrets beneath the waves."
    import random

    rng = random.Random(seed) if seed is not None and not noisy else random
    return f"{rng.choice(_SEA)} {rng.choice(_DOES)}, {rng.randint(2, 999)} times a night."


_PLACES = ("lighthouse", "harbour", "cafe", "garden", "bridge", "market")
_MOODS = ("stands patient", "glows amber", "hums softly", "waits in the rain", "leans into the wind", "smells of bread")


def model_reply(model: str, prompt: str, temperature: float, noisy: bool) -> str:
    """An open-ended answer that depends on the model: two models never say the same, one model always does at T=0."""
    import hashlib
    import random

    if temperature <= 0 and not noisy:
        rng = random.Random(hashlib.sha256(f"{model}\n{prompt}".encode()).digest())
    else:
        rng = random.Random()
    return f"The {rng.choice(_PLACES)} {rng.choice(_MOODS)}, {rng.randint(2, 99_999)} nights a year."


# The answers each kind of categorical prompt (relaycheck.core.reference) draws from, by language.
_CATEGORIES = {
    ("number", "en"): tuple(str(i) for i in range(1, 101)),
    ("number", "zh"): tuple(str(i) for i in range(1, 101)),
    ("colour", "en"): ("Blue", "Green", "Red", "Purple", "Yellow", "Orange", "Teal", "Black", "Indigo", "Crimson", "Silver", "Turquoise"),
    ("colour", "zh"): ("蓝色", "绿色", "红色", "紫色", "黄色", "橙色", "黑色", "白色", "青色", "粉色"),
    ("coin", "en"): ("Heads", "Tails"),
    ("coin", "zh"): ("正面", "反面"),
    ("animal", "en"): ("Elephant", "Cat", "Dog", "Tiger", "Lion", "Dolphin", "Giraffe", "Penguin", "Fox", "Owl", "Octopus", "Kangaroo"),
    ("animal", "zh"): ("猫", "狗", "熊猫", "老虎", "狮子", "大象", "兔子", "海豚", "长颈鹿", "狐狸"),
    ("city", "en"): ("Paris", "Tokyo", "London", "Kyoto", "Sydney", "Istanbul", "Barcelona", "Cairo", "Lisbon", "Vancouver", "Prague", "Nairobi"),
    ("city", "zh"): ("北京", "上海", "东京", "巴黎", "伦敦", "纽约", "杭州", "成都", "西安", "悉尼"),
}
_FAVOURITES = (0.46, 0.24, 0.13, 0.08, 0.05)  # how a model's answers to one categorical prompt concentrate


def categorical_distribution(model: str, prompt_id: str, kind: str, lang: str) -> tuple[tuple[str, float], ...]:
    """A model's own answer distribution for one categorical prompt (at temperature 1): a few favourites, chosen by a
    hash of the model's name, and a thin tail; two models have different favourites, one model always the same."""
    import hashlib
    import random

    rng = random.Random(hashlib.sha256(f"{model}\n{prompt_id}".encode()).digest())
    options = list(_CATEGORIES[(kind, lang)])
    rng.shuffle(options)
    tail = (1.0 - sum(_FAVOURITES[: len(options)])) / max(len(options) - len(_FAVOURITES), 1)
    weights = [_FAVOURITES[i] if i < len(_FAVOURITES) else tail for i in range(len(options))]
    if len(options) <= len(_FAVOURITES):  # a coin: one side favoured, how much is the model's own
        first = 0.55 + 0.4 * rng.random()
        weights = [first, 1.0 - first]
    return tuple(zip(options, weights))


def categorical_reply(model: str, prompt: str, temperature: float, seed: int | None) -> str | None:
    """The answer to a categorical prompt, sampled from the model's distribution with the request's temperature
    (the favourite at temperature 0; reproducible for a seed), or None when the prompt is not one of them."""
    import hashlib
    import random

    from relaycheck.core.reference import BY_TEXT

    known = BY_TEXT.get(prompt.strip())
    if known is None:
        return None
    options = categorical_distribution(model, known.id, known.kind, known.lang)
    if temperature <= 0:
        return max(options, key=lambda o: o[1])[0]
    rng = random.Random(hashlib.sha256(f"{model}\n{known.id}\n{seed}".encode()).digest()) if seed is not None else random
    weights = [w ** (1.0 / temperature) for _, w in options]
    return rng.choices([o for o, _ in options], weights)[0]


def demo_reference(model: str, samples: int, seed: int, host: str = "127.0.0.1"):
    """The reference `relaycheck enroll --samples N --seed S` writes from the fault-free demo relay, made in-process
    (same request seeds, same answers, same normalisation; no HTTP): what a test can hand `probe --demo --reference`."""
    from datetime import datetime, timezone

    from relaycheck.core import reference as ref
    from relaycheck.probes.behaviour import request_seed

    counts: dict[str, dict[str, int]] = {}
    unusable: dict[str, int] = {}
    for prompt in ref.PROMPTS:
        found: dict[str, int] = {}
        for i in range(samples):
            answer = ref.normalise(prompt.kind, categorical_reply(model, prompt.text, 1.0, request_seed(seed, f"enrol/{prompt.id}", i)))
            if answer is not None:
                found[answer] = found.get(answer, 0) + 1
        counts[prompt.id], unusable[prompt.id] = found, samples - sum(found.values())
    when = datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
    return ref.Reference(model, when, host, samples, counts, unusable)


def reply_for(prompt: str, temperature: float = 0.0, noisy: bool = False, seed: int | None = None, model: str = "") -> str:
    """The reply a well-behaved model gives to the probes' instructions."""
    from relaycheck.probes.twins import PROMPTS as TWINS_PROMPTS

    if (answer := categorical_reply(model, prompt, temperature, seed)) is not None:
        return answer
    if prompt.strip() == _OPEN:
        return open_reply(temperature, noisy, seed)
    if prompt.strip() in TWINS_PROMPTS:
        return model_reply(model, prompt.strip(), temperature, noisy)
    if "Reply with both codes" in prompt:
        return " ".join(_NEEDLE.findall(prompt))
    if match := _REPEAT.search(prompt):
        return match.group(1)
    if match := _COUNT.search(prompt):
        low, high = int(match.group(1)), int(match.group(2))
        if 0 <= low <= high and high - low <= 100_000:
            return "\n".join(str(i) for i in range(low, high + 1))
    return "OK"


def pieces_of(model: str, text: str) -> tuple[str, ...]:
    """`text` split at the model's token boundaries (a multi-byte character whole), as a stream sends it."""
    enc = tokens.get_encoding(encoding_for(model))
    return _pieces(enc, enc.encode(text))


def _pieces(enc, ids: list[int]) -> tuple[str, ...]:
    pieces: list[str] = []
    pending = b""
    for token in ids:
        pending += enc.decode_single_token_bytes(token)
        try:
            pieces.append(pending.decode("utf-8"))
            pending = b""
        except UnicodeDecodeError:
            continue  # a multi-byte character spans tokens; emit it whole with the next token
    return tuple(pieces)


def encoding_for(model: str) -> str:
    """The demo counts unknown families with o200k so that every model has usage."""
    encoding = tokens.encoding_for(model)
    return "o200k_base" if encoding == tokens.UNKNOWN else encoding


def swapped_encoding(model: str) -> str:
    """The other OpenAI tokenizer: what a substituted model of the other generation counts with."""
    return "cl100k_base" if encoding_for(model) == "o200k_base" else "o200k_base"


def complete(
    model: str, messages: list[dict], max_tokens: int | None, reply: str | None = None, prompt_encoding: str | None = None,
    stop: list[str] | None = None, temperature: float = 1.0, noisy: bool = False, seed: int | None = None,
    keep_tail: int | None = None, cache: "PrefixCache | None" = None, reasoning: int | None = None,
    reasoning_on_top: bool = False,
) -> Completion:
    """Run the stand-in model: reply text cut before a stop sequence and at max_tokens, split into token pieces."""
    encoding = encoding_for(model)
    enc = tokens.get_encoding(encoding)
    prompt_messages = [{k: content_text(v) if k == "content" else v for k, v in m.items()} for m in messages]
    last_user = next((m["content"] for m in reversed(prompt_messages) if m.get("role") == "user"), "")
    if keep_tail is not None:  # a proxy that forwards only the end of a long prompt (and bills all of it)
        ids = enc.encode(last_user)
        last_user = enc.decode(ids[-keep_tail:]) if len(ids) > keep_tail else last_user
    text = reply if reply is not None else reply_for(last_user, temperature, noisy, seed, model)
    cuts = [text.find(s) for s in stop or () if isinstance(s, str) and s and s in text]
    if cuts:
        text = text[: min(cuts)]  # like OpenAI: the reply ends before the stop sequence, which is not returned
    ids = enc.encode(text)
    finish = "stop"
    thinking = 0 if not tokens.is_reasoning_model(model) else REASONING_TOKENS if reasoning is None else reasoning
    if max_tokens is not None:
        # A reasoning model's budget covers its hidden reasoning first: what is left, if anything, is visible.
        # With reasoning_on_top (DeepSeek's reasoner, SiliconFlow) the limit covers the visible answer alone.
        thinking = thinking if reasoning_on_top else min(thinking, max_tokens)
        visible = max_tokens if reasoning_on_top else max_tokens - thinking
        if len(ids) > visible:
            ids, finish = ids[:visible], "length"
    pieces = _pieces(enc, ids)
    prompt_tokens = tokens.count_chat_prompt(prompt_messages, prompt_encoding or encoding)
    cached = 0
    texts = [m["content"] for m in prompt_messages if isinstance(m.get("content"), str)]
    if cache is not None and sum(map(len, texts)) >= MIN_TOKENS:  # shorter text cannot hold 1,024 tokens
        cached = min(cache.lookup(model, enc.encode("\n".join(texts))), prompt_tokens)
    return Completion(pieces=pieces, prompt_tokens=prompt_tokens, completion_tokens=thinking + len(ids), finish_reason=finish,
                      cached_tokens=cached, reasoning_tokens=thinking)


LONG_REPLY_PIECES = 200  # replies at least this long are "long": paced in batches, targeted by the long faults
_FULL_PACE_PIECES = 100
_BATCH = 10


def paced(index: int) -> bool:
    """Whether the piece at `index` waits token_ms before it is sent: every piece at first, then one in ten,
    so a 1,500-token reply takes under a second while short replies keep their per-token pacing."""
    return index > 0 and (index < _FULL_PACE_PIECES or index % _BATCH == 0)


def pace_ms(pieces: int, token_ms: float) -> float:
    """Total pacing of a reply of `pieces` pieces."""
    return token_ms * sum(1 for i in range(pieces) if paced(i))


def count(model: str, text: str) -> int:
    """Tokens of `text` in the model's encoding."""
    return tokens.count_text(text, encoding_for(model))
