"""The console dashboard's time on a large generated history (issue 17: at most 300 ms a view).

    make bench ARGS=--dashboard                                # what the README quotes
    .venv/bin/python -m tools.bench_dashboard [--conversations 100000] [--handoffs 10000]
                                              [--days 90] [--runs 5] [--json results/bench_dashboard.json]

Fills a throw-away SQLite database (migrations, then ``tools.dashboard_data``: by default
100,000 conversations, 10,000 handoffs, their mail and satisfaction answers over 90
days), starts the hub on it (no Rasa needed), signs an agent in, and asks for the
dashboard for today, 7, 30 and 90 days, over HTTP as a browser would: the median of
``--runs`` requests each, after one warm-up. It also times the SQL alone
(``dashboard_figures``) and prints the figures each range shows.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bot.app import init_app
from bot.appkeys import AGENTS, ENGINE
from bot.console.dashboard_queries import View, dashboard_figures
from bot.db.engine import session_factory
from bot.settings import Settings
from tools.dashboard_data import Volume, generate
from tools.stack import PROJECT_ROOT, free_port

__all__ = ["measure"]

TARGET_MS = 300.0
RANGES = {"today": 1, "7d": 7, "30d": 30, "90d": 90}
AGENT = ("bench@example.com", "Bench", "bench-password-1")


def _closed_url() -> str:
    return f"http://127.0.0.1:{free_port()}"


async def _sign_in(http: aiohttp.ClientSession, base: str) -> None:
    async with http.get(f"{base}/console/login") as response:
        token = re.search(r'name="csrf" value="([^"]+)"', await response.text())
    if token is None:
        raise RuntimeError("no CSRF token on the login page")
    form = {"csrf": token.group(1), "email": AGENT[0], "password": AGENT[2]}
    async with http.post(f"{base}/console/login", data=form, allow_redirects=False) as response:
        if response.status != 302:
            raise RuntimeError(f"sign-in refused: {response.status}")


def _query(name: str, days: int, today: dt.date) -> str:
    if name in ("today", "7d", "30d"):
        return f"range={name}"
    return f"from={(today - dt.timedelta(days=days - 1)).isoformat()}&to={today.isoformat()}"


async def measure(volume: Volume, runs: int, work_dir: Path) -> dict[str, Any]:
    today = dt.datetime.now(dt.timezone.utc).date()
    settings = Settings(
        host="127.0.0.1",
        port=free_port(),
        internal_port=free_port(),
        database_url=f"sqlite+aiosqlite:///{work_dir / 'hub.db'}",
        rasa_url=_closed_url(),
        action_server_url=_closed_url(),
        triage_smtp_port=0,
    )
    runner = web.AppRunner(init_app(settings), access_log=None)
    await runner.setup()
    report: dict[str, Any] = {"volume": vars(volume), "runs": runs, "target_ms": TARGET_MS, "ranges": {}}
    try:
        started = time.perf_counter()
        report["rows"] = dict(await generate(runner.app[ENGINE], volume, today=today))
        report["generate_s"] = round(time.perf_counter() - started, 1)
        await runner.app[AGENTS].create(*AGENT)
        await web.TCPSite(runner, settings.host, settings.port).start()
        base = settings.public_base_url
        sessions = session_factory(runner.app[ENGINE])
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            await _sign_in(http, base)
            for name, days in RANGES.items():
                url = f"{base}/console/dashboard?{_query(name, days, today)}"
                page_ms, sql_ms = [], []
                for attempt in range(runs + 1):
                    began = time.perf_counter()
                    async with http.get(url) as response:
                        await response.read()
                        if response.status != 200:
                            raise RuntimeError(f"{url}: {response.status}")
                    if attempt:  # the first is a warm-up
                        page_ms.append((time.perf_counter() - began) * 1000)
                view = View(today - dt.timedelta(days=days - 1), today)
                for _ in range(runs):
                    began = time.perf_counter()
                    figures = await dashboard_figures(sessions, view)
                    sql_ms.append((time.perf_counter() - began) * 1000)
                report["ranges"][name] = {
                    "page_ms": round(statistics.median(page_ms), 1),
                    "sql_ms": round(statistics.median(sql_ms), 1),
                    "conversations": figures.conversations,
                    "deflection": round(figures.deflection, 3) if figures.deflection is not None else None,
                    "handoffs": figures.handoffs,
                    "median_first_reply_s": (
                        round(figures.median_first_reply_seconds)
                        if figures.median_first_reply_seconds
                        else None
                    ),
                    "mail": figures.mail_by_decision,
                    "funnel_reached": [step.reached for step in figures.funnel],
                    "satisfaction_answers": figures.satisfaction_answers,
                }
    finally:
        await runner.cleanup()
    return report


def print_table(report: dict[str, Any]) -> None:
    rows = report["rows"]
    print(
        f"generated in {report['generate_s']} s: {rows['conversations']:,} conversations, "
        f"{rows['handoffs']:,} handoffs, {rows['inbound_mail']:,} mails, {rows['satisfaction']:,} "
        f"satisfaction answers, {rows['messages']:,} messages over {report['volume']['days']} days"
    )
    print(f"median of {report['runs']} requests (target: {report['target_ms']:.0f} ms a view)\n")
    print(
        f"{'range':<7} {'page ms':>8} {'SQL ms':>7} {'conv.':>7} {'deflect.':>8} {'handoffs':>8} {'reply s':>7}  funnel"
    )
    for name, r in report["ranges"].items():
        deflection = f"{r['deflection'] * 100:.1f}%" if r["deflection"] is not None else "-"
        print(
            f"{name:<7} {r['page_ms']:>8.1f} {r['sql_ms']:>7.1f} {r['conversations']:>7} {deflection:>8} "
            f"{r['handoffs']:>8} {r['median_first_reply_s'] or '-':>7}  {r['funnel_reached']}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--handoffs", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--runs", type=int, default=5, help="requests per range (the median is kept)")
    parser.add_argument("--json", type=Path, default=PROJECT_ROOT / "results" / "bench_dashboard.json")
    args = parser.parse_args(argv)
    if min(args.conversations, args.days, args.runs) < 1 or args.handoffs < 0:
        parser.error("--conversations, --days and --runs must be at least 1")
    volume = Volume(conversations=args.conversations, handoffs=args.handoffs, days=args.days)
    with tempfile.TemporaryDirectory(prefix="gem-dashboard-bench-") as work_dir:
        report = asyncio.run(measure(volume, args.runs, Path(work_dir)))
    print_table(report)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"\nwritten: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
