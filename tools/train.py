"""Train the model as ``rasa train`` does, using both cores: the same model, sooner.

    python -m tools.train [any `rasa train` option]

``make train`` and ``python -m tools.bench`` use it; ``rasa train`` still works and gives
the same model, one step after the other. Two things run beside the training of the NLU
pipeline, each in its own process:

- the dialogue policies' training (``rasa_addons/parallel_training.py``);
- ``rasa train``'s check of the domain and the training data (Rasa's own
  ``validate_files``, with the same options). Its warnings are printed as ``rasa train``
  prints them; if it fails, the training is stopped and no model is left behind, as when
  ``rasa train`` refuses to start.

Both run at a lower CPU priority than the NLU pipeline, which the training waits for. The
training cache's fingerprints of the tokens are computed once per training instead of once
per step (``rasa_addons/token_fingerprints.py``; the same fingerprints as ``rasa train``).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import sys
import threading
import time
from pathlib import Path


def _validate(
    domain: str | None,
    config: str | None,
    data: list[str],
    fail_on_warnings: bool,
    max_history: int | None,
    niceness: int,
) -> None:
    """In its own process: what ``rasa train`` checks before it trains (rasa/cli/train.py)."""
    os.nice(niceness)  # the training comes first for the CPU
    import logging

    import rasa.cli.utils
    from rasa.cli.train import CONFIG_MANDATORY_KEYS
    from rasa.shared.importers.importer import TrainingDataImporter

    from rasa_addons.parallel_training import set_up_logging_like_rasa

    set_up_logging_like_rasa()
    logging.getLogger("rasa.cli.train").info("Started validating domain and training data...")
    config_path = rasa.cli.utils.get_validated_config(config, CONFIG_MANDATORY_KEYS)
    importer = TrainingDataImporter.load_from_config(
        domain_path=domain, training_data_paths=data, config_path=config_path
    )
    # Exits with 1 (and Rasa's message) when the project is not valid.
    rasa.cli.utils.validate_files(fail_on_warnings, max_history, importer)


class _Validation:
    """The check, in its own process; the training is interrupted as soon as it fails."""

    def __init__(self, args: argparse.Namespace) -> None:
        from rasa_addons.parallel_training import HELPER_NICENESS

        context = multiprocessing.get_context("spawn")
        self._process = context.Process(
            target=_validate,
            args=(
                args.domain,
                args.config,
                args.data,
                args.fail_on_validation_warnings,
                args.validation_max_history,
                HELPER_NICENESS,
            ),
            name="gem-train-validation",
            daemon=True,
        )
        self.failed = threading.Event()

    def start(self) -> None:
        self._process.start()
        threading.Thread(target=self._watch, name="gem-train-validation-watch", daemon=True).start()

    def _watch(self) -> None:
        self._process.join()
        if self._process.exitcode != 0:
            self.failed.set()
            # As Ctrl-C would: Rasa's training stops, and the policies' process with it.
            os.kill(os.getpid(), signal.SIGINT)

    def succeeded(self) -> bool:
        self._process.join()
        return self._process.exitcode == 0


def _trained_model(args: argparse.Namespace, since: float) -> Path | None:
    """The model this run wrote, if it wrote one (an earlier model of the same name stays)."""
    pattern = f"{args.fixed_model_name}.tar.gz" if args.fixed_model_name else "*.tar.gz"
    newer = [path for path in Path(args.out).glob(pattern) if path.stat().st_mtime >= since]
    return max(newer, key=lambda path: path.stat().st_mtime) if newer else None


def main(argv: list[str]) -> None:
    from rasa.__main__ import create_argument_parser
    from rasa.__main__ import main as rasa_main

    from rasa_addons.parallel_training import use_parallel_training
    from rasa_addons.token_fingerprints import use_remembered_token_fingerprints

    use_parallel_training()
    use_remembered_token_fingerprints()
    args = create_argument_parser().parse_args(["train", *argv])
    # `rasa train core` and `rasa train nlu` do not check the data; `rasa train` does.
    checks = not (argv and argv[0] in ("core", "nlu")) and not args.skip_validation
    validation = _Validation(args) if checks else None
    sys.argv = ["rasa", "train", *argv, *(["--skip-validation"] if validation else [])]
    started = time.time()
    if validation:
        validation.start()
    try:
        rasa_main()
        valid = validation.succeeded() if validation else True
    except KeyboardInterrupt:
        if not (validation and validation.failed.is_set()):
            raise
        valid = False
    if not valid:
        # Stopped by the check, or (if it ever ends after the training) trained for nothing.
        model = _trained_model(args, started)
        if model:
            model.unlink()
        sys.exit("The domain or training data is not valid (above): no model trained.")


if __name__ == "__main__":
    main(sys.argv[1:])
