"""Build the Report from raw runs: the judge step (error classes, error texts), then the one redaction."""

from __future__ import annotations

import dataclasses

from relaycheck import __version__

from relaycheck.core import checklist
from relaycheck.wire.errorclass import classify, error_text
from relaycheck.wire.exchange import Exchange
from relaycheck.checks.fingerprint import fingerprint
from relaycheck.redaction.redact import Redactor, key_id
from relaycheck.report.model import SCHEMA_VERSION, Finding, Judged, Report, TargetReport
from relaycheck.run.runner import TargetRun
from relaycheck.text.sanitize import clean
from relaycheck.config.targets import TargetKeys


def build_report(
    runs: tuple[TargetRun, ...], keys: dict[str, TargetKeys], started_at: str, finished_at: str,
    profile: str, fail_on: str, redactor: Redactor,
) -> Report:
    """Assemble findings and exchanges, then pass the whole Report through the redactor once."""
    cat = checklist.load()
    targets = []
    for run in runs:
        target = run.plan.target
        key = keys[target.name].main
        findings = tuple(
            Finding(
                id=r.check_id,
                model=r.model,
                status=r.verdict.status,
                severity=cat.get(r.check_id).severity,
                title=cat.get(r.check_id).title,
                summary=r.verdict.summary,
                evidence=r.verdict.evidence,
                metrics=r.verdict.metrics,
                expected=cat.get(r.check_id).expected,
                rationale=cat.get(r.check_id).rationale,
                remediation=cat.get(r.check_id).remediation,
            )
            for r in run.results
        )
        targets.append(
            TargetReport(
                name=target.name,
                base_url=target.base_url,
                effective_base_url=run.effective_base_url,
                key_id=key_id(key) if key else "(no key)",
                auth=run.auth.value,
                models=target.models,
                max_requests=run.plan.max_requests,
                max_tokens=run.plan.max_tokens,
                checks=findings,
                exchanges=run.exchanges,
                fingerprint=fingerprint(run.exchanges),
                max_cost=run.plan.max_cost,
                currency=run.plan.currency,
                protocol=target.protocol,
            )
        )
    raw = Report(
        schema_version=SCHEMA_VERSION,
        tool_name="relaycheck",
        tool_version=__version__,
        started_at=started_at,
        finished_at=finished_at,
        profile=profile,
        fail_on=fail_on,
        targets=tuple(targets),
    )
    return _judged(redactor.scrub(clean(raw)))  # lone surrogates out first: every format must be able to encode it


def _judged(report: Report) -> Report:
    """The sealed Report with each target's exchanges judged (on the redacted exchanges, so no text needs redacting)."""
    # Parsed JSON can hold what the raw text only escaped (a lone surrogate written as \\ud83d): clean it too.
    return dataclasses.replace(report, targets=tuple(dataclasses.replace(t, judged=clean(judge(t.exchanges))) for t in report.targets))


def judge(exchanges: tuple[Exchange, ...]) -> dict[str, Judged]:
    """Classify every exchange once, before sealing: renderers and the JSON writer only read the result."""
    out = {}
    for x in exchanges:
        info = classify(x)
        out[x.id] = Judged(error_text=error_text(x)) if info is None else Judged(
            error_text=error_text(x), category=info.category, label=info.label, dialect=info.dialect, type=info.type, code=info.code,
            shape=info.shape)
    return out


def reseal(tool_version: str, started_at: str, finished_at: str, profile: str, fail_on: str, targets: tuple[TargetReport, ...]) -> Report:
    """Rebuild a Report read back from a saved JSON report, passing it through redaction again.

    The keys are unknown now; the saved report was redacted when written, and key-shaped text added since
    (a hand-edited file) is masked here before any renderer sees it.
    """
    raw = Report(
        schema_version=SCHEMA_VERSION, tool_name="relaycheck", tool_version=tool_version, started_at=started_at,
        finished_at=finished_at, profile=profile, fail_on=fail_on, targets=targets,
    )
    return _judged(Redactor(()).scrub(clean(raw)))
