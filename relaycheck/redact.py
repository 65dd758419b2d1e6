"""The one redaction step: known secrets and credential-bearing fields are replaced before anything renders."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
import urllib.parse
from typing import Any, Iterable

from relaycheck.errors import SecretLeakError

SENSITIVE_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "x-api-key", "api-key", "x-goog-api-key", "cookie", "set-cookie"}
)
SENSITIVE_PARAMS = frozenset({"key", "api_key", "apikey", "api-key", "token", "access_token", "auth", "secret"})
# Anything shaped like a provider key, even one we were not told about (a relay echoing another user's key).
KEY_SHAPE = re.compile(r"\b(?:sk|rk|pk|ak)-[A-Za-z0-9_\-]{16,}|\bsk-ant-[A-Za-z0-9_\-]{16,}|\bAIza[0-9A-Za-z_\-]{30,}")
_ALREADY_REDACTED = re.compile(r"\[redacted(?: [^\]\s]{1,12} #[0-9a-f]{8})?\]")
_QUERY_SECRET = re.compile(r"([?&](?:%s)=)[^&#\s\"']+" % "|".join(re.escape(p) for p in SENSITIVE_PARAMS), re.I)


def key_id(secret: str) -> str:
    """A masked, stable identifier for a key: `sk-…6b5c #3f9a1c2e` (prefix, last four, hash prefix)."""
    digest = hashlib.sha256(secret.encode("utf-8")).hexdigest()[:8]
    prefix = ""
    head, sep, _ = secret.partition("-")
    if sep and 1 <= len(head) <= 4 and head.isalnum():
        prefix = head + "-"
    tail = secret[-4:] if len(secret) >= 20 else ""
    masked = f"{prefix}…{tail}" if (prefix or tail) else "…"
    return f"{masked} #{digest}"


def secret_forms(secret: str) -> set[str]:
    """The exact strings in which a key can appear in recorded traffic: raw, URL-encoded, base64 at any alignment."""
    raw = secret.encode("utf-8")
    forms = {
        secret,
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote_plus(secret),
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    }
    # Inside a longer base64 blob ("Bearer <key>" encoded, say) the key starts at any of three byte alignments;
    # for each, the characters that depend on the key's bytes alone are the same whatever surrounds them.
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        for offset in range(3):
            text = encode(b"\0" * offset + raw).decode()
            core = text[-(-offset * 4 // 3) : (offset + len(raw)) * 4 // 3]
            if len(core) >= 8:
                forms.add(core)
    return {f for f in forms if f}


def loose_pattern(secret: str) -> re.Pattern[str]:
    """Matches the key with any character written escaped: JSON \\uXXXX or \\/, %XX, HTML &#N; or &#xH;, in any mix."""
    parts = []
    for ch in secret:
        code = ord(ch)
        options = [re.escape(ch), "".join(f"%{b:02x}" for b in ch.encode("utf-8")), f"&#0*{code};", f"&#x0*{code:x};"]
        if code < 0x10000:
            options.append(f"\\\\u{code:04x}")
        else:  # a JSON escape of a character outside the BMP is a surrogate pair
            high, low = 0xD800 + ((code - 0x10000) >> 10), 0xDC00 + ((code - 0x10000) & 0x3FF)
            options.append(f"\\\\u{high:04x}\\\\u{low:04x}")
        if ch == "/":
            options.append("\\\\/")
        parts.append("(?:" + "|".join(options) + ")")
    return re.compile("".join(parts), re.IGNORECASE)


_ESCAPES = ("\\", "%", "&#")  # a text without any of these cannot hold an escaped form


