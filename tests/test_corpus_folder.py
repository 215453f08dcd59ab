"""The one writer of the corpus folder: collections are never replaced or deleted by a call
about one article, ids are never patterns, links are never followed, and the API and the bot
obey the same rules."""

from __future__ import annotations

import json
import os

import discord
import pytest

from corpus.folder import (ArticleInCollection, ArticleNotFound, CorpusFolder, CorpusUnavailable, InvalidArticleId,
                           UnsupportedFormat)
from tests.conftest import WRITE, article_txt, assert_error_shape, write
from tests.bot_harness import FakeDiscord, Harness, make_bot, run

LIMIT = 1024 * 1024
COLLECTION = '{"id": "a", "text": "First record."}\n{"id": "b", "text": "Second record."}\n'
LIST = json.dumps([{"id": "x", "text": "One."}, {"id": "y", "text": "Two."}])
ONE = json.dumps({"title": "A single", "text": "A single article."}).encode()


@pytest.fixture
def folder(tmp_path):
    write(tmp_path / "corpus", {"coll.jsonl": COLLECTION, "list.json": LIST,
                                "2026/ferry.md": "---\ntitle: Ferry\n---\nThe ferry sails.",
                                "keep.txt": article_txt("2026-01-01", "Keep me.")})
    return CorpusFolder(tmp_path / "corpus")


def test_a_collection_file_is_never_replaced_or_deleted_by_a_single_article_call(folder):
    before = {p: p.read_bytes() for p in folder.root.rglob("*") if p.is_file()}
    for article_id in ("coll", "list"):
        with pytest.raises(ArticleInCollection, match="collection file"):
            folder.delete(article_id)
        with pytest.raises(ArticleInCollection):
            folder.write(article_id, ".json", ONE, LIMIT)
        with pytest.raises(ArticleInCollection):
            folder.write(article_id, ".md", b"---\ntitle: x\n---\nBody.", LIMIT)
    for record in ("coll/a", "list/x"):
        with pytest.raises(ArticleInCollection, match="record of the collection file"):
            folder.delete(record)
        with pytest.raises(ArticleInCollection, match="record of the collection file"):
            folder.write(record, ".json", json.dumps({"text": "Replacement."}).encode(), LIMIT)
    assert {p: p.read_bytes() for p in folder.root.rglob("*") if p.is_file()} == before


def test_ids_are_never_patterns(folder):
    for pattern in ("*", "2026/*", "k?ep", "[k]eep", "2026/f*"):
        with pytest.raises(InvalidArticleId):
            folder.delete(pattern)
    assert (folder.root / "keep.txt").exists() and (folder.root / "2026" / "ferry.md").exists()


def test_no_write_or_delete_goes_through_a_link(folder, tmp_path):
    outside = tmp_path / "outside"
    write(outside, {"keep.txt": "date 2026-01-01\n\nOutside.", "sub/deep.md": "Deep outside."})
    os.symlink(outside, folder.root / "shared")
    os.symlink(outside / "keep.txt", folder.root / "alias.txt")
    for article_id in ("shared/keep", "shared/sub/deep", "alias"):
        with pytest.raises(InvalidArticleId, match="symbolic link"):
            folder.delete(article_id)
        with pytest.raises(InvalidArticleId, match="symbolic link"):
            folder.write(article_id, ".txt", b"Overwritten.", LIMIT)
    assert (outside / "keep.txt").read_text() == "date 2026-01-01\n\nOutside."
    assert (outside / "sub" / "deep.md").read_text() == "Deep outside."


def test_single_articles_replace_each_other_across_formats_atomically(folder):
    path, articles, removed = folder.write("2026/ferry", ".json", ONE, LIMIT)
    assert path == folder.root / "2026" / "ferry.json" and [a.id for a in articles] == ["2026/ferry"]
    assert removed == [folder.root / "2026" / "ferry.md"] and not removed[0].exists()
    assert not [p for p in folder.root.rglob(".*")]  # no temporary file left behind
    with pytest.raises(UnsupportedFormat):
        folder.write("x", ".exe", b"MZ", LIMIT)
    with pytest.raises(ArticleNotFound):
        folder.delete("nothing/here")
    assert folder.delete("2026/ferry") == [path] and not (folder.root / "2026").exists()


def test_an_upload_of_a_whole_collection_replaces_only_the_same_collection(folder):
    _, articles, _ = folder.write("coll", ".jsonl", b'{"id": "c", "text": "New record."}\n', LIMIT, collection=True)
    assert [a.id for a in articles] == ["coll/c"]
    with pytest.raises(ArticleInCollection):  # list.json is a collection: a .jsonl of that name may not replace it
        folder.write("list", ".jsonl", b'{"text": "x"}\n', LIMIT, collection=True)
    with pytest.raises(ArticleInCollection):  # a single article is not replaced by a collection
        folder.write("keep", ".jsonl", b'{"text": "x"}\n', LIMIT, collection=True)
    assert (folder.root / "keep.txt").read_text().endswith("Keep me.\n")


