"""The demo relay's request handler: /v1/models and /v1/chat/completions (JSON and SSE), with the faults' effects."""

from __future__ import annotations

import hashlib
import json
import math
import re
import socket
import time
from urllib.parse import parse_qs, urlsplit
from dataclasses import replace
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any

from relaycheck.demo import anthropic as demo_anthropic
from relaycheck.demo import gemini as demo_gemini
from relaycheck.demo import responses as demo_responses
from relaycheck.demo import thinking as demo_thinking
from relaycheck.demo import extras, tampering
from relaycheck.demo import model as stand_in
from relaycheck.text import tokens
from relaycheck.demo import control
from relaycheck.demo.behaviour import AGENT_REFUSAL, Behaviour
from relaycheck.demo.ledger import endpoint
from relaycheck.demo.streaming import SSEWriter, fingerprint_of, reported_cost, usage_of
from relaycheck.core.models import lookup


if TYPE_CHECKING:
    from relaycheck.demo.server import DemoRelay

MAX_BODY = 4 * 1024 * 1024
STALE_NONCE = "relaycheck-nonce-A1B2C3D4E5"
NONCE_IN_PROMPT = re.compile(r"relaycheck-nonce-[A-Z0-9]{10}")
REASONING_TEXT = "Let me think about what is asked."  # the reasoning_on_top condition's visible reasoning (DeepSeek-style)
HOMEPAGE = (
    "<!doctype html><html><head><title>Demo Relay</title></head><body><h1>Demo Relay</h1>"
    "<p>Cheap GPT, Claude and Gemini. API base: <code>/v1</code></p></body></html>"
)


@dataclass(frozen=True)
class LoggedRequest:
    """What the demo relay saw (never the key itself)."""

    method: str
    path: str
    had_bearer: bool


CHEAP_TOKENS = 16  # a request for at most this many completion tokens counts against the demo's default rate limit


def _cheap(raw: bytes) -> bool:
    """A completion request for a few tokens at most: what a rate-limit burst sends."""
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        return False
    config = body.get("generationConfig") if isinstance(body, dict) else None  # Gemini's
    limit = (body.get("max_completion_tokens") or body.get("max_tokens") or body.get("max_output_tokens")
             or (config.get("maxOutputTokens") if isinstance(config, dict) else None)) if isinstance(body, dict) else None
    return isinstance(limit, int) and limit <= CHEAP_TOKENS


# The modules that write a native protocol's answers (reply, send_stream, REQUEST_ID), by the handler's dialect.
NATIVE_FACES = {"anthropic": demo_anthropic, "responses": demo_responses, "gemini": demo_gemini}


