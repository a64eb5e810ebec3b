"""The console's routes (its services are built with the others, in bot.services).

=======================  =====================================  ===========================
name                     path                                   what
=======================  =====================================  ===========================
console_login            GET/POST /console/login                sign in (new session id)
console_logout           POST /console/logout                   sign out
console_queue            GET /console                           open handoffs
console_conversation     GET /console/c/{id}                    one handoff (id: its number)
console_claim, _reply,   POST /console/c/{id}/claim|reply|      assign to me, answer the
_note, _resolve,         note|resolve|hand-back                 person, note, close, give
_hand_back                                                      back to the assistant
console_correct          POST /console/c/{id}/messages/{m}/     the right intent of a
                         intent                                 person's message
console_dashboard        GET /console/dashboard                 figures and charts for a range
console_export_          GET /console/export/conversations.csv  the range's conversations,
conversations, _handoffs and /console/export/handoffs.csv       handoffs (masked CSV)
console_mail             GET /console/mail                      mail received, what triage did
console_review,          GET /console/review, POST              what to teach next: confirm or
console_review_verdict   /console/review/{m}                    correct the assistant's guesses
console_ws               GET /console/ws                        live updates
=======================  =====================================  ===========================
"""

from __future__ import annotations

from aiohttp import web

from bot.console import export, live, pages, review

__all__ = ["setup_console_routes"]


def setup_console_routes(app: web.Application) -> None:
    router = app.router
    login = router.add_resource("/console/login", name="console_login")
    login.add_route("GET", pages.login)
    login.add_route("POST", pages.login)
    router.add_post("/console/logout", pages.logout, name="console_logout")
    router.add_get("/console", pages.queue, name="console_queue")
    router.add_get("/console/dashboard", pages.dashboard, name="console_dashboard")
    router.add_get(
        "/console/export/conversations.csv", export.export_conversations, name="console_export_conversations"
    )
    router.add_get("/console/export/handoffs.csv", export.export_handoffs, name="console_export_handoffs")
    router.add_get("/console/mail", pages.mail_log, name="console_mail")
    router.add_get("/console/ws", live.console_websocket, name="console_ws")
    router.add_get("/console/review", review.review, name="console_review")
    router.add_post(r"/console/review/{message:\d+}", review.review_verdict, name="console_review_verdict")
    router.add_get(r"/console/c/{id:\d+}", pages.conversation, name="console_conversation")
    for action, handler in (
        ("claim", pages.claim),
        ("reply", pages.reply),
        ("note", pages.note),
        ("resolve", pages.resolve),
        ("hand-back", pages.hand_back),
    ):
        router.add_post(
            rf"/console/c/{{id:\d+}}/{action}", handler, name=f"console_{action.replace('-', '_')}"
        )
    router.add_post(
        r"/console/c/{id:\d+}/messages/{message:\d+}/intent", pages.correct, name="console_correct"
    )
