"""/search paging and the curator commands (/article add|remove, /reindex, /status), allowed and refused."""

import discord
import pytest

from tests.web_site import HTML, guarded_fetcher, serve_site
from tests.bot_harness import (CHANNEL_ID, CURATOR_ROLE, GUILD_ID, USER_ID, Harness, custom_ids, embeds_of, make_bot, run,
                               snowflake)

MANAGE_GUILD = discord.Permissions(manage_guild=True).value
PAGE = """<html><head><title>Tram trial starts</title>
<meta property="article:published_time" content="2026-05-02"></head>
<body><article><h1>Tram trial starts</h1><p>The first tram trial on the harbour line starts in May.
The operator said twelve trams will run every ten minutes.</p></article></body></html>"""


def test_search_pages_with_buttons(harness_for):
    async def scenario(h: Harness):
        *_, send = await h.slash("search", {"query": "ferry bridge library council"})
        nxt = [c for c in custom_ids(send.payload) if c.endswith(":next")][0]
        page2 = await h.click(h.sent_message(send), nxt)
        return send, page2

    send, [page2] = harness_for(scenario, search_per_page=1, search_k=3)
    assert "page 1 of 3" in embeds_of(send)[0]["footer"]["text"]
    assert custom_ids(send.payload) == ["footnote:page:1:0:prev", "footnote:page:1:1:next"]
    assert page2.payload["type"] == 7  # the message is edited in place
    data = page2.payload["data"]
    assert "page 2 of 3" in data["embeds"][0]["footer"]["text"]
    assert [c["custom_id"] for c in data["components"][0]["components"]] == ["footnote:page:1:0:prev",
                                                                             "footnote:page:1:2:next"]


def test_paging_someone_elses_search_shows_the_page_to_you_alone(harness_for):
    async def scenario(h: Harness):
        *_, send = await h.slash("search", {"query": "ferry bridge library council"})
        results = h.sent_message(send)
        before = results.body
        nxt = [c for c in custom_ids(send.payload) if c.endswith(":next")][0]
        [other] = await h.click(results, nxt, user_id=USER_ID + 1)
        return before, results.body, other

    before, after, other = harness_for(scenario, search_per_page=1, search_k=3)
    assert other.payload["type"] == 4 and other.payload["data"]["flags"] == 64  # a reply only they see
    assert "page 2 of 3" in other.payload["data"]["embeds"][0]["footer"]["text"]
    assert after == before  # the searcher's message did not move


@pytest.mark.parametrize("command,options,sub", [("status", {}, None), ("reindex", {}, None),
                                                 ("article", {"id": "2026/ferry"}, "remove")])
def test_curator_commands_are_refused_to_members(harness_for, command, options, sub):
    async def scenario(h: Harness):
        return await h.slash(command, options, subcommand=sub, permissions=0)

    [refusal] = harness_for(scenario, curator_roles=[CURATOR_ROLE])
    assert refusal.payload["type"] == 4 and refusal.payload["data"]["flags"] == 64
    assert refusal.payload["data"]["content"].startswith("Only curators can change the articles")


def test_status_for_manage_server_and_for_the_curator_role(harness_for):
    async def scenario(h: Harness):
        manager = await h.slash("status", permissions=MANAGE_GUILD)
        role = await h.slash("status", permissions=0, roles=(CURATOR_ROLE,))
        return manager, role

    manager, role = harness_for(scenario, curator_roles=[CURATOR_ROLE])
    for defer, send in (manager, role):
        assert defer.payload == {"type": 5, "data": {"flags": 64}}
        fields = {f["name"]: f["value"] for f in embeds_of(send)[0]["fields"]}
        assert fields["Generation"] == "000001" and fields["Articles"] == "3" and fields["Model"] == "hash:64"
        assert "Changed since the build" not in fields


