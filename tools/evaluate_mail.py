"""Score the email triage on the mail corpus (``tests/data/mail``), per language and split.

    python -m tools.evaluate_mail [--model models/gem-books.tar.gz] [--json results/evaluation_mail.json]

Every mail goes through the code ``python -m bot triage`` runs (:func:`bot.triage.cli.triage_mails`:
parse, record, understand, decide, act, in a throw-away database), with the Rasa model
loaded in this process instead of a server. Each mail gets a database of its own, so the
corpus mails neither thread into each other nor use up each other's reply allowance.

Printed per language (French, its Québec part, English) and per split (``dev``, and
``heldout``: never used to tune), from what ``corpus.yml`` expects:

- decisions right: answered, ticket or filed, as a support lead expects;
- topics right: the topic that decided, where the corpus names one;
- wrong automatic answers, on their own line: an automatic answer to a mail that should
  not get one, or about another topic. The costly error: it must be 0.

The mails the triage gets wrong are listed for the dev split only: looking at held-out
mistakes is how a held-out split stops being one. ``tools/evaluate.py`` (``make evaluate``)
calls :func:`evaluate_corpus` and adds the figures to ``results/evaluation.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from tools.stack import PROJECT_ROOT, StackError, latest_model

__all__ = ["MailResult", "evaluate_corpus", "load_corpus", "print_mail_report", "score_mail"]

CORPUS = PROJECT_ROOT / "tests" / "data" / "mail"
SPLITS = ("dev", "heldout")
# (label, which varieties): French counts its Québec part too.
GROUPS = (("French", ("fr", "fr-qc")), ("  Québec usage", ("fr-qc",)), ("English", ("en",)))


@dataclasses.dataclass(frozen=True)
class MailResult:
    file: str
    split: str
    variety: str
    expected_decision: str
    expected_topic: str | None  # None: no topic to check (automatic mail, thanks, mixed)
    decision: str
    reason: str
    topic: str | None
    confidence: float | None
    deciding: str = ""  # the sentence the decision rests on, when the triage says

    @property
    def decision_right(self) -> bool:
        return self.decision == self.expected_decision

    @property
    def topic_right(self) -> bool | None:
        return None if self.expected_topic is None else self.topic == self.expected_topic

    @property
    def wrong_automatic_answer(self) -> bool:
        """Answered automatically when it should not be, or with another topic's answer."""
        if self.decision != "auto_reply":
            return False
        return self.expected_decision != "auto_reply" or self.topic_right is False


def load_corpus(corpus: Path = CORPUS) -> list[dict[str, Any]]:
    return yaml.safe_load((corpus / "corpus.yml").read_text(encoding="utf-8"))["mails"]


class _LoadedModel:
    """A Rasa model in this process, read like ``/model/parse`` (bot.triage.service.TextParser)."""

    def __init__(self, agent: Any) -> None:
        self._agent = agent

    async def parse(self, text: str) -> Any:
        # One reading of Rasa's parse body, shared with the HTTP client.
        from bot.rasa_client import _parse_nlu

        return _parse_nlu(await self._agent.parse_message(text.lstrip("/ ")))


async def _triage_each(model: Path, entries: list[dict[str, Any]], corpus: Path) -> list[MailResult]:
    from rasa.core.agent import Agent

    from bot.settings import Settings
    from bot.triage.cli import triage_mails

    parser = _LoadedModel(Agent.load(str(model)))
    results = []
    with tempfile.TemporaryDirectory(prefix="gem-mail-eval-") as scratch:
        # Replies are not rate-limited here: each mail is scored as if it came alone.
        settings = Settings(
            database_url=f"sqlite+aiosqlite:///{scratch}/unused.db",
            triage_replies_per_sender=1_000_000,
            triage_replies_global=1_000_000,
        )
        for entry in entries:
            lines: list[dict[str, Any]] = []
            raw = (corpus / entry["file"]).read_bytes()
            await triage_mails(settings, [(entry["file"], raw)], emit=lines.append, parser=parser)
            line = lines[0]
            expect = entry["expect"]
            results.append(
                MailResult(
                    file=entry["file"],
                    split=entry["split"],
                    variety=entry["variety"],
                    expected_decision=expect["decision"],
                    expected_topic=expect["topic"] if not expect["automatic"] else None,
                    decision=line["decision"],
                    reason=line["reason"],
                    topic=line["intent"],
                    confidence=line["confidence"],
                    deciding=line.get("deciding") or "",
                )
            )
    return results


