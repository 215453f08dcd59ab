"""The `footnote` command: JSON output, exit codes, status, and the real model end to end."""

import json
import os
import subprocess
import sys
import time

import pytest

from index.cli import main
from index.store import Generation
from tests.conftest import ARTICLES, DEMO, ROOT, article_txt, make_corpus, write


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_index_json_summary_and_exit_codes(tmp_path, capsys):
    corpus = write(tmp_path / "c", {"a.txt": article_txt("2026-01-01", "The tram line opened today."),
                                    "b.md": "---\ntitle: B\ndate: 2026-01-02\n---\nThe ferry stopped running."})
    common = ["--corpus", corpus, "--index", tmp_path / "i", "--model", "hash:64"]
    code, out, _ = run(capsys, "index", "--json", *common)
    summary = json.loads(out)
    assert code == 0
    assert {k: summary[k] for k in ("added", "changed", "removed", "skipped", "chunks_total")} == {
        "added": 2, "changed": 0, "removed": 0, "skipped": [], "chunks_total": 2}
    assert summary["chunks_embedded"] == 2 and summary["generation"] == "000001"

    write(corpus, {"broken.txt": b"\x00\x00"})
    code, out, _ = run(capsys, "index", "--json", *common)
    assert code == 1
    assert json.loads(out)["skipped"] == [{"path": "broken.txt", "reason": "is a binary file, not text; "
                                           "export it as .txt, .md, .html or .json"}]

    code, out, err = run(capsys, "index", *common)
    assert code == 1 and "up to date: 2 articles" in out and "skipped broken.txt: is a binary file" in err


def test_index_json_says_how_long_each_phase_took(tmp_path, capsys):
    """A build's phases are timed apart (never nested), so their seconds add up to no more than the
    build's; a build with nothing to do only read the folder."""
    corpus = make_corpus(tmp_path / "c")
    common = ["--corpus", corpus, "--index", tmp_path / "i", "--model", "hash:64"]
    code, out, _ = run(capsys, "index", "--json", *common)
    summary = json.loads(out)
    assert code == 0 and summary["added"] == len(ARTICLES)
    phases, total = summary["phases_s"], summary["total_s"]
    assert {"read", "chunk", "embed", "rows", "vectors", "lexicon", "sync", "merge", "publish"} <= set(phases)
    assert all(isinstance(s, float) and s >= 0 for s in [*phases.values(), total])
    assert 0 < sum(phases.values()) <= total

    code, out, _ = run(capsys, "index", "--json", *common)
    again = json.loads(out)
    assert again["up_to_date"] and list(again["phases_s"]) == ["read"]
    assert again["phases_s"]["read"] <= again["total_s"]


def test_status_reports_model_counts_and_files_newer_than_the_index(tmp_path, capsys):
    corpus = write(tmp_path / "c", {"a.txt": article_txt("2026-01-01", "The tram line opened today.")})
    common = ["--corpus", corpus, "--index", tmp_path / "i", "--model", "hash:64"]
    run(capsys, "index", "--quiet", *common)
    code, out, _ = run(capsys, "status", "--json", *common)
    status = json.loads(out)
    assert code == 0 and status["model"] == {"name": "hash:64", "dimension": 64, "vectors": "hash:64|hash|fp32"}
    assert (status["articles"], status["chunks"], status["newer_than_index"]) == (1, 1, [])

    later = time.time() + 5
    write(corpus, {"b.txt": article_txt("2026-01-02", "A new bridge.")})
    os.utime(corpus / "b.txt", (later, later))
    code, out, _ = run(capsys, "status", *common)
    assert code == 0 and "1 file(s)" in out and "b.txt" in out and "hash:64 (64 dimensions)" in out


def test_fatal_errors_exit_2_with_a_message_naming_the_fix(tmp_path, capsys):
    code, _, err = run(capsys, "status", "--index", tmp_path / "none", "--model", "hash:64")
    assert code == 2 and "build one with `footnote index`" in err
    code, _, err = run(capsys, "index", "--corpus", tmp_path / "missing", "--index", tmp_path / "i", "--model", "hash")
    assert code == 2 and "does not exist; pass --corpus DIR" in err
    code, _, err = run(capsys, "ask", "  ", "--index", tmp_path / "i", "--model", "hash")
    assert code == 2 and "question is empty" in err
    with pytest.raises(SystemExit) as exit_:
        main(["index", "--no-such-flag"])
    assert exit_.value.code == 2


