"""relaycheck against a real, stock LiteLLM proxy (no database) in front of the demo relay: the verdicts are pinned.

The README's worked example ("What relaycheck finds on a stock LiteLLM proxy") shows these same verdicts; a test
below keeps the two in step.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import litellm_proxy  # noqa: E402

from conftest import run_probe  # noqa: E402
from relaycheck.demo import faults  # noqa: E402
from relaycheck.demo.server import DemoRelay  # noqa: E402

COMMAND, MISSING = litellm_proxy.available()
needs_proxy = pytest.mark.skipif(COMMAND is None, reason=MISSING)
README = Path(__file__).resolve().parents[2] / "README.md"

# The forwarded model (LiteLLM in front of an OpenAI-shaped upstream): all pass but the wrong-key answer.
FORWARDED = {
    "base.https": "pass", "base.api_root": "pass", "base.redirects": "pass", "base.auth_bearer": "pass",
    "models.list": "pass", "models.listed": "pass", "models.echo": "pass", "models.tokenizer": "pass",
    "chat.basic": "pass", "chat.follows": "pass", "chat.injection": "pass", "chat.replay": "pass",
    "usage.present": "pass", "usage.prompt": "pass", "usage.completion": "pass",
    # LiteLLM's usage chunk carries choices [{"index": 0, "delta": {}}] and an extra usage.cost: tolerated.
    "stream.sse": "pass", "stream.complete": "pass", "stream.incremental": "pass", "stream.usage": "pass", "stream.integrity": "pass",
    "long.complete": "pass", "long.no_stall": "pass",
    "errors.bad_key": "warn",  # without a database a wrong key gets 400 "No connected db." instead of 401: refused, wrong status
    "errors.missing_key": "pass", "errors.unknown_model": "pass",  # an unknown model is an honest 400
    "errors.bad_request": "pass", "errors.shape": "pass", "errors.key_echo": "pass", "errors.timeout": "pass",
    "errors.rate_limit": "skip", "errors.insufficient_balance": "skip", "billing.balance": "skip", "billing.delta": "skip",
    # LiteLLM passes the upstream's refusal of a limit one past gpt-4o-mini's ceiling through, naming 16384; its own
    # x-litellm-response-cost is priced as gpt-4o-mini. models.behaviour needs a reference.
    "models.limits": "pass", "models.residue": "pass", "models.behaviour": "skip",
    # An honest proxy forwards tools, tool calls (streamed ones re-chunked), the system message and the text as they are.
    "integrity.tool_args": "pass", "integrity.content": "pass", "integrity.request": "pass",
}
# mock_response: a canned reply, which chat.follows catches; what cannot be counted offline is skipped or inconclusive.
MOCK = {
    **FORWARDED,
    "chat.follows": "fail", "chat.injection": "inconclusive", "models.tokenizer": "skip", "usage.prompt": "skip", "usage.completion": "skip",
    "stream.incremental": "inconclusive", "stream.usage": "inconclusive", "long.complete": "inconclusive", "stream.integrity": "inconclusive",
    "models.limits": "inconclusive",  # mock-gpt is not in the model catalogue: no published ceiling to ask past
    # The canned reply makes no tool call, copies no text and repeats no canary: nothing to judge, never a fail.
    "integrity.tool_args": "inconclusive", "integrity.content": "inconclusive", "integrity.request": "inconclusive",
}
# The same proxy's Anthropic Messages endpoint ({origin}/v1/messages), translating to the demo relay's Chat
# Completions: every check that judges Messages so far, the rest skip. The reply's id is the upstream's chatcmpl-…
# (a tolerated deviation: the Anthropic SDK reads any string), and a wrong key gets the same 400 as on /v1.
ANTHROPIC_JUDGED = ("base.https", "base.auth_bearer", "base.api_root", "base.redirects", "models.echo", "chat.basic", "chat.follows", "chat.injection", "chat.replay",
                    "stream.complete", "stream.incremental", "long.complete", "long.no_stall", "errors.bad_key", "errors.missing_key",
                    "errors.unknown_model", "errors.bad_request", "errors.shape", "errors.key_echo", "errors.timeout", "integrity.tool_args",
                    "integrity.content", "integrity.request", "usage.present", "usage.completion", "stream.usage", "stream.integrity",
                    # LiteLLM answers an Anthropic client's GET /v1/models in Anthropic's shape, and counts tokens at
                    # /v1/messages/count_tokens exactly as the upstream bills them.
                    "models.list", "models.listed", "usage.counted")
ANTHROPIC = {**{cid: "skip" for cid in FORWARDED}, **{cid: "pass" for cid in ANTHROPIC_JUDGED}, "chat.basic": "warn", "errors.bad_key": "warn"}
# usage.counted is Messages' and Gemini's own: absent from the Chat Completions and Responses runs, passed on Messages.
# The same proxy's /v1/responses, forwarded to the demo relay's own Responses endpoint: as on /v1, all pass but the
# wrong-key answer; the model-identity checks that do not judge Responses yet skip.
RESPONSES = {**FORWARDED, "models.limits": "skip", "models.residue": "skip"}
# An rpm-limited deployment (429 without Retry-After) and one with a 1 s timeout in front of a slow upstream (408).
LIMITS = {
    ("limited", "chat.basic"): "pass", ("limited", "errors.rate_limit"): "fail",
    ("slow", "chat.basic"): "fail", ("slow", "errors.timeout"): "pass",
}


@pytest.fixture(scope="module")
def proxy(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("litellm")
    with DemoRelay(key=litellm_proxy.UPSTREAM_KEY) as upstream, \
            DemoRelay(key=litellm_proxy.UPSTREAM_KEY, ttft_ms=3000) as slow, \
            DemoRelay(key=litellm_proxy.UPSTREAM_KEY, fault=faults.get("sibling_rewrite")) as sibling, \
            litellm_proxy.running(COMMAND, workdir, upstream.base_url, slow.base_url, sibling.base_url) as base_url:
        yield base_url


def _targets(tmp_path: Path, base_url: str, *rows: str) -> Path:
    path = tmp_path / "targets.yaml"
    path.write_text("targets:\n" + "".join(f"  - {{{row}, base_url: '{base_url}', api_key_env: LITELLM_KEY}}\n" for row in rows))
    return path


@needs_proxy
def test_a_stock_litellm_proxy(proxy, tmp_path):
    env = {"LITELLM_KEY": litellm_proxy.MASTER_KEY}
    run = run_probe(tmp_path, env=env, targets_file=_targets(tmp_path, proxy, "name: litellm, models: [gpt-4o-mini]", "name: mock, models: [mock-gpt]"))
    forwarded, mock = run.report["targets"]
    assert {c["id"]: c["status"] for c in forwarded["checks"]} == FORWARDED
    assert {c["id"]: c["status"] for c in mock["checks"]} == MOCK
    assert run.code == 1 and "Traceback" not in run.stderr

    # The findings say precisely what LiteLLM did, not just that something failed.
    bad_key = next(c for c in forwarded["checks"] if c["id"] == "errors.bad_key")
    assert "HTTP 400 instead of 401" in bad_key["summary"] and "No connected db." in bad_key["summary"]
    unknown = next(c for c in forwarded["checks"] if c["id"] == "errors.unknown_model")
    assert "400" in unknown["summary"]
    assert any("LiteLLM" in line for line in forwarded["fingerprint"])
    # The tolerated deviations really were in the traffic (the pass is not vacuous).
    stream = next(x for x in forwarded["exchanges"] if x["probe"] == "stream")
    usage_chunk = next(e["data"] for e in stream["sse"]["events"] if '"usage"' in (e["data"] or "") and '"completion_tokens"' in e["data"])
    assert '"delta":{}' in usage_chunk.replace(" ", "") and '"cost"' in usage_chunk


@needs_proxy
def test_rate_limits_and_timeouts_of_a_stock_litellm_proxy(proxy, tmp_path):
    env = {"LITELLM_KEY": litellm_proxy.MASTER_KEY}
    targets = _targets(tmp_path, proxy, "name: limited, models: [limited], rate_limit_probe: {requests: 6, concurrency: 1}",
                       "name: slow, models: [slow], timeout_s: 60")
    run = run_probe(tmp_path, env=env, targets_file=targets, only=("chat.basic", "errors.rate_limit", "errors.timeout"))
    found = {(t["name"], c["id"]): (c["status"], c["summary"]) for t in run.report["targets"] for c in t["checks"]}
    assert {k: v[0] for k, v in found.items() if k in LIMITS} == LIMITS, found
    assert "no Retry-After" in found[("limited", "errors.rate_limit")][1]
    assert "HTTP 408" in found[("slow", "chat.basic")][1]
    limited = next(t for t in run.report["targets"] if t["name"] == "limited")
    refusal = next(x for x in limited["exchanges"] if x["response"]["status"] == 429)
    assert not any(k.lower() == "retry-after" for k, _ in refusal["response"]["headers"])


@needs_proxy
def test_a_cheaper_sibling_behind_a_stock_litellm_proxy_still_fails_identity(proxy, tmp_path):
    # gpt-4.1-mini forwarded to an upstream that serves gpt-4o-mini under that name (same tokenizer): LiteLLM passes
    # the name on, so the clumsy checks see nothing; the refused limit names the sibling's ceiling.
    env = {"LITELLM_KEY": litellm_proxy.MASTER_KEY}
    targets = _targets(tmp_path, proxy, "name: sibling, models: [gpt-4.1-mini]", "name: honest, models: [gpt-4o-mini]")
    run = run_probe(tmp_path, env=env, targets_file=targets, only=("models.echo", "models.tokenizer", "models.limits", "models.residue"))
    sibling, honest = ({c["id"]: (c["status"], c["summary"]) for c in t["checks"]} for t in run.report["targets"])
    assert sibling["models.echo"][0] == "pass" and sibling["models.tokenizer"][0] == "pass"  # what the issue measured
    assert sibling["models.limits"][0] == "fail" and "16384" in sibling["models.limits"][1] and "gpt-4o-mini" in sibling["models.limits"][1]
    assert {k: v[0] for k, v in honest.items()} == {"models.echo": "pass", "models.tokenizer": "pass", "models.limits": "pass",
                                                   "models.residue": "pass"}
    assert run.code == 1 and "Traceback" not in run.stderr


def _native(tmp_path: Path, name: str, base_url: str, protocol: str, pinned: dict) -> tuple[dict, dict]:
    """One target of the proxy over a native protocol, run with the default profile and held to its pinned verdicts:
    (the report's target, check id -> (status, summary))."""
    targets = tmp_path / "targets.yaml"
    targets.write_text(f"targets:\n  - {{name: {name}, base_url: '{base_url}', api_key_env: LITELLM_KEY, models: [gpt-4o-mini], "
                       f"protocol: {protocol}}}\n")
    run = run_probe(tmp_path, env={"LITELLM_KEY": litellm_proxy.MASTER_KEY}, targets_file=targets)
    target = run.report["targets"][0]
    found = {c["id"]: (c["status"], c["summary"]) for c in target["checks"]}
    assert {k: v[0] for k, v in found.items()} == pinned, {k: v for k, v in found.items() if v[0] != pinned.get(k)}
    return target, found


@needs_proxy
def test_anthropic_messages_through_a_stock_litellm_proxy(proxy, tmp_path):
    origin = proxy.rsplit("/v1", 1)[0]  # the Anthropic SDK's base has no /v1
    target, found = _native(tmp_path, "litellm-anthropic", origin, "anthropic", ANTHROPIC)
    assert "is not msg_" in found["chat.basic"][1] and "chatcmpl-" in found["chat.basic"][1]
    sent = [x for x in target["exchanges"] if x["probe"] in ("chat", "stream", "integrity")]
    assert sent and all(x["url"] == f"{origin}/v1/messages" for x in sent)
    # The stream really was Anthropic's named events, and the forced calls tool_use blocks.
    stream = next(x for x in target["exchanges"] if x["probe"] == "stream")
    assert {e["event"] for e in stream["sse"]["events"]} >= {"message_start", "content_block_delta", "message_delta", "message_stop"}
    shell = next(x for x in target["exchanges"] if x["label"] == "shell")
    assert '"type":"tool_use"' in shell["response"]["body"].replace(" ", "")


@needs_proxy
def test_openai_responses_through_a_stock_litellm_proxy(proxy, tmp_path):
    target, found = _native(tmp_path, "litellm-responses", proxy, "responses", RESPONSES)
    assert "HTTP 400 instead of 401" in found["errors.bad_key"][1] and "input_tokens" in found["usage.present"][1]
    sent = [x for x in target["exchanges"] if x["probe"] in ("chat", "stream", "long", "integrity", "slope", "tokenizer")]
    assert sent and all(x["url"] == f"{proxy}/responses" for x in sent)
    # The stream really was the typed events (LiteLLM sends them without event: lines, which the SDK does not need),
    # usage in response.completed, and the forced calls function_call items.
    stream = next(x for x in target["exchanges"] if x["probe"] == "stream")
    types = {json.loads(e["data"]).get("type") for e in stream["sse"]["events"] if (e["data"] or "").startswith("{")}
    assert types >= {"response.created", "response.output_text.delta", "response.completed"}, types
    shell = next(x for x in target["exchanges"] if x["label"] == "shell")
    assert '"type":"function_call"' in shell["response"]["body"].replace(" ", "")


def notable() -> dict[tuple[str, str], str]:
    """The verdicts the README's worked example lists: every one that is not a plain pass (or an opt-in skip)."""
    rows = {("litellm", k): v for k, v in FORWARDED.items() if v not in ("pass", "skip")}
    rows.update({("mock", k): v for k, v in MOCK.items() if v != FORWARDED[k]})
    rows.update(LIMITS)
    rows.update({("litellm-anthropic", k): v for k, v in ANTHROPIC.items() if v not in ("pass", "skip")})
    rows.update({("litellm-responses", k): v for k, v in RESPONSES.items() if v not in ("pass", "skip")})
    return rows


def test_the_readme_shows_the_pinned_litellm_verdicts():
    text = README.read_text(encoding="utf-8")
    section = text.split("## What relaycheck finds on a stock LiteLLM proxy", 1)[1].split("\n## ", 1)[0]
    rows = {(target, check): verdict for check, verdict, target in re.findall(r"^\| `([a-z_]+\.[a-z_]+)` \| (\w+) \| ([\w-]+) \|", section, re.M)}
    assert rows == notable()
    assert "No connected db." in section and "Retry-After" in section and "408" in section


# The deep parameter checks over the proxy's Messages endpoint, which translates to the demo relay's Chat
# Completions: max_tokens, stop_sequences and temperature arrive as max_tokens, stop and temperature, and the
# forced call comes back as a tool_use block; its id is the upstream's call_… id (translated, so it warns).
ANTHROPIC_PARAMS = {"params.max_tokens": "pass", "params.stop": "pass", "params.temperature": "pass", "params.tools": "warn"}


@needs_proxy
def test_anthropic_parameters_through_a_stock_litellm_proxy(proxy, tmp_path):
    origin = proxy.rsplit("/v1", 1)[0]
    targets = tmp_path / "targets.yaml"
    targets.write_text(f"targets:\n  - {{name: litellm-anthropic, base_url: '{origin}', api_key_env: LITELLM_KEY, models: [gpt-4o-mini], "
                       "protocol: anthropic}\n")
    run = run_probe(tmp_path, env={"LITELLM_KEY": litellm_proxy.MASTER_KEY}, targets_file=targets, only=tuple(ANTHROPIC_PARAMS))
    target = run.report["targets"][0]
    found = {c["id"]: (c["status"], c["summary"]) for c in target["checks"]}
    assert {k: v[0] for k, v in found.items()} == ANTHROPIC_PARAMS, found
    assert "OpenAI Chat Completions format" in found["params.tools"][1] and "call_" in found["params.tools"][1]
    sent = {x["label"]: json.loads(x["request"]["body"]) for x in target["exchanges"]}
    assert sent["stop"]["stop_sequences"] == ["7"] and sent["temperature high #1"]["temperature"] == 1.0
