"""Deep parameter checks: never `pass` when their probe failed or was not sent; the verdict rests on evidence."""

from __future__ import annotations

import json

import pytest

from relaycheck.checks import CheckInput, registry
from relaycheck.wire.exchange import Exchange, Timings
from relaycheck.config.targets import Target
from relaycheck.probes import canaries
from relaycheck.probes.integrity import call_ask

TARGET = Target(name="t", base_url="http://127.0.0.1:9/v1", api_key_env="K", models=("gpt-4o-mini",))
LABELS = {"params.max_tokens": ("max_tokens",), "params.stop": ("stop baseline", "stop"),
          "params.temperature": ("temperature 0 #1", "temperature 0 #2", "temperature high #1", "temperature high #2"),
          "params.json_mode": ("json_object", "json_schema"), "params.tools": ("tools", "tools stream"), "params.n": ("n",),
          "params.logprobs": ("logprobs",), "params.seed": ("seed #1", "seed #2"), "context.intact": ("depth 2000",),
          "usage.reasoning": ("sample #1", "sample #2"), "reliability.sampled": ("sample #1", "sample #2"),
          "usage.cache": ("first", "repeat"), "models.twins": ("prompt 1 ask 1", "prompt 1 ask 2", "prompt 2 ask 1", "prompt 2 ask 2"),
          "integrity.conditional": tuple(ask.label for ask in canaries.trigger_asks())}
DEEP_PARAMS = tuple(LABELS)
PROBE = {cid: "structured" if cid in ("params.json_mode", "params.tools", "params.n", "params.logprobs", "params.seed") else
         "context" if cid == "context.intact" else "reliability" if cid in ("usage.reasoning", "reliability.sampled") else
         "cache" if cid == "usage.cache" else "twins" if cid == "models.twins" else "triggers" if cid == "integrity.conditional" else "params"
         for cid in LABELS}
# The requests the trigger sweep really sends (its check reads what was asked back from them).
REQUESTS = {ask.label: json.dumps(call_ask("gpt-4o-mini", ask).body) for ask in canaries.trigger_asks()}
# models.twins compares models: its target has two of different vendors, and every exchange is sent to both.
TWO_VENDORS = ("gpt-4o-mini", "claude-sonnet-4-5")


def _x(xid: str, label: str, status: int, body: object, error: str | None = None) -> Exchange:
    text = body if isinstance(body, str) else json.dumps(body)
    return Exchange(id=xid, probe="params", model="gpt-4o-mini", label=label, method="POST", url="http://127.0.0.1:9/v1/chat/completions",
                    request_headers=(), request_body="{}", status=status, response_headers=(("content-type", "application/json"),),
                    body=text, body_bytes=len(text), body_truncated=False, body_utf8_ok=True,
                    timings=Timings(started_at="2026-01-01T00:00:00Z", end_ms=1.0), error=error, error_kind="read" if error else None)


def _reply(content: str, finish: str, completion_tokens: int) -> dict:
    return {"id": "c", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish}],
            "usage": {"prompt_tokens": 20, "completion_tokens": completion_tokens, "total_tokens": 20 + completion_tokens}}


def _judge(check_id: str, exchanges: tuple[Exchange, ...]) -> str:
    if check_id == "models.twins":
        target = Target(name="t", base_url="http://127.0.0.1:9/v1", api_key_env="K", models=TWO_VENDORS)
        both = tuple(Exchange(**{**x.__dict__, "id": f"{x.id}-{m}", "model": m}) for x in exchanges for m in TWO_VENDORS)
        return registry()[check_id].fn(CheckInput(target, None, both)).status
    return registry()[check_id].fn(CheckInput(TARGET, "gpt-4o-mini", exchanges)).status


FAILED = {
    "5xx": lambda label: _x("x1", label, 500, {"error": {"message": "upstream error"}}),
    "no answer": lambda label: Exchange(**{**_x("x1", label, 200, "").__dict__, "status": None, "error": "timed out", "error_kind": "read"}),
    "garbage": lambda label: _x("x1", label, 200, "<html>oops</html>"),
}


@pytest.mark.parametrize("check_id", DEEP_PARAMS)
@pytest.mark.parametrize("how", sorted(FAILED))
def test_no_pass_when_the_probe_failed(check_id, how):
    exchanges = tuple(Exchange(**{**FAILED[how](label).__dict__, "probe": PROBE[check_id], "request_body": REQUESTS.get(label, "{}")})
                      for label in LABELS[check_id])
    status = _judge(check_id, exchanges)
    assert status != "pass"
    # Failed samples are exactly what reliability.sampled measures (it fails on them); everything else cannot judge.
    assert status == ("fail" if check_id == "reliability.sampled" else "inconclusive")


