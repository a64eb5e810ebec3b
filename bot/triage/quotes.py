"""What a person newly wrote in a mail: quoted replies and signatures removed (FR and EN).

Usage::

    strip_quotes_and_signature("Ça marche toujours pas.\\n\\nLe lun. 3 nov. 2025 à 10:02, "
                               "Soutien <soutien@gem-books.com> a écrit :\\n> Videz la cache")
    # -> "Ça marche toujours pas."
    classification_text(mail)   # "Mot de passe oublié\\nBonjour, j'ai oublié ..." for Rasa

The new text is what Rasa classifies, so a quote of our own answer ("videz la cache de
votre navigateur") must not decide the topic of "ça marche toujours pas".

Written here rather than with ``mail-parser-reply``: that package knows the English and
France-French attribution lines but not every form the tests need (Zimbra's "----- Mail
original -----", an attribution wrapped over two lines with narrow no-break spaces,
"Obtenir Outlook pour Android", "Envoyé de mon appareil Galaxy"), and adding it would
reinstall every engineer's venv for about a hundred lines of patterns. The rules, in
order of the text:

- lines starting with ">" are removed; an attribution line directly above such lines is
  removed with them (interleaved replies keep the answers between quotes);
- an attribution line ("Le … a écrit :", "On … wrote:"), a separator ("-----Message
  d'origine-----", "-----Original Message-----", "----- Mail original -----") or an
  Outlook header block ("De : / Envoyé : / À : / Objet :", "From: / Sent: / To: /
  Subject:", after a "____" line or not) cuts everything from there on;
- so do a signature separator ("-- ") and a mobile footer ("Envoyé de mon iPhone");
- a business signature or a legal notice without "-- " goes too, found by its shape
  (:mod:`bot.triage.signatures`), in the new text and in a forwarded one.

A forward keeps the forwarded text: a forwarded problem is the problem. Its marker
("---------- Forwarded message ---------", "---------- Message transféré ---------",
"-------- Message transféré --------", "Begin forwarded message:", "Début du message
réexpédié :") and the header lines under it (De/From, Date, Objet/Subject/Sujet, À/To/Pour)
are dropped and what follows is read like new text. Outlook forwards have no marker, only
the header block of a reply: with ``forward=True`` (a "TR:"/"Fwd:" subject) the first such
block is read as the forwarded mail's header instead of cutting the text there.
"""

from __future__ import annotations

import re

from bot.triage.parsed import ParsedMail
from bot.triage.signatures import strip_signature_block

__all__ = [
    "classification_text",
    "forwards_a_mail",
    "is_forward",
    "new_text",
    "own_text",
    "quoted_text",
    "strip_quotes_and_signature",
]

