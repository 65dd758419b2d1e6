"""The history database: a versioned SQLite schema with forward migrations, written from redacted reports only."""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping

from relaycheck.core.exits import UsageError

ENV_NAME = "RELAYCHECK_HISTORY"
FILE_NAME = "history.sqlite3"

# Each entry upgrades the schema from its index to the next (PRAGMA user_version holds the version reached). Never
# edit an entry that has shipped: add one. A database newer than this list is refused, not guessed at.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,
        finished_at TEXT NOT NULL,
        profile TEXT NOT NULL,
        tool_version TEXT NOT NULL,
        source TEXT NOT NULL
    );
    CREATE TABLE target_runs (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        target TEXT NOT NULL,
        base_url TEXT NOT NULL,
        protocol TEXT NOT NULL,
        key_id TEXT NOT NULL,
        models TEXT NOT NULL,
        planned_cost REAL,
        charged REAL,
        currency TEXT,
        tokens INTEGER NOT NULL,
        requests INTEGER NOT NULL,
        selection TEXT NOT NULL,
        PRIMARY KEY (run_id, target)
    );
    CREATE TABLE findings (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        target TEXT NOT NULL,
        check_id TEXT NOT NULL,
        model TEXT NOT NULL,
        status TEXT NOT NULL,
        severity TEXT NOT NULL,
        summary TEXT NOT NULL,
        PRIMARY KEY (run_id, target, check_id, model)
    );
    CREATE TABLE signals (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        target TEXT NOT NULL,
        model TEXT NOT NULL,
        name TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (run_id, target, model, name)
    );
    CREATE TABLE drift (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        target TEXT NOT NULL,
        model TEXT NOT NULL,
        rule TEXT NOT NULL,
        subject TEXT NOT NULL,
        before TEXT,
        after TEXT,
        detail TEXT NOT NULL
    );
    CREATE TABLE spend (
        id INTEGER PRIMARY KEY,
        day TEXT NOT NULL,
        target TEXT NOT NULL,
        amount REAL NOT NULL
    );
    CREATE INDEX target_runs_by_target ON target_runs (target, run_id);
    CREATE INDEX findings_by_target ON findings (target, run_id);
    CREATE INDEX signals_by_target ON signals (target, run_id);
    CREATE INDEX spend_by_day ON spend (day, target);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


def default_path(env: Mapping[str, str] | None = None, platform: str = sys.platform) -> Path:
    """Where history lives unless told: $RELAYCHECK_HISTORY, else the user's data directory (XDG on Linux)."""
    env = os.environ if env is None else env
    if env.get(ENV_NAME):
        return Path(env[ENV_NAME]).expanduser()
    home = Path(env.get("HOME") or Path.home())
    if platform == "darwin":
        base = home / "Library" / "Application Support"
    elif platform.startswith("win"):
        base = Path(env.get("LOCALAPPDATA") or home / "AppData" / "Local")
    else:
        base = Path(env.get("XDG_DATA_HOME") or home / ".local" / "share")
    return base / "relaycheck" / FILE_NAME


@dataclass(frozen=True)
class RunRow:
    """One recorded run of one target."""

    run_id: int
    finished_at: str
    source: str
    target: str
    models: tuple[str, ...]
    planned_cost: float | None
    charged: float | None  # what a watch charged its daily cap for the cycle
    currency: str | None
    tokens: int
    requests: int
    selection: str  # the profile and checks of the run: drift compares runs of one selection


