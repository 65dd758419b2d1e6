"""Balance adapters and billing.delta: figures read per family, the moved figure inferred, multipliers right."""

from __future__ import annotations

import pytest

from conftest import run_probe
from relaycheck.config.balances import ADAPTERS, QUOTA_PER_USD, custom_adapter, moved
from relaycheck.core.exits import UsageError
from relaycheck.config.targets import load_targets


def test_oneapi_reads_dollars_from_cents_and_ignores_errors_sent_as_200():
    reading = ADAPTERS["oneapi"].parse([{"hard_limit_usd": 10.0}, {"total_usage": 12.5}])
    assert reading.figures["total_usage_usd"].value == pytest.approx(0.125) and not reading.unlimited
    assert ADAPTERS["oneapi"].parse([{"error": {"message": "无效的令牌"}}, {"total_usage": 1}]) is None
    assert ADAPTERS["oneapi"].parse([{"hard_limit_usd": 100000000}, {"total_usage": 0.0}]).unlimited


def test_newapi_converts_raw_quota_and_knows_unlimited():
    reading = ADAPTERS["newapi"].parse([{"code": True, "data": {"total_granted": 5_000_000, "total_used": 500_000, "total_available": 4_500_000}}])
    assert reading.figures["total_used"].value == pytest.approx(500_000 / QUOTA_PER_USD)
    assert ADAPTERS["newapi"].parse([{"data": {"total_used": 1, "unlimited_quota": True}}]).unlimited


def test_openrouter_litellm_deepseek_and_custom():
    assert ADAPTERS["openrouter"].parse([{"data": {"usage": 1.5, "limit": None, "limit_remaining": None}}]).unlimited
    assert ADAPTERS["litellm"].parse([{"info": {"spend": 0.2, "max_budget": 5}}]).figures["spend"].value == 0.2
    deepseek = ADAPTERS["deepseek"].parse([{"is_available": True, "balance_infos": [{"currency": "CNY", "total_balance": "110.00"}]}])
    assert deepseek.unit == "CNY" and deepseek.figures["total_balance"].value == 110.0 and deepseek.step == pytest.approx(0.01)
    custom = custom_adapter("/account/balance", "data.remaining", "CNY")
    assert custom.paths == (("origin", "account/balance"),)
    assert custom.parse([{"data": {"remaining": 3.25}}]).figures["data.remaining"].value == 3.25


def test_the_figure_that_moved_in_the_spending_direction_is_the_charge():
    before = ADAPTERS["oneapi"].parse([{"hard_limit_usd": 10.0}, {"total_usage": 10.0}])
    per_key = ADAPTERS["oneapi"].parse([{"hard_limit_usd": 10.0}, {"total_usage": 30.0}])
    assert moved(before, per_key).figure == "total_usage_usd" and moved(before, per_key).amount == pytest.approx(0.2)
    # one-api's per-user mode reports the remaining amount as hard_limit_usd: then that is what moves.
    per_user = ADAPTERS["oneapi"].parse([{"hard_limit_usd": 9.7}, {"total_usage": 10.0}])
    assert moved(before, per_user).figure == "hard_limit_usd" and moved(before, per_user).amount == pytest.approx(0.3)
    assert moved(before, before) is None


def test_billing_settings_are_validated(tmp_path):
    path = tmp_path / "b.yaml"
    base = "targets:\n  - {name: a, base_url: 'https://r/v1', api_key_env: K, models: [m], billing: %s}\n"
    for bad, message in (("magic", "must be one of"), ("{url: 'https://evil.example/b', field: x, unit: USD}", "never sent to another host"),
                         ("{url: /b, field: x}", "exactly url, field and unit")):
        path.write_text(base % bad)
        with pytest.raises(UsageError, match=message):
            load_targets(path)
    path.write_text(base % "none")
    assert load_targets(path)[0].billing is None


def test_the_multiplier_fault_reports_the_right_multiplier(tmp_path):
    target = run_probe(tmp_path, demo=True, fault="price_multiplier").report["targets"][0]
    delta = next(c for c in target["checks"] if c["id"] == "billing.delta")
    assert delta["status"] == "fail" and delta["metrics"]["multiplier"] == pytest.approx(2.0, abs=0.05)
    assert "charged 2.00x the advertised price" in delta["summary"]


def test_balance_reads_send_no_chat_before_the_first_reading(tmp_path):
    target = run_probe(tmp_path, demo=True).report["targets"][0]
    first_balance = min(int(x["id"][1:]) for x in target["exchanges"] if x["label"].startswith("before:"))
    first_chat = min(int(x["id"][1:]) for x in target["exchanges"] if x["method"] == "POST")
    assert first_balance < first_chat  # nothing is spent before the balance is read
