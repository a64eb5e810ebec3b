"""What the hub prints once it is up: where to go, in one place.

Usage::

    print(banner(settings))                                  # python -m bot
    print(banner(settings, stack=StackUrls(rasa, actions, logs)))  # python -m tools.serve

``python -m bot`` prints the hub's part; ``make run`` (tools/serve.py, which starts Rasa
and the action server too) prints the same lines plus the stack's.
"""

from __future__ import annotations

import dataclasses

from bot.accounts.demo import describe_demo_accounts
from bot.console.demo import describe_demo_agent
from bot.settings import Settings, mask_password

__all__ = ["StackUrls", "banner"]


@dataclasses.dataclass(frozen=True)
class StackUrls:
    """The other two servers, when one command started all three."""

    rasa_url: str
    actions_url: str
    logs: str


def banner(settings: Settings, *, stack: StackUrls | None = None) -> str:
    base = settings.public_base_url
    lines = [
        f"  Chat widget demo:  {base}/demo",
        f"  Login page:        {base}/login",
    ]
    if settings.is_development:
        lines.append(
            f"  Caught mail:       {base}/dev/mail   (development mail sink, "
            f"SMTP 127.0.0.1:{settings.mail_sink_port}: every email lands here)"
        )
        lines.append('  Demo accounts (user code, email, language), for "j\'ai oublié mon mot de passe":')
        lines += [f"    {line}" for line in describe_demo_accounts()]
        lines.append(f"  Agent console:     {base}/console   demo agent: {describe_demo_agent()}")
    else:
        lines.append(f"  Agent console:     {base}/console")
    if settings.triage_mode != "off" and settings.triage_smtp_port:
        answers = "answers land in Caught mail, " if settings.is_development else ""
        lines.append(
            f"  Email triage ({settings.triage_mode}): SMTP {settings.triage_smtp_host}:{settings.triage_smtp_port}"
            f" ({answers}tickets in the console)"
        )
        if stack is not None:
            lines.append("    try: .venv/bin/python -m tools.sendmail tests/data/mail/login_qc_brancher.eml")
            lines.append(
                "         .venv/bin/python -m bot triage tests/data/mail   (what it would do, nothing sent)"
            )
    lines.append(f"  Hub health:        {base}/healthz")
    if settings.redis_url:
        # Turn locks and live frames shared with the other hubs (bot/cluster); no password.
        lines.append(f"  Shared with hubs:  {mask_password(settings.redis_url)}")
    if stack is not None:
        lines += [
            f"  Rasa REST channel: {stack.rasa_url}/webhooks/rest/webhook",
            f"    try: curl -s {stack.rasa_url}/webhooks/rest/webhook -H 'Content-Type: application/json' \\",
            '              -d \'{"sender": "essai", "message": "je n\'"\'"\'arrive plus à me brancher"}\'',
            f"  Action server:     {stack.actions_url}/health",
            f"  Logs:              {stack.logs}/",
        ]
    return "\n".join(lines)
