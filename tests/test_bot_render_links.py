"""Answers a reader can check in one click, with article text shown as text: each citation links
to the quoted sentence (a text fragment), "Show sources" marks the quote inside its passage,
each quote is shown once, and Markdown in an article never renders."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest

from bot.markdown import escape
from bot.passages import search_embed, sources_embeds
from bot.render import answer_embed
from tests.test_bot_render import answer, assert_within_limits, citation, passage

HOSTILE = ("Witnesses said **nothing** was wrong, ||the pier was closed|| and "
           "[the pier](https://evil.example/phish) was <@123456> safe.")


def hostile_answer() -> dict:
    text = f"Intro. {HOSTILE} Outro."
    start = text.index(HOSTILE)
    quote = {"n": 1, "article_id": "2026/a1", "start": start, "end": start + len(HOSTILE), "text": HOSTILE, "score": 2.0}
    p = {**passage(1, text), "start": 0, "end": len(text)}
    return answer(text=f"{HOSTILE} [1]", quotes=[quote], citations=[citation(1, title="The **pier** [report]")],
                  passages=[p])


def unescaped(text: str) -> list[str]:
    """The article's Markdown as Discord would render it: bold, spoiler, masked link, mention."""
    return re.findall(r"(?<!\\)\*\*nothing|(?<!\\)\|\|the pier|(?<!\\)\[the pier\]\(|(?<!\\)<@123456>", text)


def test_markdown_in_article_text_is_shown_as_text():
    highlight = f"**{escape(HOSTILE)}**"  # "Show sources" marks the quote itself in bold
    embeds = [answer_embed(hostile_answer()), *sources_embeds(hostile_answer()),
              search_embed("pier", hostile_answer()["passages"], 0, 5)]
    for embed in embeds:
        data = embed.to_dict()
        for text in [data.get("description", "")] + [f["name"] + f["value"] for f in data.get("fields", [])]:
            assert not unescaped(text.replace(highlight, "")), text
        assert_within_limits(embed)
    description = answer_embed(hostile_answer()).description
    assert r"\*\*nothing\*\*" in description and r"\|\|the pier was closed\|\|" in description
    assert r"\[the pier](" in description and r"\<@123456>" in description
    assert highlight in sources_embeds(hostile_answer())[0].fields[0].value


def test_each_quote_is_shown_once():
    quotes = [{"n": 1, "article_id": "2026/a1", "start": 0, "end": 44,
               "text": "The ferry operator froze fares for the year.", "score": 2.0},
              {"n": 2, "article_id": "2026/a2", "start": 0, "end": 38,
               "text": "Commuters welcomed the decision today.", "score": 1.5}]
    embed = answer_embed(answer(text=" ".join(f"{q['text']} [{q['n']}]" for q in quotes), quotes=quotes,
                                citations=[citation(1), citation(2, url="https://example.org/b")]))
    shown = embed.description + "".join(f.name + f.value for f in embed.fields)
    for q in quotes:
        assert shown.count(q["text"][:30]) == 1, q["text"]


def fragment(link: str) -> str:
    return link.split("#:~:text=", 1)[1]


def test_each_citation_links_to_its_quoted_sentence():
    quote = "Tom Reyes, the ferry's chief, said fares — frozen since 2024 — would stay put & fuel had eased."
    q = {"n": 1, "article_id": "2026/a1", "start": 0, "end": len(quote), "text": quote, "score": 2.0}
    embed = answer_embed(answer(text=f"{quote} [1]", quotes=[q], citations=[citation(1)]))
    [link] = re.findall(r"\]\((https://example\.org/ferry#:~:text=[^)\s]+)\)", embed.fields[0].value)
    start, end = fragment(link).split(",")
    assert unquote(start) == "Tom Reyes, the ferry's chief," and unquote(end) == "put & fuel had eased."
    for part in (start, end):
        assert not re.search(r"[ ,&\-()]", part), "the directive's own syntax is percent-encoded"
    assert "%2C" in start and "%26" in end


