"""The Gaps page in a real browser (Debian's Chromium through Playwright, as tests/test_web_browser.py
runs it) against a live `footnote serve`: questions the Ask page and the API declined appear as
one gap to a signed-in curator, with its nearest articles; nobody else sees the page; once an
article answers the gap and the index is rebuilt, it leaves the list and shows as closed."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import KEY, live_server, write
from tests.test_gaps_core import POOL, POOL_ARTICLE, ZOO
from tests import test_web_browser as web_browser
from tests.test_web_browser import CONTRAST, PHONE, UNLABELLED, ask, shot
from tests.web_helpers import make_web_index

browser, tab = web_browser.browser, web_browser.tab  # the same fixtures: Chromium once per module, a fresh tab per test


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """(base URL, the served folder): the retriever alone, declining below 0.45 (the web corpus is larger)."""
    tmp = make_web_index(tmp_path_factory.mktemp("gaps-browser"))
    env = {"FOOTNOTE_API_KEYS": f'["{KEY}"]', "FOOTNOTE_RATE_LIMIT_PER_MINUTE": "0",
           "FOOTNOTE_ANSWER_THRESHOLD": "0.45", "FOOTNOTE_READER": "off"}
    with live_server(tmp, env) as url:
        yield url, tmp


def sign_in(page, base: str) -> None:
    page.goto(base + "/gaps")
    page.wait_for_url("**/key?next=%2Fgaps")  # signed out: the page asks for a key first
    page.get_by_label("API key").fill(KEY)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/gaps")


def test_declined_questions_become_one_gap_that_closes_when_an_article_answers_it(tab, site, tmp_path):
    base, folder = site
    tab.goto(base + "/")
    assert tab.get_by_role("link", name="Gaps").count() == 0  # not offered to readers
    ask(tab, POOL[0], 1)
    assert tab.locator("#turn-1 .answer.abstained").count() == 1
    ask(tab, POOL[1], 2)
    assert httpx.post(f"{base}/v1/ask", json={"question": POOL[2]}, timeout=30).json()["abstained"]
    httpx.post(f"{base}/v1/ask", json={"question": ZOO[0]}, timeout=30)

    sign_in(tab, base)
    assert tab.get_by_role("link", name="Gaps").get_attribute("aria-current") == "page"
    gaps = tab.locator("ol.gaps > li")
    assert tab.locator("#gap-count").inner_text() == "2 gaps in the last 7 days"
    pool = gaps.first
    assert pool.locator("h2").inner_text() in POOL and pool.locator(".asked").inner_text() == "3"
    questions = pool.locator("ul.questions > li")
    assert sorted(q.split(" · ")[0] for q in questions.all_inner_texts()) == sorted(POOL)
    assert sorted(q.split(" · ")[2] for q in questions.all_inner_texts()) == ["api", "web", "web"]
    assert gaps.nth(1).locator("h2").inner_text() == ZOO[0]
    nearest = pool.locator("ul.related a")
    assert nearest.count() >= 1
    shot(tab, "web-gaps.png", tmp_path, full_page=True)
    title = nearest.first.inner_text()
    nearest.first.click()
    tab.wait_for_url("**/articles/**")
    assert tab.locator("h1").inner_text() == title

    write(folder / "corpus", {"2026/pool.md": POOL_ARTICLE})
    tab.goto(base + "/collection")
    tab.get_by_role("button", name="Re-index", exact=True).click()
    tab.locator('#job-status [data-status="succeeded"]').wait_for()
    tab.goto(base + "/gaps")
    assert tab.locator("ol.gaps > li h2").all_inner_texts() == [ZOO[0]]
    tab.get_by_label("Closed gaps too").check()
    tab.get_by_role("button", name="Show").click()
    tab.wait_for_url("**/gaps?since=7d&closed=on")
    closed = tab.locator("ol.gaps > li.closed")
    assert closed.locator("h2").inner_text() in POOL
    assert "closed" in closed.locator(".state").inner_text()
    assert closed.locator(".state a").inner_text() == "2026/pool"


def test_the_gaps_page_is_labelled_readable_and_fits_a_phone(tab, site, browser):
    base, _ = site
    httpx.post(f"{base}/v1/ask", json={"question": ZOO[1]}, timeout=30)
    sign_in(tab, base)
    assert tab.evaluate(UNLABELLED) == []
    ratios = tab.evaluate(CONTRAST, "body, a, p, label, button, time, h2, li, .details")
    assert ratios and min(r for _, r in ratios) >= 4.5, sorted(ratios, key=lambda r: r[1])[:3]
    cookies = tab.context.cookies()
    phone = browser.new_context(locale="en-GB", viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        phone.add_cookies(cookies)
        small = phone.new_page()
        small.goto(base + "/gaps?since=")
        assert small.locator("ol.gaps > li").count() >= 1
        assert small.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        phone.close()
