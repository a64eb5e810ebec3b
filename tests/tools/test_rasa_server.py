"""``tools.rasa_server``: Rasa's API token comes from the environment or a private file,
never from a command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.rasa_server import main, read_token


def test_the_token_comes_from_the_environment_first(tmp_path: Path) -> None:
    secret = tmp_path / "token"
    secret.write_text("from-file\n")
    secret.chmod(0o600)
    assert read_token({"GEM_RASA_TOKEN": "from-env"}) == "from-env"
    assert read_token({"GEM_RASA_TOKEN_FILE": str(secret)}) == "from-file"


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644])
def test_a_token_file_others_can_read_is_refused(tmp_path: Path, mode: int) -> None:
    secret = tmp_path / "token"
    secret.write_text("from-file\n")
    secret.chmod(mode)
    with pytest.raises(SystemExit, match="chmod 600"):
        read_token({"GEM_RASA_TOKEN_FILE": str(secret)})


def test_no_token_at_all_is_refused() -> None:
    with pytest.raises(SystemExit, match="GEM_RASA_TOKEN"):
        read_token({})


@pytest.mark.parametrize("argument", ["--auth-token", "--auth-token=abc"])
def test_the_token_on_the_command_line_is_refused(argument: str) -> None:
    with pytest.raises(SystemExit, match="not on the command line"):
        main(["run", "--enable-api", argument, "abc"], {"GEM_RASA_TOKEN": "x"})


def test_a_token_that_starts_with_a_dash_reaches_rasa(monkeypatch: pytest.MonkeyPatch) -> None:
    # secrets.token_urlsafe() starts with "-" one time in 64; argparse must not take it
    # for an option. Rasa's own parser reads the arguments the launcher hands it.
    import sys

    import rasa.__main__

    seen: dict[str, object] = {}

    def rasa_main() -> None:
        parser = rasa.__main__.create_argument_parser()
        seen["args"] = parser.parse_args(sys.argv[1:])

    monkeypatch.setattr(rasa.__main__, "main", rasa_main)
    monkeypatch.setattr(sys, "argv", ["python"])
    main(["run", "--enable-api"], {"GEM_RASA_TOKEN": "-starts-with-a-dash"})
    assert seen["args"].auth_token == "-starts-with-a-dash"  # type: ignore[attr-defined]
