"""What a person says they already did, in their own words, French and English."""

from __future__ import annotations

import pytest

from actions.steps_done import steps_done


@pytest.mark.parametrize(
    ("text", "steps"),
    [
        ("I emptied the browsing data already, no luck", {"clear_data"}),
        ("j'ai déjà vidé la cache pis ça marche pu", {"clear_data"}),
        ("g deja effacer les cookies rien marche", {"clear_data"}),
        ("already cleard the cache, still nothin", {"clear_data"}),
        ("j'ai déjà essayé avec Chrome et Firefox", {"browsers"}),
        ("I already switched browsers", {"browsers"}),
        ("i already went through the red CONNEXION button", {"main_site"}),
        ("j'ai recréé mon favori, même problème", {"main_site"}),
        ("j'ai redémarré mon ordi, rien", {"restart"}),
        ("I tried Chrome and Firefox and restarted the browser", {"browsers", "restart"}),
        ("j'ai fait les étapes 1 et 2", {"main_site", "browsers"}),
        ("I tried everything", {"main_site", "browsers", "clear_data", "restart"}),
    ],
)
def test_steps_named_as_done(text, steps):
    assert steps_done(text) == steps


@pytest.mark.parametrize(
    "text",
    [
        "comment vider la cache?",
        "how do I clear my cookies",
        "la page est vide",
        "je n'arrive pas à me connecter",
        "I can't log in with Chrome",
        "",
    ],
)
def test_questions_and_plain_problems_name_no_step(text):
    assert steps_done(text) == set()
