"""The naive event path, for comparison: one commit and one core-layer group_send per event.

This is how the reference design moved events: for every event from the
agent server, a transaction that stores it, then ``async_to_sync(group_send)``.
Run as ``python -m bench.naive <execution id>...``; each execution gets a thread.
"""

import json
import os
import sys
import threading

import django


def run(execution_id):
    import httpx
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer
    from django.conf import settings
    from django.db import transaction
    from django.db.models import F
    from django.utils import timezone
    from httpx_sse import connect_sse

    from agents import events, services
    from agents.models import AgentEvent, AgentExecution
    from agents.runner import execution_request

    layer = get_channel_layer()
    execution = services.claim_execution(execution_id)
    with httpx.Client(timeout=60) as client:
        with connect_sse(client, "POST", f"{settings.AGENTS['MCP_URL']}/execute", json=execution_request(execution)) as source:
            for sse in source.iter_sse():
                data = json.loads(sse.data)
                if sse.event == "result":
                    services.complete_execution(execution_id, data["output"])
                    return
                with transaction.atomic():
                    AgentExecution.objects.filter(id=execution_id).update(last_seq=F("last_seq") + 1)
                    seq = AgentExecution.objects.filter(id=execution_id).values_list("last_seq", flat=True).get()
                    row = AgentEvent.objects.create(
                        execution_id=execution_id, seq=seq, event_type=sse.event, content=data, timestamp=timezone.now()
                    )
                async_to_sync(layer.group_send)(
                    events.execution_group(execution_id), events.events_broadcast([events.row_message(row)])
                )


def main(execution_ids):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    threads = [threading.Thread(target=run, args=(execution_id,)) for execution_id in execution_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


if __name__ == "__main__":
    main(sys.argv[1:])
