"""Load benchmark of the HTTP API: POST /v1/ask over loopback at several concurrencies, beside
the in-process `Answerer.answer()` latency of the same questions in the same run.

Prints figures, judges nothing. Indexes the first N Reuters-21578 articles (with a body) into
a work folder that is kept between runs (the vector cache makes a second run cheap), starts
`footnote serve` on 127.0.0.1 with a free port, and for each concurrency sends a fixed number
of requests (bounded), cycling through questions made from article titles.

    .venv/bin/python bench/api_load.py [--articles 2000] [--requests 200] [--concurrency 1,8,32] [--json]
    .venv/bin/python bench/api_load.py --readers off,bundled    # the reader's cost, as ratios in one run

Beside Footnote it measures the floor (bench/floor.py: encode, exact FAISS search, ids as JSON,
on the same vectors) with the same client, and states Footnote's figures as ratios to it, with
the load average before, between and after.

Skips (exit 0) when ../shared/data/reuters-21578 is absent.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model is bundled; never reach the network
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from reuters import REUTERS, reuters_records  # noqa: E402
WORK = ROOT / ".footnote" / "bench" / "api-load"


def prepare(articles: int, model: str, work: Path) -> tuple[Path, Path, list[str], dict]:
    """The corpus and its up-to-date index in `work`, and questions made from titles."""
    from corpus.chunk import ChunkParams
    from index.build import DEFAULT_MAX_TOKENS, build_index
    from index.embed import load_embedder

    records = reuters_records(articles)
    corpus, index = work / "corpus", work / "index"
    corpus.mkdir(parents=True, exist_ok=True)
    data = "".join(json.dumps(r) + "\n" for r in records)
    target = corpus / "reuters.jsonl"
    if not target.is_file() or target.read_text(encoding="utf-8") != data:
        target.write_text(data, encoding="utf-8")
    started = time.perf_counter()
    summary = build_index(corpus, index, load_embedder(model), ChunkParams(DEFAULT_MAX_TOKENS), progress=True)
    build = {"seconds": round(time.perf_counter() - started, 1), "chunks": summary.chunks_total,
             "articles": summary.articles_total, "embedded": summary.chunks_embedded + summary.sentences_embedded}
    titles = [r["title"] for r in records if r.get("title")]
    step = max(1, len(titles) // 50)
    questions = [f"What happened with {t.lower()}?" for t in titles[::step][:50]]
    return corpus, index, questions, build


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def in_process(index: Path, model: str, questions: list[str], rounds: int = 2, reader: str = "bundled") -> dict:
    """`Answerer.answer()` latency on the same index and questions, one at a time, on a thread
    set up as the API's query threads are (one OpenMP thread); and, for comparison, a few calls
    on the main thread with the default thread count, as `footnote ask` runs it."""
    from concurrent.futures import ThreadPoolExecutor

    from index.answer import AskRequest
    from index.assemble import open_answerer, query_thread_setup
    from index.reader import load_reader

    answerer = open_answerer(index, model, reader=load_reader(reader))

    def timed(q: str) -> float:
        started = time.perf_counter()
        answerer.answer(AskRequest(q))
        return (time.perf_counter() - started) * 1000

    with ThreadPoolExecutor(1, initializer=query_thread_setup) as pool:
        for q in questions[:5]:
            pool.submit(timed, q).result()  # warm up: model, FAISS, SQLite pages
        latencies = [pool.submit(timed, q).result() for _ in range(rounds) for q in questions]
    main_thread = [timed(q) for q in questions[:20]]
    return {"n": len(latencies), "p50_ms": percentile(latencies, 0.5), "p99_ms": percentile(latencies, 0.99),
            "mean_ms": statistics.fmean(latencies), "main_thread_p50_ms": percentile(main_thread, 0.5)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(corpus: Path, index: Path, model: str, port: int, workers: int = 1,
                 reader: str = "bundled") -> subprocess.Popen:
    env = {**os.environ, "FOOTNOTE_RATE_LIMIT_PER_MINUTE": "0", "PYTHONPATH": str(ROOT), "FOOTNOTE_READER": reader}
    return started([sys.executable, "-m", "index.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
                    "--corpus", str(corpus), "--index", str(index), "--model", model, "--workers", str(workers)],
                   env, port, "footnote serve")


def start_floor(index: Path, model: str, port: int) -> subprocess.Popen:
    """The floor (bench/floor.py) serving the same index's vectors."""
    return started([sys.executable, str(ROOT / "bench" / "floor.py"), "serve", "--index", str(index), "--port",
                    str(port), "--model", model], {**os.environ, "PYTHONPATH": str(ROOT)}, port, "the floor")


