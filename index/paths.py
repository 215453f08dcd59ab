"""Where things are by default: the demo collection and the project's own index folder."""

from __future__ import annotations

from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parents[1]
DEMO_CORPUS = PACKAGE_ROOT / "corpus" / "demo"


def default_index_dir() -> Path:
    """`.footnote/index` in the source checkout (git-ignored), else in the working folder."""
    base = PACKAGE_ROOT if (PACKAGE_ROOT / "pyproject.toml").exists() else Path.cwd()
    return base / ".footnote" / "index"