def test_status_names_the_files_changed_since_the_build(own_index, tmp_path):
    """The bot's /status is the one status (index/status.py): it says what the index does not serve yet."""
    corpus, index, embedder = own_index
    (corpus / "2026" / "tram.md").write_text("---\ntitle: Tram\ndate: 2026-05-02\n---\nThe tram trial starts.\n")

    async def scenario(h: Harness):
        return await h.slash("status", permissions=MANAGE_GUILD)

    _, send = run(scenario, make_bot(corpus, index, embedder, tmp_path))
    fields = {f["name"]: f["value"] for f in embeds_of(send)[0]["fields"]}
    assert fields["Changed since the build"] == "1 file(s): `2026/tram.md`. Run /reindex to serve them."


def test_add_a_file_then_reindex_then_it_answers(own_index, tmp_path):
    corpus, index, _ = own_index
    url = "https://cdn.discordapp.com/attachments/1/2/tram.md"
    text = "---\ntitle: Tram trial\ndate: 2026-05-02\n---\nThe tram trial on the harbour line starts in May.\n"

    async def scenario(h: Harness):
        h.discord.uploads[url] = text.encode()
        attachment_id = str(snowflake())
        resolved = {"attachments": {attachment_id: {"id": attachment_id, "filename": "Tram Trial.md",
                                                    "size": len(text), "url": url, "proxy_url": url}}}
        added = await h.slash("article", {"file": attachment_id}, subcommand="add", resolved=resolved,
                              permissions=MANAGE_GUILD)
        reindexed = await h.slash("reindex", permissions=MANAGE_GUILD)
        asked = await h.slash("ask", {"question": "When does the tram trial on the harbour line start?"})
        return added, reindexed, asked

    added, reindexed, asked = run(scenario, make_bot(corpus, index, own_index[2], tmp_path))
    assert "Saved `discord/tram-trial`" in added[-1].payload["content"]
    assert (corpus / "discord" / "tram-trial.md").read_text() == text
    assert reindexed[0].payload == {"type": 5, "data": {"flags": 64}}  # the curator is told where to look
    [progress] = [c.message for c in reindexed if c.method == "POST" and c.path.endswith("/messages")]
    assert progress.public and progress.versions[0]["content"].startswith("Re-indexing")
    assert "1 added" in progress.content and "generation 000002" in progress.content
    pointer = next(c.message for c in reindexed if c.path.endswith("/messages/@original"))
    assert pointer.ephemeral and pointer.content.endswith(f"/{progress.id}.")
    assert "tram trial" in embeds_of(asked[-1])[0]["description"].lower()


def test_add_a_bad_file_is_refused_with_the_reason(own_index, tmp_path):
    corpus, index, embedder = own_index
    url = "https://cdn.discordapp.com/attachments/1/2/empty.txt"

    async def scenario(h: Harness):
        h.discord.uploads[url] = b"   \n"
        attachment_id = str(snowflake())
        resolved = {"attachments": {attachment_id: {"id": attachment_id, "filename": "empty.txt", "size": 4,
                                                    "url": url, "proxy_url": url}}}
        return await h.slash("article", {"file": attachment_id}, subcommand="add", resolved=resolved,
                             permissions=MANAGE_GUILD)

    *_, reply = run(scenario, make_bot(corpus, index, embedder, tmp_path))
    assert reply.payload["content"] == "I couldn't do that: `empty.txt` is empty; write the article or delete the file"
    assert not (corpus / "discord").exists()


def test_add_a_url_fetches_and_extracts_the_page(own_index, tmp_path):
    corpus, index, embedder = own_index
    with serve_site({"/tram": (200, HTML, PAGE.encode())}) as (port, seen):
        url = f"http://news.example:{port}/tram"

        async def scenario(h: Harness):
            return await h.slash("article", {"url": url}, subcommand="add", permissions=MANAGE_GUILD)

        bot = make_bot(corpus, index, embedder, tmp_path)
        bot.fetch_page = guarded_fetcher({"news.example": ["127.0.0.1"]})
        *_, reply = run(scenario, bot)
    assert seen == [("news.example", "/tram")]
    assert "Saved `discord/tram-trial-starts`" in reply.payload["content"]
    saved = (corpus / "discord" / "tram-trial-starts.md").read_text()
    assert f"url: {url}" in saved and "twelve trams" in saved