@pytest.mark.parametrize("check_id", DEEP_PARAMS)
def test_no_pass_when_the_probe_was_not_sent(check_id):
    assert _judge(check_id, ()) == "inconclusive"


def test_max_tokens_verdicts_follow_the_evidence():
    limited = lambda content, finish, n: (_x("x1", "max_tokens", 200, _reply(content, finish, n)),)  # noqa: E731
    assert _judge("params.max_tokens", limited("1\n2\n3\n4\n5", "length", 10)) == "pass"
    assert _judge("params.max_tokens", limited("1\n2\n...\n40", "stop", 79)) == "fail"  # dropped: billed whole
    assert _judge("params.max_tokens", limited("", "stop", 0)) == "inconclusive"  # an empty reply proves nothing
    assert _judge("params.max_tokens", limited("1\n2\n3", "stop", 5)) == "fail"  # cut, but not said to be cut


def test_max_tokens_accepts_reported_reasoning_billed_on_top_and_nothing_else():
    # DeepSeek's convention: the limit covers the visible answer; reported reasoning is billed on top (issue 15, case 2).
    def limited(n: int, reasoning: int | None) -> tuple[Exchange, ...]:
        body = _reply("1\n2\n3\n4\n5", "length", n)
        if reasoning is not None:
            body["usage"]["completion_tokens_details"] = {"reasoning_tokens": reasoning}
        return (_x("x1", "max_tokens", 200, body),)

    assert _judge("params.max_tokens", limited(57, 47)) == "pass"
    assert _judge("params.max_tokens", limited(57, None)) == "fail"  # 57 billed, none of it said to be reasoning
    assert _judge("params.max_tokens", limited(57, 20)) == "fail"  # 37 visible tokens past a limit of 10
    assert _judge("params.max_tokens", limited(57, 0)) == "fail"


def test_stop_is_judged_only_against_a_baseline_that_contains_the_marker():
    pair = lambda before, after: (_x("x1", "stop baseline", 200, _reply(before, "stop", 9)), _x("x2", "stop", 200, _reply(after, "stop", 9)))  # noqa: E731
    assert _judge("params.stop", pair("1\n2\n7\n8", "1\n2\n")) == "pass"
    assert _judge("params.stop", pair("1\n2\n7\n8", "1\n2\n7\n8")) == "fail"
    assert _judge("params.stop", pair("I cannot help with that", "1\n2\n7")) == "inconclusive"  # noisy or refusing model
    assert _judge("params.stop", pair("1\n2\n7\n8", "")) == "inconclusive"


def test_temperature_is_judged_only_above_a_quiet_noise_floor():
    def four(a1, a2, b1, b2):
        return tuple(_x(f"x{i}", label, 200, _reply(text, "stop", 9))
                     for i, (label, text) in enumerate(zip(LABELS["params.temperature"], (a1, a2, b1, b2))))
    assert _judge("params.temperature", four("The sea.", "The sea.", "A grey tide.", "Night waves.")) == "pass"
    assert _judge("params.temperature", four("The sea.", "The sea.", "The sea.", "The sea.")) == "fail"  # ignored
    assert _judge("params.temperature", four("The sea.", "Waves.", "The sea.", "The sea.")) == "inconclusive"  # noisy
    assert _judge("params.temperature", four("The sea.", "The sea.", "", "")) == "inconclusive"  # nothing to compare


def _sample(i: int, status: int | None) -> Exchange:
    body = _reply("OK", "stop", 1) if status == 200 else {"error": {"message": "boom"}}
    x = _x(f"x{i}", f"sample #{i}", status or 200, body, error=None if status else "timed out")
    return Exchange(**{**x.__dict__, "probe": "reliability", "status": status})


def _reliability(statuses) -> tuple[str, dict]:
    from relaycheck.checks import CheckInput

    verdict = registry()["reliability.sampled"].fn(CheckInput(TARGET, None, tuple(_sample(i, s) for i, s in enumerate(statuses))))
    return verdict.status, verdict.metrics