class History:
    """An open history database (one connection; every write is one transaction)."""

    def __init__(self, path: Path, create: bool = True, make_parent: bool = False) -> None:
        self.path = path
        if not create and not path.exists():
            raise UsageError(f"{path}: no history database there (record one with probe --history or watch)")
        if create and not path.parent.is_dir():
            # The default location is made as any tool makes its data directory; a path the user gave must exist,
            # as for --output (a typo should not silently start a second history).
            if not make_parent:
                check_location(path)
            path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, timeout=10.0, isolation_level=None)
        try:
            self.db.execute("PRAGMA foreign_keys = ON")
            self.db.execute("PRAGMA busy_timeout = 10000")  # a watch writing while `history` reads: wait, not fail
            self._migrate(create)
        except sqlite3.DatabaseError as exc:
            self.db.close()
            raise UsageError(f"{path}: not a relaycheck history database ({exc})") from None
        except UsageError:
            self.db.close()
            raise

    def _version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self, create: bool) -> None:
        version = self._version()
        if version > SCHEMA_VERSION:
            raise UsageError(f"{self.path}: history schema {version} is newer than this relaycheck reads ({SCHEMA_VERSION}): upgrade relaycheck")
        if version == 0 and not create:  # reading: an empty or foreign SQLite file is not made into a history
            raise UsageError(f"{self.path}: not a relaycheck history database (no history schema in it)")
        if version < SCHEMA_VERSION:
            self.db.execute("PRAGMA journal_mode = WAL")  # readers never block the writer
        while version < SCHEMA_VERSION:
            with self.transaction():
                # Read again under the write lock: another process may have migrated the file meanwhile.
                version = self._version()
                if version >= SCHEMA_VERSION:
                    break
                for statement in _statements(MIGRATIONS[version]):
                    self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {version + 1}")
            version += 1

    def transaction(self) -> "_Transaction":
        """A context in which every statement commits together, or none does."""
        return _Transaction(self.db)

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    def __enter__(self) -> "History":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- reading ---------------------------------------------------------------------------------------------
    def targets(self) -> list[str]:
        """Every target name recorded, in order of first appearance."""
        rows = self.db.execute("SELECT target, MIN(run_id) FROM target_runs GROUP BY target ORDER BY MIN(run_id)")
        return [r[0] for r in rows]

    def runs(self, target: str, last: int | None = None, selection: str | None = None) -> list[RunRow]:
        """The target's recorded runs, oldest first (the newest `last` of them when given; of one selection)."""
        query = ("SELECT t.run_id, r.finished_at, r.source, t.target, t.models, t.planned_cost, t.charged, t.currency, t.tokens, t.requests, "
                 "t.selection FROM target_runs t JOIN runs r ON r.id = t.run_id WHERE t.target = ?")
        params: tuple[object, ...] = (target,)
        if selection is not None:
            query += " AND t.selection = ?"
            params += (selection,)
        query += " ORDER BY t.run_id DESC"
        if last is not None:
            query += " LIMIT ?"
            params += (last,)
        rows = [RunRow(r[0], r[1], r[2], r[3], tuple(json.loads(r[4])), *r[5:]) for r in self.db.execute(query, params)]
        return rows[::-1]

    def charged_on(self, day: str) -> dict[str, float]:
        """What watches charged each target's daily cap on a UTC day (YYYY-MM-DD), cycles stopped half-way included
        at their planned maximum: a restarted watch starts from it."""
        rows = self.db.execute("SELECT target, SUM(amount) FROM spend WHERE day = ? GROUP BY target", (day,))
        return {name: float(total) for name, total in rows}

    def reserve_spend(self, day: str, target: str, amount: float) -> int:
        """Write a cycle's reservation (its planned maximum) before it sends anything; the row's id."""
        with self.transaction() as db:
            return int(db.execute("INSERT INTO spend (day, target, amount) VALUES (?, ?, ?)", (day, target, amount)).lastrowid or 0)

    def settle_spend(self, row: int, amount: float) -> None:
        """Replace a reservation by what the finished cycle was charged."""
        with self.transaction() as db:
            db.execute("UPDATE spend SET amount = ? WHERE id = ?", (amount, row))

    def findings(self, target: str, since_run: int = 0) -> Iterator[tuple[int, str, str, str, str, str]]:
        """(run id, check id, model, status, severity, summary) of the target, by check then run."""
        yield from self.db.execute(
            "SELECT run_id, check_id, model, status, severity, summary FROM findings WHERE target = ? AND run_id >= ? "
            "ORDER BY check_id, model, run_id", (target, since_run))

    def signals(self, target: str, since_run: int = 0) -> Iterator[tuple[int, str, str, str]]:
        """(run id, model, name, value) of the target, by name then run."""
        yield from self.db.execute(
            "SELECT run_id, model, name, value FROM signals WHERE target = ? AND run_id >= ? ORDER BY model, name, run_id", (target, since_run))

    def drift(self, target: str | None = None, run_id: int | None = None) -> list[tuple[int, str, str, str, str, str | None, str | None, str]]:
        """(run id, target, model, rule, subject, before, after, detail) of recorded drift, oldest first."""
        query, params = "SELECT run_id, target, model, rule, subject, before, after, detail FROM drift WHERE 1 = 1", []
        if target is not None:
            query, params = query + " AND target = ?", [*params, target]
        if run_id is not None:
            query, params = query + " AND run_id = ?", [*params, run_id]
        return list(self.db.execute(query + " ORDER BY id", params))


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, kind: object, *rest: object) -> None:
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


def check_location(path: Path) -> None:
    """Refuse, before a run starts, a history path whose directory does not exist (one line, exit 2)."""
    if not path.parent.is_dir():
        raise UsageError(f"{path}: the directory {path.parent} does not exist")


def open_history(path: Path | None, env: Mapping[str, str] | None = None, create: bool = True) -> History:
    """The history at `path` (else the default location), migrated to the current schema."""
    return History(path or default_path(env), create=create, make_parent=path is None)

