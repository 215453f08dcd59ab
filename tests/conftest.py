"""Shared fixtures: tiny corpora in tmp_path and the model-free embedder."""

from __future__ import annotations

import os
from pathlib import Path

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
