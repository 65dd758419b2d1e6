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
    """The encodings in which a key can appear in recorded traffic."""
    raw = secret.encode("utf-8")
    forms = {
        secret,
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote_plus(secret),
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    }
    return {f for f in forms if f}


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

    def text(self, value: str) -> str:
        """Redact one string: known secrets, key-shaped tokens, and key-bearing query parameters."""
        value = _QUERY_SECRET.sub(lambda m: m.group(1) + "[redacted]", value)
        for form, label in self._replacements:
            if form in value:
                value = value.replace(form, label)
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
        for secret in self.secrets:
            if any(form in value for form in secret_forms(secret)):
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
                    changes[f.name] = tuple((self.text(k), self.header(k, v)) for k, v in value)
                else:
                    changes[f.name] = self.scrub(value)
            return dataclasses.replace(obj, **changes)
        if isinstance(obj, tuple):
            return tuple(self.scrub(v) for v in obj)
        if isinstance(obj, list):
            return [self.scrub(v) for v in obj]
        if isinstance(obj, dict):
            return {self.scrub(k): self.scrub(v) for k, v in obj.items()}
        return obj


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
