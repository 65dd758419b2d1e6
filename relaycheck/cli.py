"""The command line: thin typer wrappers over relaycheck.app; errors become one line and an exit code."""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any, Callable, List, Optional

import typer

from relaycheck import __version__
from relaycheck.core.exits import SecretLeakError, UsageError
from relaycheck.output.console import reader_may_leave, use_color
from relaycheck.output.console import width as terminal_width

app = typer.Typer(
    add_completion=True,  # --install-completion / --show-completion for bash, zsh, fish and PowerShell
    # Plain help (click's formatter): readable at 80 columns, whole option names, no <bool> metavars.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
    # typer's pretty tracebacks print local variables, which can hold a key: never use them.
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    help="Verify an OpenAI-compatible API relay and produce a redacted evidence report.",
)


def _guarded(fn: Callable[..., None]) -> Callable[..., None]:
    """Turn every error inside a command into one redacted line on stderr and a documented exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        from relaycheck.redaction.redact import redact_known

        try:
            with reader_may_leave():  # `| head`: the listing ends quietly, exit 0
                fn(*args, **kwargs)
        except typer.Exit:
            raise
        except UsageError as exc:
            _fail(redact_known(f"relaycheck: error: {exc}"), exc.exit_code)
        except SecretLeakError as exc:
            _fail(f"relaycheck: {exc}", exc.exit_code)
        except KeyboardInterrupt:
            _fail("relaycheck: interrupted", 130)
        except Exception as exc:  # a bug: one redacted line; the traceback only with --debug
            if kwargs.get("debug"):
                import traceback

                print(redact_known(traceback.format_exc()), file=sys.stderr)
            _fail(redact_known(f"relaycheck: internal error: {type(exc).__name__}: {exc}"), 4)

    return wrapper


CHECKS_SCHEMA_VERSION = 1  # of `checks --json`; a change of shape raises it


def _or_stdout(path: Optional[Path]) -> Optional[Path]:
    """`-o -` means stdout, as for most tools that write files."""
    return None if path is not None and str(path) == "-" else path


def _fail(line: str, code: int) -> None:
    print(line, file=sys.stderr)
    raise typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"relaycheck {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", "-V", callback=_version, is_eager=True, help="Print the version and exit."),
) -> None:
    """relaycheck: evidence about an API relay (API 中转站)."""


@app.command()
@_guarded
def probe(
    demo: bool = typer.Option(False, "--demo", help="Probe the embedded demo relay (no key, no network)."),
    fault: Optional[str] = typer.Option(None, "--fault", metavar="NAME", help="With --demo: switch on one demo-relay fault."),
    targets: Optional[Path] = typer.Option(None, "-t", "--targets", metavar="FILE", help="A targets YAML file."),
    base_url: Optional[str] = typer.Option(None, "--base-url", metavar="URL", help="Relay base URL (default: $OPENAI_BASE_URL)."),
    model: List[str] = typer.Option([], "--model", "-m", metavar="MODEL", help="Model to probe (repeatable)."),
    api_key_env: Optional[str] = typer.Option(None, "--api-key-env", metavar="VAR", help="Environment variable holding the key (default OPENAI_API_KEY)."),
    empty_key_env: Optional[str] = typer.Option(None, "--empty-key-env", metavar="VAR", help="Opt-in: variable holding a key with no balance (errors.insufficient_balance)."),
    rate_limit_probe: Optional[int] = typer.Option(None, "--rate-limit-probe", metavar="N", help="Opt-in: send up to N minimal requests until the first 429 (errors.rate_limit)."),
    rate_limit_concurrency: int = typer.Option(4, "--rate-limit-concurrency", metavar="N", help="Concurrency of the rate-limit burst (capped by --concurrency)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan (requests, tokens, maximum cost) and send nothing."),
    max_cost: Optional[float] = typer.Option(None, "--max-cost", metavar="AMOUNT", help="Refuse to start when the planned maximum cost is above this (needs prices)."),
    price: List[str] = typer.Option([], "--price", metavar="MODEL=IN/OUT", help="Advertised price per 1M tokens, MODEL=INPUT/OUTPUT (repeatable)."),
    currency: str = typer.Option("USD", "--currency", metavar="CODE", help="Currency of --price."),
    profile: Optional[str] = typer.Option(None, "--profile", metavar="NAME", help="Checklist profile: full (default), quick, ci, agent, deep."),
    check: List[str] = typer.Option([], "--check", metavar="ID", help="Run only this check id (repeatable)."),
    skip_check: List[str] = typer.Option([], "--skip-check", metavar="ID", help="Leave out this check id (repeatable)."),
    fmt: str = typer.Option("terminal", "--format", "-f", metavar="FORMAT", help="terminal, json, md, junit or html."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", metavar="PATH", help="Write the report here instead of stdout (- for stdout)."),
    lang: str = typer.Option("en", "--lang", metavar="en|zh", help="Language of the terminal, Markdown and HTML reports: en or zh."),
    bundle: Optional[Path] = typer.Option(None, "--bundle", metavar="DIR", help="Also write an evidence bundle (JSON, ticket, exchanges, MANIFEST.sha256) into this new directory."),
    fail_on: str = typer.Option("medium", "--fail-on", metavar="SEVERITY", help="Exit 1 when a check of this severity or higher fails (info, low, medium, high, critical, none)."),
    concurrency: Optional[int] = typer.Option(None, "--concurrency", metavar="N", help="Requests in flight per target (default 4)."),
    timeout: Optional[float] = typer.Option(None, "--timeout", metavar="SECONDS", help="Deadline per request in seconds (default 90)."),
    idle_timeout: Optional[float] = typer.Option(None, "--idle-timeout", metavar="SECONDS", help="Longest silence allowed: first byte, gaps in a stream (default 30 s)."),
    retry_wait: Optional[float] = typer.Option(None, "--retry-wait", metavar="SECONDS", help="Total seconds per target the run may wait on Retry-After (default 60)."),
    deadline: Optional[float] = typer.Option(None, "--deadline", metavar="SECONDS", help="Seconds for the whole run per target; nothing is sent after (default: none)."),
    body_cap: int = typer.Option(512 * 1024, "--body-cap", metavar="BYTES", help="Bytes of each response kept as evidence."),
    no_progress: bool = typer.Option(False, "--no-progress", help="Do not show progress while probing."),
    color: Optional[bool] = typer.Option(None, "--color/--no-color", help="Force colour on or off."),
    debug: bool = typer.Option(False, "--debug", help="Show redacted internal details on errors."),
    reference: Optional[Path] = typer.Option(None, "--reference", metavar="FILE", help="Opt-in: a behaviour reference written by `relaycheck enroll` (models.behaviour)."),
    behaviour_alpha: Optional[float] = typer.Option(None, "--behaviour-alpha", metavar="P", help="models.behaviour's bound on a false accusation (default 0.01)."),
    behaviour_requests: Optional[int] = typer.Option(None, "--behaviour-requests", metavar="N", help="models.behaviour's one-token requests per model at most (default 60)."),
    behaviour_seed: Optional[int] = typer.Option(None, "--behaviour-seed", metavar="N", help="Seed of models.behaviour's requests and test, for a reproducible run (default: random)."),
    protocol: Optional[str] = typer.Option(None, "--protocol", metavar="PROTOCOL", help="Wire format of a one-target run or --demo: openai (Chat Completions, the default), anthropic (Messages) or responses (OpenAI Responses)."),
    agent_user_agent: bool = typer.Option(False, "--agent-user-agent", help="Opt-in: integrity.conditional (profile agent) also asks with agent clients' User-Agent strings."),
    header: List[str] = typer.Option([], "--header", "-H", metavar="'NAME: VALUE'", help="Send this header with every request (repeatable; a value that looks like a secret is refused: use --header-env)."),
    header_env: List[str] = typer.Option([], "--header-env", metavar="NAME=VAR", help="Send header NAME with the value of environment variable VAR, redacted like the key (repeatable)."),
    auth: Optional[str] = typer.Option(None, "--auth", metavar="STYLE", help="Where the key goes: bearer (the default), api-key (Azure), x-api-key or query."),
    history: Optional[Path] = typer.Option(None, "--history", metavar="PATH", help="Record this run in the history database at PATH (see relaycheck history)."),
    record: bool = typer.Option(False, "--record", help="Record this run in the default history database ($RELAYCHECK_HISTORY, else the user's data directory)."),
) -> None:
    """Run the checklist against a relay and print a redacted evidence report."""
    from relaycheck.app import ProbeOptions
    from relaycheck.app import probe as run_probe

    opts = ProbeOptions(
        targets_file=targets, base_url=base_url, models=tuple(model), api_key_env=api_key_env, demo=demo, fault=fault,
        empty_key_env=empty_key_env, rate_limit_requests=rate_limit_probe, rate_limit_concurrency=rate_limit_concurrency,
        idle_timeout_s=idle_timeout, retry_wait_s=retry_wait, deadline_s=deadline, dry_run=dry_run, max_cost=max_cost, prices=tuple(price), currency=currency,
        profile=profile, only=tuple(check), skip=tuple(skip_check), fmt=fmt, output=_or_stdout(output), fail_on=fail_on,
        concurrency=concurrency, timeout_s=timeout, body_cap=body_cap, progress=not no_progress, color=color, debug=debug,
        lang=lang, bundle=bundle, reference=reference, behaviour_alpha=behaviour_alpha, behaviour_requests=behaviour_requests,
        behaviour_seed=behaviour_seed, agent_user_agent=agent_user_agent, protocol=protocol,
        headers=tuple(header), header_envs=tuple(header_env), auth=auth, history=history, record=record,
    )
    raise typer.Exit(run_probe(opts))


@app.command("watch")
@_guarded
def watch_cmd(
    targets: Optional[Path] = typer.Option(None, "-t", "--targets", metavar="FILE", help="A targets YAML file (max_cost_per_day: per target)."),
    base_url: Optional[str] = typer.Option(None, "--base-url", metavar="URL", help="One relay instead of a targets file (default: $OPENAI_BASE_URL)."),
    model: List[str] = typer.Option([], "--model", "-m", metavar="MODEL", help="Model to watch (repeatable)."),
    api_key_env: Optional[str] = typer.Option(None, "--api-key-env", metavar="VAR", help="Environment variable holding the key (default OPENAI_API_KEY)."),
    every: str = typer.Option("15m", "--every", metavar="DURATION", help="How often each target is probed: 30s, 15m, 1h, 1d."),
    jitter: float = typer.Option(0.1, "--jitter", metavar="SHARE", help="Start each cycle up to this share of the interval late, spreading targets apart (0 to 0.5)."),
    cycles: Optional[int] = typer.Option(None, "--cycles", metavar="N", help="Stop after N cycles per target (default: until Ctrl-C or SIGTERM)."),
    profile: Optional[str] = typer.Option(None, "--profile", metavar="NAME", help="Checklist profile of each cycle (default quick)."),
    check: List[str] = typer.Option([], "--check", metavar="ID", help="Run only this check id (repeatable)."),
    skip_check: List[str] = typer.Option([], "--skip-check", metavar="ID", help="Leave out this check id (repeatable)."),
    history: Optional[Path] = typer.Option(None, "--history", metavar="PATH", help="The history database (default: $RELAYCHECK_HISTORY, else the user's data directory)."),
    max_cost_per_day: Optional[float] = typer.Option(None, "--max-cost-per-day", metavar="AMOUNT", help="Skip any cycle that would take today's total spend (UTC) past this."),
    on_drift: Optional[str] = typer.Option(None, "--on-drift", metavar="CMD", help="Run CMD with each cycle's drift as JSON on stdin."),
    metrics_port: Optional[int] = typer.Option(None, "--metrics-port", metavar="N", help="Serve Prometheus metrics on this port (/metrics)."),
    metrics_host: str = typer.Option("127.0.0.1", "--metrics-host", metavar="ADDR", help="Address the metrics listen on (default loopback)."),
    metrics_textfile: Optional[Path] = typer.Option(None, "--metrics-textfile", metavar="PATH", help="Also write the metrics here after each cycle (node_exporter's textfile collector)."),
    concurrency: Optional[int] = typer.Option(None, "--concurrency", metavar="N", help="Requests in flight per target (default 4)."),
    timeout: Optional[float] = typer.Option(None, "--timeout", metavar="SECONDS", help="Deadline per request in seconds (default 90)."),
) -> None:
    """Probe targets on a schedule, record every cycle, report drift; stop with Ctrl-C or SIGTERM."""
    import os

    from relaycheck.app import ProbeOptions
    from relaycheck.monitor import WatchOptions, watch

    if metrics_port is not None and not 0 < metrics_port < 65536:
        raise UsageError("--metrics-port must be a port number (1 to 65535)")
    probe_opts = ProbeOptions(targets_file=targets, base_url=base_url, models=tuple(model), api_key_env=api_key_env, profile=profile,
                              only=tuple(check), skip=tuple(skip_check), concurrency=concurrency, timeout_s=timeout, progress=False)
    opts = WatchOptions(every=every, jitter=jitter, cycles=cycles, history=history, max_cost_per_day=max_cost_per_day, on_drift=on_drift,
                        metrics_port=metrics_port, metrics_host=metrics_host, metrics_textfile=metrics_textfile)
    raise typer.Exit(watch(probe_opts, opts, os.environ, sys.stderr))


@app.command("history")
@_guarded
def history_cmd(
    history: Optional[Path] = typer.Option(None, "--history", metavar="PATH", help="The history database (default: $RELAYCHECK_HISTORY, else the user's data directory)."),
    target: Optional[str] = typer.Option(None, "--target", metavar="NAME", help="Only this target."),
    last: Optional[int] = typer.Option(None, "--last", metavar="N", help="Only the last N runs of each target."),
    fmt: str = typer.Option("terminal", "--format", "-f", metavar="FORMAT", help="terminal, md, json or html (a timeline picture per target)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", metavar="PATH", help="Write it here instead of stdout (- for stdout)."),
    lang: str = typer.Option("en", "--lang", metavar="en|zh", help="en or zh."),
) -> None:
    """Show recorded runs: each check's verdicts over time, when findings appeared and cleared, and drift."""
    import os

    from relaycheck.app import named_secrets
    from relaycheck.monitor import HistoryOptions, show
    from relaycheck.output.write import check_writable
    from relaycheck.redaction.redact import Redactor

    out_path = _or_stdout(output)
    if out_path is not None:
        check_writable(out_path)
    if lang not in ("en", "zh"):
        raise UsageError("--lang must be en or zh")
    opts = HistoryOptions(path=history, target=target, last=last, fmt=fmt, output=out_path, lang=lang, width=terminal_width(sys.stdout))
    raise typer.Exit(show(opts, os.environ, sys.stdout, Redactor(named_secrets(os.environ))))


