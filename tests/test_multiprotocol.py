"""One relay listing several protocols (issue 19): one targets entry, one report holding every protocol, in every
format and language, with the canary key masked however each protocol carried it (Bearer, x-api-key)."""

from __future__ import annotations

import io
import json

import pytest

from conftest import make_canary, run_probe
from relaycheck.config.targets import load_targets
from relaycheck.core.exits import UsageError
from relaycheck.demo.server import DemoRelay
from relaycheck.output.write import OutputOptions, rerender
from relaycheck.redaction.redact import Redactor
from relaycheck.render import render
from relaycheck.report.load import from_dict

FORMATS = ("terminal", "json", "md", "junit", "html")
PATHS = {"openai": "/v1/chat/completions", "responses": "/v1/responses", "anthropic": "/v1/messages",
         "gemini": "/v1beta/models/gemini-2.5-flash:generateContent"}


def _targets(tmp_path, relay) -> object:
    path = tmp_path / "targets.yaml"
    path.write_text(f"""targets:
  - name: relay
    api_key_env: RELAY_KEY
    models: [gpt-4o-mini]
    protocols:
      openai: {{base_url: '{relay.base_url}'}}
      responses: '{relay.base_url}'
      anthropic: {{base_url: '{relay.origin}', models: [claude-sonnet-4-5]}}
      gemini: {{base_url: '{relay.origin}', models: [gemini-2.5-flash]}}
""")
    return path


def test_one_relay_listing_every_protocol_gives_one_report_with_all_of_them(tmp_path):
    canary = make_canary()
    with DemoRelay(key=canary) as relay:
        bundle = tmp_path / "bundle"
        run = run_probe(tmp_path, env={"RELAY_KEY": canary}, targets_file=_targets(tmp_path, relay), profile="quick", bundle=bundle)
    assert run.code == 0, run.stderr
    targets = run.report["targets"]
    assert [(t["name"], t["protocol"]) for t in targets] == [("relay (openai)", "openai"), ("relay (responses)", "responses"),
                                                             ("relay (anthropic)", "anthropic"), ("relay (gemini)", "gemini")]
    for t in targets:
        sent = [x for x in t["exchanges"] if x["probe"] == "chat"]
        assert sent and all(x["url"].endswith(PATHS[t["protocol"]]) for x in sent), t["name"]
        # Claude's stream usage is present but cannot be recounted (its tokenizer is not public): inconclusive.
        allowed = {"pass", "skip"} | ({"inconclusive"} if t["protocol"] in ("anthropic", "gemini") else set())
        assert {c["status"] for c in t["checks"]} <= allowed, [(c["id"], c["summary"]) for c in t["checks"] if c["status"] != "pass"]
    anthropic = targets[2]
    headers = {k.lower(): v for k, v in next(x for x in anthropic["exchanges"] if x["probe"] == "chat")["request"]["headers"]}
    assert headers["x-api-key"].startswith("[redacted") and "authorization" not in headers
    gemini = targets[3]
    headers = {k.lower(): v for k, v in next(x for x in gemini["exchanges"] if x["probe"] == "chat")["request"]["headers"]}
    assert headers["x-goog-api-key"].startswith("[redacted") and "authorization" not in headers
    # Every format and language shows the three protocols, and none shows the key.
    report = from_dict(json.loads((bundle / "report.json").read_text()))
    texts = [run.stdout, run.stderr, json.dumps(run.report), *(p.read_text() for p in bundle.rglob("*") if p.is_file())]
    for fmt in FORMATS:
        for lang in ("en", "zh"):
            text = render(report, fmt, lang=lang)
            assert all(name in text for name in ("relay (openai)", "relay (responses)", "relay (anthropic)", "relay (gemini)")), (fmt, lang)
            if fmt != "json":
                assert "OpenAI Responses" in text or fmt == "junit", (fmt, lang)
            texts.append(text)
    out = io.StringIO()
    rerender(bundle / "report.json", OutputOptions(fmt="md", lang="zh"), out)
    redactor = Redactor([canary])
    for text in [*texts, out.getvalue()]:
        assert not redactor.leaks(text), text[:500]


