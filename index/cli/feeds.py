"""`footnote feeds add|list|remove|poll`: the feeds listed in the corpus folder's feeds.toml."""

from __future__ import annotations

import argparse
import json
import os

from index.cli.exits import EXIT_OK, EXIT_PARTIAL


def register_feeds(sub, common) -> None:
    p = sub.add_parser("feeds", parents=[common], help="list, add, remove and poll the feeds in feeds.toml",
                       description="Feeds (RSS, Atom, news sitemaps) listed in feeds.toml in the corpus folder are "
                                   "polled into feeds/<source>/ as Markdown (docs/feeds.md). `footnote watch` and "
                                   "`serve --watch` poll them on their schedule.")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    again = _given_only(common)  # `feeds --corpus X list` and `feeds list --corpus X` both work
    a = actions.add_parser("add", parents=[again], help="add a feed to feeds.toml")
    a.add_argument("url", help="the feed's address (RSS, Atom or news sitemap)")
    a.add_argument("--source", required=True, help="the source name recorded on its articles; names feeds/<source>/")
    a.add_argument("--every", default="1h", help="how often to poll it: 30m, 2h, 1d (default 1h, at least 5m)")
    a.add_argument("--keep", default="", metavar="REGEX", help="keep only links matching this regular expression")
    a.set_defaults(run=cmd_add)
    a = actions.add_parser("list", parents=[again], help="the feeds, when each was polled and what went wrong")
    a.add_argument("--json", action="store_true", help="print the feeds as one JSON list")
    a.set_defaults(run=cmd_list)
    a = actions.add_parser("remove", parents=[again], help="take a feed out of feeds.toml (its articles stay)")
    a.add_argument("feed", help="its address or source name")
    a.set_defaults(run=cmd_remove)
    a = actions.add_parser("poll", parents=[again], help="poll feeds now, then bring the index up to date",
                           description="Fetch each feed (all, or those named), save new and updated articles under "
                                       "feeds/<source>/, then index them. Exit status: 0 ok, 1 some feed or entry "
                                       "had a problem (listed with its fix), 2 error.")
    a.add_argument("feed", nargs="*", help="address or source name of a feed to poll (default: every feed)")
    a.add_argument("--due", action="store_true", help="only feeds whose time has come (as `footnote watch` does)")
    a.add_argument("--no-index", action="store_true", help="save the articles but do not index them")
    a.add_argument("--json", action="store_true", help="print the poll as one JSON object")
    a.set_defaults(run=cmd_poll)


def _given_only(common: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The shared flags again, for the actions: set only when given there, so that an action's
    default never overrides the same flag given before it (argparse copies a subcommand's
    defaults over its parent's values)."""
    again = argparse.ArgumentParser(add_help=False)
    for action in common._actions:
        again.add_argument(*action.option_strings, dest=action.dest, type=action.type, metavar=action.metavar,
                           help=action.help, default=argparse.SUPPRESS)
    return again


def cmd_add(args) -> int:
    from corpus.feeds import add_feed, check_feed

    feed = check_feed(args.url, args.source, args.every, args.keep)  # FeedsFileError: main() prints it, exit 2
    add_feed(args.corpus, feed)
    print(f"added {feed.url} ({feed.source}, every {feed.every}) into {feed.folder}/; `footnote feeds poll` fetches "
          "it now")
    return EXIT_OK


def cmd_list(args) -> int:
    from corpus.feeds import load_feeds
    from corpus.feeds.state import FeedsState

    rows = FeedsState.load(args.corpus).overview(load_feeds(args.corpus))
    print(json.dumps(rows) if args.json else render_feeds(rows))
    return EXIT_OK


def cmd_remove(args) -> int:
    from corpus.feeds import remove_feed

    feed = remove_feed(args.corpus, args.feed)
    print(f"removed {feed.url} ({feed.source}); its articles stay in {feed.folder}/")
    return EXIT_OK


def cmd_poll(args) -> int:
    from corpus.feeds import poll_feeds
    from corpus.fetch import allowed_from_env

    reports = poll_feeds(args.corpus, allowed_from_env(os.environ), args.feed, due_only=args.due)
    summary = None
    if any(r.new or r.updated for r in reports) and not args.no_index:
        summary = _index(args)
    if args.json:
        print(json.dumps({"feeds": [r.as_dict() for r in reports], "index": summary}))
    else:
        print(render_poll([r.as_dict() for r in reports]))
        if summary:
            print(f"indexed: {summary['added']} added, {summary['changed']} changed; generation "
                  f"{summary['generation']}, {summary['articles_total']} articles")
    return EXIT_PARTIAL if any(r.error or r.problems for r in reports) else EXIT_OK


def _index(args) -> dict:
    from index.embed import embedder_for_build
    from index.stores import open_store

    return open_store(args.index, args.store).build(args.corpus, embedder_for_build(args.model), 60.0,
                                                    progress=False).as_dict()


def render_feeds(rows: list[dict]) -> str:
    """`footnote feeds list` as a table, then each feed's trouble with its fix."""
    if not rows:
        return "no feeds yet; add one with `footnote feeds add URL --source NAME`"
    lines = [f"{'SOURCE':<20} {'EVERY':>5} {'ARTICLES':>8} {'LAST POLL':<25} URL"]
    for row in rows:
        polled = row["last_poll"] or "never"
        if row["failures"]:
            polled = f"failed x{row['failures']}"
        lines.append(f"{row['source'][:20]:<20} {row['every']:>5} {row['articles']:>8} {polled:<25} {row['url']}")
    lines += _troubles(rows, "last_error")
    return "\n".join(lines)


def render_poll(rows: list[dict]) -> str:
    """`footnote feeds poll` as a table, then each feed's trouble with its fix."""
    if not rows:
        return "no feeds to poll; add one with `footnote feeds add URL --source NAME` (docs/feeds.md)"
    lines = [f"{'SOURCE':<20} {'STATUS':<13} {'NEW':>4} {'UPDATED':>7} {'PROBLEMS':>8} FEED"]
    for row in rows:
        lines.append(f"{row['source'][:20]:<20} {row['status']:<13} {len(row['new']):>4} {len(row['updated']):>7} "
                     f"{len(row['problems']):>8} {row['feed']}")
    lines += _troubles(rows, "error")
    lines += [f"  saved {path}" for row in rows for path in row["new"] + row["updated"]]
    lines += [f"  {row['waiting']} more entries of {row['feed']} wait for the next poll" for row in rows
              if row["waiting"]]
    return "\n".join(lines)


def _troubles(rows: list[dict], error: str) -> list[str]:
    lines = []
    for row in rows:
        if row[error]:
            retry = f" (tried again after {row['retry_after']})" if row.get("retry_after") else ""
            lines.append(f"  {row['source']}: failed{retry}: {row[error]}")
        lines += [f"  {row['source']}: {problem}" for problem in row["problems"]]
    return lines
