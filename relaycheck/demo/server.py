"""The demo relay's HTTP server: a loopback port, its state (ledger, cache, rate limits) and its lifecycle."""

from __future__ import annotations

import collections
import itertools
import threading
import time
from http.server import ThreadingHTTPServer

from relaycheck.demo import model as stand_in
from relaycheck.demo.behaviour import HONEST, Behaviour
from relaycheck.demo.ledger import Ledger
from relaycheck.demo.faults import Fault
from relaycheck.demo.cache import PrefixCache
from relaycheck.demo.handler import Handler, LoggedRequest
from relaycheck.core.exits import UsageError
from relaycheck.core.loopback import is_loopback_host
from relaycheck.text import tokens

DEMO_RELAY_KEY = "sk-demo-relay"  # what `relaycheck demo-relay` accepts unless --key-env names another key


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    relay: "DemoRelay"


_POLL_S = 0.05


class DemoRelay:
    """A running demo relay; use as a context manager or call start()/stop()."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        fault: Fault | None = None,
        key: str | None = None,
        ttft_ms: float = 30.0,
        token_ms: float = 3.0,
        empty_key: str | None = None,
        stall_s: float = 4.0,
        long_stall_s: float = 1.5,
        latency_ms: float = 0.0,
        ceilings: bool = True,
    ) -> None:
        if not is_loopback_host(host):
            raise UsageError(f"the demo relay only listens on loopback addresses, not {host!r}")
        self.host, self.port = host, port
        self.key = key
        self.empty_key = empty_key  # authenticates, but has no balance left
        self.ttft_ms, self.token_ms = ttft_ms, token_ms
        self.latency_ms = latency_ms  # added before every answer (benchmarks use it to model a slow relay)
        # Completion limits above a model's published ceiling are refused, as OpenAI does; the memory benchmark's
        # 100,000-token reply needs a model without one.
        self.ceilings = ceilings
        # What each billed completion cost the main key: (SHA-256 of the request body, model, prompt, completion).
        self.usage_log: collections.deque[tuple[str, str, int, int]] = collections.deque(maxlen=10_000)
        self.stall_s = stall_s
        self.long_stall_s = long_stall_s  # the long_stall fault's pause: above the demo's 1 s threshold, below its 2 s idle timeout
        self._windows: dict[str, tuple[int, int]] = {}  # key -> (window start second, requests counted in it)
        self.log: collections.deque[LoggedRequest] = collections.deque(maxlen=10_000)
        self.in_flight = 0
        self.max_in_flight = 0  # the most requests it served at once: tests check the client's cap with it
        self.flight_lock = threading.Lock()
        self._ids = itertools.count(1)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.set_fault(fault)

    @property
    def origin(self) -> str:
        """http://host:port with no path."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The API root, {origin}/v1."""
        return self.origin + "/v1"

    def set_fault(self, fault: Fault | None) -> None:
        """Switch to another fault (None: honest) from the next request on; the balance and the caches start again,
        as a relay that moved to another upstream channel would."""
        with self.flight_lock:
            self.fault = fault
            self.behaviour: Behaviour = fault.behaviour if fault else HONEST  # what the fault changes, as named switches
            # Requests per key per one-second window, as OpenAI limits per key: ordinary probes stay well below 15.
            self.rate_limit = self.behaviour.rate_limit
            self.ledger = Ledger(self.behaviour)
            self.prompt_cache = PrefixCache()
            self.billing_mode = self.behaviour.balance_style
            self.flaky_count = 0  # the flaky fault's counter of reliability samples
            self.cached_reply: str | None = None  # the replay_cache fault's first nonce reply, served again later

    def admit(self, key: str) -> tuple[bool, float]:
        """Count one API request of `key` in the current one-second window; return (allowed, seconds to the next)."""
        now = time.monotonic()
        second = int(now)
        with self.flight_lock:
            start, count = self._windows.get(key, (second, 0))
            count = count + 1 if start == second else 1
            self._windows[key] = (second, count)
        return count <= self.rate_limit, second + 1 - now

    def next_id(self) -> int:
        """A process-wide request counter for ids."""
        return next(self._ids)

    def bind(self) -> "DemoRelay":
        """Open the listening socket (port 0 picks a free port, readable afterwards)."""
        if self._server is None:
            # Loaded before the first request: a Claude-named run loads no OpenAI tokenizer of its own while planning,
            # and loading it inside the first answer (a second or more on a busy machine) ran into the client's deadline.
            tokens.get_encoding(stand_in.encoding_for(stand_in.DEFAULT_MODEL))
            self._server = _Server((self.host, self.port), Handler)
            self._server.relay = self
            self.port = self._server.server_address[1]
        return self

    def start(self) -> "DemoRelay":
        """Bind and serve in a background thread."""
        self.bind()
        assert self._server is not None
        # A short poll: stop() waits for the serving loop to notice, and the default half second was most of the
        # time a test spends closing its relay.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": _POLL_S}, name="demo-relay", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Bind and serve in the calling thread (for `relaycheck demo-relay`)."""
        self.bind()
        assert self._server is not None
        self._server.serve_forever()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "DemoRelay":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


