"""Gaps on Discord, through the real discord.py classes and the fake Discord: declined questions
and 👎 answers are kept with their server and privacy (who asked only where the server names
people), /forget-me takes them away, and the weekly post gives each server its own open
questions and nothing asked privately."""

from __future__ import annotations

import datetime as dt

from bot.gaps import post_gaps
from tests.bot_harness import CHANNEL_ID, CURATOR_CHANNEL_ID, GUILD_ID, USER_ID, Harness, make_bot, run
from tests.fake_discord import channel_payload
from tests.test_bot_config import OTHER, OTHER_CHANNEL, OTHER_CURATORS, configure, posts_in

MONGOLIA = ["What is the capital of Mongolia?", "What is the capital city of Mongolia?"]
SECRET = "What is the capital of Mongolia, privately asked?"
THEIRS = "What is the capital of Mongolia for the other server?"
LIBRARIAN = "Who is the librarian of the city library reading room?"


def rows_of(h: Harness):
    return [(r.question, r.kind, r.origin, r.guild_id, r.private, r.user_id) for r in h.bot.gaps.rows()]


def test_declined_questions_on_discord_are_kept_with_their_server_and_privacy(own_index, tmp_path):
    corpus, index, embedder = own_index

    async def scenario(h: Harness):
        await h.slash("ask", {"question": MONGOLIA[0]})
        await h.slash("ask", {"question": SECRET, "private": True})
        await h.slash("ask", {"question": THEIRS}, guild_id=OTHER, channel_id=OTHER_CHANNEL)
        await h.slash("ask", {"question": MONGOLIA[1]}, guild_id=None, channel_id=CHANNEL_ID + 9)  # a DM
        await h.post(f"<@{h.bot.user.id}> {MONGOLIA[1]}")  # a mention
        await h.slash("ask", {"question": LIBRARIAN})  # answered: not a gap
        return rows_of(h)

    rows = run(scenario, make_bot(corpus, index, embedder, tmp_path, cooldown_uses=10))
    assert rows == [(MONGOLIA[0], "declined", "discord", GUILD_ID, False, None),
                    (SECRET, "declined", "discord", GUILD_ID, True, None),
                    (THEIRS, "declined", "discord", OTHER, False, None),
                    (MONGOLIA[1], "declined", "discord", None, True, None),
                    (MONGOLIA[1], "declined", "discord", GUILD_ID, False, None)]


def test_who_asked_is_kept_only_where_the_server_names_people(own_index, tmp_path):
    corpus, index, embedder = own_index

    async def scenario(h: Harness):
        await h.slash("ask", {"question": MONGOLIA[0]})
        await h.slash("ask", {"question": THEIRS}, guild_id=OTHER, channel_id=OTHER_CHANNEL)
        return [(r.guild_id, r.user_id) for r in h.bot.gaps.rows()]

    rows = run(scenario, make_bot(corpus, index, embedder, tmp_path, curator_mentions=True, cooldown_uses=10))
    assert rows == [(GUILD_ID, USER_ID), (OTHER, None)]  # the home server opted in; the other did not


def test_a_thumbs_down_is_kept_once_and_forget_me_takes_a_persons_gaps_away(own_index, tmp_path):
    corpus, index, embedder = own_index

    async def scenario(h: Harness):
        *_, answer = await h.slash("ask", {"question": LIBRARIAN})
        await h.click(h.sent_message(answer), "footnote:vote:down:1")
        await h.click(h.sent_message(answer), "footnote:vote:down:1", user_id=USER_ID + 1)
        kept = rows_of(h)
        await h.slash("ask", {"question": MONGOLIA[0]}, user_id=USER_ID + 1)
        await h.slash("forget-me")
        return kept, rows_of(h)

    kept, left = run(scenario, make_bot(corpus, index, embedder, tmp_path, cooldown_uses=10))
    assert kept == [(LIBRARIAN, "down", "discord", GUILD_ID, False, None)]
    assert left == [(MONGOLIA[0], "declined", "discord", GUILD_ID, False, None)]  # someone else's stays


def test_the_weekly_post_gives_each_server_its_own_open_questions(own_index, tmp_path):
    corpus, index, embedder = own_index

    async def scenario(h: Harness):
        h.discord.add_channel(channel_payload(OTHER_CURATORS, guild_id=OTHER))
        await configure(h, "curator-channel", {"channel": str(OTHER_CURATORS)}, OTHER_CURATORS,
                        guild_id=OTHER, channel_id=OTHER_CHANNEL)
        for question in MONGOLIA:
            await h.slash("ask", {"question": question})
        await h.slash("ask", {"question": SECRET, "private": True})
        await h.slash("ask", {"question": THEIRS}, guild_id=OTHER, channel_id=OTHER_CHANNEL)
        declined = len(posts_in(h, CURATOR_CHANNEL_ID))  # each declined question, posted as it happened
        first = await post_gaps(h.bot)
        again = await post_gaps(h.bot)  # within the week: nothing more
        later = await post_gaps(h.bot, dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=8))
        return (declined, first, again, later, posts_in(h, CURATOR_CHANNEL_ID)[declined:],
                posts_in(h, OTHER_CURATORS)[1:])

    declined, first, again, later, home, other = run(scenario, make_bot(
        corpus, index, embedder, tmp_path, curator_channel=CURATOR_CHANNEL_ID, cooldown_uses=10))
    assert sorted(first) == sorted([GUILD_ID, OTHER]) and again == [] and later == []
    [post] = home
    [embed] = post.embeds
    assert embed["title"] == "Gaps: 2 questions in 7 days the articles did not answer"
    [gap] = embed["fields"]  # the two ways of asking are one gap
    assert gap["name"] in MONGOLIA and "Asked 2 times" in gap["value"]
    assert all(q in gap["value"] for q in MONGOLIA)
    text = str(embed)
    assert SECRET not in text and THEIRS not in text  # nothing private, nothing of the other server
    assert post.custom_ids() == []
    [theirs] = other
    assert THEIRS in str(theirs.embeds) and MONGOLIA[0] not in str(theirs.embeds)


def test_the_weekly_post_fits_discords_limits_however_many_and_long_the_gaps():
    import discord

    from bot.gaps import gaps_embed
    from index.gaps import Gap

    long = "Why " + "ever " * 400 + "?"
    near = [{"article_id": f"a/{i}", "title": "T" * 300, "published": "2026-01-01", "url": None} for i in range(3)]
    gaps = [Gap(label=f"{i} {long}", count=40 - i, first_asked="2026-12-01T10:00:00+00:00",
                last_asked="2026-12-05T10:00:00+00:00",
                questions=[{"question": long, "asked_at": "2026-12-05T10:00:00+00:00", "kind": "declined",
                            "origin": "discord", "guild_id": 1, "private": False}] * 5, nearest=near)
            for i in range(30)]
    embed = gaps_embed(gaps, 7)
    assert isinstance(embed, discord.Embed) and len(embed) <= 6000 and 1 <= len(embed.fields) <= 10
    assert all(len(f.name) <= 256 and len(f.value) <= 1024 for f in embed.fields)
    assert embed.footer.text.startswith(f"{30 - len(embed.fields)} more gaps")
