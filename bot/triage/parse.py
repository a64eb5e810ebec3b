"""Received mail bytes to a :class:`~bot.triage.parsed.ParsedMail`: pure, no I/O.

Usage::

    try:
        mail = parse_mail(raw, max_bytes=settings.triage_max_bytes)
    except MalformedMail as exc:
        quarantine(raw, exc.reason)           # "too_large", "not_a_mail", "unreadable"
    else:
        mail.subject, mail.text, mail.attachments, mail.header("auto-submitted")

The MIME tree comes from the standard ``email`` package (``policy.default``), but header
values are read from the raw source (``raw_items``) and decoded here: the package's rich
header objects are slow on a To line of 50,000 addresses and raise on some malformed
input. Text parts are decoded here too, so that a wrong or unknown charset never loses
the text: the declared charset first, then UTF-8, then Windows-1252 (a superset of
Latin-1 in practice). What went wrong is kept in ``defects``: the email package's defect
class names, plus ``UnknownCharsetDefect``, ``CharsetMismatchDefect`` and
``UnreadablePartDefect`` (a part skipped) from this module.
"""

from __future__ import annotations

import binascii
import codecs
import datetime as dt
import email
import hashlib
import re
import unicodedata
from collections.abc import Iterable
from email import policy
from email.headerregistry import AddressHeader
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

from bot.triage.html_text import html_to_text
from bot.triage.parsed import Attachment, MalformedMail, ParsedMail

__all__ = ["MAX_TEXT_CHARS", "decode_bytes", "decode_header_value", "html_to_text", "parse_mail"]

MAX_TEXT_CHARS = 100_000
MAX_RECIPIENTS_KEPT = 100
MAX_REFERENCES = 50
MAX_HEADERS = 500
MAX_HEADER_CHARS = 2_000
MAX_SUBJECT_CHARS = 998
MAX_PARTS = 500  # MIME parts looked at; the rest are ignored
MAX_DEPTH = 20  # MIME nesting looked at
MAX_HTML_CHARS = 2_000_000  # markup turned into text; the text is capped anyway

# Headers one of which a mail has; bytes with none of them are not a mail.
_MAIL_HEADERS = frozenset(
    {
        "from",
        "to",
        "cc",
        "subject",
        "date",
        "message-id",
        "received",
        "return-path",
        "mime-version",
        "content-type",
        "reply-to",
        "sender",
        "delivered-to",
    }
)
_ENCODED_WORD = re.compile(r"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([bBqQ])\?([^?\s]*)\?=")
# One address of a list: quoted strings, comments and <...> may hold commas.
_ADDRESS_CHUNK = re.compile(r'(?:"(?:[^"\\]|\\.)*"|\([^()]*\)|<[^<>]*>|[^,"(<])+')
_EXACT_ADDRESS_CHARS = 20_000
_MSG_ID = re.compile(r"<[^<>\s]+>")
_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/]")
_QP_ESCAPE = re.compile(rb"=([0-9A-Fa-f]{2})")
_SURROGATE = re.compile("[\udc80-\udcff]")
_FOLD = re.compile(r"\r?\n(?=[ \t])|\r(?=[ \t])")
# Control characters (C0, DEL, C1) and Unicode line/paragraph separators.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_IN_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_SPACES = re.compile(r"\s+")
_LATIN1_LABELS = frozenset({"iso8859-1", "latin-1", "ascii", "cp1252"})


def parse_mail(raw: bytes, *, max_bytes: int) -> ParsedMail:
    """Parse one received mail; raise :class:`MalformedMail` when it cannot be triaged."""
    if len(raw) > max_bytes:
        raise MalformedMail("too_large", f"{len(raw)} bytes, limit {max_bytes}")
    try:
        message = email.message_from_bytes(raw, policy=policy.default)
        raw_headers = list(message.raw_items())
    except Exception as exc:  # the parser is lenient; this is the last resort
        raise MalformedMail("unreadable", f"{type(exc).__name__}: {exc}"[:300]) from exc
    names = {name.lower() for name, _ in raw_headers}
    if not names & _MAIL_HEADERS:
        raise MalformedMail("not_a_mail", "no mail header")
    try:
        return _build(raw, message, raw_headers)
    except Exception as exc:
        raise MalformedMail("unreadable", f"{type(exc).__name__}: {exc}"[:300]) from exc


