"""``/dev/mail``: the mail caught by the development sink, so people can open their email.

==================  ==========================  =====================================
route name          path                        what
==================  ==========================  =====================================
dev_mail            GET /dev/mail               caught mail, newest first
dev_mail_message    GET /dev/mail/{id}          one message: headers, text, HTML
dev_mail_html       GET /dev/mail/{id}/html     its HTML part, for a sandboxed iframe
==================  ==========================  =====================================

Registered only in development. Caught mail is untrusted text: everything is escaped,
only ``http(s)`` URLs in the text part become links, and the HTML part is shown in an
iframe under a CSP sandbox without scripts.
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from bot.appkeys import MAIL_SINK
from bot.mail.sink import parse
from bot.request_input import path_id

__all__ = ["dev_mail", "dev_mail_html", "dev_mail_message", "link_segments"]

_URL = re.compile(r"https?://[^\s<>\"']+")
_HTML_PART_POLICY = (
    "sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'none'; "
    "style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"
)


def link_segments(text: str) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, is_link) so the template can link URLs and escape the rest.

    >>> link_segments("Voir https://x.ca/reset?token=a. Merci")
    [('Voir ', False), ('https://x.ca/reset?token=a', True), ('. Merci', False)]
    """
    segments: list[tuple[str, bool]] = []
    position = 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(".,;:!?)")
        if match.start() > position:
            segments.append((text[position : match.start()], False))
        segments.append((url, True))
        position = match.start() + len(url)
    if position < len(text):
        segments.append((text[position:], False))
    return segments


def _part(message: EmailMessage, subtype: str) -> str | None:
    part = message.get_body(preferencelist=(subtype,))
    if part is None or part.get_content_type() != f"text/{subtype}":
        return None
    content: Any = part.get_content()
    return str(content)


async def _mail_or_404(request: web.Request) -> tuple[int, EmailMessage]:
    mail_id = path_id(request, "id")
    if mail_id is None:
        raise web.HTTPNotFound()
    mail = await request.app[MAIL_SINK].get(mail_id)
    if mail is None:
        raise web.HTTPNotFound()
    return mail_id, parse(mail)


async def dev_mail(request: web.Request) -> web.Response:
    """GET /dev/mail."""
    sink = request.app[MAIL_SINK]
    mails = await sink.recent()
    return aiohttp_jinja2.render_template(
        "dev/mail_list.html", request, {"mails": mails, "sink_address": sink.address}
    )


async def dev_mail_message(request: web.Request) -> web.Response:
    """GET /dev/mail/{id}."""
    mail_id, message = await _mail_or_404(request)
    text = _part(message, "plain")
    headers = [(name, str(message.get(name, ""))) for name in ("From", "To", "Subject", "Date", "Message-ID")]
    context = {
        "mail_id": mail_id,
        "headers": headers,
        "segments": link_segments(text) if text is not None else None,
        "has_html": _part(message, "html") is not None,
    }
    return aiohttp_jinja2.render_template("dev/mail_view.html", request, context)


async def dev_mail_html(request: web.Request) -> web.Response:
    """GET /dev/mail/{id}/html: the HTML part as sent, sandboxed, links opening a new tab."""
    _, message = await _mail_or_404(request)
    html = _part(message, "html")
    if html is None:
        raise web.HTTPNotFound()
    # Links must leave the iframe: the pages they open refuse to be framed.
    body = re.sub(r"(<head[^>]*>)", r'\1<base target="_blank">', html, count=1, flags=re.IGNORECASE)
    if body == html:
        body = '<base target="_blank">' + html
    return web.Response(
        text=body,
        content_type="text/html",
        headers={
            "Content-Security-Policy": _HTML_PART_POLICY,
            "X-Frame-Options": "SAMEORIGIN",
            "Referrer-Policy": "no-referrer",
        },
    )
