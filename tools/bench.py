"""Benchmark the assistant: training time, start-up, latency and throughput, memory.

    python -m tools.bench [--model models/gem-books.tar.gz] [--no-train] [--mails N]
                          [--parts paced think saturate] [--turns 200] [--paced-runs 3] [--pace 0.5]
                          [--think-time 3] [--concurrency 1 10 50] [--saturate-concurrency 10 50]
                          [--conversations N] [--json results/bench.json] [--curve results/turn_curve]

What it does, in order:

1. **Training** (unless `--no-train`): a full training as `make train` runs it
   (`python -m tools.train --force`: `rasa train`, the policies in a second process) into a
   temporary directory, with its own empty Rasa cache, so it is a fresh training (a few
   minutes on two cores). The model it makes is thrown away.
2. **Start-up**: the action server, the Rasa server (`tools.stack.RasaStack`, with a
   temporary SQLite tracker store as `make run` uses) and the hub (`python -m bot`, with a
   temporary SQLite database), started together as `tools.serve` starts them; the time from
   launch to ready of each (actions `/health`; Rasa `/status` with the model loaded) and of
   everything (the hub's `/healthz` answers 200, which needs Rasa).
3. **Load**, on two paths measured side by side in the same run: straight to Rasa's REST
   channel (`POST /webhooks/rest/webhook`, with the metadata the hub sends) and through the
   hub's WebSocket `/ws` (`hello`, then `message` frames; a turn ends at `typing` `on:false`).

   - `paced`: one conversation of `--turns` turns on each path, a message every
     ~`--pace` s, turn i sent to both paths one after the other (so nothing queues and both
     see the same machine); `--paced-runs` such conversations, one after the other: hub ÷
     direct median over turns 1-10, 91-100 and 191-200 of all of them (ten turns of one
     conversation are too few on a shared machine: the ratio moved by ±0.15 between runs),
     and the per-turn curve of both paths (each turn's median over the runs) in
     `--curve`.json and .png.
   - `think`: for each `--concurrency` level, `--conversations` scripted conversations
     (fresh ids, alternately French and English, five messages each) that many at once,
     with a pause of 0.5-1.5 × `--think-time` s before each message (people reading and
     typing): hub ÷ direct p95.
   - `saturate`: the same at each `--saturate-concurrency` level without pauses (10 at once
     means 10 messages in flight): hub ÷ direct throughput.

   Each level runs in parts, direct then hub, then hub then direct (with think time two
   parts at 50 at once and four below; four without pauses, where a level lasts
   seconds), so that a machine getting busier or quieter weighs on both paths alike. A
   few warm-up conversations on each path come first and are not counted. The bench hub's
   flood limit (`GEM_RATE_LIMIT_MESSAGES`, 20 frames per 10 s per connection by default)
   is raised so the script is not throttled.
4. **Memory**: resident memory (VmRSS, with child processes) of Rasa, the action server
   and the hub after the load.
5. **Email triage**: `--mails` generated mails (1,000 by default; 0 skips it) through
   `python -m bot triage`'s code (dry run) against the same Rasa, and Rasa's `/model/parse`
   alone on the same texts for comparison (`tools.bench_mail`).

It prints a short table and writes everything to results/bench.json.

`--dashboard` measures the console's dashboard instead, on generated history and without
Rasa (`tools.bench_dashboard`; `make bench ARGS=--dashboard`).

`--scaled` measures the scaled-out topology beside the single one instead: throughput and
p95 at each `--saturate-concurrency` level (10 and 50) for the single stack, PostgreSQL +
Redis + two hubs behind haproxy with one Rasa server, and the same with two
(`tools.bench_scaled`; `make bench ARGS=--scaled`; results/scaled.json).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import platform
import random
import re
import secrets
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from tools import bench_dashboard
from tools.bench_mail import measure as measure_mail
from tools.serve import Hub, start_together
from tools.stack import PROJECT_ROOT, RasaStack, StackError, free_port

# One conversation of each language; both follow the login-problem article.
SCRIPTS: dict[str, list[str]] = {
    "fr": ["je n'arrive plus à me brancher", "non", "non", "chrome", "oui"],
    "en": ["I can't log in to GEM-BOOKS anymore", "no", "no", "firefox", "yes"],
}
USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
)
TARGETS = {
    "paced_median_ratio": 1.10,  # one paced conversation: hub ÷ direct median, turns 1-10 and 91-100
    "think_p95_ratio": 1.15,  # with think time: hub ÷ direct p95 at each level
    "throughput_ratio": 0.95,  # without pauses: hub msg/s ÷ direct msg/s, at least
    "start_to_ready_s": 30.0,
    "training_s": 180.0,
}
# The long paced conversation: questions the assistant answers without handing over (a
# handoff would send the hub path's messages to agents; the troubleshooting steps end in
# one once all four are used up), cycled for as many turns as asked.
LONG_SCRIPT = [
    "bonjour",
    "c'est quoi un code usager?",
    "merci",
    "j'ai oublié mon mot de passe",
    "non",
    "j'ai oublié mon code d'utilisateur",
    "non",
    "merci beaucoup",
]
PACED_WINDOWS = ((1, 10), (91, 100), (191, 200))
WARMUP_CONVERSATIONS = 2
PARTS = ("paced", "think", "saturate")
# High enough that no scripted conversation is throttled (the default is 20 per 10 s).
BENCH_RATE_LIMIT = 100_000


class BenchError(RuntimeError):
    """A path answered with an error; the message says which and how."""


# --- measurements -------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation, like numpy's default."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def rss_kib(pid: int) -> int | None:
    """Resident memory of one process in KiB (VmRSS), None if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (from /proc/*/stat)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may contain spaces and parentheses.
        fields = text[text.rindex(")") + 2 :].split()
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def memory(pid: int) -> dict[str, Any]:
    """RSS of a process and of its whole tree, in MiB."""
    own = rss_kib(pid)
    tree = [own or 0] + [rss_kib(child) or 0 for child in descendants(pid)]
    return {
        "pid": pid,
        "rss_mib": round(own / 1024, 1) if own is not None else None,
        "rss_tree_mib": round(sum(tree) / 1024, 1),
        "processes": len(tree),
    }


@dataclass
class Run:
    """One path at one concurrency level."""

    path: str
    concurrency: int
    conversations: int
    latencies: list[float] = field(default_factory=list)  # seconds per message
    hello_latencies: list[float] = field(default_factory=list)  # hub only
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    think_time: float = 0.0  # mean pause before each message, seconds
    cpu_ms_per_message: dict[str, float] = field(default_factory=dict)  # per process
    rng: random.Random = field(default_factory=lambda: random.Random(1103), repr=False)

    @classmethod
    def merge(cls, runs: Sequence[Run]) -> Run:
        """One run made of several runs of the same path and level."""
        first = runs[0]
        merged = cls(
            first.path, first.concurrency, sum(r.conversations for r in runs), think_time=first.think_time
        )
        for run in runs:
            merged.latencies += run.latencies
            merged.hello_latencies += run.hello_latencies
            merged.errors += run.errors
            merged.seconds += run.seconds
        return merged

    async def think(self) -> None:
        """The person reads and types: a pause of 0.5-1.5 × think_time (none by default)."""
        if self.think_time > 0:
            await asyncio.sleep(self.think_time * self.rng.uniform(0.5, 1.5))

    def summary(self) -> dict[str, Any]:
        ms = [x * 1000 for x in self.latencies]
        return {
            "path": self.path,
            "concurrency": self.concurrency,
            "conversations": self.conversations,
            "think_time_s": self.think_time,
            "messages": len(ms),
            "errors": len(self.errors),
            "error_examples": self.errors[:5],
            "seconds": round(self.seconds, 3),
            "messages_per_second": round(len(ms) / self.seconds, 2) if self.seconds else None,
            "p50_ms": round(percentile(ms, 50), 1),
            "p95_ms": round(percentile(ms, 95), 1),
            "p99_ms": round(percentile(ms, 99), 1),
            "mean_ms": round(sum(ms) / len(ms), 1) if ms else None,
            "cpu_ms_per_message": self.cpu_ms_per_message,
            "max_ms": round(max(ms), 1) if ms else None,
            **(
                {"hello_p50_ms": round(percentile([x * 1000 for x in self.hello_latencies], 50), 1)}
                if self.hello_latencies
                else {}
            ),
        }


# --- the two paths ------------------------------------------------------------------

Conversation = Callable[[str, list[str], Run], Awaitable[None]]


async def direct_turn(
    http: aiohttp.ClientSession, url: str, sender: str, text: str, metadata: dict[str, str]
) -> tuple[float, str | None]:
    """One message straight to Rasa's REST channel: seconds, and an error if any."""
    started = time.perf_counter()
    async with http.post(url, json={"sender": sender, "message": text, "metadata": metadata}) as response:
        body = await response.json(content_type=None)
    elapsed = time.perf_counter() - started
    if response.status != 200 or not isinstance(body, list) or not body:
        return elapsed, f"HTTP {response.status}: {str(body)[:200]}"
    return elapsed, None


async def hub_hello(ws: aiohttp.ClientWebSocketResponse, language: str) -> None:
    await ws.send_json(
        {
            "type": "hello",
            "conversation_id": None,
            "resume_code": None,
            "language": language,
            "user_agent": USER_AGENT,
        }
    )
    welcome = await ws.receive_json()
    if welcome.get("type") != "welcome":
        raise BenchError(f"expected welcome, got {welcome}")


async def hub_turn(ws: aiohttp.ClientWebSocketResponse, text: str) -> tuple[float, list[str]]:
    """One message through the hub's WebSocket, up to "typing off": seconds, and errors."""
    errors = []
    started = time.perf_counter()
    await ws.send_json({"type": "message", "text": text, "payload": None})
    replies = 0
    while True:
        frame = await ws.receive_json()
        if frame.get("type") == "message":
            replies += 1
        elif frame.get("type") == "error":
            errors.append(f"{frame.get('code')}: {frame.get('message')}"[:200])
        elif frame.get("type") == "support":
            errors.append(f"handed over to support at {text!r}")
        elif frame.get("type") == "typing" and frame.get("on") is False:
            break
    elapsed = time.perf_counter() - started
    if not replies:
        errors.append(f"no reply to {text!r}")
    return elapsed, errors


def direct_conversation(http: aiohttp.ClientSession, rasa_url: str) -> Conversation:
    """A conversation straight to Rasa's REST channel."""
    url = f"{rasa_url}/webhooks/rest/webhook"

    async def run(language: str, script: list[str], result: Run) -> None:
        sender = f"bench-{uuid.uuid4().hex}"
        metadata = {"language": language, "user_agent": USER_AGENT}
        for text in script:
            await result.think()
            elapsed, error = await direct_turn(http, url, sender, text, metadata)
            if error:
                result.errors.append(error)
            result.latencies.append(elapsed)

    return run


def hub_conversation(http: aiohttp.ClientSession, hub_url: str) -> Conversation:
    """A conversation through the hub's widget WebSocket."""
    url = f"{hub_url}/ws"

    async def run(language: str, script: list[str], result: Run) -> None:
        async with http.ws_connect(url) as ws:
            started = time.perf_counter()
            await hub_hello(ws, language)
            result.hello_latencies.append(time.perf_counter() - started)
            for text in script:
                await result.think()
                elapsed, errors = await hub_turn(ws, text)
                result.errors += errors
                result.latencies.append(elapsed)

    return run


async def paced_conversation(
    http: aiohttp.ClientSession, rasa_url: str, hub_url: str, turns: int, pause: float
) -> dict[str, Any]:
    """One long conversation on each path, side by side, a message every ~``pause`` seconds.

    Turn i goes to both paths one after the other (direct first on even turns, hub first
    on odd ones), then a pause: nothing queues, so each latency is one turn's own cost,
    and both curves see the same machine at the same moment.
    """
    url = f"{rasa_url}/webhooks/rest/webhook"
    sender = f"bench-paced-{uuid.uuid4().hex}"
    metadata = {"language": "fr", "user_agent": USER_AGENT}
    direct_ms: list[float] = []
    hub_ms: list[float] = []
    errors: list[str] = []
    async with http.ws_connect(f"{hub_url}/ws") as ws:
        await hub_hello(ws, "fr")
        for number in range(turns):
            text = LONG_SCRIPT[number % len(LONG_SCRIPT)]
            for path in ("direct", "hub") if number % 2 == 0 else ("hub", "direct"):
                if path == "direct":
                    elapsed, error = await direct_turn(http, url, sender, text, metadata)
                    direct_ms.append(round(elapsed * 1000, 2))
                    problems = [error] if error else []
                else:
                    elapsed, problems = await hub_turn(ws, text)
                    hub_ms.append(round(elapsed * 1000, 2))
                errors.extend(f"{path} turn {number + 1}: {problem}" for problem in problems)
            await asyncio.sleep(pause)
    return {"turns": turns, "pause_s": pause, "script": LONG_SCRIPT, "direct_ms": direct_ms, "hub_ms": hub_ms,
            "errors": len(errors), "error_examples": errors[:5]}  # fmt: skip


def merge_paced(curves: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Paced conversations of the same length as one curve: each turn's median over them.

    Every conversation's own latencies are kept under ``runs``; the windows are computed on
    those (:func:`paced_summary`), the per-turn medians are for the plot.
    """

    def per_turn(key: str) -> list[float]:
        return [round(percentile([c[key][i] for c in curves], 50), 2) for i in range(len(curves[0][key]))]

    examples = [example for curve in curves for example in curve["error_examples"]]
    return {
        **curves[0],
        "direct_ms": per_turn("direct_ms"),
        "hub_ms": per_turn("hub_ms"),
        "errors": sum(curve["errors"] for curve in curves),
        "error_examples": examples[:5],
        "runs": [{"direct_ms": curve["direct_ms"], "hub_ms": curve["hub_ms"]} for curve in curves],
    }


def paced_summary(curve: dict[str, Any]) -> dict[str, Any]:
    """Medians of both paths over turn windows (all runs' turns together), and hub ÷ direct."""
    runs = curve.get("runs") or [curve]
    windows = {}
    for first, last in PACED_WINDOWS:
        if len(curve["direct_ms"]) < last:
            continue
        direct = percentile([ms for run in runs for ms in run["direct_ms"][first - 1 : last]], 50)
        hub = percentile([ms for run in runs for ms in run["hub_ms"][first - 1 : last]], 50)
        windows[f"{first}-{last}"] = {
            "direct_median_ms": round(direct, 1),
            "hub_median_ms": round(hub, 1),
            "hub_over_direct": round(hub / direct, 3),
            "turns_per_path": len(runs) * (last - first + 1),
        }
    return windows


def curve_title(curve: dict[str, Any]) -> str:
    """The plot's title: how many conversations, their pace, and ``--label`` if one was given."""
    runs = len(curve.get("runs") or [curve])
    conversations = "One conversation" if runs == 1 else f"One conversation at a time, median of {runs}"
    label = f" ({curve['label']})" if curve.get("label") else ""
    return f"{conversations}, a message every ~{curve['pause_s']:g} s{label}"


def write_curve(curve: dict[str, Any], base: Path) -> list[Path]:
    """The per-turn latency of both paths, as JSON and as a PNG plot."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    base.parent.mkdir(parents=True, exist_ok=True)
    json_path, png_path = base.with_suffix(".json"), base.with_suffix(".png")
    json_path.write_text(json.dumps(curve, indent=1), encoding="utf-8")
    turns = list(range(1, len(curve["direct_ms"]) + 1))
    figure, axes = plt.subplots(figsize=(9, 4.5))
    for key, label, colour in (
        ("direct_ms", "straight to Rasa (REST)", "tab:blue"),
        ("hub_ms", "through the hub (WebSocket)", "tab:orange"),
    ):
        values = curve[key]
        # Each turn faintly (its median over the runs), and the median of the 9 turns
        # around it, so the trend shows through the noise of a shared machine.
        axes.plot(turns, values, color=colour, linewidth=0.6, alpha=0.35)
        rolling = [percentile(values[max(0, i - 4) : i + 5], 50) for i in range(len(values))]
        axes.plot(turns, rolling, color=colour, linewidth=2, label=f"{label}, median of 9 turns")
    axes.set_xlabel("turn of the conversation")
    axes.set_ylabel("latency (ms)")
    axes.set_ylim(bottom=0)
    axes.set_title(curve_title(curve))
    axes.legend()
    axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(png_path, dpi=100)
    plt.close(figure)
    return [json_path, png_path]


async def drive(
    conversation: Conversation, path: str, concurrency: int, conversations: int, think_time: float = 0.0
) -> Run:
    """`conversations` scripted conversations, `concurrency` at a time, back to back."""
    result = Run(path, concurrency, conversations, think_time=think_time)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for number in range(conversations):
        queue.put_nowait(number)

    async def worker() -> None:
        while True:
            try:
                number = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            language = "fr" if number % 2 == 0 else "en"
            try:
                await conversation(language, SCRIPTS[language], result)
            except (aiohttp.ClientError, asyncio.TimeoutError, BenchError, ValueError) as exc:
                result.errors.append(f"conversation failed: {exc!r}"[:200])

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.seconds = time.perf_counter() - started
    return result


# --- training and start-up ----------------------------------------------------------


async def time_training(log: Callable[[str], None]) -> dict[str, Any]:
    """A fresh, full training (`make train`'s) into a temporary directory; its wall time."""
    tmp = Path(tempfile.mkdtemp(prefix="gem-bench-train-"))
    env = {
        **os.environ,
        # An empty cache: otherwise Rasa reuses components trained earlier.
        "RASA_CACHE_DIRECTORY": str(tmp / "cache"),
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "PYTHONWARNINGS": "ignore",
    }
    log_path = tmp / "train.log"
    log(f"==> training the model into {tmp} (a fresh, full training; --no-train skips it)")
    load_before = os.getloadavg()
    started = time.monotonic()
    with open(log_path, "wb") as log_file:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tools.train",
            "--force",
            "--fixed-model-name",
            "bench",
            "--out",
            str(tmp / "models"),
            cwd=str(PROJECT_ROOT),
            env=env,
            stdout=log_file,
            stderr=asyncio.subprocess.STDOUT,
            stdin=asyncio.subprocess.DEVNULL,
        )
        code = await process.wait()
    seconds = time.monotonic() - started
    ok = code == 0 and (tmp / "models" / "bench.tar.gz").exists()
    components = component_seconds(log_path.read_text(encoding="utf-8", errors="replace"))
    if ok:
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        log(f"training failed (exit code {code}); log kept in {log_path}")
    return {
        "seconds": round(seconds, 1) if ok else None,
        "ok": ok,
        "exit_code": code,
        # Where the training time goes, longest first (from Rasa's log, to the second).
        "components": components,
        "load_average_before": [round(x, 2) for x in load_before],
        **({} if ok else {"log": str(log_path)}),
    }


# Not anchored: a line may start with a colour code or the end of a progress bar.
_COMPONENT_LOG = re.compile(
    r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) [^\n]*?(Starting|Finished) (?:to train|training) component '([^']+)'"
)


def component_seconds(log_text: str) -> list[dict[str, Any]]:
    """Seconds per trained component, from Rasa's "Starting/Finished training" log lines."""
    started: dict[str, datetime.datetime] = {}
    totals: dict[str, float] = {}
    for stamp, what, name in _COMPONENT_LOG.findall(log_text):
        moment = datetime.datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S")
        if what == "Starting":
            started[name] = moment
        elif name in started:
            totals[name] = totals.get(name, 0.0) + (moment - started.pop(name)).total_seconds()
    return [{"component": n, "seconds": s} for n, s in sorted(totals.items(), key=lambda x: -x[1])]


async def first_ok(
    http: aiohttp.ClientSession, url: str, started: float, check: Callable[[Any], bool]
) -> float:
    """Seconds from `started` until `url` answers 200 and `check(body)`."""
    while True:
        try:
            async with http.get(url) as response:
                if response.status == 200 and check(await response.json(content_type=None)):
                    return time.monotonic() - started
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
            pass
        await asyncio.sleep(0.1)


async def start_stack(stack: RasaStack, hub: Hub) -> dict[str, float]:
    """Start Rasa, the action server and the hub together (``tools.serve.start_together``).

    Seconds from launch to ready of each (the hub: its ``/healthz`` answers 200, which
    needs Rasa) and of all of them.
    """
    started = time.monotonic()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
        await stack.launch()
        watch_actions = asyncio.create_task(
            first_ok(http, f"{stack.actions_url}/health", started, lambda _: True)
        )
        watch_rasa = asyncio.create_task(
            first_ok(
                http,
                f"{stack.rasa_url}/status?token={stack.token}",
                started,
                lambda body: isinstance(body, dict) and bool(body.get("model_file")),
            )
        )
        try:
            await start_together(stack, hub)
            total = time.monotonic() - started
            actions, rasa = await asyncio.wait_for(asyncio.gather(watch_actions, watch_rasa), timeout=10)
        finally:
            watch_actions.cancel()
            watch_rasa.cancel()
    return {"actions_s": round(actions, 2), "rasa_s": round(rasa, 2), "total_s": round(total, 2)}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children so far (from /proc/PID/stat)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = text[text.rindex(")") + 2 :].split()
    # utime, stime, cutime, cstime: fields 14-17 of stat(5), counted from "state" (field 3).
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def stack_pids(stack: RasaStack) -> dict[str, int]:
    # RasaStack keeps its children private; the bench only reads their pids.
    return {child.name: child.process.pid for child in stack._children}


# --- report -------------------------------------------------------------------------


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def print_table(report: dict[str, Any]) -> None:
    paced = report.get("paced")
    if paced:
        runs = paced.get("runs", 1)
        print(
            f"\n== One conversation at a time ({runs} × {paced['turns']} turns), "
            f"a message every ~{paced['pause_s']:g} s; medians over the window's turns of all {runs} =="
        )
        print(f"{'turns':<10}{'direct p50 ms':>15}{'hub p50 ms':>12}{'hub ÷ direct':>14}")
        for window, row in paced["windows"].items():
            print(
                f"{window:<10}{row['direct_median_ms']:>15.0f}{row['hub_median_ms']:>12.0f}"
                f"{row['hub_over_direct']:>14.2f}"
            )
        print("per-turn curve: " + ", ".join(paced["files"]))
    if report["load"]:
        print("\n== Load (latency per message; a conversation = 5 messages, one at a time) ==")
        print(
            f"{'mode':<12}{'path':<8}{'conc.':>6}{'convs':>7}{'msgs':>6}{'errors':>7}{'msg/s':>8}"
            f"{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        )
    for row in report["load"]:
        mode = f"think {row['think_time_s']:g}s" if row["mode"] == "think" else "no pause"
        print(
            f"{mode:<12}{row['path']:<8}{row['concurrency']:>6}{row['conversations']:>7}{row['messages']:>6}"
            f"{row['errors']:>7}{_fmt(row['messages_per_second'], '.1f'):>8}"
            f"{row['p50_ms']:>9.0f}{row['p95_ms']:>9.0f}{row['p99_ms']:>9.0f}"
        )
    if report["hub_over_direct_p95"]:
        print(
            "\nhub ÷ direct p95, with think time: "
            + "   ".join(f"{c} at once: {r:.2f}" for c, r in report["hub_over_direct_p95"].items())
        )
    if report["hub_over_direct_throughput"]:
        print(
            "hub ÷ direct throughput, no pauses: "
            + "   ".join(f"{c} at once: {r:.2f}" for c, r in report["hub_over_direct_throughput"].items())
        )
    for row in report["load"]:
        if row["mode"] == "saturate" and row["cpu_ms_per_message"]:
            used = ", ".join(f"{p} {ms:.1f}" for p, ms in row["cpu_ms_per_message"].items())
            print(f"  CPU ms per message, {row['path']} path, {row['concurrency']} at once: {used}")
    start = report["start_to_ready"]
    print(
        f"start to ready (started together): action server {start['actions_s']:.1f} s,"
        f" Rasa {start['rasa_s']:.1f} s; everything, the hub included, {start['total_s']:.1f} s"
    )
    training = report["training"]
    if training.get("skipped"):
        print("training: not measured (--no-train)")
    elif training["ok"]:
        slowest = ", ".join(f"{c['component']} {c['seconds']:.0f} s" for c in training["components"][:3])
        print(f"training (full, fresh cache): {training['seconds']:.0f} s ({slowest})")
    else:
        print(f"training: FAILED, see {training.get('log')}")
    mem = report["memory_after_load"]
    print(
        "resident memory after the load: "
        + ", ".join(f"{name} {m['rss_tree_mib']:.0f} MiB" for name, m in mem.items())
    )
    triage = report["email_triage"]
    if triage.get("skipped"):
        print("email triage: not measured (--mails 0)")
    else:
        profile = triage["profile"]
        print(
            f"email triage (python -m bot triage, {triage['mails']} generated mails): "
            f"{triage['mails_per_second']:.1f} mails/s; Rasa /model/parse alone on the same texts "
            f"{profile['rasa_parse_alone_sequential_per_second']:.1f}/s, mail parsing alone "
            f"{profile['mail_parsing_alone_per_second']:.0f}/s"
        )
    print("\ntargets:")
    for line in report["verdicts"]:
        print(f"  {line}")


def verdicts(report: dict[str, Any]) -> list[str]:
    lines = []
    for window, row in (report.get("paced") or {}).get("windows", {}).items():
        if window == "191-200":
            continue  # shown, no target
        ratio, ok = row["hub_over_direct"], row["hub_over_direct"] <= TARGETS["paced_median_ratio"]
        lines.append(
            f"paced, turns {window}: hub ÷ direct median ≤ 1.10: {ratio:.2f} {'met' if ok else 'MISSED'}"
        )
    for concurrency, ratio in report["hub_over_direct_p95"].items():
        ok = ratio <= TARGETS["think_p95_ratio"]
        lines.append(
            f"think time, {concurrency} at once: hub ÷ direct p95 ≤ 1.15: {ratio:.2f} {'met' if ok else 'MISSED'}"
        )
    for concurrency, ratio in report["hub_over_direct_throughput"].items():
        ok = ratio >= TARGETS["throughput_ratio"]
        lines.append(
            f"no pauses, {concurrency} at once: hub ÷ direct throughput ≥ 0.95: {ratio:.2f} {'met' if ok else 'MISSED'}"
        )
    total = report["start_to_ready"]["total_s"]
    lines.append(
        f"start to ready ≤ 30 s: {total:.1f} s {'met' if total <= TARGETS['start_to_ready_s'] else 'MISSED'}"
    )
    training = report["training"]
    if training.get("seconds") is not None:
        s = training["seconds"]
        lines.append(f"training ≤ 3 min: {s:.0f} s {'met' if s <= TARGETS['training_s'] else 'MISSED'}")
    errors = sum(r["errors"] for r in report["load"]) + (report.get("paced") or {}).get("errors", 0)
    if errors:
        lines.append(f"WARNING: {errors} errors during the load; see error_examples in the JSON")
    return lines


# --- main ---------------------------------------------------------------------------


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    def log(message: str) -> None:
        print(message, flush=True)

    report: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        },
        "model": str(args.model),
        "think_time_s": args.think_time,
        "scripts": SCRIPTS,
        "targets": TARGETS,
    }
    report["training"] = {"skipped": True} if not args.train else await time_training(log)

    tmp = Path(tempfile.mkdtemp(prefix="gem-bench-"))
    internal_token = secrets.token_urlsafe(32)
    hub_port = free_port()
    internal_port = free_port()
    stack = RasaStack(
        PROJECT_ROOT,
        model=args.model,
        rasa_port=free_port(),
        actions_port=free_port(),
        log_dir=tmp / "log",
        tracker_db=tmp / "rasa-tracker.db",
        # The action server calls the hub's internal listener.
        env={"GEM_HUB_URL": f"http://127.0.0.1:{internal_port}", "GEM_INTERNAL_TOKEN": internal_token},
    )
    hub_env = {
        **os.environ,
        "GEM_HUB_PORT": str(hub_port),
        "GEM_INTERNAL_PORT": str(internal_port),
        "GEM_RASA_URL": stack.rasa_url,
        "GEM_RASA_TOKEN": stack.token,
        "GEM_ACTIONS_URL": stack.actions_url,
        "GEM_INTERNAL_TOKEN": internal_token,
        "GEM_DATABASE_URL": f"sqlite+aiosqlite:///{tmp / 'hub.db'}",
        "GEM_RATE_LIMIT_MESSAGES": str(BENCH_RATE_LIMIT),
        # Every scripted conversation is a new one from loopback.
        "GEM_MAX_NEW_CONVERSATIONS_PER_CLIENT": "1000000",
        # Every bench conversation comes from 127.0.0.1: room for all of them at once.
        "GEM_MAX_CHATS_PER_CLIENT": str(BENCH_RATE_LIMIT),
        # The hub's inbound-mail listener: a free port, not the default one a running
        # `make run` (or a test) may hold.
        "GEM_TRIAGE_SMTP_PORT": str(free_port()),
    }
    (tmp / "log").mkdir(parents=True, exist_ok=True)
    hub = Hub(hub_port, hub_env, tmp / "log" / "hub.log")
    failed = True
    try:
        log("==> starting the action server, the Rasa server and the hub, as `make run` does")
        report["start_to_ready"] = await start_stack(stack, hub)

        limits = aiohttp.TCPConnector(limit=0)
        timeout = aiohttp.ClientTimeout(total=120)
        async with aiohttp.ClientSession(connector=limits, timeout=timeout) as http:
            paths = {
                "direct": direct_conversation(http, stack.rasa_url),
                "hub": hub_conversation(http, hub.url),
            }
            log("==> warming up")
            for name, conversation in paths.items():
                warm = await drive(conversation, name, 1, WARMUP_CONVERSATIONS)
                if warm.errors:
                    raise BenchError(f"{name} path fails: {warm.errors[0]} (logs in {tmp / 'log'})")
            if "paced" in args.parts:
                curves = []
                for number in range(args.paced_runs):
                    log(f"==> paced conversation {number + 1} of {args.paced_runs}: {args.turns} turns on "
                        f"each path, side by side, a message every ~{args.pace:g} s")  # fmt: skip
                    curves.append(
                        await paced_conversation(http, stack.rasa_url, hub.url, args.turns, args.pace)
                    )
                curve = merge_paced(curves)
                curve["label"] = args.label
                report["paced"] = {**{k: v for k, v in curve.items() if not k.endswith("_ms") and k != "runs"},
                                   "runs": len(curves), "windows": paced_summary(curve)}  # fmt: skip
                report["paced"]["files"] = [str(path) for path in write_curve(curve, args.curve)]
            runs = []
            pids = {**stack_pids(stack), "hub": hub.process.pid if hub.process else -1}
            levels = (
                [("think", c, args.think_time) for c in args.concurrency] if "think" in args.parts else []
            )
            if "saturate" in args.parts:
                levels += [("saturate", c, 0.0) for c in args.saturate_concurrency]
            for mode, concurrency, think_time in levels:
                # Without pauses a level is over in seconds, and its throughput moved by
                # ±0.05-0.1 between runs with two halves: four parts and twice the
                # conversations there.
                # With think time, 10 at once in two parts was 100 messages a path, and a
                # p95 over 100 (the fifth slowest) moved between 0.92 and 1.21 × across
                # runs: four parts there too (40 conversations, 200 messages). One at a
                # time had 50 messages a path (its p95 the third slowest, 1.05-1.16 ×
                # between runs of the same code): four parts of five conversations, 100
                # messages (every pause is waited: about five minutes more). 50 at once
                # has 100 already, in two parts.
                parts_per_path = 4 if mode == "saturate" or concurrency < 50 else 2
                least = 20 if mode == "think" else 10
                conversations = args.conversations or max(least, parts_per_path * concurrency)
                # Parts in the order direct, hub, hub, direct (, direct, hub, hub, direct),
                # so that a machine getting busier or quieter weighs on both paths alike.
                share, rest = divmod(conversations, parts_per_path)
                sizes = [share + (n < rest) for n in range(parts_per_path)]
                part_sizes = [size for size in sizes if size]
                order = [
                    ["direct", "hub"] if n % 2 == 0 else ["hub", "direct"] for n in range(parts_per_path)
                ]
                parts: dict[str, list[Run]] = {name: [] for name in paths}
                pacing = f"a pause of ~{think_time:g} s before each message" if think_time else "no pauses"
                log(f"==> {conversations} conversations per path, {concurrency} at once, {pacing}")
                cpu: dict[str, dict[str, float]] = {name: {} for name in paths}
                for size, names in zip(part_sizes, order, strict=False):
                    for name in names:
                        before = {process: cpu_seconds(pid) for process, pid in pids.items()}
                        parts[name].append(await drive(paths[name], name, concurrency, size, think_time))
                        for process, pid in pids.items():
                            used = cpu_seconds(pid) - before[process]
                            cpu[name][process] = cpu[name].get(process, 0.0) + used
                for name in paths:
                    run = Run.merge(parts[name])
                    messages = max(1, len(run.latencies))
                    # Where the CPU went, per message: on two shared cores, every
                    # millisecond the hub spends is one Rasa cannot.
                    run.cpu_ms_per_message = {p: round(1000 * c / messages, 2) for p, c in cpu[name].items()}
                    runs.append((mode, run))
        report["load"] = [{"mode": mode, **run.summary()} for mode, run in runs]
        rows = {(r["mode"], r["path"], r["concurrency"]): r for r in report["load"]}
        report["hub_over_direct_p95"] = {
            str(c): round(rows[("think", "hub", c)]["p95_ms"] / rows[("think", "direct", c)]["p95_ms"], 3)
            for (mode, path, c) in rows
            if mode == "think" and path == "hub"
        }
        report["hub_over_direct_throughput"] = {
            str(c): round(
                rows[("saturate", "hub", c)]["messages_per_second"]
                / rows[("saturate", "direct", c)]["messages_per_second"],
                3,
            )
            for (mode, path, c) in rows
            if mode == "saturate" and path == "hub"
        }
        report["memory_after_load"] = {name: memory(pid) for name, pid in pids.items()}
        if args.mails:
            log(f"==> email triage: {args.mails} generated mails (dry run)")
            report["email_triage"] = await measure_mail(stack.rasa_url, stack.token, args.mails, tmp)
        else:
            report["email_triage"] = {"skipped": True}
        report["verdicts"] = verdicts(report)
        failed = False
    finally:
        await hub.stop()
        await stack.stop()
        if failed:
            log(f"logs kept in {tmp / 'log'}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=PROJECT_ROOT / "models" / "gem-books.tar.gz")
    parser.add_argument(
        "--json",
        type=Path,
        default=None,
        help="where the results go (results/bench.json, --scaled: results/scaled.json)",
    )
    parser.add_argument(
        "--parts",
        nargs="+",
        choices=PARTS,
        default=list(PARTS),
        help="which load measurements to run (default: all three): paced = one long conversation on "
        "each path side by side; think = --concurrency levels with --think-time pauses; saturate = "
        "--saturate-concurrency levels without pauses",
    )
    parser.add_argument("--turns", type=int, default=200, help="turns of the paced conversation")
    parser.add_argument(
        "--paced-runs",
        type=int,
        default=3,
        help="paced conversations, one after the other; the ratios are over all their turns (default 3)",
    )
    parser.add_argument(
        "--pace", type=float, default=0.5, help="seconds between turns of the paced conversation"
    )
    parser.add_argument(
        "--curve",
        type=Path,
        default=PROJECT_ROOT / "results" / "turn_curve",
        help="where the paced conversation's per-turn latencies go (.json and .png are added)",
    )
    parser.add_argument("--label", default="", help="a word for the plot's title (e.g. before, after)")
    parser.add_argument(
        "--concurrency",
        type=int,
        nargs="+",
        default=[1, 10, 50],
        help="conversations at once, with think time",
    )
    parser.add_argument(
        "--saturate-concurrency",
        type=int,
        nargs="+",
        default=[10, 50],
        help="conversations at once, without pauses (throughput)",
    )
    parser.add_argument(
        "--conversations",
        type=int,
        default=None,
        help="conversations per level and path (default: four times the level, and twice at 50 at "
        "once with think time; at least 20 with think time, 10 without)",
    )
    parser.add_argument(
        "--think-time",
        type=float,
        default=3.0,
        help="mean pause before each message in the think part, in seconds (default 3: people reading "
        "and typing; 0 sends the next message as soon as the answer is in)",
    )
    parser.add_argument(
        "--mails", type=int, default=1000, help="generated mails for the email-triage throughput (0: skip)"
    )
    parser.add_argument(
        "--dashboard",
        action="store_true",
        help="time the console dashboard on 100,000 generated conversations instead (tools.bench_dashboard)",
    )
    parser.add_argument(
        "--scaled",
        action="store_true",
        help="measure single vs scaled-out (1 and 2 Rasa servers) at each --saturate-concurrency level "
        "instead (tools.bench_scaled; writes results/scaled.json unless --json is given)",
    )
    train = parser.add_mutually_exclusive_group()
    train.add_argument(
        "--train", dest="train", action="store_true", default=True, help="time a fresh training (default)"
    )
    train.add_argument("--no-train", dest="train", action="store_false", help="do not time a training")
    args = parser.parse_args(argv)
    if args.dashboard:
        return bench_dashboard.main([])
    if not args.model.exists():
        print(f"no model at {args.model}: run `make train` first", file=sys.stderr)
        return 2
    if any(c < 1 for c in [*args.concurrency, *args.saturate_concurrency]) or (
        args.conversations is not None and args.conversations < 1
    ):
        parser.error("--concurrency and --conversations must be at least 1")
    if args.turns < 1 or args.paced_runs < 1:
        parser.error("--turns and --paced-runs must be at least 1")
    if args.scaled:
        from tools import bench_scaled

        json_path = args.json or PROJECT_ROOT / "results" / "scaled.json"
        return bench_scaled.main(args.model, args.saturate_concurrency, args.conversations, json_path)
    args.json = args.json or PROJECT_ROOT / "results" / "bench.json"
    try:
        report = asyncio.run(bench(args))
    except (StackError, BenchError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print_table(report)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"\nwritten: {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
