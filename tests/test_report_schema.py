"""The published JSON Schema of the JSON report: itself valid, met by real demo reports, and not vacuous."""

from __future__ import annotations

import copy
from typing import Any, Callable

import pytest

from conftest import fast_report_validator, assert_meets_schema, run_probe
from relaycheck.report.model import SCHEMA_VERSION
from relaycheck.report.schema import report_schema, validate

import jsonschema  # a test dependency (the [test] extra): relaycheck itself never validates


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., dict[str, Any]]:
    """A quick demo run's JSON report by (protocol, fault), each run once per module."""
    made: dict[tuple[str, str | None], dict[str, Any]] = {}

    def get(protocol: str = "openai", fault: str | None = None) -> dict[str, Any]:
        if (protocol, fault) not in made:
            run = run_probe(tmp_path_factory.mktemp("report"), demo=True, profile="quick", protocol=protocol, fault=fault)
            assert run.report is not None, run.stderr
            made[(protocol, fault)] = run.report
        return copy.deepcopy(made[(protocol, fault)])  # the negative tests damage their copy

    return get


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = report_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == "https://relaycheck.invalid/schema/report-1.json"
    assert schema["properties"]["schema_version"]["const"] == SCHEMA_VERSION


def test_schema_enums_match_the_code() -> None:
    """The closed vocabularies are copied into the schema: a value added in the code must be added there too."""
    from relaycheck.app import FAIL_ON
    from relaycheck.checks import STATUSES
    from relaycheck.core.checklist import SEVERITIES
    from relaycheck.protocol import NATIVE, TITLES
    from relaycheck.protocol.auth import Auth
    from relaycheck.wire.errorclass import LABELS
    from relaycheck.wire.exchange import ERROR_KINDS

    schema = report_schema()
    defs, target, exchange = schema["$defs"], schema["$defs"]["target"]["properties"], schema["$defs"]["exchange"]["properties"]
    assert defs["status"]["enum"] == list(STATUSES)
    assert defs["severity"]["enum"] == list(SEVERITIES)
    assert set(defs["protocol"]["enum"]) == set(NATIVE) == set(TITLES)
    assert schema["properties"]["fail_on"]["enum"] == list(FAIL_ON)
    assert set(target["auth"]["enum"]) == {a.value for a in Auth}
    assert set(target["summary"]["required"]) == set(STATUSES)
    assert exchange["error"]["oneOf"][1]["properties"]["kind"]["enum"] == list(ERROR_KINDS)
    assert set(exchange["error_class"]["oneOf"][1]["properties"]["category"]["enum"]) == set(LABELS)


@pytest.mark.parametrize("protocol", ["openai", "anthropic", "responses", "gemini"])
def test_fault_free_demo_report_over_each_protocol_is_valid(demo_report: Callable[..., dict[str, Any]], protocol: str) -> None:
    report = demo_report(protocol=protocol)
    assert report["targets"][0]["protocol"] == protocol
    assert validate(report) == []


@pytest.mark.parametrize(("fault", "failed"), [
    ("wrong_model", "models.echo"),
    ("query_key", "base.auth_bearer"),  # the key in the URL: auth "query parameter key"
    ("no_done", "stream.complete"),  # a stream cut short: an incomplete SSE record
    ("html_root", "base.api_root"),  # HTML where JSON belongs: error classes and non-JSON bodies
])
def test_faulty_demo_report_is_valid(demo_report: Callable[..., dict[str, Any]], fault: str, failed: str) -> None:
    report = demo_report(fault=fault)
    # The fault must have shown, or this would only test the fault-free report again.
    assert any(c["id"] == failed and c["status"] == "fail" for c in report["targets"][0]["checks"])
    assert validate(report) == []


def _set_status(doc: dict[str, Any], value: Any) -> None:
    doc["targets"][0]["checks"][0]["status"] = value


DAMAGE: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "unknown status": (lambda d: _set_status(d, "maybe"), "$.targets[0].checks[0].status"),
    "missing top-level key": (lambda d: d.pop("finished_at"), "'finished_at' is a required property"),
    "unknown top-level key": (lambda d: d.update(verdict="ok"), "'verdict' was unexpected"),
    "schema_version 2": (lambda d: d.update(schema_version=2), "$.schema_version"),
    "unknown key in a finding": (lambda d: d["targets"][0]["checks"][0].update(score=3), "$.targets[0].checks[0]"),
    "null body": (lambda d: d["targets"][0]["exchanges"][0]["response"].update(body=None), "$.targets[0].exchanges[0].response.body"),
}


@pytest.mark.parametrize("name", DAMAGE)
def test_damaged_report_fails_validation(demo_report: Callable[..., dict[str, Any]], name: str) -> None:
    report = demo_report()
    damage, expected = DAMAGE[name]
    damage(report)
    problems = validate(report)
    assert problems and any(expected in p for p in problems), problems


@pytest.mark.parametrize("name", DAMAGE)
def test_the_suites_fast_check_refuses_every_damaged_report_too(demo_report: Callable[..., dict[str, Any]], name: str) -> None:
    # The suite checks its hundreds of reports with jsonschema-rs (conftest.assert_meets_schema) and asks relaycheck's
    # validator only for the account of a failure: both must refuse what the schema refuses.
    report = demo_report()
    DAMAGE[name][0](report)
    with pytest.raises(AssertionError):
        assert_meets_schema(report)
    assert not fast_report_validator().is_valid(report)


def test_metrics_stay_open(demo_report: Callable[..., dict[str, Any]]) -> None:
    """What a check measures is open-ended: any JSON values, nulls (non-finite numbers) included."""
    report = demo_report()
    report["targets"][0]["checks"][0]["metrics"] = {"ratio": None, "nested": {"list": [1, "two", True]}, "n": 1.5}
    assert validate(report) == []


def test_relaycheck_schema_prints_the_shipped_schemas():
    import json
    import subprocess
    import sys

    for name in ("report", "checks"):
        out = subprocess.run([sys.executable, "-m", "relaycheck", "schema", name], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0 and json.loads(out.stdout)["$id"].endswith(f"/{name}-1.json")
    assert json.loads(subprocess.run([sys.executable, "-m", "relaycheck", "schema"], capture_output=True, text=True, timeout=60).stdout) == report_schema()
