"""Recording a run: one transaction per report, its drift judged against the history before it and kept with it."""

from __future__ import annotations

import json
from typing import NamedTuple

from relaycheck.history.drift import BASELINE_RUNS, Event, Rules, signal_drift, status_drift
from relaycheck.history.signals import NO_MODEL, Signal, selection, signals, tokens_reported
from relaycheck.history.store import History
from relaycheck.redaction.redact import Redactor
from relaycheck.report.model import Report, TargetReport

SOURCES = ("probe", "watch")


class Recorded(NamedTuple):
    """What recording a run gave: its id, the drift it showed, and each target's signals (a watch exports them)."""

    run_id: int
    events: list[Event]
    measured: dict[str, list[Signal]]


def _previous(history: History, target: str, chosen: str) -> tuple[dict[tuple[str, str], str], dict[tuple[str, str], list[str]]]:
    """Each (check, model)'s last recorded verdict, and each (model, signal)'s recent values, in the runs before this
    one that chose the same profile and checks."""
    runs = history.runs(target, last=BASELINE_RUNS + 1, selection=chosen)
    ids = {r.run_id for r in runs}
    since = min(ids, default=0)
    statuses: dict[tuple[str, str], str] = {}
    for run_id, cid, model, status, _, _ in history.findings(target, since):
        if run_id in ids and status != "skip":  # a check not judged this time says nothing about the relay
            statuses[(cid, model)] = status
    values: dict[tuple[str, str], list[str]] = {}
    for run_id, model, name, value in history.signals(target, since):
        if run_id in ids:
            values.setdefault((model, name), []).append(value)
    return statuses, values


def _write_target(db, run_id: int, t: TargetReport, found: list[Signal], charged: float | None, chosen: str) -> None:
    db.execute("INSERT INTO target_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               (run_id, t.name, t.effective_base_url, t.protocol, t.key_id, json.dumps(list(t.models)), t.max_cost, charged, t.currency,
                tokens_reported(t), len(t.exchanges), chosen))
    db.executemany("INSERT OR REPLACE INTO findings VALUES (?, ?, ?, ?, ?, ?, ?)",
                   [(run_id, t.name, c.id, c.model or NO_MODEL, c.status, c.severity, c.summary) for c in t.checks])
    db.executemany("INSERT OR REPLACE INTO signals VALUES (?, ?, ?, ?, ?)", [(run_id, t.name, s.model, s.name, s.value) for s in found])


def _assert_clean(t: TargetReport, measured: list[Signal], found: list[Event], redactor: Redactor) -> None:
    """The report is redacted already; every text of a target that goes into the database is scanned once more, as
    every output is (a database is an output that outlives the run). Inside the run's transaction: a refusal
    leaves nothing of the run written."""
    for text in (t.name, t.effective_base_url, *t.models, *(c.summary for c in t.checks), *(m.value for m in measured),
                 *(e.detail for e in found)):
        redactor.assert_clean(text, "history")


def record(history: History, report: Report, source: str = "probe", rules: Rules = Rules(),
           charged: dict[str, float] | None = None, redactor: Redactor | None = None) -> Recorded:
    """Store the (already redacted) report; return its run id, the drift it shows against the runs before it and the
    signals measured.
    `charged`: what a watch charged each target's daily cap for this run; `redactor`: the run's, for a last scan."""
    assert source in SOURCES, source
    events: list[Event] = []
    by_target: dict[str, list[Signal]] = {}
    with history.transaction() as db:
        cursor = db.execute("INSERT INTO runs (started_at, finished_at, profile, tool_version, source) VALUES (?, ?, ?, ?, ?)",
                            (report.started_at, report.finished_at, report.profile, report.tool_version, source))
        run_id = int(cursor.lastrowid or 0)
        for t in report.targets:
            chosen = selection(report.profile, t)
            statuses, values = _previous(history, t.name, chosen)
            now = {(c.id, c.model or NO_MODEL): c.status for c in t.checks}
            measured = by_target[t.name] = signals(t)
            found = status_drift(t.name, statuses, now) + signal_drift(t.name, values, measured, rules)
            if redactor is not None:
                _assert_clean(t, measured, found, redactor)
            _write_target(db, run_id, t, measured, (charged or {}).get(t.name), chosen)
            db.executemany("INSERT INTO drift (run_id, target, model, rule, subject, before, after, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           [(run_id, e.target, e.model, e.rule, e.subject, e.before, e.after, e.detail) for e in found])
            events += found
    return Recorded(run_id, events, by_target)