def started(command: list[str], env: dict, port: int, name: str) -> subprocess.Popen:
    """A server process, once its /readyz answers 200."""
    import httpx

    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):  # bounded: up to a minute for the model to load
        if proc.poll() is not None:
            raise SystemExit(f"{name} exited with status {proc.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"{name} did not become ready within a minute")


class Connection:
    """One kept-alive HTTP/1.1 connection that POSTs JSON and reads the whole answer: as little
    work on the client's side as HTTP allows (what wrk or ab do), because the load generator
    shares the machine's two cores with the server. httpx's AsyncClient, measured here, added
    0.4-0.9 ms of its own to each request, which is not Footnote's."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def post(self, path: str, payload: dict) -> tuple[int, bytes]:
        body = json.dumps(payload).encode()
        self.writer.write(f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                          f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        fields = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        if "content-length" not in fields:
            raise RuntimeError(f"{path} answered {status} without a Content-Length; this client reads only those")
        return status, await self.reader.readexactly(int(fields["content-length"]))

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


async def load(base: str, questions: list[str], concurrency: int, requests: int, path: str = "/v1/ask") -> dict:
    """`requests` POSTs of {"question"} to `path` from `concurrency` clients at once; latencies and
    throughput (the floor answers the same requests at /search)."""
    return summary(concurrency, requests, *await timed_requests(base, questions, concurrency, requests, path))


async def timed_requests(base: str, questions: list[str], concurrency: int, requests: int,
                         path: str) -> tuple[float, int, list[float], list[float]]:
    """(seconds, failures, each request's milliseconds, the server's answer milliseconds) of
    `load`'s requests."""
    host, port = base.split("//")[1].rsplit(":", 1)
    latencies: list[float] = []
    bodies: list[bytes] = []
    failures = 0
    counter = iter(range(requests))
    connections = [Connection(host, int(port)) for _ in range(concurrency)]
    for n, connection in enumerate(connections):  # open the connections first, and warm them
        await connection.open()
        await connection.post(path, {"question": questions[n % len(questions)]})

    async def worker(connection: Connection) -> None:
        nonlocal failures
        for i in counter:
            started = time.perf_counter()
            status, body = await connection.post(path, {"question": questions[i % len(questions)]})
            latencies.append((time.perf_counter() - started) * 1000)
            if status == 200:
                bodies.append(body)  # read after the run: parsing is not the server's time
            else:
                failures += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in connections))
    wall = time.perf_counter() - started
    for connection in connections:
        await connection.close()
    server_ms = [json.loads(body)["timings_ms"]["total"] for body in bodies if b'"timings_ms"' in body]
    return wall, failures, latencies, server_ms


def summary(concurrency: int, requests: int, wall: float, failures: int, latencies: list[float],
            server_ms: list[float]) -> dict:
    return {"concurrency": concurrency, "requests": requests, "failures": failures, "rps": requests / wall,
            "p50_ms": percentile(latencies, 0.5), "p99_ms": percentile(latencies, 0.99),
            "answer_p50_ms": percentile(server_ms, 0.5) if server_ms else None}