@app.command()
@_guarded
def enroll(
    base_url: Optional[str] = typer.Option(None, "--base-url", metavar="URL", help="The endpoint you trust, e.g. the official API (default: $OPENAI_BASE_URL)."),
    model: str = typer.Option(..., "--model", "-m", metavar="MODEL", help="The model to enrol."),
    output: Path = typer.Option(..., "--output", "-o", metavar="PATH", help="Where to write the reference (JSON)."),
    api_key_env: Optional[str] = typer.Option(None, "--api-key-env", metavar="VAR", help="Environment variable holding the key (default OPENAI_API_KEY)."),
    samples: int = typer.Option(50, "--samples", metavar="N", help="Requests per categorical prompt (12 prompts, one-token answers)."),
    seed: Optional[int] = typer.Option(None, "--seed", metavar="N", help="Seed of the requests, for a reproducible enrolment (default: random)."),
    max_cost: Optional[float] = typer.Option(None, "--max-cost", metavar="AMOUNT", help="Refuse to start when enrolment may cost more than this (needs --price)."),
    price: List[str] = typer.Option([], "--price", metavar="MODEL=IN/OUT", help="Price per 1M tokens, MODEL=INPUT/OUTPUT."),
    concurrency: Optional[int] = typer.Option(None, "--concurrency", metavar="N", help="Requests in flight (default 4)."),
    timeout: Optional[float] = typer.Option(None, "--timeout", metavar="SECONDS", help="Deadline per request in seconds (default 90)."),
) -> None:
    """Sample one-token answers to fixed categorical prompts from a trusted endpoint into a behaviour reference."""
    from relaycheck.app import EnrollOptions
    from relaycheck.app import enroll as run_enroll

    opts = EnrollOptions(model=model, output=output, base_url=base_url, api_key_env=api_key_env, samples=samples, seed=seed,
                         concurrency=concurrency, timeout_s=timeout, max_cost=max_cost, prices=tuple(price))
    raise typer.Exit(run_enroll(opts))


