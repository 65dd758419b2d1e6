"""One-line excerpts of relay text for summaries and reports: known keys are redacted before the cut."""

from __future__ import annotations

from relaycheck.redaction.redact import redact_known


def excerpt(text: str, limit: int = 160) -> str:
    """One line of at most `limit` characters (the run's known keys redacted before the cut)."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    # Cutting first would leave a fragment of a key that no longer matches it: redact, then cut.
    flat = redact_known(flat)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
