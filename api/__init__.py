"""HTTP API (FastAPI): to come."""
