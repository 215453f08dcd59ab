"""`footnote gaps`: the questions the collection could not answer, grouped by topic, as a table
or as JSON (what GET /v1/gaps returns). Listing closes the gaps a newer index now answers."""

from __future__ import annotations

import json
import shutil
import textwrap


def register_gaps(sub, common) -> None:
    """Add the `gaps` subcommand to the `footnote` parser (nothing heavy is imported here)."""
    p = sub.add_parser("gaps", parents=[common], help="declined questions and 👎 answers, grouped by topic",
                       description="List what people asked that the articles did not answer (from the API, "
                                   "the web page and Discord), grouped by topic, most asked first: how often, "
                                   "when last, and the nearest articles the collection has. A gap closes by "
                                   "itself once a newer index answers one of its questions.")
    p.add_argument("--since", metavar="WHEN", help="only questions asked since: 7d, 24h, 2w or YYYY-MM-DD")
    p.add_argument("--all", action="store_true", help="include closed gaps (when, and by which article)")
    p.add_argument("--guild", type=int, metavar="ID", help="one Discord server's own questions only")
    p.add_argument("--similarity", type=float, metavar="S",
                   help="questions at least this alike (average cosine) are one gap (default 0.45; docs/gaps.md)")
    p.add_argument("--json", action="store_true", help="print {\"gaps\": [...]} as GET /v1/gaps does")
    p.set_defaults(run=cmd_gaps)


def cmd_gaps(args) -> int:
    from index.assemble import open_answerer, query_thread_setup
    from index.gaps import SIMILARITY, GapStore, Gaps, Place, since_of
    from index.reader import load_reader
    from index.stores import open_store

    since = since_of(args.since)  # ValueError: main prints it
    query_thread_setup()
    answerer = open_answerer(open_store(args.index, args.store), args.model, reader=load_reader(args.reader))
    store = GapStore.beside(args.index)
    try:
        similarity = SIMILARITY if args.similarity is None else args.similarity
        gaps = Gaps(store, answerer, similarity).list(Place(guild=args.guild), since, args.all)
    finally:
        store.close()
    print(json.dumps({"gaps": [g.as_dict() for g in gaps]}) if args.json else render_gaps(gaps))
    return 0


def render_gaps(gaps, width: int | None = None) -> str:
    """One block per gap: count, last asked and label, then its other questions and the nearest articles."""
    if not gaps:
        return "no gaps: every question kept so far was answered (or none was asked in that time)"
    width = width or min(shutil.get_terminal_size((100, 20)).columns, 120)
    lines = [f"{'asked':>5}  {'last asked':<16}  gap"]
    for gap in gaps:
        state = f"  [closed {gap.closed_at[:10]} by {gap.closed_by}]" if gap.closed else ""
        lines.append(f"{gap.count:>5}  {gap.last_asked[:16].replace('T', ' '):<16}  {gap.label}{state}")
        indent = " " * 25
        for q in gap.questions:
            if q["question"] != gap.label:
                lines.append(indent + textwrap.shorten(f"also: {q['question']}", width - 25, placeholder="…"))
        if gap.nearest:
            near = "; ".join(f"{c['title']} ({(c['published'] or 'undated')[:10]}, {c['article_id']})"
                             for c in gap.nearest)
            lines.append(indent + textwrap.shorten(f"nearest: {near}", width - 25, placeholder="…"))
    return "\n".join(lines)
