"""The published JSON Schema of the JSON report (report.schema.json) and a validator for it."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

_SCHEMA_FILE = "report.schema.json"
SCHEMAS = {"report": _SCHEMA_FILE, "checks": "checks.schema.json"}  # what `relaycheck schema NAME` prints


def schema_text(name: str = "report") -> str:
    """A published schema as shipped: the report's or `checks --json`'s."""
    return resources.files("relaycheck.report").joinpath(SCHEMAS[name]).read_text(encoding="utf-8")


def report_schema() -> dict[str, Any]:
    """The report's JSON Schema (draft 2020-12), read fresh from the package so callers may change their copy."""
    return json.loads(schema_text("report"))


def validate(doc: dict[str, Any]) -> list[str]:
    """Every way `doc` breaks the report schema, one readable line each ("$.targets[0].checks[3].status: ..."); [] when valid."""
    # Imported here: jsonschema is needed only by whoever validates, not by every relaycheck run.
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(report_schema())
    # Sorted by place, so the same document always lists its problems in the same order.
    errors = sorted(validator.iter_errors(doc), key=lambda e: (e.json_path, e.message))
    return [f"{e.json_path}: {e.message}" for e in errors]