class Handler(BaseHTTPRequestHandler):
    """One request to the demo relay: authentication, rate limits and faults, then the route's answer."""

    protocol_version = "HTTP/1.1"
    server: Any  # the relay's server: .relay is the DemoRelay

    def setup(self) -> None:
        super().setup()
        # Small SSE frames must leave at once: Nagle plus delayed ACK would batch them and fake buffering.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the CLI prints its own line
        return

    @property
    def relay(self) -> "DemoRelay":
        return self.server.relay

    @property
    def behaviour(self) -> Behaviour:
        return self.relay.behaviour

    # ---- plumbing -------------------------------------------------------------------------------
    def _send(self, status: int, body: bytes, ctype: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(body)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, payload: Any, extra: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json", extra)

    def send_json(self, status: int, payload: Any) -> None:
        """Answer with a JSON body (for the control endpoint, demo/control.py)."""
        self._json(status, payload)

    dialect = "openai"  # "anthropic" while answering /v1/messages (its errors, its key header), "responses", "gemini" (/v1beta)
    generate: tuple[str, bool] | None = None  # a Gemini request's (model, streamed), read from its path

    def _error(self, status: int, message: str, etype: str, code: str | None, param: str | None = None) -> None:
        rid = f"req_demo{self.relay.next_id()}"
        if self.dialect == "anthropic":
            self._json(status, demo_anthropic.error_body(status, message), {"request-id": rid})
            return
        if self.dialect == "gemini":
            self._json(status, demo_gemini.error_body(status, message), {"x-request-id": rid})
            return
        if self.behaviour.error_shape_401 == "flat" and status == 401:  # a home-grown gateway's own error format
            self._json(status, {"status": "failure", "message": message}, {"x-request-id": rid})
            return
        if self.behaviour.no_db_on_bad_key and etype == "invalid_request_error" and code == "invalid_api_key":
            self._json(400, {"error": {"message": "No connected db.", "type": "no_db_connection", "param": None, "code": "400"}}, {"x-request-id": rid})
            return
        self._json(status, {"error": {"message": message, "type": etype, "param": param, "code": code}}, {"x-request-id": rid})

    def _read_body(self) -> bytes | None:
        length = int(self.headers.get("content-length") or 0)
        if length > MAX_BODY:
            self._error(413, "request body too large", "invalid_request_error", None)
            return None
        self._raw_body = self.rfile.read(length) if length else b""
        return self._raw_body

    def bearer(self) -> str | None:
        """The key a request presents as Authorization: Bearer (the control endpoint's too), or None."""
        value = self.headers.get("authorization", "")
        scheme, _, token = value.partition(" ")
        return token.strip() or None if scheme.lower() == "bearer" else None

    def _key_header(self) -> str | None:
        """The key a request carries in a header: Bearer, or (Anthropic's) x-api-key."""
        if self.dialect == "anthropic" and self.behaviour.messages_bearer_only:
            return self.bearer()
        if self.dialect == "gemini":  # Google's header, or its ?key= query parameter
            values = parse_qs(urlsplit(self.path).query).get("key")
            return self.headers.get("x-goog-api-key", "").strip() or (values[0] if values and values[0] else None)
        return self.bearer() or (self.headers.get("x-api-key", "").strip() or None)

    def _presented(self, body: dict | None) -> str | None:
        if self.behaviour.key_in_body:
            value = body.get("api_key") if isinstance(body, dict) else None
            return value if isinstance(value, str) and value else None
        if self.behaviour.key_in_query:
            values = parse_qs(urlsplit(self.path).query).get("key")
            return values[0] if values and values[0] else None
        return self._key_header() if self.dialect in ("anthropic", "gemini") else self.bearer()

    def _authorized(self, body: dict | None) -> str | None:
        """"ok", "empty" (valid key, no balance), or None after answering the refusal."""
        presented = self._presented(body)
        relay = self.relay
        if presented and presented == relay.empty_key:
            return "empty"
        if presented and (relay.key is None or presented == relay.key or self.behaviour.accept_any_key):
            return "ok"
        if self.dialect == "gemini":  # as Google's API answers: a missing key 403, a wrong one 400 INVALID_ARGUMENT
            self._error(403 if not presented else 400, demo_gemini.NO_KEY if not presented else demo_gemini.WRONG_KEY, "", None)
            return None
        if not presented:
            if self.behaviour.crash_on_missing_key:
                self._error(500, "runtime error: invalid memory address or nil pointer dereference", "server_error", None)
            else:
                where = "in the request body as api_key" if self.behaviour.key_in_body else "as ?key= in the URL" if self.behaviour.key_in_query else \
                    "in the x-api-key header" if self.dialect == "anthropic" and not self.behaviour.messages_bearer_only else \
                    "as Authorization: Bearer YOUR_KEY"
                self._error(401, f"You didn't provide an API key. Send it {where}.", "invalid_request_error", None)
            return None
        # OpenAI masks the key it refuses; the key_echo fault repeats it in full, as careless relays do.
        shown = presented if self.behaviour.echo_key else (presented[:3] + "*" * 8 + presented[-4:] if len(presented) > 10 else "***")
        self._error(401, f"Incorrect API key provided: {shown}.", "invalid_request_error", "invalid_api_key")
        return None

    def _no_balance(self) -> None:
        if self.behaviour.crash_on_empty_balance:
            self._error(500, "upstream error: do request failed", "server_error", None)
            return
        who = f" for key {self.relay.empty_key}" if self.behaviour.echo_key else ""
        if self.dialect == "anthropic":  # as Anthropic's API answers an exhausted credit balance
            self._error(400, f"Your credit balance is too low to access the Anthropic API{who}. Please go to Plans & Billing to upgrade or "
                        "purchase credits.", "invalid_request_error", None)
            return
        self._error(429, f"You exceeded your current quota{who}, please check your plan and billing details.", "insufficient_quota", "insufficient_quota")

    def _rate_limited(self, reset_s: float) -> None:
        headers = {}
        if self.behaviour.rate_limit_headers:
            headers = {
                "retry-after": str(max(1, math.ceil(reset_s))),
                "x-ratelimit-limit-requests": str(self.relay.rate_limit),
                "x-ratelimit-remaining-requests": "0",
                "x-ratelimit-reset-requests": f"{int(reset_s * 1000)}ms",
            }
        message = f"Rate limit reached: limit {self.relay.rate_limit} requests per second. Please try again later."
        if self.dialect == "gemini":  # Google sends no Retry-After: its RetryInfo detail says when
            self._json(429, demo_gemini.rate_limited(message, max(1, math.ceil(reset_s))))
            return
        self._json(429, {"error": {"message": message, "type": "requests", "param": None, "code": "rate_limit_exceeded"}}, headers)

    def _bad_request(self, message: str, param: str | None = None) -> None:
        if self.behaviour.bad_request_reply == "json_500":
            self._error(500, f"internal error: {message}", "server_error", None)
        elif self.behaviour.bad_request_reply == "nginx_html":  # an nginx in front answering for the app
            self._send(400, b"<html><head><title>400 Bad Request</title></head><body><center><h1>400 Bad Request</h1></center><hr><center>nginx</center></body></html>", "text/html")
        else:
            self._error(400, message, "invalid_request_error", None, param)

    # ---- routes ---------------------------------------------------------------------------------
    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def _route(self, method: str) -> None:
        relay = self.relay
        with relay.flight_lock:
            relay.in_flight += 1
            relay.max_in_flight = max(relay.max_in_flight, relay.in_flight)
        try:
            if relay.latency_ms:
                time.sleep(relay.latency_ms / 1000.0)
            self._dispatch(method)
        finally:
            with relay.flight_lock:
                relay.in_flight -= 1

    def _dispatch(self, method: str) -> None:
        path = self.path.split("?", 1)[0]
        # Per request (a connection is kept alive): Anthropic's path, or any request an Anthropic client sends.
        self.dialect = "anthropic" if path == "/v1/messages" or "anthropic-version" in self.headers else \
            "responses" if path == "/v1/responses" else "gemini" if path.startswith("/v1beta/") else "openai"
        self.generate = demo_gemini.route(path)
        self.relay.log.append(LoggedRequest(method, path, self.bearer() is not None))
        raw = self._read_body()
        if raw is None:
            return
        try:
            if control.handle(self, method, path, raw):
                return
            if path.startswith(("/v1/", "/v1beta/")) and (self.behaviour.rate_limit_every_request or _cheap(raw)):
                allowed, reset_s = self.relay.admit(self._key_header() or "")
                if not allowed:
                    self._rate_limited(reset_s)
                    return
            balance = endpoint(path, self.relay.billing_mode, self.relay.ledger, self.behaviour.unlimited_balance) if method == "GET" else None
            if balance is not None:
                if self._authorized(None) is not None:
                    self._json(200, balance)
            elif path.rstrip("/") == "/v1/models" and method == "GET":
                self._models()
            elif path == "/v1/chat/completions" and method == "POST":
                self._chat(raw)
            elif (path in ("/v1/messages", "/v1/responses") or self.generate) and method == "POST":  # native protocols, one stand-in
                self._chat(raw)
            elif (path == "/v1/messages/count_tokens" or demo_gemini.count_route(path)) and method == "POST":
                self._count(raw, demo_gemini.count_route(path))
            elif path.rstrip("/") == "/v1beta/models" and method == "GET":
                if self._authorized(None) is not None:
                    self._json(200, demo_gemini.models([m for m in stand_in.MODELS if m not in self.behaviour.hidden_models]))
            elif path.startswith("/v1beta/"):
                self._error(404, f"Method not found ({method} {path})", "", None)
            elif path.startswith("/v1/"):
                self._error(404, f"Invalid URL ({method} {path})", "invalid_request_error", None)
            elif method == "GET":
                self._send(200, HOMEPAGE.encode(), "text/html; charset=utf-8")  # a web UI answers every other path
            else:
                self._send(404, b"<html><body>404 Not Found</body></html>", "text/html")
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _models(self) -> None:
        if self.behaviour.models_redirect:
            self._send(307, b"", "text/plain", {"location": f"{self.relay.origin}/moved/v1/models"})
            return
        # A relay that wants the key in the body cannot get one with a GET: it serves its list to anyone.
        if not self.behaviour.key_in_body and self._authorized(None) is None:
            return
        if self.behaviour.models_status != 200:
            self._error(self.behaviour.models_status, "Invalid URL (GET /v1/models)", "invalid_request_error", None)
            return
        names = [m for m in stand_in.MODELS if m not in self.behaviour.hidden_models]
        if self.dialect == "anthropic":  # an Anthropic client's list: Anthropic's shape, one page
            self._json(200, demo_anthropic.models(names))
            return
        data = [{"id": m, "object": "model", "created": 1715367049, "owned_by": "demo"} for m in names]
        self._json(200, data if self.behaviour.models_bare_array else {"object": "list", "data": data})

    def _chat(self, raw: bytes) -> None:
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        original = body  # the request as the client wrote it (a native protocol's is read into Chat Completions)
        if self.dialect == "anthropic":
            body = demo_anthropic.to_chat(body)
        elif self.dialect == "responses":
            body = demo_responses.to_chat(body)
        elif self.generate is not None:
            body = demo_gemini.to_chat(body, *self.generate)
        state = self._authorized(body if isinstance(body, dict) else None)
        if state is None:
            return
        if body is None:
            self._bad_request("We could not parse the JSON body of your request.")
            return
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list) or not body["messages"]:
            field = {"responses": "input", "gemini": "contents"}.get(self.dialect, "messages")
            self._bad_request(f"'{field}' is a required property", field)
            return
        if state == "empty":
            self._no_balance()
            return
        refused = demo_thinking.refusal(original, self.behaviour) if self.dialect == "anthropic" and isinstance(original, dict) else None
        if refused is not None:
            self._bad_request(refused)
            return
        thinks = self.dialect == "anthropic" and demo_thinking.requested(original)
        name = body.get("model")
        if name not in stand_in.MODELS:
            if not self.behaviour.unknown_model_fallback:
                self._error(404, f"The model `{name}` does not exist or you do not have access to it.", "invalid_request_error", "model_not_found")
                return
            name = stand_in.DEFAULT_MODEL  # quietly answer with a default model: the substitution errors.unknown_model catches
        with self.relay.flight_lock:
            counter = self.relay.flaky_count
            self.relay.flaky_count += extras.FLAKY_PROMPT in json.dumps(body["messages"])
        if extras.flaky_fails(body, self.behaviour, counter):  # as an overloaded upstream would
            self._error(502, "upstream connect error or disconnect/reset before headers", "server_error", None)
            return
        if body.get("stream") and self.behaviour.stream_error_status is not None:  # as a stock Portkey install answers every stream (unbilled)
            self._error(self.behaviour.stream_error_status, "Something went wrong", "server_error", None)
            return
        if self._over_the_ceiling(name, body):
            return
        tampering.drop_system(body, self.behaviour)
        asked = extras.prepare(body, self.behaviour)
        override = asked.reply if asked.reply is not None else tampering.audit_reply(body)
        if tampering.refuses(body, self.behaviour):  # the model's own refusal: no call, a sentence instead
            asked, override = replace(asked, tool_call=None), AGENT_REFUSAL
        if self.behaviour.stale_nonce_reply and "Reply with exactly this text" in json.dumps(body["messages"]):
            override = STALE_NONCE  # replays a cached answer to the nonce-repeat prompt
        if self.behaviour.replay_cache:
            override = self._replay(body, override)
        if asked.tool_call is not None:
            override = ""  # a forced function call answers with arguments, not text
        prompt_encoding = stand_in.swapped_encoding(name) if self.behaviour.swap_tokenizer else None
        # One backend behind two names: the second vendor's name is answered by the first model (the reply still claims the name).
        backend = self.behaviour.sibling or dict(self.behaviour.backends).get(name, name)  # sibling_rewrite: it answers every name
        completion = stand_in.complete(backend, body["messages"], asked.limit, override, prompt_encoding, asked.stop,
                                       asked.temperature, noisy=self.behaviour.noisy, seed=asked.seed,
                                       keep_tail=self.behaviour.keep_prompt_tail, cache=self.relay.prompt_cache,
                                       reasoning=self.behaviour.reasoning_tokens,
                                       reasoning_on_top=self.behaviour.reasoning_on_top)
        if self.behaviour.hidden_reasoning_tokens and extras.FLAKY_PROMPT in json.dumps(body["messages"]):  # billed, never shown
            completion = replace(completion, completion_tokens=completion.completion_tokens + self.behaviour.hidden_reasoning_tokens)
        if asked.tool_call is not None:
            arguments = asked.tool_call["function"]["arguments"]
            completion = replace(completion, completion_tokens=completion.reasoning_tokens + stand_in.count(name, arguments), finish_reason="tool_calls")
        # After inference, as a malicious router works: the call rewritten, a call added, the links swapped.
        user_agent = self.headers.get("user-agent", "")
        calls = [tampering.rewrite_call(asked.tool_call, self.behaviour, user_agent)] if asked.tool_call is not None else []
        injected = tampering.injected_call(body, self.behaviour)
        calls += [injected] if injected is not None else []
        linked = tampering.rewrite_links(completion.text, self.behaviour)
        if linked != completion.text:
            completion = replace(completion, pieces=stand_in.pieces_of(name, linked))
        appended = self.behaviour.append_text
        if appended is not None and asked.tool_call is None:  # appended after generation, and billed
            completion = replace(completion, pieces=completion.pieces + (appended,), completion_tokens=completion.completion_tokens + stand_in.count(name, appended))
        completion = self._usage_faults(completion, stream=bool(body.get("stream")))
        if self.dialect == "anthropic" and completion.cached_tokens == 0 and demo_anthropic.marks_cache(original) \
                and not self.behaviour.drop_cache_fields:
            # A marked prefix not yet cached is written now (the stand-in's prefix cache serves it to the repeat).
            system = body["messages"][0]["content"] if body["messages"][0].get("role") == "system" else ""
            completion = replace(completion, cache_written=min(stand_in.count(name, system), completion.prompt_tokens))
        if thinks:  # the thinking is billed as output, as Anthropic bills it
            completion = replace(completion, completion_tokens=completion.completion_tokens + stand_in.count(name, demo_thinking.TEXT))
        if self._presented(body) == self.relay.key or self.relay.key is None:
            self.relay.ledger.charge(name, completion.prompt_tokens, completion.completion_tokens, completion.cached_tokens,
                                      completion.cache_written)
            digest = hashlib.sha256(self._raw_body).hexdigest()
            self.relay.usage_log.append((digest, name, completion.prompt_tokens, completion.completion_tokens))
        reply_model = self.behaviour.reply_model or stand_in.SNAPSHOTS[name]
        served = self.behaviour.sibling or backend  # the model whose backend answers: its fingerprint, its cost
        face = NATIVE_FACES.get(self.dialect)
        if face is not None:  # a native protocol's reply or stream, written by its face
            n = self.relay.next_id()
            if body.get("stream"):
                face.send_stream(self, n, reply_model, completion, calls, text=asked.tool_call is None)
            else:
                time.sleep((self.relay.ttft_ms + stand_in.pace_ms(len(completion.pieces), self.relay.token_ms)) / 1000.0)
                payload = face.reply(n, reply_model, completion, calls, text=asked.tool_call is None)
                if thinks:  # non-stream replies only: the demo streams no thinking
                    payload["content"].insert(0, demo_thinking.block(self.behaviour))
                if self.dialect == "anthropic" and self.behaviour.openai_tool_ids:
                    demo_anthropic.keep_call_ids(payload)
                if self.dialect == "anthropic" and self.behaviour.drop_cache_fields:
                    payload["usage"] = {k: v for k, v in payload["usage"].items() if not k.startswith("cache_")}
                if self.dialect == "gemini" and self.behaviour.omit_gemini_usage:
                    payload.pop("usageMetadata", None)
                self._json(200, payload, {face.REQUEST_ID: f"req_demo{n}"})
        elif body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            SSEWriter(self, reply_model, completion, include_usage, tuple(calls), text=asked.tool_call is None, served=served).send()
        else:
            self._completion(reply_model, completion, asked, served, calls)

    def _count(self, raw: bytes, gemini_model: str | None) -> None:
        """The native count endpoints: the request's prompt counted as the stand-in bills it (hidden prompts excepted:
        a relay that adds one bills it without counting it)."""
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        chat = demo_gemini.to_chat(body, gemini_model, False) if gemini_model else demo_anthropic.to_chat(body)
        if self._authorized(chat if isinstance(chat, dict) else None) is None:
            return
        messages = chat.get("messages") if isinstance(chat, dict) else None
        name = chat.get("model") if isinstance(chat, dict) else None
        if not isinstance(messages, list) or not messages or name not in stand_in.MODELS:
            self._bad_request("the request to count needs a known model and its messages")
            return
        number = tokens.count_chat_prompt(messages, stand_in.encoding_for(name))
        self._json(200, {"totalTokens": number} if gemini_model else {"input_tokens": number})

    def _over_the_ceiling(self, name: str, body: dict) -> bool:
        """Refuse a completion limit above the serving model's published ceiling, naming it as OpenAI does."""
        served = self.behaviour.sibling or name
        facts = lookup(served)
        field = "max_completion_tokens" if "max_completion_tokens" in body else "max_tokens"
        limit = body.get(field)
        if not self.relay.ceilings or facts is None or not facts.max_output_tokens or not isinstance(limit, int) \
                or limit <= facts.max_output_tokens:
            return False
        if self.behaviour.clamp_limits:
            body[field] = facts.max_output_tokens  # the request goes on with the ceiling instead
            return False
        self._error(400, f"{field} is too large: {limit}. This model supports at most {facts.max_output_tokens} completion tokens, "
                    f"whereas you provided {limit}.", "invalid_request_error", "invalid_value", field)
        return True

    def _replay(self, body: dict, override: str | None) -> str | None:
        """The replay_cache fault: a response cache keyed too loosely answers the long prompts with the first nonce reply."""
        text = json.dumps(body["messages"])
        match = NONCE_IN_PROMPT.search(text)
        with self.relay.flight_lock:
            if "Reply with exactly this text" in text and match and self.relay.cached_reply is None:
                self.relay.cached_reply = match.group()  # what the honest model answers: the nonce itself
                return override
            if "Write the integers" in text and "Reference:" in text and self.relay.cached_reply is not None:
                return self.relay.cached_reply
        return override

    def _usage_faults(self, completion: stand_in.Completion, stream: bool) -> stand_in.Completion:
        """Faults that change what is billed or how much arrives, not how it is framed."""
        b = self.behaviour
        if b.hidden_prompt_tokens:
            completion = replace(completion, prompt_tokens=completion.prompt_tokens + b.hidden_prompt_tokens)
        if b.usage_completion_factor != 1.0 and not stream:
            completion = replace(completion, completion_tokens=round(completion.completion_tokens * b.usage_completion_factor))
        if b.truncate_at is not None and len(completion.pieces) > b.truncate_at:
            # A proxy output cap: the reply stops early and still says "stop".
            completion = replace(completion, pieces=completion.pieces[: b.truncate_at], completion_tokens=b.truncate_at, finish_reason="stop")
        return completion

    def _completion(self, reply_model: str, completion: stand_in.Completion, asked: extras.Request, served: str,
                    calls: list[dict]) -> None:
        time.sleep((self.relay.ttft_ms + stand_in.pace_ms(len(completion.pieces), self.relay.token_ms)) / 1000.0)
        n = self.relay.next_id()
        usage = usage_of(completion)
        usage["total_tokens"] += self.behaviour.total_tokens_offset
        headers = {"x-request-id": f"req_demo{n}"}
        cost = reported_cost(self.behaviour, served, completion)
        if cost is not None and self.behaviour.reports_cost == "openrouter":
            usage["cost"] = cost
        elif cost is not None:
            headers["x-litellm-response-cost"] = repr(cost)  # LiteLLM: the USD figure as Python prints it
        payload: dict[str, Any] = {
            "id": f"chatcmpl-demo{n}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": reply_model,
            "choices": [
                {
                    "index": i,
                    "message": {"role": "assistant", "content": None if asked.tool_call else completion.text, "refusal": None,
                                **({"reasoning_content": REASONING_TEXT} if self.behaviour.reasoning_on_top and completion.reasoning_tokens else {}),
                                **({"tool_calls": calls} if calls else {})},
                    "logprobs": extras.logprobs_for(completion.pieces) if asked.logprobs else None,
                    "finish_reason": completion.finish_reason,
                }
                for i in range(asked.n)
            ],
            "usage": usage,
            "system_fingerprint": fingerprint_of(served),
        }
        for dropped in self.behaviour.drop_reply_fields:
            del payload[dropped]
        payload.update(self.behaviour.extra_reply_fields)
        self._json(200, payload, headers)
