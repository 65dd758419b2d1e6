"""The probe command's logic, with the environment and output streams injected (the CLI stays thin)."""

from __future__ import annotations

import os
import secrets
import sys
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Callable, Mapping

from relaycheck.core import checklist
from relaycheck.core.i18n import label

from relaycheck.run import costcap
from relaycheck.core.checklist import FAIL_ON
from relaycheck.core.exits import UsageError
from relaycheck.wire.exchange import Exchange
from relaycheck.run.plan import TargetPlan, for_protocol, plan_target
from relaycheck.redaction.redact import GuardedStream, Redactor, register, register_secrets
from relaycheck.output.console import reader_may_leave, use_color
from relaycheck.output.console import width as terminal_width
from relaycheck.output.write import OutputOptions, check_writable, emit
from relaycheck.render.plan import render_plan
from relaycheck.output.write import validate as validate_output
from relaycheck.report.model import failing
from relaycheck.run.runner import RunOptions, run_all_sync
from relaycheck.report.seal import build_report
from relaycheck.probes.errors import wrong_key
from relaycheck.config.targets import ENV_NAME, MIN_KEY_LENGTH, PROTOCOLS, Price, Pricing, RateLimitProbe, Target, TargetKeys, load_targets, resolve_keys, target_from_flags
from relaycheck.config.targets import reference_for, with_headers
from relaycheck.config.headers import from_flags as header_flags
from relaycheck.config.headers import parse_auth
from relaycheck.core.reference import DEFAULT_ALPHA, DEFAULT_REQUESTS, BehaviourSpec
from relaycheck.core.reference import load as load_reference

DEMO_HOST_NAME = "relay-demo.invalid"  # reserved TLD: can never resolve to a real host
MIN_BODY_CAP = 64 * 1024  # the long probe's honest 1,500-token reply is about 10 KB of JSON; room for far more
MAX_BODY_CAP = 16 * 1024 * 1024  # the drain cap: nothing past it is read anyway


@dataclass(frozen=True)
class ProbeOptions:
    """Everything `relaycheck probe` was asked to do."""

    targets_file: Path | None = None
    base_url: str | None = None
    models: tuple[str, ...] = ()
    api_key_env: str | None = None
    empty_key_env: str | None = None
    rate_limit_requests: int | None = None
    rate_limit_concurrency: int = 4
    idle_timeout_s: float | None = None
    retry_wait_s: float | None = None  # --retry-wait: the total Retry-After waiting per target
    deadline_s: float | None = None  # --deadline: the whole run per target
    demo: bool = False
    fault: str | None = None
    profile: str | None = None
    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    fmt: str = "terminal"
    output: Path | None = None
    fail_on: str = "medium"
    concurrency: int | None = None
    timeout_s: float | None = None
    body_cap: int = 512 * 1024
    progress: bool = True
    dry_run: bool = False
    max_cost: float | None = None
    prices: tuple[str, ...] = ()  # MODEL=IN/OUT per 1M tokens, for runs without a targets file
    currency: str = "USD"
    color: bool | None = None
    debug: bool = False
    lang: str = "en"
    bundle: Path | None = None
    reference: Path | None = None  # --reference: a behaviour reference (relaycheck enroll) for models.behaviour
    behaviour_alpha: float | None = None  # --behaviour-alpha: its false-accusation bound (default 0.01)
    behaviour_requests: int | None = None  # --behaviour-requests: its request budget per model (default 60)
    behaviour_seed: int | None = None  # --behaviour-seed: a reproducible run (default: a fresh random seed)
    agent_user_agent: bool = False  # --agent-user-agent: integrity.conditional also asks as agent clients
    protocol: str | None = None  # --protocol: the wire format of a one-target run (openai, anthropic, responses)
    headers: tuple[str, ...] = ()  # --header 'NAME: VALUE', added to every target's headers
    header_envs: tuple[str, ...] = ()  # --header-env NAME=VARIABLE (a secret from the environment)
    auth: str | None = None  # --auth: where the key goes (bearer, api-key, x-api-key, query)
    history: Path | None = None  # --history PATH: record the run in this history database
    record: bool = False  # --record: record it in the default history ($RELAYCHECK_HISTORY, else the data directory)


