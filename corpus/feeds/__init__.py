"""Feeds a curator lists in `feeds.toml`, polled politely and safely into the corpus folder as
Markdown (docs/feeds.md)."""

from corpus.feeds.config import FEEDS_FILE, Feed, FeedsFileError, add_feed, check_feed, find_feed, load_feeds, remove_feed
from corpus.feeds.poll import FeedReport, Poller, poll_feeds
from corpus.feeds.polite import PoliteFetcher

__all__ = ["FEEDS_FILE", "Feed", "FeedReport", "FeedsFileError", "PoliteFetcher", "Poller", "add_feed", "check_feed",
           "find_feed", "load_feeds", "poll_feeds", "remove_feed"]
