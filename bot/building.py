"""Re-indexing for the bot: one build at a time, in a worker process (`bot.build_worker`, which
embeds on every core while the bot's question embedder keeps its one thread), with its
progress reported while it runs. The re-index lasts exactly as long as the build: showing
progress may fail (a message deleted, a token expired) without ending it early."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

log = logging.getLogger("footnote.bot")
PACKAGE_ROOT = Path(__file__).resolve().parents[1]
Progress = Callable[[str], Awaitable[None]]


class ServiceError(RuntimeError):
    """The service refused or failed a request; the message is meant for the person asking."""


class Builder:
    """Runs `footnote index`'s build for one corpus and index, in a worker process."""

    def __init__(self, corpus_dir: Path, index_dir: Path, model: str, progress_interval_s: float = 5.0,
                 store_address: str = ""):
        self.store_address = store_address  # the worker opens the same store (index/stores.py)
        self.corpus_dir = Path(corpus_dir)
        self.index_dir = Path(index_dir)
        self.model = model
        self.progress_interval_s = progress_interval_s
        self._build: asyncio.Task | None = None
        self._worker: asyncio.subprocess.Process | None = None

    async def run(self, progress: Progress) -> dict:
        if self._build is not None and not self._build.done():
            raise ServiceError("a re-index is already running; wait for its summary")
        latest: dict[str, tuple[int, int]] = {}  # stage -> (done, total), as the worker reports them
        self._build = build = asyncio.create_task(self._run_worker(latest))
        started = time.monotonic()
        while not build.done():
            await asyncio.wait({build}, timeout=self.progress_interval_s)
            if not build.done():
                steps = ", ".join(f"{stage} {done}/{total}" for stage, (done, total) in latest.items())
                await self._show(progress, f"Re-indexing `{self.corpus_dir.name}`… {time.monotonic() - started:.0f} s "
                                           "so far" + (f" ({steps})" if steps else " (reading the articles)"))
        return build.result()

    @staticmethod
    async def _show(progress: Progress, text: str) -> None:
        """Progress is shown as a courtesy: if it cannot be, the build still runs to its end, and
        the re-index (and its lock) lasts exactly as long as the build."""
        try:
            await progress(text)
        except Exception as exc:  # noqa: BLE001 - logged; the build is what matters
            log.warning("re-index progress could not be shown: %s", exc)

    async def _run_worker(self, latest: dict[str, tuple[int, int]]) -> dict:
        paths = [str(PACKAGE_ROOT), os.environ.get("PYTHONPATH", "")]
        worker = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.build_worker", str(self.corpus_dir), str(self.index_dir), self.model,
            self.store_address, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, paths))}, limit=2**24)
        self._worker = worker
        outcome, errors = await asyncio.gather(self._follow(worker.stdout, latest), worker.stderr.read())
        await worker.wait()
        if outcome is not None and "summary" in outcome:
            return outcome["summary"]
        lines = errors.decode(errors="replace").strip().splitlines()
        reason = outcome["error"] if outcome else (lines[-1] if lines else f"exit status {worker.returncode}")
        raise ServiceError(f"the re-index failed: {reason}")

    @staticmethod
    async def _follow(stream: asyncio.StreamReader, latest: dict[str, tuple[int, int]]) -> dict | None:
        """Read the worker's reports: progress goes into `latest`; returns the final one."""
        outcome = None
        async for line in stream:
            try:
                event = json.loads(line)
            except ValueError:  # something else printed; not a report
                continue
            if "stage" in event:
                latest[event["stage"]] = (event["done"], event["total"])
            else:
                outcome = event
        return outcome

    async def stop(self) -> None:
        """Kill a running build: a build may be killed at any moment, the served generation stays."""
        if self._worker is not None and self._worker.returncode is None:
            self._worker.kill()
            await self._worker.wait()
