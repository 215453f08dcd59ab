"""/ask, its buttons, follow-ups in threads, mentions, cooldown, allowlist and errors, driven through
real discord.py interactions (see tests/bot_harness.py)."""

import asyncio
import logging
import threading

import discord

from bot.guards import Cooldown, Hush
from bot.footnote import LocalFootnote
from tests.bot_harness import APP_ID, CHANNEL_ID, GUILD_ID, USER_ID, Harness, custom_ids, embeds_of, make_bot, run

MANAGE_GUILD = discord.Permissions(manage_guild=True).value

LIBRARIAN = "Who is the librarian of the city library reading room?"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_ask_defers_then_sends_the_answer_with_buttons(harness_for):
    async def scenario(h: Harness):
        return await h.slash("ask", {"question": LIBRARIAN})

    defer, send = harness_for(scenario)
    assert defer.path.endswith("/callback") and defer.payload == {"type": 5}
    assert send.method == "POST" and send.path.startswith(f"/webhooks/{APP_ID}/")
    [embed] = embeds_of(send)
    assert embed["title"] == LIBRARIAN
    assert "Ada Brook" in embed["description"] and "[1]" in embed["description"]
    assert embed["fields"][0]["name"].startswith("[1] ")
    assert "generation 000001" in embed["footer"]["text"]
    assert custom_ids(send.payload) == ["footnote:sources:1", "footnote:thread:1",
                                        "footnote:vote:up:1", "footnote:vote:down:1"]
    assert send.payload["allowed_mentions"] == {"parse": []}


def test_a_private_ask_is_ephemeral_and_offers_no_thread(harness_for):
    async def scenario(h: Harness):
        return await h.slash("ask", {"question": LIBRARIAN, "private": True})

    defer, send = harness_for(scenario)
    assert defer.payload == {"type": 5, "data": {"flags": 64}}
    assert send.payload["flags"] & 64
    assert not any(c.startswith("footnote:thread") for c in custom_ids(send.payload))


def test_show_sources_sends_the_passages_with_offsets_ephemerally(harness_for):
    async def scenario(h: Harness):
        *_, send = await h.slash("ask", {"question": LIBRARIAN})
        return await h.click(h.sent_message(send), "footnote:sources:1")

    [reply] = harness_for(scenario)
    assert reply.payload["type"] == 4 and reply.payload["data"]["flags"] == 64
    fields = reply.payload["data"]["embeds"][0]["fields"]
    assert fields[0]["name"].startswith("1. 2025/library · characters 0–")
    assert "Librarian Ada Brook said the room holds four thousand books." in fields[0]["value"]
    assert reply.payload["data"]["allowed_mentions"] == {"parse": []}


def test_feedback_is_stored_with_question_answer_and_generation(harness_for):
    async def scenario(h: Harness):
        *_, send = await h.slash("ask", {"question": LIBRARIAN})
        message = h.sent_message(send)
        up = await h.click(message, "footnote:vote:up:1")
        down = await h.click(message, "footnote:vote:down:1", user_id=USER_ID + 1)
        return up + down, h.bot.store.feedback()

    (up, down), rows = harness_for(scenario)
    assert up.message.content == "Thanks, noted." and up.message.ephemeral
    assert down.payload["type"] == 9  # 👎 asks what was wrong (test_bot_feedback)
    assert [(r["vote"], r["user_id"]) for r in rows] == [(1, USER_ID), (-1, USER_ID + 1)]
    assert rows[0]["question"] == LIBRARIAN and "Ada Brook" in rows[0]["answer"]
    assert rows[0]["generation"] == "000001"


def test_buttons_keep_working_after_a_restart(news_index, tmp_path):
    async def ask(h: Harness):
        *_, send = await h.slash("ask", {"question": LIBRARIAN})
        return h.sent_message(send)

    message = run(ask, make_bot(*news_index, tmp_path))

    async def click(h: Harness):  # a new process: a new bot on the same store
        return await h.click(message, "footnote:vote:up:1")

    [reply] = run(click, make_bot(*news_index, tmp_path))
    assert reply.message.content == "Thanks, noted."


