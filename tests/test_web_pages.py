"""The web pages through the real app (TestClient, lifespan and all): the answer as the API gives
it, each quote highlighted inside its article at its stored offsets, follow-ups, the collection."""

from __future__ import annotations

import os
import time
from urllib.parse import parse_qs, urlsplit

from tests.conftest import make_index
from tests.web_helpers import DEPOT, DEPOT_QUESTION, make_web_corpus, page, text_of, web_client

QUESTION = "How much will the Larkspur Line cost?"


def ask(client, question: str, **fields):
    return client.post("/ask", data={"question": question, "as_of": "", "source": "", "history": "", **fields})


def test_answer_page_shows_the_api_answer_quotes_markers_and_citations(web):
    want = web.post("/v1/ask", json={"question": QUESTION}).json()
    r = ask(web, QUESTION)
    assert r.status_code == 200
    doc = page(r)
    quotes = doc.xpath('//p[@class="answer"]/a[@class="quote"]')
    assert [(q.get("data-article"), int(q.get("data-start")), int(q.get("data-end")), text_of(q))
            for q in quotes] == [(q["article_id"], q["start"], q["end"], q["text"]) for q in want["quotes"]]
    markers = [text_of(m) for m in doc.xpath('//p[@class="answer"]/a[@class="marker"]')]
    assert markers == [f"[{q['n']}]" for q in want["quotes"]]
    cited = doc.xpath('//ol[@class="citations"]/li')
    assert [text_of(li.xpath('a[@class="title"]')[0]) for li in cited] == [c["title"] for c in want["citations"]]
    for li, c in zip(cited, want["citations"]):
        assert li.xpath(".//time/@datetime") == [c["published"]]
    assert "index generation 000001" in text_of(doc.xpath('//p[@class="meta"]')[0])


def test_each_quote_links_to_its_article_with_exactly_its_offsets_highlighted(web):
    doc = page(ask(web, QUESTION))
    for link in doc.xpath('//a[@class="quote"]'):
        href = link.get("href")
        start, end = int(link.get("data-start")), int(link.get("data-end"))
        assert urlsplit(href).fragment == f"span-{start}-{end}"
        assert f"{start}-{end}" in parse_qs(urlsplit(href).query)["span"]
        article = web.get(f"/v1/articles/{link.get('data-article')}").json()
        reader = page(web.get(href))
        [body] = reader.xpath('//div[@id="article-text"]')
        assert text_of(body) == article["text"]  # the whole text, verbatim, nothing added
        [mark] = reader.xpath(f'//mark[@id="span-{start}-{end}"]')
        assert text_of(mark) == article["text"][start:end] == text_of(link)
        assert int(mark.get("data-start")) == start and int(mark.get("data-end")) == end


def test_a_quote_far_down_a_long_article_is_marked_where_it_stands(web):
    r = ask(web, DEPOT_QUESTION)
    [link] = [a for a in page(r).xpath('//a[@class="quote"]') if a.get("data-article") == "2026/depot-report"][:1]
    assert text_of(link) == DEPOT
    reader = page(web.get(link.get("href")))
    marks = reader.xpath('//div[@id="article-text"]/mark')
    assert [text_of(m) for m in marks if m.get("id") == urlsplit(link.get("href")).fragment] == [DEPOT]
    before = "".join(reader.xpath('//div[@id="article-text"]/mark[1]/preceding-sibling::text()'))
    assert len(before) == int(link.get("data-start")) > 1500


def test_overlapping_spans_become_one_mark_with_both_anchors(web):
    r = web.get("/articles/2025/tunnel-strike", params={"span": ["0-20", "10-40"]})
    [mark] = page(r).xpath("//mark")
    assert mark.get("id") == "span-0-20" and mark.xpath(".//span/@id") == ["span-10-40"]
    text = web.get("/v1/articles/2025/tunnel-strike").json()["text"]
    assert text_of(mark) == text[0:40]


