"""The bot's own SQLite file: answers it sent, feedback on them, its threads' history, searches.

It lives beside the index (INDEX_DIR/bot.sqlite by default), apart from the immutable
generations, so that buttons keep working after a restart and feedback can be exported
for evaluation. Questions come with who asked them, so nothing is kept longer than the
retention period (`prune`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

from index.answer import Turn

SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    id INTEGER PRIMARY KEY, question TEXT NOT NULL, answer TEXT NOT NULL, generation TEXT,
    user_id INTEGER, channel_id INTEGER, created_at TEXT NOT NULL, guild_id INTEGER, private INTEGER);
CREATE TABLE IF NOT EXISTS feedback (
    answer_id INTEGER NOT NULL REFERENCES answers(id), user_id INTEGER NOT NULL,
    vote INTEGER NOT NULL, question TEXT NOT NULL, answer_text TEXT NOT NULL, generation TEXT,
    created_at TEXT NOT NULL, reason TEXT, suggested TEXT, PRIMARY KEY (answer_id, user_id));
CREATE TABLE IF NOT EXISTS threads (id INTEGER PRIMARY KEY, answer_id INTEGER, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS turns (
    thread_id INTEGER NOT NULL REFERENCES threads(id), question TEXT NOT NULL,
    article_ids TEXT NOT NULL, created_at TEXT NOT NULL, user_id INTEGER);
CREATE TABLE IF NOT EXISTS searches (
    id INTEGER PRIMARY KEY, query TEXT NOT NULL, passages TEXT NOT NULL, created_at TEXT NOT NULL,
    user_id INTEGER);
CREATE TABLE IF NOT EXISTS guild_config (
    guild_id INTEGER PRIMARY KEY, config TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS posts (
    guild_id INTEGER NOT NULL, kind TEXT NOT NULL, posted_at TEXT NOT NULL, PRIMARY KEY (guild_id, kind));
"""
# What is looked up: a thread's turns, an answer's thread, a person's rows (/forget-me), and the
# age of every row (the daily prune). Created after ADDED_COLUMNS, which some of them index.
INDEXES = """
CREATE INDEX IF NOT EXISTS turns_by_thread ON turns(thread_id);
CREATE INDEX IF NOT EXISTS turns_by_user ON turns(user_id);
CREATE INDEX IF NOT EXISTS threads_by_answer ON threads(answer_id, created_at);
CREATE INDEX IF NOT EXISTS answers_by_user ON answers(user_id);
CREATE INDEX IF NOT EXISTS feedback_by_user ON feedback(user_id);
CREATE INDEX IF NOT EXISTS searches_by_user ON searches(user_id);
CREATE INDEX IF NOT EXISTS answers_by_age ON answers(created_at);
CREATE INDEX IF NOT EXISTS feedback_by_age ON feedback(created_at);
CREATE INDEX IF NOT EXISTS threads_by_age ON threads(created_at);
CREATE INDEX IF NOT EXISTS turns_by_age ON turns(created_at);
CREATE INDEX IF NOT EXISTS searches_by_age ON searches(created_at);
"""
ADDED_COLUMNS = {"feedback": ("reason TEXT", "suggested TEXT"), "answers": ("guild_id INTEGER", "private INTEGER"),
                 "turns": ("user_id INTEGER",), "searches": ("user_id INTEGER",)}  # files written before these  # files written before these existed
