"""Answer objects (the dict form the API returns) -> Discord embeds, within Discord's limits.

Pure functions: no client, no network. Every embed they return satisfies the limits below,
whatever had to be shortened is shortened at a sentence boundary and said so, and article text
is escaped so that it shows as text. An answer reads like a page with footnotes: the quotes
with their [n] markers in the description, and one field per cited article whose link opens the
article at the quoted sentence.
"""

from __future__ import annotations

import discord

from bot.clip import clip, clip_words, unescaped_end
from bot.markdown import escape, fragment_url, link_text, safe_url

TITLE, DESCRIPTION, FIELDS, FIELD_NAME, FIELD_VALUE, FOOTER, TOTAL = 256, 4096, 25, 256, 1024, 2048, 6000


def said_title(text: str) -> str:
    """A person's words (a question, a search) as an embed title: Markdown shown as text, cut at
    a word to fit, and never cut inside an escape."""
    raw = " ".join(text.split())
    shown = escape(clip_words(raw, TITLE))
    while len(shown) > TITLE:  # escapes made it longer: cut the words, then escape again
        raw = raw[:len(raw) - (len(shown) - TITLE) - 1]
        shown = escape(clip_words(raw, len(raw) - 1))
    return unescaped_end(shown)
MESSAGE = 2000
ANSWER_COLOUR = discord.Colour.blurple()
ABSTAIN_COLOUR = discord.Colour.light_grey()
TRIMMED = "\n\n*Trimmed to fit Discord; **Show sources** has the full passages.*"
MAX_RELATED = 5
MIN_DESCRIPTION = 1200  # kept for the answer text however many citations there are
NAME_READABLE = 120  # a footnote's title is cut at a word beyond this


