"""Every benchmark in one run, written into docs/benchmarks.md.

Runs the benchmarks below one after another (each in its own process, so that one's memory
does not weigh on the next), keeps their raw output in .footnote/bench/results.json, and
rewrites the block between the `bench:run_all` markers at the top of docs/benchmarks.md: the
commit, the machine, the load before and after, each target of issues 11, 12 and 19 beside what
was measured, and (issue 22) Footnote's speed as ratios to the floor measured in the same step. The sections below that block explain the figures; `txtai_compare.py --write-docs`
rewrites its own section.

    ./run bench                        # all of it (about two hours on 2 cores, most of it the
                                       # first embedding of Reuters with the real model)
    ./run bench --only costs-hash,api  # some of it; the other figures are kept from the last run

The million-passage collection is written once into .footnote/bench/million (about 6 GB, 20
minutes) and measured again by later runs; delete that folder to write it afresh.

Steps (names for --only and --skip): costs-hash, costs-model, embedders, api, api-2workers, million,
vectors, txtai, scale-out. Needs ../shared/data; a step whose data is absent is reported as skipped.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
DOCS = ROOT / "docs" / "benchmarks.md"
RESULTS = ROOT / ".footnote" / "bench" / "results.json"
MODEL_CACHE = ROOT / ".footnote" / "bench" / "cache.sqlite"
START, END = "<!-- bench:run_all start -->", "<!-- bench:run_all end -->"

STEPS = {
    "costs-hash": [PY, "bench/costs.py", "--json"],
    "costs-model": [PY, "bench/costs.py", "--json", "--model", "all-MiniLM-L6-v2", "--sizes", "19033",
                    "--cache", str(MODEL_CACHE)],
    "embedders": [PY, "bench/embedders.py", "--json"],
    "api": [PY, "bench/api_load.py", "--json", "--concurrency", "1,8"],
    "api-2workers": [PY, "bench/api_load.py", "--json", "--concurrency", "8", "--workers", "2"],
    # Issue 19: the answer reader's cost, as ratios to reader-off measured in the same step.
    "api-reader": [PY, "bench/api_load.py", "--json", "--concurrency", "1,8", "--readers", "off,bundled"],
    "million": [PY, "bench/million.py", "--json", "--work", str(ROOT / ".footnote" / "bench" / "million"), "--reuse"],
    # Real MiniLM vectors: the full-Reuters cache the costs-model step fills (chunks and sentences).
    "vectors": [PY, "bench/vector_index.py", "--sizes", "10000,100000", "--cache", str(MODEL_CACHE)],
    "txtai": [PY, "bench/txtai_compare.py", "--write-docs"],
    "scale-out": [PY, "bench/scale_out.py", "all", "--cache", str(MODEL_CACHE)],
}
TEXT_STEPS = {"vectors", "txtai"}  # these print a table, not JSON


def run_step(name: str, timeout_s: int) -> dict:
    started = time.perf_counter()
    load = os.getloadavg()[0]
    try:
        proc = subprocess.run(STEPS[name], cwd=ROOT, capture_output=True, text=True, timeout=timeout_s,
                              env={**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)})
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout_s} s", "load_before": load}
    out = {"seconds": round(time.perf_counter() - started), "load_before": load, "load_after": os.getloadavg()[0]}
    if proc.returncode:
        return {**out, "error": proc.stderr.strip()[-1500:] or f"exit {proc.returncode}"}
    text = proc.stdout.strip()
    if text.startswith("skipped"):
        return {**out, "skipped": text}
    if name in TEXT_STEPS:
        return {**out, "text": text}
    try:
        return {**out, "figures": json.loads(text[text.index("{"):])}
    except ValueError:
        return {**out, "error": f"no JSON in its output: {text[-500:]}"}


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    return {"commit": commit, "cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(memory, 1),
            "python": platform.python_version(), "date": dt.date.today().isoformat()}


def figure(results: dict, step: str, *path, default=None):
    value = results.get(step, {}).get("figures")
    for key in path:
        if isinstance(value, list) and isinstance(key, int) and -len(value) <= key < len(value):
            value = value[key]
        elif isinstance(value, dict) and key in value:
            value = value[key]
        else:
            return default
    return value


def targets(results: dict) -> list[tuple[str, str, object, bool | None]]:
    """(what, target, measured, met) for each target of issues 11, 12 and 19 the run measured."""
    rows = []

    def add(what, target, value, ok):
        if value is not None:
            rows.append((what, target, value, ok(value) if ok else None))

    small, large = figure(results, "costs-hash", "sizes", 0), figure(results, "costs-hash", "sizes", -1)
    if small and large:
        updates = (small["update_10_s"], large["update_10_s"])
        add(f"+10 articles at {small['articles']} / {large['articles']} articles (hash)", "≤ 1 s, same at both",
            f"{updates[0]} s / {updates[1]} s (ratio {updates[1] / updates[0]:.2f})", lambda _: max(updates) <= 1)
        add("unchanged re-index, full Reuters", "≤ 0.5 s", large["unchanged_s"], lambda v: v <= 0.5)
        add("cold build, full Reuters (hash) over a plain read-chunk-write pass (issue 22)", "≤ 1.2",
            large.get("full_build_over_plain"), lambda v: v <= 1.2)
        add("index folder, full Reuters", "≤ 350 MB", large["index_mb"], lambda v: v <= 350)
        add("vector cache over raw vector bytes", "≤ 1.2", large["cache_over_raw"], lambda v: v <= 1.2)
        add("question p50, full Reuters, hash embedder (ms)", "≤ 5", large["question_p50_ms"], lambda v: v <= 5)
    model = figure(results, "costs-model", "sizes", -1)
    if model:
        add("question p50, full Reuters, default model (ms)", "≤ 10", model["question_p50_ms"], lambda v: v <= 10)
        add("question p99, full Reuters, default model (ms)", "≤ 30", model["question_p99_ms"], lambda v: v <= 30)
    http = figure(results, "api", "http") or []
    eight = next((level for level in http if level["concurrency"] == 8), None)
    if eight:
        add("POST /v1/ask at concurrency 8 (req/s)", "≥ 100", round(eight["rps"], 1), lambda v: v >= 100)
    two = next((level for level in figure(results, "api-2workers", "http") or [] if level["concurrency"] == 8), None)
    if two:
        add("POST /v1/ask at concurrency 8, two server processes (req/s)", "≥ 100", round(two["rps"], 1),
            lambda v: v >= 100)
    add("HTTP p50 over in-process p50 (concurrency 1)", "≤ 1.3",
        round(figure(results, "api", "overhead_ratio_p50"), 2) if figure(results, "api", "overhead_ratio_p50") else None,
        lambda v: v <= 1.3)
    ratio = figure(results, "api-reader", "ratios", "bundled")
    if ratio:
        add("question p50 in process, reader over reader-off (2,000 Reuters articles)", "≤ 2.5",
            round(ratio["in_process_p50"], 2), lambda v: v <= 2.5)
        add("POST /v1/ask at concurrency 8, reader over reader-off throughput", "≥ 0.45",
            round(ratio["http_rps"]["8"], 2), lambda v: v >= 0.45)
    late = figure(results, "embedders", "late_chunking")
    if late:
        for backend, values in late.items():
            ratio = values["build_speedup_vs_chunks_plus_sentences"]
            add(f"build embedding with pooled sentences, {backend}: speed-up over chunks + sentences", "—",
                round(ratio["median"] if isinstance(ratio, dict) else ratio, 2), None)
    spans = figure(results, "embedders", "spans_throughput_vs_encode")
    if spans:
        for backend, ratio in spans.items():
            value = ratio["median"] if isinstance(ratio, dict) else ratio
            add(f"pipeline (chunks + pooled sentences) over chunks alone, {backend}", "≥ 0.9", round(value, 3),
                lambda v: v >= 0.9)
    agreement = figure(results, "embedders", "agreement_with_torch", "onnx")
    if agreement:
        low = agreement["min"] if isinstance(agreement, dict) else agreement
        add("ONNX fp32 vectors against torch: lowest cosine", "≥ 0.9999", round(low, 6), lambda v: v >= 0.9999)
    million = figure(results, "million")
    if million:
        if "anon_mb" in million:  # the process's own memory, and the index's mapped pages it touched
            add(f"{million['passages']:,} passages: serving memory of its own, anon (MB)", "≤ 2048",
                million["anon_mb"], lambda v: v <= 2048)
        add(f"{million['passages']:,} passages: serving RSS, with the mapped index pages it touched (MB)", "≤ 2048",
            million["rss_mb"], lambda v: v <= 2048)
        add(f"{million['passages']:,} passages: question p50 (ms)", "≤ 25", million["question_p50_ms"], lambda v: v <= 25)
        add(f"{million['passages']:,} passages: dense recall@10 against exact", "≥ 0.97", million["dense_recall_at_10"],
            lambda v: v >= 0.97)
        add(f"{million['passages']:,} passages: start-up (s)", "≤ 10", million["start_s"], lambda v: v <= 10)
    rows += scale_out_rows(figure(results, "scale-out"))
    return rows


def scale_out_rows(scale: dict | None) -> list[tuple[str, str, object, bool | None]]:
    """Issue 12's figures: Ray against the local executor, Milvus Lite against the embedded store."""
    if not scale:
        return []
    chunk, embed, latency = scale["chunk"], scale["embed"], scale["latency"]
    rays = sorted(k for k in embed if k.startswith("ray_"))
    lowest = min(embed[k]["min_cosine"] for k in rays)
    return [
        (f"news dev set on Ray: the same articles and chunks as the local executor ({chunk['chunks']:,} chunks)",
         "same", "same" if chunk["same_articles"] and chunk["same_chunks"] else "different",
         chunk["same_articles"] and chunk["same_chunks"]),
        ("news dev set, articles/s local / on Ray (Ray's start-up apart)", "—",
         f"read {chunk['local']['read_articles_per_s']:.0f} / {chunk['ray']['read_articles_per_s']:.0f}, chunked "
         f"{chunk['local']['chunk_articles_per_s']:.0f} / {chunk['ray']['chunk_articles_per_s']:.0f}", None),
        (f"embedding {embed['texts']} chunks ({embed.get('backend', 'model')}), texts/s local / Ray with "
         + ", ".join(k.split("_")[1] for k in rays) + " actors (their model loading included)", "—",
         " / ".join([str(embed["local"]["texts_per_s"])] + [str(embed[k]["texts_per_s_with_model_load"]) for k in rays]),
         None),
        ("Ray vectors against the local executor's: lowest cosine", "≥ 0.9999", lowest, lowest >= 0.9999),
        (f"news dev set ({latency['questions']} questions): p50 embedded store / Milvus Lite (ms)", "—",
         f"{latency['local']['p50_ms']} / {latency['milvus']['p50_ms']}", None),
        ("news dev set: same citations and quotes through Milvus Lite as the embedded store", "1.0",
         f"{latency['same_citations']} / {latency['same_quotes']}",
         latency["same_citations"] == latency["same_quotes"] == 1),
    ]


