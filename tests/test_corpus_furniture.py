"""Page furniture (bylines, datelines, gallery captions, teasers, advertisement markers): found
with exact offsets, kept in the stored text and in the chunks, never a quotable sentence."""

import json

import pytest

from corpus import Article
from corpus.chunk import ChunkParams, split_article
from corpus.furniture import find_furniture
from corpus.load import load_corpus
from index.answer import Answerer, AskRequest
from index.build import build_index
from index.embed import HashingEmbedder
from index.search import LiveIndex, Retriever
from index.store import Generation
from tests.conftest import DEMO, SHARED, write

# Invented pages, in the shape scraped news pages take.
NEWS_PAGE = """By Nora Vance and Ivo Brandt, CNN
Updated 4:12 PM ET, Tue May 5, 2026
PORTVILLE, Maine (CNN) -- The harbour council voted on Monday to close the old ferry pier after a century of use.
Council chair Rep. Lila Hart said the vote was seven to two.
Advertisement
Photos: The pier through the years
Fishing boats crowd the pier on a summer morning. Hide Caption 1 of 12 Photos: The pier through the years \
A winter storm tears planks from the pier. Hide Caption 2 of 12
Read more: Ferry fares to rise in the spring
More:Council spent forty years arguing over the pier
Harbour budget:In a surprise move the council cut the harbour budget
Story continues below advertisement
Demolition of the pier will begin in the autumn, the council said."""
NEWS_FURNITURE = ["By Nora Vance and Ivo Brandt, CNN", "Updated 4:12 PM ET, Tue May 5, 2026",
                  "PORTVILLE, Maine (CNN) --", "Advertisement", "Photos: The pier through the years",
                  "Hide Caption 1 of 12", "Photos: The pier through the years", "Hide Caption 2 of 12",
                  "Read more: Ferry fares to rise in the spring", "More:Council spent forty years arguing over the pier",
                  "Harbour budget:In a surprise move the council cut the harbour budget",
                  "Story continues below advertisement"]
NEWS_QUOTABLE = ["The harbour council voted on Monday to close the old ferry pier after a century of use.",
                 "Council chair Rep. Lila Hart said the vote was seven to two.",
                 "Fishing boats crowd the pier on a summer morning.", "A winter storm tears planks from the pier.",
                 "Demolition of the pier will begin in the autumn, the council said."]
WIDE = ChunkParams(256)
WORDS = HashingEmbedder(16)  # a word-and-punctuation tokenizer


def spans_of(text: str, pieces: list[str]) -> list[tuple[int, int]]:
    """Where each piece stands in `text`, found in order."""
    spans, at = [], 0
    for piece in pieces:
        start = text.index(piece, at)
        spans.append((start, start + len(piece)))
        at = start + len(piece)
    return spans


def test_a_news_page_s_furniture_is_found_with_exact_offsets():
    assert find_furniture(NEWS_PAGE) == tuple(spans_of(NEWS_PAGE, NEWS_FURNITURE))


@pytest.mark.parametrize("text, furniture", [
    ("By Mara Quill and Teo Lind | USA TODAY\nGLENHAVEN, Ore. — Rain fell on the valley for nine days.",
     ["By Mara Quill and Teo Lind | USA TODAY", "GLENHAVEN, Ore. —"]),
    ("WESTBROOK – A new library opened on Saturday.", ["WESTBROOK –"]),
    ("NEW YORK (AP) — The subway added night trains.", ["NEW YORK (AP) —"]),
    ("LONDON, March 3 (Reuters) - The bank held its rate.", ["LONDON, March 3 (Reuters) -"]),
    ("SALVADOR, Feb 26 - Showers eased the drought in the cocoa zone.", ["SALVADOR, Feb 26 -"]),
    ("Harbour vote\nKESTREL BAY (CNN) -- The ferry pier closes in June.", ["KESTREL BAY (CNN) --"]),
    ("The pier closes in June.\nREAD MORE: Where the ferries will dock next\nWork starts soon.",
     ["READ MORE: Where the ferries will dock next"]),
    ("The pier closes in June.\nRelated: A century of ferries in pictures\nWork starts soon.",
     ["Related: A century of ferries in pictures"]),
    ("The pier closes in June. Advertisement The ferry moves to the east dock.", ["Advertisement"]),
    ("The pier closes in June.\n12 of 40\nWork starts soon.", ["12 of 40"]),
])
def test_each_kind_of_furniture(text, furniture):
    assert find_furniture(text) == tuple(spans_of(text, furniture))


@pytest.mark.parametrize("text", [
    "By contrast, the council kept the north pier open.",
    "By Friday the council had counted every vote.\nThe pier stays open.",
    "Note:Full name is Harbour Holdings Ltd.",
    "U.S.-Japan talks on ferry tariffs resumed on Monday.",
    "THB - Thai baht is the currency of the ferry fares.",
    "Read more about the pier at the town hall.",
    "The advertisement for the ferry ran for a week.",
    "The company said 12 of 40\nbranches would close by June.",
    "The museum shows photos of the pier. Photos: none were lent.",
    "Later, NEW YORK (Reuters) - style datelines were dropped from the style guide.",
])
def test_prose_that_looks_a_little_like_furniture_is_left_alone(text):
    assert find_furniture(text) == ()


@pytest.mark.parametrize("text", [
    "WASHINGTON (CNN) -- The senator retired on Friday after six terms.",  # syntok ends a sentence at "(CNN)"
    "By Ada Moss, CNN\nNEW YORK (AP) — The senator retired on Friday after six terms.",
    "LONDON, March 3 (Reuters) - The senator retired on Friday after six terms.",
])
def test_a_sentence_led_by_a_dateline_starts_at_its_first_word(text):
    _, sentences = split_article(Article("a", text, "t", "metadata"), WORDS, WIDE)
    want = "The senator retired on Friday after six terms."
    assert [(s.start, s.text) for s in sentences] == [(text.index(want), want)]


