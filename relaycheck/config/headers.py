"""A target's extra request headers (`headers:`, `--header`, `--header-env`) and where its key goes (`auth:`).

Gateways want more than a key: Portkey its `x-portkey-*` headers, OpenRouter `HTTP-Referer` and `X-Title`, Azure
the key in `api-key`. A header's value is written literally (refused when it looks like a secret, as anything in a
targets file is) or named by an environment variable, whose value is then a secret like the key: redacted in every
output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

from relaycheck.core.exits import UsageError
from relaycheck.protocol.auth import Auth

# RFC 9110's token characters: what a header name may be made of.
_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$")
_ENV = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_HEADERS = 16
MAX_VALUE = 1024
# Headers relaycheck sets itself: the key's placements (a header must not displace the key, nor carry a second
# one past the redaction of the first) and the framing of the request.
RESERVED = {"authorization", "x-api-key", "api-key", "x-goog-api-key", "host", "content-length", "content-type",
            "transfer-encoding", "connection", "cookie"}
# `auth:` values: where the key goes when the gateway does not take the OpenAI SDK's Bearer token.
AUTH_STYLES = {"bearer": Auth.BEARER, "api-key": Auth.API_KEY, "x-api-key": Auth.X_API_KEY, "query": Auth.QUERY}


@dataclass(frozen=True)
class Header:
    """One extra header: a literal value, or the name of the environment variable holding it (a secret)."""

    name: str
    value: str | None = None
    env: str | None = None


def _printable(value: str) -> bool:
    return all(" " <= ch < "\x7f" for ch in value)


def header(name: Any, value: Any, where: str) -> Header:
    """One header from a name and either a literal string or {env: VAR}; every problem one UsageError."""
    from relaycheck.config.targets import looks_like_key

    if not isinstance(name, str) or not _NAME.match(name):
        raise UsageError(f"{where}: {name!r} is not a header name (letters, digits and -_. only)")
    if name.lower() in RESERVED:
        raise UsageError(f"{where}: {name} is set by relaycheck itself (the key goes where auth: says); it cannot be an extra header")
    if isinstance(value, dict):
        env = value.get("env")
        if set(value) != {"env"} or not isinstance(env, str) or not _ENV.match(env):
            raise UsageError(f"{where}.{name}: expected a string or {{env: VARIABLE_NAME}}")
        return Header(name, env=env)
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_VALUE or not _printable(value):
        raise UsageError(f"{where}.{name}: expected a non-empty printable string of at most {MAX_VALUE} characters, or {{env: VARIABLE_NAME}}")
    if looks_like_key(value):
        raise UsageError(f"{where}.{name}: the value looks like a secret; put it in an environment variable and write {{env: VARIABLE_NAME}}")
    return Header(name, value=value)


def parse_headers(raw: Any, where: str) -> tuple[Header, ...]:
    """`headers: {X-Title: relaycheck, x-portkey-api-key: {env: PORTKEY_API_KEY}}`."""
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise UsageError(f"{where}: expected a mapping of header names to values, like {{X-Title: my-app}}")
    if len(raw) > MAX_HEADERS:
        raise UsageError(f"{where}: at most {MAX_HEADERS} extra headers")
    out = tuple(header(name, value, where) for name, value in raw.items())
    names = [h.name.lower() for h in out]
    if len(set(names)) != len(names):
        raise UsageError(f"{where}: a header is named twice (header names are case-insensitive)")
    return out


def from_flags(literal: tuple[str, ...], from_env: tuple[str, ...]) -> tuple[Header, ...]:
    """`--header 'NAME: VALUE'` (literal) and `--header-env NAME=VARIABLE` (a secret from the environment)."""
    raw: dict[str, Any] = {}
    for item in literal:
        name, sep, value = item.partition(":")
        if not sep:
            raise UsageError(f"--header {item!r}: expected NAME: VALUE")
        raw[name.strip()] = value.strip()
    for item in from_env:
        name, sep, env = item.partition("=")
        if not sep:
            raise UsageError(f"--header-env {item!r}: expected NAME=VARIABLE")
        raw[name.strip()] = {"env": env.strip()}
    return parse_headers(raw, "--header") if raw else ()


def parse_auth(raw: Any, where: str) -> str | None:
    """`auth: bearer | api-key | x-api-key | query` (None: the protocol's own placement)."""
    if raw is None:
        return None
    if raw not in AUTH_STYLES:
        raise UsageError(f"{where}: expected one of {', '.join(AUTH_STYLES)}")
    return str(raw)


def resolve(headers: tuple[Header, ...], env: Mapping[str, str], read_env: Any) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """The headers to send as (name, value) and the values that are secrets (those read from the environment)."""
    sent, secrets = [], []
    for h in headers:
        if h.env is None:
            sent.append((h.name, h.value or ""))
            continue
        value = read_env(h.env, f"header {h.name}").strip()
        sent.append((h.name, value))
        secrets.append(value)
    return tuple(sent), tuple(secrets)
