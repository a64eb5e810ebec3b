"""The IMAP poller of the email triage: hands every new mail of the support mailbox to intake once.

Each poll selects the mailbox, searches the mail that does not carry the triage keyword
(``$GemTriaged``), fetches each one whole (``BODY.PEEK[]``, so nothing is marked read by
the fetch itself) and hands the raw bytes to ``intake``. Only when intake answers True,
meaning the mail is safely recorded (or already was), is it marked ``$GemTriaged \\Seen``;
a mail intake refused or choked on comes again at the next poll. Intake must therefore
be idempotent (the same ``Message-ID`` twice files once).

Several hubs on one database each run a poller; with a :class:`bot.jobs.Lease` only the
lease's holder polls, and another hub takes over when it stops or dies. Intake's unique
Message-ID stays the guarantee that a mail is filed once even if two polls overlap.

Mailboxes that refuse custom keywords (``PERMANENTFLAGS`` without ``\\*``) fall back to
``\\Seen`` and ``UNSEEN``; the log says so once, because then a mail somebody opens in a
mail client before the poll runs is never triaged.

Usage::

    async def intake(raw: bytes) -> bool:
        ...  # parse, file, decide; True once it is stored

    poller = ImapPoller(settings, intake)   # GEM_IMAP_HOST, GEM_IMAP_PORT, GEM_IMAP_SECURITY, ...
    poller = ImapPoller(settings, intake, lease=Lease(sessions, "imap-poller", ...))  # several hubs
    poller.start()                          # polls every imap_interval_seconds in the background
    ...
    await poller.stop()                     # logs out and ends the task

``await poller.poll_once()`` runs a single poll (tests, a "check now" button) and raises
:class:`ImapError` when the server cannot be reached or refuses the login.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import re
import ssl
from collections.abc import Awaitable, Callable, Sequence

import aioimaplib
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from bot.clock import Clock, system_clock
from bot.jobs import Lease, Worker
from bot.settings import Settings

__all__ = ["ImapError", "ImapPoller", "Intake", "imap_lease"]

log = logging.getLogger(__name__)

Intake = Callable[[bytes], Awaitable[bool]]

_PERMANENTFLAGS = re.compile(rb"\[PERMANENTFLAGS \(([^)]*)\)\]")
_FETCH_UID = re.compile(rb"\bUID (\d+)\b")
_MAX_BACKOFF_SECONDS = 300.0
# Longer than one poll of a full batch (fetch timeouts included), so a live holder keeps it.
_LEASE_MIN_SECONDS = 600.0


def imap_lease(sessions: sessionmaker, settings: Settings, clock: Clock = system_clock) -> Lease:
    """The lease of the mailbox's poller: renewed at every poll, taken over after a few missed ones."""
    duration = dt.timedelta(seconds=max(settings.imap_interval_seconds * 4, _LEASE_MIN_SECONDS))
    return Lease(sessions, "imap-poller", duration, clock=clock)


class ImapError(RuntimeError):
    """The IMAP server could not be reached, refused us, or answered nonsense; never holds the password."""


