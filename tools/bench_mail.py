"""Email-triage throughput: how many mails per second ``python -m bot triage`` gets through.

    .venv/bin/python -m tools.bench_mail                 # 1,000 generated mails (make bench runs it)
    .venv/bin/python -m tools.bench_mail --mails 200 --json results/bench_mail.json

Generates a mailbox of ``--mails`` mails from the test corpus (``tests/data/mail/``): the
people's mails get a new sender and Message-ID each (so rate limits and duplicates do not
short-cut the work), one in ten is an automatic mail (filed without asking Rasa). Then it
starts the Rasa and action servers, triages the mailbox as the command does (dry run: a
throw-away database, nothing sent) and reports mails per second. To show where the time
goes it also times, on the same texts, Rasa's ``/model/parse`` alone (one at a time and
four at a time) and the parsing of the mails alone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from bot.rasa_client import RasaClient
from bot.settings import Settings
from bot.triage.automatic import automatic_reason
from bot.triage.cli import triage_mails
from bot.triage.parse import parse_mail
from bot.triage.quotes import classification_text
from tools.stack import PROJECT_ROOT, RasaStack, StackError

CORPUS = PROJECT_ROOT / "tests" / "data" / "mail"
MAX_BYTES = Settings().triage_max_bytes


def corpus_kinds() -> tuple[list[bytes], list[bytes]]:
    """(people's mails, automatic mails) of the corpus, as raw bytes."""
    entries = yaml.safe_load((CORPUS / "corpus.yml").read_text(encoding="utf-8"))["mails"]
    people: list[bytes] = []
    automatic: list[bytes] = []
    for entry in entries:
        expect = entry["expect"]
        if expect["malformed"]:
            continue
        raw = (CORPUS / entry["file"]).read_bytes()
        (automatic if expect["automatic"] else people).append(raw)
    return people, automatic


def generate(count: int) -> list[tuple[str, bytes]]:
    """``count`` mails: people's with fresh senders and ids, and 10% automatic mail."""
    people, automatic = corpus_kinds()
    mails = []
    for index in range(count):
        if index % 10 == 9:
            source = automatic[index // 10 % len(automatic)]
            message = BytesParser(policy=policy.compat32).parsebytes(source)
            del message["Message-ID"]
            message["Message-ID"] = f"<bench-{index}@exemple.ca>"
            mails.append((f"auto-{index}", message.as_bytes()))
            continue
        parsed = parse_mail(people[index % len(people)], max_bytes=MAX_BYTES)
        message = EmailMessage()
        message["From"] = f"Personne {index} <personne{index}@exemple.ca>"
        message["To"] = "soutien@gem-books.com"
        message["Subject"] = parsed.subject
        message["Message-ID"] = f"<bench-{index}@exemple.ca>"
        message.set_content(parsed.text or "(vide)")
        mails.append((f"person-{index}", message.as_bytes()))
    return mails


async def time_parse_alone(rasa: RasaClient, texts: list[str], parallel: int) -> float:
    """Seconds for Rasa's /model/parse of every text, ``parallel`` requests in flight."""
    queue = list(texts)
    started = time.perf_counter()

    async def worker() -> None:
        while queue:
            await rasa.parse(queue.pop())

    await asyncio.gather(*(worker() for _ in range(parallel)))
    return time.perf_counter() - started


async def measure(rasa_url: str, rasa_token: str, count: int, scratch: Path) -> dict[str, Any]:
    """Triage ``count`` generated mails against a running Rasa; the report (see module doc)."""
    mails = generate(count)
    started = time.perf_counter()
    parsed = [parse_mail(raw, max_bytes=MAX_BYTES) for _, raw in mails]
    parse_seconds = time.perf_counter() - started
    own = Settings().own_addresses
    # What the triage asks Rasa about: people's mail (automatic mail is filed unasked).
    texts = [
        classification_text(mail) for mail in parsed if automatic_reason(mail, own_addresses=own) is None
    ]
    settings = Settings(
        rasa_url=rasa_url,
        rasa_token=rasa_token,
        rasa_timeout_seconds=60.0,
        database_url=f"sqlite+aiosqlite:///{scratch}/unused.db",
        # Every known problem answered (the default cap, 200 an hour, would turn the rest
        # into tickets and measure less of the work).
        triage_replies_global=len(mails),
    )
    async with aiohttp.ClientSession() as http:
        rasa = RasaClient(http, settings)
        await rasa.parse("bonjour")  # warm
        summary = await triage_mails(settings, mails)
        sequential = await time_parse_alone(rasa, texts, 1)
        parallel = await time_parse_alone(rasa, texts, 4)
    return {
        "mails": summary.total,
        "seconds": round(summary.elapsed, 2),
        "mails_per_second": round(summary.per_second, 1),
        "decisions": dict(summary.decisions),
        "profile": {
            "texts_sent_to_rasa": len(texts),
            "rasa_parse_alone_sequential_per_second": round(len(texts) / sequential, 1),
            "rasa_parse_alone_4_parallel_per_second": round(len(texts) / parallel, 1),
            "mail_parsing_alone_per_second": round(len(mails) / parse_seconds, 1),
        },
    }


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    print(f"==> {args.mails} mails to triage; starting Rasa (a minute or so)", flush=True)
    with tempfile.TemporaryDirectory(prefix="gem-bench-mail-") as scratch:
        async with RasaStack(PROJECT_ROOT, model=args.model, log_dir=Path(scratch)) as stack:
            print("==> triaging the mailbox (dry run), then Rasa's /model/parse alone", flush=True)
            return await measure(stack.rasa_url, stack.token, args.mails, Path(scratch))


def print_table(report: dict[str, Any]) -> None:
    profile = report["profile"]
    print(
        f"\nEmail triage (python -m bot triage, dry run): {report['mails']} mails in {report['seconds']} s"
        f" = {report['mails_per_second']} mails/s"
    )
    print("  decisions: " + ", ".join(f"{k} {v}" for k, v in sorted(report["decisions"].items())))
    print("  where the time goes (same texts, same Rasa):")
    print(
        f"    Rasa /model/parse alone, 1 at a time   {profile['rasa_parse_alone_sequential_per_second']:>8} texts/s"
    )
    print(
        f"    Rasa /model/parse alone, 4 at a time   {profile['rasa_parse_alone_4_parallel_per_second']:>8} texts/s"
    )
    print(f"    parsing the mails alone                {profile['mail_parsing_alone_per_second']:>8} mails/s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=1000, help="how many mails to generate (default 1000)")
    parser.add_argument("--model", type=Path, default=PROJECT_ROOT / "models" / "gem-books.tar.gz")
    parser.add_argument("--json", type=Path, default=PROJECT_ROOT / "results" / "bench_mail.json")
    args = parser.parse_args(argv)
    if args.mails < 1:
        parser.error("--mails must be at least 1")
    if not args.model.exists():
        print(f"error: no model at {args.model}; run `make train` first", file=sys.stderr)
        return 2
    try:
        report = asyncio.run(bench(args))
    except StackError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print_table(report)
    print(f"\nwritten to {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
