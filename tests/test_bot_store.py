"""The bot's own file: what it keeps, and for how long."""

from __future__ import annotations

import datetime as dt
import sqlite3
import time

import discord

from bot.store import BotStore
from tests.bot_harness import USER_ID, Harness, make_bot, run

MANAGE_GUILD = discord.Permissions(manage_guild=True).value


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


def test_a_slow_database_delays_no_first_response_and_never_holds_the_event_loop(news_index, tmp_path):
    """Every call to the bot's database takes 0.8 s (a disk syncing under load) and is queued
    behind the others. People ask, open sources, vote, page a search, change a setting and ask
    to be forgotten at once: each gets Discord's first response within 3 s (the fake Discord
    refuses a later one), and the event loop is never held (the harness fails a stall)."""
    bot = make_bot(*news_index, tmp_path, cooldown_uses=20, search_per_page=1)

    def slowed(method):
        def slow(*args, **kwargs):
            time.sleep(0.8)
            return method(*args, **kwargs)
        return slow

    async def scenario(h: Harness):
        *_, answered = await h.slash("ask", {"question": "Who is the librarian of the city library?"})
        *_, searched = await h.slash("search", {"query": "ferry fares bridge library"})
        answer, results = h.sent_message(answered), h.sent_message(searched)
        for name in ("history", "save_answer", "add_turn", "answer", "search", "save_search",
                     "record_feedback", "explain_feedback", "forget_user", "set_guild_config", "thread_of",
                     "open_thread", "prune"):
            setattr(h.bot.store, name, slowed(getattr(h.bot.store, name)))
        started = [
            await h.slash("ask", {"question": "What is the harbour bridge repair budget?"}, wait=False),
            await h.slash("ask", {"question": "Were ferry fares frozen?"}, user_id=USER_ID + 1, wait=False),
            await h.click(answer, "footnote:sources:1", user_id=USER_ID + 2, wait=False),
            await h.click(answer, "footnote:vote:down:1", user_id=USER_ID + 3, wait=False),
            await h.click(answer, "footnote:vote:up:1", user_id=USER_ID + 4, wait=False),
            await h.click(results, results.custom_ids()[-1], user_id=USER_ID + 5, wait=False),
            await h.slash("forget-me", user_id=USER_ID + 6, wait=False),
            await h.slash("config", {"uses": 5, "seconds": 60}, subcommand="cooldown", permissions=MANAGE_GUILD,
                          user_id=USER_ID + 7, wait=False),
        ]
        await h.settle()
        return started

    started = run(scenario, bot)  # fails on a late first response, an unanswered one or a stall
    assert all(it.response is not None for it in started)
    kinds = [it.response for it in started]
    assert kinds[3] == 9, "the 👎 opens its form at once (a form cannot follow a deferral)"
