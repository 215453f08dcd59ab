"""`python -m bot.build_worker CORPUS INDEX MODEL STORE`: one re-index for the bot, in its own
process, into the bot's store (STORE: "" for the index folder, or a Milvus address; index/stores.py).

The bot's question embedder runs on one thread (best for one question at a time) and the
thread count is per process, so a build in the bot's process would embed on one core and
compete with the event loop for the interpreter. Here it gets every core. It reports on
stdout, one JSON object a line: {"stage", "done", "total"} as it goes, then {"summary": ...}
or {"error": "..."}.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from pathlib import Path

from index.embed import load_embedder
from index.stores import open_store

REPORT_EVERY_S = 0.5


def report(**event) -> None:
    print(json.dumps(event), flush=True)


def main(argv: list[str]) -> int:
    corpus, index, model, address = argv
    last = [0.0]

    def note(stage: str, done: int, total: int) -> None:
        if done >= total or time.monotonic() - last[0] >= REPORT_EVERY_S:
            last[0] = time.monotonic()
            report(stage=stage, done=done, total=total)

    try:
        summary = open_store(Path(index), address).build(Path(corpus), load_embedder(model), 60.0, progress=False,
                                                         on_progress=note)
    except Exception as exc:  # noqa: BLE001 - a process boundary: the bot shows the message
        traceback.print_exc()
        report(error=str(exc) or type(exc).__name__)
        return 2
    report(summary=summary.as_dict())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