def test_article_page_shows_metadata_source_link_and_syndicated_copies(web):
    doc = page(web.get("/articles/wire/budget-ferry"))
    assert text_of(doc.xpath("//h1")[0]) == "Ferry subsidy kept"
    assert doc.xpath('//dd[@class="source"]/text()') == ["Wire"]
    copies = doc.xpath('//section[@class="copies"]//li/a')
    assert [(text_of(a), a.get("href")) for a in copies] == [("Committee keeps ferry subsidy",
                                                             "/articles/herald/budget-ferry")]
    other = page(web.get("/articles/herald/budget-ferry"))
    assert [a.get("href") for a in other.xpath('//section[@class="copies"]//li/a')] == ["/articles/wire/budget-ferry"]
    alone = page(web.get("/articles/2025/tunnel-strike"))
    assert alone.xpath('//section[@class="copies"]') == []


def test_bad_spans_and_unknown_articles_are_pages_that_say_the_fix(web):
    length = len(web.get("/v1/articles/feed/ferry").json()["text"])
    r = web.get("/articles/feed/ferry", params={"span": f"10-{length + 5}"})
    assert r.status_code == 422
    assert f"outside article 'feed/ferry', whose text is {length} characters" in text_of(page(r))
    r = web.get("/articles/feed/ferry", params={"span": "ten-twenty"})
    assert r.status_code == 422 and "give character offsets such as 120-245" in r.text
    r = web.get("/articles/no/such")
    assert r.status_code == 404 and "no article 'no/such' in generation 000001" in text_of(page(r))


def test_follow_up_carries_the_history_and_leans_on_the_cited_articles(web):
    first = page(ask(web, "Why did tunnel workers strike?"))
    [history] = first.xpath('//input[@name="history"]/@value')
    assert "Why did tunnel workers strike?" in history and "2025/tunnel-strike" in history
    assert first.xpath('//label[@for="question"]/text()') == ["Follow-up question"]
    second = ask(web, "what about the machine?", history=history)
    doc = page(second)
    assert text_of(doc.xpath('//article[contains(@class, "earlier")]/h2')[0]).endswith("Why did tunnel workers strike?")
    want = web.post("/v1/ask", json={"question": "what about the machine?", "history": [
        {"question": "Why did tunnel workers strike?", "article_ids": ["2025/tunnel-strike"]}]}).json()
    assert want["passages"][0]["article_id"] == "2025/tunnel-strike"
    got = [a.get("data-article") for a in doc.xpath('//a[@class="quote"]')]
    assert got == [q["article_id"] for q in want["quotes"]] and got[0] == "2025/tunnel-strike"
    [newer] = doc.xpath('//input[@name="history"]/@value')
    assert newer.count('"question"') == 2


def test_the_script_gets_just_the_new_turn(web):
    r = web.post("/ask", data={"question": QUESTION}, headers={"X-Footnote-Fragment": "turn"})
    doc = page(r)
    assert doc.tag == "article" and "turn" in doc.get("class") and QUESTION in doc.get("data-history")
    r = web.post("/ask", data={"question": "   "}, headers={"X-Footnote-Fragment": "turn"})
    assert r.status_code == 422 and page(r).get("role") == "alert" and "the question is empty" in r.text


def test_abstention_says_so_and_lists_the_closest_articles(web_indexed):
    with web_client(web_indexed, answer_threshold=0.5) as client:
        doc = page(ask(client, "zebra quantum violin"))
    assert text_of(doc.xpath('//p[contains(@class, "abstained")]')[0]) == "The articles don't cover this."
    assert doc.xpath('//a[@class="quote"]') == []
    assert doc.xpath('//ul[contains(@class, "related")]/li/a/@href')


def test_form_problems_are_shown_by_the_field_with_the_fix(web):
    r = ask(web, "")
    assert r.status_code == 422 and "the question is empty" in text_of(page(r).xpath('//*[@id="question-error"]')[0])
    r = ask(web, QUESTION, as_of="last tuesday")
    assert r.status_code == 422 and "as of 'last tuesday' is not a date; use YYYY-MM-DD" in text_of(page(r))
    r = ask(web, QUESTION, history="{not json")
    assert r.status_code == 422 and "start a new conversation" in r.text
    r = ask(web, QUESTION, history="[" * 10_000)  # nested past Python's recursion limit
    assert r.status_code == 422 and "start a new conversation" in r.text
    r = ask(web, QUESTION, as_of="0001-01-01")
    assert r.status_code == 422 and "as of=0001-01-01 is out of range; give a date from 1000-01-01" in text_of(page(r))


