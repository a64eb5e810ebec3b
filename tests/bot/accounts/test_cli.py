"""``python -m bot accounts``: create and list accounts, with clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.__main__ import main


@pytest.fixture(autouse=True)
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEM_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["accounts", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_create_then_list_with_masked_emails(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "create", "--user-code", "JTremblay", "--email", "Julie.Tremblay@Exemple.ca",
        "--name", "Julie Tremblay", "--language", "fr", "--password", "un mot de passe",
    )  # fmt: skip
    assert code == 0
    assert out.strip() == "created JTremblay <j***@exemple.ca> [fr]"
    run(
        capsys,
        "create",
        "--user-code",
        "BSMITH",
        "--email",
        "bob@example.net",
        "--name",
        "Bob",
        "--language",
        "en",
    )
    code, out, _ = run(capsys, "list")
    assert code == 0
    lines = out.strip().splitlines()
    assert [line.split()[0] for line in lines] == ["JTremblay", "BSMITH"]
    assert "j***@exemple.ca" in lines[0] and "(password set)" in lines[0]
    assert "(no password)" in lines[1]
    assert "julie.tremblay@" not in out.lower() and "bob@" not in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--user-code", "J T", "--email", "a@example.com"], "invalid user code"),
        (["--user-code", "JT01", "--email", "not-an-email"], "invalid email address"),
        (
            ["--user-code", "JT01", "--email", "a@example.com", "--password", "short"],
            "at least 10 characters",
        ),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_code_2(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = run(capsys, "create", *args, "--name", "X", "--language", "fr")
    assert code == 2
    assert err.startswith("error: ") and message in err
    assert out == ""


def test_user_codes_are_unique_whatever_the_case(capsys: pytest.CaptureFixture[str]) -> None:
    base = ["--email", "a@example.com", "--name", "A", "--language", "fr"]
    assert run(capsys, "create", "--user-code", "MGagnon", *base)[0] == 0
    code, _, err = run(capsys, "create", "--user-code", "mgagnon", *base)
    assert code == 2 and "already taken" in err


def test_an_unknown_language_is_refused_by_the_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(
            [
                "accounts",
                "create",
                "--user-code",
                "X01",
                "--email",
                "a@example.com",
                "--name",
                "A",
                "--language",
                "de",
            ]
        )
    assert exit_info.value.code == 2
    assert "invalid choice: 'de'" in capsys.readouterr().err