def test_a_follow_up_in_the_thread_uses_the_history(harness_for, news_index):
    asked = []

    class Spy(LocalFootnote):  # the real service, with the history it is given written down
        async def ask(self, question, history=(), k=5):
            asked.append((question, history))
            return await super().ask(question, history, k)

    async def scenario(h: Harness):
        *_, send = await h.slash("ask", {"question": "What is the harbour bridge repair budget?"})
        opened = await h.click(h.sent_message(send), "footnote:thread:1")
        thread_id = h.sent_message(send).thread_id
        follow = await h.slash("ask", {"question": "Who said the cables were corroded?"}, channel_id=thread_id,
                               channel_type=11, parent_id=CHANNEL_ID)
        return opened, follow, thread_id

    def service(h_index):
        corpus, index, embedder = h_index
        from index.answer import Answerer
        from index.search import LiveIndex, Retriever
        return Spy(Answerer(Retriever(LiveIndex(index, embedder.name), embedder), threshold=0.2), corpus, index)

    opened, follow, thread_id = harness_for(scenario, service=service(news_index))
    acknowledged, thread_call, welcome, pointer = opened
    assert acknowledged.payload == {"type": 5, "data": {"flags": 64}}
    assert thread_call.kind == "http" and thread_call.path.endswith("/threads")
    assert thread_call.payload["name"] == "What is the harbour bridge repair budget?"
    assert welcome.path == f"/channels/{thread_id}/messages" and "Ask follow-ups here" in welcome.message.content
    assert "Follow-ups go in <#" in pointer.message.content and pointer.message.ephemeral
    (_, first_history), (_, second_history) = asked
    assert first_history == ()
    assert [t.question for t in second_history] == ["What is the harbour bridge repair budget?"]
    assert second_history[0].article_ids == ("2026/bridge",)
    [embed] = embeds_of(follow[-1])
    assert "Mara Quill" in embed["description"]
    assert "footnote:thread:2" not in custom_ids(follow[-1].payload)  # already in a thread


def test_a_mention_in_a_channel_is_answered_as_a_reply(harness_for):
    async def scenario(h: Harness):
        return await h.post(f"<@{APP_ID}> {LIBRARIAN}")

    typing, reply = harness_for(scenario)
    assert typing.path == f"/channels/{CHANNEL_ID}/typing"
    assert reply.path == f"/channels/{CHANNEL_ID}/messages"
    assert "Ada Brook" in reply.payload["embeds"][0]["description"]
    assert reply.payload["allowed_mentions"]["parse"] == [] and reply.payload["allowed_mentions"]["replied_user"] is False
    assert reply.payload["message_reference"]["channel_id"] == CHANNEL_ID


def test_a_mention_inside_a_footnote_thread_is_a_follow_up(harness_for):
    async def scenario(h: Harness):
        *_, send = await h.slash("ask", {"question": "What is the harbour bridge repair budget?"})
        await h.click(h.sent_message(send), "footnote:thread:1")
        thread_id = h.sent_message(send).thread_id
        calls = await h.post(f"<@{APP_ID}> who said the cables were corroded?", channel_id=thread_id)
        return calls, h.bot.store.history(thread_id)

    (typing, reply), history = harness_for(scenario)
    assert "Mara Quill" in reply.payload["embeds"][0]["description"]
    assert [t.question for t in history] == ["What is the harbour bridge repair budget?",
                                             "who said the cables were corroded?"]


def test_messages_without_a_mention_are_ignored(harness_for):
    async def scenario(h: Harness):
        return await h.post(LIBRARIAN, mention_bot=False)

    assert harness_for(scenario) == []


def test_article_text_pings_no_one(harness_for):
    async def scenario(h: Harness):
        *_, send = await h.slash("ask", {"question": "Did the ferry operator freeze fares? Who should ride it?"})
        sources = await h.click(h.sent_message(send), "footnote:sources:1")
        return [send, *sources]

    calls = harness_for(scenario)
    assert any("@everyone" in str(c.payload) for c in calls)
    for call in calls:
        body = call.payload.get("data", call.payload)
        assert body["allowed_mentions"] == {"parse": []}


def test_cooldown_refuses_then_lets_the_user_ask_again(harness_for):
    clock = Clock()

    async def scenario(h: Harness):
        first = await h.slash("ask", {"question": LIBRARIAN})
        refused = await h.slash("ask", {"question": LIBRARIAN})
        other_user = await h.slash("ask", {"question": LIBRARIAN}, user_id=USER_ID + 7)
        clock.now += 31
        again = await h.slash("ask", {"question": LIBRARIAN})
        return first, refused, other_user, again

    first, refused, other_user, again = harness_for(scenario, clock=clock, cooldown_uses=1, cooldown_s=30)
    assert first[0].payload["type"] == 5
    [refusal] = refused
    assert refusal.payload["type"] == 4 and refusal.payload["data"]["flags"] == 64
    assert "try again in 30 s" in refusal.payload["data"]["content"]
    assert other_user[0].payload["type"] == 5 and again[0].payload["type"] == 5


