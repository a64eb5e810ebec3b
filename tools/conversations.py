"""Multi-turn conversations through the real assistant: does each reach the right outcome?

    python -m tools.conversations [--only NAME ...] [--json PATH] [--model PATH]

Starts the real stack on free ports (Rasa with the trained model, the action server, and
the hub in development mode on a throw-away SQLite database, so the demo accounts exist
and mail is caught), plays every script in `tests/conversations/*.yml` through Rasa's
REST channel (a fresh hub conversation per script, its id the sender: the hub's internal
API refuses conversations it does not have), reads the tracker after each turn and
judges it. A conversation reaches the right outcome iff every expectation holds. Prints
one line per conversation (PASS, or FAIL with the first failing turn: what was expected
and what came) and the share that pass per language. `tools/evaluate.py` calls
`run_conversations` and keeps the figures in `results/evaluation.json`.

The script format (one YAML file holds a list under `conversations:`)::

    conversations:
      - name: fr-reset-all-in-one        # unique; --only takes it
        language: fr                      # the `language` slot must be this after every turn
        covers: [all_in_one]              # the issue-11 items it exercises (for the tally)
        turns:
          - user: "j'ai oublié mon mot de passe, mon code est JTREMBLAY01 ..."
            expect: [utter_offer_password_reset_known]
          - user: "oui"                   # "/affirm" stands for a button click
            expect: [utter_password_reset_sent]
            forbid: [utter_invalid_email]
            mail: {kind: password_reset, to: julie.tremblay@example.com}
        slots:                            # checked on the tracker after the last turn
          reset_email_sent: true
          steps_tried: {contains: "clear_data:failed"}

A turn's `expect` lists the responses (`metadata.utter_action` of the bot events) the
turn must produce, in order and nothing else; `others: true` lets other responses come
before, between or after them. An entry may give alternatives, `utter_a|utter_b`, or a
group: `@handoff` is any response that hands the conversation over (HANDOFF_RESPONSES).
`forbid` lists responses that must not come in that turn; `actions` lists custom actions
that must run in that turn (any order). `mail` waits (up to MAIL_WAIT_SECONDS) for a mail
of that kind (`password_reset`, `user_code_reminder`) queued in the hub's outbox during
the turn, sent, and caught by the development sink for that address. A slot expectation
is a value (compared as is) or `{contains: item}` for a list. Every response name is
checked against `domain.yml` when the scripts are loaded, so a typo fails at once.

The hub's per-account mail limits are raised for the run (every script uses the same
three demo accounts); nothing else differs from `make run`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tools.stack import PROJECT_ROOT, RasaStack, StackError, free_port

__all__ = [
    "HANDOFF_RESPONSES",
    "Conversation",
    "MailExpectation",
    "Turn",
    "judge_slots",
    "judge_turn",
    "load_conversations",
    "run_conversations",
    "turn_events",
    "turn_responses",
]

CONVERSATIONS_DIR = PROJECT_ROOT / "tests" / "conversations"
# What `actions/handoff.py:escalate` may answer, by what the hub said (see its docstring).
HANDOFF_RESPONSES = ("utter_handoff", "utter_handoff_agent", "utter_handoff_email", "utter_handoff_email_ask")
GROUPS = {"@handoff": HANDOFF_RESPONSES}
MAIL_KINDS = ("password_reset", "user_code_reminder")
MAIL_WAIT_SECONDS = 15.0
LANGUAGES = ("fr", "en")
_TURN_KEYS = {"user", "expect", "others", "forbid", "actions", "mail"}
_CONVERSATION_KEYS = {"name", "language", "covers", "turns", "slots", "note"}


class ScriptError(ValueError):
    """A conversation script is malformed; the message names the file and the conversation."""


@dataclass(frozen=True)
class MailExpectation:
    kind: str
    to: str


@dataclass(frozen=True)
class Turn:
    user: str
    expect: tuple[frozenset[str], ...] = ()  # each entry: the responses accepted there
    others: bool = False
    forbid: frozenset[str] = frozenset()
    actions: tuple[str, ...] = ()
    mail: MailExpectation | None = None


@dataclass(frozen=True)
class Conversation:
    name: str
    language: str
    turns: tuple[Turn, ...]
    covers: tuple[str, ...] = ()
    slots: dict[str, Any] = field(default_factory=dict)
    source: str = ""


# --- loading ---------------------------------------------------------------------------


def domain_responses(domain: Path = PROJECT_ROOT / "domain.yml") -> frozenset[str]:
    """Every response name `domain.yml` defines."""
    data = yaml.safe_load(domain.read_text(encoding="utf-8"))
    return frozenset(data.get("responses") or {})


def _alternatives(entry: str, known: frozenset[str] | None, where: str) -> frozenset[str]:
    names: list[str] = []
    for part in str(entry).split("|"):
        part = part.strip()
        names.extend(GROUPS.get(part, (part,)))
    unknown = [n for n in names if known is not None and n not in known]
    if unknown or not names:
        raise ScriptError(f"{where}: unknown response {', '.join(unknown) or repr(entry)}")
    return frozenset(names)


def parse_turn(raw: Any, known: frozenset[str] | None, where: str) -> Turn:
    if not isinstance(raw, dict) or "user" not in raw:
        raise ScriptError(f"{where}: a turn needs `user`")
    extra = set(raw) - _TURN_KEYS
    if extra:
        raise ScriptError(f"{where}: unknown key(s) {', '.join(sorted(extra))}")
    mail = None
    if raw.get("mail") is not None:
        spec = raw["mail"]
        if (
            not isinstance(spec, dict)
            or spec.get("kind") not in MAIL_KINDS
            or "@" not in str(spec.get("to", ""))
        ):
            raise ScriptError(f"{where}: mail needs kind ({', '.join(MAIL_KINDS)}) and to (an address)")
        mail = MailExpectation(spec["kind"], str(spec["to"]).lower())
    forbid: set[str] = set()
    for entry in raw.get("forbid") or []:
        forbid |= _alternatives(entry, known, where)
    return Turn(
        user=str(raw["user"]),
        expect=tuple(_alternatives(entry, known, where) for entry in raw.get("expect") or []),
        others=bool(raw.get("others", False)),
        forbid=frozenset(forbid),
        actions=tuple(str(a) for a in raw.get("actions") or []),
        mail=mail,
    )


def parse_conversations(text: str, source: str, known: frozenset[str] | None = None) -> list[Conversation]:
    """The conversations of one YAML document; `known`: the response names allowed."""
    data = yaml.safe_load(text) or {}
    conversations = []
    for raw in data.get("conversations") or []:
        name = str(raw.get("name", "")) if isinstance(raw, dict) else ""
        where = f"{source}: {name or '?'}"
        if not name or not raw.get("turns"):
            raise ScriptError(f"{where}: a conversation needs a name and turns")
        extra = set(raw) - _CONVERSATION_KEYS
        if extra:
            raise ScriptError(f"{where}: unknown key(s) {', '.join(sorted(extra))}")
        if raw.get("language") not in LANGUAGES:
            raise ScriptError(f"{where}: language must be one of {', '.join(LANGUAGES)}")
        turns = tuple(
            parse_turn(turn, known, f"{where}, turn {number}")
            for number, turn in enumerate(raw["turns"], start=1)
        )
        conversations.append(
            Conversation(
                name=name,
                language=raw["language"],
                turns=turns,
                covers=tuple(str(c) for c in raw.get("covers") or []),
                slots=dict(raw.get("slots") or {}),
                source=source,
            )
        )
    return conversations


def load_conversations(directory: Path = CONVERSATIONS_DIR) -> list[Conversation]:
    """Every conversation in `directory/*.yml`, checked against the domain's responses."""
    known = domain_responses()
    conversations: list[Conversation] = []
    for path in sorted(directory.glob("*.yml")):
        conversations += parse_conversations(path.read_text(encoding="utf-8"), path.name, known)
    names = [c.name for c in conversations]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ScriptError(f"duplicate conversation names: {', '.join(duplicates)}")
    return conversations


