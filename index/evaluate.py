"""`footnote eval`: answer a file of questions over a corpus and measure retrieval, quotes and abstention."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import random
import shutil
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

from tqdm import tqdm

from corpus.chunk import ChunkParams
from index.answer import Answerer, AskRequest, QuestionError, Turn
from index.build import DEFAULT_MAX_TOKENS, build_index
from index.embed import load_embedder
from index.metrics import Record, format_table, summarise, summarise_by_kind
from index.outcomes import Outcome
from index.retrieve import MAX_PER_ARTICLE, Filters, LiveIndex, Retriever

EXIT_OK = 0  # errors raise; index.cli.main prints them and exits 2
TOP_K = 10  # passages per question: enough for recall@10 and MRR@10
_FIELDS = {"id", "question", "answers", "article_id", "history", "as_of", "kind"}


class QuestionsError(ValueError):
    """A questions file cannot be used; the message names the file, the line and the fix."""


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    answers: tuple[str, ...]
    article_id: str | None = None
    history: tuple[str, ...] = ()
    as_of: dt.date | None = None
    kind: str | None = None  # e.g. answerable, unanswerable, followup, as_of: figures per kind


def load_questions(path: Path) -> list[Question]:
    """Read a questions JSONL file, refusing the first bad line with its number and the fix."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise QuestionsError(f"questions file {path} cannot be read ({exc}); pass --questions FILE") from None
    questions, seen, ignored = [], set(), {}
    for lineno, line in enumerate(lines, 1):
        if line.strip():
            try:
                question, unknown = parse_question(line)
            except ValueError as exc:
                raise QuestionsError(f"{path} line {lineno}: {exc}") from None
            for name in unknown:
                ignored.setdefault(name, []).append(lineno)
            if question.id in seen:
                raise QuestionsError(f"{path} line {lineno}: id {question.id!r} is used twice; give each question its own id")
            seen.add(question.id)
            questions.append(question)
    if not questions:
        raise QuestionsError(f"{path} holds no questions; write one JSON object per line: "
                             '{"id": "q1", "question": "...", "answers": ["..."]}')
    for name, lines_with in sorted(ignored.items()):
        print(f"warning: {path}: ignored the unknown field `{name}` on {len(lines_with)} line(s) (first: "
              f"line {lines_with[0]}); the fields are {', '.join(sorted(_FIELDS))}", file=sys.stderr)
    return questions


def parse_question(line: str) -> tuple[Question, list[str]]:
    """One line of a questions file and the unknown fields it had (ignored); ValueError says
    what is wrong and how to fix it."""
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg}); write one JSON object per line") from None
    if not isinstance(row, dict):
        raise ValueError('not a JSON object; write {"id": ..., "question": ..., "answers": [...]}')
    unknown = sorted(set(row) - _FIELDS)
    missing = sorted({"id", "question", "answers"} - set(row))
    if missing:
        raise ValueError(f"missing {', '.join(missing)}; every line needs id, question and answers "
                         "(an empty answers list marks a question the corpus does not answer)")
    if not isinstance(row["id"], (str, int)) or isinstance(row["id"], bool) or str(row["id"]) == "":
        raise ValueError("`id` must be a non-empty string or a number")
    if not isinstance(row["question"], str) or not row["question"].strip():
        raise ValueError("`question` must be non-empty text")
    answers = _strings(row["answers"], "answers")
    article_id = row.get("article_id")
    if article_id is not None and (not isinstance(article_id, str) or not article_id):
        raise ValueError("`article_id` must be an article id such as \"2026/larkspur-line-opens\", or left out")
    kind = row.get("kind")
    if kind is not None and (not isinstance(kind, str) or not kind.strip()):
        raise ValueError("`kind` must be a short label such as \"followup\", or left out")
    return Question(str(row["id"]), row["question"], answers, article_id,
                    _strings(row.get("history") or [], "history"), _date(row.get("as_of")),
                    kind.strip() if kind else None), unknown


def _strings(value, name: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"`{name}` must be a list of non-empty strings (it may be empty: [])")
    return tuple(value)


def _date(value) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(f"`as_of` {value!r} is not a date; write it as YYYY-MM-DD") from None


def sample_questions(questions: list[Question], n: int | None, seed: int) -> list[Question]:
    """A reproducible random subset of `n` questions, kept in file order; all when `n` is None."""
    if n is None or n >= len(questions):
        return list(questions)
    if n < 1:
        raise ValueError(f"--sample {n} selects no question; pass a positive number")
    chosen = set(random.Random(seed).sample(range(len(questions)), n))
    return [q for i, q in enumerate(questions) if i in chosen]