def answer_embed(answer: dict, heading: str | None = None) -> discord.Embed:
    """The answer message: quotes with [n] markers, one field per cited article, a footer.
    `heading` replaces the question as the title (e.g. "Sources for: <a claim>")."""
    if answer.get("abstained"):
        return abstention_embed(answer, heading)
    embed = discord.Embed(title=said_title(heading or answer["question"]), colour=ANSWER_COLOUR)
    embed.set_footer(text=footer(answer))
    citations = answer.get("citations", [])
    shown, hidden = (citations, []) if len(citations) <= FIELDS else (citations[:FIELDS - 1], citations[FIELDS - 1:])
    share = max((TOTAL - len(embed) - MIN_DESCRIPTION) // max(len(shown) + bool(hidden), 1), 60)
    quotes = answer.get("quotes", [])
    fields = [citation_field(c, [q["text"] for q in quotes if q["n"] == c["n"]], share) for c in shown]
    if hidden:
        fields.append(more_field(hidden, share))
    used = len(embed) + sum(len(name) + len(value) for name, value in fields)
    embed.description = clip(escape(answer["text"]), min(DESCRIPTION, TOTAL - used), TRIMMED)[0]
    for name, value in fields:
        embed.add_field(name=name, value=value, inline=False)
    return within_total(embed)


def abstention_embed(answer: dict, heading: str | None = None) -> discord.Embed:
    """A short, friendly "the articles don't cover this", with the closest articles."""
    lines = ["The articles don't cover this, so I won't guess."]
    related = answer.get("related", [])[:MAX_RELATED]
    if related:
        lines += ["", "**Closest articles**"] + [f"• {linked_title(c)} — {date_of(c)}" for c in related]
    embed = discord.Embed(title=said_title(heading or answer["question"]), colour=ABSTAIN_COLOUR,
                          description=clip("\n".join(lines), DESCRIPTION, TRIMMED)[0])
    embed.set_footer(text=footer(answer))
    return within_total(embed)


def footer(answer: dict) -> str:
    return (f"confidence {answer.get('confidence', 0.0):.0%} · index generation "
            f"{answer.get('generation') or '?'} · as of {answer.get('as_of') or 'today'}")[:FOOTER]


def date_of(c: dict) -> str:
    return (c.get("published") or "")[:10] or "undated"


def label(text: str, limit: int) -> str:
    """Article text for a title or field name: escaped, cut at a word to `limit`."""
    return unescaped_end(clip_words(escape(text), limit))


def title_of(c: dict) -> str:
    return c.get("title") or c["article_id"]


def linked_title(c: dict, limit: int = 200, quoted: str | None = None) -> str:
    """The article's title, linked to its page (at the quoted sentence when given), else bold."""
    title = unescaped_end(clip_words(link_text(title_of(c)), limit))
    if not c.get("url"):
        return f"**{title}**"
    return f"[{title}]({fragment_url(c['url'], quoted) if quoted else safe_url(c['url'])})"


def citation_field(c: dict, quotes: list[str], share: int) -> tuple[str, str]:
    """A citation's field, a footnote: "[n] title", then the date, the source and a link that
    opens the article at the quoted sentence (one per quote), as much as fits in `share`."""
    name = f"[{c['n']}] {label(title_of(c), min(FIELD_NAME, max(share // 3, 20), NAME_READABLE) - 6)}"
    room = min(FIELD_VALUE, max(share - len(name), 40))
    facts = [date_of(c)] + ([label(c["source"], 60)] if c.get("source") else [])
    copies = len(c.get("duplicates") or [])
    if copies:
        facts.append(f"also in {copies} other article{'s' * (copies > 1)}")
    links = quote_links(c, quotes)
    plain = [f"[open the article]({safe_url(c['url'])})"] if c.get("url") else []
    candidates = [facts + links, facts + links[:1], facts[:1] + links[:1], facts[:1] + plain, facts[:1]]
    value = next((v for v in (" · ".join(parts) for parts in candidates) if len(v) <= room), date_of(c))
    return name, value


def quote_links(c: dict, quotes: list[str]) -> list[str]:
    """Links that open the article with the quoted sentence highlighted (text fragments)."""
    if not c.get("url"):  # an article without a web address: its id, to find it in the collection
        return [f"`{c['article_id']}`"] if "`" not in c["article_id"] else []
    if not quotes:
        return [f"[open the article]({safe_url(c['url'])})"]
    if len(quotes) == 1:
        return [f"[open at the quote]({fragment_url(c['url'], quotes[0])})"]
    return [f"[quote {i}]({fragment_url(c['url'], q)})" for i, q in enumerate(quotes, 1)]


def more_field(hidden: list[dict], share: int) -> tuple[str, str]:
    """One field naming the citations that did not get a field of their own."""
    name = f"…and {len(hidden)} more sources"
    lines = [f"[{c['n']}] {label(title_of(c), 60)}" for c in hidden]
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


def status_embed(status: dict) -> discord.Embed:
    """The index the bot answers from."""
    model = status.get("model") or {}
    embed = discord.Embed(title="Footnote index", colour=ANSWER_COLOUR)
    for name, value in (("Generation", status.get("generation")), ("Articles", status.get("articles")),
                        ("Chunks", status.get("chunks")), ("Built", status.get("built_at")),
                        ("Model", model.get("name") if isinstance(model, dict) else model)):
        embed.add_field(name=name, value=clip_words(str(value if value is not None else "?"), FIELD_VALUE))
    newer = status.get("newer_than_index") or []
    if newer:
        shown = ", ".join(f"`{p}`" for p in newer[:5]) + (f" and {len(newer) - 5} more" if len(newer) > 5 else "")
        embed.add_field(name="Changed since the build", inline=False,
                        value=clip(f"{len(newer)} file(s): {shown}. Run /reindex to serve them.", FIELD_VALUE)[0])
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
    return message_text(text)


def embed_text(embed: discord.Embed) -> str:
    """An embed as a plain message, for a channel where the bot may not embed (Embed Links):
    the title in bold, the text, each field as a line, the footer in small print; cut to fit
    2,000 characters at a sentence, never inside a link, the text before the fields."""
    footer_line = f"\n-# {embed.footer.text}" if embed.footer and embed.footer.text else ""
    head = f"**{embed.title}**\n" if embed.title else ""
    fields = "".join(f"\n**{f.name}** · {f.value}" if f.name else f"\n{f.value}" for f in embed.fields)
    fields = clip(fields, max(MESSAGE // 3, MESSAGE - len(head) - len(footer_line) - len(embed.description or "") - 2))[0]
    room = MESSAGE - len(head) - len(fields) - len(footer_line) - 1
    text = clip(embed.description or "", room, " …")[0]
    return f"{head}{text}\n{fields}{footer_line}".strip()[:MESSAGE]


def message_text(text: str) -> str:
    """Any text the bot sends as a message, within Discord's 2,000 characters."""
    return clip(text, MESSAGE, " …")[0]
