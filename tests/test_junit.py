"""JUnit output: one testsuite per target, one testcase per check and model, statuses mapped for CI readers."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from conftest import run_probe
from relaycheck.demo.faults import FAULTS
from relaycheck.demo.server import DemoRelay


def test_junit_maps_every_status_and_is_well_formed(tmp_path):
    output = tmp_path / "junit.xml"
    with DemoRelay(key="k-junit-test-key", fault=FAULTS["body_key"]) as relay:
        json_run = run_probe(tmp_path, env={"K": "k-junit-test-key"}, base_url=relay.base_url, models=("gpt-4o-mini",), api_key_env="K")
        run_probe(tmp_path, env={"K": "k-junit-test-key"}, base_url=relay.base_url, models=("gpt-4o-mini",), api_key_env="K", fmt="junit", output=output)
    statuses = {(c["id"], c["model"]): c["status"] for c in json_run.report["targets"][0]["checks"]}
    root = ET.parse(output).getroot()
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    cases = suite.findall("testcase")
    assert len(cases) == len(statuses) == int(suite.get("tests")) == int(root.get("tests"))
    for attribute in ("name", "tests", "failures", "errors", "skipped", "time", "timestamp"):
        assert suite.get(attribute) is not None
    by_element = {"failure": [], "error": [], "skipped": []}
    for case in cases:
        assert case.get("classname") and case.get("name") and float(case.get("time")) >= 0
        for tag in by_element:
            for child in case.findall(tag):
                assert child.get("message")
                by_element[tag].append(case.get("name").split(" [")[0])
    assert sorted(by_element["failure"]) == sorted(cid for (cid, _), st in statuses.items() if st == "fail")
    assert sorted(by_element["error"]) == sorted(cid for (cid, _), st in statuses.items() if st == "inconclusive")
    assert sorted(by_element["skipped"]) == sorted(cid for (cid, _), st in statuses.items() if st == "skip")
    assert by_element["failure"] and by_element["error"] and by_element["skipped"]  # all three really occur here
    assert int(suite.get("failures")) == len(by_element["failure"]) and int(suite.get("skipped")) == len(by_element["skipped"])