def test_the_channel_allowlist_refuses_other_channels(harness_for):
    async def scenario(h: Harness):
        refused = await h.slash("ask", {"question": LIBRARIAN})
        allowed = await h.slash("ask", {"question": LIBRARIAN}, channel_id=CHANNEL_ID + 1)
        return refused, allowed

    refused, allowed = harness_for(scenario, allowed_channels={GUILD_ID: [CHANNEL_ID + 1]})
    assert f"I only answer in <#{CHANNEL_ID + 1}>" in refused[0].payload["data"]["content"]
    assert allowed[0].payload["type"] == 5


class Broken(LocalFootnote):
    """A service whose answering fails the way a bug would."""

    def __init__(self, error: BaseException):
        self.error = error

    async def close(self) -> None:
        return None

    async def ask(self, question, history=(), k=5):
        raise self.error


def test_an_exception_inside_answering_still_gets_a_reply_with_an_error_id(harness_for, caplog):
    async def scenario(h: Harness):
        return await h.slash("ask", {"question": LIBRARIAN})

    defer, reply = harness_for(scenario, service=Broken(KeyError("boom")))
    assert defer.payload["type"] == 5
    # The deferral was public, so the error takes its place, publicly, as Discord would show it anyway.
    assert reply.message is defer.message and reply.message.public
    text = reply.message.content
    assert "Something went wrong on my side (error `" in text
    error_id = text.split("`")[1]
    assert any(error_id in r.getMessage() for r in caplog.records)


def test_a_bad_question_is_explained_and_a_timeout_is_answered(harness_for):
    from index.answer import QuestionError

    async def scenario(h: Harness):
        return await h.slash("ask", {"question": LIBRARIAN})

    _, reply = harness_for(scenario, service=Broken(QuestionError("the question is empty; ask something")))
    assert reply.message.content == "I couldn't do that: the question is empty; ask something"
    _, reply = harness_for(scenario, service=Broken(asyncio.TimeoutError()))
    assert reply.message.content.startswith("That took too long")


def test_a_private_ask_that_fails_is_answered_privately(harness_for):
    async def scenario(h: Harness):
        return await h.slash("ask", {"question": LIBRARIAN, "private": True})

    defer, reply = harness_for(scenario, service=Broken(KeyError("boom")))
    assert reply.message is defer.message and reply.message.ephemeral
    assert "Something went wrong on my side" in reply.message.content


def test_a_mention_that_fails_is_still_answered(harness_for):
    async def scenario(h: Harness):
        return await h.post(f"<@{APP_ID}> {LIBRARIAN}")

    *_, reply = harness_for(scenario, service=Broken(RuntimeError("index gone")))
    assert "Something went wrong on my side" in reply.payload["content"]


def test_refusals_to_mentions_are_rate_limited(harness_for):
    async def scenario(h: Harness):
        elsewhere = [await h.post(f"<@{APP_ID}> {LIBRARIAN}") for _ in range(6)]
        other_user = await h.post(f"<@{APP_ID}> {LIBRARIAN}", author_id=USER_ID + 3)
        return elsewhere, other_user

    elsewhere, other_user = harness_for(scenario, allowed_channels={GUILD_ID: [CHANNEL_ID + 1]})
    replies = [c for calls in elsewhere for c in calls if c.path.endswith("/messages")]
    assert len(replies) == 1, f"{len(replies)} public refusals for 6 mentions"
    assert f"I only answer in <#{CHANNEL_ID + 1}>" in replies[0].message.content
    assert len([c for c in other_user if c.path.endswith("/messages")]) == 1  # someone else is told once too


def test_a_mention_on_cooldown_is_told_once(harness_for):
    clock = Clock()

    async def scenario(h: Harness):
        return [await h.post(f"<@{APP_ID}> {LIBRARIAN}") for _ in range(6)]

    posts = harness_for(scenario, clock=clock, cooldown_uses=1, cooldown_s=30)
    replies = [c.message for calls in posts for c in calls if c.path.endswith("/messages")]
    assert len(replies) == 2 and replies[0].embeds and "asking quickly" in replies[1].content


def test_a_button_from_an_older_version_is_answered(harness_for):
    from tests.fake_discord import FakeMessage
    from tests.bot_harness import snowflake

    async def scenario(h: Harness):
        row = {"type": 1, "components": [{"type": 2, "style": 2, "label": "Old", "custom_id": "footnote:cite:7"}]}
        message = h.discord.add_message(FakeMessage(snowflake(), CHANNEL_ID, {"content": "x", "components": [row]}))
        return await h.click(message, "footnote:cite:7")

    [reply] = harness_for(scenario)
    assert reply.message.ephemeral and "no longer works" in reply.message.content


