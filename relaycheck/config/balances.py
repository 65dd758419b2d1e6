"""Balance adapters: read a relay's balance with the key alone, and infer which figure moved and by how much."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

UNLIMITED = 1e8  # one-api / new-api: a limit this large means "no limit"
QUOTA_PER_USD = 500_000  # one-api / new-api raw quota per dollar (their default QuotaPerUnit)


@dataclass(frozen=True)
class Figure:
    """One number a balance endpoint reports; `kind` says which way it moves when you spend."""

    value: float
    kind: str  # "spent" (grows), "left" (shrinks), "grant" (the grant; shrinks only in one-api's per-user mode)


@dataclass(frozen=True)
class Reading:
    """What one adapter read: figures in `unit`, and whether the key is unlimited."""

    figures: dict[str, Figure]
    unit: str
    unlimited: bool
    step: float  # the smallest change the endpoint can show (its rounding)


@dataclass(frozen=True)
class Adapter:
    """A balance endpoint family: GET paths (relative to the API base or the origin) and a parser."""

    name: str
    paths: tuple[tuple[str, str], ...]  # (root, path), root "base" or "origin"
    parse: Callable[[list[Any]], Reading | None]


def _num(value: Any) -> float | None:
    """A finite number from a balance endpoint, else None: 1e999 parses as inf, and 10**400 overflows float()."""
    try:
        number = float(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError, OverflowError):
        return None
    return number if number is not None and math.isfinite(number) else None


def _decimals_step(*values: Any) -> float:
    """The rounding step implied by how many decimals the endpoint prints (at least 1e-6)."""
    places = 0
    for value in values:
        text = repr(value) if isinstance(value, float) else str(value)
        if "." in text and "e" not in text.lower():
            places = max(places, len(text.split(".")[1]))
    return max(10.0 ** -places, 1e-6) if places else 1.0


def _ok(body: Any) -> bool:
    # one-api answers errors on these endpoints as HTTP 200 with an error body.
    return isinstance(body, dict) and not body.get("error")


def _oneapi(bodies: list[Any]) -> Reading | None:
    sub, usage = bodies
    if not (_ok(sub) and _ok(usage)):
        return None
    limit, cents = _num(sub.get("hard_limit_usd")), _num(usage.get("total_usage"))
    if limit is None or cents is None:
        return None
    figures = {"hard_limit_usd": Figure(limit, "grant"), "total_usage_usd": Figure(cents / 100.0, "spent")}
    return Reading(figures, "USD", limit >= UNLIMITED, _decimals_step(usage.get("total_usage")) / 100.0)


def _newapi(bodies: list[Any]) -> Reading | None:
    (body,) = bodies
    data = body.get("data") if _ok(body) else None
    if not isinstance(data, dict) or _num(data.get("total_used")) is None:
        return None
    used, available = _num(data.get("total_used")), _num(data.get("total_available"))
    figures = {"total_used": Figure(used / QUOTA_PER_USD, "spent")}
    if available is not None:
        figures["total_available"] = Figure(available / QUOTA_PER_USD, "left")
    unlimited = bool(data.get("unlimited_quota")) or (available is not None and available >= UNLIMITED)
    return Reading(figures, "USD", unlimited, 1.0 / QUOTA_PER_USD)


def _openrouter(bodies: list[Any]) -> Reading | None:
    (body,) = bodies
    data = body.get("data") if _ok(body) else None
    if not isinstance(data, dict) or _num(data.get("usage")) is None:
        return None
    figures = {"usage": Figure(_num(data["usage"]) or 0.0, "spent")}
    if _num(data.get("limit_remaining")) is not None:
        figures["limit_remaining"] = Figure(_num(data["limit_remaining"]) or 0.0, "left")
    return Reading(figures, "USD", data.get("limit") is None, _decimals_step(data.get("usage")))


def _litellm(bodies: list[Any]) -> Reading | None:
    (body,) = bodies
    info = body.get("info") if _ok(body) else None
    if not isinstance(info, dict) or _num(info.get("spend")) is None:
        return None
    return Reading({"spend": Figure(_num(info["spend"]) or 0.0, "spent")}, "USD", info.get("max_budget") is None, _decimals_step(info.get("spend")))


def _deepseek(bodies: list[Any]) -> Reading | None:
    (body,) = bodies
    infos = body.get("balance_infos") if _ok(body) else None
    if not isinstance(infos, list) or not infos or not isinstance(infos[0], dict) or _num(infos[0].get("total_balance")) is None:
        return None
    first = infos[0]
    return Reading({"total_balance": Figure(_num(first["total_balance"]) or 0.0, "left")}, str(first.get("currency") or "CNY"), False,
                   _decimals_step(first.get("total_balance")))


ADAPTERS: dict[str, Adapter] = {
    a.name: a
    for a in (
        Adapter("oneapi", (("base", "dashboard/billing/subscription"), ("base", "dashboard/billing/usage")), _oneapi),
        Adapter("openrouter", (("origin", "api/v1/key"),), _openrouter),
        Adapter("litellm", (("origin", "key/info"),), _litellm),
        Adapter("newapi", (("origin", "api/usage/token/"),), _newapi),
        Adapter("deepseek", (("origin", "user/balance"),), _deepseek),
    )
}
AUTO_ORDER = ("oneapi", "openrouter", "litellm", "newapi", "deepseek")


def custom_adapter(url: str, field: str, unit: str) -> Adapter:
    """`billing: {url, field, unit}`: one GET, one dotted field (a balance left)."""

    def parse(bodies: list[Any]) -> Reading | None:
        node: Any = bodies[0]
        for part in field.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        value = _num(node)
        return None if value is None else Reading({field: Figure(value, "left")}, unit, False, _decimals_step(node))

    # Only a path on the relay itself: the key must never be sent to another host.
    return Adapter("custom", (("origin", url.lstrip("/")),), parse)


@dataclass(frozen=True)
class Delta:
    """How much the balance moved, by which figure."""

    amount: float
    figure: str


def moved(before: Reading, after: Reading) -> Delta | None:
    """The charge implied by the figure that moved the most in the spending direction (None if nothing moved)."""
    best: Delta | None = None
    for name, old in before.figures.items():
        new = after.figures.get(name)
        if new is None:
            continue
        change = new.value - old.value if old.kind == "spent" else old.value - new.value
        # Two finite figures near the float limit can still differ by inf: that is no charge anyone can judge.
        if change > 0 and math.isfinite(change) and (best is None or change > best.amount):
            best = Delta(change, name)
    return best


def adapters_for(choice: str | dict) -> list[Adapter]:
    """The adapters a `billing:` setting tries, in order."""
    if isinstance(choice, dict):
        return [custom_adapter(choice["url"], choice["field"], choice["unit"])]
    return [ADAPTERS[n] for n in AUTO_ORDER] if choice == "auto" else [ADAPTERS[choice]]