class Redactor:
    """Replaces known secrets (in every form) and credential fields in strings and whole records."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self.secrets = tuple(sorted({s for s in secrets if s}, key=len, reverse=True))
        self._replacements: list[tuple[str, str]] = []
        for secret in self.secrets:
            label = f"[redacted {key_id(secret)}]"
            for form in sorted(secret_forms(secret), key=len, reverse=True):
                self._replacements.append((form, label))
        self._replacements.sort(key=lambda pair: len(pair[0]), reverse=True)
        self._loose = [(loose_pattern(secret), f"[redacted {key_id(secret)}]") for secret in self.secrets]

    def text(self, value: str) -> str:
        """Redact one string: known secrets, key-shaped tokens, and key-bearing query parameters."""
        value = _QUERY_SECRET.sub(lambda m: m.group(1) + "[redacted]", value)
        for form, label in self._replacements:
            if form in value:
                value = value.replace(form, label)
        if any(e in value for e in _ESCAPES):
            for pattern, label in self._loose:
                value = pattern.sub(label, value)
        return KEY_SHAPE.sub(lambda m: f"[redacted {key_id(m.group())}]", value)

    def header(self, name: str, value: str) -> str:
        """Redact a header value; credential headers are masked whatever they hold."""
        if name.lower() in SENSITIVE_HEADERS:
            redacted = self.text(value)
            if redacted != value:
                return redacted
            scheme, _, rest = value.partition(" ")
            if _ALREADY_REDACTED.fullmatch(rest or value):  # a saved report read back: keep its masked key id
                return value
            if rest and scheme.lower() in ("bearer", "basic", "token"):
                return f"{scheme} [redacted]"
            return "[redacted]"
        return self.text(value)

    def leaks(self, value: str) -> list[str]:
        """Key ids of known secrets that still occur in `value` (any form)."""
        found = []
        escaped = any(e in value for e in _ESCAPES)
        for secret, (pattern, _) in zip(self.secrets, self._loose):
            if any(form in value for form in secret_forms(secret)) or (escaped and pattern.search(value)):
                found.append(key_id(secret))
        return found

    def assert_clean(self, value: str, where: str) -> str:
        """The final scan: refuse an output that still contains a known secret."""
        found = self.leaks(value)
        if found:
            raise SecretLeakError(f"refused to write {where}: it contains a secret ({', '.join(found)})")
        return value

    def scrub(self, obj: Any) -> Any:
        """Recursively redact every string inside dataclasses, tuples, lists and dicts."""
        if isinstance(obj, str):
            return self.text(obj)
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            changes = {}
            for f in dataclasses.fields(obj):
                value = getattr(obj, f.name)
                if f.name in ("request_headers", "response_headers"):
                    scrubbed: Any = tuple((self.text(k), self.header(k, v)) for k, v in value)
                else:
                    scrubbed = self.scrub(value)
                if not _same(scrubbed, value):
                    changes[f.name] = scrubbed
            # Unchanged records are kept, not copied: a stream of 20,000 clean events must not exist twice.
            return dataclasses.replace(obj, **changes) if changes else obj
        if isinstance(obj, tuple):
            items = tuple(self.scrub(v) for v in obj)
            return obj if all(_same(a, b) for a, b in zip(items, obj)) else items
        if isinstance(obj, list):
            return [self.scrub(v) for v in obj]
        if isinstance(obj, dict):
            return {self.scrub(k): self.scrub(v) for k, v in obj.items()}
        return obj


def _same(new: Any, old: Any) -> bool:
    """True when scrubbing changed nothing (identity first; strings and headers by value)."""
    return new is old or (type(new) is type(old) and isinstance(new, (str, tuple)) and new == old)


_KNOWN: list[Redactor] = []


def register(redactor: Redactor) -> Redactor:
    """Remember a run's redactor so that last-resort error text can be redacted too."""
    _KNOWN.append(redactor)
    return redactor


def redact_known(text: str) -> str:
    """Redact text with every registered redactor (and key-shaped tokens when none is registered)."""
    for redactor in _KNOWN or [Redactor(())]:
        text = redactor.text(text)
    return text


class GuardedStream:
    """A text stream wrapper that refuses any write that would complete a known secret."""

    def __init__(self, inner: Any, redactor: Redactor, where: str) -> None:
        self._inner = inner
        self._redactor = redactor
        self._where = where
        self._tail = ""
        self._keep = max((len(f) for s in redactor.secrets for f in secret_forms(s)), default=0)

    def write(self, text: str) -> int:
        # Check across write boundaries: a secret split over two writes still matches.
        window = self._tail + text
        if self._redactor.leaks(window):
            raise SecretLeakError(f"refused to write to {self._where}: the output contains a secret")
        self._tail = window[-self._keep :] if self._keep else ""
        return self._inner.write(text)

    def flush(self) -> None:
        self._inner.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)