class _HideLoginCommand(logging.Filter):
    """aioimaplib logs every command it sends at DEBUG level. It masks the password only
    as typed, so one holding a quote or a backslash (sent escaped) would show; hide any
    of its records that mentions the LOGIN command instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        if " LOGIN " in record.getMessage():
            record.msg, record.args = "<a LOGIN command: hidden, it holds the password>", ()
        return True


def _install_login_filter() -> None:
    library_log = logging.getLogger(aioimaplib.aioimaplib.__name__)
    if not any(isinstance(f, _HideLoginCommand) for f in library_log.filters):
        library_log.addFilter(_HideLoginCommand())


class ImapPoller:
    """Polls one IMAP mailbox and hands each new mail to ``intake`` until intake has it."""

    def __init__(
        self,
        settings: Settings,
        intake: Intake,
        *,
        keyword: str = "$GemTriaged",
        ssl_context: ssl.SSLContext | None = None,
        timeout: float = 30.0,
        batch_size: int = 100,
        lease: Lease | None = None,
    ) -> None:
        self._settings = settings
        self._intake = intake
        self._keyword = keyword
        # None: the system's CAs and a host name check (the tests pass their own CA).
        self._ssl_context = ssl_context
        # Per command; fetches restart it on every chunk received, so a big mail may take longer.
        self._timeout = timeout
        self._batch_size = batch_size
        # Several hubs on one database: the background polls of one of them at a time.
        self._lease = lease
        self._client: aioimaplib.IMAP4 | None = None
        self._lock = asyncio.Lock()
        self._warned_no_keywords = False
        self._interval = max(settings.imap_interval_seconds, 0.05)
        self._worker = Worker(
            "imap-poller",
            self._poll,
            idle_seconds=self._interval,
            retry_delay=self._delay,
            expected=(ImapError,),
        )
        _install_login_filter()

    @property
    def _where(self) -> str:
        s = self._settings
        return f"{s.imap_username}@{s.imap_host}:{s.imap_port}/{s.imap_mailbox}"

    # -- one poll ---------------------------------------------------------------------------

    async def poll_once(self) -> int:
        """Hand every mail not yet triaged to intake; return how many it was handed (whatever it answered)."""
        if not self._settings.imap_host:
            raise ImapError("no IMAP server configured (GEM_IMAP_HOST is empty)")
        async with self._lock:
            try:
                client = await self._connected()
                use_keyword = await self._select(client)
                return await self._hand_over(client, use_keyword)
            except (OSError, asyncio.TimeoutError, aioimaplib.AioImapException, ImapError) as exc:
                # The session is in an unknown state: start afresh next time.
                self._drop()
                if isinstance(exc, ImapError):
                    raise
                raise ImapError(f"IMAP {self._where}: {self._describe(exc)}") from None
            except asyncio.CancelledError:
                self._drop()
                raise

    async def _connected(self) -> aioimaplib.IMAP4:
        if self._client is not None and self._client.get_state() in (aioimaplib.AUTH, aioimaplib.SELECTED):
            return self._client
        self._drop()
        s = self._settings
        if s.imap_security == "tls":
            client: aioimaplib.IMAP4 = aioimaplib.IMAP4_SSL(
                s.imap_host, s.imap_port, timeout=self._timeout, ssl_context=self._tls_context()
            )
        else:
            client = aioimaplib.IMAP4(s.imap_host, s.imap_port, timeout=self._timeout)
        # Forget a connection the server closed (restart, idle logout) instead of
        # waiting for a command on it to time out.
        client.protocol.conn_lost_cb = lambda _exc: self._forget(client)
        self._client = client
        await client.wait_hello_from_server()
        if s.imap_security == "starttls":
            await self._starttls(client)
        response = await client.login(s.imap_username, s.imap_password)
        if response.result != "OK":
            raise ImapError(f"IMAP login refused for {self._where}: {self._server_text(response.lines)}")
        return client

    async def _starttls(self, client: aioimaplib.IMAP4) -> None:
        # aioimaplib has no STARTTLS of its own: send the command, then upgrade the transport.
        protocol = client.protocol
        if "STARTTLS" not in protocol.capabilities:
            raise ImapError(f"IMAP {self._where}: the server does not offer STARTTLS")
        command = aioimaplib.Command("STARTTLS", protocol.new_tag(), loop=protocol.loop)
        response = await asyncio.wait_for(protocol.execute(command), self._timeout)
        if response.result != "OK":
            raise ImapError(f"IMAP {self._where}: STARTTLS refused: {self._server_text(response.lines)}")
        loop = asyncio.get_running_loop()
        protocol.transport = await asyncio.wait_for(
            loop.start_tls(
                protocol.transport, protocol, self._tls_context(), server_hostname=self._settings.imap_host
            ),
            self._timeout,
        )
        # Capabilities announced before TLS may have been tampered with (RFC 3501 6.2.1).
        await asyncio.wait_for(protocol.capability(), self._timeout)

    async def _select(self, client: aioimaplib.IMAP4) -> bool:
        """Select the mailbox; True when it keeps our keyword, False for the \\Seen fallback."""
        response = await client.select(self._settings.imap_mailbox)
        if response.result != "OK":
            raise ImapError(
                f"IMAP {self._where}: cannot select the mailbox: {self._server_text(response.lines)}"
            )
        for line in response.lines:
            match = _PERMANENTFLAGS.search(bytes(line))
            if match is None:
                continue
            flags = match.group(1).decode(errors="replace").split()
            if "\\*" in flags or self._keyword in flags:
                return True
            if not self._warned_no_keywords:
                self._warned_no_keywords = True
                log.warning(
                    "IMAP mailbox %s does not keep custom keywords (PERMANENTFLAGS %s): marking triaged "
                    "mail \\Seen instead of %s, so mail read in a mail client before a poll is skipped",
                    self._where,
                    " ".join(flags),
                    self._keyword,
                )
            return False
        return True  # no PERMANENTFLAGS: all flags are permanent (RFC 3501 7.1)

    async def _hand_over(self, client: aioimaplib.IMAP4, use_keyword: bool) -> int:
        criteria = ("UNKEYWORD", self._keyword) if use_keyword else ("UNSEEN",)
        response = await client.uid_search(*criteria, charset=None)
        if response.result != "OK":
            raise ImapError(f"IMAP {self._where}: search failed: {self._server_text(response.lines)}")
        # aioimaplib strips "* SEARCH" from the data lines; the last line is the tagged status.
        uids = sorted(
            int(word) for line in response.lines[:-1] for word in bytes(line).split() if word.isdigit()
        )
        if uids:
            log.info("IMAP %s: %d new mail(s)", self._where, len(uids))
        flags = f"(\\Seen {self._keyword})" if use_keyword else "(\\Seen)"
        handed = 0
        for start in range(0, len(uids), self._batch_size):
            batch = uids[start : start + self._batch_size]
            handed += await self._hand_over_batch(client, batch, flags)
        return handed

    async def _hand_over_batch(self, client: aioimaplib.IMAP4, uids: Sequence[int], flags: str) -> int:
        handed = 0
        # One at a time: a 30 MB mail is held once, and a mail that will not fetch costs only itself.
        for uid in uids:
            raw = await self._fetch(client, uid)
            if raw is None:
                continue
            handed += 1
            try:
                recorded = await self._intake(raw)
            except Exception:
                log.exception("IMAP %s: intake failed on UID %d; it will come again", self._where, uid)
                continue
            if not recorded:
                log.info("IMAP %s: intake did not take UID %d; it will come again", self._where, uid)
                continue
            # aioimaplib puts no timeout on UID STORE.
            stored = await asyncio.wait_for(
                client.uid("store", str(uid), "+FLAGS.SILENT", flags), self._timeout
            )
            if stored.result != "OK":
                log.warning(
                    "IMAP %s: could not mark UID %d as triaged (%s); intake will see it again",
                    self._where,
                    uid,
                    self._server_text(stored.lines),
                )
        return handed

    async def _fetch(self, client: aioimaplib.IMAP4, uid: int) -> bytes | None:
        """The whole mail, or None (logged) when this one mail cannot be fetched."""
        try:
            response = await client.uid("fetch", str(uid), "BODY.PEEK[]")
        except aioimaplib.CommandTimeout:
            # Server stopped answering mid-mail: the session is not worth keeping.
            raise ImapError(f"IMAP {self._where}: fetching UID {uid} timed out") from None
        if response.result == "OK":
            for index, line in enumerate(response.lines):
                # The literal (a bytearray) follows the "n FETCH (UID u BODY[] {size}" line.
                if isinstance(line, bytearray) and index > 0:
                    header = bytes(response.lines[index - 1])
                    found = _FETCH_UID.search(header)
                    if found is None or int(found.group(1)) == uid:
                        return bytes(line)
        log.warning(
            "IMAP %s: could not fetch UID %d (%s %s); skipped this time",
            self._where,
            uid,
            response.result,
            self._server_text(response.lines[-1:]),
        )
        return None

    # -- background loop --------------------------------------------------------------------

    def start(self) -> None:
        """Poll every ``imap_interval_seconds`` in a background task, until :meth:`stop`."""
        if not self._settings.imap_host:
            log.info("IMAP poller not started: GEM_IMAP_HOST is empty")
            return
        self._worker.start()

    @property
    def running(self) -> bool:
        return self._worker.running

    async def stop(self) -> None:
        """End the background task, then log out (and let another hub poll at once)."""
        await self._worker.stop()
        if self._lease is not None:
            with contextlib.suppress(SQLAlchemyError, OSError):
                await self._lease.release()  # else another hub takes over when it ends
        client, self._client = self._client, None
        if client is not None:
            try:
                if client.get_state() in (aioimaplib.AUTH, aioimaplib.SELECTED):
                    await asyncio.wait_for(client.logout(), min(self._timeout, 5.0))
            except (OSError, asyncio.TimeoutError, aioimaplib.AioImapException):
                pass  # the server is gone or slow; closing the socket is enough
            finally:
                self._close(client)

    async def _poll(self) -> bool:
        if self._lease is not None and not await self._lease.hold():
            self._drop()  # another hub polls; no idle IMAP session kept meanwhile
            return False
        await self.poll_once()
        return False  # one poll per interval, even when it found mail

    def _delay(self, failures: int) -> float:
        interval = self._interval
        if not failures:
            return interval
        # Back off on repeated failures (a locked account must not be hammered), up to 5 minutes.
        return min(interval * 2 ** min(failures - 1, 16), max(interval, _MAX_BACKOFF_SECONDS))

    # -- helpers ----------------------------------------------------------------------------

    def _tls_context(self) -> ssl.SSLContext:
        return self._ssl_context or ssl.create_default_context()

    def _forget(self, client: aioimaplib.IMAP4) -> None:
        if self._client is client:
            self._client = None

    def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            self._close(client)

    @staticmethod
    def _close(client: aioimaplib.IMAP4) -> None:
        transport = client.protocol.transport
        if transport is not None:
            transport.close()
        if not client._client_task.done():  # still connecting
            client._client_task.cancel()
        for task in list(client.protocol.tasks):  # a greeting still being read
            task.cancel()

    def _describe(self, exc: BaseException) -> str:
        if isinstance(exc, (asyncio.TimeoutError, aioimaplib.CommandTimeout)):
            return f"no answer within {self._timeout:g} s"
        # aioimaplib puts whole commands (a LOGIN among them) into some of its exceptions.
        return self._redact(f"{type(exc).__name__}: {exc}")

    def _server_text(self, lines: Sequence[bytes | bytearray]) -> str:
        text = " ".join(bytes(line[:200]).decode(errors="replace") for line in lines[-2:])
        return self._redact(text) or "no reason given"

    def _redact(self, text: str) -> str:
        password = self._settings.imap_password
        if password:
            quoted = password.replace("\\", "\\\\").replace('"', '\\"')
            for form in {quoted.replace("\\", "\\\\"), quoted, password}:
                text = text.replace(form, "***")
        return text
