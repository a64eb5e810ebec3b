"""``python -m bot triage``: triage .eml files, folders of them, or an mbox, from the command line.

    python -m bot triage support.mbox                 what the triage would do, one line per mail
    python -m bot triage --json mails/ > plan.jsonl   the same as JSON lines
    python -m bot triage --apply support.mbox         really file them: answers go to the outbox
                                                      (sent by the hub), tickets to the console

Without ``--apply`` nothing you have is touched: the mails go through the whole triage
(threads, duplicates, rate limits included) in a throw-away database, and nothing is sent.
The Rasa server at ``GEM_RASA_URL`` must be running. Beside ``make run`` nothing needs
setting: the command reads the running stack's address and token from ``var/stack.env``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import mailbox
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

import aiohttp

from bot.db.conversations import ConversationStore
from bot.db.engine import create_engine, session_factory, upgrade_to_head
from bot.handoff.live import LiveChannels
from bot.handoff.service import Handoffs
from bot.handoff.store import HandoffStore
from bot.limits.database import SharedRateLimits
from bot.mail.addresses import mask_email
from bot.mail.outbox import Outbox
from bot.rasa_client import AssistantUnavailable, Parse, RasaClient
from bot.settings import PROJECT_ROOT, Settings
from bot.triage.parse import parse_mail
from bot.triage.parsed import MalformedMail
from bot.triage.quotes import classification_text
from bot.triage.replies import MailReplies
from bot.triage.service import TextParser, Triage
from bot.triage.store import TriageStore

__all__ = ["Summary", "add_parser", "read_mails", "run", "triage_mails"]

# Written by tools/serve.py (make run) while the stack runs.
STACK_ENV = PROJECT_ROOT / "var" / "stack.env"

# Texts classified at once while reading ahead (Rasa serves them one by one anyway; a few
# in flight keep it busy while the database work of the previous mail goes on).
PARALLEL_PARSES = 4


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "triage",
        help="triage .eml files, folders or an mbox (prints what it would do; --apply to do it)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "paths", nargs="+", type=Path, help=".eml files, folders of .eml files, or mbox files"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per mail instead of a table")
    parser.add_argument(
        "--apply", action="store_true", help="record in the hub's database and queue the answers"
    )
    parser.add_argument("--quiet", action="store_true", help="only the summary (no line per mail)")


def with_local_stack(settings: Settings, stack_env: Path = STACK_ENV) -> Settings:
    """The Rasa address and token ``make run`` wrote, unless GEM_RASA_TOKEN says otherwise."""
    if settings.rasa_token or not stack_env.exists():
        return settings
    values = dict(line.split("=", 1) for line in stack_env.read_text().splitlines() if "=" in line)
    return dataclasses.replace(
        settings,
        rasa_url=values.get("GEM_RASA_URL", settings.rasa_url),
        rasa_token=values.get("GEM_RASA_TOKEN", ""),
    )


def run(settings: Settings, args: argparse.Namespace) -> int:
    settings = with_local_stack(settings)
    missing = [str(path) for path in args.paths if not path.exists()]
    if missing:
        print(f"error: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(_run(settings, args))
    except AssistantUnavailable as exc:
        if "HTTP 401" in str(exc) or "HTTP 403" in str(exc):
            problem = "refused the token; set GEM_RASA_TOKEN to the token it was started with"
        else:
            problem = "does not answer; start it (make run) or set GEM_RASA_URL and GEM_RASA_TOKEN"
        print(f"error: the Rasa server at {settings.rasa_url} {problem}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130


def read_mails(paths: list[Path]) -> Iterator[tuple[str, bytes]]:
    """(where, raw bytes) of every mail in the paths: .eml files, folders, mbox files."""
    for path in paths:
        if path.is_dir():
            yield from read_mails(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix == ".eml"))
            continue
        with path.open("rb") as handle:
            is_mbox = handle.read(5) == b"From "
        if not is_mbox:
            yield str(path), path.read_bytes()
            continue
        box = mailbox.mbox(str(path), create=False)
        try:
            for index, key in enumerate(box.iterkeys(), start=1):
                yield f"{path}#{index}", box.get_bytes(key)
        finally:
            box.close()


@contextlib.asynccontextmanager
async def _database(settings: Settings, apply: bool) -> AsyncIterator[Settings]:
    if apply:
        yield settings
        return
    with tempfile.TemporaryDirectory(prefix="gem-triage-") as scratch:
        yield dataclasses.replace(settings, database_url=f"sqlite+aiosqlite:///{scratch}/dry-run.db")


class _ReadAhead:
    """Rasa's answers for the texts of the next mails, asked before they are needed."""

    def __init__(self, rasa: TextParser) -> None:
        self._rasa = rasa
        self._pending: dict[str, asyncio.Task[Parse]] = {}

    def ask(self, text: str) -> None:
        if text and text not in self._pending:
            self._pending[text] = asyncio.create_task(self._rasa.parse(text))

    async def parse(self, text: str) -> Parse:
        self.ask(text)
        return await self._pending.pop(text)


@dataclasses.dataclass
class Summary:
    total: int = 0
    elapsed: float = 0.0
    decisions: Counter[str] = dataclasses.field(default_factory=Counter)
    reasons: Counter[str] = dataclasses.field(default_factory=Counter)

    @property
    def per_second(self) -> float:
        return self.total / self.elapsed if self.elapsed > 0 else 0.0