def test_the_article_keeps_its_text_and_chunks_and_quotes_none_of_its_furniture(tmp_path, monkeypatch):
    corpus = write(tmp_path / "c", {"pier.txt": "date 2026-05-05\n\n" + NEWS_PAGE + "\n"})
    (article,) = load_corpus(corpus).articles
    assert article.text == NEWS_PAGE and article.furniture == find_furniture(NEWS_PAGE)
    chunks, sentences = split_article(article, WORDS, WIDE)
    assert [s.text for s in sentences] == NEWS_QUOTABLE
    assert [s.ordinal for s in sentences] == list(range(len(NEWS_QUOTABLE)))
    assert all(article.text[s.start:s.end] == s.text for s in sentences)
    # The dateline-led sentence starts past the dateline, at its first word.
    assert sentences[0].start == NEWS_PAGE.index("The harbour council")
    # The chunks are those the sentences cut without the furniture rules: all of the text.
    monkeypatch.setattr("corpus.chunk.quotable_spans", lambda text, spans, furniture: spans)
    assert split_article(article, WORDS, WIDE)[0] == chunks
    assert chunks[0].start == 0 and chunks[-1].end == len(NEWS_PAGE)
    assert all(any(c.start <= s.start and s.end <= c.end for c in chunks) for s in sentences)


def test_an_article_without_furniture_keeps_every_sentence_unit(monkeypatch):
    articles = [a for a in load_corpus(DEMO).articles if not a.furniture]
    assert len(articles) >= 10
    now = [split_article(a, WORDS, ChunkParams(32)) for a in articles]
    monkeypatch.setattr("corpus.chunk.quotable_spans", lambda text, spans, furniture: spans)
    assert now == [split_article(a, WORDS, ChunkParams(32)) for a in articles]


def reuters_and_squad() -> tuple[list[dict], list[str]]:
    """The first 2,000 Reuters-21578 records with a body, and every SQuAD dev context."""
    reuters = SHARED / "data" / "reuters-21578" / "reuters21578.jsonl"
    squad = SHARED / "data" / "squad-v1.1-dev" / "dev-v1.1.json"
    if not (reuters.exists() and squad.exists()):
        pytest.skip("../shared/data (Reuters-21578, SQuAD dev) is absent")
    records = []
    with reuters.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if record.get("body"):
                records.append(record)
            if len(records) == 2000:
                break
    contexts = [p["context"] for d in json.loads(squad.read_text())["data"] for p in d["paragraphs"]]
    return records, contexts


def test_newswire_and_encyclopedia_prose_hold_no_furniture_but_the_wire_s_own_datelines():
    """The false positives that matter: real sentences hidden from every answer. The first 2,000
    Reuters bodies and every SQuAD context hold none; with its dateline put back in front, a
    Reuters story loses exactly that dateline."""
    records, contexts = reuters_and_squad()
    assert [t for t in [r["body"].strip() for r in records] + contexts if find_furniture(t)] == []
    found = 0
    for record in records:
        dateline = record["dateline"].strip()
        found += find_furniture(f"{dateline} {record['body'].strip()}")[:1] == ((0, len(dateline)),)
    assert found >= 0.95 * len(records)


def test_answers_never_quote_furniture(tmp_path):
    """End to end over an index: every quote is verbatim and clear of the page's furniture, and
    a chunk of furniture alone has as neighbours the sentences around it in its own article."""
    corpus = write(tmp_path / "c", {
        "a-ferries.txt": "date 2026-04-01\n\nThe ferry company ordered two electric boats. They arrive in May.\n",
        "pier.txt": "date 2026-05-05\n\n" + NEWS_PAGE + "\n"})
    embedder = HashingEmbedder(64)
    build_index(corpus, tmp_path / "i", embedder, ChunkParams(40), progress=False)
    answerer = Answerer(Retriever(LiveIndex(tmp_path / "i", embedder.name), embedder), threshold=0.0)
    furniture = Article("pier", NEWS_PAGE, "t", "metadata").furniture
    questions = ["Who wrote about the pier for CNN?", "When was the page updated?", "What did the council vote on?",
                 "Where will the ferries dock? Read more", "What photos show the pier through the years?",
                 "How long did the council spend arguing over the pier?", "What did the harbour budget cut do?",
                 "Where is Portville, Maine?", "Which advertisement continues below the story?"]
    quoted = set()
    for question in questions:
        answer = answerer.answer(AskRequest(question, k=8))
        for quote in answer.quotes:
            text = answerer.retriever.live.current().article(quote.article_id).text
            assert text[quote.start:quote.end] == quote.text
            if quote.article_id == "pier":
                assert not any(s < quote.end and quote.start < e for s, e in furniture), quote.text
                quoted.add(quote.text)
    assert NEWS_QUOTABLE[0] in quoted  # the dateline-led sentence, quoted without its dateline
    with Generation.open(tmp_path / "i") as generation:
        pier = spans_of(NEWS_PAGE, NEWS_QUOTABLE)
        bare = [c for c in range(generation.chunk_count()) if not generation.sentences_within(c)]
        assert len(bare) >= 2, "the page has chunks of furniture alone"
        for chunk_id in bare:
            chunk = generation.chunk_rows([chunk_id])[chunk_id][0]
            assert chunk.article_id == "pier"
            want = [s for s in pier if s[0] < chunk.start][-2:] + [s for s in pier if s[0] >= chunk.start][:2]
            assert [(s, e) for _, s, e in generation.sentences_around(chunk_id, 2)] == want