def test_remove_an_article_and_an_unknown_id(own_index, tmp_path):
    corpus, index, embedder = own_index

    async def scenario(h: Harness):
        gone = await h.slash("article", {"id": "2026/ferry"}, subcommand="remove", permissions=MANAGE_GUILD)
        missing = await h.slash("article", {"id": "2026/nothing"}, subcommand="remove", permissions=MANAGE_GUILD)
        return gone, missing

    gone, missing = run(scenario, make_bot(corpus, index, embedder, tmp_path))
    assert gone[-1].payload["content"].startswith("Removed `2026/ferry.md`")
    assert not (corpus / "2026" / "ferry.md").exists()
    assert "no article '2026/nothing' in the corpus folder" in missing[-1].payload["content"]


def test_an_error_about_a_long_id_still_fits_in_a_message(own_index, tmp_path):
    long_id = "2026/" + "very-long-name-" * 130  # about 2,000 characters, as a curator may paste

    async def scenario(h: Harness):
        return await h.slash("article", {"id": long_id}, subcommand="remove", permissions=MANAGE_GUILD)

    *_, reply = run(scenario, make_bot(*own_index, tmp_path))
    text = reply.message.content
    assert text.startswith("I couldn't do that: article id '2026/very-long-name-") and len(text) <= 2000
    assert text.endswith("…") or "must be 1 to 300 characters long" in text


def test_curator_commands_are_hidden_from_members_by_default(harness_for):
    async def scenario(h: Harness):
        return {c.name: c.default_permissions for c in h.bot.tree.get_commands()}

    permissions = harness_for(scenario)
    for name in ("article", "reindex", "status"):
        assert permissions[name] == discord.Permissions(manage_guild=True), name
    assert permissions["ask"] is None and permissions["search"] is None


def test_article_ids_autocomplete_for_remove(own_index, tmp_path):
    async def scenario(h: Harness):
        ferry = await h.autocomplete("article", "id", "ferr", subcommand="remove", permissions=MANAGE_GUILD)
        every = await h.autocomplete("article", "id", "", subcommand="remove", permissions=MANAGE_GUILD)
        member = await h.autocomplete("article", "id", "", subcommand="remove", permissions=0)
        return ferry, every, member

    ferry, every, member = run(scenario, make_bot(*own_index, tmp_path))
    assert ferry == [{"name": "2026/ferry — Ferry fares frozen", "value": "2026/ferry"}]
    assert [c["value"] for c in every] == ["2025/library", "2026/bridge", "2026/ferry"]
    assert member == []


def test_curator_commands_work_only_in_the_home_server(own_index, tmp_path):
    """Manage Server in a server someone invited the bot to is not power over the collection."""
    corpus, index, embedder = own_index

    async def scenario(h: Harness):
        removed = await h.slash("article", {"id": "2026/ferry"}, subcommand="remove", permissions=MANAGE_GUILD,
                                guild_id=GUILD_ID + 1, channel_id=CHANNEL_ID + 7)
        reindexed = await h.slash("reindex", permissions=MANAGE_GUILD, guild_id=GUILD_ID + 1,
                                  channel_id=CHANNEL_ID + 7)
        return removed[-1].message, reindexed[-1].message

    removed, reindexed = run(scenario, make_bot(corpus, index, embedder, tmp_path))
    for reply in (removed, reindexed):
        assert reply.ephemeral and "work only in this bot's home server" in reply.content
    assert (corpus / "2026" / "ferry.md").exists()


def test_without_a_home_server_curator_commands_are_off_and_say_how_to_turn_them_on(own_index, tmp_path):
    corpus, index, embedder = own_index

    async def scenario(h: Harness):
        return (await h.slash("reindex", permissions=MANAGE_GUILD))[-1].message

    reply = run(scenario, make_bot(corpus, index, embedder, tmp_path, discord_curator_guilds=[]))
    assert reply.ephemeral and "FOOTNOTE_DISCORD_CURATOR_GUILDS" in reply.content
