"""Fixtures for the email triage tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.bot.triage.dovecot import DOVECOT, Dovecot


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    """A private Dovecot IMAP server on free loopback ports, for the whole test module."""
    if not Path(DOVECOT).exists():
        pytest.fail(
            f"Dovecot is not installed at {DOVECOT}: the IMAP poller tests need a real IMAP server."
            " Install it with `tools/bootstrap.sh --browser` (or `apt-get install -y dovecot-imapd`).",
            pytrace=False,
        )
    with Dovecot() as server:
        yield server
