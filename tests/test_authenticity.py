"""models.tokenizer, usage.prompt, usage.completion, long.*: the probes separate what they claim to, offline."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

import pytest

from relaycheck.text import tokens
from relaycheck.checks.long import judge_lines
from relaycheck.checks.models import TOKENIZER_TOLERANCE, tokenizer_candidates
from relaycheck.probes import prompts, slope, tokenizer
from test_checks_unit import TARGET, ex, verdict


def _candidates():
    base, probe = tokenizer.bodies("gpt-4o", prompts.new_nonce())
    return tokenizer_candidates(base["messages"], probe["messages"])


def test_the_probe_text_separates_every_candidate_by_far_more_than_the_tolerance():
    values = sorted(_candidates().values())
    gaps = [b - a for a, b in zip(values, values[1:])]
    # Two tolerances plus a margin: a reported delta can match at most one candidate.
    assert min(gaps) > 2 * TOKENIZER_TOLERANCE + 4, _candidates()


def test_o200k_and_cl100k_differ_by_a_large_factor_on_the_probe_text():
    c = _candidates()
    assert c["cl100k_base"] >= 2 * c["o200k_base"]


def test_the_slope_filler_and_long_reply_count_the_same_in_both_encodings():
    # So a tokenizer swap shows up in models.tokenizer only, never as a false slope or completion failure.
    for units in prompts.SLOPE_UNITS:
        text = prompts.filler(units)
        assert tokens.count_text(text, "o200k_base") == tokens.count_text(text, "cl100k_base")
    lines = "\n".join(str(i) for i in range(1, prompts.long_lines(prompts.LONG_REPLY_TOKENS) + 1))
    assert tokens.count_text(lines, "o200k_base") == tokens.count_text(lines, "cl100k_base")
    assert abs(tokens.count_text(lines, "o200k_base") - prompts.LONG_REPLY_TOKENS) < 20


def test_the_fingerprint_runs_with_networking_disabled_and_no_tiktoken_cache(tmp_path):
    code = (
        "import socket\n"
        "def refuse(*a, **k): raise OSError('network used')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "from relaycheck.probes import prompts, tokenizer\n"
        "from relaycheck.checks.models import tokenizer_candidates\n"
        "base, probe = tokenizer.bodies('gpt-4o', prompts.new_nonce())\n"
        "c = tokenizer_candidates(base['messages'], probe['messages'])\n"
        "print(int(c['o200k_base']), int(c['cl100k_base']))\n"
    )
    env = {"TIKTOKEN_CACHE_DIR": str(tmp_path / "empty"), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    o200k, cl100k = map(int, result.stdout.split())
    assert (o200k, cl100k) == (int(_candidates()["o200k_base"]), int(_candidates()["cl100k_base"]))


def usage_reply(xid, label, body, prompt_tokens, completion_tokens=1, probe="tokenizer", text="OK"):
    reply = {"id": "c", "object": "chat.completion", "created": 1, "model": "gpt-4o",
             "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
             "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens, "total_tokens": prompt_tokens + completion_tokens}}
    return ex(xid, probe=probe, model="gpt-4o", label=label, body=reply, request=body)


@pytest.mark.parametrize("counted_as,status", [("o200k_base", "pass"), ("cl100k_base", "fail"), ("bytes/4 estimate", "fail")])
def test_tokenizer_verdicts(counted_as, status):
    base, probe = tokenizer.bodies("gpt-4o", prompts.new_nonce())
    delta = round(tokenizer_candidates(base["messages"], probe["messages"])[counted_as])
    pair = (usage_reply("x1", "base", base, 30), usage_reply("x2", "with probe text", probe, 30 + delta))
    result = verdict("models.tokenizer", *pair, model="gpt-4o")
    assert result.status == status
    if status == "fail":
        assert f"counts like {counted_as}" in result.summary


def test_tokenizer_no_match_is_inconclusive_and_claude_is_skipped():
    base, probe = tokenizer.bodies("gpt-4o", prompts.new_nonce())
    pair = (usage_reply("x1", "base", base, 30), usage_reply("x2", "with probe text", probe, 30 + 60))
    assert verdict("models.tokenizer", *pair, model="gpt-4o").status == "inconclusive"
    assert verdict("models.tokenizer", model="claude-sonnet-4-5").status == "skip"


def _slope_points(extra=0, factor=1.0):
    nonce = prompts.new_nonce()
    out = []
    for i, units in enumerate(prompts.SLOPE_UNITS):
        body = slope.body("gpt-4o", units, nonce)
        counted = tokens.count_chat_prompt(body["messages"], "o200k_base")
        out.append(usage_reply(f"x{i}", f"units {units}", body, round(counted * factor) + extra, probe="slope"))
    return out


def test_prompt_slope_verdicts():
    assert verdict("usage.prompt", *_slope_points(), model="gpt-4o").status == "pass"
    hidden = verdict("usage.prompt", *_slope_points(extra=300), model="gpt-4o")
    assert hidden.status == "fail" and hidden.metrics["hidden_tokens"] == pytest.approx(300, abs=1)
    assert verdict("usage.prompt", *_slope_points(extra=10), model="gpt-4o").status == "warn"
    assert verdict("usage.prompt", *_slope_points(factor=1.3), model="gpt-4o").status == "fail"


def test_completion_recount_verdicts_and_reasoning_tolerance():
    text = "\n".join(str(i) for i in range(1, 101))
    honest = tokens.count_text(text, "o200k_base")
    ok = usage_reply("x1", "long", None, 20, honest, probe="long", text=text)
    assert verdict("usage.completion", ok, model="gpt-4o").status == "pass"
    inflated = usage_reply("x1", "long", None, 20, round(honest * 1.5), probe="long", text=text)
    failed = verdict("usage.completion", inflated, model="gpt-4o")
    assert failed.status == "fail" and "1.50x" in failed.summary
    reasoning = json.loads(inflated.body)
    reasoning["usage"]["completion_tokens_details"] = {"reasoning_tokens": round(honest * 1.5) - honest}
    assert verdict("usage.completion", replace(inflated, body=json.dumps(reasoning)), model="gpt-4o").status == "pass"


@pytest.mark.parametrize(
    "text,kind,good",
    [
        ("1\n2\n3\n4", "complete", 4),
        ("1\n2\n3", "prefix", 3),
        ("1\n2\n3\n", "prefix", 3),
        ("1\n2\n3\n4"[:-1] + "\n", "prefix", 3),
        ("1\n2\n...\n4", "other", 2),
        ("Here are the numbers:\n1\n2", "other", 0),
    ],
)
def test_judging_numbered_lines(text, kind, good):
    assert judge_lines(text, 4) == (kind, good)


def test_a_reply_cut_mid_number_is_still_a_clean_prefix():
    assert judge_lines("\n".join(str(i) for i in range(1, 12)) + "\n1", 20) == ("prefix", 11)


def test_long_stall_threshold_is_per_target():
    frames = [b'data: {"choices":[{"index":0,"delta":{"content":"1"}}]}\n\n'] * 3
    stream = ex("x1", probe="long", label="long stream", sse=frames)  # the helper spaces events 10 ms apart
    assert verdict("long.no_stall", stream, target=replace(TARGET, stall_threshold_s=5)).status == "pass"
    assert verdict("long.no_stall", stream, target=replace(TARGET, stall_threshold_s=0.005)).status == "fail"
