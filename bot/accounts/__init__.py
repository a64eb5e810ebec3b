"""Accounts: the password-reset and user-code-reminder service behind the assistant.

- :mod:`bot.accounts.requests`: the one entry point (limits, then the gateway);
- :mod:`bot.accounts.gateway` / :mod:`bot.accounts.platform`: where requests go;
- :mod:`bot.accounts.directory`, :mod:`bot.accounts.reset_tokens`: the built-in directory;
- :mod:`bot.accounts.emails`: the two emails; :mod:`bot.accounts.internal_api` and
  :mod:`bot.accounts.pages`: HTTP; :mod:`bot.accounts.cli`: ``python -m bot accounts``.
"""
