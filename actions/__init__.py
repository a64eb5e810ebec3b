"""Custom actions of the GEM-BOOKS support assistant, one module per feature.

`rasa run actions --actions actions` imports this package; each module registers its
actions by defining `Action` subclasses.
"""

from actions import (  # noqa: F401  (imported for their Action subclasses)
    digressions,
    fallback,
    frustration,
    greeting,
    handoff,
    password_reset,
    session,
    troubleshooting,
    user_code,
)
