"""The history of each target as renderers read it: runs, each check's verdicts over them, episodes, drift."""

from __future__ import annotations

from dataclasses import dataclass

from relaycheck.history.drift import Event
from relaycheck.history.store import History, RunRow

FINDING = ("fail", "warn")  # a verdict that is a finding: an episode runs from its first run to the next pass


@dataclass(frozen=True)
class Episode:
    """A stretch of runs in which a check was a finding: when it first appeared, when it cleared (None: still open)."""

    status: str  # the worst verdict in the stretch
    first_seen: str
    cleared: str | None


@dataclass(frozen=True)
class CheckLine:
    """One check (and model) over the target's runs: a verdict per run (None where it was not run)."""

    check_id: str
    model: str
    statuses: tuple[str | None, ...]
    episodes: tuple[Episode, ...]

    @property
    def now(self) -> str | None:
        """The latest verdict recorded."""
        return next((s for s in reversed(self.statuses) if s is not None), None)

    @property
    def ever_a_finding(self) -> bool:
        """Whether any run found something here."""
        return bool(self.episodes)


@dataclass(frozen=True)
class SignalLine:
    """One signal (and model) over the runs: its value per run."""

    model: str
    name: str
    values: tuple[str | None, ...]


@dataclass(frozen=True)
class Drift:
    """A drift event with the run it was seen in."""

    run_id: int
    finished_at: str
    event: Event


@dataclass(frozen=True)
class TargetHistory:
    """Everything `relaycheck history` shows of one target."""

    name: str
    runs: tuple[RunRow, ...]
    checks: tuple[CheckLine, ...]
    signals: tuple[SignalLine, ...]
    drift: tuple[Drift, ...]


def _episodes(runs: tuple[RunRow, ...], statuses: tuple[str | None, ...]) -> tuple[Episode, ...]:
    found: list[Episode] = []
    start: int | None = None
    worst = ""
    for i, status in enumerate(statuses):
        if status in FINDING:
            if start is None:
                start, worst = i, status
            elif status == "fail":
                worst = "fail"
        elif status == "pass" and start is not None:
            found.append(Episode(worst, runs[start].finished_at, runs[i].finished_at))
            start = None
    if start is not None:
        found.append(Episode(worst, runs[start].finished_at, None))
    return tuple(found)


def target_history(history: History, target: str, last: int | None = None) -> TargetHistory:
    """The target's last `last` runs (all when None) as lines per check and signal, with the drift among them."""
    runs = tuple(history.runs(target, last))
    index = {r.run_id: i for i, r in enumerate(runs)}
    since = runs[0].run_id if runs else 0
    verdicts: dict[tuple[str, str], list[str | None]] = {}
    for run_id, cid, model, status, _, _ in history.findings(target, since):
        verdicts.setdefault((cid, model), [None] * len(runs))[index[run_id]] = status
    values: dict[tuple[str, str], list[str | None]] = {}
    for run_id, model, name, value in history.signals(target, since):
        values.setdefault((model, name), [None] * len(runs))[index[run_id]] = value
    checks = tuple(CheckLine(cid, model, tuple(v), _episodes(runs, tuple(v))) for (cid, model), v in sorted(verdicts.items()))
    lines = tuple(SignalLine(model, name, tuple(v)) for (model, name), v in sorted(values.items()))
    drift = tuple(Drift(run_id, runs[index[run_id]].finished_at, Event(t, model, rule, subject, before, after, detail))
                  for run_id, t, model, rule, subject, before, after, detail in history.drift(target) if run_id in index)
    return TargetHistory(target, runs, checks, lines, drift)


def histories(history: History, target: str | None = None, last: int | None = None) -> tuple[TargetHistory, ...]:
    """Every recorded target's history (or the one named)."""
    names = history.targets()
    if target is not None:
        names = [n for n in names if n == target]
    return tuple(target_history(history, name, last) for name in names)