def test_as_of_and_source_filter_the_answer(web):
    doc = page(ask(web, "harbour ferry", source="Wire"))
    assert {a.get("data-article") for a in doc.xpath('//a[@class="quote"]')} <= {"feed/ferry", "wire/budget-ferry"}
    assert doc.xpath('//select[@name="source"]/option[@selected]/@value') == ["Wire"]
    doc = page(ask(web, "When did the Larkspur Line open?", as_of="2025-12-31"))
    published = doc.xpath('//ol[@class="citations"]//time/@datetime')
    assert published and all(p <= "2025-12-31" for p in published)


def test_collection_lists_by_date_with_filters_and_pages(web):
    doc = page(web.get("/collection"))
    dates = doc.xpath('//ol[@class="articles"]/li//time/@datetime')
    assert dates == sorted(dates, reverse=True) and len(dates) == 8
    assert text_of(doc.xpath('//p[@id="article-count"]')[0]) == "8 articles"
    first = page(web.get("/collection", params={"per_page": 3}))
    assert text_of(first.xpath('//p[@id="article-count"]')[0]) == "8 articles, page 1 of 3"
    [next_href] = first.xpath('//a[@rel="next"]/@href')
    second = page(web.get(next_href))
    assert second.xpath('//ol[@class="articles"]/li/a/@href') == doc.xpath('//ol[@class="articles"]/li/a/@href')[3:6]
    wire = page(web.get("/collection", params={"source": "Wire"}))
    assert sorted(wire.xpath('//ol[@class="articles"]/li//code/text()')) == ["feed/ferry", "wire/budget-ferry"]
    span = page(web.get("/collection", params={"after": "2025-06-01", "before": "2025-12-31"}))
    assert span.xpath('//ol[@class="articles"]/li//code/text()') == ["2025/tunnel-strike"]
    words = page(web.get("/collection", params={"text": "boring machine"}))
    assert words.xpath('//ol[@class="articles"]/li//code/text()') == ["2025/tunnel-strike"]
    for literal in ("%_", 'a" OR "b', "NEAR(a b)", "*"):  # neither LIKE wildcards nor FTS5 operators
        r = web.get("/collection", params={"text": literal})
        assert r.status_code == 200 and page(r).xpath('//ol[@class="articles"]/li') == [], literal


def test_collection_refuses_a_bad_filter_with_the_fix(web):
    r = web.get("/collection", params={"after": "soon"})
    assert r.status_code == 422 and "published from 'soon' is not a date; use YYYY-MM-DD" in text_of(page(r))
    r = web.get("/collection", params={"page": "0"})
    assert r.status_code == 422 and "give a page number from 1" in r.text


def test_collection_shows_the_index_and_what_changed_in_the_folder(web, web_indexed):
    doc = page(web.get("/collection"))
    assert doc.xpath('//dd[@id="generation"]/text()') == ["000001"]
    assert doc.xpath('//dd[@id="article-total"]/text()') == ["8"]
    assert "hash:64 (64 dimensions)" in text_of(doc)
    assert doc.xpath('//p[@id="no-changes"]')
    corpus = web_indexed / "corpus"
    later = time.time() + 5
    (corpus / "2026" / "new-one.txt").write_text("date 2026-06-01\n\nA new article arrived.\n")
    os.utime(corpus / "2026" / "new-one.txt", (later, later))
    os.utime(corpus / "2025" / "tunnel-strike.md", (later, later))
    (corpus / "feed.jsonl").unlink()
    changes = [text_of(li) for li in page(web.get("/collection")).xpath('//ul[@class="changes"]/li')]
    assert changes == ["added 2026/new-one.txt", "changed 2025/tunnel-strike.md", "removed feed.jsonl"]


def test_without_an_index_the_pages_say_how_to_build_one(tmp_path):
    (tmp_path / "corpus").mkdir()
    with web_client(tmp_path) as client:
        r = client.get("/")
        assert r.status_code == 503 and "build one with `footnote index`" in r.text
        r = client.get("/collection")
        assert r.status_code == 503 and "No index yet" in r.text
    make_index(make_web_corpus(tmp_path / "corpus"), tmp_path / "index")
    with web_client(tmp_path) as client:
        assert client.get("/").status_code == 200
