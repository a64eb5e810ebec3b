"""The hub's access log, without secrets: reset tokens in URLs are replaced by ``***``.

aiohttp's default access log writes the request line as received, and a reset link
carries its token in the query string (SECURITY.md: no token in logs).

>>> redact_query("/reset?token=abc123&lang=fr")
'/reset?token=***&lang=fr'
"""

from __future__ import annotations

import re

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

__all__ = ["RedactingAccessLogger", "redact_query"]

_SECRET_PARAMS = re.compile(r"([?&](?:token|access|password|csrf)=)[^&#]*", re.IGNORECASE)


def redact_query(path_qs: str) -> str:
    return _SECRET_PARAMS.sub(r"\1***", path_qs)


class RedactingAccessLogger(AbstractAccessLogger):
    """One line per request: client, method, redacted path, status, size, duration."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            '%s "%s %s" %s %s %.3fs',
            request.remote,
            request.method,
            redact_query(request.path_qs),
            response.status,
            response.body_length,
            time,
        )
