"""The naive event path, for comparison: one commit and one core-layer group_send per event.

This is how the reference design moved events: for every event from the
agent server, a transaction that stores it, then a ``group_send`` of it on
channels-redis's core layer. To be fair to it, the sends run on one
long-lived event loop (so its Redis connections are reused) rather than
through ``async_to_sync`` per event, which would be slower still.

Run as ``python -m bench.naive <execution id>...``; the runs go concurrently.
"""

import asyncio
import json
import os
import sys

import django


def store_one(execution_id, event_type, data):
    from django.db import transaction
    from django.db.models import F
    from django.utils import timezone

    from runs.models import AgentEvent, AgentExecution

    with transaction.atomic():
        AgentExecution.objects.filter(id=execution_id).update(last_seq=F("last_seq") + 1)
        seq = AgentExecution.objects.filter(id=execution_id).values_list("last_seq", flat=True).get()
        return AgentEvent.objects.create(
            execution_id=execution_id, seq=seq, event_type=event_type, content=data, timestamp=timezone.now()
        )


async def run(execution_id):
    import httpx
    from asgiref.sync import sync_to_async
    from channels.layers import get_channel_layer
    from django.conf import settings
    from httpx_sse import aconnect_sse

    from runs import events, services
    from runs.agent_server import auth_headers
    from runs.worker.stream import execution_request

    layer = get_channel_layer()
    execution = await sync_to_async(services.claim_execution)(execution_id)
    payload = await sync_to_async(execution_request)(execution)
    async with httpx.AsyncClient(timeout=60) as client:
        url = f"{settings.AGENTS['MCP_URL']}/execute"
        async with aconnect_sse(client, "POST", url, json=payload, headers=auth_headers()) as source:
            async for sse in source.aiter_sse():
                data = json.loads(sse.data)
                if sse.event == "result":
                    await sync_to_async(services.complete_execution)(execution_id, data["output"])
                    return
                row = await sync_to_async(store_one)(execution_id, sse.event, data)
                await layer.group_send(
                    events.execution_group(execution_id), events.events_broadcast([events.row_message(row)])
                )


async def main(execution_ids):
    await asyncio.gather(*(run(execution_id) for execution_id in execution_ids))


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    asyncio.run(main(sys.argv[1:]))
