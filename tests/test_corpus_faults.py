"""The fault suite: malformed, hostile and odd article files beside good ones.

One corpus holds every fault below and a few good files. `footnote index --json` runs on it
once, as a real process (with root's permission override dropped when run as root, so that
unreadable files and folders are really unreadable); each fault must be skipped with its path
and a reason that says what is wrong, exit status 1, and every good file beside them indexed.
The same bytes then go through `PUT /v1/articles/...` on a live `footnote serve`: a 4xx in the
API's JSON error shape, never a 500, and the connection stays open for the next request.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import ROOT, article_txt, live_server, write
from tests.conftest import KEY

SECRET = "The vault combination is 31-41-59."
DROP_OVERRIDE = ["setpriv", "--inh-caps=-dac_override,-dac_read_search",
                 "--bounding-set=-dac_override,-dac_read_search"]


@dataclass(frozen=True)
class Fault:
    path: str  # the file (or folder, ending in /) under the corpus
    content: bytes | None  # None: made by `make` in the corpus (links, pipes, permissions)
    reason: str  # a part of the skipped entry's reason
    put: bool = True  # also sent through PUT (content faults small enough for one request)


def _md(front: str, body: str = "The body of the article.") -> bytes:
    return f"---\n{front}\n---\n{body}\n".encode()


def _json(obj) -> bytes:
    return json.dumps(obj).encode()


ALIAS_BOMB = ("a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
              "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
              "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
              "title: [*f, *f, *f, *f, *f, *f, *f, *f, *f]")

FAULTS = [
    # encodings and bytes
    Fault("enc/empty.txt", b"", "is empty"),
    Fault("enc/blank.md", b"  \n\t\n  ", "is empty"),
    Fault("enc/photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary file"),
    Fault("enc/latin1.txt", "date 2026-01-01\n\nCaf\xe9 au lait.".encode("latin-1"), "not valid UTF-8"),
    Fault("enc/utf16-no-bom.txt", "date 2026-01-01\n\nA note in UTF-16.".encode("utf-16-le"),
          "UTF-16 text without a byte-order mark"),
    Fault("enc/utf16-broken.txt", b"\xff\xfe" + "Half a char".encode("utf-16-le") + b"\x41",
          "not valid UTF-16"),
    Fault("enc/bom-only.txt", b"\xef\xbb\xbf", "is empty"),
    Fault("enc/zero-width.txt", "\u200b\u200c\u200d\ufeff\u2060\n\u200b".encode(), "no visible text"),
    Fault("enc/controls.txt", b"\x07\x08\x1b\x7f", "no visible text"),
    # dates
    Fault("dates/bad-header.txt", b"date someday\n\nThe pier reopened.", "is not a date"),
    Fault("dates/feb-30.md", _md("title: Leap\ndate: 2024-02-30"), "is not a date"),
    Fault("dates/no-year.md", _md("date: March 3"), "has no year"),
    Fault("dates/as-list.json", _json({"date": [2024, 1, 1], "text": "Text."}), "`date` is a list"),
    Fault("dates/as-bool.md", _md("date: yes"), "`date` is a true/false value"),
    Fault("dates/year-99999.md", _md("date: 99999-01-01"), "is not a date"),
    # wrong types and sizes in metadata
    Fault("meta/tags-number.md", _md("tags: 5"), "`tags` is a number"),
    Fault("meta/tags-number.json", _json({"tags": 5, "text": "Text."}), "`tags` is a number"),
    Fault("meta/title-mapping.md", _md("title: {a: 1}"), "`title` is a mapping"),
    Fault("meta/title-bool.md", _md("title: true"), "`title` is a true/false value"),
    Fault("meta/url-list.json", _json({"url": ["a", "b"], "text": "Text."}), "`url` is a list"),
    Fault("meta/huge-title.md", _md("title: " + "long " * 400), "`title` is 1,999 characters long"),
    Fault("meta/many-tags.md", _md("tags: [" + ", ".join(f"t{i}" for i in range(150)) + "]"),
          "`tags` has 150 entries"),
    Fault("meta/long-tag.json", _json({"tags": ["x" * 300], "text": "Text."}), "`tag` is 300 characters long"),
    Fault("meta/long-record-id.jsonl", _json({"id": "r" * 500, "text": "Text."}), "`id` is 500 characters"),
    Fault("meta/huge-front-matter.md", _md("notes: " + "n" * 70_000), "front matter is over 64 KiB"),
    # YAML
    Fault("yaml/alias-bomb.md", _md(ALIAS_BOMB), "alias"),
    Fault("yaml/list.md", _md("- one\n- two"), "front matter is a YAML list"),
    Fault("yaml/unclosed.md", b"---\ntitle: Never closed\n\nBody text.", "no closing `---`"),
    Fault("yaml/syntax.md", _md("title: [unclosed"), "not valid YAML"),
    Fault("yaml/python-tag.md", _md('title: !!python/object/apply:os.system ["true"]'), "not valid YAML"),
    Fault("yaml/control-char.md", _md('title: "bell \x07 here"'), "not valid YAML"),
    Fault("yaml/deep.md", _md("title: " + "[" * 20_000 + "]" * 20_000), "nested too deeply"),
    Fault("yaml/no-body.md", _md("title: Only metadata", ""), "front matter has no body"),
    # JSON
    Fault("json/deep.json", b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    Fault("json/surrogate.json", b'{"text": "a \\ud800 b"}', "unpaired surrogate"),
    Fault("json/nul.json", b'{"text": "a \\u0000 b"}', "NUL character"),
    Fault("json/huge-int.jsonl", b'{"id": ' + b"9" * 5000 + b', "text": "Text."}', "is not valid JSON"),
    Fault("json/scalar.json", b"42", "JSON must be an article object"),
    Fault("json/no-text.json", _json({"title": "No text"}), "has no `text`"),
    Fault("json/text-number.json", _json({"text": 17}), "has no `text`"),
    Fault("json/bad-line.jsonl", b'{"text": "ok"}\n{broken\n', "line 2 is not valid JSON"),
    Fault("json/not-object.jsonl", b"[1, 2]\n", "record 1 is not a JSON object"),
    Fault("json/same-id-twice.jsonl", b'{"id": "a", "text": "One."}\n{"id": "a", "text": "Two."}\n', "twice"),
    Fault("json/empty-list.json", b"[]", "holds no records"),
    # types and sizes of files
    Fault("types/scan.pdf", b"%PDF-1.4 not an article", "unsupported file type `.pdf`"),
    Fault("types/README", b"No extension at all.", "unsupported file type `(none)`"),
    Fault("types/empty.html", b"<html><head><title>x</title></head><body></body></html>", "no article text"),
    Fault("types/huge.txt", None, "over the 10 MiB limit", put=False),
    # links, pipes, permissions: never read, never followed
    Fault("links/leak.txt", None, "outside the corpus folder", put=False),
    Fault("links/shared/", None, "link to a folder", put=False),
    Fault("links/broken.txt", None, "does not exist", put=False),
    Fault("links/pipe.txt", None, "not a regular file", put=False),
    Fault("perm/secret.txt", None, "permission denied", put=False),
    Fault("perm/locked/", None, "folder cannot be read", put=False),
    # two files, one id
    Fault("dup/report.md", b"---\ntitle: Newcomer\n---\nA second file with the id dup/report.",
          "already taken by dup/report.txt", put=False),
]

GOOD = {
    "good/plain.txt": article_txt("2026-01-05", "The harbour ferry resumed service on Monday."),
    "good/cr-only.txt": b"date 2024-01-03\r\rThe tram depot got a new roof.\rIt cost little.\r",
    "good/utf16-bom.txt": "date 2026-02-01\n\nThe bakery on Quay Street reopened.".encode("utf-16"),
    "good/utf8-bom.md": "\ufeff---\ntitle: Bridge paint\ndate: 2026-02-02\n---\nThe bridge was repainted.".encode(),
    "good/collection.json": _json([{"id": "one", "text": "The first record."}, {"id": "two", "text": "The second."}]),
    "good/no-front-matter.md": b"A market opened in the old fire station.",
    "good/long-line.txt": ("date 2026-03-01\n\n" + "word " * 50_000).encode(),
    "perm/locked/hidden.txt": article_txt("2026-01-01", "Inside a locked folder."),
    "dup/report.txt": article_txt("2026-01-09", "The first file with this id."),
}
GOOD_IDS = {"good/plain", "good/cr-only", "good/utf16-bom", "good/utf8-bom", "good/collection/one",
            "good/collection/two", "good/no-front-matter", "good/long-line", "dup/report", "perm/locked/hidden"}


def _make_special_files(corpus: Path, outside: Path) -> None:
    (outside / "secret.txt").write_text(article_txt("2026-01-01", SECRET))
    (outside / "folder").mkdir()
    (outside / "folder" / "inner.txt").write_text(article_txt("2026-01-01", SECRET))
    (corpus / "links").mkdir()
    os.symlink(outside / "secret.txt", corpus / "links" / "leak.txt")
    os.symlink(outside / "folder", corpus / "links" / "shared")
    os.symlink(corpus / "links" / "gone.txt", corpus / "links" / "broken.txt")
    os.mkfifo(corpus / "links" / "pipe.txt")
    with open(corpus / "types" / "huge.txt", "wb") as handle:
        handle.truncate(11 * 1024 * 1024)
    write(corpus, {"perm/secret.txt": article_txt("2026-01-01", "Unreadable.")})
    os.chmod(corpus / "perm" / "secret.txt", 0)
    os.chmod(corpus / "perm" / "locked", 0)


def _privilege_drop() -> list[str] | None:
    """The command prefix that makes permissions bite; None when that cannot be done here."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        return None
    probe = subprocess.run([*DROP_OVERRIDE, "true"], capture_output=True)
    return DROP_OVERRIDE if probe.returncode == 0 else None


