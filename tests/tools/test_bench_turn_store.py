"""`python -m tools.bench_turn_store`: both ways store every turn, and the figures come out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools import bench_turn_store


def test_times_both_ways_and_writes_the_figures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "turn_store.json"
    assert bench_turn_store.main(["--turns", "25", "--json", str(out)]) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert set(report) == {"thread", "session"}
    for figures in report.values():
        # 25 turns in rounds of 100, the first 10 of a round left out.
        assert figures["turns"] == 15
        assert 0 < figures["wall_p50_ms"] <= figures["wall_p90_ms"]
        assert 0 < figures["cpu_p50_ms"] <= figures["cpu_p90_ms"]
    printed = capsys.readouterr().out
    assert "thread ÷ session, wall p50:" in printed


async def test_every_turn_is_stored(tmp_path: Path) -> None:
    from sqlalchemy import func, select

    from bot.db.engine import create_engine
    from bot.db.models import Message
    from bot.settings import Settings

    database = tmp_path / "hub.db"
    await bench_turn_store.measure(12, database)
    engine = create_engine(Settings(database_url=f"sqlite+aiosqlite:///{database}"))
    try:
        async with engine.connect() as connection:
            count = (await connection.execute(select(func.count()).select_from(Message))).scalar_one()
    finally:
        await engine.dispose()
    # 12 turns each way, each a person's message and two replies.
    assert count == 2 * 12 * 3


def test_too_few_turns_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        bench_turn_store.main(["--turns", "5"])
    assert exit_.value.code == 2
    assert "--turns must be more than 10" in capsys.readouterr().err