def floor_rows(results: dict) -> list[str]:
    """Issue 22: Footnote (reader off) over the floor (bench/floor.py), both measured in the api
    step: ratios first, then the two absolute figures, then the load average."""
    api = figure(results, "api")
    if not api or "ratios" not in api:
        return []
    floor, ratios = api["floor"], api["ratios"]
    lines = ["", "| Footnote over the floor (issue 22, reader off, same step) | ratio | goal | met | Footnote | floor |",
             "|---|---|---|---|---|---|"]
    p50 = ratios["in_process_p50"]
    paired = api.get("paired_in_process") or {"footnote_p50_ms": api["in_process"]["p50_ms"],
                                               "floor_p50_ms": floor["in_process"]["p50_ms"]}
    lines.append(f"| question p50 in process (taking turns question by question) | {p50:.2f}x | ≤ 1.5x | "
                 f"{'yes' if p50 <= 1.5 else 'no'} | {paired['footnote_p50_ms']:.1f} ms | {paired['floor_p50_ms']:.1f} ms |")
    for mine, theirs in zip(api["http"], floor["http"]):
        ratio = ratios["http_rps"][str(mine["concurrency"])]
        lines.append(f"| HTTP throughput at concurrency {mine['concurrency']} (both servers up, loaded in alternating turns) | {ratio:.2f}x | ≥ 0.7x | "
                     f"{'yes' if ratio >= 0.7 else 'no'} | {mine['rps']:.1f} req/s | {theirs['rps']:.1f} req/s |")
    loads = api.get("load_averages") or []
    lines += ["", f"{api['articles']:,} Reuters articles, {api['index']['chunks']:,} chunks; load average "
              + ", ".join(f"{x:.1f}" for x in loads) + " (before, between the in-process and the HTTP part, after)."]
    return lines


