"""LLM providers: ``local`` (in-process llama.cpp) and ``openai`` (any compatible endpoint).

``base.py`` states the contract. The modules are imported on first use, so
importing this package (as the runtimes' config schemas do) stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mcp_server.providers.base import ChatRequest, Finish, Provider, ProviderError, TextDelta, ToolCall, ToolSpec
from mcp_server.settings import LLM_PROVIDERS

if TYPE_CHECKING:
    from mcp_server.settings import Settings

PROVIDER_NAMES = LLM_PROVIDERS

__all__ = [
    "PROVIDER_NAMES",
    "ChatRequest",
    "Finish",
    "Provider",
    "ProviderError",
    "TextDelta",
    "ToolCall",
    "ToolSpec",
    "create_provider",
]


def create_provider(name: str, settings: Settings) -> Provider:
    """A new provider called ``name``, configured from ``settings``."""
    if name == "local":
        from mcp_server.providers.local import LocalProvider

        return LocalProvider(settings)
    if name == "openai":
        from mcp_server.providers.openai import OpenAIProvider

        return OpenAIProvider(settings)
    raise ValueError(f"Unknown LLM provider {name!r}; expected one of {', '.join(PROVIDER_NAMES)}.")
