"""Rendering answers as Discord embeds: pure functions, checked against Discord's limits (as the
fake Discord knows them, not as the renderer's own constants say)."""

import pytest

from bot.clip import clip, split
from bot.passages import search_embed, sources_embeds
from bot.render import answer_embed, summary_text
from tests.test_bot_discord_limits import message_problems


def citation(n, title="Ferry fares frozen", url="https://example.org/ferry", **extra):
    return {"n": n, "article_id": f"2026/a{n}", "title": title, "published": "2026-03-05",
            "url": url, "source": "Bay Times", "duplicates": [], **extra}


def passage(i, text="The ferry operator froze fares for the year. Commuters welcomed it."):
    return {"article_id": f"2026/a{i}", "start": 10 * i, "end": 10 * i + len(text), "text": text,
            "score": 1.0 / i, "cosine": 0.5, "title": f"Article {i}", "published": "2026-03-05",
            "url": None, "source": None, "duplicates": []}


def answer(**overrides):
    base = {"question": "Were ferry fares frozen?", "abstained": False, "confidence": 0.82,
            "text": "The ferry operator froze fares for the year. [1]",
            "quotes": [{"n": 1, "article_id": "2026/a1", "start": 0, "end": 44,
                        "text": "The ferry operator froze fares for the year.", "score": 2.1}],
            "citations": [citation(1)], "related": [], "passages": [passage(1)],
            "generation": "000003", "as_of": "2026-11-24", "timings_ms": {}}
    return {**base, **overrides}


def assert_within_limits(embed):
    """Discord's limits as the fake Discord checks them, independent of the renderer's constants."""
    assert message_problems({"embeds": [embed.to_dict()]}) == []


def test_a_normal_answer_has_markers_a_field_per_citation_and_a_footer():
    embed = answer_embed(answer())
    assert embed.description == "The ferry operator froze fares for the year. [1]"
    [field] = embed.fields
    assert field.name == "[1] Ferry fares frozen"
    # A footnote: date, source, and a link that opens the article at the quoted sentence; the quote
    # itself is in the description only.
    assert field.value.startswith("2026-03-05 · Bay Times · [open at the quote](https://example.org/ferry#:~:text=")
    assert "The ferry operator froze" not in field.value
    assert "confidence 82%" in embed.footer.text and "000003" in embed.footer.text
    assert_within_limits(embed)


def test_an_abstention_is_short_and_lists_the_closest_articles():
    embed = answer_embed(answer(abstained=True, text="The articles don't cover this.", quotes=[],
                                citations=[], related=[citation(1), citation(2, title="Bridge budget", url=None)]))
    assert embed.description.startswith("The articles don't cover this")
    assert "[Ferry fares frozen](https://example.org/ferry) — 2026-03-05" in embed.description
    assert "**Bridge budget**" in embed.description
    assert not embed.fields
    assert_within_limits(embed)


def test_an_answer_at_the_limits_is_trimmed_at_sentences_and_says_so():
    sentence = "The council said the harbour bridge needs new steel cables before the winter storms. "
    long_quote = (sentence * 80).strip()  # ~6,900 characters, one quote
    citations = [citation(n, title="A very long headline about the bridge " * 12,
                          url=f"https://example.org/{'x' * 200}/{n}") for n in range(1, 31)]
    quotes = [{"n": n, "article_id": f"2026/a{n}", "start": 0, "end": len(long_quote), "text": long_quote,
               "score": 1.0} for n in range(1, 31)]
    text = " ".join(f"{q['text']} [{q['n']}]" for q in quotes)
    embed = answer_embed(answer(question="Why? " * 100, text=text, quotes=quotes, citations=citations))
    assert_within_limits(embed)
    assert embed.title.endswith("…")
    assert "Trimmed to fit Discord" in embed.description
    # The cut is at a sentence end: what precedes the note is whole sentences of the quote.
    kept = embed.description.split("\n\n*Trimmed")[0]
    assert kept.endswith("storms.") and kept in long_quote
    assert len(embed.fields) == 25  # Discord's most
    assert embed.fields[-1].name == "…and 6 more sources"
    for field in embed.fields[:-1]:
        assert "harbour bridge needs" not in field.value  # quotes are not repeated in the fields


def test_a_single_sentence_longer_than_the_room_is_cut_visibly():
    text = "word " * 2000
    clipped, trimmed = clip(text, 100, " (trimmed)")
    assert trimmed and len(clipped) <= 100 and clipped.endswith("… (trimmed)")


def test_sources_keep_every_passage_whole_across_fields_and_messages():
    long_text = " ".join(f"Sentence number {i} about the ferry fares." for i in range(200))
    passages = [passage(i, long_text) for i in range(1, 6)]
    embeds = sources_embeds(answer(passages=passages))
    assert len(embeds) > 1
    for embed in embeds:
        assert_within_limits(embed)
    text = " ".join(f.value for e in embeds for f in e.fields)
    for i in range(200):
        assert f"Sentence number {i} about the ferry fares." in text
    assert "characters 10–" in embeds[0].fields[0].name


def test_split_cuts_at_sentences_and_loses_nothing():
    text = "One two three. Four five six! Seven eight nine? Ten."
    pieces = split(text, 20)
    assert pieces == ["One two three.", "Four five six!", "Seven eight nine?", "Ten."]


@pytest.mark.parametrize("page,expected", [(0, "1."), (1, "6."), (2, "11.")])
def test_search_pages(page, expected):
    passages = [passage(i) for i in range(1, 13)]
    embed = search_embed("ferry fares", passages, page, 5)
    assert embed.fields[0].name.startswith(expected)
    assert f"page {page + 1} of 3" in embed.footer.text
    assert_within_limits(embed)


def test_a_reindex_summary_names_skipped_files():
    text = summary_text({"added": 1, "changed": 0, "removed": 0, "chunks_embedded": 3, "generation": "000004",
                         "articles_total": 4, "skipped": [{"path": "bad.txt", "reason": "is empty; write it"}]})
    assert "1 added" in text and "000004" in text and "`bad.txt`: is empty" in text


@pytest.mark.parametrize("limit", [30, 60, 90, 100, 110, 150, 200, 250])
def test_clipping_never_cuts_a_masked_link_in_two(limit):
    """A link that fits is kept whole (its Markdown would show raw and the link break); one
    longer than a piece can only be split when a piece must be shorter than it."""
    link = "[the long article about the harbour bridge repairs. It is good](https://news.example/a?b=1)"
    text = f"See {link} for more. " * 3
    pieces = [clip(text, limit)[0], *(split(text, limit) if limit > len(link) else [])]
    for piece in pieces:
        assert piece.count("[") == piece.count("](") == piece.count(")"), piece  # whole links or none
        assert len(piece) <= limit
