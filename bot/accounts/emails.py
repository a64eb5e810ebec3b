"""The two account emails: the password reset and the user-code reminder.

Both are composed when the outbox worker sends them, not when they are requested: the
request path does the same work whether or not the account exists (no timing leak), and
the reset token is minted at the last moment, so it never waits in the outbox.

Wording: the reset email follows the GEM-BOOKS article 1103 (greeting; "vous ou une autre
personne a demandé de changer votre mot de passe"; the link; "si ce n'est pas vous, ne
tenez pas compte de ce courriel"). Templates: ``bot/templates/mail/<kind>.<lang>.txt|html``.
"""

from __future__ import annotations

from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlencode

from bot.accounts.directory import AccountDirectory
from bot.accounts.reset_tokens import ResetTokens
from bot.clock import Clock, system_clock
from bot.mail.messages import build_message
from bot.mail.templates import mail_templates
from bot.mail.worker import Composer
from bot.settings import Settings

__all__ = ["PASSWORD_RESET", "USER_CODE_REMINDER", "AccountEmails"]

PASSWORD_RESET = "password_reset"
USER_CODE_REMINDER = "user_code_reminder"


SUBJECTS = {
    PASSWORD_RESET: {
        "fr": "GEM-BOOKS : changement de votre mot de passe",
        "en": "GEM-BOOKS: change your password",
    },
    USER_CODE_REMINDER: {
        "fr": "GEM-BOOKS : rappel de votre code d'utilisateur",
        "en": "GEM-BOOKS: your user code",
    },
}
FOOTERS = {
    "fr": "Courriel automatique de GEM-BOOKS. Pour de l'aide : {support}",
    "en": "Automatic email from GEM-BOOKS. For help: {support}",
}


class AccountEmails:
    """Composers for the outbox, one per kind of account email."""

    def __init__(
        self,
        directory: AccountDirectory,
        tokens: ResetTokens,
        settings: Settings,
        clock: Clock = system_clock,
    ) -> None:
        self._directory = directory
        self._tokens = tokens
        self._settings = settings
        self._clock = clock
        self._templates = mail_templates()

    def composers(self) -> dict[str, Composer]:
        return {PASSWORD_RESET: self.password_reset, USER_CODE_REMINDER: self.user_code_reminder}

    async def password_reset(self, params: Mapping[str, Any]) -> EmailMessage | None:
        """The reset email, if the user code and address belong to one account."""
        account = await self._directory.match(str(params.get("user_code", "")), str(params.get("email", "")))
        if account is None:
            return None
        token = await self._tokens.issue(account.id)
        # The configured public URL, never a request's Host header: a forged Host
        # must not be able to send people's tokens to someone else's server.
        query = urlencode({"token": token, "lang": account.language})
        context = {
            "name": account.display_name,
            "link": f"{self._settings.public_base_url}/reset?{query}",
            "minutes": int(self._tokens.lifetime.total_seconds() // 60),
        }
        return self._render(PASSWORD_RESET, account.language, account.email, context)

    async def user_code_reminder(self, params: Mapping[str, Any]) -> EmailMessage | None:
        """The reminder, listing every user code that uses the address."""
        accounts = await self._directory.with_email(str(params.get("email", "")))
        if not accounts:
            return None
        first = accounts[0]
        # The account's language; the conversation's only if the accounts disagree.
        languages = {account.language for account in accounts}
        language = first.language if len(languages) == 1 else str(params.get("language") or first.language)
        context = {
            "name": first.display_name if len(accounts) == 1 else "",
            "codes": [account.user_code for account in accounts],
            "login_url": f"{self._settings.public_base_url}/login?lang={language}",
        }
        return self._render(USER_CODE_REMINDER, language, first.email, context)

    def _render(self, kind: str, language: str, to: str, context: dict[str, Any]) -> EmailMessage:
        language = language if language in ("fr", "en") else self._settings.default_language
        subject = SUBJECTS[kind][language]
        context = {
            **context,
            "lang": language,
            "subject": subject,
            "support_email": self._settings.support_email,
            "footer": FOOTERS[language].format(support=self._settings.support_email),
        }
        text = self._templates.get_template(f"{kind}.{language}.txt").render(context)
        html = self._templates.get_template(f"{kind}.{language}.html").render(context)
        return build_message(
            sender=self._settings.mail_from,
            to=to,
            subject=subject,
            text=text,
            html=html,
            now=self._clock(),
        )
