"""Adding an article from Discord, by URL or attached file: shared by `/article add` and the
curator channel's "Add an article by URL". Parsing runs off the event loop."""

from __future__ import annotations

import asyncio

import discord

from bot.markdown import escape
from bot.render import message_text
from corpus.additions import NewArticle, from_page, from_upload
from corpus.article import ArticleError
from corpus.load import MAX_FILE_BYTES


async def add_from_url(bot, url: str, date: str = "") -> str:
    """Fetch, extract and save the page at `url` (`date`, YYYY-MM-DD, when the page states none);
    returns what to tell the curator."""
    final_url, html = await asyncio.to_thread(bot.fetch_page, url.strip())
    upload = await asyncio.to_thread(from_page, final_url, html, bot.settings.upload_folder, date=date or "")
    return await save(bot, upload)


async def add_from_file(bot, file: discord.Attachment) -> str:
    """Check and save an attached article file; returns what to tell the curator."""
    if file.size > MAX_FILE_BYTES:
        raise ArticleError(f"`{file.filename}` is over {MAX_FILE_BYTES // 2**20} MiB; split it into several articles")
    data = await file.read()
    upload = await asyncio.to_thread(from_upload, file.filename, data, bot.settings.upload_folder)
    return await save(bot, upload)


async def save(bot, upload: NewArticle) -> str:
    ids = await bot.within(bot.service.put_article(upload))
    names = ", ".join(f"`{i}`" for i in ids[:10]) + (f" and {len(ids) - 10} more" if len(ids) > 10 else "")
    title = escape(str(upload.articles[0].title)[:100])
    return message_text(f"Saved {names} ({title}). Run `/reindex` to make it searchable.")
