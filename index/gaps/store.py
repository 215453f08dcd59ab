"""The gap store: every question Footnote declined, and every answer someone marked 👎, from the
API, the web page and Discord, kept in `gaps.sqlite` in the index folder so that every surface
(the API, the bot, `footnote gaps`) reads and writes the same file.

Each row says where it came from (origin, and for Discord the server, or None for a DM) and
whether it was private; a user id only where the caller was allowed to keep one. Rows are
closed, never deleted, when a later index answers them; `forget_answers` and `prune` delete.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

FILE = "gaps.sqlite"
# Sent with a question by a caller that keeps its own gaps (the bot with --api): the API then
# keeps none for it, so a Discord question is neither kept twice nor kept without its privacy.
KEPT_BY_CALLER = ("X-Footnote-Gaps", "kept-by-caller")
ORIGINS = ("api", "web", "discord")
KINDS = ("declined", "down")
SCHEMA = """
CREATE TABLE IF NOT EXISTS asked (
    id INTEGER PRIMARY KEY, question TEXT NOT NULL, kind TEXT NOT NULL, origin TEXT NOT NULL,
    guild_id INTEGER, private INTEGER NOT NULL DEFAULT 0, user_id INTEGER, answer_id INTEGER,
    generation TEXT, created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS asked_by_age ON asked(created_at);
"""
# Columns added after the first version: a file written before them gains them on open.
ADDED_COLUMNS = ("closed_at TEXT", "closed_by TEXT", "closed_generation TEXT", "checked_generation TEXT",
                 "related TEXT", "vector BLOB", "vector_key TEXT")
# One row per Discord answer and kind: a second 👎 on the same answer is the same question.
INDEXES = "CREATE UNIQUE INDEX IF NOT EXISTS asked_once ON asked(answer_id, kind) WHERE answer_id IS NOT NULL;"
COLUMNS = ("id", "question", "kind", "origin", "guild_id", "private", "user_id", "answer_id", "generation",
           "created_at", "closed_at", "closed_by", "closed_generation", "checked_generation", "related")


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


@dataclass(frozen=True)
class Asked:
    """One declined question or 👎 answer, as stored."""

    id: int
    question: str
    kind: str
    origin: str
    guild_id: int | None
    private: bool
    user_id: int | None
    answer_id: int | None
    generation: str | None
    created_at: str
    closed_at: str | None
    closed_by: str | None
    closed_generation: str | None
    checked_generation: str | None
    related: tuple[dict, ...]  # the closest articles when last checked

    @classmethod
    def from_row(cls, row) -> Asked:
        values = dict(zip(COLUMNS, row))
        values["private"] = bool(values["private"])
        values["related"] = tuple(json.loads(values["related"] or "[]"))
        return cls(**values)


@dataclass(frozen=True)
class Place:
    """Which rows a reader may see: `guild` alone (one server's own), and without the private
    ones when the list goes to a shared channel."""

    guild: int | None = None  # None: every origin (the operator's view)
    shared: bool = False  # True: no private question


class GapStore:
    """Small and synchronous, like the bot's store: each call is one short transaction."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None  # opened on first need: see _connect

    @classmethod
    def beside(cls, index_dir: Path) -> GapStore:
        """The gap store of an index folder."""
        return cls(Path(index_dir) / FILE)

    def _connect(self, create: bool = True) -> sqlite3.Connection | None:
        """The open file. It is made only when something is kept: reading a store nobody wrote to
        finds nothing and leaves no file (an API serving a Milvus store has no index folder)."""
        with self._lock:
            if self._db is None and (create or self.path.exists()):
                self.path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=10)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")  # in WAL: no fsync per kept question, still never torn
                db.executescript(SCHEMA)
                have = {row[1] for row in db.execute("PRAGMA table_info(asked)")}
                for column in ADDED_COLUMNS:
                    if column.split()[0] not in have:
                        db.execute(f"ALTER TABLE asked ADD COLUMN {column}")
                db.executescript(INDEXES)
                self._db = db
            return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()

    def _run(self, sql: str, params=(), create: bool = True) -> list | int:
        """The rows a query returns, or the rows a change changed ([] or 0 with no file to read)."""
        db = self._connect(create)
        if db is None:
            return [] if sql.startswith("SELECT") else 0
        with self._lock:
            cur = db.execute(sql, params)
            return cur.fetchall() if sql.startswith("SELECT") else cur.rowcount

    def _run_many(self, sql: str, rows: list[tuple]) -> None:
        db = self._connect()
        with self._lock, db:
            db.executemany(sql, rows)

    def record(self, question: str, kind: str, origin: str, generation: str | None = None, *,
               guild_id: int | None = None, private: bool = False, user_id: int | None = None,
               answer_id: int | None = None, related: list[dict] = (), at: dt.datetime | None = None) -> int | None:
        """Keep one declined question or 👎 answer with the articles its answer offered (the closest,
        or those it cited); returns its id (None: that answer is already kept)."""
        if kind not in KINDS or origin not in ORIGINS:
            raise ValueError(f"a gap is of kind {'/'.join(KINDS)} from {'/'.join(ORIGINS)}, not {kind!r} from {origin!r}")
        db = self._connect()
        with self._lock:
            cur = db.execute("INSERT OR IGNORE INTO asked (question, kind, origin, guild_id, private, user_id, "
                             "answer_id, generation, created_at, related) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                             (question, kind, origin, guild_id, int(private), user_id, answer_id, generation,
                              (at or now()).isoformat(), json.dumps(list(related))))
        return int(cur.lastrowid) if cur.rowcount else None

    def rows(self, place: Place = Place(), since: dt.datetime | None = None) -> list[Asked]:
        """The rows `place` may see, asked at or after `since`, oldest first."""
        where, params = ["created_at >= ?"], [(since or dt.datetime.min.replace(tzinfo=dt.timezone.utc)).isoformat()]
        if place.guild is not None:
            where.append("origin = 'discord' AND guild_id = ?")
            params.append(place.guild)
        if place.shared:
            where.append("private = 0")
        sql = f"SELECT {', '.join(COLUMNS)} FROM asked WHERE {' AND '.join(where)} ORDER BY created_at, id"
        return [Asked.from_row(row) for row in self._run(sql, params, create=False)]

    def close_rows(self, ids: list[int], article_id: str, generation: str, at: dt.datetime | None = None) -> None:
        """Mark rows answered: when, by which article, in which generation."""
        self._run_many("UPDATE asked SET closed_at = ?, closed_by = ?, closed_generation = ?, checked_generation = ? "
                       "WHERE id = ? AND closed_at IS NULL",
                       [((at or now()).isoformat(), article_id, generation, generation, i) for i in ids])

    def mark_checked(self, ids: list[int], generation: str, related: list[dict]) -> None:
        """Rows still unanswered by `generation`, with the closest articles it has."""
        self._run_many("UPDATE asked SET checked_generation = ?, related = ? WHERE id = ?",
                       [(generation, json.dumps(related), i) for i in ids])

    def vectors(self, ids: list[int], key: str) -> dict[int, bytes]:
        """The stored question vectors of these rows made by the embedder `key` (its cache key)."""
        found = {}
        for start in range(0, len(ids), 500):  # SQLite's limit on parameters
            part = ids[start:start + 500]
            found.update(self._run(f"SELECT id, vector FROM asked WHERE vector_key = ? AND id IN "
                                   f"({','.join('?' * len(part))})", [key, *part], create=False))
        return found

    def keep_vectors(self, vectors: dict[int, bytes], key: str) -> None:
        self._run_many("UPDATE asked SET vector = ?, vector_key = ? WHERE id = ?",
                       [(v, key, i) for i, v in vectors.items()])

    def forget_answers(self, answer_ids: list[int]) -> int:
        """Delete the rows of these Discord answers (their asker used /forget-me)."""
        if not answer_ids:
            return 0
        marks = ",".join("?" * len(answer_ids))
        return self._run(f"DELETE FROM asked WHERE origin = 'discord' AND answer_id IN ({marks})", answer_ids,
                         create=False)

    def prune(self, days: int, origin: str) -> int:
        """Forget the rows from `origin` older than `days` days (0: keep everything)."""
        if days <= 0:
            return 0
        cutoff = (now() - dt.timedelta(days=days)).isoformat()
        return self._run("DELETE FROM asked WHERE origin = ? AND created_at < ?", (origin, cutoff), create=False)
