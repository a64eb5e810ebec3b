"""The agent console: sign-in, the handoff queue, conversations, the dashboard."""
