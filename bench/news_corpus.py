"""Build the corpus folder of the news dev set (docs/news-dev) from Reuters-21578.

Reads the Reuters JSONL and writes one article file per NEWID listed in
docs/news-dev/articles.txt, as `reuters/<newid>.json`, so Footnote gives it the id
`reuters/<newid>`. The folder is built beside the target and renamed into place, and a
hidden stamp (sha256 of the list and of the data file) lets an up-to-date folder be reused.
Without the data file it says so and exits 0.

    python bench/news_corpus.py [--data PATH] [--out DIR] [--articles FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "reuters-21578" / "reuters21578.jsonl"
ARTICLES = ROOT / "docs" / "news-dev" / "articles.txt"
OUT = ROOT / ".footnote" / "eval" / "news-dev" / "corpus"
STAMP = ".news-corpus-stamp"  # hidden: Footnote does not read dot-files


def read_ids(path: Path) -> list[int]:
    """The NEWIDs of an articles list: one a line, `#` starts a comment, blank lines ignored."""
    ids: list[int] = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        if not text.isdigit():
            raise ValueError(f"{path}:{lineno}: {text!r} is not a NEWID; write one number a line")
        ids.append(int(text))
    return list(dict.fromkeys(ids))


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def stamp_for(articles: Path, data: Path) -> str:
    return json.dumps({"articles_sha256": sha256(articles), "data_sha256": sha256(data)}, sort_keys=True)


def is_up_to_date(out: Path, stamp: str) -> bool:
    try:
        return (out / STAMP).read_text(encoding="utf-8") == stamp
    except OSError:
        return False


def select_records(data: Path, ids: list[int]) -> dict[int, dict]:
    """The Reuters records with the wanted NEWIDs; a listed id without body or date is an error."""
    wanted, found = set(ids), {}
    with open(data, encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if record.get("newid") in wanted:
                found[record["newid"]] = record
    missing = sorted(wanted - found.keys())
    if missing:
        raise ValueError(f"{len(missing)} listed NEWIDs are not in {data}: {missing[:10]}")
    empty = sorted(i for i, r in found.items() if not (r.get("body") or "").strip() or not r.get("date_iso"))
    if empty:
        raise ValueError(f"{len(empty)} listed NEWIDs have no body or no date: {empty[:10]}")
    return found


def article(record: dict) -> dict:
    """A Footnote JSON article: the title as the wire printed it, the ISO date, the body."""
    return {"title": record.get("title") or None, "date": record["date_iso"],
            "source": "Reuters", "text": record["body"]}


def write_corpus(out: Path, records: dict[int, dict], stamp: str) -> None:
    """Write the folder beside `out`, then swap it in; a failed build leaves `out` as it was."""
    out.parent.mkdir(parents=True, exist_ok=True)
    build = Path(tempfile.mkdtemp(prefix=f".{out.name}-build-", dir=out.parent))
    try:
        folder = build / "reuters"
        folder.mkdir()
        for newid, record in sorted(records.items()):
            text = json.dumps(article(record), ensure_ascii=False, indent=1) + "\n"
            (folder / f"{newid}.json").write_text(text, encoding="utf-8")
        (build / STAMP).write_text(stamp, encoding="utf-8")
        swap_in(build, out)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise


def swap_in(build: Path, out: Path) -> None:
    """Replace `out` by `build` with renames only (a folder cannot be replaced in one step)."""
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}-old-{build.name}")
        out.rename(old)
    build.rename(out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def build_corpus(data: Path, articles: Path, out: Path) -> str:
    """Bring `out` up to date with the list and the data; return what was done, in words."""
    ids = read_ids(articles)
    stamp = stamp_for(articles, data)
    if is_up_to_date(out, stamp):
        return f"up to date: {len(ids)} articles in {out}"
    write_corpus(out, select_records(data, ids), stamp)
    return f"wrote {len(ids)} articles to {out}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA, help="Reuters-21578 JSONL (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=OUT, help="corpus folder to write (default: %(default)s)")
    parser.add_argument("--articles", type=Path, default=ARTICLES, help="NEWID list (default: %(default)s)")
    args = parser.parse_args(argv)
    if not args.data.is_file():
        print(f"news corpus: {args.data} not found; skipped (nothing written)")
        return 0
    try:
        print(build_corpus(args.data, args.articles, args.out))
    except (OSError, ValueError) as exc:
        print(f"news corpus: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
