"""``python -m bot accounts ...``: create and list accounts of the built-in directory.

Usage::

    python -m bot accounts create --user-code JTREMBLAY01 --email julie@exemple.ca \\
                                  --name "Julie Tremblay" --language fr [--password ...]
    python -m bot accounts list

Without ``--password`` the command asks for one when run in a terminal; otherwise the
account has no password until its owner sets one through a reset link. The list masks
email addresses, as every output of the hub does.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

from bot.accounts.directory import AccountDirectory, AccountError
from bot.db.engine import create_engine, session_factory, upgrade_to_head
from bot.mail.addresses import mask_email
from bot.passwords import MIN_PASSWORD_CHARS
from bot.settings import Settings

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    accounts = subparsers.add_parser("accounts", help="manage the built-in account directory")
    commands = accounts.add_subparsers(dest="accounts_command", required=True)
    create = commands.add_parser("create", help="create an account")
    create.add_argument("--user-code", required=True, help="3 to 30 letters, digits, . _ -")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True, help="display name, used in emails")
    create.add_argument("--language", required=True, choices=("fr", "en"))
    create.add_argument("--password", help=f"at least {MIN_PASSWORD_CHARS} characters (else asked)")
    commands.add_parser("list", help="list accounts (emails masked)")


def _ask_password() -> str | None:
    if not sys.stdin.isatty():
        return None
    first = getpass.getpass(f"Password (at least {MIN_PASSWORD_CHARS} characters, empty for none): ")
    if not first:
        return None
    if getpass.getpass("Again: ") != first:
        raise AccountError("the two passwords differ")
    return first


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    engine = create_engine(settings)
    try:
        await upgrade_to_head(engine)
        directory = AccountDirectory(session_factory(engine))
        if args.accounts_command == "create":
            password = args.password if args.password is not None else _ask_password()
            account = await directory.create(args.user_code, args.email, args.name, args.language, password)
            note = "" if account.password_hash else " (no password yet: set one with a reset link)"
            print(f"created {account.user_code} <{mask_email(account.email)}> [{account.language}]{note}")
            return 0
        accounts = await directory.all()
        if not accounts:
            print("no accounts")
        for account in accounts:
            password = "password set" if account.password_hash else "no password"
            print(
                f"{account.user_code:<30} {mask_email(account.email):<32} {account.language}  "
                f"{account.display_name}  ({password})"
            )
        return 0
    finally:
        await engine.dispose()


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Run one ``accounts`` command; errors are one line on stderr and exit code 2."""
    try:
        return asyncio.run(_run(settings, args))
    except AccountError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
