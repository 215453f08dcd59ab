"""A fake Discord for the bot's tests: the server side of the harness.

It stands where discord.py meets the network (the webhook adapter for interaction responses,
`HTTPClient.request` for the bot's own REST calls) and answers like Discord: it keeps the
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
import datetime as dt
import itertools
import json
import time
from dataclasses import dataclass, field

import discord
from discord.http import Route
from discord.webhook.async_ import AsyncWebhookAdapter

from tests.test_bot_discord_limits import choice_problems, message_problems, modal_problems

APP_ID = 900000000000000001
BOT_ID = APP_ID
GUILD_ID = 910000000000000001
CHANNEL_ID = 920000000000000001
USER_ID = 930000000000000001
CURATOR_ROLE = 955000000000000001
_ids = itertools.count(940000000000000001)

FIRST_RESPONSE_S = 3.0
TOKEN_LIFETIME_S = 15 * 60
EPHEMERAL = 64
THREAD_TYPES = {10, 11, 12}
THREADABLE_TYPES = {0, 5}  # text and announcement channels


def snowflake() -> int:
    return next(_ids)


def timestamp() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat()


def user_payload(user_id: int = USER_ID, name: str = "reader", bot: bool = False) -> dict:
    return {"id": str(user_id), "username": name, "discriminator": "0", "global_name": name,
            "avatar": None, "bot": bot}


def message_payload(channel_id: int, body: dict | None = None, *, author: dict | None = None,
                    message_id: int | None = None, mentions: list[dict] | None = None,
                    guild_id: int | None = GUILD_ID) -> dict:
    """A message as Discord returns it; `body` is what was sent (content, embeds, components, flags)."""
    body = body or {}
    data = {"id": str(message_id or snowflake()), "type": 0, "channel_id": str(channel_id),
            "content": body.get("content") or "", "embeds": body.get("embeds") or [],
            "components": body.get("components") or [], "attachments": [], "timestamp": timestamp(),
            "edited_timestamp": None, "author": author or user_payload(BOT_ID, "Footnote", bot=True),
            "mentions": mentions or [], "mention_roles": [], "pinned": False, "tts": False,
            "mention_everyone": False, "flags": body.get("flags") or 0}
    if guild_id:
        data["guild_id"] = str(guild_id)
    return data


def channel_payload(channel_id: int, type_: int = 0, parent_id: int | None = None,
                    guild_id: int | None = GUILD_ID, name: str = "news") -> dict:
    """A text channel (type 0) or a public thread (type 11) as Discord sends it."""
    data = {"id": str(channel_id), "type": type_, "guild_id": str(guild_id), "name": name, "position": 0,
            "permission_overwrites": [], "nsfw": False, "rate_limit_per_user": 0, "last_message_id": None,
            "parent_id": str(parent_id) if parent_id else None}
    if type_ in THREAD_TYPES:
        data.update(owner_id=str(BOT_ID), member_count=1, message_count=0,
                    thread_metadata={"archived": False, "auto_archive_duration": 1440,
                                     "archive_timestamp": timestamp(), "locked": False})
    return data


def waited_for_cpu_s() -> float:
    """How long the calling thread has waited for a CPU while ready to run (Linux schedstat; 0
    where unknown): time a busy machine took, not the bot."""
    try:
        with open("/proc/thread-self/schedstat") as stats:
            return int(stats.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def own_time() -> float:
    """Real time, less the calling thread's waits for a CPU: what the bot itself spent, so a test
    on a loaded machine does not fail for the machine's sake."""
    return time.monotonic() - waited_for_cpu_s()


class DiscordClock:
    """The test's clock: the event loop's own time (see `own_time`) plus whatever the test skipped
    with `advance`. Read only on the event loop's thread."""

    def __init__(self):
        self.skipped_s = 0.0

    def __call__(self) -> float:
        return own_time() + self.skipped_s

    def advance(self, seconds: float) -> None:
        self.skipped_s += seconds