@app.command()
@_guarded
def checks(
    profile: Optional[str] = typer.Option(None, "--profile", metavar="NAME", help="Only the checks of this profile."),
    lang: str = typer.Option("en", "--lang", metavar="en|zh", help="en or zh for the titles (both are always listed in --json)."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable list."),
) -> None:
    """List the checklist: ids, severities, titles (English and Chinese)."""
    import json

    from relaycheck.core import checklist

    cat = checklist.load()
    ids = cat.select(profile) if profile else cat.ids
    specs = [cat.get(i) for i in ids]
    if as_json:
        from relaycheck.checks import registry

        impls = registry()
        # Versioned like the report (relaycheck schema checks prints its JSON Schema).
        listed = [{"id": s.id, "severity": s.severity, "per_model": s.per_model, "deep": s.deep, "title": s.title,
                   "protocols": list(impls[s.id].protocols) if s.id in impls else []} for s in specs]
        typer.echo(json.dumps({"schema_version": CHECKS_SCHEMA_VERSION, "checks": listed}, ensure_ascii=False, indent=2))
        return
    width = max(len(s.id) for s in specs)
    for s in specs:
        other = "zh" if lang == "en" else "en"
        typer.echo(f"{s.id:<{width}}  {s.severity:<8}  {s.text('title', lang)} / {s.text('title', other)}")


@app.command("schema")
@_guarded
def schema_cmd(
    name: str = typer.Argument("report", metavar="[report|checks]", help="Which document: the JSON report (the default) or checks --json."),
) -> None:
    """Print the JSON Schema (draft 2020-12) of the JSON report or of `checks --json`."""
    from relaycheck.report.schema import SCHEMAS, schema_text

    if name not in SCHEMAS:
        raise UsageError(f"unknown schema {name!r}; valid: {', '.join(SCHEMAS)}")
    sys.stdout.write(schema_text(name))


@app.command("models")
@_guarded
def models_cmd(
    fmt: str = typer.Option("terminal", "--format", "-f", metavar="FORMAT", help="terminal or json (json carries each entry's source)."),
    color: Optional[bool] = typer.Option(None, "--color/--no-color", help="Force colour on or off."),
) -> None:
    """List the model catalogue: limits, tokenizer and list prices of the models relays sell, each with its source."""
    from relaycheck.core.models import catalogue
    from relaycheck.render.models import FORMATS, render_models

    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}; valid formats: {', '.join(FORMATS)}")
    sys.stdout.write(render_models(catalogue().values(), fmt, color=use_color(color, sys.stdout)))


