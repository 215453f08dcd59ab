"""The web page's pure helpers: cutting an article at its highlighted spans, and the links and
history it writes into the page."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from api.web.views import (SpanError, article_href, local_path, parse_spans, read_history, safe_href, segments,
                           write_history)
from index.answer import Turn


@st.composite
def text_and_spans(draw):
    text = draw(st.text(min_size=1, max_size=200))
    spans = draw(st.lists(st.tuples(st.integers(0, len(text) - 1), st.integers(1, len(text))).map(sorted)
                          .filter(lambda s: s[0] < s[1]).map(tuple), max_size=6))
    return text, spans


@given(text_and_spans())
def test_segments_rebuild_the_text_and_mark_exactly_the_spans(case):
    text, spans = case
    parts = segments(text, spans)
    assert "".join(p.text for p in parts) == text
    assert all(text[p.start:p.end] == p.text and p.text for p in parts)
    marked = {i for p in parts if p.marked for i in range(p.start, p.end)}
    assert marked == {i for s, e in spans for i in range(s, e)}
    anchors = [a for p in parts for a in p.anchors]
    assert sorted(anchors) == sorted({f"span-{s}-{e}" for s, e in spans})


def test_spans_are_read_with_the_fix_when_wrong():
    assert parse_spans(["3-9", " 0-1 "], "a/b", 10) == [(3, 9), (0, 1)]
    with pytest.raises(SpanError, match="span 5-11 is outside article 'a/b', whose text is 10 characters"):
        parse_spans(["5-11"], "a/b", 10)
    with pytest.raises(SpanError, match="span 4-4 is outside"):
        parse_spans(["4-4"], "a/b", 10)
    with pytest.raises(SpanError, match="is not START-END"):
        parse_spans(["-1-3"], "a/b", 10)
    with pytest.raises(SpanError, match="highlight at most 20"):
        parse_spans(["0-1"] * 21, "a/b", 10)


def test_links_are_this_site_or_plain_web_addresses():
    assert article_href("2026/the line", [(0, 5), (9, 12)], (9, 12)) == \
        "/articles/2026/the%20line?span=0-5&span=9-12#span-9-12"
    assert safe_href(" https://example.org/a?b ") == "https://example.org/a?b"
    for url in ("javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,x", "//evil.example", "http:/x", None):
        assert safe_href(url) is None, url
    for target in ("//evil.example", "/\\evil.example", "https://evil.example", "collection", "/x\n/y", None):
        assert local_path(target) == "/", target
    assert local_path("/collection?source=Wire") == "/collection?source=Wire"


def test_history_round_trips_keeps_the_last_turns_and_refuses_garbage():
    turns = tuple(Turn(f"question {i}", (f"a/{i}",)) for i in range(9))
    assert read_history(write_history(turns)) == turns[-6:]
    assert read_history("") == ()
    for bad in ("{", "[1]", '[{"article_ids": []}]', '"text"', "[" * 10_000, "[" * 3_000_000):
        with pytest.raises(ValueError, match="start a new conversation"):
            read_history(bad)
