"""Shared fixtures and helpers: tiny corpora in tmp_path, the model-free embedder, the real
model once per session, the API's small dated corpus with its index, settings and client,
and a live `footnote serve`."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from corpus.chunk import ChunkParams
from index.build import build_index
from index.embed import HashingEmbedder

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DEMO = ROOT / "corpus" / "demo"



@pytest.fixture(scope="session", autouse=True)
def offline_model():
    """The bundled model is loaded from disk, never from a hub; tokenizers stay single-process."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        patch.setenv("TOKENIZERS_PARALLELISM", "false")
        yield


@pytest.fixture
def embedder() -> HashingEmbedder:
    return HashingEmbedder(64)


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write `{relative path: content}` under `root` and return `root`."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def article_txt(date: str, *paragraphs: str) -> str:
    return f"date {date}\n\n" + "\n\n".join(paragraphs) + "\n"


@pytest.fixture(scope="session")
def real_embedder():
    """The bundled all-MiniLM-L6-v2, loaded once per test session."""
    from index.embed import load_embedder

    embedder = load_embedder("all-MiniLM-L6-v2")
    embedder.encode(["warm up"])
    return embedder


@pytest.fixture(scope="session")
def torch_embedder():
    """The bundled model on sentence-transformers (torch), whatever the default backend."""
    from index.embed import DEFAULT_MODEL, load_embedder
    return load_embedder(DEFAULT_MODEL, backend="torch")


@pytest.fixture(scope="session")
def onnx_embedder():
    """The bundled model on ONNX Runtime, fp32."""
    from index.embed import DEFAULT_MODEL, load_embedder
    return load_embedder(DEFAULT_MODEL, backend="onnx")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(proc: subprocess.Popen) -> None:
    """End a server this test run started: politely, then for sure."""
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def live_server(tmp: Path, env: dict[str, str]) -> Iterator[str]:
    """`footnote serve` as a real process on 127.0.0.1 over tmp/corpus and tmp/index (model-free
    embedder); yields its base URL once /readyz answers, and stops it afterwards."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "index.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--corpus", str(tmp / "corpus"), "--index", str(tmp / "index"), "--model", "hash:64"],
        cwd=tmp, env={**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT), **env},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        banner = proc.stdout.readline()
        assert f"interactive docs at {base}/docs" in banner, banner
        for _ in range(300):  # bounded: the server is up within a few seconds
            assert proc.poll() is None, proc.stdout.read()
            try:
                if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise AssertionError("footnote serve did not become ready")
        yield base
    finally:
        stop(proc)


@pytest.fixture(scope="session")
def milvus_server(tmp_path_factory) -> Iterator[str]:
    """A Milvus Lite server on 127.0.0.1 (a free port, its own data folder) for the session;
    yields its address, milvus://127.0.0.1:PORT. Skipped only when the Milvus packages are not
    installed (`pip install -e '.[dev]'` installs them)."""
    pytest.importorskip("pymilvus", reason="pymilvus is not installed (pip install -e '.[dev]')")
    pytest.importorskip("milvus_lite", reason="milvus-lite is not installed (pip install -e '.[dev]')")
    port = free_port()
    data = tmp_path_factory.mktemp("milvus")
    log = data / "server.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "milvus_lite", "server", "--data-dir", str(data / "db"),
                                 "--host", "127.0.0.1", "--port", str(port)], stdout=out, stderr=subprocess.STDOUT)
    try:
        for _ in range(600):  # bounded: it listens within a few seconds
            assert proc.poll() is None, log.read_text()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise AssertionError("the Milvus Lite server did not start listening")
        yield f"milvus://127.0.0.1:{port}"
    finally:
        stop(proc)


@pytest.fixture
def milvus_store(milvus_server, request) -> str:
    """A store of its own on the session's server: a fresh database, milvus://127.0.0.1:PORT/DB."""
    return f"{milvus_server}/t{abs(hash(request.node.nodeid)) % 10**12}_{os.getpid()}"


# The API's tests: a small dated corpus, its index (model-free embedder), settings, a client.

KEY = "test-key-0123456789abcdef"
OTHER_KEY = "other-key-0123456789abcdef"
WRITE = {"X-API-Key": KEY}
ERROR_FIELDS = {"status", "code", "message", "request_id"}

