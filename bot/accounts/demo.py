"""Demo accounts, created on the first start in development so the reset can be tried.

The addresses use domains reserved for examples (RFC 2606): even a misconfigured SMTP
relay cannot deliver them to a real person. In development all mail goes to the hub's
own mail sink anyway (``/dev/mail``).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.accounts.directory import AccountDirectory
from bot.accounts.identifiers import user_code_key

__all__ = ["DEMO_ACCOUNTS", "DEMO_PASSWORD", "DemoAccount", "describe_demo_accounts", "ensure_demo_accounts"]

# Known on purpose: a development convenience, and replaced as soon as someone resets it.
DEMO_PASSWORD = "gembooks-demo"


@dataclass(frozen=True)
class DemoAccount:
    user_code: str
    email: str
    display_name: str
    language: str


DEMO_ACCOUNTS = (
    DemoAccount("JTREMBLAY01", "julie.tremblay@example.com", "Julie Tremblay", "fr"),
    DemoAccount("MGAGNON", "marie.gagnon@example.org", "Marie Gagnon", "fr"),
    DemoAccount("BSMITH", "bob.smith@example.net", "Bob Smith", "en"),
)


async def ensure_demo_accounts(directory: AccountDirectory) -> list[DemoAccount]:
    """Create the demo accounts that do not exist yet; returns the ones created.

    An existing demo account is left alone: its password may have been reset on purpose.
    """
    existing = {account.user_code_key for account in await directory.all()}
    created = []
    for demo in DEMO_ACCOUNTS:
        if user_code_key(demo.user_code) not in existing:
            await directory.create(
                demo.user_code, demo.email, demo.display_name, demo.language, DEMO_PASSWORD
            )
            created.append(demo)
    return created


def describe_demo_accounts() -> list[str]:
    """Lines for the start-up banner."""
    return [
        f"{demo.user_code:<12} {demo.email:<28} {demo.language}   password: {DEMO_PASSWORD} (until you reset it)"
        for demo in DEMO_ACCOUNTS
    ]
