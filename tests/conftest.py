"""Shared fixtures: tiny corpora in tmp_path and the model-free embedder."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from index.embed import HashingEmbedder

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DEMO = ROOT / "corpus" / "demo"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
