"""Check models.residue: what the backend left in the replies (fingerprints, another vendor's fields, the relay's own cost).

Passive: it reads the replies the run already has (every successful reply of the model, whichever probe sent it).
Three signals, each judged so that a relay's ordinary additions are never mistaken for another backend:

- `system_fingerprint`: one fingerprint answering for two claimed models warns (one backend behind two names, or a
  relay's own constant); several fingerprints for one model are information only (OpenAI rotates them).
- another vendor's fields in a reply when the claimed model's vendor differs: Anthropic's message and tool-use ids
  (`msg_01…`, `toolu_01…`) or Gemini's native structures (`candidates` with `content.parts`, `usageMetadata` with its
  counts) fail; weaker hints warn (another `msg_`/`toolu_` id, a bare `responseId`, usage named `input_tokens` /
  `output_tokens` instead of OpenAI's names, a non-zero top-level `cache_creation_input_tokens`). Key presence and
  zero values are never residue: LiteLLM's OpenAI-format usage carries `cache_creation_input_tokens` /
  `cache_read_input_tokens` keys (0 when none) and new-api's carries `input_tokens` / `output_tokens` beside
  `prompt_tokens` in every reply.
- the cost the relay itself reports (LiteLLM's `x-litellm-response-cost` header, OpenRouter-style `usage.cost`), set
  against the reply's own usage priced at the catalogue's list prices: the claimed model's price is clean, only
  another model's price (and not the claimed one's) fails; any other figure is a markup, inconclusive for that reply.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from relaycheck.checks import FAIL, INCONCLUSIVE, PASS, WARN, CheckInput, Verdict, check
from relaycheck.checks._util import same_model
from relaycheck.core.models import ListPrice, ModelFacts, catalogue, lookup, same_base
from relaycheck.protocol import chunks
from relaycheck.text.tokens import base_model_name
from relaycheck.wire.exchange import Exchange, is_int

# A reported cost matches a price when within 5% of it, or within 1e-7 USD (a tenth of a micro-dollar: the cost of
# a few prompt tokens of the cheapest models, so a reply of 7 tokens rounded by the relay still matches), or within
# half a unit of the last decimal place the relay printed (a figure rounded to 0.000002 says nothing finer). The
# nearest distinct list prices of two catalogued models are 25% apart (gpt-4.1 and gpt-4o), so 5% never blurs two.
COST_RELATIVE_TOLERANCE = 0.05
COST_ABSOLUTE_FLOOR = 1e-7  # USD
COST_HEADER = "x-litellm-response-cost"  # LiteLLM proxy: USD for this request

# Anthropic ids: msg_ / toolu_ (Bedrock msg_bdrk_, Vertex msg_vrtx_), then "01" and base62 with capitals.
_ANTHROPIC_ID = re.compile(r"^(?:msg|toolu)_(?:bdrk_|vrtx_)?01[A-Za-z0-9]{20,}$")
# OpenAI's Responses API names its output items msg_ + lowercase hex: OpenAI's own, not residue.
_RESPONSES_ITEM_ID = re.compile(r"^msg_[0-9a-f]{40,}$")
_GEMINI_USAGE_KEYS = ("promptTokenCount", "candidatesTokenCount", "totalTokenCount")
# For names the catalogue lacks: the vendor a name plainly belongs to.
_VENDOR_BY_NAME = (
    (re.compile(r"^claude"), "anthropic"), (re.compile(r"^gemini"), "google"), (re.compile(r"^(gpt-|chatgpt|o\d(-|$))"), "openai"),
    (re.compile(r"^deepseek"), "deepseek"), (re.compile(r"^qwen"), "alibaba"),
)
_VENDOR_NAME = {"anthropic": "Anthropic", "google": "Gemini"}


@dataclass(frozen=True)
class Hint:
    """One field of another vendor's in a reply: whose, how sure, and what it is."""

    vendor: str
    strong: bool
    what: str


@dataclass(frozen=True)
class Reported:
    """One cost the relay reported for one reply: where, the figure in USD, and the unit of its last printed digit."""

    source: str
    value: float | None  # None: present but not a usable figure
    unit: float
    text: str


