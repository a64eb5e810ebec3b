"""Signature and disclaimer blocks that do not start with "-- " (FR and EN), found by shape.

Usage::

    strip_signature_block(["Je n'arrive plus à me connecter.", "", "Merci,", "",
                           "Julie Tremblay, CPA", "Cabinet Dubé inc.", "Tél. : 418 555-0123"])
    # -> ["Je n'arrive plus à me connecter."]

A business signature (name, title, company, phone, address) and a legal notice say a lot
about accounting and confidentiality and nothing about the request; left in the text Rasa
reads, they pull a clear "mot de passe oublié" to ``out_of_scope``. No list of names or
firms: a signature is recognised by its shape, from the end of the text:

- a *disclaimer* is a paragraph, or the end of one (never the whole first paragraph),
  that talks about confidentiality or privilege and recipients, receiving the mail in
  error, or printing and the environment; it and everything after it go;
- a *signature block* is the last run of short lines (names, titles, firms: a few words,
  or mostly capitalised) holding at least one contact line (a phone number, a web or mail
  address, a postal code, "Tél.", "Cell", "poste", "ext.", a "|" separator); it goes, with
  a closing line just above it ("Cordialement,", "Merci", "Best regards").

A run without any contact line is kept ("Merci!\\nGinette" is harmless), and so is every
line that ends with "?" or ":": a question is never a signature.
"""

from __future__ import annotations

import re

__all__ = ["strip_signature_block"]

_DISCLAIMER = re.compile(
    r"confidenti\w*.{0,300}?(?:destinataire|destin[ée]|intended|recipient|addressee|exclusi\w+|privil[eè]g\w*)"
    r"|privil[eè]g\w*.{0,200}?(?:intended|destin[ée]|addressee|recipient|destinataire)"
    r"|(?:intended|destin[ée]e?)\s+(?:solely|only|exclusivement|uniquement)\s+(?:for|to|[àa])\b"
    r"|(?:avis\s+de\s+confidentialit[ée]|confidentiality\s+notice|disclaimer|avertissement\s*:)"
    r"|(?:re[çc]u\s+(?:ce\s+(?:message|courriel|courrier)\s+)?par\s+erreur|received\s+(?:this\s+(?:e-?mail|message)\s+)?in\s+error)"
    r"|(?:avant\s+d['’]imprimer|before\s+printing|consider\s+the\s+environment|pensez\s+[àa]\s+l['’]environnement)",
    re.IGNORECASE | re.DOTALL,
)
_CONTACT = re.compile(
    r"\+?\(?\d{1,4}\)?(?:[\s.\-]?\(?\d{2,4}\)?){2,5}"  # phone numbers, every local habit
    r"|\bwww\.|https?://|linkedin\.com|\b[\w.+-]+@[\w-]+\.[\w.-]+"
    r"|\b[A-Z]\d[A-Z]\s?\d[A-Z]\d\b"  # Canadian postal code
    r"|\b\d{5}\s+[A-ZÉ][\w\-]+"  # French postal code and town
    r"|(?:^|\s)(?:t[ée]l|t[ée]l[ée]c|tel|cell|mobile|port|fax|office|ph|phone|t|m|c)\.?\s*:?\s*\+?\(?\d"
    r"|\b(?:poste|ext)\.?\s*\d|\s[|•]\s",
    re.IGNORECASE,
)
_CLOSING = re.compile(
    r"^(?:merci(?:\s+(?:beaucoup|encore|d['’]avance|[àa]\s+l['’]avance|bien))?|cordialement|bien\s+cordialement"
    r"|salutations(?:\s+distingu[ée]es)?|meilleures\s+salutations|bien\s+[àa]\s+vous|au\s+plaisir|amicalement"
    r"|bonne\s+(?:journ[ée]e|soir[ée]e|fin\s+de\s+semaine)|thanks?(?:\s+(?:again|in\s+advance|you))?"
    r"|(?:best|kind|warm)(?:\s+regards)?|regards|best\s+wishes|sincerely|cheers|all\s+the\s+best|respectfully)"
    r"[\s,.!]*$",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W\d_][\w'’\-.]*")
_MAX_BLOCK = 12  # lines; a longer run of short lines is not a signature


def strip_signature_block(lines: list[str]) -> list[str]:
    """``lines`` without a trailing disclaimer and signature block (see the module doc)."""
    kept = _without_disclaimer(lines)
    end = len(kept)
    while end and not kept[end - 1].strip():
        end -= 1
    start = end
    while start > 0 and end - start < _MAX_BLOCK and _signature_like(kept[start - 1]):
        start -= 1
    block = kept[start:end]
    if not block or not any(_CONTACT.search(line) for line in block):
        return kept[:end]
    above = start
    while above > 0 and not kept[above - 1].strip():
        above -= 1
    if above > 0 and _CLOSING.match(kept[above - 1].strip()):
        start = above - 1
    remaining = kept[:start]
    while remaining and not remaining[-1].strip():
        remaining.pop()
    return remaining if any(line.strip() for line in remaining) else kept[:end]


def _without_disclaimer(lines: list[str]) -> list[str]:
    paragraph_start = None
    seen_text = False
    for index, line in enumerate([*lines, ""]):
        if line.strip():
            if paragraph_start is None:
                paragraph_start = index
            continue
        if paragraph_start is not None:
            paragraph = "\n".join(lines[paragraph_start:index])
            notice = _DISCLAIMER.search(paragraph)
            if notice:
                # The notice may share its paragraph with the signature: cut from its first line.
                start = paragraph_start + paragraph.count("\n", 0, notice.start())
                if seen_text or start > paragraph_start:
                    return lines[:start]
            seen_text = True
            paragraph_start = None
    return lines


def _signature_like(line: str) -> bool:
    text = line.strip()
    if not text or text.endswith(("?", ":")):
        return False
    if _CONTACT.search(text):
        return True
    words = _WORD.findall(text)
    mostly_capitalised = sum(word[0].isupper() for word in words) * 10 >= len(words) * 6
    if len(words) <= 4:  # "Technicienne comptable", "Controller"; not "Merci de votre aide."
        return not text.endswith(".") or mostly_capitalised
    return mostly_capitalised
