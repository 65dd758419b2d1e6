"""The recording httpx client every probe goes through: deadlines, caps, no redirects, no retries."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import email.utils
import http.cookiejar
import json
import math
import ssl
import threading
import time
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable

import httpx

from relaycheck import __version__
from relaycheck.protocol.auth import Auth, place_key
from relaycheck.transport.breaker import NOT_SENT, RUN_DEADLINE, UNREACHABLE, Breaker
from relaycheck.wire.evidence import EvidenceBudget
from relaycheck.wire.exchange import Exchange
from relaycheck.transport.recorder import Recorder

if TYPE_CHECKING:
    from relaycheck.probes.budget import Budget

USER_AGENT = f"relaycheck/{__version__}"


@dataclass(frozen=True)
class Limits:
    """Per-request bounds and per-target politeness."""

    connect_s: float = 10.0
    read_s: float = 30.0  # longest silence allowed: time to first byte, and gaps inside a stream
    deadline_s: float = 90.0  # whole request, body included
    body_cap: int = 512 * 1024  # decoded bytes kept as evidence
    drain_cap: int = 16 * 1024 * 1024  # decoded bytes read at most; past it the read stops
    max_events: int = 50_000
    concurrency: int = 4
    max_retry_after_s: float = 30.0  # one Retry-After longer than this is not waited (nor retried)
    # Total seconds per run the client is held by Retry-After (and the pacing after a 429): a relay answering 429
    # with Retry-After 29 forever once stretched a quick run to ~400 s. Past it, 429s are neither waited nor retried.
    retry_wait_s: float = 60.0


# What an unreadable Retry-After ("soon", a leap second) waits instead: the relay asked for a pause without saying
# how long. The openai SDK falls back on its own backoff there (0.5 s, doubling); relaycheck waits one second, once.
DEFAULT_RETRY_AFTER_S = 1.0


def _seconds(value: str) -> float | None:
    """A finite number of seconds, or None ("nan" and "inf" parse as floats but are no wait)."""
    try:
        number = float(value)
    except ValueError:
        return None
    return max(0.0, number) if math.isfinite(number) else None


def read_retry_after(headers: httpx.Headers) -> tuple[float | None, str | None]:
    """(seconds to wait, note) from retry-after-ms, or Retry-After as seconds or an HTTP date.

    None when the response names no wait; a value that is neither a number nor a valid date waits the default
    and comes with a note saying so, never an exception.
    """
    if (ms := headers.get("retry-after-ms")) is not None and (seconds := _seconds(ms)) is not None:
        return seconds / 1000.0, None
    value = headers.get("retry-after")
    if value is None:
        if ms is None:
            return None, None
        name, value = "retry-after-ms", ms  # an unreadable ms form with nothing to fall back on
    else:
        name = "Retry-After"
    if (seconds := _seconds(value)) is not None:
        return seconds, None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (ValueError, TypeError, IndexError, OverflowError):  # "soon", "…23:59:60 GMT", day 99
        parsed = None
    if parsed is None:
        shown = value if len(value) <= 60 else value[:59] + "…"
        return DEFAULT_RETRY_AFTER_S, f"{name} {shown!r} is neither seconds nor an HTTP date: waited the default {DEFAULT_RETRY_AFTER_S:g} s"
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return max(0.0, (parsed - datetime.now(timezone.utc)).total_seconds()), None


def retry_after_seconds(headers: httpx.Headers) -> float | None:
    """The wait read_retry_after asks for (the default for an unreadable value), or None when none is named."""
    return read_retry_after(headers)[0]


class _NoCookies(http.cookiejar.DefaultCookiePolicy):
    """Refuse every cookie: a session cookie from one probe would follow the wrong-key and no-key probes (and one
    the client cannot encode would break every later request)."""

    def set_ok(self, cookie: http.cookiejar.Cookie, request: object) -> bool:
        return False

    def return_ok(self, cookie: http.cookiejar.Cookie, request: object) -> bool:
        return False


_SSL: dict[bool, ssl.SSLContext] = {}
_SSL_LOCK = threading.Lock()


def shared_ssl_context(trust_env: bool) -> ssl.SSLContext:
    """One verifying SSL context per process (and trust_env setting), built on first use: each httpx client would
    otherwise load the CA bundle again (1,000 targets made 1,000 contexts)."""
    with _SSL_LOCK:
        if trust_env not in _SSL:
            _SSL[trust_env] = httpx.create_ssl_context(trust_env=trust_env)
        return _SSL[trust_env]


class RecordingClient:
    """One per target: sends requests, records every exchange, never follows redirects or retries."""

    def __init__(
        self,
        key: str | None,
        limits: Limits = Limits(),
        transport: httpx.AsyncBaseTransport | None = None,
        trust_env: bool = True,
        on_exchange: Callable[[Exchange], None] | None = None,
        budget: "Budget | None" = None,
        run_deadline_s: float | None = None,
        headers: tuple[tuple[str, str], ...] = (),
    ) -> None:
        self._key = key
        self._headers = dict(headers)  # the target's extra headers (headers:), on every request
        self._budget = budget
        self.limits = limits
        self.exchanges: list[Exchange] = []
        self.keys_used: set[str] = {key} if key else set()
        self.evidence = EvidenceBudget()  # bodies and events kept across all this client's exchanges
        self.breaker = Breaker(run_deadline_s)  # stops the run early against a dead relay, and at --deadline
        self._on_exchange = on_exchange
        self._sem = asyncio.Semaphore(limits.concurrency)
        self._counter = 0
        self._not_before = 0.0
        # After a 429 the client turns polite: one request at a time, so retries do not collide again,
        # spaced at the rate the relay allowed before it said 429.
        self._throttled = False
        self._serial = asyncio.Lock()
        self._interval = 0.0
        self._last_start = 0.0
        self._recent: collections.deque[tuple[float, int | None]] = collections.deque(maxlen=256)  # (start, status)
        self._waited = 0.0  # seconds of this run spent held by Retry-After and the pacing after it
        self._granted: set[str] = set()  # ids of 429s whose Retry-After was waited: their probe may retry them
        self._client = httpx.AsyncClient(
            follow_redirects=False,
            timeout=httpx.Timeout(limits.read_s, connect=limits.connect_s),
            transport=transport,
            # Always the process's one context: also the proxy transports httpx mounts from the environment use it.
            verify=shared_ssl_context(trust_env),
            trust_env=trust_env,
            cookies=http.cookiejar.CookieJar(policy=_NoCookies()),  # nothing is stored, so nothing is sent back
            headers={"user-agent": USER_AGENT, "accept-encoding": "gzip, deflate"},
        )

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()

    async def __aenter__(self) -> "RecordingClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def request(
        self,
        method: str,
        url: str,
        *,
        probe: str,
        model: str | None = None,
        label: str = "",
        json_body: dict[str, Any] | None = None,
        raw_body: bytes | None = None,
        auth: Auth = Auth.BEARER,
        key: str | None = None,
        expect_sse: bool = False,
        deadline_s: float | None = None,
        retry_of: str | None = None,
        unless: asyncio.Event | None = None,
        measuring: bool = False,
        close_after_events: int | None = None,
        completion_ceiling: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> Exchange | None:
        """Send one request and return its recorded exchange; transport failures become fields, not exceptions.

        With `unless`, nothing is sent (None is returned) once that event is set, even after waiting for a turn.
        `measuring` requests (the opt-in burst, bounded and stopping at its first 429) still wait for Retry-After
        but skip the one-at-a-time pacing that follows a 429, which would hide the limit they measure.
        `close_after_events` closes a stream once that many events arrived (what is read is what is judged);
        `completion_ceiling` is then the completion the cost guard reserves instead of the body's own limit.
        """
        deadline = deadline_s or self.limits.deadline_s
        presented = key if key is not None else self._key
        async with self._sem:
            async with self._serial if self._throttled and not measuring else contextlib.nullcontext():
                if unless is not None and unless.is_set():
                    return None
                await self._polite_wait(paced=not measuring)
                if unless is not None and unless.is_set():
                    return None
                started = self._last_start = time.monotonic()
                self._counter += 1
                rec = Recorder(
                    xid=f"x{self._counter}",
                    probe=probe,
                    model=model,
                    label=label,
                    expect_sse=expect_sse,
                    limits=self.limits,
                    started_at=datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                    t0=time.perf_counter(),
                    presented_key=presented if auth is not Auth.NONE else None,
                    retry_of=retry_of,
                    evidence=self.evidence,
                    close_after_events=close_after_events,
                    completion_ceiling=completion_ceiling,
                )
                stop = self.breaker.why_not()
                left = self.breaker.remaining_s()
                clipped = left is not None and stop is None and left < deadline
                if clipped:
                    deadline = max(left, 0.001)  # type: ignore[arg-type]  # no request outlives the run's --deadline
                billable = stop is None and self._budget is not None and self._budget.billable(method, url, json_body)
                reserved = self._budget.reserve(json_body, completion_ceiling, url) if billable else None  # type: ignore[union-attr, arg-type]
                if stop is not None:
                    rec.method, rec.url = method, url
                    rec.request_body = json.dumps(json_body, ensure_ascii=False) if json_body is not None else None
                    rec.fail(NOT_SENT, stop)
                elif billable and reserved is None:
                    rec.method, rec.url = method, url
                    rec.request_body = json.dumps(json_body, ensure_ascii=False)  # what would have been sent
                    rec.fail("cost_cap", "not sent: its worst case would take the run past the cost cap")
                else:
                    try:
                        await asyncio.wait_for(self._send(rec, method, url, json_body, raw_body, auth, presented, headers), timeout=deadline)
                    except asyncio.TimeoutError:
                        if clipped:  # relaycheck's own limit cut it, not the relay's slowness
                            rec.fail(RUN_DEADLINE, f"cut at the run's deadline of {self.breaker.run_deadline_s:g} s before it finished")
                        else:
                            rec.fail("deadline", f"no complete answer within the {deadline:g} s deadline")
                rec.end_ms = rec.now_ms()
                exchange = rec.freeze(deadline)
                if reserved is not None:
                    self._budget.settle(reserved, json_body, exchange)  # type: ignore[union-attr, arg-type]
                exchange = self._heed(exchange, started)
                self.breaker.observe(exchange)
        self.exchanges.append(exchange)
        if self._on_exchange:
            self._on_exchange(exchange)
        return exchange

    def retry_granted(self, exchange: Exchange) -> bool:
        """Whether this 429's Retry-After was waited (within the per-wait cap and the run's budget): only then is
        it worth retrying."""
        return exchange.id in self._granted

    async def _polite_wait(self, paced: bool = True) -> None:
        now = time.monotonic()
        held = max(now, self._not_before)
        # Pacing beyond the Retry-After hold counts against the same budget; once it is spent, requests go unpaced.
        spacing = self._last_start + self._interval - held if self._throttled and paced else 0.0
        if spacing > 0 and self._waited + spacing <= self.limits.retry_wait_s:
            self._waited += spacing  # under the serial lock when paced: these waits follow one another
            held += spacing
        delay = held - now
        if delay > 0:
            await asyncio.sleep(delay)

    def _hold(self, seconds: float) -> bool:
        """Hold every request `seconds` from now, if the run's Retry-After budget allows; False when it does not.

        Only the part beyond the hold already in force counts: concurrent requests waiting out one Retry-After
        spend it once."""
        now = time.monotonic()
        extra = now + seconds - max(now, self._not_before)
        if extra <= 0:
            return True
        if self._waited + extra > self.limits.retry_wait_s:
            return False
        self._waited += extra
        self._not_before = now + seconds
        return True

    def _build(self, method: str, url: str, json_body: Any, raw_body: bytes | None, auth: Auth, key: str | None,
               extra: dict[str, str] | None = None) -> httpx.Request:
        # The target's extra headers, then a protocol's own (anthropic-version) or a User-Agent a probe poses with;
        # the key is placed after, so no extra header can displace it.
        headers: dict[str, str] = {**self._headers, **(extra or {})}
        params: dict[str, str] = {}
        body = dict(json_body) if json_body is not None else None
        if key:
            self.keys_used.add(key)
            place_key(auth, key, headers, params, body)
        content = raw_body
        if raw_body is not None:
            headers["content-type"] = "application/json"  # raw bodies are deliberately malformed JSON requests
        if body is not None:
            content = json.dumps(body, ensure_ascii=False).encode("utf-8")
            headers["content-type"] = "application/json"
        return self._client.build_request(method, url, headers=headers, params=params or None, content=content)

    async def _send(self, rec: Recorder, method: str, url: str, json_body: Any, raw_body: bytes | None, auth: Auth, key: str | None,
                    headers: dict[str, str] | None = None) -> None:
        try:
            request = self._build(method, url, json_body, raw_body, auth, key, headers)
        except (httpx.InvalidURL, httpx.UnsupportedProtocol, ValueError) as exc:
            rec.method, rec.url = method, url
            rec.fail("protocol", f"invalid request: {exc}")
            return
        rec.method, rec.url = request.method, str(request.url)
        rec.request_headers = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw)
        rec.request_body = request.content.decode("utf-8", errors="replace") if request.content else None
        try:
            response = await self._client.send(request, stream=True)
        except httpx.ConnectTimeout as exc:
            rec.fail("connect", f"connect timeout: {exc}")
            return
        except httpx.ReadTimeout as exc:
            rec.fail("read", f"no response headers within {self.limits.read_s:g} s: {exc}")
            return
        except httpx.UnsupportedProtocol as exc:
            rec.fail("protocol", f"invalid URL: {exc}")
            return
        except httpx.ConnectError as exc:  # refused, no such host, TLS failure: unreachable, not slow
            rec.fail(UNREACHABLE, f"connection failed: {exc}")
            return
        except Exception as exc:  # anything else a broken peer or URL provokes is evidence, never a crash
            rec.fail("protocol", f"{type(exc).__name__}: {exc}")
            return
        rec.on_headers(response)
        try:
            async for raw in response.aiter_raw():
                if not await rec.receive(raw, rec.now_ms()):
                    break
        except httpx.ReadTimeout:
            kind = "read" if rec.first_byte_ms is None else "stream_idle"
            rec.fail(kind, f"no bytes for {self.limits.read_s:g} s")
        except zlib.error as exc:
            rec.fail("protocol", f"body does not decode as {rec.decoder.encoding if rec.decoder else '?'}: {exc}")
        except Exception as exc:  # a broken peer mid-body: record it, keep what arrived
            rec.fail("protocol", f"{type(exc).__name__}: {exc}")
        finally:
            await response.aclose()

    def _heed(self, exchange: Exchange, started: float) -> Exchange:
        """Politeness after a rate limit: hold every request until Retry-After, then send one at a time,
        no faster than the relay allowed in the Retry-After window before it refused.

        Returns the exchange with a note when its Retry-After was unreadable or was not waited."""
        self._recent.append((started, exchange.status))
        if exchange.status not in (429, 503):
            return exchange
        from relaycheck.wire.errorclass import INSUFFICIENT_BALANCE, classify

        info = classify(exchange)
        rate_limited = exchange.status == 429 and (info is None or info.category != INSUFFICIENT_BALANCE)
        if rate_limited:
            self._throttled = True  # an exhausted balance is not a rate limit: slowing down would not help
        seconds, note = read_retry_after(httpx.Headers(list(exchange.response_headers)))
        notes = [note] if note else []
        if seconds is not None and seconds > self.limits.max_retry_after_s:
            notes.append(f"Retry-After {seconds:g} s is longer than the {self.limits.max_retry_after_s:g} s relaycheck waits: not waited, not retried")
        elif seconds is not None and not self._hold(seconds):
            notes.append(f"Retry-After {seconds:g} s not waited, not retried: this run's {self.limits.retry_wait_s:g} s budget for "
                         f"Retry-After waits is used up ({self._waited:.0f} s waited)")
        elif seconds is not None:
            if rate_limited:
                self._granted.add(exchange.id)
            if rate_limited and seconds > 0:
                allowed = sum(1 for t, status in self._recent if t >= started - seconds and status != 429)
                # 10% slower than the observed rate, so fixed windows never see one request too many.
                self._interval = max(self._interval, min(1.1 * seconds / max(allowed, 1), self.limits.max_retry_after_s))
        return dataclasses.replace(exchange, notes=exchange.notes + tuple(notes)) if notes else exchange
