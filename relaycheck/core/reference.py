"""The behavioural reference: the categorical prompts, how their answers are normalised, and the versioned file.

`relaycheck enroll` asks a trusted endpoint each prompt many times and writes the raw counts of the normalised
answers; `probe --reference` asks the relay the same prompts and `models.behaviour` compares the two samples
(relaycheck.core.sequential). Nothing here sends a request or judges: it is the data both sides share.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from relaycheck.core.exits import UsageError
from relaycheck.core.files import read_capped

FORMAT = "relaycheck-behaviour-reference"
VERSION = 1
VISIBLE_TOKENS = 4  # one-token answers; a few tokens of room for "Tails." or a two-token city name
REASONING_BUDGET = 256  # a reasoning model spends hidden tokens before its one word
MAX_FILE_BYTES = 1024 * 1024
MAX_CATEGORIES = 500  # distinct answers kept per prompt (a real model gives a few dozen at most)
MAX_ANSWER_CHARS = 24  # a longer answer is not a one-word answer: unusable, never a category
MAX_COUNT = 1_000_000


@dataclass(frozen=True)
class CategoricalPrompt:
    """One prompt whose answer is a category: a number, a colour, a coin side, an animal, a city."""

    id: str
    kind: str  # number, colour, coin, animal, city
    lang: str  # en or zh
    text: str


PROMPTS: tuple[CategoricalPrompt, ...] = (
    CategoricalPrompt("number-en-1", "number", "en", "Pick a random number from 1 to 100. Reply with the number only."),
    CategoricalPrompt("number-en-2", "number", "en", "Think of a number between 1 and 100. Answer with just the number, nothing else."),
    CategoricalPrompt("number-zh-1", "number", "zh", "请从1到100中随机选一个整数。只回答这个数字。"),
    CategoricalPrompt("colour-en-1", "colour", "en", "Name a colour. Reply with one word only."),
    CategoricalPrompt("colour-en-2", "colour", "en", "What is your favourite colour? Answer in one word."),
    CategoricalPrompt("colour-zh-1", "colour", "zh", "说出一种颜色。只回答颜色的名称。"),
    CategoricalPrompt("coin-en-1", "coin", "en", "Flip a coin. Reply with Heads or Tails only."),
    CategoricalPrompt("coin-zh-1", "coin", "zh", "抛一枚硬币。只回答正面或反面。"),
    CategoricalPrompt("animal-en-1", "animal", "en", "Name an animal. Reply with one word only."),
    CategoricalPrompt("animal-zh-1", "animal", "zh", "说出一种动物。只回答动物的名称。"),
    CategoricalPrompt("city-en-1", "city", "en", "Name a city anywhere in the world. Reply with the city name only."),
    CategoricalPrompt("city-zh-1", "city", "zh", "随便说出世界上的一个城市。只回答城市名。"),
)
BY_ID = {p.id: p for p in PROMPTS}
BY_TEXT = {p.text: p for p in PROMPTS}

_NUMBER = re.compile(r"\d+")
_ARTICLE = re.compile(r"^(?:the|a|an)\s+")


def normalise(kind: str, text: str | None) -> str | None:
    """The category an answer names, or None when it is not a usable one-word answer (empty, a sentence, a refusal).

    The first line only (a relay's appended advert does not change the category), NFKC, lower case, punctuation
    and symbols stripped at both ends, an English article dropped; a number must be an integer from 1 to 100.
    """
    if not isinstance(text, str):
        return None
    line = next((part for part in text.strip().splitlines() if part.strip()), "")
    line = unicodedata.normalize("NFKC", line).strip().lower()
    if kind == "number":
        found = _NUMBER.findall(line)
        if len(found) != 1 or len(line) > MAX_ANSWER_CHARS:
            return None
        value = int(found[0])
        return str(value) if 1 <= value <= 100 else None
    while line and unicodedata.category(line[0])[0] in "PSZ":
        line = line[1:]
    while line and unicodedata.category(line[-1])[0] in "PSZ":
        line = line[:-1]
    line = " ".join(_ARTICLE.sub("", line).split())
    if not line or len(line) > MAX_ANSWER_CHARS or len(line.split()) > 3:
        return None
    return line


@dataclass(frozen=True)
class Reference:
    """A reference sample: per prompt, the raw counts of the normalised answers a trusted endpoint gave."""

    model: str
    enrolled_at: str  # UTC, ISO 8601
    host: str  # the trusted endpoint's host (never its key, never a full URL)
    samples_per_prompt: int  # requests asked per prompt
    counts: dict[str, dict[str, int]]  # prompt id -> normalised answer -> count
    unusable: dict[str, int]  # prompt id -> answers that were not usable (refusals, errors, sentences)

    def usable(self, prompt_id: str) -> int:
        """Usable answers the reference holds for a prompt."""
        return sum(self.counts.get(prompt_id, {}).values())


@dataclass(frozen=True)
class BehaviourSpec:
    """What `probe --reference` runs: the reference, the false-accusation bound, the request budget and the run's seed."""

    reference: Reference
    source: str  # the file it was read from (for messages)
    alpha: float = 0.01
    requests: int = 60  # the most requests the relay is asked (one-token answers)
    seed: int = 0  # drives the request seeds and the partition of the reference (recorded in the verdict)


DEFAULT_ALPHA = 0.01
DEFAULT_REQUESTS = 60


def to_json(ref: Reference) -> str:
    """The versioned JSON file of a reference (sorted, stable)."""
    doc = {
        "format": FORMAT, "version": VERSION, "model": ref.model, "enrolled_at": ref.enrolled_at, "host": ref.host,
        "samples_per_prompt": ref.samples_per_prompt,
        "prompts": [
            {"id": p.id, "kind": p.kind, "lang": p.lang, "text": p.text, "unusable": ref.unusable.get(p.id, 0),
             "counts": dict(sorted(ref.counts.get(p.id, {}).items(), key=lambda kv: (-kv[1], kv[0])))}
            for p in PROMPTS if p.id in ref.counts
        ],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_COUNT


def parse(doc: Any, where: str) -> Reference:
    """A reference from its parsed JSON; every problem is one UsageError line naming the file."""
    def bad(problem: str) -> UsageError:
        return UsageError(f"{where}: not a usable behaviour reference: {problem} (write one with `relaycheck enroll`)")

    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise bad(f"expected a JSON object with format {FORMAT!r}")
    if doc.get("version") != VERSION:
        raise bad(f"version {doc.get('version')!r} is not {VERSION}")
    model, when, host, per = doc.get("model"), doc.get("enrolled_at"), doc.get("host"), doc.get("samples_per_prompt")
    if not isinstance(model, str) or not model.strip() or len(model) > 200:
        raise bad("model must be a model name")
    if not isinstance(when, str) or not isinstance(host, str) or not _count(per):
        raise bad("enrolled_at, host and samples_per_prompt are required")
    prompts = doc.get("prompts")
    if not isinstance(prompts, list) or not prompts:
        raise bad("prompts must be a non-empty list")
    counts: dict[str, dict[str, int]] = {}
    unusable: dict[str, int] = {}
    for i, entry in enumerate(prompts):
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise bad(f"prompts[{i}] must be an object with an id")
        known = BY_ID.get(entry["id"])
        if known is None or entry.get("text") != known.text:
            raise bad(f"prompts[{i}] ({entry['id']!r}) is not one of this relaycheck's prompts; enroll again with this version")
        if entry["id"] in counts:
            raise bad(f"prompt {entry['id']!r} appears twice")
        raw = entry.get("counts")
        if not isinstance(raw, dict) or len(raw) > MAX_CATEGORIES:
            raise bad(f"prompts[{i}].counts must be an object of at most {MAX_CATEGORIES} answers")
        for answer, n in raw.items():
            if normalise(known.kind, answer) != answer or not _count(n):
                raise bad(f"prompts[{i}].counts: {answer[:40]!r}: {n!r} is not a normalised answer with a count")
        if not _count(entry.get("unusable", 0)):
            raise bad(f"prompts[{i}].unusable must be a count")
        counts[entry["id"]] = {str(a): int(n) for a, n in raw.items() if n}
        unusable[entry["id"]] = int(entry.get("unusable", 0))
    return Reference(model.strip(), when, host, int(per), counts, unusable)


def load(path: Path) -> Reference:
    """Read a reference file: missing, too large, not JSON or not a reference is one UsageError line."""
    where = str(path)
    text = read_capped(path, MAX_FILE_BYTES, "behaviour reference")
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise UsageError(f"{where}: the behaviour reference is not JSON: {str(exc)[:120]}") from None
    return parse(doc, where)
