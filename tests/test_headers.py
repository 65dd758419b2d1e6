"""Gateway headers and key placements (issue 20): `headers:` / `--header` / `--header-env` on every request, an
environment-named value redacted like the key in every format, and `auth:` for gateways that do not take Bearer."""

from __future__ import annotations

import json

import pytest

from conftest import make_canary, run_probe
from relaycheck.config.headers import Header, from_flags, parse_auth, parse_headers
from relaycheck.config.targets import load_targets
from relaycheck.core.exits import UsageError
from relaycheck.redaction.redact import Redactor
from relaycheck.render import render
from relaycheck.report.load import from_dict

FORMATS = ("terminal", "json", "md", "junit", "html")


def test_headers_are_literal_or_named_by_a_variable():
    assert parse_headers({"X-Title": "relaycheck", "x-portkey-api-key": {"env": "PORTKEY_KEY"}}, "t") == (
        Header("X-Title", value="relaycheck"), Header("x-portkey-api-key", env="PORTKEY_KEY"))
    assert from_flags(("HTTP-Referer: https://example.com/app",), ("x-portkey-config=PORTKEY_CONFIG",)) == (
        Header("HTTP-Referer", value="https://example.com/app"), Header("x-portkey-config", env="PORTKEY_CONFIG"))
    assert parse_auth("api-key", "t") == "api-key" and parse_auth(None, "t") is None


@pytest.mark.parametrize("raw, words", [
    ({"Authorization": "x"}, "set by relaycheck itself"),
    ({"api-key": {"env": "K"}}, "set by relaycheck itself"),
    ({"x-portkey-api-key": "pk-" + "Zq8rT2mW" * 4}, "looks like a secret"),
    ({"X-Key": "Ab3dEf9hJk2LmN5pQr8sTu1vWx4yZa7b"}, "looks like a secret"),
    ({"bad name": "x"}, "is not a header name"),
    ({"X-Title": "line\nbreak"}, "printable string"),
    ({"X-Env": {"env": "1BAD"}}, "{env: VARIABLE_NAME}"),
    ({"X-A": "a", "x-a": "b"}, "named twice"),
    (["X-Title"], "expected a mapping"),
])
def test_bad_headers_are_one_clear_line(raw, words):
    with pytest.raises(UsageError, match=words.replace("{", r"\{").replace("}", r"\}")):
        parse_headers(raw, "targets[0].headers")


def test_a_targets_file_takes_headers_and_auth(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("targets:\n  - name: azure\n    base_url: 'https://relay.example/v1'\n    api_key_env: K\n    models: [m]\n"
                    "    auth: api-key\n    headers: {X-Title: relaycheck, x-extra: {env: EXTRA}}\n")
    (target,) = load_targets(path)
    assert target.auth == "api-key" and [h.name for h in target.headers] == ["X-Title", "x-extra"]
    path.write_text(path.read_text().replace("auth: api-key", "auth: cookie"))
    with pytest.raises(UsageError, match=r"targets\[0\].auth: expected one of bearer, api-key, x-api-key, query"):
        load_targets(path)


def test_extra_headers_go_with_every_request_and_a_secret_one_is_redacted_everywhere(tmp_path):
    secret = make_canary()
    run = run_probe(tmp_path, env={"GATEWAY_SECRET": secret}, demo=True, profile="quick", bundle=tmp_path / "bundle",
                    headers=("X-Title: relaycheck-ci",), header_envs=("x-gateway-key=GATEWAY_SECRET",))
    assert run.code == 0, run.stderr
    exchanges = run.report["targets"][0]["exchanges"]
    for x in exchanges:
        sent = {k.lower(): v for k, v in x["request"]["headers"]}
        assert sent["x-title"] == "relaycheck-ci" and sent["x-gateway-key"].startswith("[redacted"), x["id"]
    report = from_dict(json.loads((tmp_path / "bundle" / "report.json").read_text()))
    texts = [run.stdout, run.stderr, json.dumps(run.report), *(p.read_text() for p in (tmp_path / "bundle").rglob("*") if p.is_file())]
    texts += [render(report, fmt, lang=lang) for fmt in FORMATS for lang in ("en", "zh")]
    redactor = Redactor([secret])
    assert not any(redactor.leaks(text) for text in texts)


def test_a_missing_header_variable_is_one_clear_line(tmp_path):
    with pytest.raises(UsageError, match="environment variable NOT_SET .*header x-a.* is not set"):
        run_probe(tmp_path, demo=True, profile="quick", header_envs=("x-a=NOT_SET",))


def test_auth_places_the_key_where_the_gateway_wants_it(tmp_path):
    """The query_key demo refuses Bearer: without auth: the run finds ?key= late (its model list and balance are
    refused first); with auth: query every request carries it from the start, and Bearer is not asked."""
    found = {c["id"]: c["status"] for c in run_probe(tmp_path, demo=True, fault="query_key").report["targets"][0]["checks"]}
    assert found["base.auth_bearer"] == "fail" and found["models.list"] == "inconclusive"
    run = run_probe(tmp_path, demo=True, fault="query_key", auth="query")
    checks = {c["id"]: c for c in run.report["targets"][0]["checks"]}
    assert checks["base.auth_bearer"]["status"] == "skip" and "auth: query" in checks["base.auth_bearer"]["summary"]
    assert {cid: c["status"] for cid, c in checks.items() if c["status"] not in ("pass", "skip")} == {}
    chat = next(x for x in run.report["targets"][0]["exchanges"] if x["probe"] == "chat")
    assert "key=[redacted" in chat["url"]