@pytest.mark.parametrize("protocols, words", [
    ("[openai]", "protocols must map each protocol"),
    ("{soap: 'http://127.0.0.1:1/v1'}", "protocols.soap: expected one of openai, anthropic, responses, gemini"),
    ("{openai: {models: [m]}}", "protocols.openai: expected one of"),
    ("{openai: {base_url: 'http://127.0.0.1:1/v1', api_key: sk-x}}", "protocols.openai: expected one of"),
])
def test_a_bad_protocols_list_is_one_clear_line(tmp_path, protocols, words):
    path = tmp_path / "targets.yaml"
    path.write_text(f"targets:\n  - {{name: r, api_key_env: K, models: [m], protocols: {protocols}}}\n")
    with pytest.raises(UsageError, match=words.replace("(", r"\(")):
        load_targets(path)


def test_protocols_and_a_base_url_of_its_own_cannot_stand_together(tmp_path):
    path = tmp_path / "targets.yaml"
    path.write_text("targets:\n  - {name: r, api_key_env: K, models: [m], base_url: 'http://127.0.0.1:1/v1', protocols: {openai: 'http://127.0.0.1:1/v1'}}\n")
    with pytest.raises(UsageError, match="base_url cannot stand beside protocols"):
        load_targets(path)
    path.write_text("targets:\n  - {name: r, api_key_env: K, models: [m], protocols: {openai: 'http://127.0.0.1:1/v1', anthropic: 'http://127.0.0.1:1'}}\n")
    assert [(t.name, t.protocol, t.base_url) for t in load_targets(path)] == [("r (openai)", "openai", "http://127.0.0.1:1/v1"),
                                                                             ("r (anthropic)", "anthropic", "http://127.0.0.1:1")]


def test_one_key_billed_over_several_protocols_is_judged_per_protocol(tmp_path):
    """Each protocol's billing.delta sees its own spend only: targets sharing a key whose balance is read run one
    after another (run together, each balance would move by every protocol's requests: a false overcharge)."""
    from relaycheck.demo.ledger import PRICES

    canary = make_canary()
    prices = "\n".join(f"      {m}: {{input: {i}, output: {o}, cached_input: {c}}}" for m, (i, o, c) in PRICES.items())
    with DemoRelay(key=canary) as relay:
        path = tmp_path / "targets.yaml"
        path.write_text(f"""targets:
  - name: relay
    api_key_env: RELAY_KEY
    models: [gpt-4o-mini]
    billing: auto
    billing_settle_s: 5
    pricing:
      currency: USD
{prices}
    protocols:
      openai: '{relay.base_url}'
      anthropic: {{base_url: '{relay.origin}', models: [claude-sonnet-4-5]}}
      gemini: {{base_url: '{relay.origin}', models: [gemini-2.5-flash]}}
""")
        run = run_probe(tmp_path, env={"RELAY_KEY": canary}, targets_file=path,
                        only=("chat.basic", "stream.complete", "billing.balance", "billing.delta"))
    assert run.code == 0, run.stderr
    spent = []
    for t in run.report["targets"]:
        delta = next(c for c in t["checks"] if c["id"] == "billing.delta")
        assert delta["status"] == "pass", (t["name"], delta["summary"])
        spent.append(delta["metrics"]["observed"])
        # The balance endpoints are the relay's OpenAI side: read at the origin's /v1 with the key as Bearer.
        reads = [x for x in t["exchanges"] if x["probe"] == "balance" and "/dashboard/" in x["url"]]
        assert reads and all(x["url"].startswith(relay.base_url + "/dashboard/") for x in reads), t["name"]
        assert all("authorization" in {k.lower() for k, _ in x["request"]["headers"]} for x in reads), t["name"]
    assert all(s > 0 for s in spent) and len(set(spent)) == 3, spent
