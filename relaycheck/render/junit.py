"""JUnit XML renderer: one testsuite per target, one testcase per check and model, for CI systems."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from relaycheck.report.model import Finding, Report, TargetReport, plan_line
from relaycheck.text.sanitize import visible

# fail is a failure, inconclusive an error (the check could not decide), skip is skipped; pass and warn pass.
_ELEMENT = {"fail": "failure", "inconclusive": "error", "skip": "skipped"}


def _x(value: str) -> str:
    """Relay text for an XML attribute or text node: every character XML 1.0 forbids (and CR, ESC, bidi) made visible."""
    return visible(value)


def _testcase(suite: ET.Element, target: TargetReport, finding: Finding) -> None:
    name = _x(finding.id + (f" [{finding.model}]" if finding.model else ""))
    evidence = [x for x in (target.exchange(i) for i in finding.evidence) if x is not None]
    seconds = sum((x.timings.end_ms or 0.0) for x in evidence) / 1000.0  # the requests this verdict rests on
    case = ET.SubElement(suite, "testcase", {"classname": _x(f"relaycheck.{target.name}"), "name": name, "time": f"{seconds:.3f}"})
    element = _ELEMENT.get(finding.status)
    if element:
        child = ET.SubElement(case, element, {"message": _x(finding.summary), "type": f"{finding.status}/{finding.severity}"})
        if element != "skipped":
            lines = [f"{finding.title['en']} ({finding.severity})", finding.summary]
            lines += [f"{x.id} {x.method} {x.url} -> {x.status if x.status is not None else x.error_kind}" for x in evidence]
            child.text = _x("\n".join(lines))
    elif finding.status == "warn":
        ET.SubElement(case, "system-out").text = _x(f"warn: {finding.summary}")


def _seconds(report: Report) -> float:
    """The run's wall time (targets run in parallel, so each suite took about this long)."""
    from datetime import datetime

    try:
        start, end = (datetime.fromisoformat(v.replace("Z", "+00:00")) for v in (report.started_at, report.finished_at))
    except ValueError:
        return 0.0
    return max((end - start).total_seconds(), 0.0)


def render(report: Report, **_: object) -> str:
    """The whole report as a JUnit <testsuites> document."""
    root = ET.Element("testsuites", {"name": "relaycheck"})
    # Jenkins' schema allows no "skipped" on <testsuites>: the root carries tests, failures and errors only.
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for target in report.targets:
        counts = target.counts()
        attrs = {
            "name": _x(target.name), "tests": str(len(target.checks)), "failures": str(counts["fail"]),
            "errors": str(counts["inconclusive"]), "skipped": str(counts["skip"]), "time": f"{_seconds(report):.3f}", "timestamp": _x(report.started_at.rstrip("Z")),
        }
        suite = ET.SubElement(root, "testsuite", attrs)
        props = ET.SubElement(suite, "properties")
        for key, value in (("base_url", target.base_url), ("key_id", target.key_id), ("protocol", target.protocol), ("plan", plan_line(target)), ("tool_version", report.tool_version)):
            ET.SubElement(props, "property", {"name": key, "value": _x(value)})
        for finding in target.checks:
            _testcase(suite, target, finding)
        for key, value in (("tests", len(target.checks)), ("failures", counts["fail"]), ("errors", counts["inconclusive"])):
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    # A last pass over the document: nothing XML 1.0 forbids can be left in any attribute or text.
    return visible('<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n")
