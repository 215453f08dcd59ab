"""`footnote bot`: registered into the footnote command through an entry point. The bot's main:
the only place in bot/ that reads the environment and builds the long-lived objects."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def register(sub, common) -> None:
    """Add the `bot` subcommand."""
    p = sub.add_parser("bot", parents=[common], help="run the Discord bot (FOOTNOTE_DISCORD_TOKEN)",
                       description="Run the Discord bot. It answers from the local index in-process, or "
                                   "with --api from a running `footnote serve`. Settings come from "
                                   "FOOTNOTE_* environment variables (docs/discord.md lists them).")
    p.add_argument("--sync", action="store_true", help="register the slash commands with Discord, then exit")
    p.add_argument("--guild", type=int, metavar="ID",
                   help="with --sync: register every command in this server only (instant, for testing); "
                        "with --clear: the server to clear")
    p.add_argument("--clear", action="store_true",
                   help="with --guild: remove Footnote's commands from that server (undoes --sync --guild), then exit")
    p.add_argument("--invite-url", action="store_true",
                   help="print the link that invites the bot with the permissions it needs, then exit (offline)")
    p.add_argument("--api", metavar="URL", help="ask this Footnote API instead of the local index (env FOOTNOTE_API_URL)")
    p.add_argument("--api-key", metavar="KEY", help="the API's key for write endpoints (env FOOTNOTE_API_KEY)")
    p.add_argument("--export-feedback", type=Path, metavar="FILE",
                   help="write the 👍/👎 votes (question, answer, generation, what was wrong) and the declined "
                        "questions as JSON Lines, then exit")
    p.set_defaults(run=cmd_bot)


def cmd_bot(args) -> int:
    import asyncio

    from bot.registration import invite_url, sync_commands
    from bot.settings import BotSettings
    from bot.store import BotStore

    # Flags win over the environment.
    settings = BotSettings(**{k: v for k, v in (("api_url", args.api), ("api_key", args.api_key)) if v})
    if args.invite_url:
        print(invite_url(settings.app_id()))
        return 0
    db = settings.bot_db or Path(args.index) / "bot.sqlite"
    if args.export_feedback:
        return export_feedback(BotStore(db), args.export_feedback)
    token = settings.token()
    if args.sync or args.clear:  # needs neither the model nor an index: only the command definitions
        if args.clear and args.guild is None:
            print("footnote: error: --clear needs --guild ID: the server whose Footnote commands to remove "
                  "(global commands are replaced by --sync)", file=sys.stderr)
            return 2
        return asyncio.run(sync_commands(token, args.guild, settings.discord_curator_guilds, args.clear))
    from bot.runtime import configure_logging, instance_lock, serve

    with instance_lock(settings.app_id()):
        configure_logging()
        bot = build_bot(args, settings, BotStore(db, settings.history_turns))
        asyncio.run(serve(bot, token))
    return 0


def export_feedback(store, path: Path) -> int:
    """Votes (with what was wrong) and declined questions, as JSON Lines, oldest first."""
    votes, declined = store.feedback(), store.declined()
    store.close()
    rows = sorted(votes + declined, key=lambda r: r["created_at"])
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    print(f"wrote {len(votes)} vote{'s' * (len(votes) != 1)} and {len(declined)} declined "
          f"question{'s' * (len(declined) != 1)} to {path}")
    return 0


def build_bot(args, settings, store):
    """The bot with its service: the Footnote API over HTTP, or the local index in-process."""
    from bot.app import FootnoteBot
    from bot.remote import RemoteFootnote
    from bot.footnote import LocalFootnote
    from index.gaps import GapStore

    if settings.api_url:
        key = settings.api_key.get_secret_value() if settings.api_key else None
        service = RemoteFootnote.connect(settings.api_url, key)
    else:
        from index.assemble import open_answerer
        from index.reader import load_reader
        from index.stores import open_store

        index_store = open_store(args.index, args.store)
        answerer = open_answerer(index_store, args.model, reader=load_reader(args.reader))
        answerer.retriever.live.current()  # fail now, with the fix, if there is no index or another model built it
        from corpus.fetch import allowed_from_env

        service = LocalFootnote(answerer, args.corpus, args.index, store=index_store,
                                fetch_allowed=allowed_from_env(os.environ))
    return FootnoteBot(service, store, settings, gaps=GapStore.beside(args.index))
