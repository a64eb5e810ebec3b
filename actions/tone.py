"""Whether the person's latest message sounds angry or fed up, whatever it asks.

"C'est ben niaiseux, ça marche toujours pas" is a `still_not_working` *and* a frustrated
message: the intent says what to do next, the tone says to acknowledge it first. The
`frustration` intent itself, a good share of it in the intent ranking, or a swear word
(Québec's sacres included) all count.

>>> is_frustrated_text("ostie, encore bloqué")
True
>>> is_frustrated_text("toujours bloqué")
False
"""

from __future__ import annotations

import re

from rasa_sdk import Tracker

__all__ = ["is_frustrated", "is_frustrated_text"]

# Below this share of the ranking, frustration is noise, not tone.
RANKING_SHARE = 0.2

_SWEARING = re.compile(
    r"\b(tabarn\w*|tabarouette|c[aâ]lis+[se]?\w*|crisse|christ|ostie|hostie|esti|sacrament|"
    r"ciboire|calvaire|maudit\w*|mautadit|marde|merde|putain|fait chier|niaiseu\w*|"
    r"fuck\w*|f\*+\w*|shit\w*|damn\w*|goddam\w*|crap\w*|wtf|bullshit|ridiculous|ridicule|"
    r"useless|inutile|pathetic|ras le bol|j'en ai marre|fed up|tann[ée]e?)\b",
    re.IGNORECASE,
)


def is_frustrated_text(text: str) -> bool:
    """A swear word or an insult to the software in ``text``."""
    return bool(_SWEARING.search(text or ""))


def is_frustrated(tracker: Tracker) -> bool:
    """Whether the latest message is frustrated: by its intent, its ranking or its words."""
    message = tracker.latest_message or {}
    if ((message.get("intent") or {}).get("name")) == "frustration":
        return True
    for item in message.get("intent_ranking") or []:
        if item.get("name") == "frustration" and float(item.get("confidence") or 0) >= RANKING_SHARE:
            return True
    return is_frustrated_text(str(message.get("text") or ""))
