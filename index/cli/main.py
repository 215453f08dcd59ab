"""The `footnote` command's parser and its index, status and ask commands; `eval`, `serve` and
`bot` plug in. The only place (with the servers' entry points) that reads the environment."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from importlib.metadata import entry_points
from pathlib import Path

# Only what the parser needs is imported here, so that `footnote --help` starts at once
# (tests/test_cli_start.py); each command imports its own machinery when it runs.
from index.defaults import (DEFAULT_MAX_TOKENS, DEFAULT_MODEL, DEFAULT_SENTENCE_VECTORS, EXECUTORS, READER_ENV,
                            SENTENCE_VECTORS, env_default)
from index.cli.exits import EXIT_FATAL, EXIT_OK, EXIT_PARTIAL
from index.cli.feeds import register_feeds
from index.cli.gaps import register_gaps
from index.eval.cli import register_eval
from index.paths import DEMO_CORPUS, default_index_dir
from index.reader.command import register_train_reader
from index.watch import DEFAULT_DEBOUNCE_MS



def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--corpus", type=Path, default=env_default("corpus", DEMO_CORPUS),
                        help="folder of articles (env FOOTNOTE_CORPUS; default: the demo collection)")
    common.add_argument("--index", type=Path, default=env_default("index", default_index_dir()),
                        help="index folder (env FOOTNOTE_INDEX; default: .footnote/index in the project)")
    common.add_argument("--model", default=env_default("model", DEFAULT_MODEL),
                        help="embedding model: a sentence-transformers name or folder, or `hash` "
                             f"(env FOOTNOTE_MODEL; default: {DEFAULT_MODEL}, bundled offline)")
    common.add_argument("--store", default=env_default("store"), metavar="URL",
                        help="where generations are published and read: milvus://HOST:PORT[/DB] for a Milvus "
                             "server (pip install 'footnote[scale]'; --index is then the builder's working "
                             "folder), or leave it out for the local index folder (env FOOTNOTE_STORE)")
    common.add_argument("--reader", default=env_default("reader", "bundled"), metavar="READER",
                        help="the answer reader that picks the quotes and leads the confidence: bundled, off (the "
                             "retriever's choice alone), or a folder written by `footnote train-reader` "
                             f"(env {READER_ENV}; default bundled)")
    parser = argparse.ArgumentParser(
        prog="footnote", description="Answer questions over a folder of articles, with verbatim citations.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("index", parents=[common], help="bring the index up to date with the corpus",
                       description="Parse the corpus, embed new and changed chunks, and publish a new "
                                   "generation. Exit status: 0 ok, 1 some files skipped, 2 error.")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    p.add_argument("--rebuild", action="store_true",
                   help="re-chunk every article (cached vectors are still reused)")
    p.add_argument("--max-tokens", type=int, default=DEFAULT_MAX_TOKENS,
                   help=f"model tokens per chunk, special tokens included (default {DEFAULT_MAX_TOKENS})")
    p.add_argument("--sentence-vectors", choices=SENTENCE_VECTORS, metavar="HOW",
                   help="own: embed each sentence on its own; pooled: take it from its chunk's pass (each "
                        "token embedded once). Default: as the index was built, else " + DEFAULT_SENTENCE_VECTORS)
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--allow-empty", action="store_true",
                   help="let a corpus folder with no articles replace an index that has some "
                        "(refused otherwise: an unmounted disk looks just like an empty folder)")
    p.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                   help="with a Milvus --store: wait this long for another builder's lease (default: refuse at once)")
    p.add_argument("--executor", choices=EXECUTORS, default=env_default("executor", "local"),
                   help="where changed files are read and chunked and new texts embedded: here (local), or "
                        "through Ray Data on a Ray cluster whose every node sees --corpus at the same path (ray; "
                        "pip install 'footnote[scale]') (env FOOTNOTE_EXECUTOR; default local)")
    p.add_argument("--ray-address", default=env_default("ray_address"), metavar="ADDR",
                   help="the Ray cluster (auto, or ray://HOST:10001; env FOOTNOTE_RAY_ADDRESS); default: "
                        "start Ray on this machine")
    p.add_argument("--ray-actors", type=int, default=2, metavar="N",
                   help="model copies embedding at once on Ray (default 2)")
    p.add_argument("--ray-batch-size", type=int, default=64, metavar="N", help="texts per Ray batch (default 64)")
    p.add_argument("--ray-gpus", type=float, default=None, metavar="G",
                   help="GPUs per Ray actor (0: CPU only); default: the cluster's GPUs when it has some "
                        "(one per actor, or shared when fewer), else none")
    p.set_defaults(run=cmd_index)

    p = sub.add_parser("watch", parents=[common], help="re-index a moment after the corpus folder changes",
                       description="Bring the index up to date now, then again each time files in the corpus "
                                   "folder change (debounced), printing one line per update; the feeds in "
                                   "feeds.toml are polled on their schedule meanwhile. Ctrl-C stops it.")
    p.add_argument("--debounce-ms", type=int, default=DEFAULT_DEBOUNCE_MS, metavar="MS",
                   help=f"wait until the folder has been quiet this long (default {DEFAULT_DEBOUNCE_MS})")
    p.set_defaults(run=cmd_watch)

    p = sub.add_parser("status", parents=[common], help="what is indexed, with which model, what is newer",
                       description="Show the served generation, its model and counts, and corpus files "
                                   "changed since it was built.")
    p.add_argument("--json", action="store_true", help="print the status as one JSON object")
    p.set_defaults(run=cmd_status)

    p = sub.add_parser("ask", parents=[common], help="ask a question; get verbatim quotes with citations",
                       description="Answer a question exactly as the API and the bot do: verbatim quotes "
                                   "with numbered citations, or \"the articles don't cover this\".")
    p.add_argument("question")
    p.add_argument("-k", type=int, default=5, help="passages to retrieve (default 5, at most 50)")
    p.add_argument("--as-of", type=iso_date, metavar="DATE",
                   help="answer as of this date: later articles do not count, and \"latest\" or "
                        "\"last week\" are read from it (default: today)")
    p.add_argument("--after", type=iso_date, metavar="DATE", help="only articles published on or after DATE")
    p.add_argument("--before", type=iso_date, metavar="DATE", help="only articles published on or before DATE")
    p.add_argument("--source", action="append", metavar="S", help="only articles from this source (repeatable)")
    p.add_argument("--json", action="store_true", help="print the answer object as JSON (the API's schema)")
    p.set_defaults(run=cmd_ask)
    register_eval(sub, common)
    register_gaps(sub, common)
    register_train_reader(sub, common)
    register_feeds(sub, common)
    # `serve` (api/) and `bot` (bot/) plug in through entry points, so that index/ never
    # imports the packages built on top of it.
    for entry in sorted(entry_points(group="footnote.commands"), key=lambda e: e.name):
        entry.load()(sub, common)
    return parser


def iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; write it as YYYY-MM-DD") from None


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the default model is bundled; never reach a hub
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except BrokenPipeError:  # `footnote ask ... | head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except (OSError, ValueError, RuntimeError) as exc:  # the index's own errors are RuntimeErrors
        print(f"footnote: error: {exc}", file=sys.stderr)
        return EXIT_FATAL


def cmd_index(args) -> int:
    from corpus.chunk import ChunkParams
    from index.embed import embedder_for_build
    from index.executor import RayExecutor
    from index.stores import open_store

    embedder = embedder_for_build(args.model)  # loaded only if there is something to embed
    executor = None
    if args.executor == "ray":
        executor = RayExecutor(args.model, args.ray_address, args.ray_actors, args.ray_batch_size, args.ray_gpus)
    options = dict(params=ChunkParams(args.max_tokens), sentence_vectors=args.sentence_vectors,
                   rebuild=args.rebuild, progress=not (args.quiet or args.json), allow_empty=args.allow_empty,
                   executor=executor)
    summary = open_store(args.index, args.store).build(args.corpus, embedder, args.wait, **options)
    if args.json:
        print(json.dumps(summary.as_dict()))
    else:
        for skipped in summary.skipped:
            print(f"skipped {skipped['path']}: {skipped['reason']}", file=sys.stderr)
        for aid in summary.kept:
            print(f"kept {aid} from the previous build (its file could not be read)", file=sys.stderr)
        if summary.up_to_date:
            print(f"up to date: {summary.articles_total} articles, {summary.chunks_total} chunks "
                  f"(generation {summary.generation})")
        else:
            print(f"{summary.added} added, {summary.changed} changed, {summary.removed} removed; "
                  f"{summary.chunks_embedded} chunks embedded, {summary.chunks_total} in total; "
                  f"{summary.articles_total} articles in generation {summary.generation}")
    return EXIT_PARTIAL if summary.skipped else EXIT_OK


def cmd_watch(args) -> int:
    import threading

    from corpus.feeds.schedule import start_polling
    from corpus.fetch import allowed_from_env
    from index.embed import load_embedder
    from index.stores import open_store
    from index.watch import watch

    embedder = load_embedder(args.model)
    store = open_store(args.index, args.store)

    def update() -> dict:
        return store.build(args.corpus, embedder, 60.0, progress=False).as_dict()

    first = update()
    print(f"watching {args.corpus} (generation {first['generation']}, {first['articles_total']} articles); "
          "Ctrl-C stops", flush=True)
    def say(line: str) -> None:
        print(line, flush=True)

    stop = threading.Event()
    start_polling(args.corpus, allowed_from_env(os.environ), say, stop)  # saves feed articles; the watch indexes them
    try:
        watch(args.corpus, update, say, args.debounce_ms)
    finally:
        stop.set()
    return EXIT_OK


def cmd_status(args) -> int:
    from index.cli.render import render_status
    from index.status import feeds_status, status_of
    from index.stores import open_store

    store = open_store(args.index, args.store)
    status = status_of(store.served(), store.where, args.corpus)  # the manifest: no segment is opened
    status["feeds"] = feeds_status(args.corpus)
    print(json.dumps(status) if args.json else render_status(status))
    return EXIT_OK


def cmd_ask(args) -> int:
    from index.answer import AskRequest, QuestionError
    from index.assemble import open_answerer, query_thread_setup
    from index.cli.render import render_answer
    from index.reader import load_reader
    from index.search import Filters
    from index.stores import open_store

    query_thread_setup()
    answerer = open_answerer(open_store(args.index, args.store), args.model, reader=load_reader(args.reader))
    request = AskRequest(
        question=args.question, k=args.k, as_of=args.as_of,
        filters=Filters(args.after, args.before, tuple(args.source or ())))
    try:
        answer = answerer.answer(request)
    except QuestionError as exc:
        print(f"footnote: error: {exc}", file=sys.stderr)
        return EXIT_FATAL
    if args.json:
        print(json.dumps(answer.as_dict()))
    else:
        print(render_answer(answer, color=sys.stdout.isatty()))
    return EXIT_OK

