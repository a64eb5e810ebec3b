"""Train the model as ``rasa train`` does, with the dialogue policies trained in a second
process beside the NLU pipeline (``rasa_addons/parallel_training.py``): same model, less
waiting on two cores.

    python -m tools.train [any `rasa train` option]

``make train`` and ``python -m tools.bench`` use it; ``rasa train`` still works and gives
the same model, one component after the other.
"""

from __future__ import annotations

import sys


def main(argv: list[str]) -> None:
    from rasa.__main__ import main as rasa_main

    from rasa_addons.parallel_training import use_parallel_training

    use_parallel_training()
    sys.argv = ["rasa", "train", *argv]
    rasa_main()


if __name__ == "__main__":
    main(sys.argv[1:])