def taking_turns(bases: dict[str, tuple[str, str]], questions: list[str], concurrency: int, requests: int,
                 rounds: int = 4) -> dict[str, dict]:
    """`requests` to each server at `concurrency`, in `rounds` turns that alternate between them
    (A B, B A, ...): a busy spell of the shared machine weighs on both alike, so the ratio of
    their throughputs holds from run to run where one measured after the other drifts. Each
    server's throughput is its requests over the time its turns took."""
    names = list(bases)
    done = {name: [0.0, 0, [], []] for name in names}  # seconds, failures, latencies, server ms
    per_turn = max(concurrency, requests // rounds)
    for turn in range(rounds):
        for name in names if turn % 2 == 0 else names[::-1]:
            base, path = bases[name]
            wall, failures, latencies, server_ms = asyncio.run(
                timed_requests(base, questions, concurrency, per_turn, path))
            mine = done[name]
            mine[0] += wall
            mine[1] += failures
            mine[2] += latencies
            mine[3] += server_ms
    return {name: summary(concurrency, per_turn * rounds, *d) for name, d in done.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2000, help="Reuters articles to index (default 2000)")
    parser.add_argument("--requests", type=int, default=200, help="requests per concurrency level (default 200)")
    parser.add_argument("--concurrency", default="1,8,32", help="comma-separated levels (default 1,8,32)")
    parser.add_argument("--model", default="all-MiniLM-L6-v2", help="embedding model (default: the bundled one)")
    parser.add_argument("--work", type=Path, default=WORK, help=f"kept between runs (default {WORK})")
    parser.add_argument("--workers", type=int, default=1, help="server processes (footnote serve --workers)")
    parser.add_argument("--readers", help="compare answer readers in one run, e.g. off,bundled: in-process p50 "
                        "and HTTP throughput of each, and their ratios to the first")
    parser.add_argument("--reader", default="off", help="the answer reader Footnote runs (default off: the floor "
                        "comparison leaves the reader out; its cost is --readers')")
    parser.add_argument("--no-floor", action="store_true", help="skip the floor (bench/floor.py) beside Footnote")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args(argv)
    if not REUTERS.is_file():
        print(f"skipped: {REUTERS} is absent (see ../shared/data/README.md)")
        return 0
    sys.path.insert(0, str(ROOT))
    corpus, index, questions, build = prepare(args.articles, args.model, args.work)
    if args.readers:
        return compare_readers(args, corpus, index, questions, build)
    loads = [os.getloadavg()[0]]
    if args.no_floor:
        run, floor = measure_reader(args, corpus, index, questions, args.reader), None
        loads.append(os.getloadavg()[0])
    else:
        run, floor = beside_the_floor(args, corpus, index, questions, loads)
    loads.append(os.getloadavg()[0])
    direct, levels = run["in_process"], run["http"]
    result = {"articles": args.articles, "index": build, "questions": len(questions), "in_process": direct,
              "http": levels, "overhead_ratio_p50": levels[0]["p50_ms"] / direct["p50_ms"], "reader": args.reader,
              "cpus": os.cpu_count(), "model": args.model, "workers": args.workers, "load_averages": loads}
    if floor is not None and any(level["failures"] for level in floor["http"]):
        raise SystemExit(f"the floor failed requests: {floor['http']}")
    if floor is not None:
        paired = paired_in_process(index, args.model, questions, args.reader)
        result["floor"] = floor
        result["paired_in_process"] = paired
        result["ratios"] = {"in_process_p50": paired["ratio_p50"],
                            "http_rps": {str(mine["concurrency"]): mine["rps"] / theirs["rps"]
                                         for mine, theirs in zip(levels, floor["http"])}}
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"Reuters-21578, {build['articles']} articles, {build['chunks']} chunks, model {args.model}, "
          f"{os.cpu_count()} CPUs, reader {args.reader}; {len(questions)} questions from titles; load average "
          f"{', '.join(f'{x:.1f}' for x in loads)} (before, between, after)")
    if floor is not None:
        ratios = result["ratios"]
        http = ", ".join(f"c{c} {v:.2f}x" for c, v in ratios["http_rps"].items())
        paired = result["paired_in_process"]
        print(f"Footnote over the floor: in-process p50 {ratios['in_process_p50']:.2f}x ({paired['footnote_p50_ms']:.1f} "
              f"vs {paired['floor_p50_ms']:.1f} ms, taking turns, {paired['n']} questions each); HTTP throughput {http}")
        print(f"floor: in-process p50 {floor['in_process']['p50_ms']:.1f} ms; HTTP "
              + ", ".join(f"c{r['concurrency']} {r['rps']:.1f} req/s ({r['failures']} failed)" for r in floor["http"]))
    print(f"in-process answer(): p50 {direct['p50_ms']:.1f} ms, p99 {direct['p99_ms']:.1f} ms ({direct['n']} calls, "
          f"one OpenMP thread as in the API); on the main thread with default threads "
          f"p50 {direct['main_thread_p50_ms']:.1f} ms")
    print("concurrency  requests/s  p50 ms  p99 ms  server answer p50 ms  failures")
    for r in levels:
        print(f"{r['concurrency']:>11}  {r['rps']:>10.1f}  {r['p50_ms']:>6.1f}  {r['p99_ms']:>6.1f}  "
              f"{r['answer_p50_ms'] or 0:>20.1f}  {r['failures']:>8}")
    print(f"HTTP overhead at concurrency 1: p50 {levels[0]['p50_ms']:.1f} ms over HTTP vs "
          f"{direct['p50_ms']:.1f} ms in process (ratio {result['overhead_ratio_p50']:.2f})")
    return 0


