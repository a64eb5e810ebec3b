"""The Jinja2 environment for email bodies (bot/templates/mail/), shared by every composer."""

from __future__ import annotations

from pathlib import Path

import jinja2

from bot.mail.addresses import mask_emails_in

__all__ = ["mail_templates"]

TEMPLATES = Path(__file__).absolute().parent.parent / "templates" / "mail"


def mail_templates() -> jinja2.Environment:
    """HTML parts autoescaped; a missing variable is an error, not an empty string in a mail.

    ``mask_emails`` masks the addresses in a text (transcripts in mail to support).
    """
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    environment.filters["mask_emails"] = mask_emails_in
    return environment
