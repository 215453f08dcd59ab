"""A fake Discord for the bot's tests: the server side of the harness.

It stands where discord.py meets the network (the HTTP session beneath both its webhook adapter,
which sends interaction responses, and its HTTPClient, which sends the bot's own REST calls:
tests/fake_discord_session.py) and answers like Discord: it keeps the
messages, their visibility and threads, and it refuses what Discord refuses, with Discord's
status and error code, so the bot sees the same exception it would see in production. Every
refusal, and every interaction left unanswered or "thinking" forever, is also written down as a
violation; the harness fails the test with them unless the test expects them.

The rules (https://discord.com/developers/docs): message, embed, component, modal and
autocomplete limits (test_bot_discord_limits), the first
response within 3 seconds, the token valid for 15 minutes, one initial response, the first
message after a deferral taking the deferral's visibility, one thread per message and none
inside a thread. Times are read from the test's clock, which tests may move forward.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import discord
from discord.http import Route

from tests.test_bot_discord_limits import choice_problems, message_problems, modal_problems
from tests.fake_discord_state import (APP_ID, BOT_ID, CHANNEL_ID, CURATOR_ROLE, EPHEMERAL, FIRST_RESPONSE_S, GUILD_ID,
                                          TOKEN_LIFETIME_S, USER_ID, Call, DiscordClock, FakeInteraction, FakeMessage,
                                          channel_payload, message_payload, own_time, snowflake, timestamp,
                                          user_payload)
from tests.fake_discord_channels import ChannelCalls

__all__ = ["APP_ID", "BOT_ID", "CHANNEL_ID", "CURATOR_ROLE", "FIRST_RESPONSE_S", "GUILD_ID", "USER_ID", "Call",
           "DiscordClock", "FakeDiscord", "FakeInteraction", "FakeMessage", "channel_payload", "message_payload",
           "own_time", "snowflake", "timestamp", "user_payload"]


# Which responses Discord takes for which interaction: command, component, autocomplete, modal submit.
RESPONSES = {2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}
REASONS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}


@dataclass
class _Response:  # the two attributes discord.HTTPException reads from a response
    status: int
    reason: str


class FakeDiscord(ChannelCalls):
    """Discord's side of every request the bot makes, with Discord's refusals."""

    def __init__(self, clock: DiscordClock | None = None):
        super().__init__()
        self.clock = clock or DiscordClock()
        self.calls: list[Call] = []
        self.refusals: list[str] = []
        self.violations: list[str] = []
        self.expected_codes: set[int] = set()
        self.messages: dict[int, FakeMessage] = {}
        self.channels: dict[int, dict] = {}
        self.interactions: dict[int, FakeInteraction] = {}
        self.uploads: dict[str, bytes] = {}  # attachment URL -> bytes
        self.on_request = None  # a test's hook, called with each Call as it arrives
        # Permissions the bot lacks in the server's channels (discord.Permissions names); see Harness.deny
        self.forbidden: set[str] = set()

    # ---- bookkeeping ------------------------------------------------------------------------------
    def expect(self, *codes: int) -> None:
        """Refusals with these codes are part of the test, not violations."""
        self.expected_codes.update(codes)

    def take_violations(self) -> list[str]:
        taken, self.violations = self.violations, []
        return taken

    def add_channel(self, channel: dict) -> None:
        self.channels[int(channel["id"])] = channel

    def add_message(self, message: FakeMessage) -> FakeMessage:
        self.messages[message.id] = message
        message.versions.append(message.body)
        return message

    def open_interaction(self, payload: dict, label: str, message: FakeMessage | None = None) -> FakeInteraction:
        user = (payload.get("member") or {}).get("user") or payload.get("user")
        it = FakeInteraction(int(payload["id"]), payload["token"], payload["type"], int(user["id"]),
                             int(payload["channel_id"]), self.clock(), label, message)
        self.add_channel(payload["channel"])
        self.interactions[it.id] = it
        return it

    def finish(self) -> None:
        """Interactions the bot left unanswered or thinking: what the person would be left with."""
        for it in self.interactions.values():
            if it.checked:
                continue
            it.checked = True
            if it.response is None:
                shown = "Loading options failed" if it.type == 4 else "This interaction failed"
                self.violations.append(f"{it.label}: never answered; Discord shows \"{shown}\"")
            elif it.original is not None and it.original.loading and not it.original.deleted:
                self.violations.append(f"{it.label}: deferred and never completed; \"Footnote is thinking...\" "
                                       "stays until the person gives up")

    def public_messages(self) -> list[FakeMessage]:
        return [m for m in self.messages.values() if m.public and not m.deleted and m.author_id == BOT_ID]

    def _record(self, route, payload, kind: str) -> Call:
        call = Call(route.method, route.url.removeprefix(Route.BASE), payload, kind)
        self.calls.append(call)
        if self.on_request is not None:
            self.on_request(call)
        return call

    def _refuse(self, call: Call, status: int, code: int, text: str):
        problem = f"{call.method} {call.path}: {status} (code {code}) {text}"
        self.refusals.append(problem)
        if code not in self.expected_codes:
            self.violations.append(problem)
        kind = {403: discord.Forbidden, 404: discord.NotFound}.get(status, discord.HTTPException)
        raise kind(_Response(status, REASONS[status]), {"code": code, "message": text})

    def _check_form(self, call: Call, problems: list[str]) -> None:
        if problems == ["Cannot send an empty message"]:
            self._refuse(call, 400, 50006, problems[0])
        if problems:
            self._refuse(call, 400, 50035, "Invalid Form Body: " + "; ".join(problems))

    def _new_message(self, channel_id: int, body: dict, ephemeral: bool = False, owner: int | None = None,
                     loading: bool = False) -> FakeMessage:
        return self.add_message(FakeMessage(snowflake(), channel_id, dict(body), ephemeral, owner, loading))

    # ---- interaction responses, followups, edits (discord.py's webhook adapter sends them) ----------
    async def webhook_request(self, route, payload: dict | None):
        """Discord's answer to one interaction request (through tests/fake_discord_session.py)."""
        call = self._record(route, payload, "webhook")
        await asyncio.sleep(0)  # a request is a round trip: other tasks run meanwhile
        parts = call.path.strip("/").split("/")
        if parts[-1] == "callback":
            return self._callback(call, int(parts[1]), parts[2], payload or {})
        it = self._by_token(call, parts[2])
        if route.method == "POST":
            return self._followup(call, it, payload or {})
        message = self._interaction_message(call, it, parts[-1])
        if route.method == "PATCH":
            self._check_form(call, message_problems(payload or {}, creating=False))
            message.update(payload or {})
            call.message = message
        elif route.method == "DELETE":
            message.deleted = True
            return None
        return message.payload()

    def _callback(self, call: Call, interaction_id: int, token: str, body: dict) -> dict:
        it = self.interactions.get(interaction_id)
        if it is None or it.token != token:
            self._refuse(call, 404, 10062, "Unknown interaction")
        late = self.clock() - it.created
        if late > FIRST_RESPONSE_S:
            self._refuse(call, 404, 10062, f"Unknown interaction: {it.label} was first answered after "
                                           f"{late:.1f} s; Discord waits {FIRST_RESPONSE_S:.0f} s")
        if it.response is not None:
            self._refuse(call, 400, 40060, "Interaction has already been acknowledged.")
        kind, data = body["type"], body.get("data") or {}
        if kind not in RESPONSES[it.type]:
            self._refuse(call, 400, 50035, f"response type {kind} is not valid for interaction type {it.type}")
        problems = {4: lambda: message_problems(data), 7: lambda: message_problems(data, creating=False),
                    8: lambda: choice_problems(data.get("choices") or []), 9: lambda: modal_problems(data)}
        self._check_form(call, problems.get(kind, list)())
        it.response = kind
        if kind in (4, 5):
            it.original = self._new_message(it.channel_id, data if kind == 4 else {}, bool(data.get("flags", 0) & EPHEMERAL),
                                            it.user_id, loading=kind == 5)
        elif kind in (6, 7):
            it.original = it.message
            if kind == 7:
                it.message.update(data)
        it.choices = data.get("choices") if kind == 8 else None
        it.modal = data if kind == 9 else None
        call.message = it.original
        answer = {"id": str(it.id), "type": it.type, "response_message_loading": kind == 5,
                  "response_message_ephemeral": bool(it.original and it.original.ephemeral)}
        if it.original is not None:
            answer["response_message_id"] = str(it.original.id)
        return {"interaction": answer}

    def _by_token(self, call: Call, token: str) -> FakeInteraction:
        it = next((i for i in self.interactions.values() if i.token == token), None)
        if it is None:
            self._refuse(call, 404, 10015, "Unknown Webhook")
        age = self.clock() - it.created
        if age > TOKEN_LIFETIME_S:
            self._refuse(call, 401, 50027, f"Invalid Webhook Token: {it.label}'s token expired "
                                           f"({age / 60:.0f} min old; it lasts 15 min)")
        if it.response in (None, 8, 9):
            self._refuse(call, 404, 10015, f"Unknown Webhook: {it.label} has no message to follow up")
        return it

    def _followup(self, call: Call, it: FakeInteraction, body: dict) -> dict:
        self._check_form(call, message_problems(body))
        private = bool(body.get("flags", 0) & EPHEMERAL)
        if it.original is not None and it.original.loading:
            # Discord turns the first followup into the deferred message, visible as the deferral was.
            if private != it.original.ephemeral:
                seen = "only the person" if it.original.ephemeral else "everyone"
                self.violations.append(f"{it.label}: a {'private' if private else 'public'} followup after a "
                                       f"{'private' if it.original.ephemeral else 'public'} deferral is shown to "
                                       f"{seen}, not as the bot asked")
            it.original.update(body)
            call.message = it.original
        else:
            call.message = self._new_message(it.channel_id, body, private, it.user_id)
        return call.message.payload()

    def _interaction_message(self, call: Call, it: FakeInteraction, which: str) -> FakeMessage:
        message = it.original if which == "@original" else self.messages.get(int(which))
        if message is None or message.deleted:
            self._refuse(call, 404, 10008, "Unknown Message")
        return message

    async def get_from_cdn(self, url: str) -> bytes:
        return self.uploads[url]

    # ---- for assertions ---------------------------------------------------------------------------
    def webhook(self) -> list[Call]:
        return [c for c in self.calls if c.kind == "webhook"]

    def http(self) -> list[Call]:
        return [c for c in self.calls if c.kind == "http"]
