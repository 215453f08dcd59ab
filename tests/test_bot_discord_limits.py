"""Discord's limits on what a bot sends (https://discord.com/developers/docs/resources/message,
.../interactions/receiving-and-responding, .../components/reference): pure checks the fake
Discord applies to every payload, and the tests that they refuse exactly what Discord refuses."""

from __future__ import annotations

import re

import pytest

EMBED_LIMITS = {"title": 256, "description": 4096, "footer.text": 2048, "author.name": 256}

def _too_long(path: str, value, limit: int, least: int = 0) -> list[str]:
    n = len(value or "")
    if n > limit or n < least:
        return [f"{path}: {n} characters; Discord takes {least} to {limit}"]
    return []


def embed_length(embed: dict) -> int:
    """What counts towards the 6,000 characters of a message's embeds."""
    fields = embed.get("fields") or []
    return (len(embed.get("title") or "") + len(embed.get("description") or "")
            + len((embed.get("footer") or {}).get("text") or "") + len((embed.get("author") or {}).get("name") or "")
            + sum(len(f.get("name") or "") + len(f.get("value") or "") for f in fields))


def embed_problems(embed: dict, path: str) -> list[str]:
    problems = []
    for key, limit in EMBED_LIMITS.items():
        head, _, tail = key.partition(".")
        value = (embed.get(head) or {}).get(tail) if tail else embed.get(head)
        problems += _too_long(f"{path}.{key}", value, limit)
    fields = embed.get("fields") or []
    if len(fields) > 25:
        problems.append(f"{path}.fields: {len(fields)} fields; Discord takes 25")
    for i, f in enumerate(fields):
        problems += _too_long(f"{path}.fields.{i}.name", (f.get("name") or "").strip(), 256, 1)
        problems += _too_long(f"{path}.fields.{i}.value", (f.get("value") or "").strip(), 1024, 1)
    return problems


def component_problems(rows: list[dict], path: str = "components") -> list[str]:
    problems = [f"{path}: {len(rows)} rows; Discord takes 5"] if len(rows) > 5 else []
    seen: set[str] = set()
    for r, row in enumerate(rows):
        items = row.get("components") or []
        selects = [c for c in items if c.get("type") != 2]
        if len(items) > 5 or (selects and len(items) > 1) or not items:
            problems.append(f"{path}.{r}: a row holds 1 to 5 buttons or one select")
        for c, item in enumerate(items):
            where = f"{path}.{r}.components.{c}"
            if item.get("type") == 2:
                problems += _too_long(f"{where}.label", item.get("label"), 80)
                if not item.get("label") and not item.get("emoji"):
                    problems.append(f"{where}: a button needs a label or an emoji")
                if (item.get("style") == 5) != bool(item.get("url")):
                    problems.append(f"{where}: link buttons (style 5), and only they, have a url")
            if item.get("style") != 5:
                custom_id = item.get("custom_id") or ""
                problems += _too_long(f"{where}.custom_id", custom_id, 100, 1)
                if custom_id in seen:
                    problems.append(f"{where}.custom_id: {custom_id!r} is used twice in one message")
                seen.add(custom_id)
    return problems


def message_problems(body: dict, creating: bool = True) -> list[str]:
    """Everything Discord would refuse in a message payload (empty list: it is accepted)."""
    problems = _too_long("content", body.get("content"), 2000)
    embeds = body.get("embeds") or []
    if len(embeds) > 10:
        problems.append(f"embeds: {len(embeds)} embeds; Discord takes 10")
    for i, embed in enumerate(embeds):
        problems += embed_problems(embed, f"embeds.{i}")
    total = sum(embed_length(e) for e in embeds)
    if total > 6000:
        problems.append(f"embeds: {total} characters in all; Discord takes 6000")
    problems += component_problems(body.get("components") or [])
    if creating and not (body.get("content") or embeds or body.get("components") or body.get("attachments")):
        problems.append("Cannot send an empty message")
    return problems


