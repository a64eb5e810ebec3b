"""The hub's database work per chat turn: ``ConversationStore.record_turn``, timed both ways.

    .venv/bin/python -m tools.bench_turn_store               # 600 turns each way
    .venv/bin/python -m tools.bench_turn_store --turns 2000 --json results/turn_store.json

On a throw-away SQLite file, migrated like the hub's, one conversation takes ``--turns``
turns (a person's message with its NLU result, the steps, two replies with a button),
alternating in rounds of 100 between the two ways the store can run the transaction:

- **thread**: what the hub does on a SQLite file, one trip to a dedicated thread on a
  synchronous connection (``bot.db.transactions``);
- **session**: the same statements in an ``AsyncSession`` over aiosqlite, a trip to
  aiosqlite's thread for every statement (what the store does without ``transactions``).

Prints the median and 90th percentile of the wall time and of the process's CPU time per
turn (the first 10 of each round are left out: caches warming up). Run it on a quiet
machine and compare the two lines of one run, not figures of different runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

from bot.db.conversations import ConversationStore, PersonMessage
from bot.db.engine import create_engine, session_factory, upgrade_to_head
from bot.db.models import utcnow
from bot.db.transactions import Transactions
from bot.settings import Settings
from tools.bench import percentile

ROUND = 100
WARM_UP = 10
REPLIES = [
    (
        "assistant",
        "Voici comment réinitialiser votre mot de passe. " * 3,
        [{"title": "Oui", "payload": "/affirm"}],
    ),
    ("assistant", "Est-ce que ça a fonctionné?", None),
]


async def measure(turns: int, database: Path) -> dict[str, dict[str, float]]:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{database}")
    engine = create_engine(settings)
    transactions = Transactions.for_engine(engine, settings)
    try:
        await upgrade_to_head(engine)
        sessions = session_factory(engine)
        stores = {
            "thread": ConversationStore(sessions, settings, transactions),
            "session": ConversationStore(sessions, settings),
        }
        conversation = await stores["session"].create("fr", "widget")
        times: dict[str, list[tuple[float, float]]] = {way: [] for way in stores}
        for start in range(0, turns, ROUND):
            for way, store in stores.items():
                for number in range(min(ROUND, turns - start)):
                    person = PersonMessage(
                        f"message {start + number}", None, utcnow(), "forgot_password", 0.9, "fr"
                    )
                    wall, cpu = time.perf_counter(), time.process_time()
                    await store.record_turn(
                        conversation.id, person, REPLIES, steps_tried=("reset_link:failed",), shown_step=2
                    )
                    if number >= WARM_UP:
                        times[way].append((time.perf_counter() - wall, time.process_time() - cpu))
    finally:
        await transactions.close()
        await engine.dispose()
    return {way: _summary(samples) for way, samples in times.items()}


def _summary(samples: list[tuple[float, float]]) -> dict[str, float]:
    walls, cpus = [s[0] * 1000 for s in samples], [s[1] * 1000 for s in samples]
    return {
        "turns": len(samples),
        "wall_p50_ms": percentile(walls, 50),
        "wall_p90_ms": percentile(walls, 90),
        "cpu_p50_ms": percentile(cpus, 50),
        "cpu_p90_ms": percentile(cpus, 90),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=600, help="turns each way (default 600)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    if args.turns <= WARM_UP:
        parser.error(f"--turns must be more than {WARM_UP}")
    with tempfile.TemporaryDirectory(prefix="gem-turn-store-") as tmp:
        report = asyncio.run(measure(args.turns, Path(tmp) / "hub.db"))
    print("record_turn on a SQLite file, per turn (ms)   wall p50   wall p90   CPU p50   CPU p90")
    for way, figures in report.items():
        print(
            f"  {way:<44} {figures['wall_p50_ms']:8.2f}   {figures['wall_p90_ms']:8.2f}"
            f"  {figures['cpu_p50_ms']:8.2f}  {figures['cpu_p90_ms']:8.2f}"
        )
    thread, session = report["thread"]["wall_p50_ms"], report["session"]["wall_p50_ms"]
    print(f"thread ÷ session, wall p50: {thread / session:.2f}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
