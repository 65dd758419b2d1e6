"""Build the Report from raw runs: the single place where redaction happens."""

from __future__ import annotations

from relaycheck import __version__, catalog
from relaycheck.fingerprint import fingerprint
from relaycheck.redact import Redactor, key_id
from relaycheck.report import SCHEMA_VERSION, Finding, Report, TargetReport
from relaycheck.runner import TargetRun
from relaycheck.sanitize import clean
from relaycheck.targets import TargetKeys


def build_report(
    runs: tuple[TargetRun, ...], keys: dict[str, TargetKeys], started_at: str, finished_at: str,
    profile: str, fail_on: str, redactor: Redactor,
) -> Report:
    """Assemble findings and exchanges, then pass the whole Report through the redactor once."""
    cat = catalog.load()
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
    return redactor.scrub(clean(raw))  # lone surrogates out first: every format must be able to encode it


def reseal(tool_version: str, started_at: str, finished_at: str, profile: str, fail_on: str, targets: tuple[TargetReport, ...]) -> Report:
    """Rebuild a Report read back from a saved JSON report, passing it through redaction again.

    The keys are unknown now; the saved report was redacted when written, and key-shaped text added since
    (a hand-edited file) is masked here before any renderer sees it.
    """
    raw = Report(
        schema_version=SCHEMA_VERSION, tool_name="relaycheck", tool_version=tool_version, started_at=started_at,
        finished_at=finished_at, profile=profile, fail_on=fail_on, targets=targets,
    )
    return Redactor(()).scrub(clean(raw))
