"""The model catalogue as a terminal table or JSON (`relaycheck models`)."""

from __future__ import annotations

import dataclasses
import io
import json
from collections.abc import Iterable

from relaycheck.core.models import ListPrice, ModelFacts

FORMATS = ("terminal", "json")
_NONE = "—"  # a fact the catalogue does not know (or, for a cached price, that there is none)


def _int(value: int | None) -> str:
    return _NONE if value is None else f"{value:,}"


def _usd(value: float | None) -> str:
    if value is None:
        return _NONE
    whole, cents = f"{value:.4f}".rstrip("0").split(".")  # 2.50, 0.075, 0.005: at least cents, never rounded
    return f"{whole}.{cents:0<2}"


def _prices(price: ListPrice) -> tuple[str, str, str]:
    return _usd(price.input), _usd(price.cached_input), _usd(price.output)


def render_models(models: Iterable[ModelFacts], fmt: str = "terminal", color: bool = False, width: int = 120) -> str:
    """The catalogue as a table (one row per model, one per listed snapshot below it) or as a JSON list."""
    models = list(models)
    if fmt == "json":
        return json.dumps([dataclasses.asdict(m) for m in models], indent=2) + "\n"
    if fmt != "terminal":
        raise ValueError(f"unknown format {fmt!r}; valid formats: {', '.join(FORMATS)}")
    from rich.console import Console
    from rich.table import Table

    table = Table(title="model catalogue (prices: USD per 1M tokens, list price)", expand=False)
    for head, justify in (("model", "left"), ("vendor", "left"), ("tokenizer", "left"), ("context", "right"),
                          ("max output", "right"), ("reasoning", "left"), ("in", "right"), ("cached", "right"), ("out", "right")):
        table.add_column(head, justify=justify, no_wrap=True)
    for m in models:
        table.add_row(m.name, m.vendor, m.tokenizer or _NONE, _int(m.context_window), _int(m.max_output_tokens),
                      "yes" if m.reasoning else "no", *_prices(m.price))
        for s in m.snapshots:
            table.add_row(f"  {s.name}", "", "", _int(s.context_window), _int(s.max_output_tokens), "", *_prices(s.price), style="dim")
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=color, no_color=not color, width=width, highlight=False, soft_wrap=False, emoji=False)
    console.print(table)
    console.print(f"{len(models)} models; — is not known (a cached price: none or not known). "
                  "Each entry's source is in --format json.", markup=False)
    return buffer.getvalue()
