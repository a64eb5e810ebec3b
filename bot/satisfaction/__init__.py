"""Satisfaction: "Did this help?" in chats, and the two links at the end of automatic mail answers."""