def test_reliability_fails_above_twenty_percent_and_never_passes_without_samples():
    assert _reliability([200] * 8)[0] == "pass"
    assert _reliability([200] * 7 + [502])[0] == "pass"  # 12.5%
    status, metrics = _reliability([200] * 6 + [502, None])  # 25%: a 5xx and a request that got no answer
    assert status == "fail" and metrics["success_rate"] == 0.75 and metrics["p50_ms"] is not None
    assert _reliability([])[0] == "inconclusive"  # not sent
    assert _reliability([429] * 6 + [200] * 2)[0] == "inconclusive"  # mostly rate limited: judged elsewhere
    assert _reliability([429] * 2 + [200] * 6)[0] == "pass"  # the limited samples are set aside, not failures


def test_structured_checks_follow_the_evidence():
    def one(label, body, status=200):
        return Exchange(**{**_x("x1", label, status, body).__dict__, "probe": "structured"})
    place = _reply('{"city": "Paris", "country": "France"}', "stop", 9)
    prose = _reply("The city is Paris.", "stop", 6)
    assert _judge("params.json_mode", (one("json_object", place), one("json_schema", place))) == "pass"
    assert _judge("params.json_mode", (one("json_object", place), one("json_schema", prose))) == "fail"
    extra = _reply('{"city": "Paris", "country": "France", "mayor": "x"}', "stop", 9)
    assert _judge("params.json_mode", (one("json_object", place), one("json_schema", extra))) == "fail"  # strict schema
    two = {**place, "choices": place["choices"] * 2}
    assert _judge("params.n", (one("n", two),)) == "pass"
    assert _judge("params.n", (one("n", place),)) == "fail"  # accepted and ignored
    refused = {"error": {"message": "n is not supported", "type": "invalid_request_error"}}
    assert _judge("params.n", (one("n", refused, 400),)) == "pass"  # honest: not supported, not fraud
    assert _judge("params.logprobs", (one("logprobs", place),)) == "fail"
    assert _judge("params.seed", (one("seed #1", _reply("A", "stop", 1)), one("seed #2", _reply("B", "stop", 1)))) == "inconclusive"


def test_every_deep_check_is_covered_here():
    from relaycheck.core import checklist

    from relaycheck.checks import registry

    # The deep checks of another protocol's own (models.thinking, usage.cache_control over Anthropic Messages) are held
    # to the same bar in their own tests (tests/test_thinking.py, tests/test_cachecontrol.py).
    assert {s.id for s in checklist.load().specs if s.deep and "openai" in registry()[s.id].protocols} == set(LABELS)


def test_context_verdicts_follow_the_markers():
    body = json.dumps({"messages": [{"role": "user", "content": "Remember the code CTX-0A1B2C3D.\n...\nRemember the code CTX-99887766."}]})

    def depth(content, status=200):
        x = _x("x1", "depth 2000", status, _reply(content, "stop", 9) if status == 200 else {"error": {"message": "context length exceeded"}})
        return Exchange(**{**x.__dict__, "probe": "context", "request_body": body})
    assert _judge("context.intact", (depth("CTX-0A1B2C3D CTX-99887766"),)) == "pass"
    assert _judge("context.intact", (depth("CTX-99887766"),)) == "fail"  # the head was dropped
    assert _judge("context.intact", (depth("CTX-0A1B2C3D"),)) == "inconclusive"
    assert _judge("context.intact", (depth("I can't"),)) == "inconclusive"
    assert _judge("context.intact", (depth("", status=413),)) == "pass"  # refused honestly


def test_context_depths_are_configurable_and_used(tmp_path):
    from conftest import run_probe
    from relaycheck.demo.faults import FAULTS
    from relaycheck.demo.server import DemoRelay

    for fault, verdict in ((None, "pass"), ("keep_tail", "pass")):  # the tail keeps 2,000 tokens: 500 and 1,000 survive
        with DemoRelay(key="depth-key-1234", fault=FAULTS[fault] if fault else None) as relay:
            targets = tmp_path / "targets.yaml"
            targets.write_text("targets:\n  - {name: d, base_url: '%s', api_key_env: K, models: [gpt-4o-mini], context_depths: [500, 1000]}\n" % relay.base_url)
            run = run_probe(tmp_path, env={"K": "depth-key-1234"}, targets_file=targets, profile="deep", only=("context.intact",))
        target = run.report["targets"][0]
        assert [x["label"] for x in target["exchanges"]] == ["depth 500", "depth 1000"]
        assert target["checks"][0]["status"] == verdict and target["checks"][0]["metrics"]["kept_depths"] == [500, 1000]
