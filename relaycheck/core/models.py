"""The model catalogue (checks/catalogue/models.yaml): each model's published limits, prices and refusals, validated."""

from __future__ import annotations

import dataclasses
import functools
import re
from typing import Any

import yaml

from relaycheck.core import checklist
from relaycheck.text.tokens import base_model_name

VENDORS = ("openai", "anthropic", "google", "deepseek", "alibaba")
TOKENIZERS = ("o200k_base", "cl100k_base")
MODALITIES = ("text", "image", "audio", "video", "pdf")
CATALOGUE_FILE = "catalogue/models.yaml"  # below the checklist's data directory (checks/ in a checkout)

# What may follow a model's name in one of its own snapshots or aliases: the rule of relaycheck.checks._util.same_model
# (the checks layer sits above core, so it is restated here; tests/test_model_catalogue.py holds the two equal).
SNAPSHOT_SUFFIX = re.compile(
    r"^(\d{4}-\d{2}-\d{2}|\d{8}|\d{4}|\d{2}-\d{2}|latest|preview|preview-\d{2}-\d{2}|exp-\d{2}-\d{2}|v\d+(:\d+)?)$"
)

_REQUIRED = ("name", "vendor", "family", "tokenizer", "context_window", "max_output_tokens", "reasoning", "refuses",
             "modalities", "price", "source")
_OPTIONAL = ("snapshots", "aliases")
_PRICE_KEYS = ("input", "cached_input", "output")
_SNAPSHOT_KEYS = ("name", "context_window", "max_output_tokens", "price")


@dataclasses.dataclass(frozen=True)
class ListPrice:
    """A vendor's list price in USD per 1M tokens; None where there is none or it is not known."""

    input: float | None
    cached_input: float | None
    output: float | None


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """A dated or preview name of a catalogued model whose limits or price differ (the rest inherited, resolved)."""

    name: str
    context_window: int | None
    max_output_tokens: int | None
    price: ListPrice


@dataclasses.dataclass(frozen=True)
class ModelFacts:
    """One catalogued model: its published facts (None = not known) and the vendor page they come from."""

    name: str
    vendor: str
    family: str
    tokenizer: str | None
    context_window: int | None
    max_output_tokens: int | None
    reasoning: bool
    refuses: tuple[str, ...] | None
    modalities: tuple[str, ...] | None
    price: ListPrice
    source: str
    snapshots: tuple[Snapshot, ...] = ()
    aliases: tuple[str, ...] = ()

    def snapshot(self, name: str) -> Snapshot | None:
        """The listed snapshot called `name` (prefix and case ignored), or None."""
        wanted = base_model_name(name)
        return next((s for s in self.snapshots if s.name == wanted), None)


def is_snapshot_of(name: str, base: str) -> bool:
    """True when `name` is `base` or `base` plus a snapshot suffix (provider prefix and case ignored)."""
    longer, shorter = base_model_name(name), base_model_name(base)
    return longer == shorter or (longer.startswith(shorter + "-") and bool(SNAPSHOT_SUFFIX.match(longer[len(shorter) + 1 :])))


def same_base(a: str, b: str) -> bool:
    """True when two names are one model: equal after the prefix, or one is the other plus a snapshot suffix."""
    return is_snapshot_of(a, b) or is_snapshot_of(b, a)


def _count(value: Any, what: str) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{what} must be a positive integer or null, not {value!r}")
    return value


def _price(raw: Any, what: str) -> ListPrice:
    if not isinstance(raw, dict) or set(raw) != set(_PRICE_KEYS):
        raise ValueError(f"{what}: price must be a mapping of exactly {', '.join(_PRICE_KEYS)}, not {raw!r}")
    values = {}
    for key in _PRICE_KEYS:
        value = raw[key]
        if value is not None and (not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0):
            raise ValueError(f"{what}: price.{key} must be a non-negative number or null, not {value!r}")
        values[key] = None if value is None else float(value)
    return ListPrice(**values)