def vendor_of(name: str, facts: ModelFacts | None) -> str | None:
    """The claimed model's vendor: the catalogue's, else the one its name plainly belongs to, else None."""
    if facts is not None:
        return facts.vendor
    base = base_model_name(name)
    return next((vendor for pattern, vendor in _VENDOR_BY_NAME if pattern.search(base)), None)


def _asked_for_itself(x: Exchange) -> bool:
    """The request named the exchange's own model (not the unknown-model probe's made-up name)."""
    body = x.request_json
    asked = body.get("model") if isinstance(body, dict) else None
    return not isinstance(asked, str) or x.model is None or same_model(x.model, asked)


def replies_of_run(inp: CheckInput) -> list[Exchange]:
    """Every final, successful reply of the run that a model was asked for by its own name."""
    superseded = {x.retry_of for x in inp.exchanges if x.retry_of}
    return [
        x for x in inp.exchanges
        if x.id not in superseded and x.model is not None and x.ok and _asked_for_itself(x)
        and x.reply.error is None and (bool(x.events) or isinstance(x.json, dict))
    ]


def _payloads(x: Exchange):
    """The reply's top-level JSON objects: the body, or each stream event's (read one at a time)."""
    if x.events:
        for c in chunks(x):
            if isinstance(c.payload, dict):
                yield c.payload
    elif isinstance(x.json, dict):
        yield x.json


def fingerprints(x: Exchange) -> set[str]:
    """The non-empty system_fingerprint values a reply states (a stream's chunks may each state one)."""
    return {p["system_fingerprint"].strip() for p in _payloads(x)
            if isinstance(p.get("system_fingerprint"), str) and p["system_fingerprint"].strip()}


def _id_hint(value: Any, what: str) -> Hint | None:
    if not isinstance(value, str):
        return None
    if _ANTHROPIC_ID.match(value) and any(ch.isupper() for ch in value.split("_")[-1]):
        return Hint("anthropic", True, f"{what} {value} (Anthropic's id format)")
    if value.startswith(("msg_", "toolu_")) and not _RESPONSES_ITEM_ID.match(value):
        return Hint("anthropic", False, f"{what} {value} (Anthropic's prefix, not its full format)")
    return None


def _nonzero(value: Any) -> bool:
    return is_int(value) and value > 0


def residue(x: Exchange) -> list[Hint]:
    """Another vendor's fields in one reply (deduplicated, in the order found)."""
    hints: list[Hint] = []
    for payload in _payloads(x):
        hint = _id_hint(payload.get("id"), "reply id")
        if hint:
            hints.append(hint)
        candidates = payload.get("candidates")
        if candidates is not None:
            native = isinstance(candidates, list) and any(
                isinstance(c, dict) and isinstance(c.get("content"), dict) and isinstance(c["content"].get("parts"), list) for c in candidates)
            hints.append(Hint("google", native, "Gemini's candidates[].content.parts" if native else "a candidates field"))
        meta = payload.get("usageMetadata")
        if meta is not None:
            native = isinstance(meta, dict) and any(k in meta for k in _GEMINI_USAGE_KEYS)
            hints.append(Hint("google", native, "Gemini's usageMetadata counts" if native else "a usageMetadata field"))
        if isinstance(payload.get("responseId"), str):
            hints.append(Hint("google", False, "a responseId field (Gemini's name for the reply id)"))
    for call in x.reply.tool_calls:
        hint = _id_hint(call.id, "tool call id")
        if hint:
            hints.append(hint)
    usage = x.reply.usage
    if isinstance(usage, dict):
        # new-api sends input_tokens/output_tokens beside prompt_tokens in every reply: only their use instead counts.
        if "prompt_tokens" not in usage and (_nonzero(usage.get("input_tokens")) or _nonzero(usage.get("output_tokens"))):
            hints.append(Hint("anthropic", False, "usage counted as input_tokens/output_tokens instead of prompt_tokens/completion_tokens "
                              "(Anthropic's names, also the Responses API's)"))
        # LiteLLM adds the key with 0 for any upstream; a cache write billed is Anthropic's alone.
        if _nonzero(usage.get("cache_creation_input_tokens")):
            hints.append(Hint("anthropic", False, f"usage.cache_creation_input_tokens {usage['cache_creation_input_tokens']} "
                              "(a prompt-cache write, which Anthropic bills)"))
    return list(dict.fromkeys(hints))


# ---- cost -------------------------------------------------------------------------------------------------------

