"""The fake Discord refuses what Discord refuses: each rule, shown with a small command added to
the real bot's command tree, so a test of the bot fails wherever Discord would have."""

from __future__ import annotations

import discord
import pytest
from discord import app_commands

from tests.fake_discord import FIRST_RESPONSE_S, FakeMessage
from tests.bot_harness import CHANNEL_ID, USER_ID, Harness, snowflake


def probe(h: Harness, body) -> None:
    """Add `/probe`, whose body is `body(interaction)`, to the bot's real command tree."""
    async def callback(interaction: discord.Interaction) -> None:
        await body(interaction)
    h.bot.tree.add_command(app_commands.Command(name="probe", description="test", callback=callback))


def test_a_first_response_after_three_seconds_is_unknown(harness_for):
    async def scenario(h: Harness):
        async def late(interaction):
            h.clock.advance(FIRST_RESPONSE_S + 1)  # four seconds of work before deferring
            with pytest.raises(discord.NotFound, match="10062"):
                await interaction.response.defer()

        probe(h, late)
        await h.slash("probe")
        return h.discord.take_violations()

    [late, unanswered] = harness_for(scenario)
    assert "first answered after 4.0 s; Discord waits 3 s" in late
    assert "/probe: never answered" in unanswered


def test_a_token_is_good_for_fifteen_minutes(harness_for):
    async def scenario(h: Harness):
        async def slow(interaction):
            await interaction.response.defer(thinking=True)
            await interaction.edit_original_response(content="14 minutes in")  # fine
            h.clock.advance(16 * 60)
            with pytest.raises(discord.HTTPException, match="50027"):
                await interaction.edit_original_response(content="16 minutes in")

        probe(h, slow)
        await h.slash("probe")
        return h.discord.take_violations()

    [expired] = harness_for(scenario)
    assert "token expired (16 min old; it lasts 15 min)" in expired


def test_a_deferral_never_completed_is_thinking_forever(harness_for):
    async def scenario(h: Harness):
        async def forgets(interaction):
            await interaction.response.defer(thinking=True)

        probe(h, forgets)
        await h.slash("probe")
        return h.discord.take_violations()

    [thinking] = harness_for(scenario)
    assert "deferred and never completed" in thinking


def test_the_first_followup_takes_the_deferrals_visibility(harness_for):
    async def scenario(h: Harness):
        async def mixed(interaction):
            await interaction.response.defer(thinking=True)  # public
            first = await interaction.followup.send("meant privately", ephemeral=True, wait=True)
            second = await interaction.followup.send("really private", ephemeral=True, wait=True)
            return first, second

        probe(h, mixed)
        calls = await h.slash("probe")
        return calls, h.discord.take_violations()

    (defer, first, second), [violation] = harness_for(scenario)
    assert first.message is defer.message and first.message.public  # Discord ignored the flag
    assert second.message.ephemeral and second.message.owner == USER_ID
    assert "a private followup after a public deferral is shown to everyone" in violation


def test_one_thread_per_message_and_none_inside_a_thread(harness_for):
    async def scenario(h: Harness):
        message = h.discord.add_message(FakeMessage(snowflake(), CHANNEL_ID, {"content": "an answer"}))

        async def threads(interaction):
            channel = h.bot.get_channel(CHANNEL_ID)
            target = channel.get_partial_message(message.id)
            thread = await target.create_thread(name="first")
            with pytest.raises(discord.HTTPException, match="160004"):
                await target.create_thread(name="second")
            inner = h.discord.add_message(FakeMessage(snowflake(), thread.id, {"content": "in the thread"}))
            with pytest.raises(discord.HTTPException, match="50024"):
                await thread.get_partial_message(inner.id).create_thread(name="nested")
            await interaction.response.send_message("done")

        probe(h, threads)
        await h.slash("probe")
        return message, h.discord.take_violations()

    message, violations = harness_for(scenario)
    assert message.thread_id == message.id  # a message's thread carries the message's id
    assert ["160004" in violations[0], "50024" in violations[1]] == [True, True]


def test_over_the_limit_is_refused_and_silence_fails(harness_for):
    async def scenario(h: Harness):
        async def long(interaction):
            with pytest.raises(discord.HTTPException, match="50035"):
                await interaction.response.send_message("x" * 2001)
            # ...and then nothing: the person sees "This interaction failed"

        probe(h, long)
        await h.slash("probe")
        return h.discord.take_violations()

    too_long, unanswered = harness_for(scenario)
    assert "content: 2001 characters; Discord takes 0 to 2000" in too_long
    assert unanswered == '/probe: never answered; Discord shows "This interaction failed"'


def test_only_buttons_that_are_on_the_message_can_be_clicked(harness_for):
    async def scenario(h: Harness):
        row = {"type": 1, "components": [{"type": 2, "style": 2, "label": "Off", "custom_id": "a", "disabled": True}]}
        message = h.discord.add_message(FakeMessage(snowflake(), CHANNEL_ID, {"content": "x", "components": [row]}))
        with pytest.raises(AssertionError, match="no button 'b'"):
            await h.click(message, "b")
        with pytest.raises(AssertionError, match="disabled"):
            await h.click(message, "a")
        return True

    assert harness_for(scenario)
