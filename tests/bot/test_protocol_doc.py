"""The widget helper codes against the documented protocol: keep the documents complete."""

from __future__ import annotations


def test_every_error_code_is_documented_for_the_widget() -> None:
    from typing import get_args

    from bot import ws_chat
    from bot.chat_errors import ErrorCode
    from bot.settings import PROJECT_ROOT

    protocol = (PROJECT_ROOT / "bot" / "PROTOCOL.md").read_text(encoding="utf-8")
    for code in get_args(ErrorCode):
        assert f'"{code}"' in (ws_chat.__doc__ or ""), code
        assert f"`{code}`" in protocol, code