def score_mail(results: Iterable[MailResult]) -> dict[str, Any]:
    """Counts for one group of mails."""
    items = list(results)
    topics = [r for r in items if r.topic_right is not None]
    return {
        "mails": len(items),
        "decisions_right": sum(r.decision_right for r in items),
        "topics_checked": len(topics),
        "topics_right": sum(bool(r.topic_right) for r in topics),
        "wrong_automatic_answers": sum(r.wrong_automatic_answer for r in items),
    }


def _groups(results: list[MailResult]) -> dict[str, dict[str, dict[str, Any]]]:
    table: dict[str, dict[str, dict[str, Any]]] = {}
    for label, varieties in (*GROUPS, ("All", ("fr", "fr-qc", "en"))):
        mine = [r for r in results if r.variety in varieties]
        table[label.strip()] = {
            **{split: score_mail(r for r in mine if r.split == split) for split in SPLITS},
            "all": score_mail(mine),
        }
    return table


def _cell(count: int, total: int) -> str:
    return f"{count}/{total} ({100 * count / total:.0f} %)" if total else "-"


def print_mail_report(results: list[MailResult], out: Any = sys.stdout) -> dict[str, Any]:
    """Print the table (and the dev split's mistakes); return the figures for the JSON report."""
    table = _groups(results)
    print(f"\n== Email triage on the mail corpus ({len(results)} mails, tests/data/mail) ==", file=out)
    print(
        f"{'':<26}{'mails':>6}{'decisions right':>20}{'topics right':>20}{'wrong auto answers':>20}", file=out
    )
    for label, _ in (*GROUPS, ("All", ())):
        for split in (*SPLITS, "all"):
            row = table[label.strip()][split]
            name = f"{label} {'held-out' if split == 'heldout' else split}"
            print(
                f"{name:<26}{row['mails']:>6}{_cell(row['decisions_right'], row['mails']):>20}"
                f"{_cell(row['topics_right'], row['topics_checked']):>20}{row['wrong_automatic_answers']:>20}",
                file=out,
            )
    wrong_answers = table["All"]["all"]["wrong_automatic_answers"]
    print(f"wrong automatic answers (must be 0): {wrong_answers}", file=out)
    mistakes = [r for r in results if r.split == "dev" and (not r.decision_right or r.topic_right is False)]
    if mistakes:
        print("dev mails the triage gets wrong (held-out mistakes are not listed):", file=out)
        for r in mistakes:
            topic = (
                f"{r.topic} {r.confidence:.2f}" if r.topic and r.confidence is not None else (r.topic or "-")
            )
            print(
                f"  {r.file:<44} {r.decision}/{r.reason} {topic}; expected {r.expected_decision}"
                f"/{r.expected_topic or '-'}",
                file=out,
            )
    return {
        "groups": table,
        "wrong_automatic_answers": wrong_answers,
        "dev_mails": [dataclasses.asdict(r) for r in results if r.split == "dev"],
    }


def evaluate_corpus(model: Path, corpus: Path = CORPUS, out: Any = sys.stdout) -> dict[str, Any]:
    """Triage every corpus mail with ``model``, print the figures, return them."""
    results = asyncio.run(_triage_each(model, load_corpus(corpus), corpus))
    return {"corpus": str(corpus), "model": str(model), **print_mail_report(results, out)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="model archive (default: newest in models/)")
    parser.add_argument(
        "--corpus", type=Path, default=CORPUS, help="folder with corpus.yml and the .eml files"
    )
    parser.add_argument("--json", type=Path, default=PROJECT_ROOT / "results" / "evaluation_mail.json")
    args = parser.parse_args(argv)
    from tools.evaluate import _quiet_rasa

    _quiet_rasa()
    try:
        model = args.model or latest_model(PROJECT_ROOT / "models")
    except StackError as error:
        print(error, file=sys.stderr)
        return 2
    report = evaluate_corpus(model, args.corpus)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"\nwritten: {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
