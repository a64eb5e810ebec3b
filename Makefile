# GEM-BOOKS support assistant. `make run` starts everything, `make test` runs every test.
# Both set up .venv (Python 3.10) and train the model first when needed.

VENV     := .venv
PY       := $(VENV)/bin/python
RASA     := $(VENV)/bin/rasa
MODEL    := models/gem-books.tar.gz
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL   := 3
export PYTHONWARNINGS         := ignore
export SQLALCHEMY_SILENCE_UBER_WARNING := 1

# The model is rebuilt when anything it is trained from changes.
TRAINING_INPUTS := config.yml domain.yml $(shell find data components -type f \( -name '*.yml' -o -name '*.py' \) 2>/dev/null)

.PHONY: run run-scaled test train evaluate bench validate lint lock setup setup-browser test-stories test-python clean

run: setup $(MODEL)
	$(PY) -m tools.serve

# The scaled-out topology on this machine: PostgreSQL, Redis, 2 Rasa servers, 2 action
# servers, 2 hubs behind haproxy (Debian's packages, which setup-browser installs).
run-scaled: setup-browser $(MODEL)
	$(PY) -m tools.serve_scaled

test: setup-browser $(MODEL) lint validate test-stories test-python

setup:
	@tools/bootstrap.sh

setup-browser:
	@tools/bootstrap.sh --browser

train: setup $(MODEL)

$(MODEL): $(TRAINING_INPUTS)
	@echo "==> training the model (data or config changed)"
	$(PY) -m tools.train --fixed-model-name gem-books --out models --quiet
	@touch $(MODEL)

validate: setup
	$(PY) -m tools.validate

test-stories: setup $(MODEL)
	$(RASA) test core --model $(MODEL) --stories tests --fail-on-prediction-errors --out results/core --quiet

test-python: setup $(MODEL)
	$(PY) -m pytest

evaluate: setup $(MODEL)
	$(PY) -m tools.evaluate $(ARGS)

bench: setup $(MODEL)
	$(PY) -m tools.bench $(ARGS)

# Lint runs first in `make test` (and so in CI): ruff's rules, its formatting, and mypy.
LINTED := actions bot components rasa_addons tools tests
lint: setup
	$(VENV)/bin/ruff check $(LINTED)
	$(VENV)/bin/ruff format --check $(LINTED)
	$(VENV)/bin/mypy actions bot components rasa_addons tools

# requirements.txt lists what we depend on; requirements.lock pins every package with its
# hashes and is what tools/bootstrap.sh installs. After editing requirements.txt (or to
# take newer releases within its ranges), run `make lock` and commit both files.
lock: setup
	$(PY) -m venv .venv-lock && .venv-lock/bin/pip install --quiet pip-tools
	.venv-lock/bin/pip-compile --quiet --upgrade --generate-hashes --allow-unsafe --strip-extras \
	  --no-emit-index-url --no-emit-find-links -o requirements.lock requirements.txt
	rm -rf .venv-lock

clean:
	rm -rf models results .pytest_cache
