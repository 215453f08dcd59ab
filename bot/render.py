"""Answer objects (the dict form the API returns) -> Discord embeds, within Discord's limits.

Pure functions: no client, no network. Every embed they return satisfies the limits below,
and whatever had to be shortened is shortened at a sentence boundary and said so.
"""

from __future__ import annotations

import discord

from bot.clip import clip, clip_words, split

TITLE, DESCRIPTION, FIELDS, FIELD_NAME, FIELD_VALUE, FOOTER, TOTAL = 256, 4096, 25, 256, 1024, 2048, 6000
ANSWER_COLOUR = discord.Colour.blurple()
ABSTAIN_COLOUR = discord.Colour.light_grey()
TRIMMED = "\n\n*Trimmed to fit Discord; **Show sources** has the full passages.*"
QUOTE_TRIMMED = " *(trimmed)*"
MAX_RELATED = 5
MIN_DESCRIPTION = 1200  # kept for the answer text however many citations there are


def answer_embed(answer: dict) -> discord.Embed:
    """The answer message: text with [n] markers, one field per cited article, a footer."""
    if answer.get("abstained"):
        return abstention_embed(answer)
    embed = discord.Embed(title=clip_words(answer["question"], TITLE), colour=ANSWER_COLOUR)
    embed.set_footer(text=footer(answer))
    citations = answer.get("citations", [])
    shown, hidden = (citations, []) if len(citations) <= FIELDS else (citations[:FIELDS - 1], citations[FIELDS - 1:])
    # Each field first gets an equal share of what the description leaves at the least.
    share = max((TOTAL - len(embed) - MIN_DESCRIPTION) // max(len(shown) + bool(hidden), 1), 40)
    heads = [citation_head(c, share) for c in shown]
    more = more_field(hidden, share) if hidden else None
    used = len(embed) + sum(len(n) + len(v) for n, v in heads) + (len(more[0]) + len(more[1]) if more else 0)
    description, _ = clip(answer["text"], min(DESCRIPTION, TOTAL - used), TRIMMED)
    embed.description = description
    # The description holds every quote already; the fields repeat them as room allows.
    per_field = (TOTAL - used - len(description)) // max(len(heads), 1)
    for c, (name, line) in zip(shown, heads):
        quotes = " ".join(q["text"] for q in answer.get("quotes", []) if q["n"] == c["n"])
        embed.add_field(name=name, value=field_value(line, quotes, len(line) + per_field), inline=False)
    if more:
        embed.add_field(name=more[0], value=more[1], inline=False)
    return within_total(embed)


def abstention_embed(answer: dict) -> discord.Embed:
    """A short, friendly "the articles don't cover this", with the closest articles."""
    lines = ["The articles don't cover this, so I won't guess."]
    related = answer.get("related", [])[:MAX_RELATED]
    if related:
        lines += ["", "**Closest articles**"] + [f"• {linked_title(c)} — {date_of(c)}" for c in related]
    embed = discord.Embed(title=clip_words(answer["question"], TITLE), colour=ABSTAIN_COLOUR,
                          description=clip("\n".join(lines), DESCRIPTION, TRIMMED)[0])
    embed.set_footer(text=footer(answer))
    return within_total(embed)


def footer(answer: dict) -> str:
    return (f"confidence {answer.get('confidence', 0.0):.0%} · index generation "
            f"{answer.get('generation') or '?'} · as of {answer.get('as_of') or 'today'}")[:FOOTER]


def date_of(c: dict) -> str:
    return (c.get("published") or "")[:10] or "undated"


def linked_title(c: dict, limit: int = 200) -> str:
    title = clip_words(markdown_safe(c.get("title") or c["article_id"]), limit)
    return f"[{title}]({c['url']})" if c.get("url") else f"**{title}**"


def markdown_safe(text: str) -> str:
    """Brackets in a title would break a Markdown link around it."""
    return text.replace("[", "(").replace("]", ")")


def citation_head(c: dict, share: int) -> tuple[str, str]:
    """A citation's field name and first line, together within `share` characters if possible."""
    name = clip_words(f"[{c['n']}] {c.get('title') or c['article_id']}", min(FIELD_NAME, max(share // 3, 20)))
    room = min(FIELD_VALUE, max(share - len(name), 20))
    for line in (citation_line(c, full=True), citation_line(c, full=False)):
        if len(line) <= room:
            return name, line
    return name, clip_words(f"{markdown_safe(c.get('title') or c['article_id'])} · {date_of(c)}", room)


def citation_line(c: dict, full: bool = True) -> str:
    parts = [linked_title(c, 150), date_of(c)]
    if full and c.get("source"):
        parts.append(clip_words(c["source"], 60))
    line = " · ".join(parts)
    if full and c.get("duplicates"):
        line += f" (also in {len(c['duplicates'])} other article{'s' * (len(c['duplicates']) > 1)})"
    return line


def field_value(line: str, quote: str, limit: int) -> str:
    """The citation line, then as much of the quote as fits, cut at a sentence and marked."""
    limit = min(limit, FIELD_VALUE)
    room = limit - len(line) - 3
    if not quote or room < 40:
        return line[:limit]
    text, _ = clip(quote, room, QUOTE_TRIMMED)
    return f"{line}\n> {text}"


def more_field(hidden: list[dict], share: int) -> tuple[str, str]:
    """One field naming the citations that did not get a field of their own."""
    name = f"…and {len(hidden)} more sources"
    lines = [f"[{c['n']}] {clip_words(c.get('title') or c['article_id'], 60)}" for c in hidden]
    value, _ = clip("\n".join(lines), min(FIELD_VALUE, max(share, 80)), "\n(all under Show sources)")
    return name, value


def within_total(embed: discord.Embed) -> discord.Embed:
    """Drop trailing fields (saying how many) until the embed fits the 6000-character total."""
    dropped = 0
    while len(embed) > TOTAL and embed.fields:
        embed.remove_field(len(embed.fields) - 1)
        dropped += 1
    if dropped:
        note = f"{dropped} more source field(s) left out to fit; see Show sources"
        embed.set_footer(text=clip_words(f"{embed.footer.text} · {note}", FOOTER))
    return embed


def sources_embeds(answer: dict) -> list[discord.Embed]:
    """The full passages with their offsets, split across fields and embeds, never trimmed."""
    fields = []
    for i, p in enumerate(answer.get("passages", []), 1):
        head = f"{i}. {p['article_id']} · characters {p['start']}–{p['end']} · score {p.get('score', 0):.3f}"
        pieces = split(p["text"], FIELD_VALUE - 120)
        for j, piece in enumerate(pieces):
            name = clip_words(head if j == 0 else f"{i}. (continued {j + 1}/{len(pieces)})", FIELD_NAME)
            value = f"{linked_title(p, 150)} · {date_of(p)}\n{piece}" if j == 0 else piece
            fields.append((name, value[:FIELD_VALUE]))
    title = clip_words(f"Sources for: {answer['question']}", TITLE)
    if not fields:
        return [discord.Embed(title=title, description="No passages were retrieved.")]
    return pack_fields(title, fields)


def pack_fields(title: str, fields: list[tuple[str, str]]) -> list[discord.Embed]:
    """Fields packed into as few embeds as the limits allow (each embed is its own message)."""
    embeds = [discord.Embed(title=title, colour=ANSWER_COLOUR)]
    for name, value in fields:
        embed = embeds[-1]
        if len(embed.fields) >= FIELDS or len(embed) + len(name) + len(value) > TOTAL - 100:
            embed = discord.Embed(title=clip_words(f"{title} (continued)", TITLE), colour=ANSWER_COLOUR)
            embeds.append(embed)
        embed.add_field(name=name, value=value, inline=False)
    for n, embed in enumerate(embeds, 1):
        embed.set_footer(text=f"part {n} of {len(embeds)}")
    return embeds


def search_embed(query: str, passages: list[dict], page: int, per_page: int) -> discord.Embed:
    """One page of search results: passages with their article, offsets and score."""
    pages = max((len(passages) + per_page - 1) // per_page, 1)
    embed = discord.Embed(title=clip_words(f"Search: {query}", TITLE), colour=ANSWER_COLOUR)
    chunk = passages[page * per_page:(page + 1) * per_page]
    if not chunk:
        embed.description = "Nothing matched. Try other words, or `/ask` a question."
    room = (TOTAL - len(embed) - 60) // max(len(chunk), 1)
    for i, p in enumerate(chunk, page * per_page + 1):
        name = clip_words(f"{i}. {p.get('title') or p['article_id']}", FIELD_NAME)
        line = f"{linked_title(p, 120)} · {date_of(p)} · {p['article_id']} [{p['start']}–{p['end']}]"
        embed.add_field(name=name, value=field_value(line, p["text"], min(room - len(name), FIELD_VALUE)),
                        inline=False)
    embed.set_footer(text=f"page {page + 1} of {pages} · {len(passages)} passages")
    return within_total(embed)


def status_embed(status: dict) -> discord.Embed:
    """The index the bot answers from."""
    model = status.get("model") or {}
    embed = discord.Embed(title="Footnote index", colour=ANSWER_COLOUR)
    for name, value in (("Generation", status.get("generation")), ("Articles", status.get("articles")),
                        ("Chunks", status.get("chunks")), ("Built", status.get("built_at")),
                        ("Model", model.get("name") if isinstance(model, dict) else model)):
        embed.add_field(name=name, value=clip_words(str(value if value is not None else "?"), FIELD_VALUE))
    return embed


def summary_text(summary: dict) -> str:
    """A finished re-index, in one or two lines."""
    if summary.get("up_to_date"):
        text = (f"Up to date: {summary.get('articles_total')} articles, {summary.get('chunks_total')} chunks "
                f"(generation {summary.get('generation')}).")
    else:
        text = (f"Re-indexed: {summary.get('added', 0)} added, {summary.get('changed', 0)} changed, "
                f"{summary.get('removed', 0)} removed; {summary.get('chunks_embedded', 0)} chunks embedded. "
                f"Now serving generation {summary.get('generation')} with {summary.get('articles_total')} articles.")
    skipped = summary.get("skipped") or []
    if skipped:
        lines = [f"• `{s['path']}`: {s['reason']}" for s in skipped[:10]]
        text += f"\n{len(skipped)} file(s) skipped:\n" + "\n".join(lines)
    return clip(text, 2000, "\n…")[0]
