"""Send .eml files to the hub's email-triage listener, as a mail server would deliver them.

    .venv/bin/python -m tools.sendmail tests/data/mail/login_qc_brancher.eml [more.eml ...]
    .venv/bin/python -m tools.sendmail --port 2525 --to soutien@gem-books.com mails/*.eml

The envelope sender is the mail's From (or ``<>`` with --null-sender, as bounces have).
Each file is sent as it is, byte for byte.
"""

from __future__ import annotations

import argparse
import smtplib
import sys
from email import message_from_bytes, policy
from email.utils import getaddresses
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.sendmail", description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2525, help="the triage listener (GEM_TRIAGE_SMTP_PORT)")
    parser.add_argument("--to", default="soutien@gem-books.com")
    parser.add_argument("--null-sender", action="store_true", help="MAIL FROM:<> (a bounce)")
    args = parser.parse_args(argv)
    failures = 0
    try:
        smtp = smtplib.SMTP(args.host, args.port, timeout=30)
    except OSError as exc:
        print(
            f"error: nothing listens on {args.host}:{args.port} ({exc}); is `make run` running?",
            file=sys.stderr,
        )
        return 2
    with smtp:
        for path in args.files:
            try:
                raw = path.read_bytes()
            except OSError as exc:
                print(f"{path}: cannot read ({exc.strerror})", file=sys.stderr)
                failures += 1
                continue
            sender = "" if args.null_sender else _from(raw)
            try:
                smtp.sendmail(sender, [args.to], raw)
                print(f"{path}: accepted")
            except smtplib.SMTPException as exc:
                print(f"{path}: refused ({exc})", file=sys.stderr)
                failures += 1
    return 1 if failures else 0


def _from(raw: bytes) -> str:
    try:
        header = message_from_bytes(raw, policy=policy.compat32).get("From", "")
        addresses = getaddresses([str(header)])
    except Exception:  # a broken header: send it as the null sender
        return ""
    return addresses[0][1] if addresses and "@" in addresses[0][1] else ""


if __name__ == "__main__":
    raise SystemExit(main())
