"""Targets: load and validate targets.yaml or the CLI flags; keys come only from environment variables."""

from __future__ import annotations

import math
import os
import re
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Mapping

import httpx
import yaml

from relaycheck.core.exits import UsageError
from relaycheck.core.files import read_capped
from relaycheck.core.reference import DEFAULT_ALPHA, DEFAULT_REQUESTS, BehaviourSpec
from relaycheck.redaction.redact import KEY_SHAPE
from relaycheck.config.headers import Header, parse_auth, parse_headers
from relaycheck.config.headers import resolve as resolve_headers

REQUIRED_KEYS = ("name", "base_url", "api_key_env", "models")
OPTIONAL_KEYS = (
    "concurrency", "timeout_s", "idle_timeout_s", "empty_key_env", "rate_limit_probe", "long_reply_tokens", "stall_threshold_s", "context_depths",
    "pricing", "max_cost", "max_cost_per_day", "billing", "billing_settle_s", "retry_wait_s", "deadline_s", "reference", "agent_user_agent", "protocol",
    "headers", "auth",
)
VALID_KEYS = REQUIRED_KEYS + OPTIONAL_KEYS
PROTOCOLS = ("openai", "anthropic", "responses", "gemini")  # the protocols a target may speak (relaycheck.protocol.TARGET_PROTOCOLS)
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
DEFAULT_BASE_URL = "https://api.openai.com/v1"
MIN_KEY_LENGTH = 8  # what the openai SDK uses when nothing is configured


@dataclass(frozen=True)
class RateLimitProbe:
    """Opt-in burst: at most `requests` minimal completions, `concurrency` at a time, stopping at the first 429."""

    requests: int
    concurrency: int = 4


CACHE_WRITE_FACTOR = 1.25  # Anthropic bills a (five-minute) cache write at 1.25 x the input price


@dataclass(frozen=True)
class Price:
    """Advertised price per 1M tokens."""

    input: float
    output: float
    cached_input: float | None = None  # the discounted price of prompt tokens served from the relay's cache
    cache_write: float | None = None  # prompt tokens written to the cache (Anthropic's cache_control); unset: 1.25 x input

    def cost(self, prompt: int, completion: int, cached: int | None = 0, written: int | None = 0) -> float:
        """What a reply costs at these prices: cache reads at cached_input (when advertised), cache writes at
        cache_write (Anthropic's 1.25 x input when not), the rest of the prompt at input."""
        total = prompt * self.input + completion * self.output
        if self.cached_input is not None and isinstance(cached, int) and 0 < cached <= prompt:
            total -= cached * (self.input - self.cached_input)
        if isinstance(written, int) and 0 < written <= prompt:
            write = self.cache_write if self.cache_write is not None else self.input * CACHE_WRITE_FACTOR
            total += written * (write - self.input)
        return total / 1_000_000


@dataclass(frozen=True)
class Pricing:
    """What the relay advertises, per model, in one currency."""

    currency: str
    models: dict[str, Price]

    def for_model(self, model: str) -> Price | None:
        """The price of `model`, by exact name or without a provider prefix."""
        from relaycheck.text.tokens import base_model_name

        return self.models.get(model) or self.models.get(base_model_name(model))


@dataclass(frozen=True)
class Target:
    """One relay to probe: where, which key variable, which models, politeness settings."""

    name: str
    base_url: str
    api_key_env: str
    models: tuple[str, ...]
    concurrency: int = 4
    timeout_s: float = 90.0
    idle_timeout_s: float = 30.0  # longest silence: time to first byte, and gaps inside a stream
    retry_wait_s: float = 60.0  # seconds per run this target's requests may be held by Retry-After, all waits together
    deadline_s: float | None = None  # the whole run against this target (--deadline); nothing is sent past it
    empty_key_env: str | None = None  # opt-in: a key with no balance, for errors.insufficient_balance
    rate_limit_probe: RateLimitProbe | None = None  # opt-in: the burst for errors.rate_limit
    pricing: Pricing | None = None  # advertised prices: the plan then knows its maximum cost
    max_cost: float | None = None  # refuse to start when the planned maximum cost is above this
    max_cost_per_day: float | None = None  # relaycheck watch: skip a cycle that would take today's spend past this
    billing: str | dict | None = None  # opt-in: auto, an adapter name, or {url, field, unit}
    billing_settle_s: float = 30.0  # how long to poll for a delayed balance change after the run
    long_reply_tokens: int = 1500  # length of the long.* reply
    stall_threshold_s: float = 10.0  # longest gap between events of the long stream before long.no_stall fails
    context_depths: tuple[int, ...] = (2000, 8000)  # context.intact's prompt lengths, tried in order (deep profile)
    reference: BehaviourSpec | None = None  # opt-in: a behaviour reference (relaycheck enroll) for models.behaviour
    agent_user_agent: bool = False  # opt-in: integrity.conditional also asks with agent clients' User-Agent strings
    protocol: str = "openai"  # the wire format: openai (Chat Completions), anthropic (Messages) or responses
    headers: tuple[Header, ...] = ()  # extra request headers (relaycheck.config.headers), sent with every request
    auth: str | None = None  # where the key goes when not the protocol's own placement: bearer, api-key, x-api-key, query


