"""The dashboard page: the range and filters a support lead picks, and what they see.

``GET /console/dashboard?range=today|7d|30d`` or ``?from=YYYY-MM-DD&to=YYYY-MM-DD``, with
``language=fr|en|all`` and ``channel=widget|socketio|mail|all`` (``lang`` stays the
console's own FR|EN switch). A bad date or filter gets the page back with a 400 and a
sentence in the agent's language. The figures come from
:mod:`bot.console.dashboard_queries`, the charts from :mod:`bot.console.charts`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from markupsafe import Markup

from bot.appkeys import CLOCK, ENGINE
from bot.console.agents import SignedIn
from bot.console.charts import FunnelBar, bar_chart, daily_chart, funnel_chart
from bot.console.dashboard_queries import (
    CHANNELS,
    LANGUAGES,
    SATISFACTION_DIMENSIONS,
    Figures,
    View,
    dashboard_figures,
)
from bot.console.language import console_language, console_text, render
from bot.console.page_text import LABELS
from bot.db.engine import session_factory
from bot.funnel import STEP_NAMES

__all__ = ["MAX_RANGE_DAYS", "PRESETS", "RangeError", "dashboard_page", "duration", "parse_view"]

# Range presets: how many days, today included.
PRESETS = {"today": 1, "7d": 7, "30d": 30}
DEFAULT_PRESET = "7d"
MAX_RANGE_DAYS = 366
_MAX_PARAM_CHARS = 40


class RangeError(ValueError):
    """A range or filter that cannot be shown: ``key`` names the sentence in page_text."""

    def __init__(self, key: str, **values: str) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


def _date(raw: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        raise RangeError("bad_date", value=raw) from None
    if not 1970 <= day.year <= 9000:  # far from date arithmetic's limits
        raise RangeError("bad_date", value=raw)
    return day


def parse_view(query: Mapping[str, str], today: dt.date) -> tuple[View, str]:
    """The view a query string asks for, and its preset name ("custom" for dates)."""
    params = {name: str(query.get(name, "")).strip()[:_MAX_PARAM_CHARS] for name in
              ("range", "from", "to", "language", "channel")}  # fmt: skip
    language = params["language"] or "all"
    channel = params["channel"] or "all"
    if language not in (*LANGUAGES, "all"):
        raise RangeError("bad_filter", value=language)
    if channel not in (*CHANNELS, "all"):
        raise RangeError("bad_filter", value=channel)
    preset = params["range"] or ("custom" if params["from"] or params["to"] else DEFAULT_PRESET)
    if preset == "custom":
        if not params["from"]:
            raise RangeError("need_start")
        start = _date(params["from"])
        end = _date(params["to"]) if params["to"] else today
        if start > end:
            raise RangeError("range_reversed", start=start.isoformat(), end=end.isoformat())
        if (end - start).days + 1 > MAX_RANGE_DAYS:
            raise RangeError("range_too_long", days=str(MAX_RANGE_DAYS))
    elif preset in PRESETS:
        end = today
        start = today - dt.timedelta(days=PRESETS[preset] - 1)
    else:
        raise RangeError("bad_filter", value=preset)
    view = View(
        start,
        end,
        language=None if language == "all" else language,
        channel=None if channel == "all" else channel,
    )
    return view, preset


def _percent(t: Mapping[str, str], share: float | None) -> str:
    return "-" if share is None else t["percent"].format(value=f"{share * 100:.0f}")


def _step_labels(t: Mapping[str, str]) -> list[str]:
    return [t[f"funnel_step_{number}"] for number in range(1, len(STEP_NAMES) + 1)]


def _charts(t: Mapping[str, str], labels: Mapping[str, Any], figures: Figures) -> dict[str, Markup]:
    view = figures.view
    days = [day.isoformat() for day, _n, _d in figures.daily]
    span = {"start": view.start.isoformat(), "end": view.end.isoformat(), "days": str(len(days))}
    volume = daily_chart(
        "chart-volume",
        title=t["chart_volume_title"],
        desc=t["chart_volume_desc"].format(
            conversations=figures.conversations, deflection=_percent(t, figures.deflection), **span
        ),
        days=days,
        counts=[n for _day, n, _d in figures.daily],
        rates=[(d / n if n else None) for _day, n, d in figures.daily],
        legend=(t["legend_conversations"], t["legend_deflection"]),
        percent=t["percent"],
    )
    reasons = [(labels["reason"].get(reason, reason), n) for reason, n in figures.handoffs_by_reason]
    top = reasons[0][0] if reasons else "-"
    by_reason = bar_chart(
        "chart-reasons",
        title=t["by_reason"],
        desc=t["chart_reasons_desc"].format(handoffs=figures.handoffs, top=top, **span),
        items=reasons,
    )
    names = _step_labels(t)
    funnel = funnel_chart(
        "chart-funnel",
        title=t["funnel_title"],
        desc=t["funnel_desc"].format(
            reached=figures.funnel[0].reached if figures.funnel else 0,
            solved=sum(step.solved for step in figures.funnel),
            support=sum(step.support for step in figures.funnel),
            **span,
        ),
        steps=[
            FunnelBar(names[s.number - 1], s.reached, s.solved, s.support, s.left) for s in figures.funnel
        ],
        legend=(t["funnel_solved"], t["funnel_support"], t["funnel_left"], t["funnel_went_on"]),
    )
    return {"volume": volume, "reasons": by_reason, "funnel": funnel}


def duration(seconds: float) -> str:
    """A wait as people say it: "45 s", "12 min 05 s", "2 h 07"."""
    whole = int(round(seconds))
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d}"


def _satisfaction_label(t: Mapping[str, str], labels: Mapping[str, Any]) -> Any:
    step_names = dict(zip(STEP_NAMES, _step_labels(t), strict=True))

    def label(dimension: str, value: str | None) -> str:
        if value is None:
            return t["no_step"] if dimension == "step" else t["none_value"]
        if dimension == "language":
            return str(labels["language"].get(value, value))
        if dimension == "step":
            return step_names.get(value, value)
        if dimension == "channel":
            return t.get(f"channel_{value}", value)
        return value

    return label


def _context(who: SignedIn, form: Mapping[str, str]) -> dict[str, Any]:
    # The range links keep the filters, unless a filter is what was wrong.
    filters = {
        "language": form["language"] if form["language"] in LANGUAGES else "all",
        "channel": form["channel"] if form["channel"] in CHANNELS else "all",
    }
    return {
        "agent": who.agent,
        "csrf": who.csrf_token,
        "form": form,
        "filters": filters,
        "presets": list(PRESETS),
        "languages": LANGUAGES,
        "channels": list(CHANNELS),
    }


async def dashboard_page(request: web.Request, who: SignedIn) -> web.Response:
    """GET /console/dashboard: figures and charts for the range asked (numbers only, no content)."""
    today = request.app[CLOCK]().astimezone(dt.timezone.utc).date()
    form = {name: str(request.query.get(name, ""))[:_MAX_PARAM_CHARS] for name in
            ("range", "from", "to", "language", "channel")}  # fmt: skip
    try:
        view, preset = parse_view(request.query, today)
    except RangeError as error:
        context = _context(who, form)
        context["error"] = console_text(request)[error.key].format(**error.values)
        return render(request, "dashboard.html", context, status=400)
    figures = await dashboard_figures(session_factory(request.app[ENGINE]), view)
    t = console_text(request)
    labels = LABELS[console_language(request)]
    context = _context(who, form)
    exports = {
        "from": view.start.isoformat(),
        "to": view.end.isoformat(),
        "language": view.language or "all",
        "channel": view.channel or "all",
    }
    context.update(
        {
            "n": figures,
            "view": view,
            "preset": preset,
            "charts": _charts(t, labels, figures),
            "steps": list(zip(_step_labels(t), figures.funnel, strict=True)),
            "percent": lambda share: _percent(t, share),
            "export_query": exports,
            "satisfaction_order": SATISFACTION_DIMENSIONS,
            "sat_label": _satisfaction_label(t, labels),
            "duration": duration,
        }
    )
    return render(request, "dashboard.html", context)
