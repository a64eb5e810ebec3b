"""How a person's mail is read: its requests sentence by sentence, and whether it is a reply.

Usage::

    sentences = request_sentences(new_text(mail))      # the sentences that ask something
    reading = choose_reading(whole, [(s, await rasa.parse(s)) for s in sentences], threshold=0.8)
    reading.intent, reading.deciding                   # "login_problem", "je n'arrive plus à me connecter"
    signs = reply_signs(mail, own_addresses={"soutien@gem-books.com"})
    signs.to_us, signs.to_auto_answer, signs.resolved  # a reply to us? to an automatic answer? "merci, ça marche"

A long mail tells its context before its question ("je suis comptable, c'est la fin du
mois, la TVA…, et je n'arrive plus à me connecter"); read whole, the context decides. So the
sentences (and the clauses of long sentences) that carry a request — a question, "je
n'arrive pas", "j'ai oublié", "can't", "how do I" — are classified one by one and the
decision rests on them:

- a request that needs a person (an invoice, a refund, an export: out of scope, very
  confident, a sentence that stands on its own and asks us: "?", "pouvez-vous", "please")
  beside an answerable topic: a ticket
  ("mixed"), since one automatic answer would leave half the mail unanswered;
- else, when the whole text is confidently answerable, or no request sentence is: the
  whole text decides, as before (and the sentence that says the same is named);
- else a confident answerable request decides: the context had pulled the whole text
  off its topic ("la TVA de fin de mois" → out_of_scope).

A reply is recognised by its content too, for when its ``In-Reply-To`` is unknown (another
client, a forward into the box, mail filed before our Message-ID was recorded): a
"RE:"/"TR:"/"Fwd:" subject or a quote, and whether the quote is ours (our address, our
answers' signatures, our subject). Thanks and "it worked" close a reply; they are never
answered.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Collection, Sequence

from bot.rasa_client import Parse
from bot.triage.answers import ANSWERABLE, QUOTE_MARKS, REPLY_SUBJECTS
from bot.triage.parsed import ParsedMail
from bot.triage.quotes import forwards_a_mail, own_text, quoted_text

__all__ = [
    "NEEDS_PERSON_ALONE",
    "Reading",
    "ReplySigns",
    "choose_reading",
    "reply_signs",
    "request_sentences",
    "says_resolved",
    "sentence_count",
]

# A request on its own that no automatic answer settles: beside an answerable one, the
# mail goes to a person (an invoice, a refund, an export).
NEEDS_PERSON_ALONE = frozenset({"out_of_scope"})
_FOR_PERSON_CONFIDENCE = 0.95
_STANDS_ALONE_WORDS = 8
_MAX_SENTENCES = 8
_LONG_SENTENCE_WORDS = 20

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\s*\n\s*")
# Where a long sentence joins its context to its request.
_CLAUSE = re.compile(
    r"\s+:\s+|\s*;\s*|,?\s+(?:mais|but|par contre|however)\s+|\s+(?:et|pis|and)\s+(?=(?:je|j'|i)\b)"
)
# Said by someone who asks something (accents and case removed before matching).
_REQUEST = re.compile(
    r"\?|n'arrive (?:pas|plus|pu|toujours)|arrive pu|impossible|oubli|perdu|egare|comment\b|pouv(?:ez|ons)|pourri(?:ez|ons)"
    r"|pourrais|peux-tu|peux tu|aide[rz]?\b|aidez|besoin|svp|s'il vous plait|(?:marche|fonctionne|va|ouvre) (?:pas|pu|plus)"
    r"|capable|(?:peux|peut|pouvons|parviens) (?:pas|plus|pu)|j'?peux pu|bloqu|refus|(?:pas|jamais|pu) (?:recu|eu)"
    r"|voudrais|j'aimerais|souhaite|(?:rappelle|souviens|sais) (?:pu|plus|pas)|que (?:dois|faire)|quoi faire"
    r"|qu'est-ce|c'est quoi|\bquel(?:le)?s?\b"
    r"|can't|cannot|can not|unable|couldn't|won't|doesn't|does not|not working|isn't|forgot|\blost\b|don't remember"
    r"|do not remember|how (?:do|can|to|should)|could you|can you|would you|please|\bhelp|\bneed|never (?:came|arrived|got)"
    r"|didn't (?:get|receive|come|arrive)|locked|keeps|stuck|want to|would like|i'd like|\bwhich\b|\bwhat\b|refund|cancel",
)
# Asked of us, not told as context ("I want to install whatever works best" is context).
_ASKS_US = re.compile(
    r"\?|pouv(?:ez|ons)|pourri(?:ez|ons)|svp|s'il vous plait|je voudrais|j'aimerais|merci de (?:me|m'|nous)"
    r"|(?:could|can|would) you|please|i'd like|i would like|we would like|we'd like",
)
_THANKS_OR_WORKED = re.compile(
    r"\bmerci\b|\bthanks?\b|thank you|\bthx\b|(?:ca|tout|it|that|everything) (?:marche|fonctionne|a marche|a fonctionne"
    r"|est revenu|est beau|worked|works|did it|fixed it|is fine|is working)|c'est (?:regle|beau|correct|bon)|c'etait (?:bien|ca)"
    r"|probleme regle|all (?:sorted|good|set)|\bsolved\b|\bresolu\b|\bfixed\b|works (?:now|fine|great)|working now"
    r"|good now|reussi",
)
_STILL_FAILING = re.compile(
    r"\?|toujours pas|encore (?:pareil|la meme|le meme|la page)|(?:marche|fonctionne|va) (?:pas|pu|plus)"
    r"|n'arrive|ne (?:marche|fonctionne)|pas capable|pu capable|chu pas|\bstill\b|not working|doesn't|does not|didn't"
    r"|did not|can't|cannot|won't|same (?:problem|issue|error|loop|thing)|no luck|\bmais\b|\bbut\b|par contre|however",
)
_REPLY_SUBJECT = re.compile(r"^\s*(?:re|r[ée]f|tr|fwd?|fw|aw|wg|sv|rv)\s*(?:\[\d+\])?\s*:", re.IGNORECASE)
_SPACES = re.compile(r"[\s>]+")
_MAX_RESOLVED_CHARS = 400


@dataclasses.dataclass(frozen=True)
class Reading:
    """What decides the mail: a topic, its confidence and the sentence that said it."""

    intent: str | None
    confidence: float
    deciding: str = ""  # "" when the whole text decided
    mixed: bool = False  # an answerable request beside one that needs a person


@dataclasses.dataclass(frozen=True)
class ReplySigns:
    is_reply: bool  # a reply or forward by its subject or a quote
    to_us: bool  # it quotes us (our address, answers or subject)
    to_auto_answer: bool  # it quotes one of our automatic answers
    resolved: bool  # the new text thanks or says it works, and nothing still fails


def _plain(text: str) -> str:
    """Lower case, no accents, straight apostrophes: what the patterns above match."""
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'").lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def request_sentences(text: str) -> list[str]:
    """The sentences (clauses of long ones) of ``text`` that ask something, in order."""
    found: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        sentence = sentence.strip()
        if not sentence:
            continue
        pieces = [sentence]
        if len(sentence.split()) > _LONG_SENTENCE_WORDS:
            pieces = [piece.strip(" ,") for piece in _CLAUSE.split(sentence) if piece and piece.strip(" ,")]
        found.extend(piece for piece in pieces if _REQUEST.search(_plain(piece)))
    return found[:_MAX_SENTENCES]


def sentence_count(text: str) -> int:
    return sum(1 for sentence in _SENTENCE_END.split(text) if sentence.strip())


def choose_reading(
    whole: Parse | None, sentences: Sequence[tuple[str, Parse]], *, threshold: float
) -> Reading:
    """The reading the decision rests on (see the module doc)."""
    if whole is None:
        return Reading(None, 0.0)
    confident = [(text, parse) for text, parse in sentences if parse.confidence >= threshold]
    answerable = [item for item in confident if item[1].intent in ANSWERABLE]
    # A short question leans on the sentence before it ("Comment le réinitialiser?") and
    # reads as out of scope alone; only a sentence that stands on its own asks for a person.
    for_person = [
        item
        for item in sentences
        if item[1].intent in NEEDS_PERSON_ALONE
        and item[1].confidence >= _FOR_PERSON_CONFIDENCE
        and len(item[0].split()) >= _STANDS_ALONE_WORDS
        and _ASKS_US.search(_plain(item[0]))
    ]
    whole_answerable = whole.intent in ANSWERABLE and whole.confidence >= threshold
    if (answerable or whole_answerable) and for_person:
        text, parse = max(for_person, key=lambda item: item[1].confidence)
        return Reading(parse.intent, parse.confidence, text, mixed=True)
    agreeing = [item for item in confident if item[1].intent == whole.intent]
    if (whole_answerable and (agreeing or not answerable)) or not answerable:
        # The whole text decides; name the sentence that says the same most clearly, if any.
        deciding = max(agreeing, key=lambda item: item[1].confidence)[0] if agreeing else ""
        return Reading(whole.intent, whole.confidence, deciding)
    # The context pulled the whole text off its topic, or onto another one ("quand je clique
    # sur le favori ça m'amène sur une vieille page" reads as a login problem, the question
    # asks how to make a new bookmark): what the person asks decides.
    text, parse = max(answerable, key=lambda item: item[1].confidence)
    return Reading(parse.intent, parse.confidence, text)


def says_resolved(text: str) -> bool:
    """Whether a short text thanks or says it works now, with nothing still failing."""
    plain = _plain(text)
    return (
        len(plain) <= _MAX_RESOLVED_CHARS
        and bool(_THANKS_OR_WORKED.search(plain))
        and not _STILL_FAILING.search(plain)
    )


def reply_signs(mail: ParsedMail, *, own_addresses: Collection[str]) -> ReplySigns:
    """What the mail's content says about being a reply (its headers may not)."""
    quoted = quoted_text(mail.text)
    flat = _plain(_SPACES.sub(" ", quoted))
    subject = _plain(_REPLY_SUBJECT.sub("", mail.subject).strip())
    to_auto_answer = any(_plain(mark) in flat for mark in QUOTE_MARKS["auto"])
    to_us = (
        to_auto_answer
        or any(address.lower() in flat for address in own_addresses)
        or any(_plain(mark) in flat for mark in QUOTE_MARKS["agent"])
        or subject in {_plain(ours) for ours in REPLY_SUBJECTS.values()}
    )
    is_reply = bool(_REPLY_SUBJECT.match(mail.subject)) or bool(quoted.strip()) or to_us
    # "Voici le message de mon client. Merci": a forward passes a request on, it closes nothing.
    resolved = not forwards_a_mail(mail) and says_resolved(own_text(mail.text))
    return ReplySigns(is_reply, to_us, to_auto_answer, resolved)
