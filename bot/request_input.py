"""Reading what a request carries when it may be malformed: forms, and ids in paths.

Usage::

    form = await read_form(request)       # None: not a readable form -> answer 400
    handoff_id = path_id(request, "id")   # None: cannot be a row id -> answer 404
    after = query_id(request, "after")    # the same, from ``?after=``

Anything a client sends may be broken on purpose; what it breaks is the client's request
(a 4xx), never the hub (a 500 with a traceback per attempt in the log).
"""

from __future__ import annotations

import logging
import re

from aiohttp import web
from multidict import MultiDictProxy

__all__ = ["MAX_ROW_ID", "path_id", "query_id", "read_form"]

log = logging.getLogger(__name__)

# The id columns are SQL INTEGER: signed 32-bit on PostgreSQL (SQLite's go to 2**63 - 1, but
# the hub never issues ids that high). A larger id in a query is an error on PostgreSQL.
MAX_ROW_ID = 2**31 - 1
_DIGITS = re.compile(r"[0-9]{1,10}")

Form = MultiDictProxy[str | bytes | web.FileField]


async def read_form(request: web.Request) -> Form | None:
    """The POSTed form, or None when the body cannot be read as one.

    aiohttp raises whatever its parsers meet (ValueError for a missing boundary,
    AssertionError for a truncated part, LookupError for an unknown charset...), so
    everything but its own HTTP errors (413 too large) means "bad request".
    """
    try:
        return await request.post()
    except web.HTTPException:
        raise
    except Exception as exc:
        log.info("unreadable form on %s: %s", request.path, type(exc).__name__)
        return None


def path_id(request: web.Request, name: str) -> int | None:
    """The path's ``{name}`` as a row id, or None when it cannot be one (too big, not digits)."""
    return _row_id(request.match_info.get(name, ""))


def query_id(request: web.Request, name: str) -> int | None:
    """The query's ``?name=`` as a row id, or None when absent or it cannot be one."""
    return _row_id(request.query.get(name, ""))


def _row_id(raw: str) -> int | None:
    if not _DIGITS.fullmatch(raw):
        return None
    value = int(raw)
    return value if 0 < value <= MAX_ROW_ID else None