@dataclass
class Streams:
    """Where output goes; tests inject StringIO."""

    stdout: IO[str] = field(default_factory=lambda: sys.stdout)
    stderr: IO[str] = field(default_factory=lambda: sys.stderr)


def _output_options(opts: ProbeOptions, streams: Streams, env: Mapping[str, str]) -> OutputOptions:
    return OutputOptions(fmt=opts.fmt, output=opts.output, lang=opts.lang, color=use_color(opts.color, streams.stdout, env),
                         bundle=opts.bundle, width=terminal_width(streams.stdout, env))


def _validate(opts: ProbeOptions) -> None:
    if opts.fail_on not in FAIL_ON:
        raise UsageError(f"--fail-on must be one of {', '.join(FAIL_ON)}")
    modes = sum(bool(x) for x in (opts.demo, opts.targets_file, opts.base_url))
    if modes > 1:
        raise UsageError("use only one of --demo, -t/--targets and --base-url")
    if opts.fault and not opts.demo:
        raise UsageError("--fault only applies to --demo")
    if opts.concurrency is not None and not 1 <= opts.concurrency <= 64:
        raise UsageError("--concurrency must be from 1 to 64")
    if opts.timeout_s is not None and not 1 <= opts.timeout_s <= 3600:
        raise UsageError("--timeout must be from 1 to 3600 seconds")
    if opts.deadline_s is not None and not 1 <= opts.deadline_s <= 86400:
        raise UsageError("--deadline must be from 1 to 86400 seconds")
    if opts.retry_wait_s is not None and not 0 <= opts.retry_wait_s <= 3600:
        raise UsageError("--retry-wait must be from 0 to 3600 seconds")
    if opts.idle_timeout_s is not None and not 0.5 <= opts.idle_timeout_s <= 3600:
        raise UsageError("--idle-timeout must be from 0.5 to 3600 seconds")
    if opts.rate_limit_requests is not None and not 1 <= opts.rate_limit_requests <= 1000:
        raise UsageError("--rate-limit-probe must be from 1 to 1000 requests")
    if not 1 <= opts.rate_limit_concurrency <= 64:
        raise UsageError("--rate-limit-concurrency must be from 1 to 64")
    if not MIN_BODY_CAP <= opts.body_cap <= MAX_BODY_CAP:
        # Below the floor an honest reply is cut and then blamed on the relay ("the body is not a JSON object").
        raise UsageError(f"--body-cap must be from {MIN_BODY_CAP} to {MAX_BODY_CAP} bytes")
    if opts.max_cost is not None and opts.max_cost < 0:
        raise UsageError("--max-cost must not be negative")
    _parse_prices(opts)
    if opts.behaviour_alpha is not None and not 1e-9 <= opts.behaviour_alpha <= 0.5:
        raise UsageError("--behaviour-alpha must be from 1e-9 to 0.5")
    if opts.behaviour_requests is not None and not 1 <= opts.behaviour_requests <= 2000:
        raise UsageError("--behaviour-requests must be from 1 to 2000")
    if opts.empty_key_env is not None and not ENV_NAME.match(opts.empty_key_env):
        raise UsageError(f"--empty-key-env must be an environment variable name, not {opts.empty_key_env!r}")
    if opts.protocol is not None and opts.protocol not in PROTOCOLS:
        raise UsageError(f"--protocol must be one of {', '.join(PROTOCOLS)}, not {opts.protocol!r}")


def _named_secrets(opts: ProbeOptions, env: Mapping[str, str]) -> list[str]:
    """Values of the key variables the options name (and OPENAI_API_KEY, the default), as redaction secrets."""
    return named_secrets(env, opts.api_key_env or "", opts.empty_key_env or "")


def named_secrets(env: Mapping[str, str], *names: str) -> list[str]:
    """Values of OPENAI_API_KEY and of the variables named, as redaction secrets (for every command that prints)."""
    # Only these: any other variable's value (a host name, a word) would be masked in every summary.
    wanted = {"OPENAI_API_KEY", *names}
    values = (env.get(name) or "" for name in wanted if name and ENV_NAME.match(name))
    # Shorter values could not be told from ordinary text (resolve_keys refuses them as keys for the same reason).
    return [v.strip() for v in values if len(v.strip()) >= MIN_KEY_LENGTH]