def test_ask_with_an_index_built_by_another_model_fails_clearly(tmp_path, capsys):
    corpus = write(tmp_path / "c", {"a.txt": article_txt("2026-01-01", "The tram line opened today.")})
    run(capsys, "index", "--quiet", "--corpus", corpus, "--index", tmp_path / "i", "--model", "hash:64")
    code, _, err = run(capsys, "ask", "tram", "--index", tmp_path / "i", "--model", "hash:32")
    assert code == 2 and "'hash:64'" in err and "'hash:32'" in err


@pytest.mark.parametrize("command, own", [
    ("index", ("--rebuild", "--allow-empty", "--wait", "--executor", "--sentence-vectors", "Exit status")),
    ("status", ("--json",)),
    ("ask", ("--as-of", "--after", "--before", "--source", "-k")),
])
def test_help_is_the_reference_for_every_command(command, own):
    """Each command's --help names its own flags with what they do, and its environment variables."""
    out = subprocess.run([sys.executable, "-m", "index.cli", command, "--help"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    assert out.startswith(f"usage: footnote {command} ")
    for flag in own:
        assert flag in out, f"`footnote {command} --help` does not mention {flag}"
    assert "env FOOTNOTE_CORPUS" in out and "env FOOTNOTE_INDEX" in out


@pytest.mark.model
def test_end_to_end_with_the_bundled_model(tmp_path):
    """The real model indexes the demo collection; a second run embeds nothing; ask finds the answer."""
    env = {**os.environ, "FOOTNOTE_INDEX": str(tmp_path / "i"), "FOOTNOTE_CORPUS": str(DEMO)}
    env.pop("FOOTNOTE_MODEL", None)
    footnote = [sys.executable, "-m", "index.cli"]
    first = subprocess.run([*footnote, "index", "--json"], env=env, cwd=ROOT, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert summary["added"] == 16 and summary["chunks_embedded"] > 16
    second = json.loads(subprocess.run([*footnote, "index", "--json"], env=env, cwd=ROOT,
                                       capture_output=True, text=True, check=True).stdout)
    assert second["up_to_date"] and second["chunks_embedded"] == 0
    asked = subprocess.run([*footnote, "ask", "Who led the tunnel workers' union during the strike?", "--json"],
                           env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    result = json.loads(asked.stdout)
    assert "Halvorsen" in " ".join(p["text"] for p in result["passages"][:3])
    for passage in result["passages"]:
        assert passage["published"] and passage["title"] and passage["end"] > passage["start"]

    def ask(*argv):
        out = subprocess.run([*footnote, "ask", *argv, "--json"], env=env, cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout
        return json.loads(out)

    latest = ask("What is the latest cost estimate for the Larkspur Line?")
    assert not latest["abstained"] and "$1.6 billion" in latest["quotes"][0]["text"]
    back_then = ask("What is the latest cost estimate for the Larkspur Line?", "--as-of", "2025-12-31")
    assert "$1.45 billion" in back_then["quotes"][0]["text"]
    assert all(p["published"] <= "2025-12-31" for p in back_then["passages"])
    for question in ("Who won the 2025 Port Alder marathon?", "What is the weather forecast for tomorrow?"):
        declined = ask(question)
        assert declined["abstained"] and declined["quotes"] == [] and declined["related"]


def test_watch_indexes_a_saved_file_a_moment_later(tmp_path):
    corpus = write(tmp_path / "c", {"first.txt": article_txt("2026-01-01", "The first article.")})
    proc = subprocess.Popen([sys.executable, "-m", "index.cli", "watch", "--model", "hash:64", "--corpus", str(corpus),
                             "--index", str(tmp_path / "i"), "--debounce-ms", "200"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert "watching" in proc.stdout.readline()
        time.sleep(0.5)
        write(corpus, {"second.txt": article_txt("2026-01-02", "A second article about the pier.")})
        line = proc.stdout.readline()  # blocks until the update (the test's timeout bounds it)
        assert "second.txt" in line and "1 added" in line and "generation 000002" in line, line
        (corpus / "first.txt").unlink()
        line = proc.stdout.readline()
        assert "1 removed" in line, line
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert [a.id for a in Generation.open(tmp_path / "i").articles()] == ["second"]
