"""The demo agent, created on the first start in development so the console can be tried."""

from __future__ import annotations

from bot.console.agents import AgentDirectory

__all__ = ["DEMO_AGENT_EMAIL", "DEMO_AGENT_PASSWORD", "describe_demo_agent", "ensure_demo_agent"]

DEMO_AGENT_EMAIL = "agent@example.com"
DEMO_AGENT_NAME = "Agent démo"
# Known on purpose, like the demo accounts' password: development only.
DEMO_AGENT_PASSWORD = "gembooks-agent"


async def ensure_demo_agent(agents: AgentDirectory) -> bool:
    if await agents.by_email(DEMO_AGENT_EMAIL) is not None:
        return False
    await agents.create(DEMO_AGENT_EMAIL, DEMO_AGENT_NAME, DEMO_AGENT_PASSWORD)
    return True


def describe_demo_agent() -> str:
    return f"{DEMO_AGENT_EMAIL}  password: {DEMO_AGENT_PASSWORD}"
