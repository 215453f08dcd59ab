"""The documentation a newcomer reads: the README and docs/. Every link in them leads somewhere
that exists (a file, and the heading an anchor names), and every setting of every entry point
is documented: each flag of each `footnote` command, each FOOTNOTE_* variable the API and the
bot read."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from api.settings import Settings
from bot.settings import BotSettings
from index.cli.main import build_parser

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "index/reader/bundled/MODEL_CARD.md"]
LINK = re.compile(r"!?\[(?:[^\[\]\n]|\[[^\]\n]*\])*\]\(([^)\s]+)\)")
# A file of this repository named in the text: `docs/quality.md`, tests/test_bot_ask.py, ...
NAMED = re.compile(r"(?<![\w./-])((?:docs|tests|bench|index|api|bot|corpus|\.ci)/[\w./-]*\w\.(?:py|md|jsonl?|png|html|js|onnx))\b")


def text_of(*names: str) -> str:
    return "\n".join((ROOT / name).read_text() for name in names)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    heading = re.sub(r"[`*_]", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", heading).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    return {slug(line.lstrip("#")) for line in page.read_text().splitlines() if line.startswith("#")}


def links() -> list[tuple[Path, str]]:
    found = []
    for page in PAGES:
        in_code = False
        for line in page.read_text().splitlines():
            if line.startswith("```"):
                in_code = not in_code
            if in_code:
                continue
            for match in LINK.finditer(re.sub(r"`[^`]*`", "", line)):
                found.append((page, match.group(1)))
    return found


def test_the_readme_fits_on_a_screen_or_two_and_leads_to_the_rest():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.encode()) <= 12 * 1024
    assert readme.startswith("# Footnote\n\n```sh\n./run demo")
    for doc in ("articles", "index", "answers", "http-api", "web", "discord", "scale-out", "quality", "benchmarks"):
        assert f"(docs/{doc}.md)" in readme, doc


@pytest.mark.parametrize("page, target", [(p, t) for p, t in links() if not re.match(r"(https?|mailto):", t)],
                         ids=lambda v: v.name if isinstance(v, Path) else v)
def test_every_link_in_the_docs_resolves(page, target):
    path, _, anchor = target.partition("#")
    goal = (page.parent / path).resolve() if path else page
    assert goal.exists(), f"{page.relative_to(ROOT)} links to {target}, which does not exist"
    if anchor and goal.suffix == ".md":
        assert anchor in anchors(goal), f"{page.relative_to(ROOT)} links to #{anchor}, a heading {goal.name} lacks"


def test_every_file_the_docs_name_exists():
    """A path written in the text (`bot/curator_channel.py`, docs/quality.md) is a path from the
    repository's root, and the file is there: a rename that forgot the docs fails here."""
    stale = sorted({f"{page.relative_to(ROOT)}: {name}" for page in PAGES
                    for name in NAMED.findall(page.read_text()) if not (ROOT / name).exists()})
    assert not stale, "the docs name files that do not exist:\n" + "\n".join(stale)


def commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


@pytest.mark.parametrize("command", sorted(commands()))
def test_every_flag_of_every_command_is_documented(command):
    documented = "\n".join(page.read_text() for page in PAGES)
    flags = {o for a in commands()[command]._actions for o in a.option_strings if o.startswith("--") and o != "--help"}
    assert flags, command
    missing = sorted(f for f in flags if not re.search(re.escape(f) + r"(?![\w-])", documented))
    assert not missing, f"`footnote {command}` flags nowhere in README.md or docs/: {missing}"


def test_every_api_setting_is_in_the_http_api_page():
    page = text_of("docs/http-api.md")
    missing = [f"FOOTNOTE_{n.upper()}" for n in Settings.model_fields if f"FOOTNOTE_{n.upper()}" not in page]
    assert not missing, f"docs/http-api.md does not document {missing}"


def test_every_bot_setting_and_flag_is_in_the_discord_page():
    page = text_of("docs/discord.md")
    missing = [f"FOOTNOTE_{n.upper()}" for n in BotSettings.model_fields if f"FOOTNOTE_{n.upper()}" not in page]
    assert not missing, f"docs/discord.md does not document {missing}"
    for flag in ("--sync", "--guild", "--clear", "--invite-url", "--api", "--api-key", "--export-feedback"):
        assert re.search(rf"{flag}\b", page), flag


def test_the_shared_settings_have_one_name_in_every_entry_point():
    """A shared setting is one variable: every command's flag defaults to it, and the API reads it."""
    from index.defaults import COMMON_ENV

    for name, variable in COMMON_ENV.items():
        assert variable == f"FOOTNOTE_{name.upper()}", name
    for name in ("corpus", "index", "model", "store", "reader"):
        assert name in Settings.model_fields, name
        for command, parser in commands().items():
            assert f"--{name}" in parser.format_help(), (command, name)