# --- judging ---------------------------------------------------------------------------


def turn_events(events: Sequence[dict[str, Any]], turn_index: int) -> list[dict[str, Any]]:
    """The events of the `turn_index`-th user message (from 0): it and what followed it."""
    starts = [i for i, event in enumerate(events) if event.get("event") == "user"]
    if turn_index >= len(starts):
        return []
    end = starts[turn_index + 1] if turn_index + 1 < len(starts) else len(events)
    return list(events[starts[turn_index] : end])


def _response_name(event: dict[str, Any]) -> str:
    name = (event.get("metadata") or {}).get("utter_action")
    if name:
        return str(name)
    return "text:" + (event.get("text") or "")[:40]  # a message sent without a response name


def turn_responses(events: Sequence[dict[str, Any]]) -> list[str]:
    """Response names of the bot messages among `events`, in order."""
    return [_response_name(e) for e in events if e.get("event") == "bot"]


def turn_actions(events: Sequence[dict[str, Any]]) -> list[str]:
    return [
        str(e.get("name")) for e in events if e.get("event") == "action" and e.get("name") != "action_listen"
    ]


def _show(expect: Sequence[frozenset[str]]) -> str:
    def one(names: frozenset[str]) -> str:
        if names == frozenset(HANDOFF_RESPONSES):
            return "@handoff"
        return "|".join(sorted(names))

    return "[" + ", ".join(one(n) for n in expect) + "]"


