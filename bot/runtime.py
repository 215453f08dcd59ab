"""Running the bot as a service: logs with timestamps, a clean stop on SIGTERM, one process per
bot token on a machine. Used only by the entry point (`bot.cli`)."""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import discord


def configure_logging(level: int = logging.INFO) -> None:
    """Every logger (discord.py's and Footnote's, whose lines carry the error ids) to stderr with
    a timestamp, the level and the logger's name."""
    discord.utils.setup_logging(level=level, root=True)


@contextmanager
def instance_lock(application_id: int) -> Iterator[None]:
    """Held while the bot runs; a second process for the same application is refused. (Two
    processes with one token both receive every interaction and race to answer it; across
    machines the bot notices that from Discord's "already acknowledged" and logs it.)"""
    path = Path(tempfile.gettempdir()) / f"footnote-bot-{application_id}.lock"
    handle = open(path, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        pid = handle.read().strip() or "unknown"
        handle.close()
        raise RuntimeError(f"another `footnote bot` for application {application_id} is running (pid {pid}); "
                           "stop it first, or give this one its own bot token") from None
    try:
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


async def serve(bot: discord.Client, token: str) -> None:
    """Run until the gateway closes; SIGTERM and SIGINT close the bot cleanly (gateway, then the
    service, the HTTP client and the store), so a service manager can stop it."""
    loop = asyncio.get_running_loop()
    closing: list[asyncio.Task] = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: closing.append(asyncio.ensure_future(bot.close())))
    try:
        async with bot:
            await bot.start(token)
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        await asyncio.gather(*closing)
