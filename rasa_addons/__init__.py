"""Code of this project that plugs into Rasa (not training inputs: nothing here changes the
model; ``components/`` and ``data/`` do).

- ``hub_channel``: the hub's input channel (``credentials.yml``): one call per chat turn.
- ``tracker_store``: the SQL tracker store, with the trackers it saved kept in memory
  (``endpoints.yml``, ``tools.stack``).
- ``parallel_training``: Rasa's training graph with the policies trained in a second
  process, beside the NLU pipeline (``python -m tools.train``, ``make train``).
- ``token_fingerprints``: the training cache's token fingerprints computed once per training
  (the same values; ``python -m tools.train``).
"""
