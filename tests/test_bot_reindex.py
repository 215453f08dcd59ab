"""/reindex: one at a time, its public message always ends with the summary (or the failure),
however long the build takes, and the build runs apart from the question embedder."""

from __future__ import annotations

import asyncio

import discord
import pytest

from bot.footnote import LocalFootnote, ServiceError
from index.answer import Answerer
from index.build import build_lock
from index.embed import HashingEmbedder
from index.search import LiveIndex, Retriever
from tests.bot_harness import GUILD_ID, Harness, make_bot, run

MANAGE_GUILD = discord.Permissions(manage_guild=True).value
TRAM = "---\ntitle: Tram trial\ndate: 2026-05-02\n---\nThe tram trial on the harbour line starts in May.\n"


def reindex_messages(h: Harness):
    return [m for m in h.discord.public_messages() if "index" in m.content.lower()]


def test_a_second_reindex_while_one_runs_is_refused_and_nothing_is_left_hanging(own_index, tmp_path):
    corpus, index, embedder = own_index
    (corpus / "2026" / "tram.md").write_text(TRAM)

    async def scenario(h: Harness):
        with build_lock(index):  # the first build waits here until the test lets it go
            await h.slash("reindex", permissions=MANAGE_GUILD, wait=False)
            await h.until(lambda: reindex_messages(h))
            second = await h.slash("reindex", permissions=MANAGE_GUILD, wait=False)
            await h.until(lambda: second.original is not None and not second.original.loading)
        await h.settle()
        return second, reindex_messages(h)

    second, public = run(scenario, make_bot(corpus, index, embedder, tmp_path))
    assert second.original.ephemeral and "already running" in second.original.content
    [message] = public
    assert "1 added" in message.content and "generation 000002" in message.content


def test_a_build_longer_than_the_interaction_token_still_reports_its_summary(own_index, tmp_path):
    corpus, index, embedder = own_index
    (corpus / "2026" / "tram.md").write_text(TRAM)

    async def scenario(h: Harness):
        def five_minutes_per_update(call):
            if call.method == "PATCH":
                h.clock.advance(5 * 60)

        h.discord.on_request = five_minutes_per_update
        with build_lock(index):
            await h.slash("reindex", permissions=MANAGE_GUILD, wait=False)
            await h.until(lambda: h.discord.refusals or sum(c.method == "PATCH" for c in h.discord.calls) >= 4)
        await h.settle()
        return reindex_messages(h)

    [message] = run(scenario, make_bot(corpus, index, embedder, tmp_path))
    assert "1 added" in message.content and "generation 000002" in message.content
    assert any("s so far" in v.get("content", "") for v in message.versions), "progress was shown"


def service_for(corpus, index, embedder) -> LocalFootnote:
    answerer = Answerer(Retriever(LiveIndex(index, embedder.name), embedder), threshold=0.2)
    return LocalFootnote(answerer, corpus, index, progress_interval_s=0.01)


async def quiet(text: str) -> None:
    return None


def test_the_reindex_lock_is_held_until_the_build_has_finished(own_index):
    corpus, index, embedder = own_index
    (corpus / "2026" / "tram.md").write_text(TRAM)
    service = service_for(corpus, index, embedder)
    shown = []

    async def failing(text: str) -> None:  # the progress message can no longer be edited
        shown.append(text)
        raise discord.HTTPException(type("R", (), {"status": 401, "reason": "Unauthorized"})(), "token expired")

    async def main():
        with build_lock(index):
            first = asyncio.create_task(service.reindex(failing))
            for _ in range(500):  # bounded: a few progress ticks, or the reindex gave up
                if len(shown) >= 2 or first.done():
                    break
                await asyncio.sleep(0.01)
            assert not first.done(), "the build is still running, so the reindex is too"
            with pytest.raises(ServiceError, match="already running"):
                await asyncio.wait_for(service.reindex(quiet), 5)
        return await first

    summary = asyncio.run(main())
    assert summary["added"] == 1


class CountingEmbedder(HashingEmbedder):
    """The question embedder, counting the texts it is asked to embed."""

    def __init__(self, dimension: int):
        super().__init__(dimension)
        self.texts = 0

    def encode(self, texts):
        self.texts += len(texts)
        return super().encode(texts)


