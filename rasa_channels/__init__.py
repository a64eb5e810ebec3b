"""Rasa input channels of this project, loaded by the Rasa server from ``credentials.yml``.

Not training data: nothing here changes the model (``components/`` and ``data/`` do).
"""
