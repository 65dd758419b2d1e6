"""Demo-relay fault modes: one misbehaviour each, with the verdicts it must change (all others stay pass)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Fault:
    """One misbehaviour of the demo relay and the verdicts relaycheck must reach on it."""

    name: str
    description: str
    expect: dict[str, str] = field(default_factory=dict)
    # How `probe --demo` addresses the relay: its /v1 root, its bare homepage, or a non-loopback name over http.
    addressing: str = "v1"
    # The models `probe --demo` asks for when none are named, and the checks the fault is judged on when its
    # models bring verdicts of their own (another vendor's name: its tokenizer is unknown, so counts are inconclusive).
    models: tuple[str, ...] = ()
    checks: tuple[str, ...] = ()


FAULTS: dict[str, Fault] = {
    f.name: f
    for f in (
        Fault(
            "plain_http",
            "reached under a non-loopback name over plain http (as a remote relay without TLS would be)",
            {"base.https": "warn"},
            addressing="plain_http",
        ),
        Fault(
            "html_root",
            "the advertised base URL is the homepage; only {base}/v1 is the API (a web UI answers elsewhere)",
            {"base.api_root": "fail"},
            addressing="origin",
        ),
        Fault(
            "redirect",
            "GET /v1/models answers 307 to another path instead of the list",
            # Chat still answers at the base, so the base itself is right (base.api_root passes); the redirect fails.
            {"base.redirects": "fail", "models.list": "fail", "models.listed": "inconclusive"},
        ),
        Fault(
            "body_key",
            "refuses Authorization: Bearer; wants the key as api_key in the JSON body",
            # An unparseable body carries no key, so the relay can only answer 401: the 4xx-for-bad-JSON question stays open.
            # Nor can a GET carry a body: the balance cannot be read with the standard header either.
            {"base.auth_bearer": "fail", "errors.bad_request": "inconclusive", "billing.balance": "fail", "billing.delta": "inconclusive"},
        ),
        Fault("no_model_list", "serves chat but no model list: GET /v1/models answers 404, as many one-api-style and minimal relays do",
              {"models.list": "warn", "models.listed": "inconclusive"}),
        Fault("models_shape", "GET /v1/models returns a bare JSON array instead of a list object", {"models.list": "fail"}),
        Fault("unlisted_model", "the model list omits gpt-4o-mini although chat serves it", {"models.listed": "fail"}),
        Fault("wrong_model", "replies name gpt-3.5-turbo whatever was asked for", {"models.echo": "fail"}),
        Fault("missing_fields", "non-stream replies lack id and created", {"chat.basic": "fail"}),
        Fault("extra_fields", "non-stream replies carry extra code/msg fields (tolerated by the SDK)", {"chat.basic": "warn"}),
        Fault("stale_reply", "replays an old cached answer to nonce prompts", {"chat.follows": "fail"}),
        Fault("replay_cache", "a response cache keyed too loosely answers the long prompts with the first request's reply",
              {"chat.replay": "fail", "long.complete": "inconclusive"}),
        Fault("inject_ad", "appends an advert with a link to every reply (stream and non-stream), and bills it",
              {"chat.injection": "fail"}),
        Fault("usage_total", "non-stream usage.total_tokens is not prompt + completion", {"usage.present": "fail"}),
        Fault("stream_500", "answers every stream=true request with a 500 while non-stream requests work (as a stock Portkey install does)",
              {"stream.sse": "fail", "stream.complete": "inconclusive", "stream.incremental": "inconclusive", "stream.usage": "inconclusive",
               "stream.integrity": "inconclusive", "long.complete": "inconclusive", "long.no_stall": "inconclusive"}),
        Fault("dup_chunks", "forwards every content chunk of every stream twice (the text arrives doubled)", {"stream.integrity": "fail", "long.complete": "fail", "stream.usage": "fail", "usage.completion": "warn"}),
        Fault("data_ping", "streams interleave `data: ping` frames that the SDK cannot parse", {"stream.sse": "fail"}),
        Fault("no_done", "streams end without data: [DONE]", {"stream.complete": "fail"}),
        Fault("buffered_stream", "fake streaming: the whole reply is buffered and sent at the end", {"stream.incremental": "fail"}),
        Fault(
            "no_stream_usage", "ignores stream_options.include_usage (but bills the streams)",
            {"stream.usage": "fail", "billing.delta": "inconclusive"},
        ),
        Fault("wrong_key_400", "refuses a wrong key with 400 \"No connected db.\" (as LiteLLM without a database does)",
              {"errors.bad_key": "warn"}),
        Fault("odd_error_shape", "answers 401s in a home-grown shape: {\"status\": \"failure\", \"message\": ...}",
              {"errors.shape": "warn"}),
        Fault("any_key", "accepts any non-empty key", {"errors.bad_key": "fail"}),
        Fault("missing_key_500", "answers a request without a key with a 500", {"errors.missing_key": "fail"}),
        Fault("key_echo", "repeats the presented key in full in its 401 message", {"errors.key_echo": "fail"}),
        Fault("default_model", "answers unknown model names with gpt-4o-mini", {"errors.unknown_model": "fail"}),
        Fault("bad_json_500", "answers malformed requests with a 500", {"errors.bad_request": "fail"}),
        Fault("html_errors", "answers malformed requests with an nginx HTML page", {"errors.shape": "fail"}),
        Fault("bare_429", "rate-limit 429s carry no Retry-After or x-ratelimit-* headers", {"errors.rate_limit": "fail"}),
        Fault("empty_balance_500", "answers a key with no balance with a 500", {"errors.insufficient_balance": "fail"}),
        Fault(
            "stall_stream",
            "streams stall after 60 tokens for longer than the idle timeout",
            {"errors.timeout": "fail", "stream.complete": "fail", "stream.usage": "fail"},
        ),
        Fault("tokenizer_swap", "counts prompts with the other OpenAI tokenizer (a substituted model)", {"models.tokenizer": "fail"}),
        Fault("hidden_prompt", "bills a hidden 300-token system prompt on every request", {"usage.prompt": "fail"}),
        Fault("inflated_usage", "reports 1.5x the completion tokens on non-stream replies", {"usage.completion": "fail"}),
        Fault("truncate_long", "cuts replies after 300 tokens and still says finish_reason stop", {"long.complete": "fail"}),
        Fault("reset_long_stream", "resets the connection of long streams right after the finish_reason chunk (no usage chunk, no [DONE])",
              {"long.complete": "fail", "billing.delta": "inconclusive"}),
        Fault("long_stall", "pauses long streams for 1 s halfway (the demo's stall threshold is 0.5 s)", {"long.no_stall": "fail"}),
        Fault("price_multiplier", "charges twice the advertised price", {"billing.delta": "fail"}),
        Fault("drained_more", "reports usage honestly but drains extra balance on every request", {"billing.delta": "fail"}),
        Fault("unlimited_key", "the key is unlimited (hard_limit_usd 1e8)", {"billing.delta": "inconclusive"}),
        Fault("no_balance_endpoint", "serves no balance endpoint at all", {"billing.balance": "fail", "billing.delta": "inconclusive"}),
        Fault("ignore_max_tokens", "drops max_tokens / max_completion_tokens: every reply runs to its end and is billed whole",
              {"params.max_tokens": "fail"}),
        Fault("drop_stop", "drops the stop parameter: replies run past the stop sequence", {"params.stop": "fail"}),
        Fault("flaky", "fails 30% of requests with a 502 (the minimal requests the reliability samples send)",
              {"reliability.sampled": "fail"}),
        Fault("hidden_reasoning", "bills one-word answers with 150 extra completion tokens and reports no reasoning tokens",
              {"usage.reasoning": "warn"}),
        Fault("one_backend", "answers claude-sonnet-4-5 with the gpt-4o-mini backend: one model behind two vendor names",
              {"models.twins": "fail"}, models=("gpt-4o-mini", "claude-sonnet-4-5"), checks=("models.twins",)),
        # Not a misbehaviour: a reasoning model that thinks past the probes' budgets. It flips nothing because
        # relaycheck asks an empty reply again with a larger budget (probes.send_reply); without that, both would be
        # inconclusive.
        Fault("long_thinking", "o4-mini spends 1,100 hidden reasoning tokens before writing: a budget of 1,024 "
              "leave its replies empty", {}, models=("o4-mini",), checks=("context.intact", "params.stop", "params.json_mode")),
        # Not a misbehaviour: DeepSeek's convention, where max_tokens limits the visible answer and the reported
        # reasoning (reasoning_content, completion_tokens_details.reasoning_tokens) is billed on top.
        Fault("reasoning_on_top", "o4-mini answers DeepSeek-style: the limit covers the visible answer, reported reasoning is billed on top",
              {}, models=("o4-mini",), checks=("params.max_tokens", "usage.completion", "stream.usage", "long.complete", "chat.follows", "stream.complete")),
        Fault("cache_full_price", "reports a repeated long prefix as cached tokens and bills them at the full input price",
              {"usage.cache": "fail"}),
        Fault("keep_tail", "forwards only the last 2,000 tokens of a long prompt and bills all of it", {"context.intact": "fail"}),
        # Not a misbehaviour: JSON longer than the probe's own budget comes back cut (finish_reason length). A reply
        # cut by relaycheck's budget is never evidence, so params.json_mode cannot be judged: inconclusive, not fail.
        Fault("verbose_json", "answers JSON requests with a long honest object that relaycheck's own max_tokens cuts",
              {"params.json_mode": "inconclusive"}),
        Fault("prose_for_schema", "answers json_schema requests with prose", {"params.json_mode": "fail"}),
        Fault("drop_tools", "drops tools and tool_choice: a forced call comes back as text", {"params.tools": "fail"}),
        Fault("ignore_n", "accepts n=2 and returns one choice", {"params.n": "fail"}),
        Fault("drop_logprobs", "accepts logprobs and returns none", {"params.logprobs": "fail"}),
        Fault("ignore_seed", "accepts seed and ignores it: seeded replies differ", {"params.seed": "inconclusive"}),
        Fault("ignore_temperature", "drops temperature: every reply is sampled as if at temperature 0", {"params.temperature": "fail"}),
        Fault("noisy", "plays a noisy model: open-ended replies differ on every call, even at temperature 0",
              {"params.temperature": "inconclusive", "params.seed": "inconclusive"}),
        Fault("delayed_billing", "books charges 1.5 s late: the balance must be polled until it settles", {}),
        Fault("litellm_billing", "serves its balance LiteLLM-style at /key/info", {}),
        Fault("openrouter_billing", "serves its balance OpenRouter-style at /api/v1/key", {}),
        Fault(
            "strict_rate_limit",
            "allows 3 requests per second (429 with Retry-After): every verdict must still be right",
            {},
        ),
        Fault(
            "sse_quirks",
            "legal SSE quirks only: CRLF, keep-alive comments, data: without a space, empty-choices frames",
            {},
        ),
    )
}


def get(name: str | None) -> Fault | None:
    """Look up a fault by name (None for a well-behaved relay)."""
    if name is None:
        return None
    from relaycheck.errors import UsageError

    if name not in FAULTS:
        raise UsageError(f"unknown fault {name!r}; valid faults: {', '.join(FAULTS)}")
    return FAULTS[name]