def test_the_build_does_not_use_the_question_embedder(own_index):
    corpus, index, embedder = own_index
    (corpus / "2026" / "tram.md").write_text(TRAM)
    questions = CountingEmbedder(embedder.dimension)
    service = service_for(corpus, index, questions)

    summary = asyncio.run(service.reindex(quiet))
    assert summary["added"] == 1 and summary["chunks_embedded"] >= 1
    assert questions.texts == 0, "the build embedded with the one-thread question embedder"
    answer = asyncio.run(service.ask("When does the tram trial on the harbour line start?"))
    assert answer["generation"] == "000002" and "tram" in answer["text"].lower()


def test_a_reindex_running_for_another_server_is_refused_without_its_who_or_where(own_index, tmp_path):
    corpus, index, embedder = own_index

    async def scenario(h: Harness):
        with build_lock(index):
            await h.slash("reindex", permissions=MANAGE_GUILD, wait=False)
            await h.until(lambda: reindex_messages(h))
            other = await h.slash("reindex", permissions=MANAGE_GUILD, guild_id=GUILD_ID + 1, wait=False)
            await h.until(lambda: other.original is not None and not other.original.loading)
        await h.settle()
        return other

    other = run(scenario, make_bot(corpus, index, embedder, tmp_path, discord_curator_guilds=[GUILD_ID, GUILD_ID + 1]))
    text = other.original.content
    assert other.original.ephemeral and "already running (started in another server)" in text
    assert "<@" not in text and "/channels/" not in text and "<t:" not in text


def test_a_failed_reindex_says_so_publicly_without_the_servers_paths_and_tells_the_curator_why(own_index, tmp_path):
    corpus, index, embedder = own_index
    bot = make_bot(corpus, index, embedder, tmp_path)

    async def failing(progress):
        raise ServiceError("the build worker stopped: /srv/footnote/private/index/cache.sqlite is locked")

    bot.service.reindex = failing

    async def scenario(h: Harness):
        calls = await h.slash("reindex", permissions=MANAGE_GUILD)
        await h.settle()
        return calls, reindex_messages(h)

    calls, public = run(scenario, bot)
    [message] = public
    assert "Re-index failed (error `" in message.content and "/srv/" not in message.content
    private = [c.message for c in calls if c.message is not None and c.message.ephemeral]
    assert any("/srv/footnote/private" in m.content for m in private), [m.content for m in private]


def test_where_the_bot_may_not_post_the_reindex_still_runs_and_reports_to_the_curator(own_index, tmp_path):
    corpus, index, embedder = own_index
    (corpus / "2026" / "tram.md").write_text(TRAM)

    async def scenario(h: Harness):
        h.deny("send_messages")
        h.discord.expect(50013)
        calls = await h.slash("reindex", permissions=MANAGE_GUILD)
        await h.settle()
        return calls

    calls = run(scenario, make_bot(corpus, index, embedder, tmp_path))
    shown = [c.message for c in calls if c.message is not None and c.message.ephemeral]
    assert any("1 added" in m.content and "generation 000002" in m.content for m in shown), \
        [m.content for m in shown]


def test_a_summary_the_curators_expired_reply_cannot_take_is_logged_not_raised(own_index, tmp_path, caplog):
    """Where the bot may not post, progress goes to the curator's private reply; a build that
    outlasts its 15-minute token cannot show the summary there, and says so in the log."""
    corpus, index, embedder = own_index

    async def scenario(h: Harness):
        async def long_build(progress):
            h.clock.advance(16 * 60)  # the build took 16 minutes
            return {"up_to_date": True, "articles_total": 3, "chunks_total": 3, "generation": "000001"}

        h.bot.service.reindex = long_build
        h.deny("send_messages")
        h.discord.expect(50013, 50027)
        return await h.slash("reindex", permissions=MANAGE_GUILD)

    calls = run(scenario, make_bot(corpus, index, embedder, tmp_path))
    assert not any("Something went wrong" in (c.message.content if c.message else "") for c in calls)
    assert any("could not show the re-index summary" in r.getMessage() for r in caplog.records)