@pytest.fixture(scope="module")
def faulty(tmp_path_factory):
    """(exit status, summary, {article id: article}) of one `footnote index` over every fault."""
    tmp = tmp_path_factory.mktemp("faults")
    corpus, outside, index = tmp / "corpus", tmp / "outside", tmp / "index"
    outside.mkdir()
    write(corpus, GOOD)
    assert _index(corpus, index, []).returncode == 0  # the good files were indexed before the faults came
    write(corpus, {f.path: f.content for f in FAULTS if f.content is not None})
    _make_special_files(corpus, outside)
    prefix = _privilege_drop()
    if prefix is None:
        os.chmod(corpus / "perm" / "secret.txt", 0o644)
        os.chmod(corpus / "perm" / "locked", 0o755)
    try:
        proc = _index(corpus, index, prefix or [])
    finally:
        os.chmod(corpus / "perm" / "locked", 0o755)
        os.chmod(corpus / "perm" / "secret.txt", 0o644)
    assert proc.stdout, proc.stderr
    from index.store import Generation

    generation = Generation.open(index)
    articles = {a.id: a for a in generation.articles()}
    generation.close()
    return proc.returncode, json.loads(proc.stdout), articles, prefix is not None, proc.stderr


def _index(corpus: Path, index: Path, prefix: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([*prefix, sys.executable, "-m", "index.cli", "index", "--json", "--quiet",
                           "--model", "hash:64", "--corpus", str(corpus), "--index", str(index)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_there_are_at_least_forty_faults():
    assert len(FAULTS) >= 40 and len({f.path for f in FAULTS}) == len(FAULTS)


@pytest.mark.parametrize("fault", FAULTS, ids=[f.path for f in FAULTS])
def test_each_fault_is_skipped_with_its_path_and_reason(faulty, fault):
    status, summary, _, permissions_bite, _ = faulty
    if fault.path.startswith("perm/") and not permissions_bite:
        pytest.skip("running as root without setpriv: unreadable files cannot be made here")
    assert status == 1
    reasons = {s["path"]: s["reason"] for s in summary["skipped"]}
    assert fault.path in reasons, sorted(reasons)
    assert fault.reason in reasons[fault.path]
    assert "Traceback" not in reasons[fault.path]


def test_every_good_file_beside_the_faults_is_indexed_as_written(faulty):
    _, summary, articles, permissions_bite, stderr = faulty
    assert "Traceback" not in stderr
    assert set(articles) == GOOD_IDS
    assert summary["articles_total"] == len(GOOD_IDS)
    cr_only = articles["good/cr-only"]
    assert cr_only.published == "2024-01-03" and cr_only.title.startswith("The tram depot")
    assert articles["good/utf16-bom"].text == "The bakery on Quay Street reopened."
    assert articles["good/utf8-bom"].title == "Bridge paint"
    assert articles["dup/report"].path == "dup/report.txt"  # indexed before: the newcomer is skipped
    if permissions_bite:
        assert summary["kept"] == ["perm/locked/hidden"]  # its folder went unreadable: kept, not dropped


def test_nothing_outside_the_corpus_folder_is_indexed(faulty):
    _, _, articles, _, _ = faulty
    assert not [a.id for a in articles.values() if SECRET in a.text]


# The same bytes through PUT on a live server, over one kept-alive connection.

PUT_FAULTS = [f for f in FAULTS if f.put]


@pytest.fixture(scope="module")
def put_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("put-faults")
    write(tmp / "corpus", {"keep.txt": article_txt("2026-01-05", "A good article.")})
    assert _index(tmp / "corpus", tmp / "index", []).returncode == 0
    with live_server(tmp, {"FOOTNOTE_API_KEYS": f'["{KEY}"]', "FOOTNOTE_RATE_LIMIT_PER_MINUTE": "0"}) as base:
        address = urlsplit(base)
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=60)
        yield connection, tmp
        connection.close()


def _upload(filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = "footnote-fault-boundary"
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize("fault", PUT_FAULTS, ids=[f.path for f in PUT_FAULTS])
def test_put_of_each_fault_is_a_4xx_in_the_error_shape_and_the_connection_stays_open(put_server, fault):
    connection, tmp = put_server
    name = fault.path.rsplit("/", 1)[-1]
    body, kind = _upload(name, fault.content)
    stem = name.split(".")[0]
    connection.request("PUT", f"/v1/articles/faults/{stem}", body=body,
                       headers={"Content-Type": kind, "X-API-Key": KEY})
    socket_before = connection.sock
    response = connection.getresponse()
    payload = json.loads(response.read())
    assert 400 <= response.status < 500, payload
    assert set(payload) == {"error"} and payload["error"]["status"] == response.status
    assert payload["error"]["message"] and "Traceback" not in payload["error"]["message"]
    assert not (tmp / "corpus" / "faults").exists() or not list((tmp / "corpus" / "faults").iterdir())
    connection.request("GET", "/healthz")
    assert connection.sock is socket_before  # the same connection: the server did not drop it
    health = connection.getresponse()
    assert health.status == 200 and json.loads(health.read())


@pytest.mark.parametrize("raw", [b"GET / HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n",
                                 b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http\r\n\r\n"])
def test_malformed_raw_requests_get_the_json_error_shape(put_server, raw):
    import socket

    connection, _ = put_server
    with socket.create_connection((connection.host, connection.port), timeout=30) as sock:
        sock.sendall(raw)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert b"content-type: application/json" in head.lower()
    error = json.loads(body)["error"]
    assert error["status"] == 400 and error["code"] == "bad_request" and "HTTP" in error["message"]
