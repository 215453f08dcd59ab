"""`footnote watch`: re-index a moment after the corpus folder changes, debounced, one line per
update. Updates write only what changed (segments), so this stays cheap on a large collection."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

DEFAULT_DEBOUNCE_MS = 1600


def changes(corpus_dir: Path, debounce_ms: int = DEFAULT_DEBOUNCE_MS,
            stop: threading.Event | None = None) -> Iterator[list[str]]:
    """Batches of changed paths (relative to the corpus folder), each once the folder has been
    quiet for `debounce_ms`; hidden files (an editor's or Footnote's temporary writes) are ignored."""
    import watchfiles

    root = Path(corpus_dir).resolve()

    def visible(change, path: str) -> bool:
        try:
            parts = Path(path).resolve().relative_to(root).parts
        except ValueError:
            return False
        return bool(parts) and not any(part.startswith(".") for part in parts)

    for batch in watchfiles.watch(root, watch_filter=visible, debounce=debounce_ms, stop_event=stop,
                                  raise_interrupt=False):
        yield sorted({Path(path).resolve().relative_to(root).as_posix() for _, path in batch})


def update_line(summary: dict, seconds: float, paths: list[str]) -> str:
    """One log line for an update: when, what changed, what was skipped, how long it took."""
    when = dt.datetime.now().strftime("%H:%M:%S")
    files = f"{len(paths)} file(s) changed ({', '.join(paths[:3])}{'...' if len(paths) > 3 else ''})"
    if summary.get("up_to_date"):
        return f"{when} {files}: up to date, generation {summary['generation']} ({seconds:.2f} s)"
    skipped = f", {len(summary['skipped'])} skipped" if summary.get("skipped") else ""
    return (f"{when} {files}: {summary['added']} added, {summary['changed']} changed, {summary['removed']} removed"
            f"{skipped}; generation {summary['generation']}, {summary['articles_total']} articles ({seconds:.2f} s)")


def watch(corpus_dir: Path, update: Callable[[], dict], say: Callable[[str], None],
          debounce_ms: int = DEFAULT_DEBOUNCE_MS, stop: threading.Event | None = None) -> None:
    """Run `update()` (a build returning its summary) after every batch of changes, and `say`
    one line about it; an update that fails is reported and the watch goes on."""
    for paths in changes(corpus_dir, debounce_ms, stop):
        started = time.perf_counter()
        try:
            summary = update()
        except Exception as exc:  # noqa: BLE001 - one bad update must not end the watch
            say(f"{dt.datetime.now():%H:%M:%S} update failed: {exc}")
            continue
        say(update_line(summary, time.perf_counter() - started, paths))
