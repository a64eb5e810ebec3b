"""Outbound mail: a database outbox, the worker that sends it, and the development sink.

A request only writes a row (:mod:`bot.mail.outbox`); the worker
(:mod:`bot.mail.worker`) composes and sends it over SMTP, retrying while the server is
down, so no conversation ever waits for a mail server. In development the hub also runs
the SMTP server that receives that mail (:mod:`bot.mail.sink`) and shows it on
``/dev/mail``.
"""