def _unit(text: str) -> float:
    """One unit of the last decimal place a figure was printed with (0.000002 -> 1e-6; full float precision -> tiny)."""
    try:
        exponent = Decimal(text.strip()).as_tuple().exponent
    except (InvalidOperation, ValueError):
        return 0.0
    return 10.0 ** exponent if isinstance(exponent, int) and -330 < exponent < 300 else 0.0


def _figure(source: str, raw: Any) -> Reported:
    if isinstance(raw, str):
        text = raw.strip()
        try:
            value: float | None = float(text)
        except ValueError:
            value = None
    elif isinstance(raw, (int, float)) and not isinstance(raw, bool) and (not isinstance(raw, int) or is_int(raw)):
        value, text = float(raw), repr(raw)
    else:
        value, text = None, repr(raw)[:40]
    if value is not None and (not math.isfinite(value) or value < 0):
        value = None
    return Reported(source, value, _unit(text) if value is not None else 0.0, text[:40])


def reported_costs(x: Exchange) -> list[Reported]:
    """The costs a relay reported for one reply: LiteLLM's header, and usage.cost (OpenRouter; LiteLLM in streams)."""
    found = []
    header = x.header(COST_HEADER)
    if header is not None:
        found.append(_figure(f"the {COST_HEADER} header", header))
    usage = x.reply.usage
    if isinstance(usage, dict) and "cost" in usage and usage["cost"] is not None:
        found.append(_figure("usage.cost", usage["cost"]))
    return found


def priced(price: ListPrice, prompt: int, cached: int, completion: int) -> tuple[float, ...]:
    """What a reply's usage costs at a list price: with the cache discount, and with every prompt token at full price."""
    if price.input is None or price.output is None:
        return ()
    full = (prompt * price.input + completion * price.output) / 1_000_000
    if cached and price.cached_input is not None:
        return ((prompt - cached) * price.input + cached * price.cached_input + completion * price.output) / 1_000_000, full
    return (full,)


def cost_tolerance(expected: float, unit: float = 0.0) -> float:
    """How far a reported figure may be from a price's cost and still match it (see COST_RELATIVE_TOLERANCE)."""
    return max(COST_RELATIVE_TOLERANCE * expected, COST_ABSOLUTE_FLOOR, unit / 2)


def cost_matches(reported: float, expected: float, unit: float = 0.0) -> bool:
    """A reported figure is the cost `expected`, within the tolerance."""
    return abs(reported - expected) <= cost_tolerance(expected, unit)


def own_prices(name: str, facts: ModelFacts) -> list[ListPrice]:
    """The prices the claimed name may be billed at: a listed snapshot's own, a dated name's the entry's, the plain
    name's the entry's and every listed snapshot's (any of them may serve it)."""
    wanted = base_model_name(name)
    # Only a snapshot the name is (or a dated form of): the plain name may be served by any of them.
    snap = next((s for s in facts.snapshots if wanted == s.name or (wanted.startswith(s.name + "-") and same_base(wanted, s.name))), None)
    if snap is not None:
        return [snap.price]
    if wanted != facts.name and wanted not in facts.aliases:
        return [facts.price]  # a dated name the catalogue does not list has the entry's facts
    return list(dict.fromkeys([facts.price, *(s.price for s in facts.snapshots)]))


def other_prices(facts: ModelFacts | None) -> list[tuple[str, ListPrice]]:
    """Every other catalogued model's prices (a snapshot's where it differs), by name, in catalogue order."""
    out = []
    for entry in catalogue().values():
        if facts is not None and entry.name == facts.name:
            continue
        out.append((entry.name, entry.price))
        out.extend((s.name, s.price) for s in entry.snapshots if s.price != entry.price)
    return out


@dataclass(frozen=True)
class CostFinding:
    """One reported cost judged: clean, other models' price, matching no price, or not judged (then `text` says why)."""

    exchange: str
    outcome: str  # "clean", "implied", "unmatched", "unjudged"
    text: str  # the figure and the reply's usage at the claimed price (or why it was not judged)
    ratio: float = 0.0  # the figure over the claimed model's price
    implied: tuple[tuple[str, float], ...] = ()  # other catalogued models whose price it is, with that price

    def naming(self, models: set[str], model: str) -> str:
        """The finding told as a failure naming `models` (those of them it matches)."""
        hits = [(name, cost) for name, cost in self.implied if name in models]
        names = ", ".join(name for name, _ in hits[:4]) + (" …" if len(hits) > 4 else "")
        return (f"{self.text}, while {names}'s is {_money(hits[0][1])}: the relay bills another model under {model}'s name "
                f"(only a markup of exactly {self.ratio:.2f}x would look the same)")