def _build(raw: bytes, message: Message, raw_headers: list[tuple[str, str]]) -> ParsedMail:
    first: dict[str, str] = {}
    for name, value in raw_headers:
        first.setdefault(name.lower(), value)

    from_name, from_address, from_ok = _sender(_all(raw_headers, "from"))
    _, reply_to, reply_to_ok = _sender(_all(raw_headers, "reply-to"))
    recipients, recipient_count = _recipients(
        value for field in ("to", "cc") for name, value in raw_headers if name.lower() == field
    )
    references = _ids(first.get("references", ""))[-MAX_REFERENCES:]

    body = _Body()
    body.walk(message, depth=0)
    text = _clean_text("\n\n".join(body.plain) if body.plain else "\n\n".join(body.html))

    return ParsedMail(
        message_id=_message_id(first.get("message-id", ""), raw),
        from_address=from_address,
        from_name=from_name,
        reply_to=reply_to,
        to=tuple(recipients),
        recipient_count=recipient_count,
        subject=_one_line(decode_header_value(first.get("subject", "")))[:MAX_SUBJECT_CHARS],
        date=_date(first.get("date", "")),
        in_reply_to=_ids(first.get("in-reply-to", ""))[:MAX_REFERENCES],
        references=references,
        text=text,
        attachments=tuple(body.attachments),
        content_language=_one_line(decode_header_value(first.get("content-language", "")))[:100],
        headers=tuple(
            (name.lower(), _one_line(decode_header_value(value[: MAX_HEADER_CHARS * 4]))[:MAX_HEADER_CHARS])
            for name, value in raw_headers[:MAX_HEADERS]
        ),
        size=len(raw),
        defects=tuple(dict.fromkeys(body.defects))[:50],
        sender_problem="" if from_ok and reply_to_ok else ("from" if not from_ok else "reply_to"),
    )


# --- Headers ---------------------------------------------------------------------------


def decode_header_value(value: str) -> str:
    """A raw header value as text: unfolded, 8-bit bytes and RFC 2047 words decoded.

    >>> decode_header_value("=?utf-8?q?Mot_de_passe_oubli=C3=A9?=")
    'Mot de passe oublié'
    >>> decode_header_value("=?iso-8859-1?b?Q29kZSB1c2FnZXIgb3VibGnp?= =?utf-8?q?_!?=")
    'Code usager oublié !'
    """
    value = _undo_8bit(_FOLD.sub("", value))
    if "=?" not in value:
        return value
    # Adjacent encoded words in one charset are joined before decoding: some mailers
    # split a multi-byte character between two words.
    pieces: list[str | tuple[str, bytes]] = []
    position = 0
    for match in _ENCODED_WORD.finditer(value):
        between = value[position : match.start()]
        if not (pieces and not isinstance(pieces[-1], str) and between.strip() == ""):
            pieces.append(between)
        position = match.end()
        charset, encoding, payload = match.groups()
        data = _decode_word(encoding.lower(), payload)
        if data is None:
            pieces.append(match.group(0))
        elif pieces and isinstance(pieces[-1], tuple) and pieces[-1][0] == charset.lower():
            pieces[-1] = (charset.lower(), pieces[-1][1] + data)
        else:
            pieces.append((charset.lower(), data))
    pieces.append(value[position:])
    return "".join(p if isinstance(p, str) else decode_bytes(p[1], p[0])[0] for p in pieces)


def _decode_word(encoding: str, payload: str) -> bytes | None:
    data = payload.encode("utf-8", "surrogateescape")
    if encoding == "q":
        return _QP_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), data.replace(b"_", b" "))
    data = data.rstrip(b"=")
    try:
        return binascii.a2b_base64(data + b"=" * (-len(data) % 4))
    except binascii.Error:
        return None


def _undo_8bit(value: str) -> str:
    """Header bytes that were not ASCII reach us as surrogate escapes: decode them.

    UTF-8 where the bytes are UTF-8, each other byte as Windows-1252 (or Latin-1).
    """
    if not _SURROGATE.search(value):
        return value
    text = value.encode("utf-8", "surrogateescape").decode("utf-8", "surrogateescape")
    return _SURROGATE.sub(lambda m: decode_bytes(bytes([ord(m.group(0)) - 0xDC00]), None)[0], text)


def _one_line(value: str) -> str:
    return _SPACES.sub(" ", _CONTROL.sub(" ", value)).strip()


def _address_ok(address: str) -> bool:
    local, _, domain = address.rpartition("@")
    return bool(local) and "." in domain and not _SPACES.search(address) and len(address) <= 320


def _addresses(value: str) -> list[str]:
    value = _undo_8bit(_FOLD.sub("", value))
    try:
        pairs = getaddresses([value])
    except Exception:  # garbage in an address header gives no address, never an error
        return []
    return [address.lower() for _, address in pairs if _address_ok(address)]


