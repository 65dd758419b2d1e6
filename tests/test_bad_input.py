"""Malformed and hostile input through the real CLI: exit 2, one clear line naming the problem, nothing sent."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import make_canary

GOOD = "{name: a, base_url: 'http://127.0.0.1:9/v1', api_key_env: RELAY_KEY, models: [gpt-4o-mini]}"
BOMB = ('a: &a ["x","x","x","x","x","x","x","x","x"]\n'
        + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(8))
        + "targets: [*i]\n")

FILES = {
    "alias_bomb": (BOMB, "expands to more than 100000 values through aliases"),
    "huge_file": ("targets:\n" + "#" * (10 * 1024 * 1024) + "\n", "too large for a targets file"),
    "malformed": ("targets: [\n  - name: x\n", "malformed YAML at line"),
    "wrong_type_models": (f"targets:\n  - {GOOD[:-1].replace('models: [gpt-4o-mini]', 'models: 5')}}}\n", "models must be a non-empty list"),
    "wrong_type_concurrency": (f"targets:\n  - {GOOD[:-1]}, concurrency: many}}\n", "concurrency must be an integer"),
    "unknown_key": (f"targets:\n  - {GOOD[:-1]}, colour: red}}\n", "unknown key(s) colour"),
    "duplicate_names": (f"targets:\n  - {GOOD}\n  - {GOOD}\n", "duplicate target name(s) a"),
    "credentials": (f"targets:\n  - {GOOD.replace('http://127.0.0.1', 'http://user:pw@127.0.0.1')}\n", "must not carry credentials"),
    "fragment": (f"targets:\n  - {GOOD.replace('/v1', '/v1#top')}\n", "must not have a #fragment"),
    "scheme": (f"targets:\n  - {GOOD.replace('http://', 'ftp://')}\n", "must be an absolute http:// or https:// URL"),
    "context_depths": (f"targets:\n  - {GOOD[:-1]}, context_depths: [8000, 2000]}}\n", "context_depths must be a list of 1 to 5 increasing"),
    "protocol": (f"targets:\n  - {GOOD[:-1]}, protocol: soap}}\n", "protocol must be one of openai, anthropic, responses, gemini, not 'soap'"),
}


def _cli(args, env, cwd):
    return subprocess.run([sys.executable, "-m", "relaycheck", *args], capture_output=True, text=True, timeout=60, env=env, cwd=cwd)


def _one_line(result, words: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and "Traceback" not in result.stderr, result.stderr
    assert result.stdout == ""  # nothing was probed, nothing reported


@pytest.mark.parametrize("case", sorted(FILES))
def test_a_bad_targets_file_is_one_line_and_exit_2(tmp_path, case):
    text, words = FILES[case]
    path = tmp_path / "targets.yaml"
    path.write_text(text)
    _one_line(_cli(["probe", "-t", str(path)], {"PATH": "/usr/bin:/bin", "RELAY_KEY": make_canary()}, tmp_path), words)


@pytest.mark.parametrize(
    "env, words",
    [({}, "RELAY_KEY (api_key_env of target 'a') is not set"), ({"RELAY_KEY": "   "}, "is empty"),
     ({"RELAY_KEY": "sk-ключ-with-non-ascii-000"}, "which an HTTP header cannot carry")],
)
def test_missing_empty_or_unsendable_keys_are_one_line(tmp_path, env, words):
    path = tmp_path / "targets.yaml"
    path.write_text(f"targets:\n  - {GOOD}\n")
    result = _cli(["probe", "-t", str(path)], {"PATH": "/usr/bin:/bin", **env}, tmp_path)
    _one_line(result, words)
    for value in env.values():
        if value.strip():
            assert value not in result.stderr


@pytest.mark.parametrize("where, words", [("file/report.json", "is not a directory"), ("folder", "it is a directory")])
def test_an_unwritable_output_is_refused_before_probing(tmp_path, where, words):
    (tmp_path / "file").write_text("x")
    (tmp_path / "folder").mkdir()
    env = {"PATH": "/usr/bin:/bin", "RELAY_KEY": make_canary()}
    # Port 9 on loopback: were anything sent, the run would report connection errors instead of exiting 2.
    result = _cli(["probe", "--base-url", "http://127.0.0.1:9/v1", "--model", "m", "--api-key-env", "RELAY_KEY",
                   "--output", str(tmp_path / where)], env, tmp_path)
    _one_line(result, words)


def test_an_unknown_protocol_flag_is_one_line(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "RELAY_KEY": make_canary()}
    result = _cli(["probe", "--base-url", "http://127.0.0.1:9/v1", "--model", "m", "--api-key-env", "RELAY_KEY", "--protocol", "grpc"], env, tmp_path)
    _one_line(result, "--protocol must be one of openai, anthropic, responses, gemini, not 'grpc'")


def test_the_cli_never_takes_a_key_in_argv(tmp_path, canary):
    # There is no --api-key: a key typed on the command line is refused, and not repeated back.
    result = _cli(["probe", "--demo", "--api-key", canary], {"PATH": "/usr/bin:/bin"}, tmp_path)
    assert result.returncode == 2 and canary not in result.stderr + result.stdout
    help_text = _cli(["probe", "--help"], {"PATH": "/usr/bin:/bin"}, tmp_path).stdout
    assert "--api-key-env" in help_text and "--api-key " not in help_text
