"""Article metadata as curators write it: a YAML reader that cannot be made to blow up, and
one type and size limit per field, checked the same way for every format."""

from __future__ import annotations

import datetime as dt

import yaml

from corpus.article import ArticleError

MAX_FRONT_MATTER_BYTES = 64 * 1024
MAX_TAGS = 100
# Characters each field may hold; a longer value is refused with the limit and the field.
LIMITS = {"title": 1000, "url": 2048, "source": 200, "author": 500, "tag": 100, "date": 100, "id": 200}


class MetaLoader(yaml.SafeLoader):
    """YAML without aliases (a few hundred bytes of `*a` can expand to gigabytes) and without
    implicit timestamps (`2024-02-30` stays text, so a bad date is reported, not a crash)."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.composer.ComposerError(
                None, None, "an alias (`*name`) is not allowed in front matter; write the value out", mark)
        return super().compose_node(parent, index)


MetaLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_front_matter(block: str) -> dict:
    """The front matter block as a mapping; ArticleError says what is wrong and the fix."""
    if len(block.encode("utf-8", "surrogatepass")) > MAX_FRONT_MATTER_BYTES:
        raise ArticleError(f"front matter is over {MAX_FRONT_MATTER_BYTES // 1024} KiB; keep it to "
                           "title, date, url, source, author and tags")
    try:
        meta = yaml.load(block, Loader=MetaLoader)  # noqa: S506 - MetaLoader is a SafeLoader
    except yaml.YAMLError as exc:
        raise ArticleError(f"front matter is not valid YAML ({_first_line(exc)}); "
                           "fix the block between the `---` lines") from None
    except RecursionError:
        raise ArticleError("front matter is nested too deeply; write plain `key: value` lines") from None
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        raise ArticleError(f"front matter is a YAML {_kind(meta)}, not a mapping; write `key: value` "
                           "lines such as `title: ...` and `date: YYYY-MM-DD`")
    return meta


def text_field(meta: dict, name: str) -> str | None:
    """A one-line text field (title, url, source, author): whitespace collapsed, within its limit."""
    value = meta.get(name)
    if value is None:
        return None
    text = " ".join(_scalar_text(value, name).split())
    _check_length(text, name)
    return text or None


def date_field(meta: dict) -> object:
    """The raw `date` (or `published`) value: text, a date, or None; the date parser reads it."""
    value = meta.get("date") if meta.get("date") is not None else meta.get("published")
    if value is None or isinstance(value, (dt.date, str)):
        if isinstance(value, str):
            _check_length(value.strip(), "date")
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArticleError(f"`date` is a {_kind(value)}; write it as YYYY-MM-DD")
    return str(value)  # a bare year such as 2026 is read (and refused) as text


def tags_field(meta: dict) -> tuple[str, ...]:
    """Tags from a list or a comma-separated string; at most MAX_TAGS short strings."""
    value = meta.get("tags")
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        items = [t.strip() for t in value.split(",")]
    elif isinstance(value, list):
        items = [" ".join(_scalar_text(t, "tags").split()) for t in value]
    else:
        raise ArticleError(f"`tags` is a {_kind(value)}; write a list (`tags: [ports, ferries]`) "
                           "or comma-separated text")
    tags = tuple(t for t in items if t)
    if len(tags) > MAX_TAGS:
        raise ArticleError(f"`tags` has {len(tags)} entries, over the limit of {MAX_TAGS}; keep the main ones")
    for tag in tags:
        _check_length(tag, "tag")
    return tags


def record_id(value: object) -> str:
    """A JSON record's own `id` as text: a string or a number, within its limit."""
    text = _scalar_text(value, "id").strip()
    _check_length(text, "id")
    return text


def _scalar_text(value: object, name: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise ArticleError(f"`{name}` is a {_kind(value)}; write it as text")


def _check_length(text: str, name: str) -> None:
    limit = LIMITS[name]
    if len(text) > limit:
        raise ArticleError(f"`{name}` is {len(text):,} characters long, over the limit of {limit:,}; shorten it")


def _kind(value: object) -> str:
    kinds = {bool: "true/false value", int: "number", float: "number", list: "list", dict: "mapping",
             bytes: "binary value"}
    return next((k for t, k in kinds.items() if isinstance(value, t)), type(value).__name__)


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0]