def paired_in_process(index: Path, model: str, questions: list[str], reader: str, rounds: int = 4) -> dict:
    """Footnote's answer() and the floor's search, taking turns question by question on one
    query thread: a busy moment of the machine weighs on both alike, so their ratio holds from
    run to run where two separate measurements drift apart. The ratio is of the medians."""
    from concurrent.futures import ThreadPoolExecutor

    from index.answer import AskRequest
    from index.assemble import open_answerer, query_thread_setup
    from index.reader import load_reader

    sys.path.insert(0, str(ROOT / "bench"))
    from floor import FloorSearch

    answerer, floor = open_answerer(index, model, reader=load_reader(reader)), FloorSearch(index, model)
    times: dict[str, list[float]] = {"footnote": [], "floor": []}

    def both(q: str, keep: bool) -> None:
        for name, call in (("floor", lambda: floor.search(q)), ("footnote", lambda: answerer.answer(AskRequest(q)))):
            started = time.perf_counter()
            call()
            if keep:
                times[name].append((time.perf_counter() - started) * 1000)

    with ThreadPoolExecutor(1, initializer=query_thread_setup) as pool:
        for q in questions[:5]:
            pool.submit(both, q, False).result()
        for _ in range(rounds):
            for q in questions:
                pool.submit(both, q, True).result()
    footnote_p50, floor_p50 = percentile(times["footnote"], 0.5), percentile(times["floor"], 0.5)
    return {"n": len(times["footnote"]), "footnote_p50_ms": footnote_p50, "floor_p50_ms": floor_p50,
            "ratio_p50": footnote_p50 / floor_p50}


def beside_the_floor(args, corpus: Path, index: Path, questions: list[str], loads: list[float]) -> tuple[dict, dict]:
    """Footnote's and the floor's in-process latency, then both servers up at once and loaded
    in turns (`taking_turns`) at each concurrency, on the same vectors and questions. The load
    average is taken between the in-process and the HTTP part."""
    sys.path.insert(0, str(ROOT / "bench"))
    from floor import FloorSearch

    direct = in_process(index, args.model, questions, reader=args.reader)
    latencies = FloorSearch(index, args.model).timed(questions)
    floor_direct = {"n": len(latencies), "p50_ms": percentile(latencies, 0.5), "p99_ms": percentile(latencies, 0.99)}
    loads.append(os.getloadavg()[0])
    ports = free_port(), free_port()
    servers = [start_server(corpus, index, args.model, ports[0], args.workers, reader=args.reader)]
    try:
        servers.append(start_floor(index, args.model, ports[1]))
        bases = {"footnote": (f"http://127.0.0.1:{ports[0]}", "/v1/ask"),
                 "floor": (f"http://127.0.0.1:{ports[1]}", "/search")}
        levels = [taking_turns(bases, questions, int(c), args.requests) for c in args.concurrency.split(",")]
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=60)
    return ({"in_process": direct, "http": [level["footnote"] for level in levels]},
            {"in_process": floor_direct, "http": [level["floor"] for level in levels]})


def measure_reader(args, corpus: Path, index: Path, questions: list[str], reader: str) -> dict:
    """In-process latency and HTTP load with one answer reader."""
    direct = in_process(index, args.model, questions, reader=reader)
    port = free_port()
    server = start_server(corpus, index, args.model, port, args.workers, reader=reader)
    try:
        levels = [asyncio.run(load(f"http://127.0.0.1:{port}", questions, int(c), args.requests))
                  for c in args.concurrency.split(",")]
    finally:
        server.terminate()
        server.wait(timeout=60)
    return {"in_process": direct, "http": levels}


def compare_readers(args, corpus: Path, index: Path, questions: list[str], build: dict) -> int:
    """Each reader measured in turn on the same index and questions; ratios to the first."""
    names = [name.strip() for name in args.readers.split(",") if name.strip()]
    loads = [os.getloadavg()[0]]
    runs = {}
    for name in names:
        runs[name] = measure_reader(args, corpus, index, questions, name)
        loads.append(os.getloadavg()[0])
    floor = runs[names[0]]
    ratios = {name: {"in_process_p50": run["in_process"]["p50_ms"] / floor["in_process"]["p50_ms"],
                     "http_rps": {str(level["concurrency"]): level["rps"] / base["rps"]
                                  for level, base in zip(run["http"], floor["http"])}}
              for name, run in runs.items() if name != names[0]}
    result = {"articles": args.articles, "index": build, "questions": len(questions), "readers": runs,
              "ratios_to": names[0], "ratios": ratios, "load_averages": loads, "cpus": os.cpu_count()}
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"Reuters-21578, {build['articles']} articles, {build['chunks']} chunks, model {args.model}; "
          f"{len(questions)} questions from titles; load average {', '.join(f'{x:.1f}' for x in loads)}")
    for name, run in runs.items():
        http = ", ".join(f"c{level['concurrency']} {level['rps']:.1f} req/s" for level in run["http"])
        print(f"reader {name}: in-process p50 {run['in_process']['p50_ms']:.1f} ms, p99 "
              f"{run['in_process']['p99_ms']:.1f} ms; HTTP {http}")
    for name, ratio in ratios.items():
        http = ", ".join(f"c{c} {v:.2f}" for c, v in ratio["http_rps"].items())
        print(f"reader {name} over {names[0]}: in-process p50 {ratio['in_process_p50']:.2f}x; throughput {http}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
