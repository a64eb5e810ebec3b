"""Secrets out of the access log: reset tokens in URLs are written as ``***``.

aiohttp's access log writes each request line as received, and a reset link carries its
token in the query string (docs/SECURITY.md: no token in logs). A filter on the
``aiohttp.access`` logger covers every runner (``web.run_app``, test servers) alike.

>>> redact_query('"GET /reset?token=abc123&lang=fr HTTP/1.1" 200')
'"GET /reset?token=***&lang=fr HTTP/1.1" 200'
"""

from __future__ import annotations

import logging
import re

__all__ = ["RedactSecrets", "install_access_log_redaction", "redact_query"]

_SECRET_PARAMS = re.compile(r"([?&](?:token|access|password|csrf)=)[^&#\s\"]*", re.IGNORECASE)


def redact_query(line: str) -> str:
    return _SECRET_PARAMS.sub(r"\1***", line)


class RedactSecrets(logging.Filter):
    """Rewrites the record's message with its secret query values masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_query(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


def install_access_log_redaction() -> None:
    """Add the filter to ``aiohttp.access`` once per process."""
    logger = logging.getLogger("aiohttp.access")
    if not any(isinstance(f, RedactSecrets) for f in logger.filters):
        logger.addFilter(RedactSecrets())
