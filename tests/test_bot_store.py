"""The bot's own file: what it keeps, and for how long."""

from __future__ import annotations

import datetime as dt
import sqlite3

from bot.store import BotStore
from tests.bot_harness import Harness, make_bot, run


def backdate(path, table: str, rowid: int, days: int) -> None:
    when = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days)).isoformat(timespec="seconds")
    with sqlite3.connect(path) as db:
        db.execute(f"UPDATE {table} SET created_at = ? WHERE rowid = ?", (when, rowid))


def test_questions_and_user_ids_are_kept_only_for_the_retention_period(news_index, tmp_path):
    path = tmp_path / "bot.sqlite"
    store = BotStore(path)
    old = store.save_answer({"question": "Old question?", "text": "A.", "generation": "000001"}, 11, 22)
    new = store.save_answer({"question": "New question?", "text": "B.", "generation": "000001"}, 12, 22)
    store.record_feedback(old, 11, -1)
    store.record_feedback(new, 12, 1)
    store.open_thread(33, old)
    search = store.save_search("old words", [])
    store.close()
    for table, rowid in (("answers", old), ("feedback", 1), ("threads", 33), ("turns", 1), ("searches", search)):
        backdate(path, table, rowid, 91)

    async def scenario(h: Harness):  # starting the bot applies the retention
        s = h.bot.store
        return s.answer(old), s.answer(new), s.feedback(), s.is_thread(33), s.search(search)

    old_answer, new_answer, votes, thread, found = run(scenario, make_bot(*news_index, tmp_path, retention_days=90))
    assert old_answer is None and new_answer["question"] == "New question?"
    assert [(v["question"], v["user_id"]) for v in votes if v["kind"] == "vote"] == [("New question?", 12)]
    assert not thread and found is None