def _in_order(expect: Sequence[frozenset[str]], got: Sequence[str]) -> bool:
    position = 0
    for names in expect:
        while position < len(got) and got[position] not in names:
            position += 1
        if position == len(got):
            return False
        position += 1
    return True


def judge_turn(turn: Turn, events: Sequence[dict[str, Any]]) -> str | None:
    """None if the turn's events meet its expectation, else what was expected and what came."""
    got = turn_responses(events)
    came = f"got [{', '.join(got)}]"
    if turn.others:
        if not _in_order(turn.expect, got):
            return f"expected {_show(turn.expect)} in order (others allowed), {came}"
    elif len(got) != len(turn.expect) or any(
        g not in names for g, names in zip(got, turn.expect, strict=True)
    ):
        return f"expected exactly {_show(turn.expect)}, {came}"
    forbidden = [g for g in got if g in turn.forbid]
    if forbidden:
        return f"forbidden {', '.join(forbidden)} came, {came}"
    ran = turn_actions(events)
    missing = [a for a in turn.actions if a not in ran]
    if missing:
        return f"expected action(s) {', '.join(missing)} to run, ran [{', '.join(ran)}]"
    return None


def judge_slots(expected: dict[str, Any], slots: dict[str, Any]) -> str | None:
    """None if every expected slot value holds on the tracker's `slots`."""
    for name, want in expected.items():
        have = slots.get(name)
        if isinstance(want, dict) and set(want) == {"contains"}:
            if not isinstance(have, list) or want["contains"] not in have:
                return f"slot {name}: expected a list containing {want['contains']!r}, got {have!r}"
        elif have != want:
            return f"slot {name}: expected {want!r}, got {have!r}"
    return None


def judge_language(language: str, slots: dict[str, Any]) -> str | None:
    have = slots.get("language")
    return None if have == language else f"answering in {have!r}, the person writes {language!r}"


# --- the live assistant ----------------------------------------------------------------


@dataclass
class Outcome:
    name: str
    language: str
    covers: tuple[str, ...]
    passed: bool
    turns_played: int
    failure: str = ""  # "turn N ("user text"): what was expected, what came"

    def line(self) -> str:
        return f"{'PASS' if self.passed else 'FAIL'}  {self.language}  {self.name}" + (
            f"\n      {self.failure}" if self.failure else ""
        )