def test_a_short_quote_is_one_fragment_and_an_existing_fragment_is_kept():
    q = {"n": 1, "article_id": "2026/a1", "start": 0, "end": 22, "text": "Fares froze (for now).", "score": 2.0}
    embed = answer_embed(answer(text="Fares froze (for now). [1]", quotes=[q],
                                citations=[citation(1, url="https://example.org/ferry#top")]))
    [link] = re.findall(r"\]\((\S+)\)", embed.fields[0].value)
    assert link == "https://example.org/ferry#top:~:text=Fares%20froze%20%28for%20now%29."


def test_show_sources_marks_the_quoted_sentence_in_its_passage():
    text = "The operator met on Monday. Fares froze for the year. Commuters welcomed it."
    start = text.index("Fares froze")
    p = {**passage(1, text), "start": 100, "end": 100 + len(text)}
    q = {"n": 1, "article_id": "2026/a1", "start": 100 + start, "end": 100 + start + 26,
         "text": "Fares froze for the year.", "score": 2.0}
    [embed] = sources_embeds(answer(quotes=[q], passages=[p]))
    value = embed.fields[0].value
    assert "The operator met on Monday. **Fares froze for the year.** Commuters welcomed it." in value


def test_a_highlight_split_across_fields_stays_balanced():
    sentence = "Sentence {} about the ferry fares."
    text = " ".join(sentence.format(i) for i in range(120))
    start = text.index(sentence.format(20))
    end = text.index(sentence.format(60)) + len(sentence.format(60))
    p = {**passage(1, text), "start": 0, "end": len(text)}
    q = {"n": 1, "article_id": "2026/a1", "start": start, "end": end, "text": text[start:end], "score": 1.0}
    embeds = sources_embeds(answer(quotes=[q], passages=[p]))
    values = [f.value for e in embeds for f in e.fields]
    assert len(values) > 1
    for value in values:
        assert value.count("**") % 2 == 0, value
        assert_within_limits(embeds[0])
    assert sum("**" in v for v in values) >= 2


def test_a_citation_quoted_twice_links_to_each_quote():
    quotes = [{"n": 1, "article_id": "2026/a1", "start": 0, "end": 20, "text": "Fares froze in March.", "score": 2.0},
              {"n": 1, "article_id": "2026/a1", "start": 40, "end": 60, "text": "Riders cheered.", "score": 1.0}]
    embed = answer_embed(answer(text="Fares froze in March. [1] Riders cheered. [1]", quotes=quotes))
    links = re.findall(r"\[quote (\d)\]\((\S+)\)", embed.fields[0].value)
    assert [(n, unquote(fragment(url))) for n, url in links] == [("1", "Fares froze in March."),
                                                                 ("2", "Riders cheered.")]


@pytest.mark.parametrize("text", ["Run </reindex:1234567890> now", "See <id:customize> and <id:browse>",
                                  "Ping <@&42>, <#7>, <t:1700000000:R>, <a:dance:9> and <:wave:8>"])
def test_every_discord_tag_in_article_text_is_shown_as_text(text):
    shown = escape(text)
    assert not re.search(r"(?<!\\)<(?=[@#:/]|a:|t:|id:)", shown), shown


@pytest.mark.parametrize("question", ["Who paid for **the pier** and ||why||? [see](https://evil.example)",
                                      "*" * 400, "Why " + "_x_ " * 120 + "?"])
def test_a_persons_words_in_a_title_are_shown_as_text_and_fit(question):
    for embed in (answer_embed(answer(question=question)), *sources_embeds(answer(question=question)),
                  search_embed(question, [], 0, 5)):
        title = embed.title
        assert len(title) <= 256 and not title.endswith("\\"), title
        assert not re.search(r"(?<!\\)(\*\*|\|\||\[see\]\(|(?<![\\*])\*(?!\*))", title), title