def looks_like_key(value: str) -> bool:
    """A literal secret: a provider-shaped key, or a long random token (mixed case and digits, or hex)."""
    if KEY_SHAPE.search(value):
        return True
    token = value.strip()
    if len(token) < 32 or not re.fullmatch(r"[A-Za-z0-9_\-]+", token):
        return False
    if re.fullmatch(r"[0-9a-fA-F]+", token):
        return True
    mixed = any(c.isupper() for c in token) and any(c.islower() for c in token) and any(c.isdigit() for c in token)
    counts = Counter(token)
    entropy = -sum(c / len(token) * math.log2(c / len(token)) for c in counts.values())
    # Model names are lower-case words; random keys mix cases and digits with high per-character entropy.
    return mixed and entropy > 4.0


MAX_FILE_BYTES = 1024 * 1024
MAX_NODES = 100_000  # values after alias expansion; a real targets file has a few hundred
MAX_DEPTH = 32  # nesting levels; a real targets file has about five (targets, a target, pricing, a model, a price)


def _expanded_size(node: Any, limit: int, _memo: dict[int, int] | None = None) -> int:
    """How many values `node` stands for once YAML aliases are expanded, counting shared nodes once each time
    they are referenced (memoised by identity, so a billion-laughs file is measured without being walked)."""
    memo = {} if _memo is None else _memo
    if not isinstance(node, (dict, list)):
        return 1
    if id(node) in memo:
        return memo[id(node)]
    memo[id(node)] = limit  # a self-referencing alias counts as too large
    children = node.values() if isinstance(node, dict) else node
    total = 1
    for child in children:
        total += _expanded_size(child, limit, memo)
        if total >= limit:
            break
    memo[id(node)] = min(total, limit)
    return memo[id(node)]


def _nests_deeper(node: Any, limit: int) -> bool:
    """Whether containers nest more than `limit` deep; iterative, and each shared (aliased) node is walked again only
    when reached deeper than before, so neither depth nor an alias bomb can make it recurse or explode."""
    stack, seen = [(node, 1)], {}
    while stack:
        item, depth = stack.pop()
        if not isinstance(item, (dict, list)) or seen.get(id(item), 0) >= depth:
            continue
        if depth > limit:
            return True
        seen[id(item)] = depth
        stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return False


def _scan_for_literal_keys(node: Any, path: str, source: str) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            _scan_for_literal_keys(value, f"{path}.{key}" if path else str(key), source)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _scan_for_literal_keys(value, f"{path}[{i}]", source)
    elif isinstance(node, str) and looks_like_key(node):
        raise UsageError(
            f"{source}: {path} looks like a literal API key; keys never go in YAML: "
            "put it in an environment variable and name that variable in api_key_env"
        )


_COMMENT = re.compile(r"(?:^|\s)#(.*)$")  # YAML: a # starts a comment at a line's start or after whitespace
_TOKEN = re.compile(r"[A-Za-z0-9_\-]{16,}")


def _scan_comments_for_literal_keys(text: str, source: str) -> None:
    """Comments are part of the file too: a key pasted into one is as exposed as a value (kept in git, shared).
    A # inside a quoted value is read as a comment here as well; refusing its key-looking tail is safe."""
    for n, line in enumerate(text.splitlines(), 1):
        match = _COMMENT.search(line)
        if match and (KEY_SHAPE.search(match.group(1)) or any(looks_like_key(t) for t in _TOKEN.findall(match.group(1)))):
            raise UsageError(
                f"{source}: line {n}: a comment holds what looks like a literal API key; keys never go in YAML, not even in "
                "comments: put it in an environment variable and name that variable in api_key_env"
            )


