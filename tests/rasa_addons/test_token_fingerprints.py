"""``rasa_addons.token_fingerprints``: a remembered token fingerprint is always the one Rasa
computes for the token as it is now. (That a training's cache holds Rasa's fingerprints is
checked on a real training in ``test_parallel_training.py``.)"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from rasa.nlu.tokenizers.tokenizer import Token

from rasa_addons import token_fingerprints


@pytest.fixture
def remembered() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(token_fingerprints, "_remembered", {})
        patch.setattr(Token, "fingerprint", token_fingerprints._fingerprint)
        yield


def rasa_fingerprint(token: Token) -> str:
    return token_fingerprints._rasa_fingerprint(token)


TOKENS = [
    Token("brancher", 12, lemma="brancher"),
    Token("brancher", 12, lemma="branche"),
    Token("brancher", 13, lemma="brancher"),
    Token("MTREMBLAY", 0, data={"pos": "PROPN", "pattern": {"user_code": True, "email": False}}),
    Token("MTREMBLAY", 0, data={"pos": "PROPN", "pattern": {"user_code": False, "email": False}}),
    Token("MTREMBLAY", 0, data={"pattern": {"email": False, "user_code": True}, "pos": "PROPN"}),
    # Equal keys for Python, different text for Rasa's fingerprint: 1 / True, 0 / False.
    Token("x", 0, data={"n": 1}),
    Token("x", 0, data={"n": True}),
    Token("x", 0, data={"n": 0}),
    Token("x", 0, data={"n": False}),
    Token("x", 0, data={"n": None}),
    Token("x", 0, data={"n": "None"}),
    Token("x", 0, data={"n": [1, 2]}),
    Token("x", 0, data={"n": (1, 2)}),
    Token("x", 0, data={"n": [[1], {"a": [2]}]}),
    # Not remembered: 0.0 and -0.0 are one key, two fingerprints; arrays are not plain.
    Token("x", 0, data={"n": 0.0}),
    Token("x", 0, data={"n": -0.0}),
    Token("x", 0, data={"n": np.array([1.0, 2.0])}),
]


@pytest.mark.usefixtures("remembered")
def test_every_fingerprint_is_rasas_asked_once_or_again() -> None:
    expected = [rasa_fingerprint(token) for token in TOKENS]
    assert [token.fingerprint() for token in TOKENS] == expected
    assert [token.fingerprint() for token in TOKENS] == expected
    # Rasa gives None and "None" one fingerprint, and a dictionary in another order.
    assert len(set(expected)) == len(TOKENS) - 2
    assert 0 < len(token_fingerprints._remembered) < len(TOKENS)


@pytest.mark.usefixtures("remembered")
def test_a_token_whose_data_changed_gets_its_new_fingerprint() -> None:
    token = Token("MTREMBLAY", 20, data={"pos": "PROPN"})
    before = token.fingerprint()
    token.set("pattern", {"user_code": True})
    after = token.fingerprint()
    assert before != after == rasa_fingerprint(token)
    pattern: Any = token.get("pattern")
    pattern["user_code"] = False  # changed in place, under the same dictionary
    assert token.fingerprint() == rasa_fingerprint(token) not in (before, after)