@app.command("report")
@_guarded
def report_cmd(
    source: Path = typer.Argument(..., help="A JSON report written by `relaycheck probe --format json`."),
    fmt: str = typer.Option("terminal", "--format", "-f", metavar="FORMAT", help="terminal, json, md, junit or html."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", metavar="PATH", help="Write the report here instead of stdout (- for stdout)."),
    lang: str = typer.Option("en", "--lang", metavar="en|zh", help="en or zh (terminal, Markdown, HTML)."),
    bundle: Optional[Path] = typer.Option(None, "--bundle", metavar="DIR", help="Also write an evidence bundle into this new directory."),
    fail_on: Optional[str] = typer.Option(None, "--fail-on", metavar="SEVERITY", help="Exit 1 when a check of this severity or higher failed in the report (info, low, medium, high, critical, none); without it the exit code is 0."),
    color: Optional[bool] = typer.Option(None, "--color/--no-color", help="Force colour on or off."),
) -> None:
    """Render a saved JSON report in any format, without probing again."""
    from relaycheck.core.checklist import FAIL_ON
    from relaycheck.output.write import OutputOptions, rerender

    if fail_on is not None and fail_on not in FAIL_ON:
        raise UsageError(f"--fail-on must be one of {', '.join(FAIL_ON)}")
    opts = OutputOptions(fmt=fmt, output=_or_stdout(output), lang=lang, color=use_color(color, sys.stdout), bundle=bundle,
                         width=terminal_width(sys.stdout))
    raise typer.Exit(rerender(source, opts, sys.stdout, fail_on))


@app.command("verify-bundle")
@_guarded
def verify_bundle(directory: Path = typer.Argument(..., help="A directory written by --bundle.")) -> None:
    """Check an evidence bundle against its MANIFEST.sha256: exit 0 when intact, 1 when anything changed."""
    from relaycheck.output.bundle import verify

    result = verify(directory)
    for problem in result.problems:
        typer.echo(f"FAILED {problem}")
    if result.problems:
        typer.echo(f"{directory}: {len(result.problems)} problem(s); the bundle was changed after it was written")
        raise typer.Exit(1)
    typer.echo(f"{directory}: OK, {result.verified} files match MANIFEST.sha256 (sha256 {result.manifest_sha256})")


@app.command("demo-relay")
@_guarded
def demo_relay(
    fault: Optional[str] = typer.Option(None, "--fault", metavar="NAME", help="Switch on one misbehaviour (see --list-faults)."),
    host: str = typer.Option("127.0.0.1", "--host", metavar="ADDRESS", help="Loopback address to listen on."),
    port: int = typer.Option(8080, "--port", metavar="PORT", help="Port (0 picks a free one)."),
    key_env: Optional[str] = typer.Option(None, "--key-env", metavar="VAR", help="Accept only the key in this environment variable (default: the demo key sk-demo-relay)."),
    ttft_ms: float = typer.Option(30.0, "--ttft-ms", metavar="MS", help="Delay before the first token."),
    token_ms: float = typer.Option(3.0, "--token-ms", metavar="MS", help="Delay between streamed tokens."),
    latency_ms: float = typer.Option(0.0, "--latency-ms", metavar="MS", help="Delay added before every answer (a slow relay)."),
    list_faults: bool = typer.Option(False, "--list-faults", help="List the faults and exit."),
) -> None:
    """Serve the demo relay on a loopback port until interrupted."""
    import os

    from relaycheck.demo import faults
    from relaycheck.demo.server import DEMO_RELAY_KEY, DemoRelay

    if list_faults:
        width = max(len(name) for name in faults.FAULTS)
        for f in faults.FAULTS.values():
            typer.echo(f"{f.name:<{width}}  {f.description}")
        return
    chosen = faults.get(fault)
    key = DEMO_RELAY_KEY
    if key_env:
        key = os.environ.get(key_env) or ""
        if not key:
            raise UsageError(f"environment variable {key_env} (--key-env) is not set")
    relay = DemoRelay(host=host, port=port, fault=chosen, key=key, ttft_ms=ttft_ms, token_ms=token_ms, latency_ms=latency_ms)
    try:
        relay.bind()
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    accepts = f"the key in ${key_env}" if key_env else f"the key {DEMO_RELAY_KEY}"
    typer.echo(f"demo relay{' with fault ' + chosen.name if chosen else ''}: base URL {relay.base_url}, accepts {accepts} (Ctrl-C to stop)")
    sys.stdout.flush()
    try:
        relay.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        relay.stop()


def main() -> None:
    """Entry point (typer reports its own usage errors with exit code 2)."""
    app()
