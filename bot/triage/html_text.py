"""HTML mail bodies turned into the text a person reads (stdlib ``html.parser`` only).

Usage::

    html_to_text("<style>p{color:red}</style><p>Bonjour&nbsp;!<br>Chu pu capable</p>")
    # 'Bonjour !\nChu pu capable'

Scripts, styles and the head are dropped; paragraphs, line breaks, list items and table
rows become lines; entities are unescaped; lines inside ``<blockquote>`` get "> " like a
quoted reply, so :mod:`bot.triage.quotes` removes them as it does in plain text.
"""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

__all__ = ["html_to_text"]

_SPACES = re.compile(r"\s+")

_SKIPPED = frozenset({"script", "style", "head", "title", "template", "noscript"})
# Blocks that end a paragraph (a blank line) and blocks that only end a line.
_PARAGRAPHS = frozenset(
    {
        "p",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "table",
        "ul",
        "ol",
        "dl",
        "blockquote",
        "pre",
        "hr",
        "section",
        "article",
        "header",
        "footer",
        "address",
        "center",
        "form",
        "fieldset",
    }
)
_LINES = frozenset({"div", "li", "tr", "dt", "dd"})
_TAGS = re.compile(r"<[^>]*>")
_SKIPPED_ELEMENTS = re.compile(r"<(script|style|head)\b.*?</\1\s*>", re.DOTALL | re.IGNORECASE)
_BLANK_RUNS = re.compile(r"\n{3,}")


class _TextParser(HTMLParser):
    """HTML to plain lines; lines inside <blockquote> get "> " like a quoted reply."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._line: list[str] = []
        self._line_quote = 0
        self._quote = 0
        self._skip: list[str] = []
        self._pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":
            self._skip.clear()  # a <head> never closed
        if tag in _SKIPPED:
            self._skip.append(tag)
        elif tag == "br":
            # Gmail writes an empty line as <div><br></div>.
            if self._has_text():
                self._end_line()
            else:
                self._blank_line()
        elif tag in _PARAGRAPHS:
            self._end_line()
            self._blank_line()
            if tag == "blockquote":
                self._quote += 1
            elif tag == "pre":
                self._pre += 1
        elif tag in _LINES:
            self._end_line()
        elif tag in ("td", "th"):
            self._line.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _SKIPPED:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            if tag in self._skip:
                del self._skip[self._skip.index(tag) :]
        elif tag in _PARAGRAPHS:
            self._end_line()
            if tag == "blockquote":
                self._quote = max(0, self._quote - 1)
            elif tag == "pre":
                self._pre = max(0, self._pre - 1)
            self._blank_line()
        elif tag in _LINES:
            self._end_line()

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._pre:
            first, *rest = data.split("\n")
            self._add(first)
            for piece in rest:
                if not self._has_text():
                    self._blank_line()
                self._end_line()
                self._add(piece)
        else:
            self._add(_SPACES.sub(" ", data))

    def _add(self, data: str) -> None:
        if data.strip():
            if not self._has_text():
                self._line_quote = self._quote
            self._line.append(data)

    def _has_text(self) -> bool:
        return any(piece.strip() for piece in self._line)

    def _end_line(self) -> None:
        line = " ".join("".join(self._line).split())
        if line:
            self.lines.append("> " * self._line_quote + line)
        self._line = []

    def _blank_line(self) -> None:
        if not self.lines:
            return
        if self.lines[-1] == ">" and not self._quote:
            self.lines[-1] = ""  # the quote ended
        elif self.lines[-1] not in ("", ">"):
            self.lines.append(">" if self._quote else "")

    def text(self) -> str:
        self._end_line()
        return _BLANK_RUNS.sub("\n\n", "\n".join(self.lines)).strip()


def html_to_text(markup: str) -> str:
    """The text a person reads in an HTML mail body.

    >>> html_to_text("<style>p{color:red}</style><p>Bonjour&nbsp;!<br>Chu pu capable</p>")
    'Bonjour !\\nChu pu capable'
    """
    parser = _TextParser()
    try:
        parser.feed(markup)
        parser.close()
    except Exception:  # html.parser gives up on a few odd declarations ("<![foo")
        text = unescape(_TAGS.sub("\n", _SKIPPED_ELEMENTS.sub("", markup)))
        return _BLANK_RUNS.sub(
            "\n\n", "\n".join(" ".join(line.split()) for line in text.splitlines())
        ).strip()
    return parser.text()
