"""The replay read (plain SQL) gives exactly the messages the ORM's rows give."""

from datetime import datetime
from datetime import timezone as dt_timezone

import pytest

from runs import selectors, services
from runs.events import PendingEvent, row_message
from runs.models import AgentEvent, AgentExecution

pytestmark = pytest.mark.django_db


def test_replayed_messages_equal_the_stored_rows_messages(agent):
    execution = AgentExecution.objects.create(agent=agent, input_data={"question": "Quelle heure est-il ?"})
    services.claim_execution(execution.id)  # a lifecycle event, its content merged into the message
    on_the_second = datetime(2026, 11, 22, 4, 0, 0, tzinfo=dt_timezone.utc)
    with_microseconds = datetime(2026, 11, 22, 4, 0, 0, 123456, tzinfo=dt_timezone.utc)
    services.record_events(
        execution.id,
        [
            PendingEvent("token", {"content": "déjà "}, on_the_second),
            PendingEvent(
                "tool_call",
                {"tool": "calc", "arguments": {"expression": "1+1", "n": [1, 2.5, None]}},
                with_microseconds,
            ),
            PendingEvent("message", {"role": "assistant", "content": ""}, with_microseconds),
        ],
    )
    services.complete_execution(execution.id, {"text": "déjà"})
    from_rows = [row_message(row) for row in AgentEvent.objects.filter(execution=execution).order_by("seq")]

    assert selectors.event_messages_after(execution.id, 0, 100) == from_rows
    assert [m["seq"] for m in from_rows] == [1, 2, 3, 4, 5]
    assert selectors.event_messages_after(execution.id, 1, 2) == from_rows[1:3]
    assert selectors.event_messages_after(execution.id, 1, 100, before_seq=4) == from_rows[1:3]
    assert from_rows[1]["timestamp"] == "2026-11-22T04:00:00Z"
    assert from_rows[2]["timestamp"] == "2026-11-22T04:00:00.123456Z"