async def triage_mails(
    settings: Settings,
    mails: list[tuple[str, bytes]],
    *,
    apply: bool = False,
    emit: Callable[[dict[str, Any]], None] = lambda line: None,
    progress: Callable[[], None] = lambda: None,
    parser: TextParser | None = None,
) -> Summary:
    """Triage ``(where, raw)`` mails in order, one ``emit``ted line each; raises
    AssistantUnavailable when Rasa cannot be reached or refuses the token.

    ``parser`` replaces the Rasa server at ``settings.rasa_url`` (``tools.evaluate_mail``
    passes a model loaded in its own process).
    """
    summary = Summary(total=len(mails))
    started = time.perf_counter()
    async with _database(settings, apply) as db_settings, aiohttp.ClientSession() as http:
        engine = create_engine(db_settings)
        try:
            await upgrade_to_head(engine)
            rasa: TextParser = parser or RasaClient(http, settings)
            await rasa.parse("bonjour")  # Rasa is there and takes our token, or a clear error
            ahead = _ReadAhead(rasa)
            triage = _triage(engine, ahead, db_settings)
            texts: dict[int, str] = {}
            for index, (where, raw) in enumerate(mails):
                for later in range(index + 1, min(index + 1 + PARALLEL_PARSES, len(mails))):
                    if later not in texts:
                        texts[later] = _text_of(mails[later][1], settings)
                        ahead.ask(texts[later])
                texts.pop(index, None)
                received = await triage.receive(raw, source="file")
                if received.status == "new":
                    await triage.process_one()
                line = _line(where, received.status, await triage.store.get(received.mail_id))
                summary.decisions[line["decision"]] += 1
                summary.reasons[f"{line['decision']}: {line['reason']}"] += 1
                emit(line)
                progress()
        finally:
            await engine.dispose()
    summary.elapsed = time.perf_counter() - started
    return summary


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    mails = list(read_mails(args.paths))
    out = sys.stdout

    def emit(line: dict[str, Any]) -> None:
        if args.json:
            print(json.dumps(line, ensure_ascii=False), file=out)
        elif not args.quiet:
            print(_format(line), file=out)

    bar = _Progress(len(mails), sys.stderr, enabled=not args.json and len(mails) >= 50)
    summary = await triage_mails(settings, mails, apply=args.apply, emit=emit, progress=bar.step)
    bar.done()
    _summary(summary, args, sys.stderr if args.json else out)
    return 0


def _triage(engine: Any, rasa: TextParser, settings: Settings) -> Triage:
    sessions = session_factory(engine)
    conversations = ConversationStore(sessions, settings)
    outbox = Outbox(sessions)
    store = TriageStore(sessions)
    replies = MailReplies(store, outbox, settings)
    handoffs = Handoffs(
        HandoffStore(sessions),
        conversations,
        LiveChannels(),
        outbox,
        settings,
        mail_replies=replies.agent_replied,
    )
    return Triage(
        store,
        rasa,
        settings,
        handoffs=handoffs,
        outbox=outbox,
        limits=SharedRateLimits(sessions),
    )


def _text_of(raw: bytes, settings: Settings) -> str:
    try:
        return classification_text(parse_mail(raw, max_bytes=settings.triage_max_bytes))
    except MalformedMail:
        return ""


def _line(where: str, status: str, row: Any) -> dict[str, Any]:
    decision = "duplicate" if status == "duplicate" else (row.decision or "waiting")
    return {
        "mail": where,
        "decision": decision,
        "reason": (row.reason or row.last_error or "") if status != "duplicate" else "same Message-ID",
        "language": row.language,
        "intent": row.intent,
        "confidence": None if row.confidence is None else round(row.confidence, 3),
        "deciding": row.deciding_text or "",
        "from": mask_email(row.from_address) if row.from_address else "",
        "subject": row.subject,
        "attachments": len(row.attachments or []),
    }


def _format(line: dict[str, Any]) -> str:
    understood = f"{line['intent']} {line['confidence']:.2f}" if line["intent"] else "-"
    return (
        f"{line['decision']:<11} {line['reason']:<22} {line['language'] or '--':<2}  {understood:<28} "
        f"{line['from'] or '-':<24} {line['subject'][:60]}  [{line['mail']}]"
    )


def _summary(summary: Summary, args: Any, out: TextIO) -> None:
    mode = "applied" if args.apply else "dry run: nothing recorded, nothing sent"
    print(
        f"\n{summary.total} mails in {summary.elapsed:.1f} s ({summary.per_second:.1f} mails/s) — {mode}",
        file=out,
    )
    for decision, count in summary.decisions.most_common():
        print(f"  {decision:<11} {count:>6}", file=out)
    for reason, count in sorted(summary.reasons.items()):
        print(f"    {reason:<40} {count:>6}", file=out)


class _Progress:
    """A one-line progress bar on the terminal (or a line every 10% when not a terminal)."""

    def __init__(self, total: int, stream: TextIO, *, enabled: bool) -> None:
        self._total, self._stream, self._enabled = total, stream, enabled
        self._done = 0
        self._tty = stream.isatty()
        self._started = time.perf_counter()
        self._last_decile = 0

    def step(self) -> None:
        self._done += 1
        if not self._enabled:
            return
        rate = self._done / max(time.perf_counter() - self._started, 1e-6)
        if self._tty:
            filled = int(30 * self._done / self._total)
            bar = "#" * filled + "." * (30 - filled)
            self._stream.write(f"\r[{bar}] {self._done}/{self._total} mails, {rate:.1f}/s")
            self._stream.flush()
        elif self._done * 10 // self._total > self._last_decile:
            self._last_decile = self._done * 10 // self._total
            print(f"{self._done}/{self._total} mails, {rate:.1f}/s", file=self._stream, flush=True)

    def done(self) -> None:
        if self._enabled and self._tty:
            self._stream.write("\n")
