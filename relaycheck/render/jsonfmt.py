"""JSON renderer: the versioned, stable document later tools read."""

from __future__ import annotations

import json

from relaycheck.report import Report, to_dict


def render(report: Report, **_: object) -> str:
    """Pretty-printed JSON with a trailing newline."""
    return json.dumps(to_dict(report), indent=2, ensure_ascii=False) + "\n"
