"""Feedback that reaches the curators: 👎 asks what was wrong, votes and declined questions are
posted in the curator channel with a way to add the missing article, and all of it is exported."""

from __future__ import annotations

import json

import discord


from index.cli import main
from tests.test_bot_fetch import page
from tests.web_site import HTML, guarded_fetcher, serve_site
from tests.bot_harness import (CHANNEL_ID, CURATOR_CHANNEL_ID, CURATOR_ROLE, GUILD_ID, USER_ID, FakeDiscord, Harness,
                               custom_ids, make_bot, run, snowflake)
from tests.fake_discord import FakeMessage, channel_payload

LIBRARIAN = "Who is the librarian of the city library reading room?"
UNKNOWN = "What is the capital of Mongolia?"  # the articles are local news
CURATORS = {"curator_channel": CURATOR_CHANNEL_ID, "curator_roles": [CURATOR_ROLE]}


def in_channel(h: Harness, channel_id: int):
    return [m for m in h.discord.public_messages() if m.channel_id == channel_id]


def test_thumbs_down_asks_what_was_wrong_and_tells_the_curators(harness_for):
    async def scenario(h: Harness):
        *_, send = await h.slash("ask", {"question": LIBRARIAN})
        [shown] = await h.click(h.sent_message(send), "footnote:vote:down:1")
        voted = h.bot.store.feedback()
        thanks, _ = await h.submit(shown, {"reason": ["outdated"], "article": "https://news.example/library-2027"})
        return shown, voted, thanks, h.bot.store.feedback(), in_channel(h, CURATOR_CHANNEL_ID)

    shown, voted, thanks, rows, posted = harness_for(scenario, **CURATORS)
    modal = shown.payload["data"]
    assert shown.payload["type"] == 9 and modal["title"] == "What was wrong with this answer?"
    [select] = [p["component"] for p in modal["components"] if p["component"]["type"] == 3]
    assert [o["label"] for o in select["options"]] == ["Wrong article", "Missing answer", "Outdated", "Other"]
    assert [(r["vote"], r["reason"]) for r in voted] == [(-1, None)], "the vote counts even if the form is closed"
    assert thanks.message.ephemeral and "passed on to the curators" in thanks.message.content
    [row] = rows
    assert (row["vote"], row["reason"], row["suggested"]) == (-1, "outdated", "https://news.example/library-2027")
    [post] = posted
    [embed] = post.embeds
    assert embed["title"].startswith("👎") and LIBRARIAN in embed["description"]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["What was wrong"] == "Outdated" and "library-2027" in fields["Should have cited"]
    assert custom_ids(post.body) == ["footnote:addurl:1"]


def test_a_curator_adds_the_missing_article_from_the_curator_channel(own_index, tmp_path):
    corpus, index, embedder = own_index

    async def scenario(h: Harness):
        h.bot.fetch_page = guarded_fetcher({"news.example": ["127.0.0.1"]})
        await h.slash("ask", {"question": UNKNOWN})
        [post] = in_channel(h, CURATOR_CHANNEL_ID)
        member = await h.click(post, "footnote:addurl:1", permissions=0)
        [form] = await h.click(post, "footnote:addurl:1", roles=(CURATOR_ROLE,))
        saved = await h.submit(form, {"url": f"http://news.example:{port}/stadium"}, roles=(CURATOR_ROLE,))
        return post, member, form, saved

    with serve_site({"/stadium": (200, HTML, page().encode())}) as (port, _):
        post, member, form, saved = run(scenario, make_bot(corpus, index, embedder, tmp_path, **CURATORS))
    assert post.embeds[0]["title"].startswith("Declined") and UNKNOWN in post.embeds[0]["description"]
    assert member[-1].message.ephemeral and member[-1].message.content.startswith("Only curators")
    assert form.payload["type"] == 9
    assert "Saved `discord/bridge-budget-reviewed`" in saved[-1].message.content
    assert (corpus / "discord" / "bridge-budget-reviewed.md").exists()


def test_without_a_curator_channel_nothing_is_posted(harness_for):
    async def scenario(h: Harness):
        *_, send = await h.slash("ask", {"question": LIBRARIAN})
        up = await h.click(h.sent_message(send), "footnote:vote:up:1")
        await h.slash("ask", {"question": UNKNOWN})
        return up, h.discord.http()

    [up], http = harness_for(scenario)
    assert up.message.content == "Thanks, noted."
    assert http == []


def test_a_form_left_open_across_a_restart_still_works(news_index, tmp_path):
    fake = FakeDiscord()

    async def before(h: Harness):
        *_, send = await h.slash("ask", {"question": LIBRARIAN})
        [shown] = await h.click(h.sent_message(send), "footnote:vote:down:1")
        return shown

    shown = run(before, make_bot(*news_index, tmp_path), fake)

    async def after(h: Harness):  # a new process; the person submits the form they still see
        return await h.submit(shown, {"reason": ["other"]}), h.bot.store.feedback()

    [reply], [row] = run(after, make_bot(*news_index, tmp_path), fake)
    assert reply.message.ephemeral and reply.message.content == "Thanks, noted."
    assert (row["vote"], row["reason"]) == (-1, "other")