def test_api_refuses_to_delete_or_overwrite_a_collection(client, indexed):
    corpus = indexed / "corpus"
    write(corpus, {"list.json": LIST})
    error = assert_error_shape(client.delete("/v1/articles/feed", headers=WRITE), 409, "article_in_collection")
    assert "feed.jsonl" in error["message"] and "every record" in error["message"]
    assert_error_shape(client.put("/v1/articles/list", headers=WRITE, json={"text": "Overwrite."}), 409,
                       "article_in_collection")
    assert_error_shape(client.delete("/v1/articles/feed/ferry", headers=WRITE), 409, "article_in_collection")
    assert (corpus / "feed.jsonl").exists() and json.loads((corpus / "list.json").read_text())[1]["id"] == "y"


@pytest.mark.parametrize("article_id, fix", [
    ("w" * 250, "segment over 200 bytes"), ("é" * 150, "segment over 200 bytes"),
    ("keep.txt/x", "leads through the file keep.txt, which cannot hold folders"),
    ("2026/ferry.md/deeper/x", "leads through the file 2026/ferry.md")])
def test_an_id_no_file_system_can_hold_is_refused_before_anything_is_written(folder, article_id, fix):
    before = sorted(p.relative_to(folder.root).as_posix() for p in folder.root.rglob("*"))
    with pytest.raises(InvalidArticleId, match=fix):
        folder.write(article_id, ".json", ONE, LIMIT)
    assert sorted(p.relative_to(folder.root).as_posix() for p in folder.root.rglob("*")) == before


def test_the_api_answers_those_ids_422_and_never_with_a_path(client, indexed):
    corpus = indexed / "corpus"
    write(corpus, {"plainfile.txt": article_txt("2026-01-01", "Plain.")})
    for article_id in ("w" * 250, "é" * 150, "plainfile.txt/x"):
        error = assert_error_shape(client.put(f"/v1/articles/{article_id}", headers=WRITE,
                                              json={"text": "A new article."}), 422, "invalid_article_id")
        assert str(corpus) not in error["message"]


def test_a_failed_write_names_the_article_and_the_fix_and_leaves_no_temporary_file(folder, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(CorpusUnavailable, match="new/one.json was not written: the disk holding the corpus "
                                                "folder is full; free space and try again"):
        folder.write("new/one", ".json", ONE, LIMIT)
    assert not (folder.root / "new").exists()
    assert not [p for p in folder.root.rglob(".*tmp-*")]


def _remove(corpus, index, embedder, tmp_path, *ids):
    async def scenario(h: Harness):
        return [(await h.slash("article", {"id": i}, subcommand="remove",
                               permissions=discord.Permissions(manage_guild=True).value))[-1] for i in ids]

    return [r.payload["content"] for r in run(scenario, make_bot(corpus, index, embedder, tmp_path), FakeDiscord())]


def test_bot_remove_obeys_the_same_rules(own_index, tmp_path):  # noqa: F811
    corpus, index, embedder = own_index
    outside = tmp_path / "outside"
    write(outside, {"keep.txt": "date 2026-01-01\n\nOutside."})
    os.symlink(outside, corpus / "shared")
    write(corpus, {"coll.jsonl": COLLECTION})
    before = sorted(p.relative_to(corpus).as_posix() for p in corpus.rglob("*"))
    replies = _remove(corpus, index, embedder, tmp_path, "coll", "coll/a", "*", "2026/*", "shared/keep")
    assert "collection file" in replies[0] and "record of the collection file" in replies[1]
    assert "must be folder/name segments" in replies[2] and "must be folder/name segments" in replies[3]
    assert "symbolic link" in replies[4]
    assert all(r.startswith("I couldn't do that:") for r in replies)
    assert sorted(p.relative_to(corpus).as_posix() for p in corpus.rglob("*")) == before
    assert (outside / "keep.txt").exists()


@pytest.mark.parametrize("filename, data, reason", [
    ("tags.md", b"---\ntags: 5\n---\nBody.", "`tags` is a number"),
    ("deep.json", b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ("feb.md", b"---\ndate: 2024-02-30\n---\nBody.", "is not a date"),
    ("surrogate.json", b'{"text": "a \\ud800 b"}', "unpaired surrogate"),
])
def test_bot_add_of_a_malformed_file_is_refused_with_the_reason(own_index, tmp_path, filename, data,  # noqa: F811
                                                                 reason):
    corpus, index, embedder = own_index
    url = f"https://cdn.discordapp.com/attachments/1/2/{filename}"

    async def scenario(h: Harness):
        h.recorder.uploads[url] = data
        attachment = {"id": "77", "filename": filename, "size": len(data), "url": url, "proxy_url": url}
        return await h.slash("article", {"file": "77"}, subcommand="add", resolved={"attachments": {"77": attachment}},
                             permissions=discord.Permissions(manage_guild=True).value)

    *_, reply = run(scenario, make_bot(corpus, index, embedder, tmp_path), FakeDiscord())
    assert reply.payload["content"].startswith(f"I couldn't do that: `{filename}`")
    assert reason in reply.payload["content"] and not (corpus / "discord").exists()
