"""Code of this project that the Rasa server loads at run time (not training inputs:
nothing here changes the model; ``components/`` and ``data/`` do).

- ``hub_channel``: the hub's input channel (``credentials.yml``): one call per chat turn.
- ``tracker_store``: the SQL tracker store, with the trackers it saved kept in memory
  (``endpoints.yml``, ``tools.stack``).
"""
