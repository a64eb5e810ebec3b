"""The GEM-BOOKS hub: web chat, Rasa relay, transcripts (see ../README and ARCHITECTURE)."""
