"""HTTP API (FastAPI): `create_app(settings)` in api.app, `footnote serve` in api.cli."""
