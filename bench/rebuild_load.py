"""Questions while the index changes: many concurrent POST /v1/ask against a live `footnote serve`
while a full rebuild (POST /v1/index/rebuild?full=true) and an article PUT run.

Prints figures, judges nothing: errors (any non-200 or transport failure; the promise is
zero), latency before and during the rebuild, and the generations the answers came from
(they must move from the old one to the new one without a gap). Bounded: every client sends
at most --requests questions and stops --seconds after the rebuild finished.

    .venv/bin/python bench/rebuild_load.py [--articles 2000] [--clients 32] [--model hash] [--json]

Skips (exit 0) when ../shared/data/reuters-21578 is absent.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api_load import REUTERS, ROOT, free_port, percentile, prepare, start_server  # noqa: E402

WORK = ROOT / ".footnote" / "bench" / "rebuild-load"
KEY = "bench-key-0123456789abcdefghij"


async def ask_loop(client, questions: list[str], seen: list[tuple[float, str, int, float]],
                   stop: asyncio.Event, requests: int, offset: int) -> None:
    """One client: questions one after another until `stop` or `requests`; (time, generation,
    status, ms) per answer, status 0 for a transport failure."""
    import httpx

    for i in range(requests):
        if stop.is_set():
            return
        started = time.perf_counter()
        try:
            r = await client.post("/v1/ask", json={"question": questions[(offset + i) % len(questions)]})
            generation = r.json().get("generation", "") if r.status_code == 200 else ""
            status = r.status_code
        except (httpx.HTTPError, ValueError):
            generation, status = "", 0
        seen.append((started, generation, status, (time.perf_counter() - started) * 1000))


async def change_the_index(client, corpus: Path, seconds_after: float, stop: asyncio.Event) -> dict:
    """Wait a little, then queue a full rebuild and PUT an article; poll until both jobs end."""
    await asyncio.sleep(2.0)
    began = time.perf_counter()
    rebuild = (await client.post("/v1/index/rebuild", params={"full": "true"}, headers={"X-API-Key": KEY})).json()
    put = (await client.put("/v1/articles/bench/added-during-load", headers={"X-API-Key": KEY},
                            json={"title": "Added during load", "date": "1987-10-20",
                                  "text": "An article written while questions were being answered."})).json()
    jobs = {}
    for job in (rebuild, put["job"]):
        while True:  # bounded by the build's own end; the server reports failures as a status
            state = (await client.get(f"/v1/index/jobs/{job['id']}")).json()
            if state["status"] in ("succeeded", "failed"):
                jobs[job["id"]] = state
                break
            await asyncio.sleep(0.2)
    ended = time.perf_counter()
    await asyncio.sleep(seconds_after)
    stop.set()
    (corpus / "bench" / "added-during-load.json").unlink(missing_ok=True)
    return {"began": began, "ended": ended, "jobs": list(jobs.values())}


async def run(base: str, corpus: Path, questions: list[str], clients: int, requests: int, after: float) -> dict:
    import httpx

    seen: list[tuple[float, str, int, float]] = []
    stop = asyncio.Event()
    limits = httpx.Limits(max_connections=clients + 2, max_keepalive_connections=clients + 2)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:
        changes, *_ = await asyncio.gather(
            change_the_index(client, corpus, after, stop),
            *(ask_loop(client, questions, seen, stop, requests, i) for i in range(clients)))
    return summarise(seen, changes)


def summarise(seen, changes: dict) -> dict:
    began, ended = changes["began"], changes["ended"]
    before = [ms for t, _, s, ms in seen if t < began and s == 200]
    during = [ms for t, _, s, ms in seen if began <= t <= ended and s == 200]
    order = [g for _, g, s, _ in sorted(seen) if s == 200]
    switches = sum(1 for a, b in zip(order, order[1:]) if a != b)
    return {"requests": len(seen), "errors": sum(1 for _, _, s, _ in seen if s != 200),
            "during_rebuild": len(during), "rebuild_s": round(ended - began, 2),
            "p50_before_ms": percentile(before, 0.5) if before else None,
            "p50_during_ms": percentile(during, 0.5) if during else None,
            "p99_during_ms": percentile(during, 0.99) if during else None,
            "generations": sorted(set(order)), "generation_switches": switches,
            "jobs": [{"reason": j["reason"], "status": j["status"], "error": j["error"]} for j in changes["jobs"]]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2000, help="Reuters articles to index (default 2000)")
    parser.add_argument("--clients", type=int, default=32, help="concurrent askers (default 32)")
    parser.add_argument("--requests", type=int, default=2000, help="most questions per client (default 2000)")
    parser.add_argument("--after", type=float, default=2.0, help="seconds of load after the jobs end (default 2)")
    parser.add_argument("--model", default="hash", help="embedding model (default `hash`: Footnote's own work)")
    parser.add_argument("--work", type=Path, default=WORK, help=f"kept between runs (default {WORK})")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args(argv)
    if not REUTERS.is_file():
        print(f"skipped: {REUTERS} is absent (see ../shared/data/README.md)")
        return 0
    corpus, index, questions, build = prepare(args.articles, args.model, args.work)
    port = free_port()
    os.environ["FOOTNOTE_API_KEYS"] = json.dumps([KEY])
    server = start_server(corpus, index, args.model, port)
    try:
        result = asyncio.run(run(f"http://127.0.0.1:{port}", corpus, questions, args.clients, args.requests,
                                 args.after))
    finally:
        server.terminate()
        server.wait(timeout=60)
    result.update(articles=build["articles"], chunks=build["chunks"], clients=args.clients, model=args.model,
                  cpus=os.cpu_count())
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"Reuters-21578, {result['articles']} articles, {result['chunks']} chunks, model {args.model}, "
          f"{result['cpus']} CPUs, {args.clients} clients")
    print(f"{result['requests']} questions, {result['errors']} errors; {result['during_rebuild']} asked during the "
          f"{result['rebuild_s']} s of rebuild + PUT")
    print(f"p50 before {result['p50_before_ms'] or 0:.1f} ms, during {result['p50_during_ms'] or 0:.1f} ms "
          f"(p99 {result['p99_during_ms'] or 0:.1f} ms)")
    print(f"answers came from generations {', '.join(result['generations'])} "
          f"({result['generation_switches']} switch(es) in arrival order)")
    for job in result["jobs"]:
        print(f"job {job['reason']}: {job['status']}" + (f" ({job['error']})" if job["error"] else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
