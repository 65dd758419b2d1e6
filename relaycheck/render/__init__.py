"""Renderers: each takes only a Report and returns text."""

from __future__ import annotations

from typing import Callable

from relaycheck.report.model import Report

FORMATS = ("terminal", "json", "md", "junit", "html")


def renderer(fmt: str) -> Callable[..., str]:
    """The render function for a format name (imported lazily: rich is only loaded for the terminal)."""
    if fmt == "json":
        from relaycheck.render.jsonfmt import render
    elif fmt == "md":
        from relaycheck.render.markdown import render
    elif fmt == "junit":
        from relaycheck.render.junit import render
    elif fmt == "html":
        from relaycheck.render.html import render
    elif fmt == "terminal":
        from relaycheck.render.terminal import render
    else:
        raise ValueError(f"unknown format {fmt!r}")
    return render


def render(report: Report, fmt: str, **options: object) -> str:
    """Render `report` in `fmt`."""
    return renderer(fmt)(report, **options)