def test_feedback_export_has_reasons_and_declined_questions(harness_for, news_index, tmp_path, capsys):
    async def scenario(h: Harness):
        *_, send = await h.slash("ask", {"question": LIBRARIAN})
        [shown] = await h.click(h.sent_message(send), "footnote:vote:down:1")
        await h.submit(shown, {"reason": ["wrong_article"], "article": "2026/ferry"})
        await h.slash("ask", {"question": UNKNOWN}, user_id=USER_ID + 1)

    harness_for(scenario)
    out = tmp_path / "feedback.jsonl"
    assert main(["bot", "--index", str(tmp_path), "--export-feedback", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    [vote] = [r for r in rows if r["kind"] == "vote"]
    [declined] = [r for r in rows if r["kind"] == "declined"]
    assert (vote["reason"], vote["suggested"], vote["question"]) == ("wrong_article", "2026/ferry", LIBRARIAN)
    assert declined["question"] == UNKNOWN and declined["generation"] == "000001"
    assert "user_id" not in declined
    assert "1 vote and 1 declined question" in capsys.readouterr().out


def test_only_questions_asked_openly_in_the_home_server_reach_the_curator_channel(own_index, tmp_path):
    """A private ask, "Ask Footnote", a DM and another server's question stay where they were
    asked; the home server's open question is posted without naming who asked."""
    corpus, index, embedder = own_index

    async def scenario(h: Harness):
        await h.slash("ask", {"question": UNKNOWN, "private": True})
        await h.slash("ask", {"question": UNKNOWN}, guild_id=GUILD_ID + 1, channel_id=CHANNEL_ID + 7)
        await h.slash("ask", {"question": UNKNOWN}, guild_id=None, channel_id=CHANNEL_ID + 9)
        menu_target = h.discord.add_message(FakeMessage(snowflake(), CHANNEL_ID, {"content": UNKNOWN},
                                                        author_id=USER_ID + 3))
        await h.context_menu("Ask Footnote", menu_target)
        private = list(in_channel(h, CURATOR_CHANNEL_ID))
        await h.slash("ask", {"question": UNKNOWN})
        return private, in_channel(h, CURATOR_CHANNEL_ID)

    private, posted = run(scenario, make_bot(corpus, index, embedder, tmp_path, cooldown_uses=10, **CURATORS))
    assert private == []
    [post] = posted
    assert UNKNOWN in post.embeds[0]["description"] and "<@" not in post.embeds[0]["description"]


def test_the_home_server_may_opt_in_to_naming_who_asked(own_index, tmp_path):
    corpus, index, embedder = own_index

    async def scenario(h: Harness):
        await h.slash("ask", {"question": UNKNOWN})
        return in_channel(h, CURATOR_CHANNEL_ID)

    [post] = run(scenario, make_bot(corpus, index, embedder, tmp_path, curator_mentions=True, **CURATORS))
    assert f"<@{USER_ID}> asked" in post.embeds[0]["description"]


def test_forget_me_deletes_what_the_bot_kept_about_a_person_and_only_that(own_index, tmp_path):
    corpus, index, embedder = own_index
    other = USER_ID + 1

    async def scenario(h: Harness):
        *_, mine = await h.slash("ask", {"question": LIBRARIAN})
        await h.slash("search", {"query": "ferry"})
        await h.click(h.sent_message(mine), "footnote:vote:up:1", user_id=other)  # someone votes on my answer
        *_, theirs = await h.slash("ask", {"question": LIBRARIAN}, user_id=other)
        await h.click(h.sent_message(theirs), "footnote:vote:up:2")  # I vote on theirs
        [reply] = await h.slash("forget-me")
        store = h.bot.store
        return reply.message, store.answer(1), store.answer(2), store.feedback(), store.search(1)

    reply, mine, theirs, votes, search = run(scenario, make_bot(corpus, index, embedder, tmp_path))
    assert reply.ephemeral and "1 questions, 1 votes, 0 follow-ups, 1 searches" in reply.content
    assert mine is None and theirs is not None  # mine gone, theirs kept
    assert votes == []  # my vote, and the vote on my (deleted) question
    assert search is None


def test_with_two_home_servers_the_curator_channel_setting_serves_only_the_server_that_holds_it(own_index, tmp_path):
    """FOOTNOTE_CURATOR_CHANNEL is a channel of one server: the other home server's questions
    never reach it (that server sets its own with /config curator-channel)."""
    corpus, index, embedder = own_index
    other, other_channel = GUILD_ID + 1, CHANNEL_ID + 70

    async def scenario(h: Harness):
        await h.slash("ask", {"question": UNKNOWN}, guild_id=other, channel_id=other_channel)
        theirs = list(in_channel(h, CURATOR_CHANNEL_ID))
        await h.slash("ask", {"question": UNKNOWN})
        return theirs, in_channel(h, CURATOR_CHANNEL_ID)

    theirs, ours = run(scenario, make_bot(corpus, index, embedder, tmp_path, curator_channel=CURATOR_CHANNEL_ID,
                                          discord_curator_guilds=[GUILD_ID, other], curator_mentions=True,
                                          cooldown_uses=10))
    assert theirs == [] and len(ours) == 1


def test_questions_asked_where_not_everyone_reads_stay_there(own_index, tmp_path):
    """A private thread, and a channel @everyone may not view, are not "openly": their declined
    questions are not posted to the curator channel."""
    corpus, index, embedder = own_index
    private_thread, staff_room = CHANNEL_ID + 90, CHANNEL_ID + 91
    hidden = {**channel_payload(staff_room, name="staff"), "permission_overwrites": [
        {"id": str(GUILD_ID), "type": 0, "allow": "0", "deny": str(discord.Permissions(view_channel=True).value)}]}

    async def scenario(h: Harness):
        await h.slash("ask", {"question": UNKNOWN}, channel_id=private_thread, channel_type=12, parent_id=CHANNEL_ID)
        h.discord.add_channel(hidden)
        await h.slash("ask", {"question": UNKNOWN}, channel_id=staff_room)
        return in_channel(h, CURATOR_CHANNEL_ID)

    assert run(scenario, make_bot(corpus, index, embedder, tmp_path, cooldown_uses=10, **CURATORS)) == []
