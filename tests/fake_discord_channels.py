"""The fake Discord's side of the bot's own REST calls (discord.py's HTTPClient, over
tests/fake_discord_session.py): channel messages, their edits, threads and typing, with
Discord's refusals (one thread per message, none inside a thread, only the bot's own messages
edited), and the bot's channel permissions in a server (Send Messages, Send Messages in Threads,
Embed Links, Create Public Threads; tests deny them with `Harness.deny`)."""

from __future__ import annotations

import asyncio
import json

from tests.test_bot_discord_limits import message_problems
from tests.fake_discord_state import BOT_ID, THREAD_TYPES, THREADABLE_TYPES, Call, FakeMessage, channel_payload


class ChannelCalls:
    """A mixin for FakeDiscord (which provides _record, _refuse, _check_form, _new_message)."""

    async def http_request(self, route, *, files=None, form=None, **kwargs):
        """Discord's answer to one REST request discord.py's HTTPClient sent (through
        tests/fake_discord_session.py, which turns refusals into status codes and adds 429s)."""
        body = kwargs.get("json")
        if body is None and form:
            body = json.loads(form[0]["value"])
        call = self._record(route, body, "http")
        await asyncio.sleep(0)
        match route.method, call.path.strip("/").split("/"):
            case "POST", ["channels", cid, "typing"]:
                self._may_send(call, self._channel(call, int(cid)))
                return None
            case "POST", ["channels", cid, "messages"]:
                channel = self._channel(call, int(cid))
                self._may_send(call, channel)
                self._check_form(call, message_problems(body or {}))
                self._check_reference(call, body or {})
                body = self._embeds_allowed(call, channel, body or {}, creating=True)
                call.message = self._new_message(int(cid), body)
                return call.message.payload()
            case "PATCH", ["channels", cid, "messages", mid]:
                message = self._own_message(call, int(mid))
                self._check_form(call, message_problems(body or {}, creating=False))
                body = self._embeds_allowed(call, self._channel(call, int(cid)), body or {}, creating=False)
                message.update(body)
                call.message = message
                return message.payload()
            case "DELETE", ["channels", cid, "messages", mid]:
                self._own_message(call, int(mid)).deleted = True
                return None
            case "POST", ["channels", cid, "messages", mid, "threads"]:
                return self._thread(call, int(cid), int(mid), body or {})
        raise AssertionError(f"the fake Discord does not know {route.method} {call.path}")

    def _channel(self, call: Call, channel_id: int) -> dict:
        channel = self.channels.get(channel_id)
        if channel is None:
            self._refuse(call, 404, 10003, "Unknown Channel")
        return channel

    def _denied(self, channel: dict, permission: str) -> bool:
        """Whether the bot lacks `permission` in `channel` (a DM has no permissions to lack)."""
        return "guild_id" in channel and permission in self.forbidden

    def _may_send(self, call: Call, channel: dict) -> None:
        """Send Messages (Send Messages in Threads in a thread): without it, Discord refuses the
        bot's posts and its typing there."""
        needed = "send_messages_in_threads" if channel["type"] in THREAD_TYPES else "send_messages"
        if self._denied(channel, needed):
            self._refuse(call, 403, 50013, "Missing Permissions")

    def _check_reference(self, call: Call, body: dict) -> None:
        """A reply to a message that is gone (its author deleted it meanwhile) is refused, unless
        the reply said it may stand alone (`fail_if_not_exists: false`)."""
        reference = body.get("message_reference")
        if not reference or reference.get("fail_if_not_exists", True) is False:
            return
        message = self.messages.get(int(reference["message_id"]))
        if message is None or message.deleted:
            self._refuse(call, 400, 50035, "Invalid Form Body: message_reference: Unknown message")

    def _embeds_allowed(self, call: Call, channel: dict, body: dict, creating: bool) -> dict:
        """Embed Links: without it, Discord drops the bot's embeds from the message without a
        word; a message left with nothing to show is refused (403 on a post, "empty" on an edit)."""
        if not body.get("embeds") or not self._denied(channel, "embed_links"):
            return body
        body = {**body, "embeds": []}
        if not body.get("content") and not body.get("components"):
            if creating:
                self._refuse(call, 403, 50013, "Missing Permissions")
            self._refuse(call, 400, 50006, "Cannot send an empty message")
        return body

    def _own_message(self, call: Call, message_id: int) -> FakeMessage:
        message = self.messages.get(message_id)
        if message is None or message.deleted or message.ephemeral:
            self._refuse(call, 404, 10008, "Unknown Message")
        if message.author_id != BOT_ID:
            self._refuse(call, 403, 50005, "Cannot edit a message authored by another user")
        return message

    def _thread(self, call: Call, channel_id: int, message_id: int, body: dict) -> dict:
        channel = self._channel(call, channel_id)
        if self._denied(channel, "create_public_threads"):
            self._refuse(call, 403, 50013, "Missing Permissions")
        if channel["type"] not in THREADABLE_TYPES:
            self._refuse(call, 400, 50024, "Cannot execute action on this channel type "
                                           f"(channel type {channel['type']} cannot hold threads)")
        message = self.messages.get(message_id)
        if message is None or message.ephemeral or message.deleted:
            self._refuse(call, 404, 10008, "Unknown Message")
        if message.thread_id is not None:
            self._refuse(call, 400, 160004, "A thread has already been created for this message")
        name = body.get("name") or ""
        if not 1 <= len(name) <= 100:
            self._refuse(call, 400, 50035, f"Invalid Form Body: name: {len(name)} characters; Discord takes 1 to 100")
        thread = channel_payload(message_id, 11, channel_id, name=name)  # a message's thread has its id
        self.add_channel(thread)
        message.thread_id = message_id
        return thread
