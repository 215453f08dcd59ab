"""The `footnote` command starts at once: each command imports only what it uses. Checked by
the modules a run imports (`python -X importtime`), never by a timing: `--help` loads no
library beyond the standard one, `status` reads the index without the model or the answer
path, and `index` on an unchanged collection never loads the model."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import article_txt, write

ROOT = Path(__file__).resolve().parent.parent
MODEL_RUNTIMES = {"torch", "onnxruntime", "sentence_transformers", "transformers", "tokenizers"}
SERVERS = {"fastapi", "uvicorn", "starlette", "discord", "aiohttp", "httpx", "pydantic"}
# Every library Footnote uses; `--help` needs none of them.
LIBRARIES = {"numpy", "faiss", "yaml", "frontmatter", "dateutil", "syntok", "trafilatura", "lxml", "watchfiles",
             "feedparser", "defusedxml", "tomlkit",
             *MODEL_RUNTIMES, *SERVERS}
# The only Footnote modules `--help` may load: the parser and the defaults it shows.
LIGHT = {"index.cli", "index.cli.main", "index.cli.gaps", "index.cli.feeds", "index.cli.exits",
         "index.defaults", "index.paths", "index.watch", "index.eval", "index.eval.cli",
         "index.eval.squad", "index.reader", "index.reader.command", "index.reader.params", "api.cli", "bot.cli"}
ANSWER_PATH = {"index.answer", "index.search", "index.reader.model", "index.build", "trafilatura"}


def imported(*args: str, env: dict | None = None) -> set[str]:
    """The top-level and Footnote modules `footnote ARGS` imports."""
    run = subprocess.run([sys.executable, "-X", "importtime", "-m", "index.cli", *args], cwd=ROOT,
                         capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=300)
    assert run.returncode in (0, 1), run.stderr[-2000:]
    names = {line.split("|")[-1].strip() for line in run.stderr.splitlines() if line.startswith("import time:")}
    return {n for n in names if n.startswith(("index", "corpus", "api", "bot")) or "." not in n}


def test_help_imports_none_of_the_libraries_footnote_works_with():
    names = imported("--help")
    assert "index.cli.main" in names  # the measure works
    assert not names & LIBRARIES, sorted(names & LIBRARIES)
    assert not {n for n in names if n.startswith(("index.", "corpus.", "api.", "bot."))} - LIGHT


def test_every_commands_help_is_as_light():
    for command in ("index", "ask", "status", "eval", "train-reader", "serve", "bot", "watch"):
        assert not imported(command, "--help") & LIBRARIES, command


def test_status_reads_the_index_without_the_model_or_the_answer_path(tmp_path):
    corpus = write(tmp_path / "corpus", {"a.txt": article_txt("2026-01-01", "The tram line opened today.")})
    from index.cli import main
    assert main(["index", "--quiet", "--corpus", str(corpus), "--index", str(tmp_path / "i"), "--model", "hash:32"]) == 0
    names = imported("status", "--corpus", str(corpus), "--index", str(tmp_path / "i"))
    assert not names & (MODEL_RUNTIMES | SERVERS | ANSWER_PATH), sorted(names & (MODEL_RUNTIMES | SERVERS | ANSWER_PATH))


@pytest.mark.model
def test_an_unchanged_collection_is_found_up_to_date_without_loading_the_model(tmp_path):
    corpus = write(tmp_path / "corpus", {"a.txt": article_txt("2026-01-01", "The tram line opened today.")})
    flags = ["--quiet", "--corpus", str(corpus), "--index", str(tmp_path / "i")]
    env = {"HF_HUB_OFFLINE": "1", "FOOTNOTE_EMBED_BACKEND": "onnx"}
    assert "onnxruntime" in imported("index", *flags, env=env)  # the first build embeds
    assert not imported("index", *flags, env=env) & MODEL_RUNTIMES  # the second has nothing to embed
