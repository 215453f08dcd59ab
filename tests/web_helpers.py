"""Shared by the web page tests: a corpus with a long article (its quote far below the fold),
a syndicated story in two sources, and an article written to attack the page; its index, an
app over it, and small HTML helpers (the fixtures `web_indexed` and `web` are in conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path

import lxml.html
from fastapi.testclient import TestClient

from api.app import create_app
from tests.conftest import ARTICLES, KEY, make_index, make_settings, write

DEPOT_PARAGRAPHS = [
    "Work on the Larkspur Line's maintenance depot moved into its second year this winter, with the steel "
    "frame of the main shed now visible from the Quarry Road bridge.",
    "The site, a former gravel yard, was chosen in 2024 because it sits beside the line's only level stretch "
    "of track and already had a road wide enough for delivery trucks.",
    "Contractors spent the first months draining the old pits and moving a storm sewer that ran beneath "
    "the yard, work the transit agency said cost less than expected.",
    "Neighbours on Alder Street asked for a noise wall after night shifts began in the spring; the agency "
    "agreed to build one and to end deliveries at ten in the evening.",
    "The depot's roof will carry solar panels over most of its area, enough, the agency says, to light "
    "the building and run the wash plant on a sunny day.",
    "Inside, three parallel tracks will lead to inspection pits, a wheel lathe and a paint bay, with a "
    "mezzanine for the control room and the drivers' break rooms.",
    "A training room will let new drivers practise on a simulator before they take a tram onto the line "
    "at night, when passenger service has stopped.",
    "The agency expects to hire about ninety people to work at the site, most of them technicians, "
    "cleaners and controllers who will work in three shifts.",
    "Several of those jobs will be filled through an apprenticeship programme run with the technical "
    "college on Mill Lane, which opened applications in January.",
    "Officials gave reporters a tour of the site on Wednesday, walking along the unfinished pits in hard "
    "hats while cranes lifted roof panels overhead.",
]
DEPOT = "The depot at Quarry Road will house forty-two trams and a workshop for the signalling crews."
DEPOT_AFTER = [
    "The first trams are due to arrive by lorry from the factory in late summer and will be tested on the "
    "depot's own short track before they run on the line.",
    "The agency said the building should be finished in the autumn, about two months before the line "
    "opens to passengers.",
    "Residents will be invited to an open day at the depot once the trams have arrived.",
]
DEPOT_QUESTION = "How many trams will the Quarry Road depot house?"
BUDGET = ("The regional budget committee voted on Thursday to keep the harbour ferry subsidy at "
          "three million dollars a year, after a long debate about fares and the winter timetable. "
          "Committee members said the subsidy would be reviewed again next spring.")
HOSTILE_TITLE = '<script>alert("title")</script> Hostile <b>headline</b>'
HOSTILE_TEXT = ('The hostile article mentions the <img src=x onerror="alert(1)"> zeppelin hangar. '
                '</div><script>alert("text")</script> The zeppelin hangar closed in <i>spring</i>.')

WEB_ARTICLES = {
    **ARTICLES,
    "2026/depot-report.md": "---\ntitle: Larkspur depot takes shape at Quarry Road\ndate: 2026-02-11\n"
                            "source: Valley Herald\n---\n" + "\n\n".join([*DEPOT_PARAGRAPHS, DEPOT, *DEPOT_AFTER]),
    "wire/budget-ferry.md": f"---\ntitle: Ferry subsidy kept\ndate: 2026-03-05\nsource: Wire\n---\n{BUDGET}\n",
    "herald/budget-ferry.md": f"---\ntitle: Committee keeps ferry subsidy\ndate: 2026-03-06\nsource: Valley Herald\n"
                              f"---\n{BUDGET} The Herald will follow the review.\n",
    "2026/hostile.json": json.dumps({"title": HOSTILE_TITLE, "date": "2026-04-01", "source": "<b>Evil</b> Source",
                                     "url": "javascript:alert(document.cookie)", "text": HOSTILE_TEXT}),
}


def make_web_corpus(root: Path) -> Path:
    return write(root, dict(WEB_ARTICLES))


def make_web_index(tmp: Path) -> Path:
    """tmp/corpus with the web corpus and tmp/index built over it."""
    make_web_corpus(tmp / "corpus")
    make_index(tmp / "corpus", tmp / "index")
    return tmp


def web_client(tmp: Path, **settings) -> TestClient:
    values = {"answer_threshold": 0.0, **settings}
    return TestClient(create_app(make_settings(tmp, **values)), base_url="http://testserver")


def page(response) -> lxml.html.HtmlElement:
    assert response.headers["content-type"].startswith("text/html"), response.headers["content-type"]
    return lxml.html.fromstring(response.text)


def text_of(element) -> str:
    return element.text_content()


def sign_in(client: TestClient, key: str = KEY) -> str:
    """Sign in through the form; returns the session's CSRF token (from the collection page)."""
    r = client.post("/key", data={"key": key, "next": "/collection"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    [token] = page(client.get("/collection")).xpath('//form[@action="/collection/reindex"]//input[@name="csrf"]/@value')
    return token