def validate_base_url(url: str, where: str) -> str:
    """An absolute http(s) URL with a host, no credentials, no key in the query; trailing slash kept as given."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise UsageError(f"{where}: invalid URL: {exc}") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise UsageError(f"{where}: base URL must be an absolute http:// or https:// URL")
    if parsed.userinfo:
        raise UsageError(f"{where}: base URL must not carry credentials (user:password@); use api_key_env")
    if parsed.query:
        raise UsageError(f"{where}: base URL must not have a query string (keys go in api_key_env)")
    if parsed.fragment or "#" in url:
        raise UsageError(f"{where}: base URL must not have a #fragment (it is never sent; the path would be wrong)")
    return url


def _number(raw: dict, key: str, default: float | None, low: float, high: float, where: str, integer: bool = False) -> float:
    """A bounded number from a mapping (bools are not numbers); the error names the key and the range."""
    value = raw.get(key, default)
    kinds = (int,) if integer else (int, float)
    if not isinstance(value, kinds) or isinstance(value, bool) or not low <= value <= high:
        what = "an integer" if integer else "a number"
        raise UsageError(f"{where}: {key} must be {what} from {low:g} to {high:g}")
    return value


def _per_protocol(raw: Any, index: int, source: str) -> list[Any]:
    """A target listing `protocols:` (each with its own base URL, optionally its own models) as one target per
    protocol, named "name (protocol)"; any other entry as it is."""
    if not isinstance(raw, dict) or "protocols" not in raw:
        return [raw]
    where = f"{source}: targets[{index}]"
    listed = raw["protocols"]
    if not isinstance(listed, dict) or not listed:
        raise UsageError(f"{where}: protocols must map each protocol ({', '.join(PROTOCOLS)}) to its base_url")
    clash = sorted(k for k in ("protocol", "base_url") if k in raw)
    if clash:
        raise UsageError(f"{where}: {' and '.join(clash)} cannot stand beside protocols (each protocol names its own base_url)")
    out = []
    for protocol, spec in listed.items():
        spec = {"base_url": spec} if isinstance(spec, str) else spec
        if protocol not in PROTOCOLS or not isinstance(spec, dict) or not set(spec) <= {"base_url", "models"} or "base_url" not in spec:
            raise UsageError(f"{where}: protocols.{protocol}: expected one of {', '.join(PROTOCOLS)} with base_url (and optionally models)")
        name = raw.get("name")
        out.append({**{k: v for k, v in raw.items() if k != "protocols"}, **spec, "protocol": protocol,
                    "name": f"{name} ({protocol})" if isinstance(name, str) else name})
    return out


def _target_from_mapping(raw: Any, index: int, source: str) -> Target:
    where = f"{source}: targets[{index}]"
    if not isinstance(raw, dict):
        raise UsageError(f"{where}: each target must be a mapping with {', '.join(REQUIRED_KEYS)}")
    unknown = sorted(set(raw) - set(VALID_KEYS))
    if "api_key" in unknown:
        raise UsageError(f"{where}: api_key is not allowed; keys are referenced by environment variable name (api_key_env)")
    if unknown:
        raise UsageError(f"{where}: unknown key(s) {', '.join(unknown)}; valid keys: {', '.join(VALID_KEYS)}")
    missing = [k for k in REQUIRED_KEYS if k not in raw]
    if missing:
        raise UsageError(f"{where}: missing {', '.join(missing)}")
    name = raw["name"]
    if not isinstance(name, str) or not name.strip():
        raise UsageError(f"{where}: name must be a non-empty string")
    env = raw["api_key_env"]
    if not isinstance(env, str) or not ENV_NAME.match(env):
        raise UsageError(f"{where}: api_key_env must be an environment variable name like RELAY_API_KEY")
    models = raw["models"]
    if isinstance(models, str):
        models = [models]
    if not isinstance(models, list) or not models or not all(isinstance(m, str) and m.strip() for m in models):
        raise UsageError(f"{where}: models must be a non-empty list of model names")
    base_url = raw["base_url"]
    if not isinstance(base_url, str):
        raise UsageError(f"{where}: base_url must be a string")
    concurrency = _number(raw, "concurrency", 4, 1, 64, where, integer=True)
    timeout = _number(raw, "timeout_s", 90.0, 1, 3600, where)
    idle = _number(raw, "idle_timeout_s", 30.0, 0.5, 3600, where)
    long_tokens = _number(raw, "long_reply_tokens", 1500, 50, 20000, where, integer=True)
    stall = _number(raw, "stall_threshold_s", 10.0, 0.1, 600, where)
    retry_wait = _number(raw, "retry_wait_s", 60.0, 0, 3600, where)
    protocol = raw.get("protocol", "openai")
    if protocol not in PROTOCOLS:
        raise UsageError(f"{where}: protocol must be one of {', '.join(PROTOCOLS)}, not {protocol!r}")
    agent_ua = raw.get("agent_user_agent", False)
    if not isinstance(agent_ua, bool):
        raise UsageError(f"{where}: agent_user_agent must be true or false")
    empty_env = raw.get("empty_key_env")
    if empty_env is not None and (not isinstance(empty_env, str) or not ENV_NAME.match(empty_env)):
        raise UsageError(f"{where}: empty_key_env must be an environment variable name like RELAY_EMPTY_KEY")
    return Target(
        name=name.strip(),
        base_url=validate_base_url(base_url, f"{where}.base_url"),
        api_key_env=env,
        models=tuple(m.strip() for m in models),
        concurrency=int(concurrency),
        timeout_s=float(timeout),
        idle_timeout_s=float(idle),
        retry_wait_s=float(retry_wait),
        deadline_s=float(_number(raw, "deadline_s", None, 1, 86400, where)) if raw.get("deadline_s") is not None else None,
        empty_key_env=empty_env,
        rate_limit_probe=parse_rate_limit_probe(raw.get("rate_limit_probe"), f"{where}.rate_limit_probe"),
        long_reply_tokens=int(long_tokens),
        pricing=parse_pricing(raw.get("pricing"), f"{where}.pricing"),
        billing=parse_billing(raw.get("billing"), f"{where}.billing"),
        billing_settle_s=float(_number(raw, "billing_settle_s", 30.0, 0, 600, where)),
        max_cost=_number(raw, "max_cost", None, 0, 1e9, where) if raw.get("max_cost") is not None else None,
        max_cost_per_day=_number(raw, "max_cost_per_day", None, 0, 1e9, where) if raw.get("max_cost_per_day") is not None else None,
        stall_threshold_s=float(stall),
        context_depths=_depths(raw.get("context_depths"), f"{where}.context_depths"),
        headers=parse_headers(raw.get("headers"), f"{where}.headers"),
        auth=parse_auth(raw.get("auth"), f"{where}.auth"),
        reference=parse_reference(raw.get("reference"), f"{where}.reference", Path(source).parent, tuple(m.strip() for m in models)),
        agent_user_agent=agent_ua,
        protocol=protocol,
    )


def _depths(raw: Any, where: str) -> tuple[int, ...]:
    """context_depths: 1 to 5 increasing token counts from 100 to 200,000 (default 2,000 and 8,000)."""
    if raw is None:
        return (2000, 8000)
    ok = isinstance(raw, list) and 1 <= len(raw) <= 5 and all(isinstance(d, int) and not isinstance(d, bool) and 100 <= d <= 200_000 for d in raw)
    if not ok or list(raw) != sorted(set(raw)):
        raise UsageError(f"{where} must be a list of 1 to 5 increasing token counts from 100 to 200000, e.g. [2000, 8000]")
    return tuple(raw)


BILLING_CHOICES = ("auto", "oneapi", "newapi", "openrouter", "litellm", "deepseek", "none")


def parse_billing(raw: Any, where: str) -> str | dict | None:
    """`billing: auto | <adapter> | none | {url: /path, field: a.b, unit: USD}`; none means no billing checks."""
    if raw is None or raw == "none":
        return None
    if isinstance(raw, str):
        if raw not in BILLING_CHOICES:
            raise UsageError(f"{where}: must be one of {', '.join(BILLING_CHOICES)} or {{url, field, unit}}")
        return raw
    if not isinstance(raw, dict) or set(raw) != {"url", "field", "unit"}:
        raise UsageError(f"{where}: a custom balance endpoint needs exactly url, field and unit")
    if not isinstance(raw["url"], str) or not raw["url"].startswith("/"):
        raise UsageError(f"{where}.url: must be a path on the relay (starting with /): the key is never sent to another host")
    return {k: str(raw[k]) for k in ("url", "field", "unit")}


def parse_pricing(raw: Any, where: str) -> Pricing | None:
    """Validate `pricing: {currency: USD, <model>: {input: X, output: Y, cached_input: Z, cache_write: W}}` (per 1M tokens)."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise UsageError(f"{where}: expected a mapping like {{currency: USD, gpt-4o-mini: {{input: 0.15, output: 0.6}}}}")
    currency = raw.get("currency", "USD")
    if not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency):
        raise UsageError(f"{where}: currency must be a three-letter code such as USD or CNY")
    models = {}
    for model, price in raw.items():
        if model == "currency":
            continue
        if not isinstance(price, dict) or set(price) - {"input", "output", "cached_input", "cache_write"}:
            raise UsageError(f"{where}.{model}: expected {{input: X, output: Y}} per 1M tokens (optionally cached_input: Z, cache_write: W)")
        values = {k: _number(price, k, None, 0, 1e6, f"{where}.{model}") for k in ("input", "output")}
        optional = {k: float(_number(price, k, None, 0, 1e6, f"{where}.{model}")) for k in ("cached_input", "cache_write") if k in price}
        models[str(model)] = Price(float(values["input"]), float(values["output"]), **optional)
    if not models:
        raise UsageError(f"{where}: no model prices given")
    return Pricing(currency=currency, models=models)


