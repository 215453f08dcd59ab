"""The web page in a real browser: Debian's headless Chromium, driven by Playwright, against a
live `footnote serve` on 127.0.0.1. Ask, follow a quote into its article, see it highlighted and
scrolled into view, page through the collection, sign in and re-index, add an article; hostile
text stays text; labels, focus order, contrast and a phone-sized screen.

Skipped, with the reason, where Playwright or Chromium is missing; `./run test` installs both
when it can and then sets FOOTNOTE_BROWSER_TESTS=required, so that a browser that fails to start
fails these tests instead of skipping them. FOOTNOTE_SCREENSHOTS=DIR keeps the screenshots
(the README's come from `FOOTNOTE_SCREENSHOTS=docs`)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import httpx
import pytest

from tests.conftest import live_server
from tests.conftest import KEY
from tests.web_helpers import DEPOT, DEPOT_QUESTION, HOSTILE_TEXT, HOSTILE_TITLE, make_web_index

CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
TIMEOUT_MS = 15_000
DESKTOP = {"width": 1100, "height": 800}
PHONE = {"width": 375, "height": 740}


def _unavailable(reason: str):
    if os.environ.get("FOOTNOTE_BROWSER_TESTS") == "required":
        pytest.fail(f"{reason} (FOOTNOTE_BROWSER_TESTS=required)")
    pytest.skip(reason)


def chromium_path() -> str | None:
    return os.environ.get("FOOTNOTE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed; `pip install -e .[dev]` (./run test does it) to run the browser tests")
    executable = chromium_path()
    if executable is None:
        _unavailable("Chromium is not installed; `apt-get install -y chromium` (./run test does it as root) "
                     "or set FOOTNOTE_CHROMIUM to a Chromium binary")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_FLAGS,
                                             timeout=60_000)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> str:
    tmp = make_web_index(tmp_path_factory.mktemp("browser"))
    env = {"FOOTNOTE_API_KEYS": f'["{KEY}"]', "FOOTNOTE_RATE_LIMIT_PER_MINUTE": "0", "FOOTNOTE_ANSWER_THRESHOLD": "0"}
    with live_server(tmp, env) as url:
        yield url


@pytest.fixture
def tab(browser):
    """A fresh context (British English, London time) and page; fails the test on any script error."""
    context = browser.new_context(locale="en-GB", timezone_id="Europe/London", viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    yield page
    context.close()
    assert problems == []


def shot(page, name: str, tmp_path: Path, **options) -> None:
    folder = Path(os.environ.get("FOOTNOTE_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / name), **options)
    assert (folder / name).stat().st_size > 10_000


def ask(page, question: str, turn: int) -> None:
    page.get_by_role("textbox", name=re.compile(r"^(Follow-up q|Q)uestion$")).fill(question)
    page.keyboard.press("Enter")  # Enter asks (Shift+Enter would start a new line)
    page.locator(f"#turn-{turn}").wait_for()


def test_ask_follow_the_quote_and_see_it_highlighted_in_its_article(tab, base, tmp_path):
    from playwright.sync_api import expect

    tab.goto(base + "/")
    ask(tab, DEPOT_QUESTION, 1)
    want = httpx.post(f"{base}/v1/ask", json={"question": DEPOT_QUESTION}, timeout=30).json()
    quotes = tab.locator("#turn-1 a.quote")
    assert quotes.all_inner_texts() == [q["text"] for q in want["quotes"]]
    assert tab.locator("#turn-1 a.marker").all_inner_texts() == [f"[{q['n']}]" for q in want["quotes"]]
    assert tab.evaluate("document.activeElement.id") == "turn-1-question"  # focus moves to the new answer
    first = tab.locator("#turn-1 ol.citations li").first
    assert first.locator("a.title").inner_text() == want["citations"][0]["title"]
    assert first.locator("time").inner_text() == "11 Feb 2026"  # the reader's locale (en-GB)
    shot(tab, "web-answer.png", tmp_path)

    depot = tab.locator("#turn-1 a.quote", has_text=DEPOT).first
    href = depot.get_attribute("href")
    depot.click()
    tab.wait_for_url("**/articles/2026/depot-report?**")
    start, end = href.rsplit("#span-", 1)[1].split("-")
    mark = tab.locator(f"mark#span-{start}-{end}")
    expect(mark).to_have_text(DEPOT)
    expect(mark).to_be_in_viewport()
    assert tab.evaluate("window.scrollY") > 500  # it was scrolled to, far down the article
    assert tab.evaluate("document.activeElement.id") == f"span-{start}-{end}"
    text = httpx.get(f"{base}/v1/articles/2026/depot-report", timeout=30).json()["text"]
    assert tab.evaluate("document.getElementById('article-text').textContent") == text
    assert text[int(start):int(end)] == DEPOT
    shot(tab, "web-quote.png", tmp_path)


def test_follow_ups_keep_the_conversation(tab, base):
    tab.goto(base + "/")
    ask(tab, "Why did tunnel workers strike?", 1)
    assert tab.get_by_label("Follow-up question").is_visible()
    ask(tab, "what about the machine?", 2)
    assert tab.locator("article.turn").count() == 2
    assert tab.locator("#turn-2 a.quote").first.get_attribute("data-article") == "2025/tunnel-strike"
    history = tab.locator("#history").input_value()
    assert "Why did tunnel workers strike?" in history and "what about the machine?" in history
    tab.get_by_role("link", name="New conversation").click()
    assert tab.locator("article.turn").count() == 0


def test_page_through_and_filter_the_collection(tab, base):
    tab.goto(base + "/collection?per_page=3")
    assert tab.locator("#article-count").inner_text() == "8 articles, page 1 of 3"
    first_page = tab.locator("ol.articles li code").all_inner_texts()
    tab.get_by_role("link", name="Next page").click()
    assert tab.locator("#article-count").inner_text() == "8 articles, page 2 of 3"
    assert set(tab.locator("ol.articles li code").all_inner_texts()).isdisjoint(first_page)
    tab.get_by_role("link", name="Previous page").click()
    assert tab.locator("ol.articles li code").all_inner_texts() == first_page
    tab.get_by_label("Source").select_option("Wire")
    tab.get_by_role("button", name="Filter").click()
    assert tab.locator("#article-count").inner_text() == "2 articles"
    assert tab.locator("ol.articles li time").all_inner_texts() == ["5 Mar 2026", "5 Jan 2024"]
    assert tab.get_by_role("button", name="Re-index", exact=True).count() == 0  # not signed in


def test_sign_in_reindex_and_add_an_article_with_a_key(tab, base):
    tab.goto(base + "/collection")
    tab.get_by_role("link", name="Sign in with a write key").click()
    tab.get_by_label("API key").fill(KEY)
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_url("**/collection")
    tab.get_by_role("button", name="Re-index", exact=True).click()
    tab.wait_for_url("**/jobs/*")
    tab.locator('#job-status [data-status="succeeded"]').wait_for()  # the page's script follows the job
    assert "is now served" in tab.locator(".job-summary").inner_text()

    tab.goto(base + "/collection")
    tab.get_by_label("or a file").set_input_files(files=[{
        "name": "Night Ferry.md", "mimeType": "text/markdown",
        "buffer": b"---\ntitle: Night ferry returns\ndate: 2026-08-01\nsource: Wire\n---\n"
                  b"The night ferry returns to the harbour on Fridays.\n"}])
    tab.get_by_role("button", name="Add and re-index").click()
    tab.locator('#job-status [data-status="succeeded"]').wait_for()
    assert "1 added" in tab.locator(".job-summary").inner_text()
    tab.goto(base + "/collection?text=night+ferry")
    assert tab.locator("ol.articles li a.title").all_inner_texts() == ["Night ferry returns"]
    tab.get_by_role("button", name="Sign out").click()
    tab.goto(base + "/collection")
    assert tab.get_by_role("button", name="Re-index", exact=True).count() == 0


def test_hostile_article_text_stays_text_in_the_browser(tab, base):
    tab.goto(base + "/articles/2026/hostile")
    assert tab.locator("h1").inner_text() == HOSTILE_TITLE
    assert tab.evaluate("document.getElementById('article-text').textContent") == HOSTILE_TEXT
    assert tab.evaluate("document.scripts.length") == 1 and tab.locator("main img, main b").count() == 0
    tab.goto(base + "/")
    ask(tab, "What closed at the zeppelin hangar?", 1)  # added to the page by the script
    assert tab.locator("#turn-1 img, #turn-1 b").count() == 0
    assert HOSTILE_TITLE in tab.locator("#turn-1 ol.citations").inner_text()


CONTRAST = """selector => {
  const rgb = c => c.match(/[\\d.]+/g).map(Number);
  const lum = c => rgb(c).slice(0, 3).map(v => v / 255).map(v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)
                         .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const background = el => {
    for (let e = el; e; e = e.parentElement) {
      const c = getComputedStyle(e).backgroundColor, parts = rgb(c);
      if (parts.length < 4 || parts[3] > 0) return c;
    }
    return "rgb(255, 255, 255)";
  };
  return [...document.querySelectorAll(selector)].filter(el => el.offsetParent).map(el => {
    const [a, b] = [lum(getComputedStyle(el).color), lum(background(el))];
    return [el.tagName + "." + el.className, (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)];
  });
}"""
UNLABELLED = """() => [...document.querySelectorAll("input, select, textarea, button")]
  .filter(el => el.type !== "hidden" && !(el.labels && el.labels.length) && !el.getAttribute("aria-label")
                && !(el.tagName === "BUTTON" && el.textContent.trim()))
  .map(el => el.outerHTML)"""


def test_keyboard_labels_contrast_and_a_phone_screen(tab, base, browser):
    tab.goto(base + "/")
    tab.keyboard.press("Tab")
    assert tab.evaluate("document.activeElement.textContent") == "Skip to content"
    tab.keyboard.press("Enter")
    assert tab.evaluate("document.activeElement.id") == "main"
    order = []
    for _ in range(8):  # a date field takes one Tab for each of its parts
        tab.keyboard.press("Tab")
        focused = tab.evaluate("document.activeElement.id || document.activeElement.textContent")
        if not order or order[-1] != focused:
            order.append(focused)
    assert order[:4] == ["question", "as_of", "source", "Ask"], order
    for path in ("/", "/collection", "/articles/2026/depot-report?span=10-40", "/key"):
        tab.goto(base + path)
        assert tab.evaluate(UNLABELLED) == [], path
        ratios = tab.evaluate(CONTRAST, "body, a, p, dt, dd, label, button, mark, time, code, .hint, .details")
        assert ratios and min(r for _, r in ratios) >= 4.5, sorted(ratios, key=lambda r: r[1])[:3]
    phone = browser.new_context(locale="en-GB", viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        small = phone.new_page()
        for path in ("/", "/collection", "/articles/2026/depot-report?span=10-40", "/articles/2026/hostile"):
            small.goto(base + path)
            assert small.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
    finally:
        phone.close()