def _recipients(values: Iterable[str]) -> tuple[list[str], int]:
    """The first addresses (at most MAX_RECIPIENTS_KEPT) and how many there are in all."""
    kept: list[str] = []
    count = 0
    for value in values:
        if len(kept) >= MAX_RECIPIENTS_KEPT:
            count += sum("@" in chunk for chunk in _ADDRESS_CHUNK.findall(_FOLD.sub("", value)))
            continue
        if len(value) <= _EXACT_ADDRESS_CHARS:
            found = _addresses(value)
            count += len(found)
        else:
            # getaddresses takes ~30 µs an address: parse the head, count the rest.
            chunks = _ADDRESS_CHUNK.findall(_FOLD.sub("", value))
            found = _addresses(",".join(chunks[: MAX_RECIPIENTS_KEPT * 2]))
            count += len(found) + sum("@" in chunk for chunk in chunks[MAX_RECIPIENTS_KEPT * 2 :])
        kept.extend(found[: MAX_RECIPIENTS_KEPT - len(kept)])
    return kept, count


def _all(raw_headers: list[tuple[str, str]], name: str) -> list[str]:
    return [value for key, value in raw_headers if key.lower() == name]


def _sender(values: list[str]) -> tuple[str, str, bool]:
    """(display name, lower-case addr-spec, usable) of a From or Reply-To header.

    An answer may only ever go to the one mailbox the header names, so the header is read
    strictly: one header, one mailbox, no group, no parse defect, a valid addr-spec. The
    structure is parsed by ``email.headerregistry`` (RFC 5322), which decodes RFC 2047
    words only inside the display name, after the structure is known; a decoded name that
    holds a line break or another control character makes the header unusable, so text
    smuggled into an encoded name (``=?utf-8?q?pirate=40exemple.com=3A=0A?= <...>``) can
    never become the address. The legacy ``getaddresses`` is not used here: it reads
    ``pirate@exemple.com <marie@exemple.ca>`` as two addresses, the first the pirate's.

    Not usable (False): anything with an "@" that is not exactly one valid address; the
    mail then gets no automatic answer (``bad_sender``). A header with no address at all
    ("garbage", "<>") is simply no sender ("", "", True).
    """
    values = [_undo_8bit(_FOLD.sub("", value)) for value in values]
    if not values or not any(value.strip() for value in values):
        return "", "", True
    looks_like_address = any("@" in decode_header_value(value) for value in values)
    if len(values) == 1 and len(values[0]) <= MAX_HEADER_CHARS:
        found = _one_mailbox(values[0])
        if found is not None:
            return found[0], found[1], True
    return "", "", not looks_like_address


def _one_mailbox(value: str) -> tuple[str, str] | None:
    """(decoded display name, lower-case addr-spec) if ``value`` is exactly one valid mailbox."""
    try:
        header: dict[str, object] = {}
        AddressHeader.parse(value, header)  # raises on CR/LF in a decoded part
    except Exception:
        return None
    groups = header.get("groups")
    if header.get("defects") or not isinstance(groups, (list, tuple)) or len(groups) != 1:
        return None
    [group] = groups
    if group.display_name is not None or len(group.addresses) != 1:
        return None
    [address] = group.addresses
    name, addr_spec = str(address.display_name), str(address.addr_spec)
    if _CONTROL.search(name) or _CONTROL.search(addr_spec) or '"' in addr_spec or not _address_ok(addr_spec):
        return None
    return _one_line(name), addr_spec.lower()


def _ids(value: str) -> tuple[str, ...]:
    return tuple(_MSG_ID.findall(_FOLD.sub("", value)))


def _message_id(value: str, raw: bytes) -> str:
    value = _FOLD.sub("", value)
    found = _MSG_ID.search(value)
    if found:
        return found.group(0)[:998]
    bare = _SPACES.sub("", value).strip("<>")
    if bare and not _SURROGATE.search(bare):
        return f"<{bare[:996]}>"
    return f"<{hashlib.sha256(raw).hexdigest()}@no-message-id.invalid>"


def _date(value: str) -> dt.datetime | None:
    if not value.strip():
        return None
    try:
        parsed = parsedate_to_datetime(_one_line(value))
        if parsed.tzinfo is None:  # "-0000": the time is UTC, the zone unknown
            parsed = parsed.replace(tzinfo=dt.timezone.utc)
        return parsed.astimezone(dt.timezone.utc)
    except Exception:  # TypeError, ValueError, OverflowError on garbage
        return None


# --- Body ------------------------------------------------------------------------------