def _parse_prices(opts: ProbeOptions) -> dict[str, Price]:
    """--price MODEL=IN/OUT (per 1M tokens) into prices."""
    prices = {}
    for item in opts.prices:
        model, _, pair = item.partition("=")
        parts = pair.split("/")
        try:
            values = [float(v) for v in parts]
        except ValueError:
            values = []
        if not model or len(values) != 2 or min(values) < 0:
            raise UsageError(f"--price must look like MODEL=INPUT/OUTPUT per 1M tokens (e.g. gpt-4o-mini=0.15/0.6), not {item!r}")
        prices[model] = Price(values[0], values[1])
    return prices


def _with_overrides(target: Target, opts: ProbeOptions) -> Target:
    from dataclasses import replace

    changes: dict = {}
    if opts.concurrency is not None:
        changes["concurrency"] = opts.concurrency
    if opts.timeout_s is not None:
        changes["timeout_s"] = opts.timeout_s
    if opts.idle_timeout_s is not None:
        changes["idle_timeout_s"] = opts.idle_timeout_s
    if opts.retry_wait_s is not None:
        changes["retry_wait_s"] = opts.retry_wait_s
    if opts.deadline_s is not None:
        changes["deadline_s"] = opts.deadline_s
    if opts.empty_key_env is not None and not opts.demo:
        changes["empty_key_env"] = opts.empty_key_env
    if opts.agent_user_agent:
        changes["agent_user_agent"] = True
    if opts.protocol is not None and not opts.demo:
        changes["protocol"] = opts.protocol
    extra = header_flags(opts.headers, opts.header_envs)
    if extra:
        added = {h.name.lower() for h in extra}
        changes["headers"] = tuple(h for h in target.headers if h.name.lower() not in added) + extra
    if opts.auth is not None:
        changes["auth"] = parse_auth(opts.auth, "--auth")
    if opts.rate_limit_requests is not None:
        changes["rate_limit_probe"] = RateLimitProbe(opts.rate_limit_requests, opts.rate_limit_concurrency)
    if opts.prices:
        known = dict(target.pricing.models) if target.pricing else {}
        currency = target.pricing.currency if target.pricing else opts.currency
        changes["pricing"] = Pricing(currency=currency, models={**known, **_parse_prices(opts)})
    spec = _behaviour_spec(opts) or target.reference
    if spec is not None:
        spec = replace(spec, alpha=opts.behaviour_alpha if opts.behaviour_alpha is not None else spec.alpha,
                       requests=opts.behaviour_requests or spec.requests, seed=opts.behaviour_seed if opts.behaviour_seed is not None else spec.seed)
        changes["reference"] = reference_for(spec, target.models, f"target {target.name!r}")
    return replace(target, **changes) if changes else target


def _behaviour_spec(opts: ProbeOptions) -> BehaviourSpec | None:
    """--reference read (a missing or malformed file is a UsageError: one line, exit 2), with its defaults."""
    if opts.reference is None:
        return None
    return BehaviourSpec(load_reference(opts.reference), str(opts.reference), DEFAULT_ALPHA, DEFAULT_REQUESTS, secrets.randbits(62))


NOTHING_TO_PROBE = ("nothing to probe: give --base-url URL --model MODEL (the key from $OPENAI_API_KEY), -t targets.yaml, "
                    "or --demo to try the embedded demo relay (see relaycheck probe --help)")


def _load_targets(opts: ProbeOptions, env: Mapping[str, str]) -> tuple[Target, ...]:
    if opts.targets_file is not None:
        return load_targets(opts.targets_file)
    if not opts.base_url and not opts.models:
        raise UsageError(NOTHING_TO_PROBE)
    return (target_from_flags(opts.base_url, opts.models, opts.api_key_env or "OPENAI_API_KEY", env),)


def _targets_and_keys(opts: ProbeOptions, env: Mapping[str, str]) -> tuple[tuple[Target, ...], dict[str, TargetKeys]]:
    """The targets of a targets file or the flags, with the command line's overrides, and their keys (a dry run
    reads no key: the plan can be checked before any secret is exported)."""
    targets = tuple(_with_overrides(t, opts) for t in _load_targets(opts, env))
    return targets, {} if opts.dry_run else {t.name: resolve_keys(t, env, wrong=wrong_key()) for t in targets}


