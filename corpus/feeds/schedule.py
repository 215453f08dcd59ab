"""Feeds polled on their schedule, beside `footnote watch` and `serve --watch`: every little while
the feeds whose time has come are polled; the files they save are then indexed by the watch
like any other change to the corpus folder."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from pathlib import Path

from corpus.feeds.config import FeedsFileError, load_feeds
from corpus.feeds.poll import FeedReport, Poller

CHECK_EVERY_S = 60.0


def poll_due(poller: Poller) -> list[str]:
    """Poll the feeds in feeds.toml that are due; one line for each that saved or failed something."""
    try:
        feeds = load_feeds(poller.corpus)
    except FeedsFileError as exc:
        return [f"{_now()} feeds not polled: {exc}"]
    return [line for report in poller.poll(feeds, due_only=True) if (line := report_line(report))]


def report_line(report: FeedReport) -> str:
    """One log line about a feed's poll, or "" when there is nothing to say."""
    if report.error:
        return f"{_now()} feed {report.feed.source} failed, retried after {report.retry_after}: {report.error}"
    if not (report.new or report.updated or report.problems):
        return ""
    problems = f"; {len(report.problems)} problem(s): {report.problems[0]}" if report.problems else ""
    return (f"{_now()} feed {report.feed.source}: {len(report.new)} new, {len(report.updated)} updated"
            f"{problems}")


def keep_polling(poll: Callable[[], list[str]], say: Callable[[str], None], stop: threading.Event,
                 check_every_s: float = CHECK_EVERY_S) -> None:
    """Run `poll` now and every `check_every_s` until `stop` is set, saying its lines; a poll
    that fails is reported and the next one goes on."""
    while not stop.is_set():
        try:
            lines = poll()
        except Exception as exc:  # noqa: BLE001 - one bad poll must not end the schedule
            lines = [f"{_now()} feeds poll failed: {exc}"]
        for line in lines:
            say(line)
        stop.wait(check_every_s)


def start_polling(corpus: Path, allowed: Callable[[str], bool], say: Callable[[str], None],
                  stop: threading.Event, check_every_s: float = CHECK_EVERY_S) -> threading.Thread:
    """`keep_polling` the corpus folder's feeds on a daemon thread."""
    poller = Poller.guarded(corpus, allowed)
    thread = threading.Thread(target=keep_polling, name="footnote-feeds", daemon=True,
                              args=(lambda: poll_due(poller), say, stop, check_every_s))
    thread.start()
    return thread


def _now() -> str:
    return dt.datetime.now().strftime("%H:%M:%S")