def decode_bytes(data: bytes, charset: str | None) -> tuple[str, str | None]:
    """Text from bytes in a declared charset, never losing it; (text, defect name or None).

    >>> decode_bytes("déjà".encode("latin-1"), "utf-8")
    ('déjà', 'CharsetMismatchDefect')
    >>> decode_bytes(b"caf\\xc3\\xa9", "x-unknown")
    ('café', 'UnknownCharsetDefect')
    """
    codec: str | None = None
    if charset:
        try:
            info = codecs.lookup(charset.strip().strip('"').lower())
        except (LookupError, ValueError):
            info = None
        # "base64" or "rot13" are codecs too, but not text encodings.
        codec = info.name if info is not None and info._is_text_encoding else None
    defect = "UnknownCharsetDefect" if charset and codec is None else None
    # Latin-1 and ASCII labels are read as Windows-1252 (as browsers do), but UTF-8 bytes
    # so labelled are UTF-8: valid multi-byte UTF-8 is very rarely Latin-1 text.
    if codec is None or codec in _LATIN1_LABELS or codec == "utf-8":
        tries = ["utf-8", "cp1252"]
    else:
        tries = [codec, "utf-8", "cp1252"]
    for index, name in enumerate(tries):
        try:
            text = data.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
        if index > 0 and codec not in (None, "ascii", "iso8859-1", "cp1252") and defect is None:
            defect = "CharsetMismatchDefect"
        return text, defect
    # Bytes 0x81, 0x8d, 0x8f, 0x90 and 0x9d are not Windows-1252; Latin-1 takes anything.
    return data.decode("latin-1"), defect or "CharsetMismatchDefect"


class _Body:
    """Walks the MIME tree: text parts to ``plain``/``html``, the rest to ``attachments``."""

    def __init__(self) -> None:
        self.plain: list[str] = []
        self.html: list[str] = []
        self.attachments: list[Attachment] = []
        self.defects: list[str] = []
        self._parts = 0

    def walk(self, part: Message, depth: int) -> None:
        self._parts += 1
        if self._parts > MAX_PARTS or depth > MAX_DEPTH:
            return
        try:
            content_type = part.get_content_type()
            if part.is_multipart():
                if part.get_content_maintype() == "message":
                    # A forwarded mail (message/rfc822) or a bounce report: listed, not read.
                    self.attachments.append(Attachment(_filename(part), content_type, _size(part)))
                elif content_type == "multipart/alternative":
                    self._alternative(part, depth)
                else:
                    for child in _children(part):
                        self.walk(child, depth + 1)
            else:
                self._leaf(part, content_type)
        except Exception:  # one unreadable part does not lose the rest of the mail
            self.defects.append("UnreadablePartDefect")
        # Read after the part: decoding its payload can add defects.
        self.defects.extend(type(defect).__name__ for defect in part.defects)

    def _alternative(self, part: Message, depth: int) -> None:
        # The first version that gives plain text; else the last with HTML (richest last).
        versions = []
        for child in _children(part):
            version = _Body()
            version._parts = self._parts
            version.walk(child, depth + 1)
            self._parts = version._parts
            versions.append(version)
        with_plain = [v for v in versions if v.plain]
        chosen = with_plain[0] if with_plain else next((v for v in reversed(versions) if v.html), None)
        for version in versions:
            self.attachments.extend(version.attachments)
            self.defects.extend(version.defects)
        if chosen is not None:
            self.plain.extend(chosen.plain)
            self.html.extend(chosen.html)

    def _leaf(self, part: Message, content_type: str) -> None:
        disposition = (part.get_content_disposition() or "").lower()
        maintype = content_type.partition("/")[0]
        # A multipart whose boundary is missing or never found reaches us as a leaf: its
        # source is the best text there is.
        readable = content_type in ("text/plain", "text/html") or maintype == "multipart"
        if disposition == "attachment" or not readable:
            self.attachments.append(Attachment(_filename(part), content_type, _size(part)))
            return
        data = _payload(part)
        text, defect = decode_bytes(data, part.get_content_charset())
        if defect:
            self.defects.append(defect)
        if content_type == "text/html":
            self.html.append(html_to_text(text[:MAX_HTML_CHARS]))
        else:
            self.plain.append(text)


def _children(part: Message) -> list[Message]:
    payload = part.get_payload()
    return [child for child in payload if isinstance(child, Message)] if isinstance(payload, list) else []


def _filename(part: Message) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:
        return ""
    return _one_line(decode_header_value(name))[:255]


def _size(part: Message) -> int:
    try:
        return len(part.as_bytes()) if part.is_multipart() else len(_payload(part))
    except Exception:
        return 0


def _payload(part: Message) -> bytes:
    """The decoded payload of a leaf part."""
    if str(part.get("content-transfer-encoding", "")).strip().lower() == "base64":
        # The email package returns the base64 text itself when its length is wrong
        # (a truncated mail); decode what is there instead.
        encoded = _NOT_BASE64.sub(b"", str(part.get_payload()).encode("ascii", "ignore"))
        encoded = encoded[: len(encoded) - len(encoded) % 4 if len(encoded) % 4 == 1 else len(encoded)]
        return binascii.a2b_base64(encoded + b"=" * (-len(encoded) % 4))
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def _clean_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", _CONTROL_IN_TEXT.sub("", text))
    return text.strip()[:MAX_TEXT_CHARS]
