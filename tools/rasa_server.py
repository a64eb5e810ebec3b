"""``rasa run`` with its API token taken from the environment, never from the command line.

Rasa 3.6 reads its HTTP API token only from ``--auth-token``, and a command line is
readable by every local user (``ps``, ``/proc/PID/cmdline``). This launcher takes the
token from ``GEM_RASA_TOKEN`` -- or from the file named by ``GEM_RASA_TOKEN_FILE``, which
must not be readable by group or others -- and hands it to Rasa's own command-line entry
point inside this process, so the process's command line carries no secret::

    GEM_RASA_TOKEN=... python -m tools.rasa_server run --enable-api --model models/x.tar.gz ...

The hub's channel (``rasa_addons.hub_channel``) reads the same variables to check the hub's calls.
Every other argument is Rasa's, unchanged. ``tools.stack.RasaStack`` starts Rasa this way.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = ["main", "rasa_argv", "read_secret", "read_token"]

TOKEN_VAR = "GEM_RASA_TOKEN"
TOKEN_FILE_VAR = "GEM_RASA_TOKEN_FILE"


def read_token(environ: Mapping[str, str]) -> str:
    """The token from ``GEM_RASA_TOKEN`` or ``GEM_RASA_TOKEN_FILE``; SystemExit if neither is usable."""
    return read_secret(environ, TOKEN_VAR, "the Rasa HTTP API")


def read_secret(environ: Mapping[str, str], var: str, needed_by: str) -> str:
    """``environ[var]``, else the content of the file ``environ[var + "_FILE"]`` (mode 0600)."""
    if environ.get(var):
        return environ[var].strip()
    path = environ.get(f"{var}_FILE")
    if not path:
        raise SystemExit(f"error: set {var} or {var}_FILE: {needed_by} needs a token")
    mode = Path(path).stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SystemExit(f"error: {path} is readable by others (mode {stat.filemode(mode)}): chmod 600 it")
    token = Path(path).read_text(encoding="utf-8").strip()
    if not token:
        raise SystemExit(f"error: {path} is empty")
    return token


def rasa_argv(args: Sequence[str], token: str) -> list[str]:
    """Rasa's argument list with the token. One ``--auth-token=...`` word: a token that
    starts with "-" (``secrets.token_urlsafe`` makes one in 64) would otherwise be read as
    an option, and Rasa would refuse to start ("expected one argument")."""
    return ["rasa", *args, f"--auth-token={token}"]


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if any(arg == "--auth-token" or arg.startswith("--auth-token=") for arg in args):
        raise SystemExit(f"error: pass the token in {TOKEN_VAR} or {TOKEN_FILE_VAR}, not on the command line")
    token = read_token(os.environ if environ is None else environ)
    # It stays in this process's environment (private to its user, unlike the command
    # line): the hub's channel (rasa_addons.hub_channel) checks the same token.
    sys.argv = rasa_argv(args, token)
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
