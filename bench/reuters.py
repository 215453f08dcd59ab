"""Reuters-21578 as Footnote corpus records, for the benchmarks (no heavy imports: the load
generators import it too)."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REUTERS = ROOT.parent / "shared" / "data" / "reuters-21578" / "reuters21578.jsonl"


def reuters_records(limit: int) -> list[dict]:
    """The first `limit` Reuters records with a body, as Footnote corpus records."""
    records = []
    with open(REUTERS, encoding="utf-8") as handle:
        for line in handle:
            raw = json.loads(line)
            if not (raw.get("body") or "").strip():
                continue
            records.append({"id": raw["newid"], "title": raw.get("title"), "date": raw.get("date_iso"),
                            "source": "Reuters", "text": raw["body"]})
            if len(records) == limit:
                break
    return records


def write_jsonl(path: Path, records: list[dict]) -> None:
    """Records as one JSON Lines collection file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
