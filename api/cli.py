"""`footnote serve`: registered into the footnote command through an entry point."""

from __future__ import annotations

import os
import sys

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8000


def register(sub, common) -> None:
    """Add the `serve` subcommand."""
    p = sub.add_parser(
        "serve", parents=[common], help="serve the HTTP API and the web page (FastAPI + uvicorn)",
        description="Serve the HTTP API and the web page over the index, switching to each new generation without a "
                    "restart. Its other settings (API keys, rate limits, body sizes, threads, ...) come from "
                    "FOOTNOTE_* variables or a .env file: docs/http-api.md lists every one.")
    p.add_argument("--host", default=DEFAULT_HOST,
                   help=f"address to bind (default {DEFAULT_HOST}; 0.0.0.0 listens on every interface)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    p.add_argument("--workers", type=int, default=1,
                   help="worker processes (default 1); each loads the model, and jobs and rate limits "
                        "are per worker")
    p.add_argument("--watch", action="store_true",
                   help="re-index a moment after files in the corpus folder change (env FOOTNOTE_WATCH)")
    p.set_defaults(run=cmd_serve)


def cmd_serve(args) -> int:
    import uvicorn
    from pydantic import ValidationError

    from api.app import create_app
    from api.protocol import JsonErrorH11Protocol
    from api.settings import Settings
    from index.cli import EXIT_FATAL, EXIT_OK
    from index.defaults import COMMON_ENV
    from index.stores import open_store

    shared = {name: getattr(args, name) for name in ("corpus", "index", "model", "store", "reader")}
    overrides = dict(shared)
    if args.watch:
        overrides["watch"] = True
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        for error in exc.errors():
            message = error["msg"].removeprefix("Value error, ")
            if not message.startswith("FOOTNOTE_"):
                message = f"FOOTNOTE_{'_'.join(map(str, error['loc'])).upper()}: {message}"
            print(f"footnote: error: {message}", file=sys.stderr)
        return EXIT_FATAL
    if args.watch and args.workers > 1:
        print("footnote: error: --watch runs in a single worker; with --workers, run `footnote watch` beside "
              "the server instead", file=sys.stderr)
        return EXIT_FATAL
    if args.workers < 1:
        print(f"footnote: error: --workers {args.workers}: run 1 or more worker processes", file=sys.stderr)
        return EXIT_FATAL
    shown = "localhost" if args.host in ("0.0.0.0", "::") else args.host
    print(f"Footnote API on http://{shown}:{args.port} (index {open_store(settings.index, settings.store).where}, model {settings.model}); "
          f"web page at http://{shown}:{args.port}/, interactive docs at http://{shown}:{args.port}/docs", flush=True)
    # uvicorn believes X-Forwarded-For from 127.0.0.1 unless told otherwise: only configured
    # proxies may say who the client is (the rate limit keys on it).
    proxies = dict(proxy_headers=bool(settings.trusted_proxies),
                   forwarded_allow_ips=",".join(settings.trusted_proxies) or "")
    if args.workers == 1:
        uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info",
                    http=JsonErrorH11Protocol, **proxies)
        return EXIT_OK
    # Each worker process builds its own app from the environment, so pass the flags on there.
    os.environ.update({COMMON_ENV[name]: str(value) for name, value in shared.items() if value is not None})
    uvicorn.run("api.app:create_app_from_env", factory=True, host=args.host, port=args.port,
                workers=args.workers, log_level="info", http=JsonErrorH11Protocol, **proxies)
    return EXIT_OK
