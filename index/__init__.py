"""Embedding, the index on disk, retrieval, and answers with citations."""