def ratio_rows(results: dict) -> list[str]:
    """Issue 22: the earlier figures restated as ratios to a floor or a peer measured in the same
    step, where the step has one (the absolute figures stay in the targets table above)."""
    rows = []
    small, large = figure(results, "costs-hash", "sizes", 0), figure(results, "costs-hash", "sizes", -1)
    for size in (small, large) if small is not large else (large,):
        if not size:
            continue
        n = f"{size['articles']:,}"
        rows.append((f"+10 articles at {n} articles (hash), over a full build of them",
                     size["update_10_s"] / size["full_build_s"], f"{size['update_10_s']} s / {size['full_build_s']} s"))
        rows.append((f"unchanged re-index at {n} articles, over a full build of them",
                     size["unchanged_s"] / size["full_build_s"], f"{size['unchanged_s']} s / {size['full_build_s']} s"))
    if small and large and small is not large:
        rows.append((f"+10 articles at {large['articles']:,} over +10 at {small['articles']:,}",
                     large["update_10_s"] / small["update_10_s"], f"{large['update_10_s']} s / {small['update_10_s']} s"))
    million = figure(results, "million")
    if million and "p50_over_floor" in million:
        rows.append((f"{million['passages']:,} passages: question p50 over the floor (encoding and the same "
                     "index's dense search, question by question in the same process)",
                     million["p50_over_floor"], f"{million['question_p50_ms']} ms / {million['floor_p50_ms']} ms"))
    if not rows:
        return []
    lines = ["", "| earlier figures as ratios (issue 22) | ratio | measured |", "|---|---|---|"]
    lines += [f"| {what} | {ratio:.3g} | {shown} |" for what, ratio, shown in rows]
    return lines