def prepared_targets(opts: ProbeOptions, env: Mapping[str, str]) -> tuple[tuple[Target, ...], dict[str, TargetKeys]]:
    """The targets and keys `probe` would use for these options, their secrets registered first (for watch)."""
    register_secrets(_named_secrets(opts, env))
    _validate(opts)
    return _targets_and_keys(opts, env)


def probe(opts: ProbeOptions, env: Mapping[str, str] | None = None, streams: Streams | None = None) -> int:
    """Run a probe end to end; return the exit code. UsageError propagates for the CLI to report."""
    env = os.environ if env is None else env
    streams = streams or Streams()
    # Before anything can fail or print (a key pasted into --base-url is quoted by its error): the keys named on
    # the command line, and the usual key variables, are secrets from the first line on.
    register_secrets(_named_secrets(opts, env))
    _validate(opts)
    output_opts = _output_options(opts, streams, env)
    validate_output(output_opts)
    if opts.history is not None:
        from relaycheck.history.store import check_location

        check_location(opts.history)
    cat = checklist.load()
    with ExitStack() as stack:
        host_map: tuple[tuple[str, str], ...] = ()
        if opts.demo:
            targets, keys, host_map = _start_demo(opts, env, stack)
            targets = tuple(_with_overrides(t, opts) for t in targets)
            keys = {t.name: with_headers(keys[t.name], t, env) for t in targets}
        else:  # overrides first: --empty-key-env decides which keys must be read
            targets, keys = _targets_and_keys(opts, env)
        # Registered before anything else can fail, so that every later error line is redacted with the keys.
        redactor = register(Redactor(k for ks in keys.values() for k in ks.all()))
        check_ids = cat.select(opts.profile, opts.only, opts.skip)
        out = GuardedStream(streams.stdout, redactor, "stdout")
        err = GuardedStream(streams.stderr, redactor, "stderr")
        plans = tuple(plan_target(t, for_protocol(check_ids, t.protocol, named=bool(opts.only))) for t in targets)
        costcap.enforce(plans, opts.max_cost)  # before the first request
        if opts.dry_run:
            with reader_may_leave():
                out.write(redactor.assert_clean(render_plan(plans, opts.max_cost, opts.fmt, opts.lang), "stdout"))
                out.flush()
            return 0
        options = RunOptions(body_cap=opts.body_cap, host_map=host_map, debug=opts.debug, max_cost=opts.max_cost)
        started, finished, runs = _run_with_progress(plans, keys, options, opts, err, redactor, use_color(opts.color, streams.stderr, env))
        report = build_report(runs, keys, started, finished, opts.profile or cat.default_profile, opts.fail_on, redactor)
        with reader_may_leave():
            emit(report, output_opts, out, redactor)
            if opts.record or opts.history is not None:  # after the report: a database problem never costs the run
                from relaycheck.monitor import record_or_warn

                err.write(record_or_warn(report, opts.history, env, redactor))
                err.flush()
        return 1 if failing(report) else 0


DEMO_KEY_ENV = "RELAYCHECK_DEMO_KEY"
DEMO_EMPTY_KEY_ENV = "RELAYCHECK_DEMO_EMPTY_KEY"
DEMO_RATE_LIMIT_PROBE = RateLimitProbe(requests=60, concurrency=4)
DEMO_IDLE_TIMEOUT_S = 2.0  # the demo answers within milliseconds; a stalled stream should not take 30 s to show
DEMO_BILLING_SETTLE_S = 5.0  # the delayed_billing fault books 1.5 s late
DEMO_STALL_THRESHOLD_S = 1.0  # the demo's pacing gaps are milliseconds (a loaded machine stretches them); its long_stall fault pauses 1.5 s
# The demo's long replies: 600 tokens, not a real target's 1,500. They exercise the same checks (a cut after 300 tokens,
# a pause halfway, a reset at the end), and a stream of 1,500 events was 85% of every demo report, of its bundle
# and of the work of writing, rendering and scanning them.
DEMO_LONG_REPLY_TOKENS = 600


