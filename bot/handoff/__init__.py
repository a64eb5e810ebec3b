"""Human handoff: the assistant passes a conversation to people, and people give it back."""