def render(results: dict, about: dict) -> str:
    lines = [START, "", f"## One run: `./run bench` ({about['date']}, commit {about['commit']})", "",
             f"{about['cores']} cores ({about['cpu']}), {about['memory_gib']} GiB, Python {about['python']}. "
             "The machine is shared: each step's load average before and after is listed, and figures "
             "that compare two things are ratios measured in the same step. A step not run this time "
             "keeps its figures from the commit it names.", "",
             "| target (issues 11, 12 and 19) | goal | measured | met |", "|---|---|---|---|"]
    for what, goal, value, met in targets(results):
        lines.append(f"| {what} | {goal} | {value} | {'yes' if met else 'no' if met is False else '—'} |")
    lines += floor_rows(results)
    lines += ratio_rows(results)
    lines += ["", "| step | commit | took | load before → after | outcome |", "|---|---|---|---|---|"]
    for name in STEPS:
        step = results.get(name)  # a step kept from an earlier run says so by its commit
        if step is None:
            lines.append(f"| {name} | — | — | — | not run |")
            continue
        outcome = ("error: " + step["error"].splitlines()[-1][:120]) if "error" in step else (
            step.get("skipped") or "ok")
        lines.append(f"| {name} | {step.get('commit', '—')} | {step.get('seconds', '—')} s | "
                     f"{step.get('load_before', 0):.1f} → "
                     f"{step.get('load_after', 0):.1f} | {outcome} |")
    vectors = results.get("vectors", {}).get("text")
    if vectors:
        lines += ["", "Vector index (bench/vector_index.py), as printed:", "", "```", vectors, "```"]
    lines += ["", "Raw figures of every step: `.footnote/bench/results.json`.", "", END]
    return "\n".join(lines)


def write_docs(block: str) -> None:
    text = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n"
    if START in text and END in text:
        text = text[:text.index(START)] + block + text[text.index(END) + len(END):]
    else:
        head, _, rest = text.partition("\n")
        text = f"{head}\n\n{block}\n{rest}"
    DOCS.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="comma-separated steps to run (the rest keep their last figures)")
    parser.add_argument("--skip", default="", help="comma-separated steps not to run")
    parser.add_argument("--timeout", type=int, default=3 * 3600, help="seconds one step may take")
    args = parser.parse_args(argv)
    chosen = args.only.split(",") if args.only else list(STEPS)
    chosen = [s for s in chosen if s not in args.skip.split(",")]
    unknown = [s for s in chosen if s not in STEPS]
    if unknown:
        parser.error(f"unknown steps {', '.join(unknown)}; choose from {', '.join(STEPS)}")
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    for name in chosen:
        print(f"bench: {name} ...", flush=True)
        results[name] = {**run_step(name, args.timeout), "commit": machine()["commit"]}
        RESULTS.write_text(json.dumps(results, indent=1))  # kept as it goes: a later failure loses nothing
        print(f"bench: {name} {'failed: ' + results[name]['error'] if 'error' in results[name] else 'done'}",
              flush=True)
    results["_run"] = machine()  # the commit and machine of the newest run
    RESULTS.write_text(json.dumps(results, indent=1))
    write_docs(render(results, results["_run"]))
    print(f"bench: figures in {DOCS.relative_to(ROOT)} and {RESULTS.relative_to(ROOT)}")
    return 1 if any("error" in results[name] for name in chosen) else 0


if __name__ == "__main__":
    sys.exit(main())