def _start_demo(opts: ProbeOptions, env: Mapping[str, str], stack: ExitStack):
    """Start the demo relay; return its target (with both opt-ins configured), keys and host mapping."""
    from relaycheck.demo import faults
    from relaycheck.demo.ledger import PRICES as DEMO_PRICES
    from relaycheck.demo.model import DEFAULT_MODEL, MODELS, OTHER_VENDOR_MODEL
    from relaycheck.demo.server import DemoRelay

    fault = faults.get(opts.fault)
    # The demo accepts only these keys: generated ones, or the named variables' (canary tests use those).
    key = env.get(opts.api_key_env) if opts.api_key_env else None
    if opts.api_key_env and not key:
        raise UsageError(f"environment variable {opts.api_key_env} (--api-key-env) is not set")
    key = key or "sk-demo-" + secrets.token_urlsafe(24)
    empty = (env.get(opts.empty_key_env) if opts.empty_key_env else None) or "sk-demo-empty-" + secrets.token_urlsafe(24)
    protocol = opts.protocol or (fault.protocol if fault else "openai")
    # Claude's and Gemini's names for their own protocols.
    default = {"anthropic": OTHER_VENDOR_MODEL, "gemini": "gemini-2.5-flash"}.get(protocol, DEFAULT_MODEL)
    models = opts.models or (fault.models if fault and fault.models else (default,))
    unknown = [m for m in models if m not in MODELS]
    if unknown:
        raise UsageError(f"the demo relay serves {', '.join(MODELS)}; not {', '.join(unknown)}")
    relay = DemoRelay(fault=fault, key=key, empty_key=empty)
    if not opts.dry_run:  # a dry run describes the plan: nothing listens, nothing is sent
        stack.enter_context(relay)
    host_map: tuple[tuple[str, str], ...] = ()
    addressing = fault.addressing if fault else "v1"
    if protocol in ("anthropic", "gemini"):
        base = relay.origin  # the Anthropic and Gemini SDKs' bases have no /v1: the demo serves {origin}/v1/messages, /v1beta/...
    elif addressing == "origin":
        base = relay.origin
    elif addressing == "plain_http":
        base = f"http://{DEMO_HOST_NAME}:{relay.port}/v1"
        host_map = ((DEMO_HOST_NAME, relay.host),)
    else:
        base = relay.base_url
    name = "demo-relay" + (f" (fault {fault.name})" if fault else "")
    target = Target(
        name=name, base_url=base, api_key_env=opts.api_key_env or DEMO_KEY_ENV, models=tuple(models),
        idle_timeout_s=DEMO_IDLE_TIMEOUT_S, empty_key_env=opts.empty_key_env or DEMO_EMPTY_KEY_ENV,
        rate_limit_probe=DEMO_RATE_LIMIT_PROBE, stall_threshold_s=DEMO_STALL_THRESHOLD_S,
        pricing=Pricing("USD", {m: Price(*p) for m, p in DEMO_PRICES.items()}), billing="auto", billing_settle_s=DEMO_BILLING_SETTLE_S,
        agent_user_agent=True, protocol=protocol, long_reply_tokens=DEMO_LONG_REPLY_TOKENS,
    )
    return (target,), {name: TargetKeys(main=key, empty=empty, wrong=wrong_key())}, host_map


def _debug_line(name: str, exchange: Exchange) -> str:
    status = exchange.status if exchange.status is not None else f"{exchange.error_kind} error"
    return (
        f"debug: [{name}] {exchange.id} {exchange.probe} {exchange.method} {exchange.url} -> {status} "
        f"in {exchange.timings.end_ms or 0:.0f} ms ({exchange.body_bytes} bytes, {exchange.events_total} events)\n"
    )


def _run_with_progress(plans: tuple[TargetPlan, ...], keys, options: RunOptions, opts: ProbeOptions, err: IO[str], redactor: Redactor,
                       color: bool = False):
    """Run all targets; show a progress display on a terminal (coloured as the report is) and, with --debug, one
    redacted line per exchange."""
    show = opts.progress and hasattr(err, "isatty") and err.isatty()
    callbacks: list[Callable[[str, Exchange], None]] = []
    if opts.debug:
        callbacks.append(lambda name, x: err.write(redactor.text(_debug_line(name, x))))
    if not show:
        hook = (lambda name, x: [cb(name, x) for cb in callbacks]) if callbacks else None
        return run_all_sync(plans, keys, options, hook)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(file=err, no_color=not color, force_terminal=True)  # shown only on a terminal (above)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console, transient=True) as progress:
        tasks = {p.target.name: progress.add_task(label("probing", opts.lang, name=p.target.name), total=p.max_requests) for p in plans}
        callbacks.append(
            lambda name, x: progress.update(tasks[name], advance=1, description=f"{name}: {x.probe} {x.model or ''}".strip())
        )
        result = run_all_sync(plans, keys, options, lambda name, x: [cb(name, x) for cb in callbacks])
        for task in tasks.values():  # fewer requests than the ceiling is normal: show the bars full
            progress.update(task, completed=progress.tasks[task].total)
        return result


