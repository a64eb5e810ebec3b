"""The action server (rasa_sdk) behind a shared secret: only Rasa may run actions.

``rasa run actions`` answers anyone who reaches its port, and the actions call the hub's
internal API with ``GEM_INTERNAL_TOKEN`` on the caller's behalf: an open action server
would be a proxy to that API. This launcher serves the same actions, on loopback by
default, and refuses ``/webhook`` (401) without ``Authorization: Bearer <token>``. Rasa
sends that header from its ``action_endpoint`` (``tools.stack`` writes it as
``Authorization: Bearer ${GEM_ACTION_TOKEN}``, unquoted: Rasa expands it from its own
environment, so the secret is in no file and on no command line)::

    GEM_ACTION_TOKEN=... python -m tools.action_server --port 5055 [--interface 127.0.0.1]

The token comes from ``GEM_ACTION_TOKEN`` or the 0600 file named by
``GEM_ACTION_TOKEN_FILE``. ``/health`` stays open (the hub's /healthz checks it).
"""

from __future__ import annotations

import argparse
import hmac
import logging
import os
from collections.abc import Mapping, Sequence

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from tools.rasa_server import read_secret

__all__ = ["create_app", "main"]

TOKEN_VAR = "GEM_ACTION_TOKEN"
OPEN_PATHS = frozenset({"/health"})


def create_app(token: str, actions: str = "actions") -> Sanic:
    """rasa_sdk's application for ``actions``, with the token check in front of it."""
    from rasa_sdk.endpoint import create_app as create_action_app

    if not token:
        raise ValueError("the action server needs a token")
    # Server to server only: no CORS (rasa_sdk's default would be "*").
    app = create_action_app(actions, cors_origins=None, auto_reload=False)
    expected = f"Bearer {token}".encode()

    @app.on_request
    async def require_token(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS:
            return None
        provided = request.headers.get("Authorization", "").strip().encode()
        if not hmac.compare_digest(provided, expected):
            return response.json({"error": "unauthorized"}, status=401)
        return None

    return app


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tools.action_server", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument("--interface", default="127.0.0.1")
    parser.add_argument("--actions", default="actions")
    args = parser.parse_args(argv)
    token = read_secret(os.environ if environ is None else environ, TOKEN_VAR, "the action server")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(token, args.actions)
    app.run(host=args.interface, port=args.port, workers=1, access_log=False)


if __name__ == "__main__":
    main()