@dataclass
class FakeMessage:
    """A message as Discord holds it: its current body, who sees it, its thread."""

    id: int
    channel_id: int
    body: dict
    ephemeral: bool = False
    owner: int | None = None  # the one person who sees an ephemeral message
    loading: bool = False  # a deferral's "Footnote is thinking..."
    author_id: int = BOT_ID
    thread_id: int | None = None
    deleted: bool = False
    versions: list[dict] = field(default_factory=list)

    @property
    def public(self) -> bool:
        return not self.ephemeral

    @property
    def content(self) -> str:
        return self.body.get("content") or ""

    @property
    def embeds(self) -> list[dict]:
        return self.body.get("embeds") or []

    def components(self) -> list[dict]:
        return [c for row in self.body.get("components") or [] for c in row.get("components", [])]

    def custom_ids(self) -> list[str]:
        return [c["custom_id"] for c in self.components() if "custom_id" in c]

    def update(self, body: dict) -> None:
        """An edit: the keys sent replace the message's, the others stay (Discord's PATCH)."""
        self.body = {**self.body, **{k: v for k, v in body.items() if k != "flags"}}
        self.versions.append(self.body)
        self.loading = False

    def payload(self) -> dict:
        author = user_payload(self.author_id, "Footnote" if self.author_id == BOT_ID else "reader",
                              bot=self.author_id == BOT_ID)
        data = message_payload(self.channel_id, {**self.body, "flags": EPHEMERAL if self.ephemeral else 0},
                               message_id=self.id, author=author)
        if self.thread_id:
            data["thread"] = channel_payload(self.thread_id, 11, self.channel_id)
        return data


@dataclass
class FakeInteraction:
    id: int
    token: str
    type: int  # 2 command, 3 component, 4 autocomplete, 5 modal submit
    user_id: int
    channel_id: int
    created: float
    label: str
    message: FakeMessage | None = None  # the message a clicked component is on
    response: int | None = None  # the callback type Discord accepted
    original: FakeMessage | None = None
    modal: dict | None = None  # a modal shown in response
    choices: list[dict] | None = None
    checked: bool = False


@dataclass
class Call:
    method: str
    path: str  # the route with its parameters filled in
    payload: dict | None
    kind: str  # "webhook" (interaction responses) or "http" (the bot's own REST calls)
    message: FakeMessage | None = None  # the message it created or changed


# Which responses Discord takes for which interaction: command, component, autocomplete, modal submit.
RESPONSES = {2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}
REASONS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}


@dataclass
class _Response:  # the two attributes discord.HTTPException reads from a response
    status: int
    reason: str


class FakeDiscord(AsyncWebhookAdapter):
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
        self.forbidden: set[str] = set()  # permissions the bot lacks: "threads" (Create Public Threads)

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

    # ---- the webhook adapter: interaction responses, followups, edits -----------------------------
    async def request(self, route, session, *, payload=None, multipart=None, files=None, **_):
        if payload is None and multipart:
            payload = json.loads(multipart[0]["value"])
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

    # ---- the bot's own REST calls: channel messages, threads, typing ------------------------------
    async def http_request(self, route, *, files=None, form=None, **kwargs):
        """Stands in for `HTTPClient.request`."""
        body = kwargs.get("json")
        if body is None and form:
            body = json.loads(form[0]["value"])
        call = self._record(route, body, "http")
        await asyncio.sleep(0)
        match route.method, call.path.strip("/").split("/"):
            case "POST", ["channels", cid, "typing"]:
                self._channel(call, int(cid))
                return None
            case "POST", ["channels", cid, "messages"]:
                self._channel(call, int(cid))
                self._check_form(call, message_problems(body or {}))
                call.message = self._new_message(int(cid), body or {})
                return call.message.payload()
            case "PATCH", ["channels", cid, "messages", mid]:
                message = self._own_message(call, int(mid))
                self._check_form(call, message_problems(body or {}, creating=False))
                message.update(body or {})
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

    def _own_message(self, call: Call, message_id: int) -> FakeMessage:
        message = self.messages.get(message_id)
        if message is None or message.deleted or message.ephemeral:
            self._refuse(call, 404, 10008, "Unknown Message")
        if message.author_id != BOT_ID:
            self._refuse(call, 403, 50005, "Cannot edit a message authored by another user")
        return message

    def _thread(self, call: Call, channel_id: int, message_id: int, body: dict) -> dict:
        channel = self._channel(call, channel_id)
        if "threads" in self.forbidden:
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

    async def get_from_cdn(self, url: str) -> bytes:
        return self.uploads[url]

    # ---- for assertions ---------------------------------------------------------------------------
    def webhook(self) -> list[Call]:
        return [c for c in self.calls if c.kind == "webhook"]

    def http(self) -> list[Call]:
        return [c for c in self.calls if c.kind == "http"]