@dataclass(frozen=True)
class EnrollOptions:
    """Everything `relaycheck enroll` was asked to do."""

    model: str
    output: Path
    base_url: str | None = None
    api_key_env: str | None = None
    samples: int = 50
    seed: int | None = None  # a reproducible enrolment (default: a fresh random seed)
    concurrency: int | None = None
    timeout_s: float | None = None
    max_cost: float | None = None
    prices: tuple[str, ...] = ()
    currency: str = "USD"


MIN_ENROLLED_SHARE = 0.5  # fewer usable answers than this share of the requests: the endpoint is not answering


def enroll(opts: EnrollOptions, env: Mapping[str, str] | None = None, streams: Streams | None = None) -> int:
    """Sample the categorical prompts from a trusted endpoint and write the reference; return the exit code."""
    from relaycheck.core.reference import to_json
    from relaycheck.output.write import atomic_text
    from relaycheck.run.enroll import MAX_SAMPLES, cost, enrol

    env = os.environ if env is None else env
    streams = streams or Streams()
    probe_opts = ProbeOptions(base_url=opts.base_url, models=(opts.model,), api_key_env=opts.api_key_env, prices=opts.prices,
                              currency=opts.currency, max_cost=opts.max_cost, concurrency=opts.concurrency, timeout_s=opts.timeout_s)
    register_secrets(_named_secrets(probe_opts, env))
    _validate(probe_opts)
    if not 1 <= opts.samples <= MAX_SAMPLES:
        raise UsageError(f"--samples must be from 1 to {MAX_SAMPLES}")
    check_writable(opts.output)  # before anything is spent on samples that could not be written
    target = _with_overrides(target_from_flags(opts.base_url, (opts.model,), opts.api_key_env or "OPENAI_API_KEY", env), probe_opts)
    key = resolve_keys(target, env).main
    redactor = register(Redactor([key]))
    err = GuardedStream(streams.stderr, redactor, "stderr")
    ceiling = cost(opts.model, opts.samples)
    price = target.pricing.for_model(opts.model) if target.pricing else None
    most = (ceiling.prompt_tokens * price.input + ceiling.completion_tokens * price.output) / 1_000_000 if price else None
    if opts.max_cost is not None:
        if most is None:
            raise UsageError(f"a cost cap needs a price for {opts.model} (--price {opts.model}=IN/OUT)")
        if most > opts.max_cost:
            raise UsageError(f"enrolment may cost up to {most:.6f} {target.pricing.currency}, above the cap of {opts.max_cost:g}; use fewer --samples")
    err.write(f"enrolling {opts.model} at {target.name}: {ceiling.requests} requests, at most {ceiling.max_tokens} tokens\n")
    result = enrol(target, key, opts.samples, opts.seed if opts.seed is not None else secrets.randbits(62), opts.max_cost)
    retried = sum(1 for x in result.exchanges if x.retry_of)
    requests = len(result.exchanges) - retried
    if result.usable < MIN_ENROLLED_SHARE * ceiling.requests:
        failed = next((x for x in result.exchanges if not x.ok), None)
        what = None if failed is None else f"HTTP {failed.status}" if failed.status is not None else f"{failed.error_kind} error: {failed.error}"
        why = f"; e.g. {what}" if what else ""
        err.write(redactor.text(f"relaycheck: enrolment failed: only {result.usable} of {requests} replies were usable one-word answers"
                                f"{why}; nothing was written\n"))
        err.flush()
        return 1
    with atomic_text(opts.output) as handle:
        handle.write(redactor.assert_clean(to_json(result.reference), str(opts.output)))
    again = f" ({retried} retried after a 429)" if retried else ""
    err.write(f"enrolled {opts.model}: {result.usable} usable answers of {requests} requests{again} over {len(result.reference.counts)} prompts; "
              f"reference written to {opts.output}\n")
    err.flush()
    return 0
