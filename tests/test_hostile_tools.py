"""Tool calls no model makes reach a verdict in every integrity check, never a crash (tests/hostile_tools.py).

Over Chat Completions the sweep (tests/test_hostile_sweep.py) runs each mode once and judges it with `expect` too;
over the native protocols, the tests below run each mode themselves."""

from __future__ import annotations

import pytest

from conftest import run_probe
from hostile_tools import CHECKS, MODES, ToolsRelay
from relaycheck.run.runner import CHECK_CRASHED


def expect(run) -> None:
    """Every integrity check reaches a verdict on one mode of tests/hostile_tools.py, judged on the sweep's run of it
    (tests/test_hostile_sweep.py, with the integrity checks selected)."""
    mode = run.mode
    found = {c["id"]: (c["status"], c["summary"]) for c in run.report["targets"][0]["checks"]}
    assert set(found) == set(CHECKS), run.stderr[-2000:]
    for check_id, (status, summary) in found.items():
        assert CHECK_CRASHED not in summary, (check_id, summary)
    if mode == "messages_garbage":
        return  # Messages shapes on the Chat Completions path: read as no reply at all (the sweep holds the common bar)
    # Garbage in place of the asked arguments is never a pass (it fails when it plants something or answers a
    # request for text with a call of a tool never offered, else it is inconclusive).
    assert found["integrity.tool_args"][0] in ("fail", "inconclusive")
    assert found["integrity.content"][0] == "inconclusive" and found["integrity.request"][0] == "inconclusive"


# Hostile answers read by the native adapters (Anthropic Messages, OpenAI Responses, Gemini): broken JSON, endless
# and malformed streams, tool garbage. Not tool_garbage_calls: its 5,000 calls are a Chat Completions reply, which
# no native reader takes for one of its own (as any other foreign JSON); they cost five seconds of CPU per protocol
# to say so. Their size is held to the bar over Chat Completions, which reads them (the sweep's run).
NATIVE_MODES = [("hostile_server", m) for m in ("invalid_json", "truncated_json", "sse_invalid_utf8", "sse_huge_line")] + \
    [("hostile_tools", m) for m in MODES if m != "tool_garbage_calls"]
NATIVE = {"anthropic": ("claude-sonnet-4-5", lambda base: base.removesuffix("/v1")), "responses": ("gpt-4o-mini", lambda base: base),
          "gemini": ("gemini-2.5-flash", lambda base: base.removesuffix("/v1"))}


@pytest.mark.parametrize("protocol", sorted(NATIVE))
@pytest.mark.parametrize("module, mode", NATIVE_MODES, ids=lambda v: v)
def test_the_native_readers_reach_a_verdict_on_hostile_answers(module, mode, protocol, tmp_path):
    import hostile_server

    model, base_of = NATIVE[protocol]
    relay = ToolsRelay(mode) if module == "hostile_tools" else hostile_server.HostileRelay(mode)
    with relay.running() as base_url:
        run = run_probe(tmp_path, env={"K": "sk-hostile-native-key-0123456789"}, base_url=base_of(base_url),
                        models=(model,), api_key_env="K", protocol=protocol, timeout_s=4.0, idle_timeout_s=3.0,
                        concurrency=8, profile="quick", only=("chat.basic", "stream.complete", "long.complete", "errors.bad_key", *CHECKS))
    assert run.code in (0, 1), run.stderr
    found = {c["id"]: c for c in run.report["targets"][0]["checks"]}
    for c in found.values():
        assert CHECK_CRASHED not in c["summary"], (c["id"], c["summary"])
    # None of these answers is a reply or a complete stream of the protocol.
    assert found["chat.basic"]["status"] != "pass" and found["stream.complete"]["status"] != "pass"


def test_every_mode_is_one_the_sweep_runs_with_the_integrity_checks():
    from hostile_tools import SWEEP_ARGS

    assert set(SWEEP_ARGS) == set(MODES) and all(SWEEP_ARGS[m] == tuple(a for c in CHECKS for a in ("--check", c)) for m in MODES)