ARTICLES = {
    "2025/council-approves-line.txt": article_txt(
        "2025-03-04", "The city council approved the Larkspur Line on Tuesday by a vote of seven to two.",
        "The light rail line will cost 1.2 billion dollars and run twelve kilometres."),
    "2025/tunnel-strike.md": "---\ntitle: Tunnel workers walk off the job\ndate: 2025-09-10\n"
                             "source: Valley Herald\n---\nTunnel workers went on strike over night shifts. "
                             "The union said the boring machine Marigold stood idle for nine days.",
    "2026/line-opens.txt": article_txt(
        "2026-05-02", "The Larkspur Line opened to passengers on Saturday morning.",
        "Trains run every eight minutes between the harbour and the university."),
    "feed.jsonl": '{"id": "ferry", "title": "Ferry service ends", "date": "2024-01-05", "source": "Wire", '
                  '"text": "The harbour ferry made its last crossing after forty years of service."}\n',
}


def make_corpus(root: Path) -> Path:
    return write(root, dict(ARTICLES))


def make_index(corpus: Path, index: Path) -> None:
    build_index(corpus, index, HashingEmbedder(64), ChunkParams(128), progress=False)


def make_settings(tmp_path: Path, **overrides) -> Settings:
    values = dict(corpus=tmp_path / "corpus", index=tmp_path / "index", model="hash:64", api_keys=[KEY],
                  rate_limit_per_minute=0, query_threads=2)
    values.update(overrides)
    return Settings(_env_file=None, **values)


def wait_for_job(client, job_id: str, rounds: int = 400) -> dict:
    """Poll a job until it finishes (a bounded loop; the builds here take milliseconds)."""
    for _ in range(rounds):
        job = client.get(f"/v1/index/jobs/{job_id}").json()
        if job["status"] in ("succeeded", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish: {job}")


def wait_until_served(http, path: str, what: str, rounds: int = 300) -> None:
    """Ask a live server for `path` until it answers 200 (bounded: about a minute)."""
    for _ in range(rounds):
        if http.get(path).status_code == 200:
            return
        time.sleep(0.2)
    raise AssertionError(f"{what}: {path} never answered 200")


def assert_error_shape(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert ERROR_FIELDS <= set(error) <= ERROR_FIELDS | {"details"}
    assert error["status"] == status and isinstance(error["message"], str) and error["message"]
    assert error["request_id"] == response.headers["x-request-id"]
    assert "Traceback" not in error["message"]
    if code:
        assert error["code"] == code, error
    return error


@pytest.fixture
def indexed(tmp_path) -> Path:
    """tmp_path with corpus/ and its index/ built."""
    make_corpus(tmp_path / "corpus")
    make_index(tmp_path / "corpus", tmp_path / "index")
    return tmp_path


@pytest.fixture
def client(indexed):
    with TestClient(create_app(make_settings(indexed))) as c:
        yield c


# The web page's tests: the web corpus (tests/web_helpers.py), its index and a client.


@pytest.fixture
def web_indexed(tmp_path) -> Path:
    from tests.web_helpers import make_web_index

    return make_web_index(tmp_path)


@pytest.fixture
def web(web_indexed):
    from tests.web_helpers import web_client

    with web_client(web_indexed) as client:
        yield client


# The bot's tests: a tiny dated collection (tests/bot_harness.py NEWS), its index, a private copy
# for commands that change it, and a runner for scenarios against a fresh bot. The harness is
# imported inside the fixtures: it imports this module's helpers.


@pytest.fixture(scope="module")
def news_index(tmp_path_factory):
    """A tiny indexed collection (model-free embedder): (corpus folder, index folder, embedder)."""
    from tests.bot_harness import NEWS
    root = tmp_path_factory.mktemp("bot-news")
    corpus = write(root / "corpus", NEWS)
    embedder = HashingEmbedder(64)
    build_index(corpus, root / "index", embedder, ChunkParams(40), progress=False)
    return corpus, root / "index", embedder


@pytest.fixture
def own_index(news_index, tmp_path):
    """A private copy of the tiny corpus and index, for commands that change them."""
    corpus, index, embedder = news_index
    shutil.copytree(corpus, tmp_path / "corpus")
    shutil.copytree(index, tmp_path / "index")
    return tmp_path / "corpus", tmp_path / "index", embedder


@pytest.fixture
def harness_for(news_index, tmp_path):
    """`harness_for(scenario, **settings)` runs `scenario(harness)` against a fresh bot."""
    from tests.bot_harness import make_bot, run

    def go(scenario, service=None, clock=None, fake=None, **settings):
        bot = make_bot(*news_index, tmp_path, service=service, clock=clock, **settings)
        return run(scenario, bot, fake)
    return go