# No-break, narrow no-break and figure spaces: French puts them before ":".
_ODD_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2007": " ", "\t": " "})
_ATTRIBUTION = re.compile(r"^(?:le|on|am)\s.{4,300}?\s(?:a\s+[ée]crit|wrote|schrieb)\s*:$", re.IGNORECASE)
_ATTRIBUTION_START = re.compile(r"^(?:le|on|am)\s", re.IGNORECASE)
_SEPARATOR = re.compile(
    r"^-{2,}\s*(?:message\s+d['’]origine|original\s+message|mail\s+original|message\s+original)\s*-{2,}$",
    re.IGNORECASE,
)
_HEADER_LINE = re.compile(
    r"^\*?(?P<label>de|from|envoy[ée]|sent|date|[àa]|to|objet|subject|sujet|pour|cc|reply-to|r[ée]pondre\s+[àa])"
    r"\s*\*?\s*:",
    re.IGNORECASE,
)
_FORWARD_MARKER = re.compile(
    r"^(?:-{3,}\s*(?:forwarded\s+message|message\s+transf[ée]r[ée]|message\s+r[ée]exp[ée]di[ée])\s*-{3,}"
    r"|(?:begin\s+forwarded\s+message|d[ée]but\s+du\s+message\s+(?:r[ée]exp[ée]di[ée]|transf[ée]r[ée]))\s*:)$",
    re.IGNORECASE,
)
_FORWARD_SUBJECT = re.compile(r"^\s*(?:tr|fwd?|fw|wg|rv)\s*:", re.IGNORECASE)
_FROM_LABELS = frozenset({"de", "from"})
_SIGNATURE = re.compile(r"^--\s?$")
_MOBILE_FOOTER = re.compile(
    r"^(?:(?:envoy[ée]|exp[ée]di[ée]|sent)\s+(?:de|depuis|[àa]\s+partir\s+de|from|with)\s+"
    r"(?:mon|ma|my|mail|courrier|outlook|yahoo|gmail|proton\w*|samsung|bell|vid[ée]otron)\b.{0,40}"
    r"|(?:get|obtenir|t[ée]l[ée]charger|download)\s+outlook\s+(?:for|pour)\s+(?:ios|android|windows|mac)\b.{0,60})$",
    re.IGNORECASE,
)
_RULE_LINE = re.compile(r"^[\s_\-=*]*$")
_REPLY_PREFIX = re.compile(
    r"^(?:\s*(?:re|r[ée]f|tr|fwd?|fw|aw|wg|sv|rv)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE
)
_IS_REPLY = re.compile(r"^\s*(?:re|r[ée]f|aw|sv)\s*(?:\[\d+\])?\s*:", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
_DIGIT = re.compile(r"\d")
# What mail clients show for an empty subject; nothing the person wrote.
_NO_SUBJECT = frozenset({"(sans objet)", "(aucun objet)", "(no subject)", "sans objet", "no subject"})


def is_forward(subject: str) -> bool:
    """Whether a subject says the mail is a forward ("TR:", "Fwd:", "FW:", ...)."""
    return bool(_FORWARD_SUBJECT.match(subject))


def forwards_a_mail(mail: ParsedMail) -> bool:
    """Whether the mail passes another mail on: a forward subject or a forward marker."""
    return is_forward(mail.subject) or any(
        _FORWARD_MARKER.match(line.translate(_ODD_SPACES).strip()) for line in mail.text.splitlines()
    )


def quoted_text(text: str) -> str:
    """What ``text`` quotes or forwards: ">" lines, and everything from where the new text stops."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    flat = [line.translate(_ODD_SPACES).strip() for line in lines]
    quoted = []
    for index, line in enumerate(flat):
        if line.startswith(">"):
            quoted.append(line)
            continue
        if (
            _attribution_length(flat, index)
            or _SEPARATOR.match(line)
            or _FORWARD_MARKER.match(line)
            or _starts_header_block(flat, index)
        ):
            return "\n".join([*quoted, *flat[index:]])
    return "\n".join(quoted)


def own_text(text: str) -> str:
    """What the sender wrote themselves: the new text above any quote or forwarded mail."""
    return _segments(text, forward=False)[0]


def strip_quotes_and_signature(text: str, *, forward: bool = False) -> str:
    """The text without quoted replies, signatures and mobile footers; forwarded text kept.

    >>> strip_quotes_and_signature("J'ai oublié mon code usager\\n-- \\nMarie\\nMot de passe : aucun")
    "J'ai oublié mon code usager"
    >>> strip_quotes_and_signature("> seulement une citation")
    '> seulement une citation'
    """
    result = "\n\n".join(part for part in _segments(text, forward=forward) if part)
    return result or text.strip()


def _segments(text: str, *, forward: bool) -> list[str]:
    """The new text, then each forwarded text, cleaned ("" where nothing is left)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    flat = [line.translate(_ODD_SPACES).strip() for line in lines]
    segments: list[list[str]] = [[]]  # the new text, then each forwarded text
    kept = segments[0]
    outlook_forward = forward
    index = 0
    while index < len(lines):
        line = flat[index]
        if line.startswith(">"):
            index += 1
            continue
        forwarded_header = _FORWARD_MARKER.match(line) or (
            outlook_forward and _starts_header_block(flat, index)
        )
        if forwarded_header:
            outlook_forward = False
            index = _skip_header_lines(flat, index + 1 if _FORWARD_MARKER.match(line) else index)
            if kept and _RULE_LINE.match(kept[-1].strip() or "-"):
                kept.pop()
            kept = []
            segments.append(kept)
            continue
        attribution = _attribution_length(flat, index)
        if attribution:
            after = _next_non_blank(flat, index + attribution)
            if after is not None and flat[after].startswith(">"):
                index += attribution  # the ">" lines say where the quote ends
                continue
            break
        if _SEPARATOR.match(line) or _SIGNATURE.match(line) or _MOBILE_FOOTER.match(line):
            break
        if _starts_header_block(flat, index):
            break
        kept.append(lines[index].rstrip())
        index += 1
    parts = []
    for segment in segments:
        while segment and _RULE_LINE.match(segment[-1]):
            segment.pop()
        parts.append("\n".join(strip_signature_block(segment)).strip())
    return parts


def _skip_header_lines(flat: list[str], index: int) -> int:
    """The index after a forwarded mail's header lines (and the blank lines around them)."""
    while index < len(flat) and not flat[index]:
        index += 1
    start = index
    while index < len(flat) and index - start < 12 and (_HEADER_LINE.match(flat[index]) or not flat[index]):
        index += 1
    return index


def _attribution_length(flat: list[str], index: int) -> int:
    """How many lines (1-3) the attribution starting at ``index`` takes; 0 if none."""
    # A wrapped attribution's first line holds the date: "Le lun. 3 nov. 2025 à 10:02, …"
    if not _ATTRIBUTION_START.match(flat[index]):
        return 0
    joined = flat[index]
    for length in range(1, 4):
        if _ATTRIBUTION.match(joined):
            return length
        following = flat[index + length] if index + length < len(flat) else ""
        if not following or _ATTRIBUTION_START.match(following) or not _DIGIT.search(flat[index]):
            return 0
        joined = f"{joined} {flat[index + length]}"
    return 0


def _next_non_blank(flat: list[str], index: int) -> int | None:
    while index < len(flat):
        if flat[index]:
            return index
        index += 1
    return None


def _starts_header_block(flat: list[str], index: int) -> bool:
    """A "From:"/"De :" line followed by at least two more header lines (Outlook)."""
    match = _HEADER_LINE.match(flat[index])
    if not match or match.group("label").lower() not in _FROM_LABELS:
        return False
    labels = set()
    for line in flat[index + 1 : index + 7]:
        found = _HEADER_LINE.match(line)
        if found:
            labels.add(found.group("label").lower())
    return len(labels) >= 2


def new_text(mail: ParsedMail) -> str:
    """The mail's own text (quotes, signatures, footers removed; forwarded text kept)."""
    return strip_quotes_and_signature(mail.text, forward=is_forward(mail.subject))


def classification_text(mail: ParsedMail, *, max_chars: int = 1000) -> str:
    """What the intent classifier reads: the subject (no "Re:"/"TR :") and the new text.

    Whitespace is collapsed inside each; the subject and body are joined by a newline.
    A reply's subject ("Re: Mot de passe oublié") names the thread's first problem, not
    what the person says now ("ça marche toujours pas"), so it is left out when the
    reply has text of its own. A forward's subject ("TR: Code usager") is kept.
    """
    subject = _SPACES.sub(" ", _REPLY_PREFIX.sub("", mail.subject)).strip()
    if subject.lower() in _NO_SUBJECT:
        subject = ""
    body = _SPACES.sub(" ", new_text(mail)).strip()
    if body and _IS_REPLY.match(mail.subject):
        subject = ""
    return "\n".join(part for part in (subject, body) if part)[:max_chars].strip()
