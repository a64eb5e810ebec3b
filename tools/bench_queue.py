"""The console's queue page under a mail flood: how many tickets it makes, how long a page takes.

    .venv/bin/python -m tools.bench_queue                  # 300 mails from one sender, real Rasa
    .venv/bin/python -m tools.bench_queue --mails 300 --others 3
    .venv/bin/python -m tools.bench_queue --tickets 300    # no Rasa: 300 open tickets made directly

Starts the hub in-process on a throw-away SQLite database (and, for ``--mails``, the Rasa
and action servers), sends the flood through the triage as received mail (one sender,
a new Message-ID and question each; ``--others`` other people write once), waits until
the worker has triaged every mail, then signs in to the console and times ``GET /console``
(the median of ``--repeat`` loads, with the SQL statements of one load). The issue 14
figure ("303 tickets, 27 ms → 309 ms") is what this measures.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import re
import statistics
import sys
import tempfile
import time
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer
from sqlalchemy import event, func, select

from bot.app import init_app
from bot.appkeys import AGENTS, ENGINE, HANDOFFS, STORE, TRIAGE
from bot.db.engine import session_factory
from bot.db.handoff_models import Handoff
from bot.handoff.packet import Packet
from bot.settings import Settings
from tools.stack import RasaStack, StackError, free_port

AGENT = ("bench@gem-books.com", "Bench", "bench-password-1")
QUESTIONS = (
    "Bonjour, je n'arrive plus à me connecter à GEM-BOOKS depuis ce matin. Pouvez-vous m'aider? Merci",
    "Allo, mon mot de passe ne marche plus et je suis bloqué. Que faire?",
    "Bonjour, j'ai oublié mon code d'utilisateur, comment le retrouver?",
)


def flood_mail(number: int, sender: str) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "soutien@gem-books.com"
    message["Subject"] = f"Problème de connexion ({number})"
    message["Message-ID"] = make_msgid(domain="exemple.ca")
    message.set_content(f"{QUESTIONS[number % len(QUESTIONS)]}\n\nEnvoi no {number}")
    return message.as_bytes()


async def wait_triaged(app: Any, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        counts = await app[TRIAGE].store.counts()
        if sum(n for decision, n in counts.items() if decision != "None") >= count:
            return
        await asyncio.sleep(0.2)
    raise TimeoutError(f"triage did not finish: {await app[TRIAGE].store.counts()}")


async def open_tickets(app: Any, count: int) -> None:
    """``count`` open tickets, as the flood made them before issue 14 (no Rasa needed)."""
    store, handoffs = app[STORE], app[HANDOFFS]
    for number in range(count):
        conversation = await store.create("fr", "email")
        message = await store.add_message(conversation.id, "person", QUESTIONS[number % len(QUESTIONS)])
        await store.record_understanding(message.id, "login_problem", 0.9, "fr")
        packet = Packet(conversation.id, "email", "fr", channel="email", detail="rate_limited")
        await handoffs.store.open(packet, agent_online=False)


async def time_queue(base: str, repeat: int, app: Any) -> tuple[float, int, int]:
    """(median ms, SQL statements of one load, rows shown) of GET /console, signed in."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(f"{base}/console/login") as response:
            token = re.search(r'name="csrf" value="([^"]+)"', await response.text()).group(1)  # type: ignore[union-attr]
        data = {"csrf": token, "email": AGENT[0], "password": AGENT[2]}
        async with http.post(f"{base}/console/login", data=data) as response:
            assert response.status == 200, response.status
        times = []
        statements: list[str] = []

        def count(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
            # The outbox and triage workers poll the same engine meanwhile: not the page's.
            if not any(table in statement for table in ("FROM outbox", "FROM inbound_mail", "UPDATE outbox")):
                statements.append(statement)

        engine = app[ENGINE].sync_engine
        html = ""
        for index in range(repeat + 1):
            if index == 1:
                event.listen(engine, "before_cursor_execute", count)
            started = time.perf_counter()
            async with http.get(f"{base}/console") as response:
                html = await response.text()
                assert response.status == 200
            if index == 1:
                event.remove(engine, "before_cursor_execute", count)
            if index > 0:  # the first load warms caches
                times.append((time.perf_counter() - started) * 1000)
        rows = len(re.findall(r'href="/console/c/\d+"', html))
    return statistics.median(times), len(statements), rows


async def run(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="gem-bench-queue-") as tmp:
        settings = Settings(
            database_url=f"sqlite+aiosqlite:///{Path(tmp) / 'hub.db'}",
            triage_smtp_port=0,
            triage_poll_seconds=0.05,
            internal_port=free_port(),
            smtp_port=free_port(),  # nothing listens: answers wait in the outbox
        )
        stack = None
        if not args.tickets:
            stack = RasaStack(log_dir=Path(tmp) / "logs")
            try:
                await stack.start()
            except StackError as exc:
                print(f"Rasa did not start: {exc}", file=sys.stderr)
                return 1
            settings = dataclasses.replace(
                settings, rasa_url=stack.rasa_url, rasa_token=stack.token, action_server_url=stack.actions_url
            )
        app = init_app(settings)
        server = TestServer(app, host="127.0.0.1", port=free_port())
        await server.start_server()
        try:
            await app[AGENTS].create(*AGENT)
            started = time.perf_counter()
            if args.tickets:
                await open_tickets(app, args.tickets)
                mails = 0
            else:
                sender = "Flood <flood@exemple.ca>"
                raws = [flood_mail(n, sender) for n in range(args.mails)]
                raws += [flood_mail(n, f"Personne {n} <personne{n}@exemple.ca>") for n in range(args.others)]
                for raw in raws:
                    await app[TRIAGE].receive(raw, source="file")
                mails = len(raws)
                await wait_triaged(app, mails, timeout=1800)
            made = time.perf_counter() - started
            async with session_factory(app[ENGINE])() as session:
                tickets = await session.scalar(select(func.count()).select_from(Handoff))
            median, statements, rows = await time_queue(
                str(server.make_url("")).rstrip("/"), args.repeat, app
            )
        finally:
            await server.close()
            if stack is not None:
                await stack.stop()
    what = f"{mails} mails triaged in {made:.1f} s" if mails else f"{args.tickets} tickets opened"
    print(
        f"{what}; tickets: {tickets}; queue page: {median:.1f} ms median of {args.repeat}, "
        f"{statements} SQL statements, {rows} rows shown"
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mails", type=int, default=300, help="mails from one sender (default 300)")
    parser.add_argument("--others", type=int, default=3, help="other people who write once (default 3)")
    parser.add_argument(
        "--tickets", type=int, default=0, help="open this many tickets directly instead (no Rasa)"
    )
    parser.add_argument("--repeat", type=int, default=20, help="page loads timed (default 20)")
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