def _money(value: float) -> str:
    return f"${value:.3g}" if value >= 0.01 else f"${value:.4g}"


def judge_cost(x: Exchange, figure: Reported, model: str, facts: ModelFacts | None) -> CostFinding:
    """One reported cost against the reply's usage at the claimed model's list price and at every other model's."""
    where = f"{x.id} reported {figure.text} USD ({figure.source})"
    if figure.value is None:
        return CostFinding(x.id, "unjudged", f"{where}: not a usable amount")
    if figure.value == 0:
        return CostFinding(x.id, "unjudged", f"{where}: zero, as a relay reports a model it cannot price")
    r = x.reply
    prompt, completion, cached = r.prompt_tokens, r.completion_tokens, r.cached_tokens or 0
    if prompt is None or completion is None or cached > prompt:
        return CostFinding(x.id, "unjudged", f"{where}: the reply's usage cannot be priced")
    tokens = f"{prompt} prompt ({cached} cached) + {completion} completion tokens"
    claimed = [c for p in own_prices(model, facts) for c in priced(p, prompt, cached, completion)] if facts else []
    if not claimed:
        return CostFinding(x.id, "unjudged", f"{where}: {model} has no list price in the model catalogue to compare")
    stated = f"{where} for {tokens}; {model}'s list price for them is {_money(claimed[0])}"
    ratio = figure.value / claimed[0] if claimed[0] else 0.0
    if any(cost_matches(figure.value, c, figure.unit) for c in claimed):
        return CostFinding(x.id, "clean", stated, ratio)
    implied: dict[str, float] = {}
    for name, price in other_prices(facts):
        hit = next((c for c in priced(price, prompt, cached, completion) if cost_matches(figure.value, c, figure.unit)), None)
        if hit is not None and name not in implied:
            implied[name] = hit
    return CostFinding(x.id, "implied" if implied else "unmatched", stated, ratio, tuple(implied.items()))


def implied_models(findings: list[CostFinding]) -> set[str]:
    """The models whose price explains every reported cost the claimed price does not (empty: none does).

    One reply's figure may be a markup that happens to equal another model's price for that reply's mix of prompt
    and completion tokens; the run's replies mix them differently, so a real substitution matches every one of them
    and a coincidence does not.
    """
    elsewhere = [f for f in findings if f.outcome in ("implied", "unmatched")]
    if not elsewhere:
        return set()
    common = {name for name, _ in elsewhere[0].implied}
    for f in elsewhere[1:]:
        common &= {name for name, _ in f.implied}
    return common


# ---- the check ----------------------------------------------------------------------------------------------------