def squad_to_corpus(squad_file: Path, out_dir: Path, holdout: int = 0, seed: int = 0) -> tuple[Path, Path]:
    """Write SQuAD v1.1 as `out_dir/corpus/<title>.json` plus `out_dir/questions.jsonl`; reused when current.

    `holdout` articles, chosen with `seed`, stay out of the corpus, and their questions
    become unanswerable ones (no answers, no article_id).
    """
    out_dir = Path(out_dir)
    raw = Path(squad_file).read_bytes()
    source = {"squad": str(Path(squad_file).resolve()), "sha256": hashlib.sha256(raw).hexdigest(),
              "holdout": holdout, "seed": seed}
    stamp = out_dir / "source.json"
    if stamp.is_file() and {k: v for k, v in json.loads(stamp.read_text()).items()
                            if k in source} == source:
        return out_dir / "corpus", out_dir / "questions.jsonl"
    articles = _squad_articles(squad_file, raw)
    if not 0 <= holdout < len(articles):
        raise ValueError(f"--holdout {holdout} is out of range; {squad_file} has {len(articles)} articles, "
                         f"so hold out 0 to {len(articles) - 1}")
    held = set(random.Random(seed).sample(sorted(articles), holdout))
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    work = out_dir.with_name(f".{out_dir.name}-{os.getpid()}")  # a name no other writer uses
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    try:
        _write_squad(work, articles, held)
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


def _squad_articles(squad_file: Path, raw: bytes) -> dict[str, dict]:
    """`{article id: {title, text, qas}}` in file order; the id is the title, safe as a file name."""
    try:
        data = json.loads(raw)
        articles = {}
        for entry in data["data"]:
            article_id = entry["title"].replace("/", "_").replace("\\", "_").lstrip(".") or "_"
            if article_id in articles:
                raise ValueError(f"two articles are both titled {entry['title']!r}")
            articles[article_id] = {
                "title": entry["title"],
                "text": "\n\n".join(p["context"].strip() for p in entry["paragraphs"]),
                "qas": [qa for p in entry["paragraphs"] for qa in p["qas"]]}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"{squad_file} is not SQuAD v1.1 JSON ({type(exc).__name__}: {exc}); "
                         "pass the official dev-v1.1.json") from None
    return articles


def eval_dir() -> Path:
    """`.footnote/eval`, beside the default index: eval never touches the served index."""
    from index.cli import default_index_dir  # index.cli imports this module

    return default_index_dir().parent / "eval"


def eval_index_dir(corpus: Path) -> Path:
    """The eval index of a corpus folder: one per folder, kept between runs."""
    return eval_dir() / hashlib.sha1(str(Path(corpus).resolve()).encode()).hexdigest()[:12]


def answer_all(answerer: Answerer, questions: list[Question], progress: bool = True,
               per_article: int = MAX_PER_ARTICLE) -> list[Outcome]:
    """Answer every question and record what the metrics and the details need."""
    articles: dict[str, str | None] = {}
    outcomes = []
    if questions:
        ask(answerer, questions[0], (), per_article)  # loads the model and the term weights: not timed
    for question in tqdm(questions, desc="answering", unit="question", disable=not progress, file=sys.stderr):
        history = conversation(answerer, question, per_article)
        started = time.perf_counter()
        answer = ask(answerer, question, history, per_article).as_dict()
        latency_ms = (time.perf_counter() - started) * 1000
        record = to_record(question, answer, latency_ms, lambda aid: _article_text(answerer, articles, aid))
        outcomes.append(Outcome(question.id, question.question, question.kind, question.history,
                                question.as_of.isoformat() if question.as_of else None, record, answer))
    return outcomes


def conversation(answerer: Answerer, question: Question, per_article: int) -> tuple[Turn, ...]:
    """The history as a chat would have it: each earlier question answered in turn, its cited
    articles passed on to the next."""
    turns: list[Turn] = []
    for earlier in question.history:
        answer = ask(answerer, replace(question, question=earlier), tuple(turns), per_article)
        turns.append(Turn(earlier, tuple(c.article_id for c in answer.citations)))
    return tuple(turns)


def ask(answerer: Answerer, question: Question, history: tuple[Turn, ...], per_article: int = MAX_PER_ARTICLE):
    """The answer to one question of a questions file, after `history` (see `conversation`)."""
    request = AskRequest(question=question.question, history=history,
                         as_of=question.as_of, filters=Filters(), k=TOP_K, max_per_article=per_article)
    try:
        return answerer.answer(request)
    except QuestionError as exc:
        raise QuestionsError(f"question {question.id!r} cannot be asked: {exc}") from None


def _article_text(answerer: Answerer, cache: dict, article_id: str) -> str | None:
    if article_id not in cache:
        article = answerer.retriever.live.current().article(article_id)
        cache[article_id] = article.text if article else None
    return cache[article_id]


def to_record(question: Question, answer: dict, latency_ms: float, article_text) -> Record:
    """A Record from a question and its answer's JSON; `article_text(id)` checks the quotes."""
    quotes = []
    for quote in answer["quotes"]:
        text = article_text(quote["article_id"])
        quotes.append((quote["text"], text is not None and text[quote["start"]:quote["end"]] == quote["text"]))
    return Record(id=question.id, answers=question.answers, article_id=question.article_id,
                  passages=tuple((p["article_id"], p["text"]) for p in answer["passages"]),
                  quotes=tuple(quotes), abstained=bool(answer["abstained"]),
                  confidence=float(answer["confidence"]), latency_ms=latency_ms)


