""""Ask a follow-up": one thread per answer however often it is clicked, never offered where
Discord cannot open a thread, and a thread someone else opened on the answer is used."""

from __future__ import annotations

from tests.fake_discord import channel_payload
from tests.bot_harness import APP_ID, CHANNEL_ID, USER_ID, Harness, custom_ids, embeds_of

BRIDGE = "What is the harbour bridge repair budget?"


def test_a_second_click_on_ask_a_follow_up_leads_to_the_same_thread(harness_for):
    async def scenario(h: Harness):
        *_, send = await h.slash("ask", {"question": BRIDGE})
        answer = h.sent_message(send)
        first = await h.click(answer, "footnote:thread:1")
        second = await h.click(answer, "footnote:thread:1", user_id=USER_ID + 1)
        return answer, first, second

    answer, first, second = harness_for(scenario)
    assert first[0].path.endswith("/callback"), "the click is acknowledged before the thread is made"
    assert [c.path for c in first + second if c.path.endswith("/threads")] == [
        f"/channels/{CHANNEL_ID}/messages/{answer.id}/threads"]
    for calls in (first, second):
        reply = calls[-1].message
        assert reply.ephemeral and f"<#{answer.thread_id}>" in reply.content
        assert "Something went wrong" not in reply.content


def test_answers_inside_a_thread_footnote_did_not_open_offer_no_follow_up(harness_for):
    other_thread = CHANNEL_ID + 50

    async def scenario(h: Harness):
        h.discord.add_channel(channel_payload(other_thread, 11, CHANNEL_ID, name="someone's thread"))
        asked = await h.slash("ask", {"question": BRIDGE}, channel_id=other_thread)
        mentioned = await h.post(f"<@{APP_ID}> {BRIDGE}", channel_id=other_thread)
        return asked[-1], mentioned[-1]

    asked, mentioned = harness_for(scenario)
    for call, answer_id in ((asked, 1), (mentioned, 2)):
        assert "40 million dollars" in embeds_of(call)[0]["description"]
        ids = custom_ids(call.payload)
        assert f"footnote:sources:{answer_id}" in ids
        assert not any(i.startswith("footnote:thread:") for i in ids)


def test_a_thread_someone_else_opened_on_the_answer_is_used(harness_for):
    async def scenario(h: Harness):
        *_, send = await h.slash("ask", {"question": BRIDGE})
        answer = h.sent_message(send)
        # A moderator opened a thread on the answer by hand; Discord will refuse a second one.
        answer.thread_id = answer.id
        h.discord.add_channel(channel_payload(answer.id, 11, CHANNEL_ID, name="talk"))
        h.discord.expect(160004)
        clicked = await h.click(answer, "footnote:thread:1")
        follow = await h.slash("ask", {"question": "Who said the cables were corroded?"}, channel_id=answer.id)
        return answer, clicked, follow, h.bot.store.history(answer.id)

    answer, clicked, follow, history = harness_for(scenario)
    assert f"<#{answer.id}>" in clicked[-1].message.content
    assert [t.question for t in history] == [BRIDGE, "Who said the cables were corroded?"]
    assert not any(c.startswith("footnote:thread") for c in custom_ids(follow[-1].payload))


def test_without_the_permission_to_open_threads_the_click_says_so(harness_for):
    async def scenario(h: Harness):
        *_, send = await h.slash("ask", {"question": BRIDGE})
        h.deny("create_public_threads")
        h.discord.expect(50013)
        return await h.click(h.sent_message(send), "footnote:thread:1")

    *_, reply = harness_for(scenario)
    assert reply.message.ephemeral and "not allowed to open threads in this channel" in reply.message.content


def test_a_button_that_fails_unexpectedly_still_answers_with_an_error_id(harness_for, caplog):
    async def scenario(h: Harness):
        *_, send = await h.slash("ask", {"question": BRIDGE})

        def broken(answer_id):
            raise OSError("disk I/O error")

        h.bot.store.answer = broken
        return await h.click(h.sent_message(send), "footnote:sources:1")

    [reply] = harness_for(scenario)
    assert reply.message.ephemeral and "Something went wrong on my side (error `" in reply.message.content
    assert any(reply.message.content.split("`")[1] in r.getMessage() for r in caplog.records)
