"""Prompts and request bodies the probes send, and the token ceilings they imply."""

from __future__ import annotations

import re
import secrets
import string

from relaycheck.text import tokens

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


def prompt_ceiling(model: str, prompt: str) -> int:
    """An upper bound on prompt tokens: the exact chat count when the tokenizer is known, else bytes."""
    # Nonces are random: count each at one token per character, so the ceiling does not depend on the draw.
    prompt, nonces = NONCE_PATTERN.subn("", prompt)
    slack = nonces * len(NONCE_PREFIX + "0" * 10)
    return slack + _prompt_ceiling(model, prompt)


def _prompt_ceiling(model: str, prompt: str) -> int:
    encoding = tokens.encoding_for(model)
    if encoding == tokens.UNKNOWN:
        return len(prompt.encode("utf-8")) + 16  # no tokenizer spends more than one token per byte plus framing
    return tokens.count_chat_prompt([{"role": "user", "content": prompt}], encoding)


def completion_ceiling(model: str, visible: int, reasoning_budget: int) -> int:
    """The most completion tokens a request may be billed for."""
    if tokens.thinks_always(model):  # its output limit is raised above its least thinking (protocol.gemini)
        return max(visible, reasoning_budget) + tokens.THINKING_FLOOR
    return reasoning_budget if tokens.is_reasoning_model(model) else visible


# --- authenticity and usage probes -------------------------------------------------------------------------

# Counted very differently by o200k_base and cl100k_base (and by a bytes/4 or chars/4 estimate): Hindi, Korean
# and Russian are where o200k's larger vocabulary shows. tests/test_authenticity.py pins the separation.
TOKENIZER_PROBE_TEXT = (
    "नमस्ते दुनिया यह एक परीक्षण वाक्य है। "
    "안녕하세요 토크나이저 테스트 문장입니다 감사합니다. "
    "Проверка токенизатора: съешь же ещё этих мягких французских булок."
)
# Counted identically by o200k_base and cl100k_base, so a tokenizer swap cannot bend the prompt-length slope.
FILLER_SENTENCE = "The quick brown fox jumps over the lazy dog near the river bank. "
FILLER_SENTENCES_PER_UNIT = 3
SLOPE_UNITS = (1, 2, 4)
LONG_REPLY_TOKENS = 1500  # default; the numbered lines 1..N take about two tokens each


def short_prompt(nonce: str, extra: str = "") -> str:
    """A prompt answered with one token, carrying a nonce (no cache can answer it) and optional extra text."""
    text = f"Reply with OK. Reference: {nonce}."
    return f"{text}\n{extra}" if extra else text


def filler(units: int) -> str:
    """`units` blocks of filler text for the prompt-length slope."""
    return FILLER_SENTENCE * (FILLER_SENTENCES_PER_UNIT * units)


def long_lines(reply_tokens: int) -> int:
    """How many numbered lines make a reply of about `reply_tokens` tokens."""
    return max(10, reply_tokens // 2)


def long_prompt(nonce: str, lines: int) -> str:
    """The instruction for a long, verifiable reply: the integers 1..lines, one per line."""
    return f"{count_prompt(lines)} Reference: {nonce}."


def long_max_tokens(reply_tokens: int) -> int:
    """Room above the expected length, so an honest reply ends with stop, not length."""
    return int(reply_tokens * 1.1) + 20
