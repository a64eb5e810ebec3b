"""The widget helper codes against the documented protocol: keep the documents complete."""

from __future__ import annotations


def test_every_error_code_is_documented_for_the_widget() -> None:
    from typing import get_args

    from bot.chat import ws as ws_chat
    from bot.chat.errors import ErrorCode
    from bot.settings import PROJECT_ROOT

    protocol = (PROJECT_ROOT / "bot" / "PROTOCOL.md").read_text(encoding="utf-8")
    for code in get_args(ErrorCode):
        assert f'"{code}"' in (ws_chat.__doc__ or ""), code
        assert f"`{code}`" in protocol, code


def test_the_satisfaction_frames_and_payloads_are_documented() -> None:
    from bot.chat import ws as ws_chat
    from bot.satisfaction.chat import PAYLOADS
    from bot.settings import PROJECT_ROOT

    protocol = (PROJECT_ROOT / "bot" / "PROTOCOL.md").read_text(encoding="utf-8")
    docstring = ws_chat.__doc__ or ""
    for state in ("asked", "answered"):
        assert f'"state": "{state}"' in docstring, state
        assert f'"state":"{state}"' in protocol, state
    assert '{"type": "satisfaction", "answer": "yes"|"no"' in docstring
    assert '`{"type":"satisfaction","answer":"yes"\\|"no","comment":str\\|null}`' in protocol
    for payload in PAYLOADS:
        assert f"`{payload}`" in protocol, payload