def parse_reference(raw: Any, where: str, base: Path, models: tuple[str, ...]) -> BehaviourSpec | None:
    """`reference: ref.json` or `reference: {file: ref.json, alpha: 0.01, requests: 60}` (a path relative to the
    targets file); the file is read now, so a missing or malformed one is a usage error before anything is sent."""
    import secrets

    from relaycheck.core import reference as behaviour_reference

    if raw is None:
        return None
    if isinstance(raw, str):
        raw = {"file": raw}
    if not isinstance(raw, dict) or not isinstance(raw.get("file"), str) or set(raw) - {"file", "alpha", "requests"}:
        raise UsageError(f"{where}: expected a file name, or {{file: ref.json, alpha: 0.01, requests: 60}}")
    alpha = _number(raw, "alpha", DEFAULT_ALPHA, 1e-9, 0.5, where)
    requests = _number(raw, "requests", DEFAULT_REQUESTS, 1, 2000, where, integer=True)
    path = Path(raw["file"]).expanduser()
    loaded = behaviour_reference.load(path if path.is_absolute() else base / path)
    return reference_for(BehaviourSpec(loaded, str(path), float(alpha), int(requests), secrets.randbits(62)), models, where)


def reference_for(spec: BehaviourSpec, models: tuple[str, ...], where: str) -> BehaviourSpec:
    """The spec, once its reference is known to be of one of the target's models (by name or without a provider prefix)."""
    from relaycheck.text.tokens import base_model_name

    wanted = {spec.reference.model, base_model_name(spec.reference.model)}
    if not any({m, base_model_name(m)} & wanted for m in models):
        raise UsageError(f"{where}: the reference {spec.source} was enrolled for {spec.reference.model}, which is not among the "
                         f"target's models ({', '.join(models)})")
    return spec


