"""``python -m bot triage`` as a person runs it: on an mbox and on the corpus folder,
as JSON lines or a table, dry run or applied, and with Rasa down."""

from __future__ import annotations

import json
import mailbox
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.settings import PROJECT_ROOT
from tests.bot.conftest import closed_port_url

CORPUS = PROJECT_ROOT / "tests" / "data" / "mail"
KNOWN = ["login_qc.eml", "forgot_password_en.eml", "out_of_scope_invoice_fr.eml", "auto_vacation_fr.eml"]


def triage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "triage", *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def make_mbox(path: Path, files: list[str], copies: int = 1) -> int:
    box = mailbox.mbox(str(path))
    for _ in range(copies):
        for name in files:
            box.add((CORPUS / name).read_bytes())
    box.flush()
    box.close()
    return len(files) * copies


@pytest.fixture
def stack_env(rasa_stack: Any, tmp_path: Path) -> dict[str, str]:
    return {
        "GEM_RASA_URL": rasa_stack.rasa_url,
        "GEM_RASA_TOKEN": rasa_stack.token,
        "GEM_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}",
    }


def test_a_dry_run_on_an_mbox_prints_one_json_line_per_mail_and_records_nothing(
    tmp_path: Path, stack_env: dict[str, str]
) -> None:
    total = make_mbox(tmp_path / "support.mbox", KNOWN, copies=2)
    done = triage("--json", str(tmp_path / "support.mbox"), env=stack_env)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(lines) == total
    first = {Path(line["mail"]).name.split("#")[1]: line for line in lines[:4]}
    assert (first["1"]["decision"], first["1"]["intent"], first["1"]["language"]) == (
        "auto_reply",
        "login_problem",
        "fr",
    )
    assert (first["2"]["decision"], first["2"]["language"]) == ("auto_reply", "en")
    assert first["3"]["decision"] == "ticket"
    assert (first["4"]["decision"], first["4"]["reason"]) == ("filed", "auto_submitted")
    # The second copy of each mail has the same Message-ID: nothing twice.
    assert [line["decision"] for line in lines[4:]] == ["duplicate"] * 4
    assert all("@" not in line["from"] or "***" in line["from"] for line in lines)  # masked
    assert f"{total} mails in" in done.stderr and "dry run" in done.stderr
    assert not (tmp_path / "hub.db").exists()


def test_the_corpus_folder_as_a_table(stack_env: dict[str, str]) -> None:
    done = triage(str(CORPUS), env=stack_env)
    assert done.returncode == 0, done.stderr
    count = len(list(CORPUS.glob("*.eml")))
    rows = [line for line in done.stdout.splitlines() if line.endswith(".eml]")]
    assert len(rows) == count
    assert f"{count} mails in" in done.stdout
    for decision in ("auto_reply", "ticket", "filed"):
        assert any(row.startswith(decision) for row in rows), decision


def test_apply_records_the_mails_and_queues_the_answers(tmp_path: Path, stack_env: dict[str, str]) -> None:
    make_mbox(tmp_path / "support.mbox", KNOWN)
    done = triage("--apply", "--quiet", str(tmp_path / "support.mbox"), env=stack_env)
    assert done.returncode == 0, done.stderr
    assert "applied" in done.stdout
    with sqlite3.connect(tmp_path / "hub.db") as db:
        decisions = sorted(row[0] for row in db.execute("select decision from inbound_mail"))
        queued = db.execute("select count(*) from outbox where kind = 'triage_reply'").fetchone()[0]
        tickets = db.execute("select count(*) from handoffs where reason = 'email'").fetchone()[0]
    assert decisions == ["auto_reply", "auto_reply", "filed", "ticket"]
    assert (queued, tickets) == (2, 1)
    # Applied twice: every mail is already there.
    again = triage("--apply", "--json", str(tmp_path / "support.mbox"), env=stack_env)
    assert [json.loads(line)["decision"] for line in again.stdout.splitlines()] == ["duplicate"] * 4


def test_rasa_down_a_wrong_token_and_missing_files_are_clear_errors(
    tmp_path: Path, stack_env: dict[str, str]
) -> None:
    env = {
        "GEM_RASA_URL": closed_port_url(),
        "GEM_RASA_TOKEN": "x",
        "GEM_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}",
    }
    done = triage(str(CORPUS / "login_qc.eml"), env=env)
    assert done.returncode == 3
    assert "does not answer" in done.stderr and "Traceback" not in done.stderr
    refused = triage(str(CORPUS / "login_qc.eml"), env={**env, **stack_env, "GEM_RASA_TOKEN": "wrong"})
    assert refused.returncode == 3
    assert "refused the token" in refused.stderr
    missing = triage(str(tmp_path / "nope.mbox"), env=env)
    assert missing.returncode == 2
    assert "no such file or folder" in missing.stderr