def _names(value: Any, what: str, allowed: tuple[str, ...] | None = None) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value) or len(set(value)) != len(value):
        raise ValueError(f"{what} must be a list of distinct non-empty strings or null, not {value!r}")
    if allowed is not None and (unknown := [v for v in value if v not in allowed]):
        raise ValueError(f"{what}: unknown value(s) {unknown}; allowed: {', '.join(allowed)}")
    return tuple(value)


def _model_name(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value or value != base_model_name(value):
        raise ValueError(f"{what} must be a lower-case model name without a provider prefix, not {value!r}")
    return value


def _snapshot(raw: Any, parent: ModelFacts, where: str) -> Snapshot:
    if not isinstance(raw, dict) or "name" not in raw:
        raise ValueError(f"{where}: each snapshot must be a mapping with a name, not {raw!r}")
    name = _model_name(raw["name"], f"{where}: snapshot name")
    what = f"{where}: snapshot {name}"
    if unknown := sorted(set(raw) - set(_SNAPSHOT_KEYS)):
        raise ValueError(f"{what}: unknown field(s) {unknown}")
    if name == parent.name or not is_snapshot_of(name, parent.name):
        raise ValueError(f"{what}: not a snapshot name of {parent.name} (the name plus a date, latest, preview, ...)")
    snap = Snapshot(
        name=name,
        context_window=_count(raw["context_window"], f"{what}: context_window") if "context_window" in raw else parent.context_window,
        max_output_tokens=_count(raw["max_output_tokens"], f"{what}: max_output_tokens") if "max_output_tokens" in raw else parent.max_output_tokens,
        price=_price(raw["price"], what) if "price" in raw else parent.price,
    )
    if (snap.context_window, snap.max_output_tokens, snap.price) == (parent.context_window, parent.max_output_tokens, parent.price):
        raise ValueError(f"{what}: states nothing that differs from {parent.name} (list only snapshots that differ)")
    return snap


def _entry(raw: Any, where: str) -> ModelFacts:
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: an entry must be a mapping, not {raw!r}")
    if missing := [k for k in _REQUIRED if k not in raw]:
        raise ValueError(f"{where}: model {raw.get('name')!r} lacks {', '.join(missing)}")
    name = _model_name(raw["name"], f"{where}: name")
    what = f"{where}: {name}"
    if unknown := sorted(set(raw) - set(_REQUIRED) - set(_OPTIONAL)):
        raise ValueError(f"{what}: unknown field(s) {unknown}")
    if raw["vendor"] not in VENDORS:
        raise ValueError(f"{what}: vendor must be one of {', '.join(VENDORS)}, not {raw['vendor']!r}")
    if not isinstance(raw["family"], str) or not raw["family"]:
        raise ValueError(f"{what}: family must be a non-empty string")
    if raw["tokenizer"] is not None and raw["tokenizer"] not in TOKENIZERS:
        raise ValueError(f"{what}: tokenizer must be one of {', '.join(TOKENIZERS)} or null, not {raw['tokenizer']!r}")
    if not isinstance(raw["reasoning"], bool):
        raise ValueError(f"{what}: reasoning must be true or false, not {raw['reasoning']!r}")
    source = raw["source"]
    if not isinstance(source, str) or not re.fullmatch(r"https://[^\s/]+\.[^\s/]+(/\S*)?", source):
        raise ValueError(f"{what}: source must be an https URL, not {source!r}")
    facts = ModelFacts(
        name=name,
        vendor=raw["vendor"],
        family=raw["family"],
        tokenizer=raw["tokenizer"],
        context_window=_count(raw["context_window"], f"{what}: context_window"),
        max_output_tokens=_count(raw["max_output_tokens"], f"{what}: max_output_tokens"),
        reasoning=raw["reasoning"],
        refuses=_names(raw["refuses"], f"{what}: refuses"),
        modalities=_names(raw["modalities"], f"{what}: modalities", MODALITIES),
        price=_price(raw["price"], what),
        source=source,
    )
    snapshots = raw.get("snapshots") or []
    if not isinstance(snapshots, list):
        raise ValueError(f"{what}: snapshots must be a list")
    aliases = _names(raw.get("aliases") or [], f"{what}: aliases") or ()
    facts = dataclasses.replace(facts, snapshots=tuple(_snapshot(s, facts, where) for s in snapshots),
                                aliases=tuple(_model_name(a, f"{what}: alias") for a in aliases))
    for limit in [facts, *facts.snapshots]:
        if limit.context_window and limit.max_output_tokens and limit.max_output_tokens > limit.context_window:
            raise ValueError(f"{what}: {limit.name}'s max_output_tokens exceeds its context_window")
    return facts


def parse_catalogue(text: str, source: str = "models.yaml") -> dict[str, ModelFacts]:
    """Parse and validate catalogue YAML, naming `source` and the entry in a ValueError for anything malformed."""
    try:
        data = checklist.load_yaml(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"{source}: malformed YAML: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("models"), list) or set(data) != {"models"}:
        raise ValueError(f"{source}: expected one top-level key, models, holding a list of entries")
    entries: dict[str, ModelFacts] = {}
    seen: set[str] = set()
    for index, raw in enumerate(data["models"], 1):
        facts = _entry(raw, f"{source}: entry {index}")
        for name in (facts.name, *(s.name for s in facts.snapshots), *facts.aliases):
            if name in seen:
                raise ValueError(f"{source}: entry {index} ({facts.name}): the name {name} appears twice in the catalogue")
            seen.add(name)
        entries[facts.name] = facts
    return entries


@functools.lru_cache(maxsize=1)
def catalogue() -> dict[str, ModelFacts]:
    """The packaged catalogue, by model name in file order, loaded and validated once per process."""
    # The checklist's data directory: packaged data in a wheel, the top-level checks/ in a checkout.
    path = checklist.data_dir().joinpath(CATALOGUE_FILE)
    return parse_catalogue(path.read_text(encoding="utf-8"), CATALOGUE_FILE)


def lookup(name: str) -> ModelFacts | None:
    """The catalogue entry for a model name, its provider-prefixed form, a listed alias or a snapshot of it; else None."""
    wanted = base_model_name(name)
    entries = catalogue()
    if wanted in entries:
        return entries[wanted]
    candidates = [(known, facts) for facts in entries.values() for known in (facts.name, *(s.name for s in facts.snapshots), *facts.aliases)]
    exact = [facts for known, facts in candidates if known == wanted]
    if exact:
        return exact[0]
    # A snapshot of a catalogued name: the longest such name is the most specific (o1-preview-2024-09-12 -> o1-preview).
    matches = sorted(((known, facts) for known, facts in candidates if same_base(wanted, known)), key=lambda m: -len(m[0]))
    return matches[0][1] if matches else None


def _listed_snapshot(name: str, facts: ModelFacts) -> Snapshot | None:
    """The listed snapshot `name` is, or is a snapshot of (o1-preview-2024-09-12 -> o1-preview), else None."""
    wanted = base_model_name(name)
    return facts.snapshot(wanted) or next((s for s in facts.snapshots if is_snapshot_of(wanted, s.name)), None)


def ceilings(name: str) -> set[int]:
    """Every published max output a name may be served with: a listed snapshot's own, else the entry's and its snapshots'.

    Empty for a model the catalogue does not know or whose limit is not known.
    """
    facts = lookup(name)
    if facts is None:
        return set()
    snap = _listed_snapshot(name, facts)
    limits = [snap.max_output_tokens] if snap else [facts.max_output_tokens, *(s.max_output_tokens for s in facts.snapshots)]
    return {limit for limit in limits if limit is not None}


def siblings_with_ceiling(limit: int, vendor: str) -> list[str]:
    """Catalogued models of `vendor`, in catalogue order, whose max output (or a listed snapshot's) equals `limit`."""
    return [f.name for f in catalogue().values()
            if f.vendor == vendor and limit in {f.max_output_tokens, *(s.max_output_tokens for s in f.snapshots)}]