def register_eval(sub, common) -> None:
    """Add the `eval` subcommand to the `footnote` parser."""
    p = sub.add_parser(
        "eval", parents=[common], help="measure retrieval, quotes and abstention on a questions file",
        description="Index a corpus in its own eval index (never the served one unless --index is given), "
                    "answer every question and report passage recall@1/5/10, MRR, article recall@5, "
                    "answer hit, verbatim rate, abstention precision/recall/AUROC and latency. Use "
                    "--corpus DIR --questions FILE, or --squad FILE to convert SQuAD v1.1. Exit status: 0 ok, 2 error.")
    p.add_argument("--questions", type=Path, metavar="FILE", help='JSONL, one {"id", "question", "answers": [...], '
                   '"article_id"?, "history"?: [...], "as_of"?: "YYYY-MM-DD"} per line; [] = unanswerable')
    p.add_argument("--squad", type=Path, metavar="FILE", help="SQuAD v1.1 JSON to convert into the corpus and questions "
                   "(kept in .footnote/eval/squad-<holdout>-<seed>)")
    p.add_argument("--holdout", type=int, default=0, metavar="N",
                   help="with --squad: leave this many articles out; their questions become unanswerable")
    p.add_argument("--sample", type=int, metavar="N", help="evaluate a random subset of this many questions")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="seed for --sample and --holdout (default 0)")
    p.add_argument("--max-tokens", type=int, default=DEFAULT_MAX_TOKENS, metavar="N",
                   help=f"model tokens per chunk (default {DEFAULT_MAX_TOKENS})")
    p.add_argument("--per-article", type=int, default=MAX_PER_ARTICLE, metavar="N",
                   help=f"passages one article may hold in the results (default {MAX_PER_ARTICLE})")
    p.add_argument("--details", type=Path, metavar="FILE",
                   help="write one JSON line per question: question, gold, what was retrieved and quoted, "
                        "confidence, hit or miss and why")
    p.add_argument("--json", action="store_true", help="print the metrics as one JSON object")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    # --index and --corpus default to the served index and corpus (or their env vars): eval
    # keeps to its own index unless --index is given, so the served one never gets SQuAD.
    p.set_defaults(run=cmd_eval, shared_defaults={name: Path(common.get_default(name))
                                                  for name in ("corpus", "index")})


def cmd_eval(args) -> int:
    """Run `footnote eval`."""
    corpus, questions_file = _inputs(args)
    questions = sample_questions(load_questions(questions_file), args.sample, args.seed)
    index_dir, generation = _bring_index_up_to_date(args, corpus)
    embedder = load_embedder(args.model, threads=1)  # one question at a time, as `ask` and the API do
    retriever = Retriever(LiveIndex(index_dir, embedder.name), embedder)
    _check_gold_articles(questions, retriever, questions_file, corpus)
    outcomes = answer_all(Answerer(retriever), questions, progress=not args.quiet, per_article=args.per_article)
    records = [o.record for o in outcomes]
    metrics = summarise(records)
    if any(o.kind for o in outcomes):
        metrics["by_kind"] = summarise_by_kind(records, [o.kind or "(none)" for o in outcomes])
    if args.details:
        write_details(args.details, outcomes)
    setup = {"corpus": str(corpus), "questions": str(questions_file), "index": str(index_dir),
             "generation": generation, "model": embedder.name, "max_tokens": args.max_tokens,
             "sample": args.sample, "seed": args.seed, "per_article": args.per_article, "holdout": args.holdout if args.squad else None}
    if args.json:
        print(json.dumps({**metrics, "setup": setup}))
    else:
        print(f"{metrics['questions']} questions over {corpus} (model {embedder.name}, generation {generation})\n")
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
    summary = build_index(corpus, index_dir, load_embedder(args.model), ChunkParams(args.max_tokens),
                          progress=not args.quiet, cache_path=cache)
    for skipped in summary.skipped:
        print(f"skipped {skipped['path']}: {skipped['reason']}", file=sys.stderr)
    return index_dir, summary.generation


def _inputs(args) -> tuple[Path, Path]:
    """The corpus folder and questions file, from --corpus/--questions or converted from --squad."""
    if args.squad is None:
        if args.questions is None:
            raise ValueError("eval needs questions: pass --corpus DIR --questions FILE, or --squad FILE")
        return Path(args.corpus), args.questions
    if args.questions is not None or args.corpus != args.shared_defaults["corpus"]:
        raise ValueError("--squad makes its own corpus and questions; drop --corpus and --questions")
    return squad_to_corpus(args.squad, eval_dir() / f"squad-{args.holdout}-{args.seed}", args.holdout, args.seed)


def _check_gold_articles(questions, retriever: Retriever, questions_file, corpus) -> None:
    """A gold article_id the index does not hold would silently count as a miss: refuse it."""
    generation = retriever.live.current()
    for question in questions:
        if question.article_id is not None and generation.article(question.article_id) is None:
            raise QuestionsError(
                f"{questions_file}: question {question.id!r} names article_id {question.article_id!r}, "
                f"which is not in {corpus}; correct the id (an article's id is its path without the "
                "extension) or drop the field")
