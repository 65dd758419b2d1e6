"""Wire formats: the one place that knows how a protocol's requests are built and its replies read.

A protocol module builds a request (where the key goes, the path, the body) and reads a reply into a `Reply`
(text, model, usage, finish reason, tool calls, stream chunks). Checks judge Replies, never a wire format, so a
check family runs over every protocol registered here. Today: Chat Completions (`chat`), Anthropic Messages
(`anthropic`) and OpenAI Responses (`responses`); a check says which protocols it judges (relaycheck.checks.check).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator

from relaycheck.protocol.reply import Chunk, Reply, ToolCall  # noqa: F401  (the types checks read)

if TYPE_CHECKING:
    from relaycheck.wire.exchange import Exchange


# What a target's `protocol:` names, and the adapter that speaks it.
TARGET_PROTOCOLS = {"openai": "chat", "anthropic": "anthropic", "responses": "responses", "gemini": "gemini"}
# How a report names each target protocol beside its id.
TITLES = {"openai": "Chat Completions", "anthropic": "Anthropic Messages", "responses": "OpenAI Responses", "gemini": "Gemini"}
# The target protocols whose adapters carry the core families (base, echo, chat, stream, long, errors, integrity):
# a probe or check that names NATIVE runs over each of them.
NATIVE = ("openai", "anthropic", "responses", "gemini")


def protocols() -> dict[str, Any]:
    """Every protocol relaycheck speaks, by adapter name."""
    from relaycheck.protocol.anthropic import MESSAGES
    from relaycheck.protocol.chat import CHAT
    from relaycheck.protocol.gemini import GEMINI
    from relaycheck.protocol.responses import RESPONSES

    return {CHAT.name: CHAT, MESSAGES.name: MESSAGES, RESPONSES.name: RESPONSES, GEMINI.name: GEMINI}


def for_target(target: Any) -> Any:
    """The adapter of a target's protocol (`openai` unless it names another)."""
    return protocols()[TARGET_PROTOCOLS[getattr(target, "protocol", "openai")]]


def is_api_root(exchange: "Exchange") -> bool:
    """Answered as an OpenAI API would: JSON (even a JSON auth error), not HTML, 404 or a redirect."""
    if exchange.error or exchange.status is None:
        return False
    if 300 <= exchange.status < 400 or exchange.status == 404:
        return False
    if exchange.content_type == "text/html":
        return False
    return isinstance(exchange.json, (dict, list))


def protocol_of(exchange: "Exchange") -> Any:
    """The protocol an exchange was sent in, told by its path (Chat Completions for anything else)."""
    return protocol_for_url(exchange.url)


def protocol_for_url(url: str) -> Any:
    """The protocol whose completion path `url` is, else Chat Completions (the budget prices a request by it)."""
    return completion_protocol(url) or protocols()["chat"]


def completion_protocol(url: str) -> Any:
    """The protocol whose completion path `url` is (…/chat/completions, …/v1/messages, …:generateContent), or
    None for any other path (model lists, token counters, balances)."""
    path = url.split("?", 1)[0]
    return next((proto for proto in protocols().values() if proto.speaks(path)), None)


def read(exchange: "Exchange") -> Reply:
    """The reply an exchange carries, read by its protocol (use `exchange.reply`: it is read once and kept)."""
    return protocol_of(exchange).read(exchange)


def chunks(exchange: "Exchange") -> Iterator[Chunk]:
    """A stream's data events one at a time, as its protocol reads them (nothing is held parsed)."""
    return protocol_of(exchange).chunks(exchange)
