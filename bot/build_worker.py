"""`python -m bot.build_worker CORPUS INDEX MODEL [STORE]`: one re-index for the bot, in its own
process (with STORE, a Milvus store, published there: index/milvus_build.py).

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

from index.build import build_index
from index.embed import load_embedder

REPORT_EVERY_S = 0.5


def report(**event) -> None:
    print(json.dumps(event), flush=True)


def main(argv: list[str]) -> int:
    corpus, index, model, *store = argv
    last = [0.0]

    def note(stage: str, done: int, total: int) -> None:
        if done >= total or time.monotonic() - last[0] >= REPORT_EVERY_S:
            last[0] = time.monotonic()
            report(stage=stage, done=done, total=total)

    try:
        if store:
            from index.milvus_build import build_into_milvus

            summary = build_into_milvus(store[0], Path(corpus), Path(index), load_embedder(model), 60.0,
                                        progress=False, on_progress=note)
        else:
            summary = build_index(Path(corpus), Path(index), load_embedder(model), progress=False, on_progress=note)
    except Exception as exc:  # noqa: BLE001 - a process boundary: the bot shows the message
        traceback.print_exc()
        report(error=str(exc) or type(exc).__name__)
        return 2
    report(summary=summary.as_dict())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
