"""Prompts and request bodies the probes send, and the token ceilings they imply."""

from __future__ import annotations

import re
import secrets
import string

from relaycheck import tokens

NONCE_PREFIX = "relaycheck-nonce-"
NONCE_PATTERN = re.compile(re.escape(NONCE_PREFIX) + r"[A-Z0-9]{10}", re.I)
CHAT_MAX_TOKENS = 24
CHAT_REASONING_BUDGET = 512  # reasoning models spend hidden tokens before the visible reply
STREAM_COUNT_TO = 40  # "1\n2\n...40" is 79 tokens in o200k and cl100k: enough to judge streaming
STREAM_MAX_TOKENS = 160
STREAM_REASONING_BUDGET = 1024


def new_nonce() -> str:
    """A fresh random nonce the model must repeat."""
    alphabet = string.ascii_uppercase + string.digits
    return NONCE_PREFIX + "".join(secrets.choice(alphabet) for _ in range(10))


def nonce_prompt(nonce: str) -> str:
    """The instruction chat.follows verifies."""
    return f"Reply with exactly this text and nothing else: {nonce}"


def count_prompt(high: int = STREAM_COUNT_TO) -> str:
    """The instruction for a long, verifiable streamed reply."""
    return f"Write the integers from 1 to {high} in ascending order, one per line, with nothing else."


def limit_params(model: str, visible: int, reasoning_budget: int) -> dict:
    """max_tokens for chat models; max_completion_tokens (with room for reasoning) for reasoning models."""
    if tokens.is_reasoning_model(model):
        return {"max_completion_tokens": reasoning_budget}
    return {"max_tokens": visible, "temperature": 0}


def chat_body(model: str, prompt: str, visible: int, reasoning_budget: int, stream: bool = False) -> dict:
    """A chat completion request body with a single user message."""
    body: dict = {"model": model, "messages": [{"role": "user", "content": prompt}]}
    body.update(limit_params(model, visible, reasoning_budget))
    if stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    return body


def prompt_ceiling(model: str, prompt: str) -> int:
    """An upper bound on prompt tokens: the exact chat count when the tokenizer is known, else bytes."""
    encoding = tokens.encoding_for(model)
    if encoding == tokens.UNKNOWN:
        return len(prompt.encode("utf-8")) + 16  # no tokenizer spends more than one token per byte plus framing
    return tokens.count_chat_prompt([{"role": "user", "content": prompt}], encoding)


def completion_ceiling(model: str, visible: int, reasoning_budget: int) -> int:
    """The most completion tokens a request may be billed for."""
    return reasoning_budget if tokens.is_reasoning_model(model) else visible
