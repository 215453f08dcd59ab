"""Ask about a message: right-click, Apps, "Ask Footnote" takes the message's text as the
question, or as a claim to find sources for."""

from __future__ import annotations

from tests.fake_discord import FakeMessage
from tests.bot_harness import CHANNEL_ID, GUILD_ID, USER_ID, Harness, snowflake


def said(h: Harness, text: str, author: int = USER_ID + 5) -> FakeMessage:
    """A message someone posted in the channel."""
    return h.discord.add_message(FakeMessage(snowflake(), CHANNEL_ID, {"content": text}, author_id=author))


def test_ask_footnote_answers_the_question_in_a_message_privately(harness_for):
    async def scenario(h: Harness):
        message = said(h, "Who is the librarian of the city library reading room? anyone know?")
        return message, await h.context_menu("Ask Footnote", message)

    message, (defer, answer) = harness_for(scenario)
    assert defer.payload == {"type": 5, "data": {"flags": 64}}
    shown = answer.message
    assert shown.ephemeral and "Ada Brook" in shown.embeds[0]["description"]
    assert shown.embeds[0]["title"].startswith("Who is the librarian")
    assert f"/channels/{GUILD_ID}/{CHANNEL_ID}/{message.id}" in shown.content


def test_a_claim_is_answered_with_its_sources(harness_for):
    async def scenario(h: Harness):
        return await h.context_menu("Ask Footnote", said(h, "The ferry operator froze fares for the year."))

    _, answer = harness_for(scenario)
    embed = answer.message.embeds[0]
    assert embed["title"] == "Sources for: The ferry operator froze fares for the year."
    assert "froze fares" in embed["description"] and embed["fields"][0]["name"].startswith("[1] Ferry fares frozen")


def test_a_message_without_text_is_refused_with_the_reason(harness_for):
    async def scenario(h: Harness):
        return await h.context_menu("Ask Footnote", said(h, ""))

    [refusal] = harness_for(scenario)
    assert refusal.message.ephemeral and "has no text" in refusal.message.content