class MailLog:
    """The hub's outbox and caught mail, read straight from its SQLite database."""

    def __init__(self, database: Path) -> None:
        self._database = database

    def _query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(f"file:{self._database}?mode=ro", uri=True, timeout=5) as db:
            return db.execute(sql, args).fetchall()

    def mark(self) -> tuple[int, int]:
        """The last outbox and caught-mail ids now: what comes after belongs to the turn."""
        outbox = self._query("SELECT COALESCE(MAX(id), 0) FROM outbox")[0][0]
        caught = self._query("SELECT COALESCE(MAX(id), 0) FROM caught_mail")[0][0]
        return int(outbox), int(caught)

    async def wait_for(self, expectation: MailExpectation, since: tuple[int, int]) -> str | None:
        """None once the mail went out to that address; else what the outbox shows."""
        deadline = time.monotonic() + MAIL_WAIT_SECONDS
        while True:
            queued = self._query(
                "SELECT status, params, last_error FROM outbox WHERE id > ? AND kind = ?",
                since[0],
                expectation.kind,
            )
            sent = any(status == "sent" for status, _, _ in queued)
            caught = any(
                expectation.to in [str(r).lower() for r in json.loads(recipients)]
                for (recipients,) in self._query("SELECT recipients FROM caught_mail WHERE id > ?", since[1])
            )
            if sent and caught:
                return None
            if time.monotonic() > deadline:
                shown = [f"{status}{' (' + error + ')' if error else ''}" for status, _, error in queued]
                return (
                    f"no {expectation.kind} mail caught for {expectation.to} within "
                    f"{MAIL_WAIT_SECONDS:.0f} s (outbox {expectation.kind} rows this turn: {shown or 'none'})"
                )
            await asyncio.sleep(0.3)


@dataclass
class Assistant:
    rasa_url: str
    token: str
    mail: MailLog
    log_dir: Path
    hub_url: str = ""

    async def new_conversation(self, http: Any, language: str) -> str:
        """A conversation the hub issued (as the widget gets one), to play a script in.

        The action server's calls (a reset, a handoff) name the Rasa sender; the hub's
        internal API answers 404 for conversations it does not have.
        """
        async with http.ws_connect(f"{self.hub_url}/ws") as ws:
            await ws.send_json({"type": "hello", "conversation_id": None, "language": language})
            while True:
                frame = await ws.receive_json(timeout=30)
                if frame.get("type") == "welcome":
                    return str(frame["conversation_id"])


@asynccontextmanager
async def live_assistant(model: Path | None = None) -> AsyncIterator[Assistant]:
    """Rasa, the action server and a development hub on free ports and a temporary database."""
    from tools.serve import Hub, start_together

    tmp = Path(tempfile.mkdtemp(prefix="gem-conversations-"))
    (tmp / "log").mkdir()
    internal_token = secrets.token_urlsafe(32)
    hub_port = free_port()
    internal_port = free_port()
    stack = RasaStack(
        PROJECT_ROOT,
        model=model,
        log_dir=tmp / "log",
        tracker_db=tmp / "rasa-tracker.db",
        # The action server calls the hub's internal listener (bot.internal_listener).
        env={"GEM_HUB_URL": f"http://127.0.0.1:{internal_port}", "GEM_INTERNAL_TOKEN": internal_token},
    )
    database = tmp / "hub.db"
    hub_env = {
        **os.environ,
        "GEM_ENV": "development",  # demo accounts, mail caught by the sink
        "GEM_HUB_PORT": str(hub_port),
        "GEM_INTERNAL_PORT": str(internal_port),
        "GEM_INTERNAL_TOKEN": internal_token,
        "GEM_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "GEM_MAIL_SINK_PORT": str(free_port()),
        "GEM_SMTP_PORT": "0",  # send to the sink
        "GEM_TRIAGE_SMTP_PORT": str(free_port()),
        # Every script resets the same demo accounts within minutes.
        "GEM_ACCOUNT_MAIL_PER_ACCOUNT": "1000",
        "GEM_ACCOUNT_MAIL_PER_EMAIL": "1000",
        # Every script is a new conversation from loopback.
        "GEM_MAX_NEW_CONVERSATIONS_PER_CLIENT": "1000",
    }
    hub = Hub(hub_port, hub_env, tmp / "log" / "hub.log")
    ok = False
    try:
        await stack.launch()
        hub.env["GEM_RASA_URL"] = stack.rasa_url
        hub.env["GEM_RASA_TOKEN"] = stack.token
        hub.env["GEM_ACTIONS_URL"] = stack.actions_url
        await start_together(stack, hub)
        yield Assistant(stack.rasa_url, stack.token, MailLog(database), tmp / "log", hub.url)
        ok = True
    finally:
        await hub.stop()
        await stack.stop()
        if ok:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"logs kept in {tmp / 'log'}", file=sys.stderr)