def test_an_empty_mention_spends_no_question_and_its_hint_is_given_once(harness_for):
    clock = Clock()

    async def scenario(h: Harness):
        empty = [await h.post(f"<@{APP_ID}>") for _ in range(3)]
        asked = await h.post(f"<@{APP_ID}> {LIBRARIAN}")
        return empty, asked

    empty, asked = harness_for(scenario, clock=clock, cooldown_uses=1, cooldown_s=30)
    hints = [c.message for calls in empty for c in calls if c.path.endswith("/messages")]
    assert len(hints) == 1 and "Ask me something after the mention" in hints[0].content
    [answer] = [c.message for c in asked if c.path.endswith("/messages")]
    assert answer.embeds and "asking quickly" not in (answer.content or "")  # the one use was still there


def test_cooldowns_and_refusals_forget_people_once_their_window_has_passed():
    clock = Clock()
    cooldown, hush = Cooldown(2, 30, clock), Hush(600, clock)
    for user in range(5000):
        cooldown.retry_after(user)
        hush.may_tell(user, "cooldown")
    clock.now += 601
    assert cooldown.retry_after(1) == 0.0 and hush.may_tell(1, "cooldown")
    assert len(cooldown._seen) == 1 and len(hush._told) == 1  # not 5,000 people kept for ever


def test_answers_that_hang_do_not_take_the_threads_autocomplete_needs(own_index, tmp_path):
    """Ten answers stuck past their timeout are abandoned in the answers' own pool; the article
    autocomplete (Discord gives it 3 s) still answers at once."""
    corpus, index, embedder = own_index
    release = threading.Event()
    bot = make_bot(corpus, index, embedder, tmp_path, answer_timeout_s=0.2, cooldown_uses=50)
    answerer = bot.service.answerer
    real = answerer.answer

    def hanging(request):
        release.wait(10)
        return real(request)

    answerer.answer = hanging

    async def scenario(h: Harness):
        try:
            told = [await h.slash("ask", {"question": f"Question number {n}?"}) for n in range(10)]
            # The fake Discord refuses an autocomplete answered after 3 s, as Discord does.
            choices = await h.autocomplete("article", "id", "fer", subcommand="remove", permissions=MANAGE_GUILD)
        finally:
            release.set()
        return told, choices

    told, choices = run(scenario, bot)
    assert all("took too long" in (calls[-1].message.content or "") for calls in told)
    assert any(c["value"] == "2026/ferry" for c in choices), choices


def test_a_slow_listing_gives_no_suggestions_in_time_then_the_finished_one(own_index, tmp_path):
    """A cold autocomplete over a slow corpus folder answers within Discord's 3 s (empty), and
    the listing it started serves the next keystroke."""
    corpus, index, embedder = own_index
    bot = make_bot(corpus, index, embedder, tmp_path)
    service = bot.service
    real = service._removable_ids
    slow = threading.Event()

    def slow_listing():
        slow.wait(2.5)  # longer than the listing may take to answer a keystroke
        return real()

    service._removable_ids = slow_listing

    async def scenario(h: Harness):
        first = await h.autocomplete("article", "id", "fer", subcommand="remove", permissions=MANAGE_GUILD)
        slow.set()
        await asyncio.sleep(0.2)
        second = await h.autocomplete("article", "id", "fer", subcommand="remove", permissions=MANAGE_GUILD)
        return first, second

    first, second = run(scenario, bot)
    assert first == [] and any(c["value"] == "2026/ferry" for c in second)


def test_search_status_and_remove_give_up_after_the_timeout_and_say_so(own_index, tmp_path):
    corpus, index, embedder = own_index
    bot = make_bot(corpus, index, embedder, tmp_path, answer_timeout_s=0.2)
    never = asyncio.Event()

    async def hang(*args, **kwargs):
        await never.wait()

    bot.service.search = hang
    bot.service.status = hang
    bot.service.remove_article = hang

    async def scenario(h: Harness):
        return [(await h.slash("search", {"query": "ferry"}))[-1].message,
                (await h.slash("status", permissions=MANAGE_GUILD))[-1].message,
                (await h.slash("article", {"id": "2026/ferry"}, subcommand="remove",
                               permissions=MANAGE_GUILD))[-1].message]

    for reply in run(scenario, bot):
        assert "That took too long" in reply.content, reply.content


