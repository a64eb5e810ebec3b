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


def test_a_token_that_starts_with_a_dash_reaches_rasa_as_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    # secrets.token_urlsafe starts with "-" once in 64 draws; Rasa's parser must not take it for an option.
    import argparse
    import sys

    import rasa.__main__

    seen: dict[str, object] = {}

    def parse_like_rasa() -> None:
        parser = argparse.ArgumentParser()
        parser.add_argument("command")
        parser.add_argument("--enable-api", action="store_true")
        parser.add_argument("-t", "--auth-token")
        seen["token"] = parser.parse_args(sys.argv[1:]).auth_token

    monkeypatch.setattr(rasa.__main__, "main", parse_like_rasa)
    monkeypatch.setattr(sys, "argv", ["tools.rasa_server"])
    main(["run", "--enable-api"], {"GEM_RASA_TOKEN": "-Xy_secret"})
    assert seen["token"] == "-Xy_secret"