async def play(http: Any, assistant: Assistant, conversation: Conversation) -> Outcome:
    """Send each turn to Rasa's REST channel and judge it on the tracker."""
    sender = await assistant.new_conversation(http, conversation.language)
    tracker_url = f"{assistant.rasa_url}/conversations/{sender}/tracker"
    slots: dict[str, Any] = {}

    def fail(number: int, turn: Turn | None, why: str) -> Outcome:
        said = f' ("{turn.user}")' if turn else ""
        where = f"turn {number}{said}" if number else "end"
        return Outcome(
            conversation.name, conversation.language, conversation.covers, False, number, f"{where}: {why}"
        )

    for index, turn in enumerate(conversation.turns):
        since = assistant.mail.mark() if turn.mail else (0, 0)
        payload = {"sender": sender, "message": turn.user}
        async with http.post(f"{assistant.rasa_url}/webhooks/rest/webhook", json=payload) as response:
            if response.status != 200:
                return fail(index + 1, turn, f"REST channel answered HTTP {response.status}")
            await response.read()
        async with http.get(tracker_url, params={"token": assistant.token}) as response:
            tracker = await response.json()
        events = tracker.get("events") or []
        slots = tracker.get("slots") or {}
        problem = judge_turn(turn, turn_events(events, index)) or judge_language(conversation.language, slots)
        if problem is None and turn.mail is not None:
            problem = await assistant.mail.wait_for(turn.mail, since)
        if problem:
            return fail(index + 1, turn, problem)
    problem = judge_slots(conversation.slots, slots)
    if problem:
        return fail(0, None, problem)
    return Outcome(
        conversation.name, conversation.language, conversation.covers, True, len(conversation.turns)
    )


def summarize(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """Share reaching the right outcome, per language and overall, and the failures."""

    def share(items: Sequence[Outcome]) -> dict[str, Any]:
        passed = sum(o.passed for o in items)
        return {"conversations": len(items), "passed": passed, "share": passed / len(items) if items else 0.0}

    covers = sorted({c for o in outcomes for c in o.covers})
    return {
        "languages": {lang: share([o for o in outcomes if o.language == lang]) for lang in LANGUAGES},
        "overall": share(outcomes),
        "by_item": {
            item: {
                lang: share([o for o in outcomes if item in o.covers and o.language == lang])
                for lang in LANGUAGES
            }
            for item in covers
        },
        "failures": [
            {"name": o.name, "language": o.language, "covers": list(o.covers), "failure": o.failure}
            for o in outcomes
            if not o.passed
        ],
    }


async def run_conversations(
    conversations: Iterable[Conversation], model: Path | None = None, echo: bool = True
) -> dict[str, Any]:
    """Play the conversations on a freshly started assistant; the summary (see `summarize`)."""
    import aiohttp

    conversations = list(conversations)
    outcomes = []
    if echo:
        print(f"\n== Conversations ({len(conversations)} scripts, real stack) ==", flush=True)
    async with (
        live_assistant(model) as assistant,
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http,
    ):
        for conversation in conversations:
            outcome = await play(http, assistant, conversation)
            outcomes.append(outcome)
            if echo:
                print(outcome.line(), flush=True)
    result = summarize(outcomes)
    if echo:
        for lang, row in result["languages"].items():
            print(
                f"{lang}: {row['passed']}/{row['conversations']} reach the right outcome ({row['share']:.1%})"
            )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only", nargs="+", default=None, metavar="NAME", help="play only these conversations"
    )
    parser.add_argument("--json", type=Path, default=None, help="write the summary there")
    parser.add_argument("--model", type=Path, default=None, help="model archive (default: newest in models/)")
    parser.add_argument("--dir", type=Path, default=CONVERSATIONS_DIR, help="where the scripts are")
    args = parser.parse_args(argv)
    try:
        conversations = load_conversations(args.dir)
    except ScriptError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.only:
        unknown = set(args.only) - {c.name for c in conversations}
        if unknown:
            print(f"error: no conversation named {', '.join(sorted(unknown))}", file=sys.stderr)
            return 2
        conversations = [c for c in conversations if c.name in args.only]
    try:
        result = asyncio.run(run_conversations(conversations, args.model))
    except StackError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
        print(f"written: {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
