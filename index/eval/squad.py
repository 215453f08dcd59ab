"""SQuAD v1.1 as a Footnote corpus and questions file, with some articles held out."""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
from pathlib import Path

def squad_to_corpus(squad_file: Path, out_dir: Path, holdout: int = 0, seed: int = 0,
                    articles: tuple[int, int] | None = None) -> tuple[Path, Path]:
    """Write SQuAD v1.1 as `out_dir/corpus/<title>.json` plus `out_dir/questions.jsonl`; reused when current.

    `articles` = (start, stop) keeps only those articles, in file order (None: all of them).
    `holdout` of the kept articles, chosen with `seed`, stay out of the corpus, and their
    questions become unanswerable ones (no answers, no article_id).
    """
    out_dir = Path(out_dir)
    raw = Path(squad_file).read_bytes()
    source = {"squad": str(Path(squad_file).resolve()), "sha256": hashlib.sha256(raw).hexdigest(),
              "holdout": holdout, "seed": seed, "articles": list(articles) if articles else None}
    stamp = out_dir / "source.json"
    if stamp.is_file() and {k: v for k, v in json.loads(stamp.read_text()).items()
                            if k in source} == source:
        return out_dir / "corpus", out_dir / "questions.jsonl"
    chosen = select_articles(squad_articles(squad_file, raw), articles, squad_file)
    if not 0 <= holdout < len(chosen):
        raise ValueError(f"--holdout {holdout} is out of range; the chosen articles of {squad_file} are "
                         f"{len(chosen)}, so hold out 0 to {len(chosen) - 1}")
    held = set(random.Random(seed).sample(sorted(chosen), holdout))
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    work = out_dir.with_name(f".{out_dir.name}-{os.getpid()}")  # a name no other writer uses
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    try:
        _write_squad(work, chosen, held)
        (work / "source.json").write_text(json.dumps({**source, "held_out": sorted(held)}, indent=1))
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    shutil.rmtree(out_dir, ignore_errors=True)
    work.replace(out_dir)  # whole or not at all: a reader never sees half a conversion
    return out_dir / "corpus", out_dir / "questions.jsonl"


def _write_squad(folder: Path, articles: dict[str, dict], held: set[str]) -> None:
    """The corpus (one JSON article per kept article) and the questions, in `folder`."""
    (folder / "corpus").mkdir()
    with open(folder / "questions.jsonl", "w", encoding="utf-8") as out:
        for article_id, article in articles.items():
            kept = article_id not in held
            if kept:
                (folder / "corpus" / f"{article_id}.json").write_text(json.dumps(
                    {"title": article["title"].replace("_", " "), "text": article["text"]}), encoding="utf-8")
            for qa in article["qas"]:
                row = {"id": qa["id"], "question": qa["question"], "answers": []}
                if kept:
                    row.update(answers=list(dict.fromkeys(a["text"] for a in qa["answers"])), article_id=article_id)
                out.write(json.dumps(row) + "\n")


def select_articles(articles: dict[str, dict], span: tuple[int, int] | None, squad_file: Path) -> dict[str, dict]:
    """The articles at positions `span` = (start, stop) in file order; all of them when None."""
    if span is None:
        return articles
    start, stop = span
    if not 0 <= start < stop <= len(articles):
        raise ValueError(f"articles {start}:{stop} are out of range; {squad_file} has {len(articles)} articles, "
                         f"so choose START:STOP with 0 <= START < STOP <= {len(articles)}")
    return dict(list(articles.items())[start:stop])


def parse_span(text: str) -> tuple[int, int]:
    """`START:STOP` as two integers; ValueError names the form expected."""
    start, sep, stop = text.partition(":")
    try:
        if not sep:
            raise ValueError
        return int(start), int(stop)
    except ValueError:
        raise ValueError(f"{text!r} is not START:STOP; write e.g. 32:48 for the articles at positions "
                         "32 to 47 in file order") from None


def squad_articles(squad_file: Path, raw: bytes | None = None) -> dict[str, dict]:
    """`{article id: {title, text, qas}}` in file order; the id is the title, safe as a file name.
    Each qa keeps SQuAD's fields; `answer_start`s count from the start of the joined text."""
    raw = Path(squad_file).read_bytes() if raw is None else raw
    try:
        data = json.loads(raw)
        articles = {}
        for entry in data["data"]:
            article_id = entry["title"].replace("/", "_").replace("\\", "_").lstrip(".") or "_"
            if article_id in articles:
                raise ValueError(f"two articles are both titled {entry['title']!r}")
            parts, qas, at = [], [], 0
            for paragraph in entry["paragraphs"]:
                context = paragraph["context"]
                shift = at - (len(context) - len(context.lstrip()))
                parts.append(context.strip())
                at += len(parts[-1]) + 2
                qas += [{**qa, "answers": [{**a, "answer_start": a["answer_start"] + shift} for a in qa["answers"]]}
                        for qa in paragraph["qas"]]
            articles[article_id] = {"title": entry["title"], "text": "\n\n".join(parts), "qas": qas}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"{squad_file} is not SQuAD v1.1 JSON ({type(exc).__name__}: {exc}); "
                         "pass the official dev-v1.1.json") from None
    return articles
