"""Clients of /mcp on the real api process: the official SDK's, and raw JSON-RPC over HTTP."""

import anyio
import httpx
import pytest
from mcp import Client, MCPError
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from rest_framework.authtoken.models import Token

# A run slow enough to cancel: its tokens come a minute apart.
SLOW = {"steps": 1, "tokens": 5, "delay_ms": 60_000}


@pytest.fixture
def token_of():
    def token(user):
        return Token.objects.get_or_create(user=user)[0].key

    return token


@pytest.fixture
def mcp_client(api, token_of):
    """``mcp_client(user, mode=...)``: an SDK client of the api's /mcp, as an async context manager.

    Tests stay synchronous (the ORM is too) and run their client's coroutine
    with ``anyio.run``.
    """

    def client(user, mode="auto", scheme="Bearer"):
        http = create_mcp_http_client(headers={"Authorization": f"{scheme} {token_of(user)}"})
        return SdkClient(http, Client(streamable_http_client(f"{api.url}/mcp", http_client=http), mode=mode))

    return client


class SdkClient:
    def __init__(self, http, client):
        self.http, self.client = http, client

    async def __aenter__(self):
        await self.http.__aenter__()
        return await self.client.__aenter__()

    async def __aexit__(self, *exc_info):
        try:
            await self.client.__aexit__(*exc_info)
        finally:
            await self.http.__aexit__(None, None, None)


@pytest.fixture
def rest(api, token_of):
    """``rest(user)``: an httpx client of the api's REST API."""

    def client(user):
        return httpx.Client(
            base_url=api.url, headers={"Authorization": f"Token {token_of(user)}"}, trust_env=False, timeout=30
        )

    return client


def listed(client):
    """The tools an SDK client is offered."""

    async def list_tools():
        async with client as session:
            return (await session.list_tools()).tools

    return anyio.run(list_tools)


def call(client, name, arguments, on_progress=None):
    """One tool call with an SDK client; a protocol error is raised as the ``MCPError`` itself."""

    async def call_tool():
        async with client as session:
            return await session.call_tool(name, arguments, progress_callback=on_progress)

    try:
        return anyio.run(call_tool)
    except BaseExceptionGroup as group:
        # The SDK raises a protocol error from inside its task groups.
        matched, _ = group.split(MCPError)
        if matched is None:
            raise
        raise first_leaf(matched) from None


def first_leaf(group):
    while isinstance(group, BaseExceptionGroup):
        group = group.exceptions[0]
    return group
