"""``python -m bot``: bring the database schema up to date, then serve the hub.

    python -m bot                      serve (same as ``python -m bot serve``)
    python -m bot accounts create ...  add an account to the built-in directory
    python -m bot accounts list        list them (emails masked)
    python -m bot agents create ...    add a support agent (console sign-in)
    python -m bot agents list          list them
    python -m bot corrections export --out DIR   the console's intent corrections as NLU YAML
    python -m bot triage [--json] [--apply] PATH...   triage .eml files or an mbox

Configuration comes from ``GEM_*`` environment variables (see ``bot/settings.py``).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from aiohttp import web

from bot.accounts import cli as accounts_cli
from bot.app import init_app
from bot.banner import banner
from bot.console import cli as console_cli
from bot.settings import Settings
from bot.triage import cli as triage_cli


def serve(settings: Settings) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Migrations run in the app's start-up (bot.app.services_ctx), before the port opens.
    app = init_app(settings)

    def announce(_: str) -> None:
        base = settings.public_base_url
        print(f"GEM-BOOKS hub running at {base}/\n{banner(settings)}", flush=True)

    try:
        web.run_app(
            app,
            host=settings.host,
            port=settings.port,
            print=announce,
        )
    except OSError as exc:  # typically: a port is taken
        raise SystemExit(f"GEM-BOOKS hub could not start: {exc}") from None
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="The GEM-BOOKS support hub.")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="serve the hub (the default)")
    accounts_cli.add_parser(commands)
    console_cli.add_parsers(commands)
    triage_cli.add_parser(commands)
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.command == "accounts":
        return accounts_cli.run(settings, args)
    if args.command == "agents":
        return console_cli.run_agents(settings, args)
    if args.command == "corrections":
        return console_cli.run_corrections(settings, args)
    if args.command == "triage":
        return triage_cli.run(settings, args)
    return serve(settings)


if __name__ == "__main__":
    raise SystemExit(main())
