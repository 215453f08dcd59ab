"""Articles: parsing the supported formats, sentences and chunks with exact offsets."""

from corpus.article import Article, ArticleError, Chunk

__all__ = ["Article", "ArticleError", "Chunk"]
