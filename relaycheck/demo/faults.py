"""Demo-relay fault modes: one misbehaviour each, with the verdicts it must change (all others stay pass)."""

from __future__ import annotations

from dataclasses import dataclass, field

from relaycheck.demo.behaviour import (
    AD_TEXT, AGENT_CLIENTS, AGENT_SHELL_TOOLS, DELAY_S, DRAIN_PER_REQUEST, HIDDEN_PROMPT_TOKENS, HONEST, LONG_REASONING_TOKENS, TRUNCATE_AT, Behaviour,
)


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
    # What the relay does differently (demo/behaviour.py); the honest default only for a fault that is a condition
    # of the run alone (how the relay is addressed, which models are asked for).
    behaviour: Behaviour = HONEST
    protocol: str = "openai"  # the protocol `probe --demo` speaks to the relay for this fault (--protocol)

    @property
    def is_condition(self) -> bool:
        """Whether the fault changes nothing in the relay, only how `probe --demo` addresses it or what it asks for."""
        return self.behaviour == HONEST and (self.addressing != "v1" or bool(self.models))


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
            behaviour=Behaviour(models_redirect=True),
        ),
        Fault(
            "body_key",
            "refuses Authorization: Bearer; wants the key as api_key in the JSON body",
            # An unparseable body carries no key, so the relay can only answer 401: the 4xx-for-bad-JSON question stays open.
            # Nor can a GET carry a body: the balance cannot be read with the standard header either.
            {"base.auth_bearer": "fail", "errors.bad_request": "inconclusive", "billing.balance": "fail", "billing.delta": "inconclusive"},
            behaviour=Behaviour(key_in_body=True),
        ),
        # A key in the URL is a key in every log line and every report's exchange URL: the redaction must cover it.
        Fault("query_key", "refuses Authorization: Bearer; wants the key as ?key= in the URL (as Google's APIs allow)",
              # The model list and the balance are read before the run learns where the key goes (with Bearer): refused.
              {"base.auth_bearer": "fail", "models.list": "inconclusive", "models.listed": "inconclusive", "billing.balance": "fail",
               "billing.delta": "inconclusive"}, behaviour=Behaviour(key_in_query=True)),
        Fault("no_model_list", "serves chat but no model list: GET /v1/models answers 404, as many one-api-style and minimal relays do",
              {"models.list": "warn", "models.listed": "inconclusive"},
              behaviour=Behaviour(models_status=404)),
        Fault("models_shape", "GET /v1/models returns a bare JSON array instead of a list object", {"models.list": "fail"},
              behaviour=Behaviour(models_bare_array=True)),
        Fault("unlisted_model", "the model list omits gpt-4o-mini although chat serves it", {"models.listed": "fail"},
              behaviour=Behaviour(hidden_models=("gpt-4o-mini",))),
        Fault("wrong_model", "replies name gpt-3.5-turbo whatever was asked for", {"models.echo": "fail"},
              behaviour=Behaviour(reply_model="gpt-3.5-turbo-0125")),
        Fault("missing_fields", "non-stream replies lack id and created", {"chat.basic": "fail"},
              behaviour=Behaviour(drop_reply_fields=("id", "created"))),
        Fault("extra_fields", "non-stream replies carry extra code/msg fields (tolerated by the SDK)", {"chat.basic": "warn"},
              behaviour=Behaviour(extra_reply_fields=(("code", 0), ("msg", "success")))),
        Fault("stale_reply", "replays an old cached answer to nonce prompts", {"chat.follows": "fail"},
              behaviour=Behaviour(stale_nonce_reply=True)),
        Fault("replay_cache", "a response cache keyed too loosely answers the long prompts with the first request's reply",
              {"chat.replay": "fail", "long.complete": "inconclusive"},
              behaviour=Behaviour(replay_cache=True)),
        Fault("inject_ad", "appends an advert with a link to every reply (stream and non-stream), and bills it",
              {"chat.injection": "fail"},
              behaviour=Behaviour(append_text=AD_TEXT)),
        Fault("tool_rewrite", "replaces the package of install commands in tool-call arguments after inference (JSON stays valid)",
              {"integrity.tool_args": "fail"},
              behaviour=Behaviour(rewrite_installs=True)),
        Fault("conditional_bash", "rewrites install commands only in calls of tools named like a popular agent's shell tool "
              "(Bash, shell, run_terminal_cmd...): the default run's neutral tools come back clean",
              {"integrity.conditional": "fail"},
              behaviour=Behaviour(rewrite_installs=True, rewrite_only_for=AGENT_SHELL_TOOLS)),
        Fault("conditional_ua", "rewrites install commands only for requests an agent client sent (User-Agent claude-cli/ or "
              "codex_cli_rs/): relaycheck's own requests come back clean", {"integrity.conditional": "fail"},
              behaviour=Behaviour(rewrite_installs=True, rewrite_only_for_clients=AGENT_CLIENTS)),
        # Not a misbehaviour: a model that will not make agent calls. Whatever did not come back cannot be judged:
        # inconclusive, never fail (the other exact replies still pass integrity.content).
        Fault("cautious_model", "the model itself declines the integrity asks (installs, file writes, payments, the download snippet) "
              "and answers a sentence instead", {"integrity.tool_args": "inconclusive", "integrity.conditional": "inconclusive"},
              behaviour=Behaviour(refuse_agent_actions=True)),
        Fault("tool_inject", "adds a shell call nobody asked for to every reply of a request that offers tools",
              {"integrity.tool_args": "fail"},
              behaviour=Behaviour(inject_tool_call=True)),
        Fault("link_inject", "sends every URL in a reply through its own download host (code blocks included)",
              {"integrity.content": "fail"},
              behaviour=Behaviour(rewrite_links=True)),
        Fault("system_drop", "drops the system message before the model sees it", {"integrity.request": "fail"},
              behaviour=Behaviour(drop_system=True)),
        Fault("usage_total", "non-stream usage.total_tokens is not prompt + completion", {"usage.present": "fail"},
              behaviour=Behaviour(total_tokens_offset=7)),
        Fault("stream_500", "answers every stream=true request with a 500 while non-stream requests work (as a stock Portkey install does)",
              {"stream.sse": "fail", "stream.complete": "inconclusive", "stream.incremental": "inconclusive", "stream.usage": "inconclusive",
               "stream.integrity": "inconclusive", "long.complete": "inconclusive", "long.no_stall": "inconclusive",
               "models.limits": "inconclusive"},  # its one request is streamed (read to its third event when accepted)
              behaviour=Behaviour(stream_error_status=500)),
        Fault("dup_chunks", "forwards every content chunk of every stream twice (the text arrives doubled)", {"stream.integrity": "fail", "long.complete": "fail", "stream.usage": "fail", "usage.completion": "warn"},
              behaviour=Behaviour(duplicate_chunks=True)),
        Fault("data_ping", "streams interleave `data: ping` frames that the SDK cannot parse", {"stream.sse": "fail"},
              behaviour=Behaviour(ping_frames=True)),
        Fault("no_done", "streams end without data: [DONE]", {"stream.complete": "fail"},
              behaviour=Behaviour(omit_done=True)),
        Fault("no_message_stop", "Anthropic Messages streams end without their message_stop event (probe --demo --protocol anthropic)",
              {"stream.complete": "fail"}, protocol="anthropic", behaviour=Behaviour(omit_message_stop=True)),
        Fault("messages_bearer_only", "the Anthropic Messages face takes the key only as Authorization: Bearer, refusing x-api-key "
              "(what the Anthropic SDK's api_key sends)", {"base.auth_bearer": "fail", "models.list": "inconclusive", "models.listed": "inconclusive"},
              protocol="anthropic",  # the model list is read with x-api-key, before the run learns Bearer works
              behaviour=Behaviour(messages_bearer_only=True)),
        Fault("forged_thinking", "Anthropic thinking blocks carry a signature the relay made up, and a thinking block sent back with its "
              "signature altered is accepted (probe --demo --protocol anthropic --profile deep)", {"models.thinking": "fail"},
              protocol="anthropic", behaviour=Behaviour(forged_thinking=True)),
        # Billed, never counted: the count endpoint answers for the request as sent (usage.counted's evidence).
        Fault("hidden_system_prompt", "bills a hidden 120-token system prompt on every Anthropic Messages request that its count_tokens "
              "endpoint does not count (probe --demo --fault hidden_system_prompt speaks Messages)", {"usage.counted": "fail"},
              protocol="anthropic", behaviour=Behaviour(hidden_prompt_tokens=120)),
        Fault("gemini_hidden_prompt", "bills a hidden 150-token prompt on every Gemini request that its countTokens endpoint does not "
              "count", {"usage.counted": "fail"}, protocol="gemini", behaviour=Behaviour(hidden_prompt_tokens=150)),
        Fault("cache_control_ignored", "its Anthropic Messages face drops cache_control and reports no cache fields (a translation "
              "to another backend): repeated prefixes are billed in full", {"usage.cache_control": "warn"}, protocol="anthropic",
              behaviour=Behaviour(drop_cache_fields=True)),
        Fault("openai_tool_ids", "its Anthropic Messages face translates Chat Completions replies and keeps their call_ ids in "
              "tool_use blocks (deep: probe --demo --protocol anthropic --check params.tools)", {"params.tools": "warn"}, protocol="anthropic",
              behaviour=Behaviour(openai_tool_ids=True)),
        Fault("gemini_no_usage", "Gemini replies and streams carry no usageMetadata (probe --demo --protocol gemini)",
              # Without usage and without Gemini's tokenizer, nothing tells how many tokens the stream carried.
              {"usage.present": "fail", "stream.usage": "fail", "stream.incremental": "inconclusive", "usage.counted": "inconclusive",
               "billing.delta": "inconclusive"},  # replies without usage: what they cost cannot be computed
              protocol="gemini",
              behaviour=Behaviour(omit_gemini_usage=True)),
        # The usage comes in response.completed: without it the stream has none, and what it cost is unknown.
        Fault("no_response_completed", "OpenAI Responses streams end without their response.completed event (probe --demo --protocol responses)",
              {"stream.complete": "fail", "stream.usage": "fail", "billing.delta": "inconclusive"}, protocol="responses", behaviour=Behaviour(omit_response_completed=True)),
        Fault("buffered_stream", "fake streaming: the whole reply is buffered and sent at the end", {"stream.incremental": "fail"},
              behaviour=Behaviour(buffer_stream=True)),
        Fault(
            "no_stream_usage", "ignores stream_options.include_usage (but bills the streams)",
            {"stream.usage": "fail", "billing.delta": "inconclusive"},
            behaviour=Behaviour(drop_stream_usage=True),
        ),
        Fault("wrong_key_400", "refuses a wrong key with 400 \"No connected db.\" (as LiteLLM without a database does)",
              {"errors.bad_key": "warn"},
              behaviour=Behaviour(no_db_on_bad_key=True)),
        Fault("odd_error_shape", "answers 401s in a home-grown shape: {\"status\": \"failure\", \"message\": ...}",
              {"errors.shape": "warn"},
              behaviour=Behaviour(error_shape_401="flat")),
        Fault("any_key", "accepts any non-empty key", {"errors.bad_key": "fail"},
              behaviour=Behaviour(accept_any_key=True)),
        Fault("missing_key_500", "answers a request without a key with a 500", {"errors.missing_key": "fail"},
              behaviour=Behaviour(crash_on_missing_key=True)),
        Fault("key_echo", "repeats the presented key in full in its 401 message", {"errors.key_echo": "fail"},
              behaviour=Behaviour(echo_key=True)),
        Fault("default_model", "answers unknown model names with gpt-4o-mini", {"errors.unknown_model": "fail"},
              behaviour=Behaviour(unknown_model_fallback=True)),
        Fault("bad_json_500", "answers malformed requests with a 500", {"errors.bad_request": "fail"},
              behaviour=Behaviour(bad_request_reply="json_500")),
        Fault("html_errors", "answers malformed requests with an nginx HTML page", {"errors.shape": "fail"},
              behaviour=Behaviour(bad_request_reply="nginx_html")),
        Fault("bare_429", "rate-limit 429s carry no Retry-After or x-ratelimit-* headers", {"errors.rate_limit": "fail"},
              behaviour=Behaviour(rate_limit_headers=False)),
        Fault("empty_balance_500", "answers a key with no balance with a 500", {"errors.insufficient_balance": "fail"},
              behaviour=Behaviour(crash_on_empty_balance=True)),
        Fault(
            "stall_stream",
            "streams stall after 60 tokens for longer than the idle timeout",
            {"errors.timeout": "fail", "stream.complete": "fail", "stream.usage": "fail"},
            behaviour=Behaviour(stall_short_streams=True),
        ),
        Fault("tokenizer_swap", "counts prompts with the other OpenAI tokenizer (a substituted model)", {"models.tokenizer": "fail"},
              behaviour=Behaviour(swap_tokenizer=True)),
        Fault("hidden_prompt", "bills a hidden 300-token system prompt on every request", {"usage.prompt": "fail"},
              behaviour=Behaviour(hidden_prompt_tokens=HIDDEN_PROMPT_TOKENS)),
        Fault("inflated_usage", "reports 1.5x the completion tokens on non-stream replies", {"usage.completion": "fail"},
              behaviour=Behaviour(usage_completion_factor=1.5)),
        Fault("truncate_long", "cuts replies after 300 tokens and still says finish_reason stop", {"long.complete": "fail"},
              behaviour=Behaviour(truncate_at=TRUNCATE_AT)),
        Fault("reset_long_stream", "resets the connection of long streams right after the finish_reason chunk (no usage chunk, no [DONE])",
              {"long.complete": "fail", "billing.delta": "inconclusive"},
              behaviour=Behaviour(reset_long_streams=True)),
        Fault("long_stall", "pauses long streams for 1.5 s halfway (the demo's stall threshold is 1 s)", {"long.no_stall": "fail"},
              behaviour=Behaviour(pause_long_streams=True)),
        Fault("price_multiplier", "charges twice the advertised price", {"billing.delta": "fail"},
              behaviour=Behaviour(price_factor=2.0)),
        Fault("drained_more", "reports usage honestly but drains extra balance on every request", {"billing.delta": "fail"},
              behaviour=Behaviour(drain_per_request=DRAIN_PER_REQUEST)),
        Fault("unlimited_key", "the key is unlimited (hard_limit_usd 1e8)", {"billing.delta": "inconclusive"},
              behaviour=Behaviour(unlimited_balance=True)),
        Fault("no_balance_endpoint", "serves no balance endpoint at all", {"billing.balance": "fail", "billing.delta": "inconclusive"},
              behaviour=Behaviour(balance_style="none")),
        Fault("ignore_max_tokens", "drops max_tokens / max_completion_tokens: every reply runs to its end and is billed whole",
              {"params.max_tokens": "fail"},
              behaviour=Behaviour(drop_max_tokens=True)),
        Fault("drop_stop", "drops the stop parameter: replies run past the stop sequence", {"params.stop": "fail"},
              behaviour=Behaviour(drop_stop=True)),
        Fault("flaky", "fails 30% of requests with a 502 (the minimal requests the reliability samples send)",
              {"reliability.sampled": "fail"},
              behaviour=Behaviour(flaky_samples=True)),
        Fault("hidden_reasoning", "bills one-word answers with 150 extra completion tokens and reports no reasoning tokens",
              {"usage.reasoning": "warn"},
              behaviour=Behaviour(hidden_reasoning_tokens=150)),
        Fault("sibling_rewrite", "serves gpt-4o-mini (same tokenizer, 16,384-token ceiling) under the name gpt-4.1-mini (32,768), "
              "rewriting the model field; its LiteLLM front reports gpt-4o-mini's cost",
              {"models.limits": "fail", "models.residue": "fail", "models.behaviour": "fail"},
              models=("gpt-4.1-mini",), behaviour=Behaviour(sibling="gpt-4o-mini", reports_cost="litellm")),
        # The limits are gpt-4.1-mini's (models.limits passes); only the relay's own books name the cheaper model.
        Fault("sibling_cost", "answers gpt-4.1-mini but reports in usage.cost what the usage costs at gpt-4o-mini's price",
              {"models.residue": "fail"}, models=("gpt-4.1-mini",),
              behaviour=Behaviour(reports_cost="openrouter", reported_cost_model="gpt-4o-mini")),
        # Not a substitution: a relay that clamps a limit above the ceiling instead of refusing it. The ceiling
        # cannot be read, so models.limits is inconclusive, never failed.
        Fault("clamp_limits", "clamps a completion limit above the model's ceiling silently instead of refusing it",
              {"models.limits": "inconclusive"}, behaviour=Behaviour(clamp_limits=True)),
        Fault("one_backend", "answers claude-sonnet-4-5 with the gpt-4o-mini backend: one model behind two vendor names",
              {"models.twins": "fail"}, models=("gpt-4o-mini", "claude-sonnet-4-5"), checks=("models.twins",),
              behaviour=Behaviour(backends=(("claude-sonnet-4-5", "gpt-4o-mini"),))),
        # Not a misbehaviour: a reasoning model that thinks past the probes' budgets. It flips nothing because
        # relaycheck asks an empty reply again with a larger budget (probes.send_reply); without that, both would be
        # inconclusive.
        Fault("long_thinking", "o4-mini spends 1,100 hidden reasoning tokens before writing: a budget of 1,024 "
              "leaves its replies empty", {}, models=("o4-mini",), checks=("context.intact", "params.stop", "params.json_mode"),
              behaviour=Behaviour(reasoning_tokens=LONG_REASONING_TOKENS)),
        # Not a misbehaviour: DeepSeek's convention, where max_tokens limits the visible answer and the reported
        # reasoning (reasoning_content, completion_tokens_details.reasoning_tokens) is billed on top.
        Fault("reasoning_on_top", "o4-mini answers DeepSeek-style: the limit covers the visible answer, reported reasoning is billed on top",
              {}, models=("o4-mini",), checks=("params.max_tokens", "usage.completion", "stream.usage", "long.complete", "chat.follows", "stream.complete"),
              behaviour=Behaviour(reasoning_on_top=True)),
        Fault("cache_full_price", "reports a repeated long prefix as cached tokens and bills them at the full input price",
              {"usage.cache": "fail"},
              behaviour=Behaviour(cached_at_full_price=True)),
        Fault("keep_tail", "forwards only the last 2,000 tokens of a long prompt and bills all of it", {"context.intact": "fail"},
              behaviour=Behaviour(keep_prompt_tail=2000)),
        # Not a misbehaviour: JSON longer than the probe's own budget comes back cut (finish_reason length). A reply
        # cut by relaycheck's budget is never evidence, so params.json_mode cannot be judged: inconclusive, not fail.
        Fault("verbose_json", "answers JSON requests with a long honest object that relaycheck's own max_tokens cuts",
              {"params.json_mode": "inconclusive"},
              behaviour=Behaviour(verbose_json=True)),
        Fault("prose_for_schema", "answers json_schema requests with prose", {"params.json_mode": "fail"},
              behaviour=Behaviour(prose_for_schema=True)),
        # Integrity cannot judge a call that never comes: inconclusive, the missing call is params.tools' finding.
        Fault("drop_tools", "drops tools and tool_choice: a forced call comes back as text",
              {"params.tools": "fail", "integrity.tool_args": "inconclusive", "integrity.conditional": "inconclusive"},
              behaviour=Behaviour(drop_tools=True)),
        Fault("ignore_n", "accepts n=2 and returns one choice", {"params.n": "fail"},
              behaviour=Behaviour(drop_n=True)),
        Fault("drop_logprobs", "accepts logprobs and returns none", {"params.logprobs": "fail"},
              behaviour=Behaviour(drop_logprobs=True)),
        Fault("ignore_seed", "accepts seed and ignores it: seeded replies differ", {"params.seed": "inconclusive"},
              behaviour=Behaviour(drop_seed=True)),
        Fault("ignore_temperature", "drops temperature: every reply is sampled as if at temperature 0", {"params.temperature": "fail"},
              behaviour=Behaviour(drop_temperature=True)),
        Fault("noisy", "plays a noisy model: open-ended replies differ on every call, even at temperature 0",
              {"params.temperature": "inconclusive", "params.seed": "inconclusive"},
              behaviour=Behaviour(noisy=True)),
        Fault("delayed_billing", "books charges 1.5 s late: the balance must be polled until it settles", {},
              behaviour=Behaviour(billing_delay_s=DELAY_S)),
        # Not misbehaviours: each also reports its cost as that software does, at the claimed model's price (models.residue passes).
        Fault("litellm_billing", "serves its balance LiteLLM-style at /key/info and reports each reply's cost in x-litellm-response-cost", {},
              behaviour=Behaviour(balance_style="litellm", reports_cost="litellm")),
        Fault("openrouter_billing", "serves its balance OpenRouter-style at /api/v1/key and reports each reply's cost in usage.cost", {},
              behaviour=Behaviour(balance_style="openrouter", reports_cost="openrouter")),
        Fault(
            "strict_rate_limit",
            "allows 3 requests per second (429 with Retry-After): every verdict must still be right",
            {},
            behaviour=Behaviour(rate_limit=3, rate_limit_every_request=True),
        ),
        Fault(
            "sse_quirks",
            "legal SSE quirks only: CRLF, keep-alive comments, data: without a space, empty-choices frames",
            {},
            behaviour=Behaviour(sse_quirks=True),
        ),
    )
}


def get(name: str | None) -> Fault | None:
    """Look up a fault by name (None for a well-behaved relay)."""
    if name is None:
        return None
    from relaycheck.core.exits import UsageError

    name = ALIASES.get(name, name)
    if name not in FAULTS:
        import difflib

        close = difflib.get_close_matches(name, [*FAULTS, *ALIASES], n=3, cutoff=0.6)
        names = list(dict.fromkeys(ALIASES.get(c, c) for c in close))
        hint = f"did you mean {' or '.join(names)}? " if names else ""
        raise UsageError(f"unknown fault {name!r}; {hint}see relaycheck demo-relay --list-faults")
    return FAULTS[name]


# The words a user reaches for first, for the faults named by what they do.
ALIASES = {"substitute": "wrong_model", "substitution": "wrong_model", "model_swap": "wrong_model", "swap_model": "wrong_model",
           "overcharge": "price_multiplier", "overbilling": "price_multiplier"}