def test_a_429_storm_is_waited_out_by_discord_py_and_every_answer_arrives(harness_for):
    """Discord answers the bot's channel posts with 429s (per route, then global); discord.py's
    own rate-limit handling waits each `retry_after` out (the fake counts a request sent too
    early as a violation) and every mention still gets its answer."""
    async def scenario(h: Harness):
        h.session.rate_limit("/messages", times=3, retry_after=0.05)
        h.session.rate_limit("/typing", times=2, retry_after=0.05, is_global=True)
        posts = [await h.post(f"<@{APP_ID}> {LIBRARIAN}", author_id=USER_ID + n) for n in range(3)]
        return posts, h.session.retries_honoured

    posts, honoured = harness_for(scenario)
    replies = [c for calls in posts for c in calls if c.path.endswith("/messages") and c.message is not None]
    assert len(replies) == 3 and all("Ada Brook" in r.payload["embeds"][0]["description"] for r in replies)
    assert honoured >= 5  # every 429 was waited out, none retried early


def test_429s_on_interaction_responses_are_waited_out_and_every_ask_is_answered(harness_for):
    """Interaction callbacks and followups go through discord.py's webhook adapter, which has
    its own 429 handling: the answers arrive after the waits, and nothing is sent early."""
    async def scenario(h: Harness):
        h.session.rate_limit("/callback", times=1, retry_after=0.05)
        h.session.rate_limit(f"/webhooks/{APP_ID}/", times=3, retry_after=0.05)
        asks = [await h.slash("ask", {"question": LIBRARIAN}, user_id=USER_ID + n) for n in range(3)]
        return asks, h.session.retries_honoured

    asks, honoured = harness_for(scenario)
    for calls in asks:
        shown = calls[-1].message
        assert shown is not None and not shown.loading and "Ada Brook" in shown.embeds[0]["description"]
    assert honoured >= 4


def test_a_mention_deleted_before_its_answer_is_let_go(harness_for, caplog):
    """Discord refuses a reply to a message its author deleted meanwhile; the bot lets the answer
    go (the asker withdrew the question) rather than raising from its handler."""
    caplog.set_level(logging.INFO, logger="footnote.bot")

    async def scenario(h: Harness):
        real_ask = h.bot.service.ask

        async def ask_while_deleted(*args, **kwargs):
            for message in h.discord.messages.values():
                if message.author_id == USER_ID:
                    message.deleted = True
            return await real_ask(*args, **kwargs)

        h.bot.service.ask = ask_while_deleted
        h.discord.expect(50035)
        calls = await h.post(f"<@{APP_ID}> {LIBRARIAN}")
        return calls, h.discord.refusals

    calls, refusals = harness_for(scenario)
    assert [c.message for c in calls if c.path.endswith("/messages")] == [None]  # one attempt, refused, no retry
    assert len(refusals) == 1 and "message_reference: Unknown message" in refusals[0]
    assert any("deleted before its answer" in r.getMessage() for r in caplog.records)
    assert not any(r.levelname == "ERROR" for r in caplog.records)


def test_a_private_ask_in_a_footnote_thread_stays_out_of_the_threads_history(harness_for, news_index):
    async def scenario(h: Harness):
        *_, send = await h.slash("ask", {"question": "What is the harbour bridge repair budget?"})
        await h.click(h.sent_message(send), "footnote:thread:1")
        thread_id = h.sent_message(send).thread_id
        private = await h.slash("ask", {"question": "Is my neighbour Ada Brook the librarian?", "private": True},
                                channel_id=thread_id, channel_type=11, parent_id=CHANNEL_ID, user_id=USER_ID + 5)
        await h.slash("ask", {"question": "Who said the cables were corroded?"}, channel_id=thread_id,
                      channel_type=11, parent_id=CHANNEL_ID, user_id=USER_ID + 6)
        return private, h.bot.store.history(thread_id)

    private, history = harness_for(scenario, cooldown_uses=10)
    assert private[-1].message.ephemeral and private[-1].message.embeds
    assert [t.question for t in history] == ["What is the harbour bridge repair budget?",
                                             "Who said the cables were corroded?"]


def test_a_refusal_told_in_one_server_is_told_in_another_too(harness_for):
    other, other_channel = GUILD_ID + 1, CHANNEL_ID + 70

    async def scenario(h: Harness):
        there = await h.post(f"<@{APP_ID}> {LIBRARIAN}", guild_id=other, channel_id=other_channel)
        here = await h.post(f"<@{APP_ID}> {LIBRARIAN}")
        return there, here

    there, here = harness_for(scenario, allowed_channels={GUILD_ID: [CHANNEL_ID + 1], other: [other_channel + 1]})
    for calls, allowed in ((there, other_channel + 1), (here, CHANNEL_ID + 1)):
        [reply] = [c for c in calls if c.path.endswith("/messages")]
        assert f"I only answer in <#{allowed}>" in reply.message.content
