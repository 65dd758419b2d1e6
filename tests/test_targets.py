"""targets.yaml and CLI flags: strict keys, no literal keys, keys only from the environment."""

from __future__ import annotations

import pytest

from relaycheck.core.exits import UsageError
from relaycheck.config.targets import DEFAULT_BASE_URL, load_targets, resolve_key, target_from_flags

GOOD = """
targets:
  - name: relay-a
    base_url: https://relay.example/v1
    api_key_env: RELAY_A_KEY
    models: [gpt-4o-mini, gpt-4o]
  - name: relay-b
    base_url: http://127.0.0.1:8080/v1
    api_key_env: RELAY_B_KEY
    models: gpt-4.1
    concurrency: 2
    timeout_s: 30
"""


def _write(tmp_path, text):
    path = tmp_path / "targets.yaml"
    path.write_text(text)
    return path


def test_a_valid_file_loads(tmp_path):
    a, b = load_targets(_write(tmp_path, GOOD))
    assert a.models == ("gpt-4o-mini", "gpt-4o") and a.concurrency == 4
    assert b.models == ("gpt-4.1",) and b.concurrency == 2 and b.timeout_s == 30.0


def test_the_sample_targets_file_loads():
    from pathlib import Path

    targets = load_targets(Path(__file__).resolve().parent.parent / "sample-targets.yaml")
    assert targets and all(t.api_key_env for t in targets)


@pytest.mark.parametrize(
    "text,message",
    [
        ("targets: [\n  - name: x\n", "malformed YAML at line"),
        ("hello: 1\n", "expected a mapping with a `targets:` list"),
        ("targets:\n  - {name: a, base_url: 'https://r/v1', api_key_env: K, models: [m], colour: red}\n", "unknown key(s) colour; valid keys: name, base_url, api_key_env, models, concurrency, timeout_s"),
        ("targets:\n  - {name: a, base_url: 'https://r/v1', api_key: x, models: [m]}\n", "api_key is not allowed"),
        ("targets:\n  - {name: a, base_url: 'https://r/v1', api_key_env: 'sk-abcdefghijklmnopqrstuv', models: [m]}\n", "looks like a literal API key"),
        ("targets:\n  - {name: a, base_url: 'https://r/v1', api_key_env: K, models: [m], concurrency: 'Zx9QwErTy7UiOp3AsDfGh1JkLzXcVbN8'}\n", "looks like a literal API key"),
        ("targets:\n  - {name: a, base_url: 'not a url', api_key_env: K, models: [m]}\n", "base URL must be an absolute"),
        ("targets:\n  - {name: a, base_url: 'https://u:p@r/v1', api_key_env: K, models: [m]}\n", "must not carry credentials"),
        ("targets:\n  - {name: a, base_url: 'https://r/v1', api_key_env: K, models: []}\n", "models must be a non-empty list"),
        ("targets:\n  - {name: a, base_url: 'https://r/v1', api_key_env: K}\n", "missing models"),
        ("targets:\n  - {name: a, base_url: 'https://r/v1', api_key_env: K, models: [m]}\n  - {name: a, base_url: 'https://r/v1', api_key_env: K, models: [m]}\n", "duplicate target name"),
    ],
)
def test_bad_files_give_one_clear_message(tmp_path, text, message):
    with pytest.raises(UsageError) as info:
        load_targets(_write(tmp_path, text))
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_unreadable_file(tmp_path):
    with pytest.raises(UsageError, match="cannot read"):
        load_targets(tmp_path / "missing.yaml")


def test_missing_and_empty_env_vars_are_usage_errors():
    target = target_from_flags("https://r/v1", ("m",), "MY_KEY", {})
    with pytest.raises(UsageError, match="MY_KEY .* is not set"):
        resolve_key(target, {})
    with pytest.raises(UsageError, match="is empty"):
        resolve_key(target, {"MY_KEY": "  "})
    assert resolve_key(target, {"MY_KEY": "sk-test-0000"}) == "sk-test-0000"
    with pytest.raises(UsageError, match="fewer than 8 characters"):
        resolve_key(target, {"MY_KEY": "sk-x"})


def test_flags_honour_openai_base_url_like_the_sdk():
    assert target_from_flags(None, ("m",), "OPENAI_API_KEY", {"OPENAI_BASE_URL": "https://relay.example/v1"}).base_url == "https://relay.example/v1"
    assert target_from_flags("https://flag.example/v1", ("m",), "OPENAI_API_KEY", {"OPENAI_BASE_URL": "https://env/v1"}).base_url == "https://flag.example/v1"
    assert target_from_flags(None, ("m",), "OPENAI_API_KEY", {}).base_url == DEFAULT_BASE_URL
    with pytest.raises(UsageError, match="--model is required"):
        target_from_flags("https://r/v1", (), "OPENAI_API_KEY", {})
    with pytest.raises(UsageError, match="invalid URL|absolute"):
        target_from_flags("ftp://r/v1", ("m",), "OPENAI_API_KEY", {})
