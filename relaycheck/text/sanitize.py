"""Relay-controlled text made safe to write: lone surrogates replaced before sealing, control characters made visible when rendered."""

from __future__ import annotations

import re
from typing import Any

from relaycheck.text.walk import rebuild

REPLACEMENT = "\ufffd"
_SURROGATE = re.compile("[\ud800-\udfff]")
# What must never reach a terminal, a ticket or an XML parser raw: C0 controls (newline and tab are kept where a
# renderer allows them), DEL, C1 controls (U+009B is a one-character CSI), the bidi embeddings, overrides and
# isolates that make text read in another order than it is stored, line and paragraph separators, the two
# noncharacters and lone surrogates that XML 1.0 forbids.
_UNSAFE = "\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufffe\uffff\ud800-\udfff"
_UNSAFE_KEEPING_LINES = re.compile(f"[{_UNSAFE}]")
_UNSAFE_IN_A_LINE = re.compile(f"[\n\t{_UNSAFE}]")
_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}
# In JSON these can only occur inside strings, where \uXXXX means the same character: escaping them keeps the
# document identical for every parser while `cat report.json` can no longer be steered by them.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def encodable(text: str) -> str:
    """`text` with each lone surrogate (which UTF-8 cannot encode) replaced by U+FFFD; paired ones are joined."""
    if not _SURROGATE.search(text):
        return text
    # Through UTF-16 with surrogatepass: a high+low pair becomes its character, a lone half becomes U+FFFD.
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def clean(obj: Any) -> Any:
    """Replace lone surrogates in every string inside dataclasses, tuples, lists and dicts (unchanged records are kept)."""
    return rebuild(obj, encodable)


def _shown(match: re.Match[str]) -> str:
    ch = match.group()
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str, lines: bool = True) -> str:
    """`text` with every control, bidi and XML-forbidden character written as an escape (ESC -> "\\x1b").

    With `lines`, newline and tab stay as they are (multi-line evidence); without, they are shown too (one line).
    """
    pattern = _UNSAFE_KEEPING_LINES if lines else _UNSAFE_IN_A_LINE
    return pattern.sub(_shown, text) if pattern.search(text) else text


def json_safe(piece: str) -> str:
    """A piece of a JSON document with DEL, C1 and bidi characters written as \\uXXXX escapes (same JSON value)."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", piece) if _JSON_UNSAFE.search(piece) else piece
