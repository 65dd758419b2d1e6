"""The cost guard: the plan knows its maximum cost, --dry-run sends nothing, --max-cost refuses before any request."""

from __future__ import annotations

import json
import socket
import threading

import pytest

from conftest import run_probe
from relaycheck.app import DEMO_LONG_REPLY_TOKENS
from relaycheck.core import checklist
from relaycheck.core.exits import UsageError
from relaycheck.run.plan import plan_target
from relaycheck.config.targets import Price, Pricing, Target, load_targets

PRICE = ("gpt-4o-mini=0.15/0.6",)


class Tripwire:
    """A loopback listener that counts every connection: any request at all fails the test that uses it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/v1"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture
def tripwire():
    wire = Tripwire()
    yield wire
    wire.close()


def test_dry_run_sends_nothing_and_needs_no_key(tmp_path, tripwire):
    run = run_probe(tmp_path, env={}, base_url=tripwire.base_url, models=("gpt-4o-mini",), dry_run=True, prices=PRICE, fmt="terminal", output=None)
    assert run.code == 0 and tripwire.connections == 0
    assert "at most 30 requests" in run.stdout and "dry run: nothing was sent" in run.stdout
    assert "long" in run.stdout and "USD" in run.stdout


def test_dry_run_json_lists_every_step_with_its_cost(tmp_path, tripwire):
    run = run_probe(tmp_path, env={}, base_url=tripwire.base_url, models=("gpt-4o-mini",), dry_run=True, prices=PRICE, fmt="json", output=None)
    plan = json.loads(run.stdout)["targets"][0]["plan"]
    assert tripwire.connections == 0
    assert plan["max_cost"] == pytest.approx(sum(s["max_cost"] for s in plan["steps"]))
    assert plan["max_tokens"] == sum(s["prompt_tokens"] + s["completion_tokens"] for s in plan["steps"])


def test_a_cap_below_the_plan_refuses_before_any_request(tmp_path, tripwire):
    with pytest.raises(UsageError, match=r"above the cap of 0\.001 USD; drop the most expensive probes: long"):
        run_probe(tmp_path, env={"OPENAI_API_KEY": "sk-test-0000"}, base_url=tripwire.base_url, models=("gpt-4o-mini",), prices=PRICE, max_cost=0.001)
    assert tripwire.connections == 0


def test_a_cap_without_prices_is_refused(tmp_path, tripwire):
    with pytest.raises(UsageError, match="a cost cap needs prices"):
        run_probe(tmp_path, env={"OPENAI_API_KEY": "sk-test-0000"}, base_url=tripwire.base_url, models=("gpt-4o-mini",), max_cost=1.0)
    assert tripwire.connections == 0


def test_the_per_target_cap_applies(tmp_path, tripwire):
    targets = tmp_path / "t.yaml"
    targets.write_text(
        f"targets:\n  - name: capped\n    base_url: {tripwire.base_url}\n    api_key_env: K\n    models: [gpt-4o-mini]\n"
        f"    pricing: {{currency: CNY, gpt-4o-mini: {{input: 1, output: 4}}}}\n    max_cost: 0.0001\n"
    )
    with pytest.raises(UsageError, match="CNY"):
        run_probe(tmp_path, env={"K": "sk-test-0000"}, targets_file=targets)
    assert tripwire.connections == 0


def _spend(target: dict, price: Price) -> float:
    spend = 0.0
    for x in target["exchanges"]:
        if x["response"]["status"] != 200:
            continue
        if x["sse"]:
            usages = [json.loads(e["data"]).get("usage") for e in x["sse"]["events"] if e["data"] and e["data"].startswith("{")]
            usage = next((u for u in usages if u), None)
        else:
            body = json.loads(x["response"]["body"]) if x["response"]["body"].startswith("{") else {}
            usage = body.get("usage")
        if usage:
            spend += (usage["prompt_tokens"] * price.input + usage["completion_tokens"] * price.output) / 1_000_000
    return spend


def test_real_spend_never_exceeds_a_cap_set_at_the_plan(tmp_path):
    plan = plan_target(
        # As the demo's target, but without its opt-ins: the demo plan costs more by them.
        Target("t", "http://127.0.0.1/v1", "K", ("gpt-4o-mini",), pricing=Pricing("USD", {"gpt-4o-mini": Price(0.15, 0.6)}),
               long_reply_tokens=DEMO_LONG_REPLY_TOKENS),
        checklist.load().select("full"),
    )
    run = run_probe(tmp_path, demo=True, prices=PRICE, max_cost=0.003)  # the demo plan (with its opt-ins) fits
    target = run.report["targets"][0]
    assert target["plan"]["max_cost"] <= 0.003 and plan.max_cost < target["plan"]["max_cost"]
    assert 0 < _spend(target, Price(0.15, 0.6)) <= 0.003


def test_the_quick_profile_spends_under_200_tokens_per_model(tmp_path):
    target = run_probe(tmp_path, demo=True, profile="quick").report["targets"][0]
    billed = 0
    for x in target["exchanges"]:
        if x["label"] == "empty-balance key":
            continue
        billed += round(_spend(dict(exchanges=[x]), Price(1_000_000, 1_000_000)))
    assert 0 < billed < 200, billed


def test_pricing_validation(tmp_path):
    path = tmp_path / "p.yaml"
    base = "targets:\n  - {name: a, base_url: 'https://r/v1', api_key_env: K, models: [m], pricing: %s}\n"
    path.write_text(base % "{currency: usd, m: {input: 1, output: 2}}")
    with pytest.raises(UsageError, match="three-letter code"):
        load_targets(path)
    path.write_text(base % "{m: {input: 1, outptu: 2}}")
    with pytest.raises(UsageError, match="expected {input: X, output: Y}"):
        load_targets(path)
    path.write_text(base % "{m: {input: 1, output: 2}}")
    (target,) = load_targets(path)
    assert target.pricing.currency == "USD" and target.pricing.for_model("openai/m") == Price(1.0, 2.0)


@pytest.mark.parametrize("bad", ["gpt-4o-mini", "gpt-4o-mini=1", "gpt-4o-mini=a/b", "=1/2", "m=-1/2"])
def test_bad_price_flags(tmp_path, bad):
    with pytest.raises(UsageError, match="--price must look like"):
        run_probe(tmp_path, demo=True, prices=(bad,), dry_run=True)


def test_a_relay_ignoring_max_tokens_cannot_spend_past_the_cap():
    import asyncio

    import respx

    from relaycheck.probes.budget import Budget
    from relaycheck.transport.client import RecordingClient

    pricing = Pricing("USD", {"m": Price(1.0, 1.0)})
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 10}
    greedy = {"choices": [{"message": {"content": "x"}}], "usage": {"prompt_tokens": 5, "completion_tokens": 5000, "total_tokens": 5005}}

    async def go():
        budget = Budget(cap=0.004, pricing=pricing)  # room for one request's ceiling, not for what it really billed
        with respx.mock() as mock:
            route = mock.post("https://relay.test/v1/chat/completions").respond(200, json=greedy)
            async with RecordingClient("k", budget=budget) as client:
                first = await client.request("POST", "https://relay.test/v1/chat/completions", probe="chat", json_body=body)
                second = await client.request("POST", "https://relay.test/v1/chat/completions", probe="chat", json_body=body)
            return first, second, route.call_count, budget.committed

    first, second, calls, committed = asyncio.run(go())
    assert first.ok and calls == 1
    assert second.error_kind == "cost_cap" and second.status is None
    assert committed == pytest.approx(0.005005)  # the overspend is the relay's, and nothing more was sent


def test_checks_whose_requests_were_capped_are_skipped_with_the_reason():
    from relaycheck.run.plan import plan_target
    from relaycheck.run.runner import evaluate
    from test_checks_unit import ex

    target = Target("t", "https://r/v1", "K", ("gpt-4o-mini",))
    plan = plan_target(target, ("chat.basic", "base.https"))
    capped = ex("x1", status=None, error="not sent", error_kind="cost_cap")
    results = {r.check_id: r.verdict for r in evaluate(plan, (capped,))}
    assert results["chat.basic"].status == "skip" and "cost cap" in results["chat.basic"].summary
    assert results["base.https"].status == "pass"


def test_a_cap_exactly_at_the_plan_sends_everything(tmp_path):
    dry = run_probe(tmp_path, demo=True, prices=PRICE, dry_run=True, fmt="json", output=None)
    ceiling = json.loads(dry.stdout)["targets"][0]["plan"]["max_cost"]
    run = run_probe(tmp_path, demo=True, prices=PRICE, max_cost=ceiling)
    target = run.report["targets"][0]
    assert not [x["id"] for x in target["exchanges"] if x["error"] and x["error"]["kind"] == "cost_cap"]
    assert _spend(target, Price(0.15, 0.6)) <= ceiling


# One small request per protocol, and a reply billing far more than its limit: the guard reads each wire format.
NATIVE_GREEDY = {
    "responses": ("https://relay.test/v1/responses", {"model": "m", "input": "hi", "max_output_tokens": 16},
                  {"object": "response", "status": "completed", "output": [], "usage": {"input_tokens": 5, "output_tokens": 5000, "total_tokens": 5005}}),
    "anthropic": ("https://relay.test/v1/messages", {"model": "m", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 16},
                  {"type": "message", "content": [], "usage": {"input_tokens": 5, "output_tokens": 5000}}),
    "gemini": ("https://relay.test/v1beta/models/m:generateContent", {"contents": [{"role": "user", "parts": [{"text": "hi"}]}],
                                                                      "generationConfig": {"maxOutputTokens": 16}},
               {"candidates": [], "usageMetadata": {"promptTokenCount": 5, "candidatesTokenCount": 5000, "totalTokenCount": 5005}}),
}


@pytest.mark.parametrize("protocol", sorted(NATIVE_GREEDY))
def test_the_cap_holds_over_every_protocol(protocol):
    """Responses and Gemini bodies have no messages, and Gemini's names its model in the URL: the guard reserves
    them all the same, and a count endpoint (free) reserves nothing."""
    import asyncio

    import respx

    from relaycheck.probes.budget import Budget
    from relaycheck.transport.client import RecordingClient

    url, body, greedy = NATIVE_GREEDY[protocol]
    pricing = Pricing("USD", {"m": Price(1.0, 1.0), "dear": Price(100.0, 100.0)})

    async def go():
        budget = Budget(cap=0.004, pricing=pricing)  # room for one request's ceiling at m's price, not for its bill
        with respx.mock() as mock:
            route = mock.post(url).respond(200, json=greedy)
            async with RecordingClient("k", budget=budget) as client:
                first = await client.request("POST", url, probe="chat", json_body=body)
                second = await client.request("POST", url, probe="chat", json_body=body)
            return first, second, route.call_count, budget.committed

    first, second, calls, committed = asyncio.run(go())
    assert first.ok and calls == 1
    assert second.error_kind == "cost_cap" and second.status is None
    assert committed == pytest.approx(0.005005)  # priced as m (named in the body, or the URL), not the dearest
    assert not Budget.billable("POST", "https://relay.test/v1/messages/count_tokens", body)
    assert not Budget.billable("POST", "https://relay.test/v1beta/models/m:countTokens", body)
    assert not Budget.billable("GET", url, body)


def test_a_cache_write_is_settled_at_its_price():
    """Anthropic bills a cache write at 1.25 x input (or the advertised cache_write): the guard settles it so."""
    price = Price(1.0, 2.0)
    assert price.cost(1000, 10, 0, 400) == pytest.approx((600 * 1.0 + 400 * 1.25 + 10 * 2.0) / 1e6)
    assert Price(1.0, 2.0, cache_write=3.0).cost(1000, 10, 0, 400) == pytest.approx((600 + 1200 + 20) / 1e6)
    assert Price(1.0, 2.0, cached_input=0.1).cost(1000, 10, 500, 0) == pytest.approx((500 + 50 + 20) / 1e6)


@pytest.mark.parametrize("protocol", ["anthropic", "responses", "gemini"])
def test_a_cap_exactly_at_the_plan_sends_everything_over_native_protocols(tmp_path, protocol):
    prices = {"anthropic": ("claude-sonnet-4-5=3/15",), "gemini": ("gemini-2.5-flash=0.3/2.5",), "responses": PRICE}[protocol]
    dry = run_probe(tmp_path, demo=True, protocol=protocol, prices=prices, dry_run=True, fmt="json", output=None)
    ceiling = json.loads(dry.stdout)["targets"][0]["plan"]["max_cost"]
    run = run_probe(tmp_path, demo=True, protocol=protocol, prices=prices, max_cost=ceiling)
    target = run.report["targets"][0]
    assert not [x["id"] for x in target["exchanges"] if x["error"] and x["error"]["kind"] == "cost_cap"]
    assert run.code == 0, [(c["id"], c["summary"]) for c in target["checks"] if c["status"] not in ("pass", "skip", "inconclusive")]