def modal_problems(modal: dict) -> list[str]:
    problems = _too_long("title", modal.get("title"), 45, 1) + _too_long("custom_id", modal.get("custom_id"), 100, 1)
    parts = modal.get("components") or []
    if not 1 <= len(parts) <= 5:
        problems.append(f"components: {len(parts)}; a modal holds 1 to 5")
    for i, part in enumerate(parts):
        if part.get("type") == 18:
            problems += _too_long(f"components.{i}.label", part.get("label"), 45, 1)
            problems += _too_long(f"components.{i}.description", part.get("description"), 100)
            inner = part.get("component") or {}
        else:
            inner = (part.get("components") or [{}])[0]
        problems += _input_problems(inner, f"components.{i}")
    return problems


def _input_problems(item: dict, path: str) -> list[str]:
    problems = _too_long(f"{path}.custom_id", item.get("custom_id"), 100, 1)
    if item.get("type") == 4:
        problems += _too_long(f"{path}.value", item.get("value"), 4000)
        problems += _too_long(f"{path}.placeholder", item.get("placeholder"), 100)
        if not 1 <= item.get("max_length", 4000) <= 4000 or not 0 <= item.get("min_length", 0) <= 4000:
            problems.append(f"{path}: text input lengths are 0 to 4000")
    elif item.get("type") == 3:
        options = item.get("options") or []
        if not 1 <= len(options) <= 25:
            problems.append(f"{path}.options: {len(options)}; a select holds 1 to 25")
        for o in options:
            problems += _too_long(f"{path}.options.label", o.get("label"), 100, 1)
            problems += _too_long(f"{path}.options.value", o.get("value"), 100, 1)
    else:
        problems.append(f"{path}: a modal takes text inputs and string selects here, not type {item.get('type')}")
    return problems


def choice_problems(choices: list[dict]) -> list[str]:
    problems = [f"choices: {len(choices)}; Discord takes 25"] if len(choices) > 25 else []
    for i, c in enumerate(choices):
        problems += _too_long(f"choices.{i}.name", c.get("name"), 100, 1)
        if isinstance(c.get("value"), str):
            problems += _too_long(f"choices.{i}.value", c["value"], 100)
    return problems


# ---- the checks refuse at one past each limit and accept the limit itself -------------------------

_COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")


def command_problems(commands: list[dict], scope: str = "global") -> list[str]:
    """What Discord refuses when commands are registered (PUT .../commands): 100 slash commands
    per scope (5 message menus), names of 1 to 32 word characters or dashes, lower case for slash
    commands, descriptions of 1 to 100 characters, at most 25 options (or subcommands) each."""
    problems = []
    slash = [c for c in commands if c.get("type", 1) == 1]
    menus = [c for c in commands if c.get("type") == 3]
    if len(slash) > 100:
        problems.append(f"{scope}: {len(slash)} slash commands; Discord takes 100")
    if len(menus) > 5:
        problems.append(f"{scope}: {len(menus)} message menus; Discord takes 5")
    for c in commands:
        problems += _command_item(c, f"{scope}/{c.get('name')}", c.get("type", 1) == 1)
    return problems


def _command_item(item: dict, path: str, slash: bool) -> list[str]:
    name = item.get("name") or ""
    problems = []
    if slash and (not _COMMAND_NAME.match(name) or name != name.lower()):
        problems.append(f"{path}: name {name!r} must be 1 to 32 lower-case word characters or dashes")
    if not slash and not 1 <= len(name) <= 32:
        problems.append(f"{path}: name of {len(name)} characters; Discord takes 1 to 32")
    if slash:
        problems += _too_long(f"{path}.description", item.get("description"), 100, 1)
    options = item.get("options") or []
    if len(options) > 25:
        problems.append(f"{path}: {len(options)} options; Discord takes 25")
    for option in options:
        problems += _command_item(option, f"{path} {option.get('name')}", True)
    return problems


