"""The defaults every entry point names in its help, in a module that imports nothing, so that
`footnote --help` starts at once (tests/test_cli_start.py). The modules that use them import
them from here."""

from __future__ import annotations

import os

# The settings every entry point shares, each with its environment variable: the CLI's flags
# default to these variables (`env_default`), and the API (api/settings.py, FOOTNOTE_ prefix)
# and its worker processes read the same names. docs/ lists each one (tests/test_docs.py).
COMMON_ENV = {"corpus": "FOOTNOTE_CORPUS", "index": "FOOTNOTE_INDEX", "model": "FOOTNOTE_MODEL",
              "store": "FOOTNOTE_STORE", "reader": "FOOTNOTE_READER", "executor": "FOOTNOTE_EXECUTOR",
              "ray_address": "FOOTNOTE_RAY_ADDRESS"}
DEFAULT_MODEL = "all-MiniLM-L6-v2"
READER_ENV = COMMON_ENV["reader"]  # the answer reader: bundled, off, or a folder (index/reader/)
EXECUTORS = ("local", "ray")  # where a build reads, chunks and embeds (index/executor.py)
MAX_PER_ARTICLE = 3  # passages one article may hold in an answer's list (index/search/params.py)

# all-MiniLM-L6-v2 was trained on inputs of up to 128 tokens and truncates at 256, so a
# chunk's budget (special tokens included) never goes past 256. Measured on 2,000 SQuAD dev
# questions (docs/quality.md): 128 / 192 / 256 tokens gave passage recall@1 0.844 / 0.858 /
# 0.867 and @5 0.943 / 0.955 / 0.966, the same answer hit (0.879 / 0.875 / 0.874), and
# question latency p50 28 / 33 / 36 ms; 256 embeds about a quarter slower per token. The
# sentence vectors keep quotes precise however long the chunk, so the longest budget the
# model reads whole wins: more context per passage for a modest cost.
DEFAULT_MAX_TOKENS = 256
# Sentence vectors: "own" embeds every sentence again on its own; "pooled" takes each one from
# the token vectors of its chunk's pass (late chunking), so every token is embedded once.
# Measured end to end (docs/quality.md, "Sentence vectors from the chunk pass"): on the news
# dev set pooled gained answer hit 0.828 -> 0.858, article recall@5 0.917 -> 0.927 and abstain
# AUROC 0.881 -> 0.893; on SQuAD it lost passage recall@1 0.868 -> 0.855 and answer hit 0.872
# -> 0.867; builds embed 2.4x faster (torch; 3.0x with ONNX Runtime). Footnote's users ask about
# news: pooled is the default.
SENTENCE_VECTORS = ("own", "pooled")
DEFAULT_SENTENCE_VECTORS = "pooled"


def env_default(name: str, fallback=None):
    """The default of the shared setting `name`: its environment variable when set, else `fallback`."""
    return os.environ.get(COMMON_ENV[name]) or fallback
