"""When to stop sending to a relay: it cannot be reached, it cannot answer in time, or the run's deadline passed."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from relaycheck.wire.exchange import Exchange

UNREACHABLE = "unreachable"  # connection refused, no such host, TLS failure: nothing answers at that address
# No answer in time: connect timeout, no headers within the idle timeout, the whole request past its deadline.
NO_ANSWER_IN_TIME = ("connect", "read", "deadline")
NOT_SENT = "not_sent"
RUN_DEADLINE = "run_deadline"  # sent, then cut by the run's own --deadline: says nothing about the relay


@dataclass
class Breaker:
    """Decides, from the exchanges so far, whether more requests to this relay could tell anything.

    A refused connection will be refused again; a relay whose first completion (or first request of any kind) ran
    out of time will make every later one wait as long. Then the rest of the run is not sent and the checks that
    needed it say why, so a dead or trickling relay is reported within about one request deadline.
    """

    run_deadline_s: float | None = None  # --deadline: the whole run, from the client's creation
    started: float = field(default_factory=time.monotonic)
    reason: str | None = None
    answered: bool = False  # some request got a complete answer
    completed: bool = False  # some completion (a POST) got a complete 2xx answer

    def remaining_s(self) -> float | None:
        """Seconds left before the run's deadline, or None without one."""
        if self.run_deadline_s is None:
            return None
        return self.run_deadline_s - (time.monotonic() - self.started)

    def why_not(self) -> str | None:
        """Why the next request must not be sent, or None when it may be."""
        left = self.remaining_s()
        if left is not None and left <= 0:  # first: a request cut by the run's deadline also looks like a slow relay
            return f"not sent: the run's deadline of {self.run_deadline_s:g} s had passed"
        return self.reason

    def observe(self, x: Exchange) -> None:
        """Learn from one finished exchange (not-sent ones teach nothing)."""
        if x.error_kind in (NOT_SENT, RUN_DEADLINE, "cost_cap") or self.reason is not None:
            return
        if x.status is not None and x.error is None:
            self.answered = True
            self.completed = self.completed or (x.method == "POST" and 200 <= x.status < 300)
            return
        if x.error_kind == UNREACHABLE:
            self.reason = f"not sent: the relay is unreachable ({x.id}: {x.error})"
        elif x.error_kind in NO_ANSWER_IN_TIME and (not self.answered or (x.method == "POST" and not self.completed)):
            what = "request" if not self.answered else "completion"
            self.reason = (f"not sent: the relay did not answer {x.id} in time ({x.error_kind}: {x.error}) and had not "
                           f"completed a {what} before, so every later one would wait as long")
