"""`footnote train-reader`: the reader retrained from scratch, with a fixed seed, in one command.

SQuAD's first 32 articles (file order) become a corpus indexed as any collection is; each of
their questions is asked of it, and the candidate sentences it gets become the training pairs
(index/reader/examples.py). The last 4 of those articles are kept for validation; SQuAD's last 16
are never touched. The result is a reader folder: reader.onnx (int8), tokenizer.json, card.json
(with checksums) and MODEL_CARD.md.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import sys
import time
from pathlib import Path

from index.paths import PACKAGE_ROOT, default_index_dir

DEFAULT_SQUAD = PACKAGE_ROOT.parent / "shared" / "data" / "squad-v1.1-dev" / "dev-v1.1.json"
TRAIN_ARTICLES = (0, 32)  # SQuAD dev's articles the reader may learn from; 32:48 are never seen
EXAMPLES_VERSION = 2  # bumped when examples.py changes what it writes, so old examples are redone


def register_train_reader(sub, common) -> None:
    """Add `train-reader` to the `footnote` parser."""
    from index.reader.params import TrainParams

    defaults = TrainParams()
    p = sub.add_parser(
        "train-reader", parents=[common], help="retrain the answer reader from SQuAD's first 32 articles",
        description="Index SQuAD v1.1 dev's first 32 articles, ask each of their questions, train the reader on "
                    "the candidate sentences (fixed seed), export it to int8 ONNX with a card and checksums. "
                    "About 1.5 hours on 2 cores; the reader is written to --out (install it with "
                    "FOOTNOTE_READER=DIR, or --out index/reader/bundled to replace the bundled one).")
    p.add_argument("--squad", type=Path, default=DEFAULT_SQUAD, metavar="FILE",
                   help="SQuAD v1.1 dev JSON (default: ../shared/data/squad-v1.1-dev/dev-v1.1.json)")
    p.add_argument("--work", type=Path, default=default_index_dir().parent / "reader", metavar="DIR",
                   help="the training index and examples, kept between runs (default .footnote/reader)")
    p.add_argument("--out", type=Path, metavar="DIR", help="where the reader folder goes (default WORK/reader)")
    p.add_argument("--articles", type=int, default=TRAIN_ARTICLES[1], metavar="N",
                   help=f"train on SQuAD's first N articles (default {TRAIN_ARTICLES[1]}; at most that)")
    p.add_argument("--valid-articles", type=int, default=4, metavar="N",
                   help="the last N of them validate instead of training (default 4)")
    p.add_argument("--sample", type=int, metavar="N", help="use only N questions (a quick run to try the command)")
    p.add_argument("--layers", type=int, default=defaults.layers, help=f"base layers kept (default {defaults.layers})")
    p.add_argument("--epochs", type=float, default=defaults.epochs, help=f"passes over the data (default {defaults.epochs})")
    p.add_argument("--seed", type=int, default=defaults.seed, help=f"seed (default {defaults.seed})")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(run=cmd_train_reader)


def cmd_train_reader(args) -> int:
    """Run `footnote train-reader`."""
    from index.reader.train import TrainParams

    if not 1 <= args.articles <= TRAIN_ARTICLES[1]:
        raise ValueError(f"--articles {args.articles}: the reader trains on at most SQuAD's first "
                         f"{TRAIN_ARTICLES[1]} articles (the last 16 are kept for evaluation)")
    if not 1 <= args.valid_articles < args.articles:
        raise ValueError(f"--valid-articles {args.valid_articles} must be at least 1 and below --articles "
                         f"{args.articles}")
    if not args.squad.is_file():
        raise ValueError(f"{args.squad} is not there; pass --squad FILE (SQuAD v1.1 dev JSON)")
    params = TrainParams(layers=args.layers, epochs=args.epochs, seed=args.seed)
    started = time.perf_counter()
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    train_rows, valid_rows, data = prepare(args, work)
    log(f"{len(train_rows)} training and {len(valid_rows)} validation questions "
        f"({time.perf_counter() - started:.0f} s)")
    out = args.out or work / "reader"
    figures = train_and_export(train_rows, valid_rows, out, params, data)
    log(f"reader written to {out} in {time.perf_counter() - started:.0f} s: validation top-1 "
        f"{figures['int8']['top1']}, AUROC {figures['int8']['answerable_auroc']}")
    return 0


def log(message: str) -> None:
    print(f"train-reader: {message}", file=sys.stderr, flush=True)


def prepare(args, work: Path) -> tuple[list[dict], list[dict], dict]:
    """The training and validation examples, made now or reused when made from the same inputs."""
    from index.build import SENTENCE_RULES
    from index.eval.squad import squad_articles
    from index.reader.examples import read_jsonl

    raw = args.squad.read_bytes()
    stamp = {"version": EXAMPLES_VERSION, "sentence_rules": SENTENCE_RULES, "squad": hashlib.sha256(raw).hexdigest(),
             "articles": args.articles,
             "valid_articles": args.valid_articles, "sample": args.sample, "seed": args.seed, "model": args.model}
    stamp_file = work / "examples.json"
    files = work / "train.jsonl", work / "valid.jsonl"
    if stamp_file.is_file() and json.loads(stamp_file.read_text()) == stamp and all(f.is_file() for f in files):
        log("reusing the examples in " + str(work))
    else:
        articles = dict(list(squad_articles(args.squad, raw).items())[:args.articles])
        make_examples(args, work, articles, files)
        stamp_file.write_text(json.dumps(stamp))
    data = {"squad_sha256": stamp["squad"], "articles": f"SQuAD v1.1 dev, articles 0:{args.articles} in file order",
            "validation": f"articles {args.articles - args.valid_articles}:{args.articles}",
            "retrieval_model": args.model, "sample": args.sample}
    return read_jsonl(files[0]), read_jsonl(files[1]), data


def make_examples(args, work: Path, articles: dict[str, dict], files: tuple[Path, Path]) -> None:
    """Index the articles, ask their questions, write the labelled candidates."""
    from tqdm import tqdm

    from corpus.chunk import ChunkParams
    from index.assemble import open_answerer, query_thread_setup
    from index.build import DEFAULT_MAX_TOKENS, build_index
    from index.embed import load_embedder
    from index.eval.squad import squad_to_corpus
    from index.reader.examples import examples, squad_questions, write_jsonl

    corpus, _ = squad_to_corpus(args.squad, work / "squad", 0, 0, (0, args.articles))
    embedder = load_embedder(args.model)
    log(f"indexing {len(articles)} SQuAD articles with {embedder.name}")
    build_index(corpus, work / "index", embedder, ChunkParams(DEFAULT_MAX_TOKENS), progress=not args.quiet,
                cache_path=work / "cache.sqlite")
    query_thread_setup()
    answerer = open_answerer(work / "index", embedder, threshold=0.0)
    rng = random.Random(args.seed)
    asked = squad_questions(articles, rng)
    if args.sample is not None and args.sample < len(asked):
        asked = sorted(rng.sample(asked, args.sample), key=lambda q: q.id)
    valid_ids = set(list(articles)[args.articles - args.valid_articles:])
    texts = {aid: a["text"] for aid, a in articles.items()}
    titles = {aid: a["title"].replace("_", " ") for aid, a in articles.items()}
    for path, part in zip(files, ([q for q in asked if q.article_id not in valid_ids],
                                  [q for q in asked if q.article_id in valid_ids])):
        rows = examples(answerer, part, texts, titles)
        written = write_jsonl(path, tqdm(rows, total=len(part), desc=f"asking ({path.stem})", unit="question",
                                         disable=args.quiet, file=sys.stderr))
        log(f"{written} questions written to {path}")


def train_and_export(train_rows: list[dict], valid_rows: list[dict], out: Path, params, data: dict) -> dict:
    """Train, export, measure the int8 file on the validation questions, write the folder."""
    import tempfile

    from index.embed.tokens import load_tokenizer
    from index.embed.transformer import DEFAULT_MODEL, model_path
    from index.reader.card import write_card
    from index.reader.inputs import Limits
    from index.reader.model import OnnxReader
    from index.reader.train import export, measure, score_records, train

    base = Path(model_path(DEFAULT_MODEL))
    tokenizer = load_tokenizer(str(base / "tokenizer.json"))
    limits = Limits()
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=f".{out.name}-") as tmp:
        folder = Path(tmp) / "reader"
        folder.mkdir()
        run = train(train_rows, valid_rows, base, tokenizer, Path(tmp) / "run", params, limits, log)
        started = time.perf_counter()
        fused = export(base, params.layers, Path(tmp) / "run" / "model.pt", folder / "reader.onnx")
        shutil.copyfile(base / "tokenizer.json", folder / "tokenizer.json")
        card = write_card(folder, params, limits, data, run, fused)
        reader = OnnxReader(folder).load()
        int8 = measure(valid_rows, score_records(reader.probabilities,
                                                 valid_rows, reader.encoder))
        card = write_card(folder, params, limits, data, run, fused, int8=int8,
                          export_seconds=round(time.perf_counter() - started, 1))
        if out.exists():
            shutil.rmtree(out)
        folder.replace(out)
    return card["figures"]