def parse_rate_limit_probe(raw: Any, where: str) -> RateLimitProbe | None:
    """Validate `rate_limit_probe: {requests: N, concurrency: C}`."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise UsageError(f"{where}: expected a mapping like {{requests: 30, concurrency: 4}}")
    unknown = sorted(set(raw) - {"requests", "concurrency"})
    if unknown:
        raise UsageError(f"{where}: unknown key(s) {', '.join(map(str, unknown))}; valid keys: requests, concurrency")
    requests = _number(raw, "requests", None, 1, 1000, where, integer=True)
    concurrency = _number(raw, "concurrency", 4, 1, 64, where, integer=True)
    return RateLimitProbe(requests=int(requests), concurrency=int(concurrency))


def load_targets(path: Path) -> tuple[Target, ...]:
    """Read a targets file; every problem is one UsageError line naming the file and the place."""
    source = str(path)
    text = read_capped(path, MAX_FILE_BYTES, "targets file")
    deep = f"{source}: the YAML nests more than {MAX_DEPTH} levels deep; a targets file needs a few"
    try:
        data = yaml.safe_load(text)
        expanded = _expanded_size(data, MAX_NODES + 1)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise UsageError(f"{source}: malformed YAML{at}: {getattr(exc, 'problem', None) or exc}") from None
    except RecursionError:  # PyYAML's composer (and our own walk) recurse once per level: 6 KB of "[" is enough
        raise UsageError(deep) from None
    if expanded > MAX_NODES:
        raise UsageError(f"{source}: the YAML expands to more than {MAX_NODES} values through aliases (an alias bomb?)")
    if _nests_deeper(data, MAX_DEPTH):
        raise UsageError(deep)
    if not isinstance(data, dict) or "targets" not in data:
        raise UsageError(f"{source}: expected a mapping with a `targets:` list")
    unknown_top = sorted(set(data) - {"targets"})
    if unknown_top:
        raise UsageError(f"{source}: unknown top-level key(s) {', '.join(map(str, unknown_top))}; valid keys: targets")
    _scan_for_literal_keys(data, "", source)
    _scan_comments_for_literal_keys(text, source)
    raw_targets = data["targets"]
    if not isinstance(raw_targets, list) or not raw_targets:
        raise UsageError(f"{source}: `targets` must be a non-empty list")
    targets = tuple(_target_from_mapping(item, i, source) for i, raw in enumerate(raw_targets) for item in _per_protocol(raw, i, source))
    names = [t.name for t in targets]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise UsageError(f"{source}: duplicate target name(s) {', '.join(dupes)}")
    return targets


def target_from_flags(base_url: str | None, models: tuple[str, ...], api_key_env: str, env: Mapping[str, str]) -> Target:
    """Build the one-target run; base URL falls back to OPENAI_BASE_URL, then the SDK default."""
    if not models:
        raise UsageError("--model is required with --base-url (or use -t targets.yaml, or --demo)")
    if not ENV_NAME.match(api_key_env):
        raise UsageError(f"--api-key-env must be an environment variable name, not {api_key_env!r}")
    url = base_url or env.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL
    where = "--base-url" if base_url else ("OPENAI_BASE_URL" if env.get("OPENAI_BASE_URL") else "default base URL")
    validate_base_url(url, where)
    host = httpx.URL(url).host
    return Target(name=host, base_url=url, api_key_env=api_key_env, models=tuple(models))


@dataclass(frozen=True)
class TargetKeys:
    """The secrets of one target's run: its key, the optional empty-balance key, and a generated wrong key."""

    main: str
    empty: str | None = None
    wrong: str | None = None
    headers: tuple[tuple[str, str], ...] = ()  # the extra headers to send, as (name, value)
    header_secrets: tuple[str, ...] = ()  # their values read from the environment: secrets like the key

    def all(self) -> tuple[str, ...]:
        """Every secret, for the redactor."""
        return tuple(k for k in (self.main, self.empty, self.wrong, *self.header_secrets) if k)


