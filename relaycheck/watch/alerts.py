"""--on-drift CMD: a command of the user's, given each cycle's drift as JSON on stdin (relaycheck holds no webhook)."""

from __future__ import annotations

import json
import shlex
import subprocess
import threading
from typing import IO, Mapping

from relaycheck.history.drift import Event
from relaycheck.redaction.redact import Redactor

ALERT_TIMEOUT_S = 30.0  # a hook that hangs is stopped: the next cycle's alert must not wait behind it


def payload(target: str, run_id: int, finished_at: str, events: list[Event]) -> str:
    """The JSON a hook reads: which target, which recorded run, and each drift event."""
    return json.dumps({"schema_version": 1, "target": target, "run_id": run_id, "finished_at": finished_at,
                       "events": [e.as_dict() for e in events]}, ensure_ascii=False) + "\n"


class DriftHook:
    """Runs the command once per cycle that drifted, one at a time, each in the background with a deadline."""

    def __init__(self, command: str, env: Mapping[str, str], redactor: Redactor, err: IO[str]) -> None:
        self.argv = shlex.split(command)
        # The hook gets the environment, less every variable that holds a key: it needs no relay's credentials.
        self.env = {name: value for name, value in env.items() if not redactor.leaks(value)}
        self.redactor, self.err = redactor, err
        self._lock = threading.Lock()  # hooks run in order, never two at once
        self.threads: list[threading.Thread] = []

    def fire(self, target: str, run_id: int, finished_at: str, events: list[Event]) -> None:
        """Start the hook for these events (nothing when there are none)."""
        if not events:
            return
        body = self.redactor.assert_clean(payload(target, run_id, finished_at, events), "the --on-drift payload")
        thread = threading.Thread(target=self._run, args=(body,), name="on-drift", daemon=True)
        self.threads = [t for t in self.threads if t.is_alive()] + [thread]
        thread.start()

    def _run(self, body: str) -> None:
        with self._lock:
            try:
                done = subprocess.run(self.argv, input=body, text=True, capture_output=True, env=self.env, timeout=ALERT_TIMEOUT_S)
                if done.returncode != 0:
                    self._say(f"--on-drift exited {done.returncode}: {done.stderr.strip()[-300:]}")
            except subprocess.TimeoutExpired:
                self._say(f"--on-drift took longer than {ALERT_TIMEOUT_S:g} s and was stopped")
            except OSError as exc:
                self._say(f"--on-drift could not start: {exc.strerror or exc}")

    def _say(self, line: str) -> None:
        self.err.write(self.redactor.text(f"relaycheck watch: {line}") + "\n")
        self.err.flush()

    def wait(self, timeout_s: float = ALERT_TIMEOUT_S) -> None:
        """Let running hooks finish (on a clean stop)."""
        for thread in self.threads:
            thread.join(timeout_s)
