"""Prometheus metrics: requests and latencies by route (the instrumentator), answers and
abstentions, rebuild durations, and the served generation read when scraped."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_fastapi_instrumentator import Instrumentator

from api.security import Reader
from index.search import LiveIndex
from index.store import IndexUnavailable


class ApiMetrics:
    """The API's own metrics, on a registry of their own (one per app, so tests can make many)."""

    def __init__(self):
        self.registry = CollectorRegistry()
        self.answers = Counter("footnote_answers", "Answers given, by outcome (answered or abstained)",
                               ["outcome", "endpoint"], registry=self.registry)
        self.rebuilds = Histogram("footnote_rebuild_duration_seconds", "Index build jobs, by final state",
                                  ["state"], registry=self.registry,
                                  buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600))
        self._index = _IndexCollector()
        self.registry.register(self._index)

    def count_answer(self, abstained: bool, endpoint: str) -> None:
        self.answers.labels("abstained" if abstained else "answered", endpoint).inc()

    def observe_rebuild(self, duration_s: float, state: str) -> None:
        self.rebuilds.labels(state).observe(duration_s)

    def watch_index(self, live: LiveIndex | None) -> None:
        self._index.live = live

    def instrument(self, app: FastAPI) -> None:
        """Per-route request counts and latencies, served at /metrics."""
        Instrumentator(registry=self.registry, excluded_handlers=["/metrics"]).instrument(app).expose(
            app, endpoint="/metrics", include_in_schema=True, tags=["health"], response_class=PlainTextResponse,
            dependencies=[Reader],  # under FOOTNOTE_READ_REQUIRES_KEY, a key too
            summary="Prometheus metrics", description="Requests and latencies by route, answers and "
            "abstentions, index generation and counts, rebuild durations (Prometheus text format).")


class _IndexCollector:
    """The served generation's number and counts, read at scrape time."""

    live: LiveIndex | None = None

    def collect(self):
        if self.live is None:
            return
        try:
            generation = self.live.current()
        except IndexUnavailable:
            return
        for name, help_text, value in (
                ("footnote_index_generation", "Number of the generation being served", int(generation.name)),
                ("footnote_index_chunks", "Chunks in the served generation", generation.chunk_count()),
                ("footnote_index_articles", "Articles in the served generation", generation.article_count())):
            yield GaugeMetricFamily(name, help_text, value=value)