@check("models.residue", probes=("chat", "stream"))  # reads every successful reply of the run, whichever probe sent it
def backend_residue(inp: CheckInput) -> Verdict:
    """No fingerprint shared with another claimed model, no other vendor's fields, no reported cost of another model."""
    assert inp.model is not None
    replies = replies_of_run(inp)
    mine = [x for x in replies if x.model == inp.model]
    if not mine:
        return Verdict(INCONCLUSIVE, f"no successful reply of {inp.model} to read")
    facts = lookup(inp.model)
    vendor = vendor_of(inp.model, facts)
    fails: list[str] = []
    warns: list[str] = []
    fail_ids: list[str] = []
    warn_ids: list[str] = []

    # (a) fingerprints: ours, and who else answered with them.
    own: dict[str, list[str]] = {}
    for x in mine:
        for fp in fingerprints(x):
            own.setdefault(fp, []).append(x.id)
    others: dict[str, dict[str, list[str]]] = {}
    for x in replies:
        if x.model == inp.model or same_model(inp.model, x.model or ""):
            continue
        for fp in fingerprints(x) & set(own):
            others.setdefault(fp, {}).setdefault(x.model or "", []).append(x.id)
    for fp, by_model in others.items():
        names = ", ".join(f"{m} ({', '.join(ids[:3])})" for m, ids in sorted(by_model.items()))
        warns.append(f"system_fingerprint {fp} answers for {inp.model} ({', '.join(own[fp][:3])}) and for {names}: one backend "
                     "behind two names, or a fingerprint the relay sets itself")
        warn_ids += own[fp][:3] + [i for ids in by_model.values() for i in ids[:3]]

    # (b) another vendor's fields.
    residue_seen: list[str] = []
    strong: list[str] = []
    weak: list[str] = []
    if vendor is not None:
        for x in mine:
            for hint in residue(x):
                if hint.vendor == vendor:
                    continue
                line = f"{x.id}: {_VENDOR_NAME.get(hint.vendor, hint.vendor)} residue, {hint.what}"
                residue_seen.append(line)
                (strong if hint.strong else weak).append(line + ("" if hint.strong else " (a hint, not proof)"))
                (fail_ids if hint.strong else warn_ids).append(x.id)
    for lines, into in ((strong, fails), (weak, warns)):
        into.extend(lines[:3] + ([f"and {len(lines) - 3} more such fields"] if len(lines) > 3 else []))

    # (c) the cost the relay reports.
    findings = [judge_cost(x, figure, inp.model, facts) for x in mine for figure in reported_costs(x)]
    implied = implied_models(findings)
    named = [f for f in findings if f.outcome == "implied" and implied & {n for n, _ in f.implied}]
    for f in named[:3]:
        fails.append(f.naming(implied, inp.model))
    if len(named) > 3:
        fails.append(f"and {len(named) - 3} more reported costs at {', '.join(sorted(implied)[:4])}'s price")
    fail_ids += [f.exchange for f in named]

    counts = {o: sum(f.outcome == o for f in findings) for o in ("clean", "implied", "unmatched", "unjudged")}
    metrics: dict[str, Any] = {
        "replies": len(mine),
        "fingerprints": {fp: len(ids) for fp, ids in sorted(own.items())},
        "shared_fingerprints": {fp: sorted(by_model) for fp, by_model in sorted(others.items())},
        "residue": residue_seen[:10],
        "reported_costs": len(findings),
        "costs_at_claimed_price": counts["clean"],
        "costs_at_another_models_price": len(named),
        "costs_matching_no_price": counts["unmatched"] + counts["implied"] - len(named),
        "costs_not_judged": counts["unjudged"],
    }
    if implied:
        metrics["implied_models"] = sorted(implied)

    if fails:
        return Verdict(FAIL, "; ".join(fails), tuple(dict.fromkeys(fail_ids)), metrics)
    if warns:
        return Verdict(WARN, "; ".join(warns), tuple(dict.fromkeys(warn_ids)), metrics)
    return Verdict(PASS, _looked_at(inp.model, mine, own, vendor, findings, counts), tuple(x.id for x in mine), metrics)


def _looked_at(model: str, mine: list[Exchange], own: dict[str, list[str]], vendor: str | None,
               findings: list[CostFinding], counts: dict[str, int]) -> str:
    """What a clean verdict rests on: the replies, the fingerprints, the vendor fields and the reported costs."""
    parts = [f"{len(mine)} {'reply' if len(mine) == 1 else 'replies'} of {model} read"]
    if own:
        shown = ", ".join(list(own)[:4]) + (" …" if len(own) > 4 else "")
        several = " (several for one model: information only, OpenAI rotates them)" if len(own) > 1 else ""
        parts.append(f"system_fingerprint {shown}, shared with no other model{several}")
    else:
        parts.append("no system_fingerprint")
    parts.append("no other vendor's fields" if vendor else f"{model}'s vendor is unknown: other vendors' fields not judged")
    if not findings:
        parts.append("no reported cost")
    else:
        said = [f"{counts['clean']} of {len(findings)} reported costs at {model}'s list price"]
        if counts["unmatched"]:
            said.append(f"{counts['unmatched']} at no catalogued price (a markup: inconclusive)")
        if counts["implied"]:
            said.append(f"{counts['implied']} at some other model's price for that reply alone, no one model's for all "
                        "(a markup: inconclusive)")
        if counts["unjudged"]:
            said.append(f"{counts['unjudged']} not judged ({next(f.text for f in findings if f.outcome == 'unjudged')})")
        parts.append(", ".join(said))
    return "; ".join(parts)
