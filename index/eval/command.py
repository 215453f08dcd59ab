"""`footnote eval`: answer a file of questions over a corpus and measure retrieval, quotes and abstention."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

from corpus.chunk import ChunkParams
from index.assemble import open_answerer, query_thread_setup
from index.embed import load_embedder
from index.eval.metrics import format_table, summarise, summarise_by_kind
from index.eval.outcomes import Outcome
from index.eval.questions import QuestionsError, load_questions, sample_questions
from index.eval.run import answer_all
from index.eval.squad import squad_to_corpus
from index.paths import default_index_dir
from index.reader import load_reader
from index.stores import open_store

EXIT_OK = 0  # errors raise; index.cli.main prints them and exits 2


def eval_dir() -> Path:
    """`.footnote/eval`, beside the default index: eval never touches the served index."""
    return default_index_dir().parent / "eval"


def eval_index_dir(corpus: Path) -> Path:
    """The eval index of a corpus folder: one per folder, kept between runs."""
    return eval_dir() / hashlib.sha1(str(Path(corpus).resolve()).encode()).hexdigest()[:12]


def cmd_eval(args) -> int:
    """Run `footnote eval`."""
    corpus, questions_file = _inputs(args)
    questions = sample_questions(load_questions(questions_file), args.sample, args.seed)
    index_dir, generation = _bring_index_up_to_date(args, corpus)
    query_thread_setup()
    reader = load_reader(args.reader)
    # one question at a time, as `ask` does
    answerer = open_answerer(open_store(index_dir, args.store), args.model, reader=reader)
    embedder = answerer.retriever.embedder
    _check_gold_articles(questions, answerer.retriever.live.current(), questions_file, corpus)
    outcomes = answer_all(answerer, questions, progress=not args.quiet, per_article=args.per_article)
    records = [o.record for o in outcomes]
    metrics = summarise(records)
    if any(o.kind for o in outcomes):
        metrics["by_kind"] = summarise_by_kind(records, [o.kind or "(none)" for o in outcomes])
    if any(o.style for o in outcomes):  # the same figures per writing style (paraphrase, near-miss, ...)
        metrics["by_style"] = summarise_by_kind(records, [o.style or "(none)" for o in outcomes])
    if args.details:
        write_details(args.details, outcomes)
    setup = {"corpus": str(corpus), "questions": str(questions_file), "index": str(index_dir), "store": args.store,
             "generation": generation, "model": embedder.name,
             "reader": reader.name if reader is not None else "off", "max_tokens": args.max_tokens,
             "sample": args.sample, "seed": args.seed, "per_article": args.per_article, "holdout": args.holdout if args.squad else None,
             "squad_articles": args.squad_articles}
    if args.json:
        print(json.dumps({**metrics, "setup": setup}))
    else:
        print(f"{metrics['questions']} questions over {corpus} (model {embedder.name}, reader {setup['reader']}, "
              f"generation {generation})\n")
        print(format_table(metrics))
    return EXIT_OK


def write_details(path: Path, outcomes: list[Outcome]) -> None:
    """One JSON line per question, written whole or not at all."""
    tmp = Path(path).with_name(f".{Path(path).name}.tmp-{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as out:
        for outcome in outcomes:
            out.write(json.dumps(outcome.details(), ensure_ascii=False) + "\n")
    os.replace(tmp, path)


def _bring_index_up_to_date(args, corpus: Path) -> tuple[Path, str]:
    """Build or update the eval index of `corpus`; returns its folder and generation."""
    index_dir, cache = args.index, None
    if index_dir == args.shared_defaults["index"]:
        # One cache for every eval index: another --holdout or corpus variant re-embeds nothing.
        index_dir, cache = eval_index_dir(corpus), eval_dir() / "cache.sqlite"
    options = dict(params=ChunkParams(args.max_tokens), sentence_vectors=args.sentence_vectors,
                   progress=not args.quiet, cache_path=cache)
    # With a Milvus store, the eval index is the builder's folder and its generation is published there.
    summary = open_store(index_dir, args.store).build(corpus, load_embedder(args.model), **options)
    for skipped in summary.skipped:
        print(f"skipped {skipped['path']}: {skipped['reason']}", file=sys.stderr)
    return index_dir, summary.generation


def _inputs(args) -> tuple[Path, Path]:
    """The corpus folder and questions file, from --corpus/--questions or converted from --squad."""
    if args.squad is None:
        if args.squad_articles is not None:
            raise ValueError("--squad-articles chooses SQuAD articles; pass it with --squad FILE")
        if args.questions is None:
            raise ValueError("eval needs questions: pass --corpus DIR --questions FILE, or --squad FILE")
        return Path(args.corpus), args.questions
    if args.questions is not None or args.corpus != args.shared_defaults["corpus"]:
        raise ValueError("--squad makes its own corpus and questions; drop --corpus and --questions")
    span = args.squad_articles
    name = f"squad-{args.holdout}-{args.seed}" if span is None else f"squad-{span[0]}-{span[1]}-{args.holdout}-{args.seed}"
    return squad_to_corpus(args.squad, eval_dir() / name, args.holdout, args.seed, span)


def _check_gold_articles(questions, generation, questions_file, corpus) -> None:
    """A gold article_id the index does not hold would silently count as a miss: refuse it."""
    for question in questions:
        if question.article_id is not None and generation.article(question.article_id) is None:
            raise QuestionsError(
                f"{questions_file}: question {question.id!r} names article_id {question.article_id!r}, "
                f"which is not in {corpus}; correct the id (an article's id is its path without the "
                "extension) or drop the field")
