"""billing.delta verdicts pinned against surviving mutmut mutants of relaycheck/checks/billing.py (see /tmp/mut/RESULT.md).

Uses tests/test_thresholds_billing.py's litellm spend readings: 1,000 USD per million input tokens (100 cached),
2,000 per million output, so 500 prompt + 250 completion tokens cost exactly 1 USD.
"""

from __future__ import annotations

import json
from dataclasses import replace

from relaycheck.checks import Verdict
from test_thresholds_billing import ONE, _chat, delta

EVIDENCE = ("b0", "b1")


def _metrics(expected, observed, tolerance, **more):
    return {"expected": expected, "observed": observed, "tolerance": tolerance, "figure": "spend" if observed else None,
            "adapter": "litellm", "currency": "USD", **more}


def _no_usage(xid="c2"):
    return replace(_chat(xid, *ONE), body=json.dumps({"choices": [{"message": {"content": "OK"}, "finish_reason": "stop"}]}))


def _cut(xid="c3"):
    request = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 100}
    return replace(_no_usage(xid), error="reset", error_kind="read", request_body=json.dumps(request))


def test_a_matching_delta_passes_with_the_whole_statement():
    assert delta(1.0, _chat("c1", *ONE)) == Verdict(
        "pass", "spend moved as the usage says: expected 1.000000 ± 0.100000 USD, observed 1.000000", EVIDENCE, _metrics(1.0, 1.0, 0.1))


def test_an_overcharge_names_its_multiplier():
    assert delta(1.5, _chat("c1", *ONE)) == Verdict(
        "fail", "charged 1.50x the advertised price: expected 1.000000 ± 0.100000 USD, observed 1.500000 (spend)", EVIDENCE,
        _metrics(1.0, 1.5, 0.1, multiplier=1.5))


def test_cached_tokens_are_discounted_only_when_possible():
    assert delta(1.0, _chat("c1", 500, 250, cached=100)) == Verdict(
        "pass", "spend moved as the usage says: expected 0.910000 ± 0.091000 USD, observed 1.000000", EVIDENCE, _metrics(0.91, 1.0, 0.091))
    assert delta(1.0, _chat("c1", 500, 250, cached=600)).metrics["expected"] == 1.0  # more cached than sent: no discount
    assert delta(1.0, _chat("c1", 500, 250, cached=500)) == Verdict(
        "fail", "charged 1.82x the advertised price: expected 0.550000 ± 0.055000 USD, observed 1.000000 (spend)", EVIDENCE,
        _metrics(0.55, 1.0, 0.055, multiplier=1.818))
    assert delta(0.5, _chat("c1", 500, 0)).metrics["expected"] == 0.5


def test_a_balance_that_did_not_move():
    assert delta(0.0, _chat("c1", *ONE)) == Verdict(
        "inconclusive", "the balance did not move within billing_settle_s (expected 1.000000 ± 0.100000 USD, observed 0.000000): "
        "billing may lag longer", EVIDENCE, _metrics(1.0, 0.0, 0.1))


def test_replies_not_billed_to_the_key_count_nothing():
    nothing = Verdict("inconclusive", "the run billed nothing to compare (no reply with usage)", EVIDENCE, _metrics(0.0, 1.0, 1e-06))
    assert delta(1.0, _chat("c1", *ONE, label="wrong key")) == nothing
    assert delta(1.0, _chat("c1", *ONE, label="no key")) == nothing
    assert delta(1.0, _chat("c1", *ONE, status=500)) == nothing
    assert delta(1.0, _chat("c1", *ONE, status=None)) == nothing
    assert delta(1.0, _chat("c1", *ONE, status=300)) == nothing
    assert delta(1.0, _chat("c1", *ONE, probe="models")) == nothing
    assert delta(1.0, _chat("c1", *ONE, status=299)).status == "pass"


def test_a_reply_without_usage_makes_the_bill_unknown():
    assert delta(1.0, _chat("c1", *ONE), _no_usage()) == Verdict(
        "inconclusive", "1 successful replies reported no usage (c2): what they cost cannot be computed", EVIDENCE)


def test_cut_replies_widen_only_the_upper_side():
    note = "; 1 replies cut after their 200 without usage (c3) may add up to 0.208000"
    assert delta(1.0, _chat("c1", *ONE), _cut()) == Verdict(
        "pass", "spend moved as the usage says: expected 1.000000 ± 0.100000 USD, observed 1.000000" + note, EVIDENCE,
        _metrics(1.0, 1.0, 0.1, cut_replies_ceiling=0.208))
    assert delta(1.15, _chat("c1", *ONE), _cut()) == Verdict(
        "inconclusive", "spend moved more than the usage says, by no more than the cut replies could cost: expected 1.000000 ± 0.100000 USD, "
        "observed 1.150000" + note, EVIDENCE, _metrics(1.0, 1.15, 0.1, cut_replies_ceiling=0.208))
    assert delta(1.5, _chat("c1", *ONE), _cut()) == Verdict(
        "fail", "charged 1.50x the advertised price: expected 1.000000 ± 0.100000 USD, observed 1.500000 (spend)" + note, EVIDENCE,
        _metrics(1.0, 1.5, 0.1, cut_replies_ceiling=0.208, multiplier=1.5))
    assert delta(0.85, _chat("c1", *ONE), _cut()).status == "fail"  # under the bill: the cut replies cannot explain it


def test_the_price_is_found_by_snapshot_or_by_the_answering_model():
    snapshot = replace(_chat("c5", *ONE), request_body=json.dumps({"model": "gpt-4o-mini-2024-07-18"}))
    assert delta(1.0, snapshot).status == "pass"
    unknown_request = replace(_chat("c4", *ONE), request_body=json.dumps({"model": "unknown-x"}), model="unknown-x")
    assert delta(1.0, unknown_request).status == "pass"  # the reply's model is priced
