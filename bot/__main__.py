"""``python -m bot``: bring the database schema up to date, then serve the hub.

Configuration comes from ``GEM_*`` environment variables (see ``bot/settings.py``).
"""

from __future__ import annotations

import logging

from aiohttp import web

from bot.app import init_app
from bot.settings import Settings


def main() -> None:
    settings = Settings.from_env()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Migrations run in the app's start-up (bot.app.database_ctx), before the port opens.
    app = init_app(settings)

    def announce(_: str) -> None:
        base = settings.public_base_url
        print(
            f"GEM-BOOKS hub running at {base}/  (demo: {base}/demo, health: {base}/healthz)",
            flush=True,
        )

    try:
        web.run_app(app, host=settings.host, port=settings.port, print=announce)
    except OSError as exc:  # typically: the port is taken
        raise SystemExit(f"GEM-BOOKS hub could not start on {settings.host}:{settings.port}: {exc}") from None


if __name__ == "__main__":
    main()
