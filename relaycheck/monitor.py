"""The monitoring commands: `probe --history` recording a run, `relaycheck history`, `relaycheck watch`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import IO, Mapping

from relaycheck.core.exits import UsageError
from relaycheck.history.drift import Event, Rules
from relaycheck.history.record import record
from relaycheck.history.store import open_history
from relaycheck.history.view import histories
from relaycheck.redaction.redact import Redactor
from relaycheck.report.model import Report


@dataclass(frozen=True)
class HistoryOptions:
    """Everything `relaycheck history` was asked to show."""

    path: Path | None = None  # --history (else $RELAYCHECK_HISTORY, else the user's data directory)
    target: str | None = None
    last: int | None = None
    fmt: str = "terminal"
    output: Path | None = None
    lang: str = "en"
    width: int = 120


def record_run(report: Report, path: Path | None, env: Mapping[str, str], redactor: Redactor, source: str = "probe") -> tuple[int, list[Event], Path]:
    """Record a sealed report (scanned once more for the run's secrets on its way in); the run id, its drift and
    where it went."""
    with open_history(path, env) as history:
        run_id, events, _ = record(history, report, source, redactor=redactor)
        return run_id, events, history.path


def record_or_warn(report: Report, path: Path | None, env: Mapping[str, str], redactor: Redactor) -> str:
    """Record the run; the line to print either way (a locked or newer database is a warning, not the run's failure:
    the report has been written, and the exit code stays the run's)."""
    import sqlite3

    try:
        return drift_line(*record_run(report, path, env, redactor))
    except (sqlite3.Error, UsageError) as exc:
        return redactor.text(f"history: the run was not recorded: {exc}") + "\n"


def drift_line(run_id: int, events: list[Event], where: Path) -> str:
    """The line `probe --history` prints on stderr: where the run went and the drift it showed."""
    found = "; ".join(f"{e.target}: {e.detail}" for e in events[:5]) + (" …" if len(events) > 5 else "")
    return f"history: run {run_id} recorded in {where}" + (f"; drift: {found}" if events else "; no drift") + "\n"


def show(opts: HistoryOptions, env: Mapping[str, str], out: IO[str], redactor: Redactor) -> int:
    """Render the history; exit code 0 (2 through UsageError for a missing database or an unknown target)."""
    from relaycheck.output.write import write_file
    from relaycheck.render.history import HISTORY_FORMATS, render_history

    if opts.fmt not in HISTORY_FORMATS:
        raise UsageError(f"--format must be one of {', '.join(HISTORY_FORMATS)}")
    if opts.last is not None and opts.last < 1:
        raise UsageError("--last must be 1 or more")
    with open_history(opts.path, env, create=False) as history:
        found = histories(history, opts.target, opts.last)
        if opts.target is not None and not found:
            known = ", ".join(history.targets()) or "none"
            raise UsageError(f"no runs of target {opts.target!r} in {history.path} (recorded: {known})")
    options = {"width": opts.width} if opts.fmt == "terminal" else {}
    text = redactor.assert_clean(render_history(found, opts.fmt, opts.lang, **options), "history")
    if opts.output is not None:
        write_file(opts.output, text)
    else:
        out.write(text)
        out.flush()
    return 0



@dataclass(frozen=True)
class WatchOptions:
    """Everything `relaycheck watch` was asked to do (the targets and their overrides are a ProbeOptions)."""

    every: str = "15m"
    jitter: float = 0.1
    cycles: int | None = None
    history: Path | None = None
    max_cost_per_day: float | None = None
    on_drift: str | None = None
    metrics_port: int | None = None
    metrics_host: str = "127.0.0.1"
    metrics_textfile: Path | None = None
    rules: Rules = Rules()  # how far a figure may move before it is drift (not a flag: the README's rules)


def _caps(plans, total: float | None) -> dict[str, float]:
    """Each target's max_cost_per_day; refuse a watch whose cycle could never fit a cap, or has no price."""
    from relaycheck.run.costcap import fmt_amount

    caps = {p.target.name: p.target.max_cost_per_day for p in plans if p.target.max_cost_per_day is not None}
    for p in plans:
        limits = [c for c in (caps.get(p.target.name), total) if c is not None]
        if not limits:
            continue
        if p.max_cost is None:
            raise UsageError(f"target {p.target.name!r}: a daily cap needs prices, and {', '.join(p.unpriced_models())} has none (add pricing: to the target)")
        if p.max_cost > min(limits):
            raise UsageError(f"target {p.target.name!r}: one cycle may cost up to {fmt_amount(p.max_cost, p.currency)}, above its daily cap of "
                             f"{fmt_amount(min(limits), p.currency)}: no cycle could ever run")
    return caps


def watch(probe_opts, opts: WatchOptions, env: Mapping[str, str], err: IO[str]) -> int:
    """Watch the targets until stopped (SIGINT, SIGTERM) or each has run --cycles; exit 0, or 2 on bad input."""
    import asyncio
    import signal

    from relaycheck.app import prepared_targets
    from relaycheck.core import checklist
    from relaycheck.history.store import check_location
    from relaycheck.redaction.redact import register
    from relaycheck.run.plan import for_protocol, plan_target
    from relaycheck.run.runner import RunOptions
    from relaycheck.watch.alerts import DriftHook
    from relaycheck.watch.loop import Watch, WatchSettings
    from relaycheck.watch.metrics import WatchMetrics
    from relaycheck.watch.schedule import parse_interval
    from relaycheck.watch.spend import DailySpend, utc_day

    interval = parse_interval(opts.every)
    if not 0.0 <= opts.jitter <= 0.5:
        raise UsageError("--jitter must be between 0 and 0.5 (a share of the interval)")
    if opts.cycles is not None and opts.cycles < 1:
        raise UsageError("--cycles must be 1 or more")
    if opts.history is not None:
        check_location(opts.history)
    if opts.metrics_textfile is not None:
        check_location(opts.metrics_textfile)
    targets, keys = prepared_targets(probe_opts, env)
    redactor = register(Redactor(k for ks in keys.values() for k in ks.all()))
    cat = checklist.load()
    profile = probe_opts.profile or "quick"
    check_ids = cat.select(profile, probe_opts.only, probe_opts.skip)
    plans = tuple(plan_target(t, for_protocol(check_ids, t.protocol, named=bool(probe_opts.only))) for t in targets)
    spend = DailySpend(_caps(plans, opts.max_cost_per_day), opts.max_cost_per_day)
    metrics = WatchMetrics(redactor)
    hook = DriftHook(opts.on_drift, env, redactor, err) if opts.on_drift else None
    settings = WatchSettings(interval, opts.jitter, opts.cycles, profile, probe_opts.fail_on,
                             str(opts.metrics_textfile) if opts.metrics_textfile else None, opts.rules)
    with open_history(opts.history, env) as history:
        spend.charged = history.charged_on(utc_day())  # a restarted watch keeps today's spend
        server = metrics.serve(opts.metrics_port, opts.metrics_host) if opts.metrics_port is not None else None
        loop_state = Watch(plans, keys, RunOptions(body_cap=probe_opts.body_cap), settings, history, spend, metrics, hook, redactor, err)
        loop_state.say(f"{len(plans)} target(s) every {opts.every}, profile {profile}; history in {history.path}"
                       + (f"; metrics on http://{opts.metrics_host}:{opts.metrics_port}/metrics" if server is not None else ""))

        async def main() -> None:
            running = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):  # Ctrl-C, and systemd's or a container's stop
                try:
                    running.add_signal_handler(sig, loop_state.stop.set)
                except (NotImplementedError, RuntimeError):  # not the main thread (tests), or Windows
                    pass
            await loop_state.run()

        try:
            asyncio.run(main())
        finally:
            if hook is not None:
                hook.wait()
            if server is not None:
                server.shutdown()
                server.server_close()
    ran, skipped = sum(loop_state.ran.values()), sum(loop_state.skipped.values())
    loop_state.say(f"stopped after {ran} cycle(s)" + (f", {skipped} skipped" if skipped else "") + (f"; spent today {spend.spent():.6g}" if spend.per_target or spend.total is not None else ""))
    return 0
