"""``python -m bot agents ...`` and ``python -m bot corrections export``.

Usage::

    python -m bot agents create --email ana@gem-books.com --name "Ana" [--password ...]
    python -m bot agents list
    python -m bot corrections export --out review/    # corrections_fr.yml, corrections_en.yml

Without ``--password`` the command asks for it (twice) in a terminal. The export writes
Rasa NLU YAML (``version: "3.1"``, one ``intent:`` block per corrected intent) to review
and then move into ``data/nlu/``: the corrections made on conversation pages and the
verdicts of the review page ("what to teach next", :mod:`bot.console.review`), minus the
examples the training files already have with that intent.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections import defaultdict
from pathlib import Path

import yaml

from bot.console.agents import AgentDirectory, AgentError
from bot.console.nlu_examples import normalize, training_examples
from bot.db.engine import create_engine, session_factory, upgrade_to_head
from bot.db.handoff_models import IntentCorrection
from bot.handoff.store import HandoffStore
from bot.settings import Settings

__all__ = ["add_parsers", "nlu_yaml", "run_agents", "run_corrections"]


def add_parsers(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    agents = subparsers.add_parser("agents", help="manage the console's agent accounts")
    commands = agents.add_subparsers(dest="agents_command", required=True)
    create = commands.add_parser("create", help="create an agent")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--password", help="at least 10 characters (else asked)")
    commands.add_parser("list", help="list agents")
    corrections = subparsers.add_parser("corrections", help="intent corrections made in the console")
    ccommands = corrections.add_subparsers(dest="corrections_command", required=True)
    export = ccommands.add_parser("export", help="write Rasa NLU YAML, one file per language")
    export.add_argument("--out", required=True, type=Path, help="directory to write into")


class _Block(str):
    """Examples written as a YAML block (``examples: |``), as in data/nlu/."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(
    _Block, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
)


def nlu_yaml(corrections: list[IntentCorrection], known: dict[str, set[str]] | None = None) -> str:
    """Rasa NLU training data for one language's corrections, examples deduplicated.

    ``known``: the training files' examples (:func:`bot.console.nlu_examples.training_examples`);
    a correction they already have under the same intent is left out.
    """
    by_intent: dict[str, list[str]] = defaultdict(list)
    for correction in corrections:
        text = " ".join(correction.text.split())
        if known is not None and correction.correct_intent in known.get(normalize(text), set()):
            continue
        if text and text not in by_intent[correction.correct_intent]:
            by_intent[correction.correct_intent].append(text)
    nlu = [
        {"intent": intent, "examples": "".join(f"- {example}\n" for example in examples)}
        for intent, examples in sorted(by_intent.items())
    ]

    for block in nlu:
        block["examples"] = _Block(block["examples"])
    header = "# Intent corrections from the agent console: review, then move into data/nlu/.\n"
    return header + yaml.dump(
        {"version": "3.1", "nlu": nlu}, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000
    )


def _ask_password() -> str:
    if not sys.stdin.isatty():
        raise AgentError("no terminal to ask the password in: pass --password")
    first = getpass.getpass("Password (at least 10 characters): ")
    if getpass.getpass("Again: ") != first:
        raise AgentError("the two passwords differ")
    return first


async def _agents(settings: Settings, args: argparse.Namespace) -> int:
    engine = create_engine(settings)
    try:
        await upgrade_to_head(engine)
        agents = AgentDirectory(session_factory(engine))
        if args.agents_command == "create":
            password = args.password if args.password is not None else _ask_password()
            agent = await agents.create(args.email, args.name, password)
            print(f"created agent {agent.email} ({agent.name})")
            return 0
        listed = await agents.all()
        if not listed:
            print("no agents")
        for agent in listed:
            print(f"{agent.email:<40} {agent.name}")
        return 0
    finally:
        await engine.dispose()


async def _corrections(settings: Settings, args: argparse.Namespace) -> int:
    engine = create_engine(settings)
    try:
        await upgrade_to_head(engine)
        corrections = await HandoffStore(session_factory(engine)).corrections()
    finally:
        await engine.dispose()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    known = training_examples(Path(settings.nlu_data_dir))
    for language in ("fr", "en"):
        mine = [c for c in corrections if c.language == language]
        trained = sum(1 for c in mine if c.correct_intent in known.get(normalize(c.text), set()))
        path = out / f"corrections_{language}.yml"
        path.write_text(nlu_yaml(mine, known), encoding="utf-8")
        print(f"{path}: {len(mine)} correction(s), {trained} already in {settings.nlu_data_dir}")
    return 0


def run_agents(settings: Settings, args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_agents(settings, args))
    except AgentError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def run_corrections(settings: Settings, args: argparse.Namespace) -> int:
    return asyncio.run(_corrections(settings, args))
