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


def _settle_schedule(monkeypatch, changes: dict[float, float], settle_s: float = 30.0) -> list[float]:
    """When settle() polls a balance that, from each time in `changes` on, shows that much spent (a fake clock)."""
    import asyncio

    from relaycheck.config.balances import Figure, Reading
    from relaycheck.probes import balance

    clock = [0.0]
    polls: list[float] = []

    def spent_at(t: float) -> float:
        return max((v for at, v in changes.items() if at <= t), default=0.0)

    async def fake_read(ctx, adapter, label, probe="balance"):
        polls.append(round(clock[0], 3))
        return Reading({"used": Figure(spent_at(clock[0]), "spent")}, "USD", False, 0.0001)

    async def fake_sleep(seconds):
        clock[0] += seconds

    monkeypatch.setattr(balance, "read", fake_read)
    monkeypatch.setattr(balance.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(balance.asyncio, "sleep", fake_sleep)
    first = Reading({"used": Figure(0.0, "spent")}, "USD", False, 0.0001)
    asyncio.run(balance.settle(None, None, first, settle_s, "after"))  # type: ignore[arg-type]
    return polls


def test_a_settled_balance_is_seen_as_soon_as_it_has_held(monkeypatch):
    # The charge shows at once: the next polls back off, and the last lands just past the holding time, not a
    # doubling later (0.25 + 0.5 + 1 s would end at 1.75 s, three quarters of a second after it had settled).
    from relaycheck.probes.balance import SETTLED_S

    polls = _settle_schedule(monkeypatch, {0.0: 0.5})
    assert polls[:3] == [0.0, 0.25, 0.75]
    assert SETTLED_S <= polls[-1] <= SETTLED_S + 0.05 and len(polls) == 4, polls


def test_a_charge_that_moves_again_restarts_the_holding_time(monkeypatch):
    # Billing that lags: the balance moves at 0 and again at 0.6 s; settling is judged from the second movement.
    from relaycheck.probes.balance import SETTLED_S

    polls = _settle_schedule(monkeypatch, {0.0: 0.5, 0.6: 0.9})
    moved_again = next(t for t in polls if t >= 0.6)
    assert moved_again + SETTLED_S <= polls[-1] <= moved_again + SETTLED_S + 0.05, polls


def test_a_balance_that_never_moves_is_polled_with_backoff_until_the_window_ends(monkeypatch):
    polls = _settle_schedule(monkeypatch, {}, settle_s=5.0)
    assert polls == [0.0, 0.25, 0.75, 1.75, 3.75], polls  # no charge: nothing to hold, nothing shortened
