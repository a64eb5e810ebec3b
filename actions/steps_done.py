"""Which of the article's steps a person says they already did, from their own words.

"J'ai déjà vidé la cache, ça marche pas" or "I already tried Chrome and Firefox" name a
step of article 1103 that the assistant should not make them do again. The intent says
*that* something did not work (`still_not_working`); this module says *what* was done, by
the shape of the sentence: a past participle of the step's verb near the step's object,
in French (Québec spelling without accents included) or English.

The same goes for the advice about a reset email that never came: "j'ai vérifié mes
spams" or "not in junk either" says the junk folder was already looked in
(:func:`spam_checked`).

>>> sorted(steps_done("j'ai déjà vidé la cache pis ça marche pu"))
['clear_data']
>>> sorted(steps_done("I already tried Chrome and Firefox and restarted the browser"))
['browsers', 'restart']
>>> steps_done("comment vider la cache?")
set()
>>> spam_checked("pas reçu le courriel, chu allé voir dans mes pourriels, rien"), spam_checked("no reset email, checked junk too")
(True, True)
>>> spam_checked("est-ce que ça peut être dans les spams?")
False
"""

from __future__ import annotations

import re

__all__ = ["ALL_STEPS_PATTERN", "spam_checked", "steps_done"]

_NEAR = r"[^.?!\n]{0,40}?"  # the verb and its object, in one sentence, a few words apart

# Step names as in actions/troubleshooting.py's STEPS.
_PATTERNS: dict[str, tuple[str, ...]] = {
    "main_site": (
        # "passé par le bouton CONNEXION", "went through the main site", "used the red button"
        rf"\b(pass[ée]e?s?|all[ée]e?s?|cliqu[ée]|utilis[ée])\b{_NEAR}\b(bouton|site (officiel|principal)|www\.gem-books\.com|connexion)\b",
        rf"\bessay[ée]\b{_NEAR}\b(bouton|site (officiel|principal)|www\.gem-books\.com)\b",
        rf"\b(went|gone|been|used|clicked|tried|go) (through|on|via|the)?{_NEAR}\b(button|main site|official site|www\.gem-books\.com|connexion)\b",
        rf"\b(recr[ée]{{1,2}}|refait|chang[ée]|modifi[ée]|supprim[ée])\b{_NEAR}\b(favori|signet)s?\b",
        rf"\b(recreated|remade|redid|changed|deleted|updated)\b{_NEAR}\bbookmarks?\b",
    ),
    "browsers": (
        r"\b(chrome|firefox)\b[^.?!\n]{0,12}\b(et|pis|and|&|puis|ou|or)\b[^.?!\n]{0,12}\b(chrome|firefox)\b",
        r"\b(autre|deux|2) navigateurs?\b|\bles deux navigateurs\b",
        r"\b(another|other|both|different|second) browsers?\b|\bboth of them\b",
        r"\bchang[ée] de navigateur\b|\bswitched browsers?\b|\bchanged browsers?\b",
    ),
    "clear_data": (
        rf"\b(vid[ée]e?s?|effac[ée]e?s?|supprim[ée]e?s?|nettoy[ée]e?s?|vidang[ée]e?s?)\b{_NEAR}\b(cache|caches|cookies?|t[ée]moins|donn[ée]es|historique)\b",
        rf"\b(cache|cookies?|t[ée]moins|donn[ée]es|historique)\b{_NEAR}\b(vid[ée]e?s?|effac[ée]e?s?|supprim[ée]e?s?)\b",
        # "g deja effacer les cookies": the infinitive, when "déjà" says it is done.
        rf"\bd[ée]j[àa]\b{_NEAR}\b(vid|effac|supprim|nettoy)\w*\b{_NEAR}\b(cache|caches|cookies?|t[ée]moins|donn[ée]es|historique)\b",
        rf"\b(cleared|cleard|emptied|deleted|wiped|cleaned|flushed|erased)\b{_NEAR}\b(cache|cookies?|history|browsing data|data)\b",
        rf"\b(cache|cookies?|history|browsing data)\b{_NEAR}\b(cleared|emptied|deleted|wiped)\b",
    ),
    "restart": (
        rf"\b(red[ée]marr[ée]e?|ferm[ée]e?|relanc[ée]e?|rebout[ée]e?|reboot[ée]e?)\b{_NEAR}\b(navigateur|ordi|ordinateur|chrome|firefox|browser|pc|mac)\b",
        rf"\b(restarted|closed|rebooted|relaunched|reopened|quit)\b{_NEAR}\b(browser|computer|laptop|pc|mac|chrome|firefox)\b",
        r"\b(red[ée]marr[ée]|rebooted|restarted)\b",
    ),
}
_COMPILED = {step: [re.compile(p, re.IGNORECASE) for p in patterns] for step, patterns in _PATTERNS.items()}

# "J'ai tout essayé", "I did all your steps": every step counts as done.
ALL_STEPS_PATTERN = re.compile(
    r"\b(tout essay[ée]|toutes? (vos|les) [ée]tapes|tout fait|fait les [ée]tapes|"
    r"tried everything|all (your|the) steps|did the steps|did everything|done everything|"
    r"article 1103)\b",
    re.IGNORECASE,
)


# "j'ai fait les étapes 1 et 2", "did steps 1, 2 and 3": the numbers name the steps.
_NUMBERED = re.compile(
    r"\b(?:[ée]tapes?|steps?)\s*((?:[1-4])(?:\s*(?:,|et|and|&|-)\s*[1-4])*)\b", re.IGNORECASE
)
_STEP_NAMES = tuple(_PATTERNS)  # in the article's order


def steps_done(text: str) -> set[str]:
    """The step names that ``text`` says were already done (empty when it names none)."""
    if not text:
        return set()
    numbered = _NUMBERED.search(text)
    if numbered:
        return {_STEP_NAMES[int(digit) - 1] for digit in re.findall(r"[1-4]", numbered.group(1))}
    if ALL_STEPS_PATTERN.search(text):
        return set(_PATTERNS)
    return {step for step, patterns in _COMPILED.items() if any(p.search(text) for p in patterns)}


# The junk folder, as people name it: "spams", "pourriels", "courrier indésirable", "junk",
# Gmail's "promotions" tab.
_FOLDER = r"(spams?|junk|pourriels?|ind[ée]sirables?|promotions?)"
_SPAM_CHECKED = re.compile(
    "|".join(
        (
            # "j'ai vérifié mes spams", "checké les indésirables", "looked in junk"
            rf"\b(v[ée]rifi[ée]e?s?|regard[ée]e?s?|check[ée]e?s?|fouill[ée]e?s?|cherch[ée]e?s?"
            rf"|all[ée]e? voir|[ée]t[ée] voir|checked|looked|searched|went through)\b{_NEAR}\b{_FOLDER}\b",
            # "ni dans les spams", "même dans les indésirables", "not in spam", "not even in junk"
            rf"\b(pas|ni|m[êe]me|rien|not|nor|nothing|even)\s+(dans|ds|in)\b{_NEAR}\b{_FOLDER}\b",
            # "les pourriels, rien", "spam is empty", "not in junk either"
            rf"\b{_FOLDER}\b{_NEAR}\b(rien|vides?|non plus|nothing|empty|either)\b",
        )
    ),
    re.IGNORECASE,
)


def spam_checked(text: str) -> bool:
    """Whether ``text`` says the junk folder was already looked in (for a missing email)."""
    return bool(text) and _SPAM_CHECKED.search(text) is not None