VOTE_KEYS = ("answer_id", "user_id", "vote", "question", "answer", "generation", "created_at", "reason", "suggested")


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class BotStore:
    """Small, synchronous and quick: each call is one short transaction."""

    def __init__(self, path: Path, history_turns: int = 6):
        self.path = Path(path)
        self.history_turns = history_turns
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()
        self._add_columns()
        self._db.executescript(INDEXES)
        self._threads = self._thread_ids()  # read before a first response: kept in memory, never a disk wait

    def _thread_ids(self) -> frozenset[int]:
        return frozenset(row[0] for row in self._run("SELECT id FROM threads"))

    def _add_columns(self) -> None:
        for table, columns in ADDED_COLUMNS.items():
            have = {row[1] for row in self._run(f"PRAGMA table_info({table})")}
            for column in columns:
                if column.split()[0] not in have:
                    self._run(f"ALTER TABLE {table} ADD COLUMN {column}")

    def close(self) -> None:
        self._db.close()

    def _run(self, sql: str, params=()) -> sqlite3.Cursor:
        with self._lock:
            return self._db.execute(sql, params)

    def save_answer(self, answer: dict, user_id: int | None, channel_id: int | None, guild_id: int | None = None,
                    private: bool = False) -> int:
        """Keep an answer so its buttons work later; returns its id (used in custom ids). Where it
        was asked (`guild_id`, None in a DM) and whether only the asker saw it decide who else may."""
        cur = self._run("INSERT INTO answers (question, answer, generation, user_id, channel_id, created_at, "
                        "guild_id, private) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (answer["question"], json.dumps(answer), answer.get("generation"), user_id, channel_id,
                         _now(), guild_id, int(private)))
        return int(cur.lastrowid)

    def answer_place(self, answer_id: int) -> tuple[int | None, bool] | None:
        """(the server it was asked in, None for a DM; whether it was private), or None when gone."""
        row = self._run("SELECT guild_id, private FROM answers WHERE id = ?", (answer_id,)).fetchone()
        return (row[0], bool(row[1])) if row else None

    def answer(self, answer_id: int) -> dict | None:
        row = self._run("SELECT answer FROM answers WHERE id = ?", (answer_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def record_feedback(self, answer_id: int, user_id: int, vote: int) -> bool:
        """Store (or change) a user's vote on an answer; False when the answer is unknown."""
        answer = self.answer(answer_id)
        if answer is None:
            return False
        self._run("INSERT OR REPLACE INTO feedback VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL)",
                  (answer_id, user_id, vote, answer["question"], answer["text"], answer.get("generation"), _now()))
        return True

    def explain_feedback(self, answer_id: int, user_id: int, reason: str, suggested: str | None) -> bool:
        """Add what was wrong (and the article that should have been cited) to a user's 👎,
        recording the 👎 if it is not there; False when the answer is unknown."""
        voted = self._run("SELECT 1 FROM feedback WHERE answer_id = ? AND user_id = ?", (answer_id, user_id)).fetchone()
        if voted is None and not self.record_feedback(answer_id, user_id, -1):
            return False
        self._run("UPDATE feedback SET reason = ?, suggested = ? WHERE answer_id = ? AND user_id = ?",
                  (reason, suggested, answer_id, user_id))
        return True

    def feedback(self) -> list[dict]:
        """Every vote with its question, answer text, generation and reason (the evaluation export)."""
        rows = self._run("SELECT answer_id, user_id, vote, question, answer_text, generation, created_at, reason, "
                         "suggested FROM feedback ORDER BY created_at, answer_id")
        return [{"kind": "vote", **dict(zip(VOTE_KEYS, row))} for row in rows]

    def declined(self) -> list[dict]:
        """Questions the articles did not cover, with the closest articles (no user ids)."""
        rows = self._run("SELECT id, question, generation, created_at, answer FROM answers "
                         "WHERE json_extract(answer, '$.abstained') = 1 ORDER BY created_at, id")
        return [{"kind": "declined", "answer_id": i, "question": q, "generation": g, "created_at": at,
                 "related": [c["article_id"] for c in json.loads(a).get("related", [])]} for i, q, g, at, a in rows]

    def open_thread(self, thread_id: int, answer_id: int) -> None:
        """Remember a thread on an answer, seeded with that answer's turn (once)."""
        opened = self._run("INSERT OR IGNORE INTO threads VALUES (?, ?, ?)", (thread_id, answer_id, _now()))
        self._threads = self._threads | {thread_id}
        row = self._run("SELECT answer, user_id FROM answers WHERE id = ?", (answer_id,)).fetchone()
        if opened.rowcount == 1 and row is not None:
            self.add_turn(thread_id, json.loads(row[0]), row[1])

    def thread_of(self, answer_id: int) -> int | None:
        row = self._run("SELECT id FROM threads WHERE answer_id = ? ORDER BY created_at LIMIT 1", (answer_id,)).fetchone()
        return row[0] if row else None

    def forget_thread(self, thread_id: int) -> None:
        """A thread was deleted in Discord: its history goes too."""
        self._run("DELETE FROM turns WHERE thread_id = ?", (thread_id,))
        self._run("DELETE FROM threads WHERE id = ?", (thread_id,))
        self._threads = self._threads - {thread_id}

    def is_thread(self, thread_id: int | None) -> bool:
        """Whether Footnote opened this thread: from memory, so it is safe on the event loop."""
        return thread_id in self._threads

    def add_turn(self, thread_id: int, answer: dict, user_id: int | None = None) -> None:
        ids = [c["article_id"] for c in answer.get("citations", [])]
        self._run("INSERT INTO turns VALUES (?, ?, ?, ?, ?)",
                  (thread_id, answer["question"], json.dumps(ids), _now(), user_id))

    def history(self, thread_id: int) -> tuple[Turn, ...]:
        """The thread's latest turns, oldest first, at most `history_turns` of them."""
        rows = self._run("SELECT question, article_ids FROM turns WHERE thread_id = ? ORDER BY rowid DESC "
                         "LIMIT ?", (thread_id, self.history_turns)).fetchall()
        return tuple(Turn(q, tuple(json.loads(ids))) for q, ids in reversed(rows))

    def save_search(self, query: str, passages: list[dict], user_id: int | None = None) -> int:
        cur = self._run("INSERT INTO searches (query, passages, created_at, user_id) VALUES (?, ?, ?, ?)",
                        (query, json.dumps(passages), _now(), user_id))
        return int(cur.lastrowid)

    def search(self, search_id: int) -> tuple[str, list[dict], int | None] | None:
        """(the query, its passages, who searched), or None when it is no longer stored."""
        row = self._run("SELECT query, passages, user_id FROM searches WHERE id = ?", (search_id,)).fetchone()
        return (row[0], json.loads(row[1]), row[2]) if row else None

    def guild_configs(self) -> dict[int, dict]:
        """Every server's own settings (/config), by server id."""
        return {g: json.loads(c) for g, c in self._run("SELECT guild_id, config FROM guild_config")}

    def set_guild_config(self, guild_id: int, config: dict) -> None:
        """Replace one server's own settings (kept until changed: they are not personal data)."""
        self._run("INSERT OR REPLACE INTO guild_config VALUES (?, ?, ?)", (guild_id, json.dumps(config), _now()))

    def last_post(self, guild_id: int, kind: str) -> dt.datetime | None:
        """When the bot last made a regular post of `kind` (the weekly gaps) in a server."""
        row = self._run("SELECT posted_at FROM posts WHERE guild_id = ? AND kind = ?", (guild_id, kind)).fetchone()
        return dt.datetime.fromisoformat(row[0]) if row else None

    def set_last_post(self, guild_id: int, kind: str, at: dt.datetime) -> None:
        self._run("INSERT OR REPLACE INTO posts VALUES (?, ?, ?)", (guild_id, kind, at.isoformat()))

    def answers_of(self, user_id: int) -> list[int]:
        """The ids of a person's stored questions."""
        return [r[0] for r in self._run("SELECT id FROM answers WHERE user_id = ?", (user_id,))]

    def forget_user(self, user_id: int) -> dict[str, int]:
        """Delete what a person left here (/forget-me): their questions and the answers to them
        (with everyone's votes on those), their votes, their follow-ups and their searches."""
        with self._lock, self._db:
            run = self._db.execute
            answers = [r[0] for r in run("SELECT id FROM answers WHERE user_id = ?", (user_id,))]
            marks = ",".join("?" * len(answers))
            votes = run("DELETE FROM feedback WHERE user_id = ?", (user_id,)).rowcount
            if answers:
                run(f"DELETE FROM feedback WHERE answer_id IN ({marks})", answers)
                run(f"UPDATE threads SET answer_id = NULL WHERE answer_id IN ({marks})", answers)
            counts = {"questions": run("DELETE FROM answers WHERE user_id = ?", (user_id,)).rowcount,
                      "votes": votes,
                      "follow-ups": run("DELETE FROM turns WHERE user_id = ?", (user_id,)).rowcount,
                      "searches": run("DELETE FROM searches WHERE user_id = ?", (user_id,)).rowcount}
        return counts

    def prune(self, days: int) -> int:
        """Forget everything older than `days` days (0: keep everything); returns the rows removed."""
        if days <= 0:
            return 0
        cutoff = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days)).isoformat(timespec="seconds")
        removed = sum(self._run(f"DELETE FROM {table} WHERE created_at < ?", (cutoff,)).rowcount
                      for table in ("feedback", "turns", "threads", "searches", "answers"))
        self._threads = self._thread_ids()
        return removed


class OffLoop:
    """The store as the event loop uses it: `await bot.db.answer(7)` runs `BotStore.answer(7)` on
    the store's own thread, so a slow disk sync never holds the loop, and store calls wait for
    each other rather than for answers in another pool."""

    def __init__(self, store: BotStore):
        self.store = store
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="footnote-store")

    async def call(self, fn, *args, **kwargs):
        """`fn(store, *args, **kwargs)` on the store's thread."""
        return await asyncio.get_running_loop().run_in_executor(self._thread, partial(fn, self.store, *args, **kwargs))

    def __getattr__(self, name: str):
        method = getattr(self.store, name)

        async def off_loop(*args, **kwargs):
            return await asyncio.get_running_loop().run_in_executor(self._thread, partial(method, *args, **kwargs))

        return off_loop

    def shutdown(self) -> None:
        self._thread.shutdown(wait=True)
