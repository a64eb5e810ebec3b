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
- so do a signature separator ("-- ") and a mobile footer ("Envoyé de mon iPhone").

Forward markers ("---------- Forwarded message ---------") are kept on purpose: a
forwarded problem is the problem.
"""

from __future__ import annotations

import re

from bot.triage.parsed import ParsedMail

__all__ = ["classification_text", "strip_quotes_and_signature"]

# No-break, narrow no-break and figure spaces: French puts them before ":".
_ODD_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2007": " ", "\t": " "})
_ATTRIBUTION = re.compile(
    r"^(?:le|on|am)\s.{4,300}?\s(?:a\s+[ée]crit|wrote|schrieb)\s*:$", re.IGNORECASE
)
_ATTRIBUTION_START = re.compile(r"^(?:le|on|am)\s", re.IGNORECASE)
_SEPARATOR = re.compile(
    r"^-{2,}\s*(?:message\s+d['’]origine|original\s+message|mail\s+original|message\s+original)\s*-{2,}$",
    re.IGNORECASE,
)
_HEADER_LINE = re.compile(
    r"^\*?(?P<label>de|from|envoy[ée]|sent|date|[àa]|to|objet|subject|cc)\s*\*?\s*:", re.IGNORECASE
)
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


def strip_quotes_and_signature(text: str) -> str:
    """The text without quoted replies, signatures and mobile footers.

    >>> strip_quotes_and_signature("J'ai oublié mon code usager\\n-- \\nMarie\\nMot de passe : aucun")
    "J'ai oublié mon code usager"
    >>> strip_quotes_and_signature("> seulement une citation")
    '> seulement une citation'
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    flat = [line.translate(_ODD_SPACES).strip() for line in lines]
    kept: list[str] = []
    index = 0
    while index < len(lines):
        line = flat[index]
        if line.startswith(">"):
            index += 1
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
    while kept and _RULE_LINE.match(kept[-1]):
        kept.pop()
    result = "\n".join(kept).strip()
    return result or text.strip()


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
    body = _SPACES.sub(" ", strip_quotes_and_signature(mail.text)).strip()
    if body and _IS_REPLY.match(mail.subject):
        subject = ""
    return "\n".join(part for part in (subject, body) if part)[:max_chars].strip()

