"""The bot's own channel permissions, as a server admin sets them, and DMs: where Discord would
drop an embed, refuse a post or a thread's message, the bot still gets its answer across (as
text, or through the interaction, which channel permissions do not limit), and says nothing
it may not."""

from __future__ import annotations

import re

import discord
import pytest

from tests.bot_harness import APP_ID, CHANNEL_ID, CURATOR_CHANNEL_ID, CURATOR_ROLE, Harness, make_bot, run

LIBRARIAN = "Who is the librarian of the city library reading room?"
BRIDGE = "What is the harbour bridge repair budget?"
UNKNOWN = "What is the capital of Mongolia?"
CURATORS = {"curator_channel": CURATOR_CHANNEL_ID, "curator_roles": [CURATOR_ROLE]}


def test_the_fake_discord_drops_embeds_where_the_bot_lacks_embed_links(harness_for):
    """Discord's rule, as the fake keeps it: an embed with text is dropped without a word, an
    embed alone is refused."""
    async def scenario(h: Harness):
        h.deny("embed_links")
        h.discord.expect(50013)
        channel = h.bot.get_channel(CHANNEL_ID)
        with_text = await channel.send("see below", embed=discord.Embed(description="hidden"))
        with pytest.raises(discord.Forbidden):
            await channel.send(embed=discord.Embed(description="hidden"))
        return with_text

    sent = harness_for(scenario)
    assert sent.content == "see below" and sent.embeds == []


def test_without_embed_links_a_mention_is_answered_in_text_with_its_buttons(harness_for):
    async def scenario(h: Harness):
        h.deny("embed_links")
        return await h.post(f"<@{APP_ID}> {LIBRARIAN}")

    _typing, reply = harness_for(scenario)
    shown = reply.message
    assert shown.embeds == [] and "Ada Brook" in shown.content and "[1]" in shown.content
    assert len(shown.content) <= 2000 and "confidence" in shown.content
    assert "footnote:sources:1" in shown.custom_ids()


def test_without_embed_links_the_curator_channel_gets_declined_questions_as_text(own_index, tmp_path):
    corpus, index, embedder = own_index

    async def scenario(h: Harness):
        h.deny("embed_links")
        await h.slash("ask", {"question": UNKNOWN})
        return [m for m in h.discord.public_messages() if m.channel_id == CURATOR_CHANNEL_ID]

    [post] = run(scenario, make_bot(corpus, index, embedder, tmp_path, **CURATORS))
    assert post.embeds == [] and UNKNOWN in post.content and "<@" not in post.content


def test_embeds_go_out_as_usual_where_embed_links_is_allowed(harness_for):
    async def scenario(h: Harness):
        return await h.post(f"<@{APP_ID}> {LIBRARIAN}")

    _typing, reply = harness_for(scenario)
    assert reply.message.content == "" and "Ada Brook" in reply.message.embeds[0]["description"]


def test_without_send_messages_in_threads_the_thread_still_opens_and_ask_works_in_it(harness_for):
    """The thread's greeting cannot be posted; the thread is opened all the same and /ask in it
    (an interaction, which needs no channel permission) keeps the conversation."""
    async def scenario(h: Harness):
        *_, send = await h.slash("ask", {"question": BRIDGE})
        h.deny("send_messages_in_threads")
        h.discord.expect(50013)
        clicked = await h.click(h.sent_message(send), "footnote:thread:1")
        thread_id = h.sent_message(send).thread_id
        follow = await h.slash("ask", {"question": "Who said the cables were corroded?"}, channel_id=thread_id,
                               channel_type=11, parent_id=CHANNEL_ID)
        return thread_id, clicked, follow

    thread_id, clicked, follow = harness_for(scenario)
    assert thread_id is not None and f"<#{thread_id}>" in clicked[-1].message.content
    assert "Mara Quill" in follow[-1].message.embeds[0]["description"]


def test_where_only_threads_allow_posting_a_mention_in_a_footnote_thread_is_answered(harness_for):
    async def scenario(h: Harness):
        *_, send = await h.slash("ask", {"question": BRIDGE})
        await h.click(h.sent_message(send), "footnote:thread:1")
        h.deny("send_messages")
        thread_id = h.sent_message(send).thread_id
        return await h.post(f"<@{APP_ID}> who said the cables were corroded?", channel_id=thread_id)

    _typing, reply = harness_for(scenario)
    assert "Mara Quill" in reply.message.embeds[0]["description"]


def test_a_direct_message_is_a_question_without_a_mention_and_its_answer_stays_there(own_index, tmp_path):
    corpus, index, embedder = own_index
    dm = CHANNEL_ID + 50

    async def scenario(h: Harness):
        h.deny("send_messages", "embed_links")  # a server's permissions do not reach a DM
        asked = await h.post(LIBRARIAN, channel_id=dm, mention_bot=False, guild_id=None)
        declined = await h.post(UNKNOWN, channel_id=dm, mention_bot=False, guild_id=None)
        return asked, declined, [m for m in h.discord.public_messages() if m.channel_id == CURATOR_CHANNEL_ID]

    asked, declined, curators = run(scenario, make_bot(corpus, index, embedder, tmp_path, **CURATORS))
    assert asked[-1].path == f"/channels/{dm}/messages"
    assert "Ada Brook" in asked[-1].message.embeds[0]["description"]
    assert "don't cover this" in declined[-1].message.embeds[0]["description"]
    assert curators == []  # a DM is private



def test_a_long_answer_as_text_fits_a_message_and_cuts_no_link():
    """The text form of the largest embed the renderer makes: within 2,000 characters, its
    quotes first, and every masked link whole."""
    from bot.render import answer_embed, embed_text
    from tests.test_bot_discord_limits import message_problems
    from tests.test_bot_render import answer, citation

    long_text = " ".join(f"The ferry operator froze fares for the year number {i}. [{i % 30 + 1}]" for i in range(200))
    big = answer(text=long_text, citations=[citation(n, title=f"Ferry fares frozen, part {n} " + "x" * 150)
                                             for n in range(1, 31)])
    text = embed_text(answer_embed(big))
    assert message_problems({"content": text}) == []
    assert text.startswith("**Were ferry fares frozen?**\nThe ferry operator froze fares for the year number 0.")
    assert text.count("](") == len(re.findall(r"\]\(https://example\.org/ferry[^)\s]*\)", text))
    assert text.endswith("\n-# confidence 82% · index generation 000003 · as of 2026-11-24")
