"""A bad file is reported with its name and reason, and never blocks the good ones."""

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from corpus.load import load_corpus
from index.build import build_index
from index.store import Generation
from tests.conftest import article_txt, write

GOOD = {"good.txt": article_txt("2026-01-05", "The harbour ferry resumed service on Monday.")}

BAD_CASES = {
    "empty": ({"empty.txt": ""}, "is empty"),
    "whitespace only": ({"blank.md": "   \n\n  "}, "is empty"),
    "binary": ({"photo.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"}, "binary file"),
    "invalid utf-8": ({"latin.txt": "date 2026-01-01\n\nCaf\xe9 opens.".encode("latin-1")}, "not valid UTF-8"),
    "unparseable date": ({"when.txt": "date someday\n\nText."}, "is not a date"),
    "front matter without body": ({"nobody.md": "---\ntitle: Only metadata\ndate: 2026-01-01\n---\n"},
                                  "front matter has no body"),
    "bad yaml": ({"yaml.md": "---\ntitle: [unclosed\n---\nBody."}, "not valid YAML"),
    "json without text": ({"rec.json": json.dumps({"title": "No text"})}, "has no `text`"),
    "jsonl bad line": ({"feed.jsonl": '{"text": "ok"}\n{broken\n'}, "line 2 is not valid JSON"),
    "unsupported type": ({"scan.pdf": "%PDF-1.4"}, "unsupported file type `.pdf`"),
    "html without text": ({"empty.html": "<html><head><title>x</title></head><body></body></html>"},
                          "no article text"),
}


@pytest.mark.parametrize("files, reason", BAD_CASES.values(), ids=BAD_CASES.keys())
def test_bad_file_is_skipped_with_its_name_and_reason(tmp_path, files, reason):
    result = load_corpus(write(tmp_path, {**GOOD, **files}))
    assert [a.id for a in result.articles] == ["good"]
    [skipped] = result.skipped
    assert skipped.path == next(iter(files))
    assert reason in skipped.reason


def test_huge_file_is_refused_without_reading_it(tmp_path):
    write(tmp_path, GOOD)
    with open(tmp_path / "huge.txt", "wb") as handle:
        handle.truncate(20 * 1024 * 1024)  # 20 MB
    result = load_corpus(tmp_path)
    assert [a.id for a in result.articles] == ["good"]
    [skipped] = result.skipped
    assert skipped.path == "huge.txt" and "over the 10 MiB limit" in skipped.reason


def test_duplicate_ids_keep_the_first_and_name_both_files(tmp_path):
    write(tmp_path, {**GOOD, "good.md": "---\ntitle: Another\n---\nOther body."})
    result = load_corpus(tmp_path)
    assert [a.path for a in result.articles] == ["good.md"]
    [skipped] = result.skipped
    assert skipped.path == "good.txt" and "already taken by good.md" in skipped.reason


def test_duplicate_record_ids_inside_a_collection(tmp_path):
    write(tmp_path, {"feed.jsonl": '{"id": "a", "text": "One."}\n{"id": "a", "text": "Two."}\n', **GOOD})
    result = load_corpus(tmp_path)
    assert [a.id for a in result.articles] == ["good"]
    assert "feed/a" in result.skipped[0].reason


def test_unreadable_file_is_reported(tmp_path):
    """Root reads anything, so as root the loader runs in a child that became `nobody`."""
    corpus = Path(tempfile.mkdtemp(prefix="footnote-perm-"))
    try:
        os.chmod(corpus, 0o755)
        write(corpus, {**GOOD, "secret.txt": article_txt("2026-01-01", "Hidden.")})
        os.chmod(corpus / "good.txt", 0o644)
        os.chmod(corpus / "secret.txt", 0)
        ids, skipped = _load_as_unprivileged(corpus)
        assert ids == ["good"]
        assert skipped == [["secret.txt", "cannot be read: permission denied; make it readable (chmod a+r)"]]
    finally:
        shutil.rmtree(corpus, ignore_errors=True)


def _load_as_unprivileged(corpus: Path):
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: drop root, load, report through the pipe
        try:
            os.close(read_end)
            if os.geteuid() == 0:
                os.setgid(65534)
                os.setuid(65534)
            r = load_corpus(corpus)
            payload = [[a.id for a in r.articles], [[s.path, s.reason] for s in r.skipped]]
            os.write(write_end, json.dumps(payload).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as handle:
        data = handle.read()
    os.waitpid(pid, 0)
    return json.loads(data)


def test_build_indexes_the_rest_and_keeps_articles_whose_file_went_bad(tmp_path, embedder):
    corpus = write(tmp_path / "corpus", {
        **GOOD, "later.txt": article_txt("2026-01-06", "The ferry timetable changes in spring.")})
    index = tmp_path / "index"
    first = build_index(corpus, index, embedder, progress=False)
    assert first.added == 2 and first.skipped == []

    (corpus / "later.txt").write_bytes(b"\x00\x01garbage")
    write(corpus, {"new.txt": article_txt("2026-01-07", "A new pier opens."), "empty.md": ""})
    second = build_index(corpus, index, embedder, progress=False)
    assert {s["path"] for s in second.skipped} == {"later.txt", "empty.md"}
    assert second.kept == ["later"]
    assert (second.added, second.removed) == (1, 0)
    generation = Generation.open(index)
    assert {a.id for a in generation.articles()} == {"good", "later", "new"}
    assert "timetable" in generation.article("later").text
