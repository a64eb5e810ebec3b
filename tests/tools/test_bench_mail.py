"""`python -m tools.bench_mail`: the generated mailbox, and that the command runs and reports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import Settings
from bot.triage.automatic import automatic_reason
from bot.triage.parse import parse_mail
from tools.bench_mail import generate

ROOT = Path(__file__).resolve().parents[2]


def test_the_generated_mailbox_has_unique_ids_and_one_automatic_mail_in_ten() -> None:
    mails = generate(100)
    parsed = [parse_mail(raw, max_bytes=10_000_000) for _, raw in mails]
    assert len({mail.message_id for mail in parsed}) == 100
    own = Settings().own_addresses
    automatic = [mail for mail in parsed if automatic_reason(mail, own_addresses=own) is not None]
    assert len(automatic) == 10
    people = [mail for mail in parsed if mail not in automatic]
    assert len({mail.from_address for mail in people}) == 90


@pytest.mark.skipif(not (ROOT / "models" / "gem-books.tar.gz").exists(), reason="no trained model")
def test_the_command_runs_and_writes_its_report(tmp_path: Path) -> None:
    out = tmp_path / "bench_mail.json"
    completed = subprocess.run(
        [sys.executable, "-m", "tools.bench_mail", "--mails", "30", "--json", str(out)],
        cwd=ROOT,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-3000:]
    assert "mails/s" in completed.stdout
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["mails"] == 30 and report["mails_per_second"] > 0
    assert sum(report["decisions"].values()) == 30
    assert report["decisions"]["filed"] == 3
    assert report["profile"]["rasa_parse_alone_sequential_per_second"] > 0
