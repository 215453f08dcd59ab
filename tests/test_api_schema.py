"""A property-based run of schemathesis over the OpenAPI schema: no input, valid or not, makes
a 500, and responses match the schema they are documented with.

Each operation gets its own bounded hypothesis run, driven here directly: schemathesis's lazy
pytest fixture loader does not work with this pytest (it reads a private `_nodeid`)."""

from __future__ import annotations

import itertools
import re

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from api.app import create_app
from tests.conftest import WRITE, make_corpus, make_index, make_settings

EXAMPLES = 25  # per operation and mode (valid and invalid input); about 20 operations
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def test_no_input_makes_a_server_error(tmp_path):
    make_corpus(tmp_path / "corpus")
    make_index(tmp_path / "corpus", tmp_path / "index")
    app = create_app(make_settings(tmp_path))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures, tried = {}, []
    for result, mode in itertools.product(schema.get_all_operations(), GenerationMode):
        operation = result.ok()

        @given(case=operation.as_strategy(mode))
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            # With the key, so that writes are exercised too (in this throwaway corpus).
            case.call_and_validate(headers=WRITE, checks=CHECKS)

        try:
            run()
        except Unsatisfiable:
            continue  # an operation without parameters has no invalid input to send
        except Exception as exc:  # collect them all: one report naming every failing operation
            failures[f"{operation.label} ({mode.value})"] = f"{type(exc).__name__}: {str(exc)[:2000]}"
        tried.append(operation.label)
    assert len(tried) >= 15 and "POST /v1/ask" in tried and "POST /v1/chat/completions" in tried
    assert not failures, "\n\n".join(f"{label}\n{text}" for label, text in failures.items())
    with TestClient(app) as client:  # and the API still stands afterwards
        assert client.get("/healthz").status_code == 200


def test_the_answer_is_validated_against_its_documented_shape(tmp_path, monkeypatch):
    """If the core's answer object drifts from the documented one, the API refuses to send it
    (and the drift shows in the tests) instead of sending an undocumented shape."""
    from index.answer import Answer

    make_corpus(tmp_path / "corpus")
    make_index(tmp_path / "corpus", tmp_path / "index")
    with TestClient(create_app(make_settings(tmp_path)), raise_server_exceptions=False) as client:
        assert client.post("/v1/ask", json={"question": "ferry"}).status_code == 200
        original = Answer.as_dict
        monkeypatch.setattr(Answer, "as_dict", lambda self: {**original(self), "undocumented": 1})
        assert client.post("/v1/ask", json={"question": "ferry"}).status_code == 500


def test_the_interactive_docs_load_nothing_from_elsewhere(client):
    """/docs must work offline: every script and stylesheet it names is served here, and its
    Content-Security-Policy lets no other origin in and no inline script run."""
    r = client.get("/docs")
    assert r.status_code == 200
    policy = r.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "default-src 'none'" in policy and "http" not in policy
    assets = re.findall(r'(?:src|href)="([^"]+)"', r.text)
    assert len(assets) == 3 and all(a.startswith("/") and not a.startswith("//") for a in assets), assets
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
    assert "<script>" not in r.text  # no inline script: the start script is a file
    assert "/openapi.json" in client.get("/docs/start.js").text
    assert client.get("/redoc").status_code == 404  # ReDoc would fetch its script from a CDN
