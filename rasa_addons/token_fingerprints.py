"""Rasa's token fingerprints, each computed once per training instead of once per node.

After every node of the NLU pipeline, Rasa's training cache fingerprints the node's output
(``TrainingHook.on_after_node``): the whole training data, every message, every token of
every message, even though the tokens have not changed since the tokenizer. A token's
fingerprint is an MD5 of JSON of the MD5s of its text, offsets, lemma and data, about
150,000 of them a training here (3,000 examples, seven nodes), 6 s of the ~30 s before DIET
starts, on the path every other step waits for.

Here ``Token.fingerprint`` remembers what it computed, keyed on everything the fingerprint is
made from (text, offsets, lemma, and each data item with its type), so the value is Rasa's
own, computed by Rasa's code the first time: a token whose data later changes has another
key, hence Rasa's new fingerprint. Tokens holding anything but strings, integers,
booleans, ``None``, and lists and dictionaries of them, are fingerprinted by Rasa each
time (``tests/rasa_addons/test_token_fingerprints.py``). The training cache thus stores the
same fingerprints as ``rasa train`` (``tests/rasa_addons/test_parallel_training.py``
compares the caches of both trainings).

Installed by ``python -m tools.train`` only; ``rasa train`` and the servers are unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rasa.nlu.tokenizers.tokenizer import Token

__all__ = ["use_remembered_token_fingerprints"]

# What a token may hold for its fingerprint to be remembered: values that Rasa
# fingerprints as ``str(value)`` and that are equal only if their ``str`` are, once their
# type is in the key (``1 == True``; ``0.0 == -0.0`` is why floats are not here), and lists
# and dictionaries of them (frozen: the key is their content when the fingerprint is asked).
_PLAIN = (str, int, bool, type(None))

_remembered: dict[tuple[Any, ...], str] = {}
_rasa_fingerprint: Callable[[Token], str] = Token.fingerprint


class _NotPlain(Exception):
    pass


def _frozen(value: Any) -> tuple[Any, ...]:
    kind = type(value)
    if kind in _PLAIN:
        return (kind, value)
    if kind is dict:
        return (dict, tuple((_frozen(name), _frozen(item)) for name, item in value.items()))
    if kind is list:
        return (list, tuple(_frozen(item) for item in value))
    raise _NotPlain


def _fingerprint(token: Token) -> str:
    try:
        key = _frozen([token.text, token.start, token.end, token.lemma, token.data])
    except _NotPlain:
        return _rasa_fingerprint(token)
    fingerprint = _remembered.get(key)
    if fingerprint is None:
        fingerprint = _remembered[key] = _rasa_fingerprint(token)
    return fingerprint


def use_remembered_token_fingerprints() -> None:
    """Make ``Token.fingerprint`` remember its results (module doc)."""
    Token.fingerprint = _fingerprint  # type: ignore[method-assign]
