"""What a reply says, read once by its protocol: the facts checks judge, in no wire format's shape."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def safe_count(value: Any) -> int | None:
    """A usage count as a Reply holds it: a safe integer, or None for anything else a relay sends."""
    from relaycheck.wire.exchange import is_int

    return value if is_int(value) else None


@dataclass(frozen=True)
class ToolCall:
    """One tool call a reply makes: its id, the function's name and the arguments as sent (a JSON string)."""

    id: Any
    name: Any
    arguments: Any


@dataclass(frozen=True, slots=True)
class Chunk:
    """One data event of a stream, as its protocol reads it (slotted: a long stream has thousands)."""

    index: int  # the SSE event's index in the stream
    t_ms: float  # when it arrived, ms from the request start
    payload: Any  # the event's JSON (None when it is not JSON): kept for the checks of the event's own shape
    piece: str  # the first choice's new text ("" when none)
    carries_text: bool  # any choice's new text (a relay may stream a second choice)
    finish_reason: Any  # the first non-empty finish reason any choice carries, else None
    model: Any  # the model name the event states (None when it states none)
    usage: dict | None  # the usage object, when the event carries one
    error: Any  # an in-band error object, when the event carries one


@dataclass(frozen=True)
class ModelList:
    """A protocol's model list, read: the ids (None when unreadable), whether more pages follow, what breaks the
    SDK's reading of it (problems) and what it tolerates (deviations), and how a passing list is described."""

    ids: tuple[str, ...] | None
    more: bool = False
    problems: tuple[str, ...] = ()
    deviations: tuple[str, ...] = ()
    shape: str = "a model list"


@dataclass(frozen=True)
class Reply:
    """Every fact checks read from one reply (non-stream or stream), extracted once.

    `usage` is the protocol's own usage object (checks read its fields through the protocol's `usage_*` names);
    for a stream it is the last usage a chunk carried, and `finish_reason` the last non-empty one.
    """

    protocol: str
    streamed: bool
    shaped: bool  # the body (or some chunk) has the protocol's reply shape
    text: str | None  # the first choice's text; a stream's pieces joined ("" when none came)
    pieces: tuple[str, ...]  # a stream's non-empty text pieces, in arrival order (() for a body)
    models: tuple[Any, ...]  # every model name the reply states (the body's; each chunk's in a stream)
    finish_reason: Any
    usage: dict | None
    tool_calls: tuple[ToolCall, ...]
    message: dict | None  # the first choice's message object of a body (refusal, reasoning text, tool calls)
    choices: tuple[Any, ...]  # the body's choices as sent (n > 1, logprobs): () for a stream
    error: Any  # the body's error member, when it has one
    # The usage object's counts, read by the protocol's field names: safe integers or None (reasoning: 0 when none).
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None
    reasoning_tokens: int = 0
    cached_tokens: int | None = None
    cache_written_tokens: int | None = None  # of the prompt, written to the cache (Anthropic's cache_creation_input_tokens)
    reasoning_shown: bool = False  # the reply carries its reasoning as text (reasoning_content, thinking)

    @property
    def model(self) -> Any:
        """The model the reply states first (None when it states none)."""
        return self.models[0] if self.models else None

    @property
    def streamed_text(self) -> str:
        """A stream's text pieces joined ("" for a body, whose text is `text`)."""
        return "".join(self.pieces)
