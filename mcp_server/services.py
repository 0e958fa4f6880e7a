"""What runs need from the process: its settings, LLM providers and the knowledge base.

One ``Services`` is built per application (``create_app``) and handed to
every run as ``RunRequest.services``, so runtimes reach providers and the
knowledge base through their request instead of through globals, and tests
can build one around a temporary data directory and a stand-in LLM.
"""

from __future__ import annotations

import asyncio

from mcp_server.knowledge import KnowledgeBase, ReadLimits
from mcp_server.providers import Provider, create_provider
from mcp_server.settings import Settings


class Services:
    def __init__(self, settings: Settings, knowledge: KnowledgeBase | None = None) -> None:
        self.settings = settings
        self.knowledge = knowledge or KnowledgeBase(
            settings.data_dir,
            limits=ReadLimits(
                max_pages=settings.document_max_pages,
                max_chars=settings.document_max_chars,
                timeout=settings.parse_timeout,
                memory_bytes=settings.parse_memory_mb * 1024 * 1024,
            ),
            index_timeout=settings.index_timeout,
        )
        self._providers: dict[str, Provider] = {}

    def provider(self, name: str | None) -> Provider:
        """The provider called ``name``; None means the server's default (``LLM_PROVIDER``)."""
        name = name or self.settings.llm_provider
        if name not in self._providers:
            self._providers[name] = create_provider(name, self.settings)
        return self._providers[name]

    async def aclose(self) -> None:
        await asyncio.gather(*(provider.aclose() for provider in self._providers.values()))
