"""Meta-tests: the checklist data and the implemented checks match one to one, and the data ships in the wheel."""

from __future__ import annotations

import zipfile
from pathlib import Path

from relaycheck.core import checklist
from relaycheck.checks import registry
from relaycheck.demo.faults import FAULTS

ROOT = Path(__file__).resolve().parent.parent


def test_catalogue_and_registry_match_one_to_one():
    assert sorted(checklist.load().ids) == sorted(registry())


def test_every_check_has_bilingual_texts_and_a_valid_severity():
    for spec in checklist.load().specs:
        assert spec.severity in checklist.SEVERITIES
        for field in ("title", "rationale", "remediation"):
            assert spec.text(field, "en") and spec.text(field, "zh"), (spec.id, field)
            assert spec.text(field, "zh") != spec.text(field, "en"), (spec.id, field)


def test_every_check_is_flipped_by_some_demo_fault():
    targeted = {check_id for fault in FAULTS.values() for check_id in fault.expect}
    assert set(checklist.load().ids) <= targeted


def test_fault_expectations_name_real_checks_and_statuses():
    for fault in FAULTS.values():
        for check_id, status in fault.expect.items():
            checklist.load().get(check_id)
            assert status in ("warn", "fail", "inconclusive"), (fault.name, check_id)


def test_profiles_select_known_checks_and_quick_is_smaller():
    cat = checklist.load()
    assert cat.default_profile == "full"
    assert set(cat.profiles) >= {"full", "quick", "ci"}
    assert set(cat.select("quick")) < set(cat.select("full"))
    assert not any(i.startswith(("long.", "usage.prompt", "models.tokenizer")) for i in cat.select("quick"))


def test_probe_dependencies_exist():
    from relaycheck.run.plan import PROBE_ORDER

    for impl in registry().values():
        assert set(impl.probes) <= set(PROBE_ORDER), impl.id


def test_wheel_ships_the_checklist(built_wheel):
    names = zipfile.ZipFile(built_wheel).namelist()
    for data_file in sorted(p.name for p in (ROOT / "checks").glob("*.yaml")):
        assert f"relaycheck/checklist/{data_file}" in names


def test_report_is_only_built_by_the_sealing_step():
    # Renderers must only ever see redacted Reports: the constructor is called in exactly one module.
    import re

    callers = [p for p in (ROOT / "relaycheck").rglob("*.py") if re.search(r"(?<![\w.])Report\(", p.read_text())]
    assert [p.name for p in callers] == ["seal.py"]


def test_every_probe_that_sends_completions_counts_for_billing():
    # billing.delta prices every billed reply: a probe missing from its list would look like overcharging.
    from relaycheck.checks.billing import AFTER_THE_BILL, BILLED_PROBES
    from relaycheck.run.plan import PROBE_ORDER

    assert set(PROBE_ORDER) - {"root", "balance"} - set(AFTER_THE_BILL) == set(BILLED_PROBES)
    assert not set(AFTER_THE_BILL) & set(BILLED_PROBES)