def test_command_registration_limits():
    ok = {"name": "ask", "type": 1, "description": "Ask", "options": [{"name": "question", "description": "Q",
                                                                        "type": 3}]}
    assert command_problems([ok]) == []
    assert command_problems([{**ok, "name": "Ask"}])  # upper case
    assert command_problems([{**ok, "description": "x" * 101}])
    assert command_problems([{**ok, "options": [{"name": f"o{i}", "description": "d", "type": 3}
                                                for i in range(26)]}])
    assert command_problems([{**ok, "name": f"c{i}"} for i in range(101)])


def embed(**overrides) -> dict:
    return {"title": "t", "description": "d", "fields": [{"name": "n", "value": "v"}], **overrides}


@pytest.mark.parametrize("make,limit", [
    (lambda x: {"content": x}, 2000),
    (lambda x: {"embeds": [embed(title=x)]}, 256),
    (lambda x: {"embeds": [embed(description=x)]}, 4096),
    (lambda x: {"embeds": [embed(footer={"text": x})]}, 2048),
    (lambda x: {"embeds": [embed(author={"name": x})]}, 256),
    (lambda x: {"embeds": [embed(fields=[{"name": x, "value": "v"}])]}, 256),
    (lambda x: {"embeds": [embed(fields=[{"name": "n", "value": x}])]}, 1024),
], ids=["content", "title", "description", "footer", "author", "field name", "field value"])
def test_each_text_limit_is_refused_one_character_past_it(make, limit):
    assert message_problems(make("x" * limit)) == []
    [problem] = message_problems(make("x" * (limit + 1)))
    assert problem.endswith(f"Discord takes 0 to {limit}") or problem.endswith(f"Discord takes 1 to {limit}")


def test_embed_counts_and_the_6000_total_across_a_message():
    assert message_problems({"embeds": [embed()] * 10}) == []
    assert "11 embeds; Discord takes 10" in " ".join(message_problems({"embeds": [embed()] * 11}))
    assert "25" in " ".join(message_problems({"embeds": [embed(fields=[{"name": "n", "value": "v"}] * 26)]}))
    two = [embed(description="x" * 3000), embed(description="x" * 3000)]  # each fine, together 6,006
    assert any("in all; Discord takes 6000" in p for p in message_problems({"embeds": two}))


def test_empty_fields_and_empty_messages_are_refused():
    assert message_problems({"embeds": [embed(fields=[{"name": "n", "value": " "}])]})
    assert message_problems({}) == ["Cannot send an empty message"]
    assert message_problems({}, creating=False) == []


def test_components_rows_custom_ids_and_labels():
    button = {"type": 2, "style": 2, "label": "ok", "custom_id": "a"}
    assert component_problems([{"type": 1, "components": [button]}]) == []
    assert component_problems([{"type": 1, "components": [button, button]}])  # the same custom_id twice
    many = [{"type": 1, "components": [{**button, "custom_id": f"{r}:{c}"} for c in range(6)]} for r in range(1)]
    assert component_problems(many)
    assert component_problems([{"type": 1, "components": [{**button, "custom_id": "x" * 101}]}])
    assert component_problems([{"type": 1, "components": [{**button, "label": "x" * 81}]}])
    rows = [{"type": 1, "components": [{**button, "custom_id": str(r)}]} for r in range(6)]
    assert component_problems(rows) == ["components: 6 rows; Discord takes 5"]


def test_modal_and_choice_limits():
    text = {"type": 4, "custom_id": "t", "style": 1}
    ok = {"title": "Why?", "custom_id": "m", "components": [{"type": 18, "label": "Which", "component": text}]}
    assert modal_problems(ok) == []
    assert modal_problems({**ok, "title": "x" * 46})
    assert modal_problems({**ok, "components": ok["components"] * 6})
    assert modal_problems({**ok, "components": [{"type": 18, "label": "x" * 46, "component": text}]})
    assert choice_problems([{"name": "a", "value": "b"}] * 25) == []
    assert choice_problems([{"name": "a", "value": "b"}] * 26)
    assert choice_problems([{"name": "a", "value": "x" * 101}])
    assert choice_problems([{"name": "", "value": "b"}])
