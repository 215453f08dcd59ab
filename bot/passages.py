"""Passages -> Discord embeds: "Show sources" (every passage whole, its quoted sentences marked)
and /search pages. Pure functions, within Discord's limits."""

from __future__ import annotations

import discord

from bot.clip import clip, split_spans, unescaped_end
from bot.markdown import escape, marked
from bot.render import (ANSWER_COLOUR, FIELD_NAME, FIELD_VALUE, FIELDS, TITLE, TOTAL, date_of, label, linked_title,
                        said_title, title_of, within_total)

HEAD_ROOM = 160  # a passage's first field also holds its linked title and date


def sources_embeds(answer: dict) -> list[discord.Embed]:
    """The full passages with their offsets, split across fields and embeds, never trimmed; the
    sentences the answer quotes are in bold."""
    fields = []
    for i, p in enumerate(answer.get("passages", []), 1):
        where = f" · characters {p['start']}–{p['end']} · score {p.get('score', 0):.3f}"
        head = f"{i}. {label(p['article_id'], FIELD_NAME - 10 - len(where))}{where}"
        line = f"{linked_title(p, 150)} · {date_of(p)}"
        pieces = passage_pieces(p["text"], quoted_spans(p, answer.get("quotes", [])))
        if pieces and len(line) + 1 + len(pieces[0]) <= FIELD_VALUE:
            pieces[0] = f"{line}\n{pieces[0]}"
        else:  # a very long link: the line has a field to itself
            pieces.insert(0, line[:FIELD_VALUE])
        for j, piece in enumerate(pieces):
            name = head if j == 0 else f"{i}. (continued {j + 1}/{len(pieces)})"
            fields.append((name, piece))
    title = said_title(f"Sources for: {answer['question']}")
    if not fields:
        return [discord.Embed(title=title, description="No passages were retrieved.")]
    return pack_fields(title, fields)


def quoted_spans(p: dict, quotes: list[dict]) -> list[tuple[int, int]]:
    """Where the answer's quotes fall in passage `p`, as offsets into its text."""
    spans = []
    for q in quotes:
        if q["article_id"] == p["article_id"] and q["start"] < p["end"] and q["end"] > p["start"]:
            spans.append((max(q["start"], p["start"]) - p["start"], min(q["end"], p["end"]) - p["start"]))
    return spans


def passage_pieces(text: str, spans: list[tuple[int, int]], limit: int = FIELD_VALUE - HEAD_ROOM) -> list[str]:
    """The passage as rendered field values (escaped, quotes marked), cut at sentences; a piece
    that escaping made too long is cut again, smaller."""
    pieces = []
    for start, end in split_spans(text, limit):
        shown = marked(text[start:end], [(a - start, b - start) for a, b in spans if a < end and b > start])
        if len(shown) <= limit or limit < 100:
            pieces.append(shown[:FIELD_VALUE - HEAD_ROOM])
        else:
            inner = [(a - start, b - start) for a, b in spans]
            pieces += passage_pieces(text[start:end], inner, limit // 2)
    return pieces


def pack_fields(title: str, fields: list[tuple[str, str]]) -> list[discord.Embed]:
    """Fields packed into as few embeds as the limits allow (each embed is its own message)."""
    embeds = [discord.Embed(title=title, colour=ANSWER_COLOUR)]
    for name, value in fields:
        embed = embeds[-1]
        if len(embed.fields) >= FIELDS or len(embed) + len(name) + len(value) > TOTAL - 100:
            embed = discord.Embed(title=f"{unescaped_end(title[:TITLE - 12])} (continued)", colour=ANSWER_COLOUR)
            embeds.append(embed)
        embed.add_field(name=name, value=value, inline=False)
    for n, embed in enumerate(embeds, 1):
        embed.set_footer(text=f"part {n} of {len(embeds)}")
    return embeds


def search_embed(query: str, passages: list[dict], page: int, per_page: int) -> discord.Embed:
    """One page of search results: passages with their article, offsets and score."""
    pages = max((len(passages) + per_page - 1) // per_page, 1)
    embed = discord.Embed(title=said_title(f"Search: {query}"), colour=ANSWER_COLOUR)
    chunk = passages[page * per_page:(page + 1) * per_page]
    if not chunk:
        embed.description = "Nothing matched. Try other words, or `/ask` a question."
    room = (TOTAL - len(embed) - 60) // max(len(chunk), 1)
    for i, p in enumerate(chunk, page * per_page + 1):
        name = f"{i}. {label(title_of(p), FIELD_NAME - 10)}"
        line = f"{linked_title(p, 120)} · {date_of(p)} · {escape(p['article_id'])} [{p['start']}–{p['end']}]"
        embed.add_field(name=name, value=passage_value(line, p["text"], min(room - len(name), FIELD_VALUE)),
                        inline=False)
    embed.set_footer(text=f"page {page + 1} of {pages} · {len(passages)} passages")
    return within_total(embed)


def passage_value(line: str, text: str, limit: int) -> str:
    """The passage's line, then as much of its text as fits, cut at a sentence and marked."""
    room = limit - len(line) - 3
    if room < 40:
        return line[:limit]
    return f"{line}\n> {clip(escape(text), room, ' *(trimmed)*')[0]}"