def _read_env(name: str, what: str, target: Target, env: Mapping[str, str]) -> str:
    value = env.get(name)
    if value is None:
        raise UsageError(f"environment variable {name} ({what} of target {target.name!r}) is not set")
    if not value.strip():
        raise UsageError(f"environment variable {name} ({what} of target {target.name!r}) is empty")
    if len(value.strip()) < MIN_KEY_LENGTH:
        # Such a string occurs in ordinary text: it could not be redacted without mangling the report.
        raise UsageError(f"environment variable {name} ({what} of target {target.name!r}) holds fewer than {MIN_KEY_LENGTH} characters: not a key relaycheck can redact reliably")
    if not all(" " < ch < "\x7f" for ch in value.strip()):
        # An HTTP header carries printable ASCII only; sending anything else would fail on every request.
        raise UsageError(f"environment variable {name} ({what} of target {target.name!r}) holds spaces, control or non-ASCII characters, which an HTTP header cannot carry")
    return value.strip()


def resolve_key(target: Target, env: Mapping[str, str] = os.environ) -> str:
    """Read the target's key from its environment variable; missing or empty is a usage error."""
    return _read_env(target.api_key_env, "api_key_env", target, env)


def resolve_keys(target: Target, env: Mapping[str, str], wrong: str | None = None) -> TargetKeys:
    """The key, the empty-balance key when opted in, and the wrong key the errors probe presents."""
    empty = _read_env(target.empty_key_env, "empty_key_env", target, env) if target.empty_key_env else None
    return with_headers(TargetKeys(main=resolve_key(target, env), empty=empty, wrong=wrong), target, env)


def with_headers(keys: TargetKeys, target: Target, env: Mapping[str, str]) -> TargetKeys:
    """The keys with the target's extra headers resolved (an environment-named value is read, and is a secret)."""
    sent, secrets = resolve_headers(target.headers, env, lambda name, what: _read_env(name, what, target, env))
    return replace(keys, headers=sent, header_secrets=secrets)
