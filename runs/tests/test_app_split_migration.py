"""Moving executions, events and documents out of the agents app loses nothing.

A database at the last migration before the split, holding rows of every
moved table, is migrated forward; every row is still there, read through the
new apps' models, and the admin's content types moved with them.
"""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE_SPLIT = [("agents", "0003_event_execution_index"), ("contenttypes", "0002_remove_content_type_name")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def latest_targets():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_rows_written_before_the_split_are_read_after_it(django_user_model):
    old = migrate(BEFORE_SPLIT)
    User = old.get_model("auth", "User")
    ContentType = old.get_model("contenttypes", "ContentType")
    olivia = User.objects.create(username="olivia-before-split")
    agent = old.get_model("agents", "Agent").objects.create(owner=olivia, name="Old", runtime="synthetic", config={})
    execution = old.get_model("agents", "AgentExecution").objects.create(
        agent=agent, status="completed", input_data={"q": 1}, output_data={"text": "hi"}, last_seq=2
    )
    Event = old.get_model("agents", "AgentEvent")
    Event.objects.create(execution=execution, seq=1, event_type="execution_started", content={}, timestamp="2026-11-30T12:00:00Z")
    Event.objects.create(execution=execution, seq=2, event_type="token", content={"content": "hi"}, timestamp="2026-11-30T12:00:01Z")
    old.get_model("agents", "AgentDocument").objects.create(
        agent=agent, filename="notes.md", content_type="text/markdown", size=2, content=b"hi", status="ready", chunks=1
    )
    ContentType.objects.get_or_create(app_label="agents", model="agentexecution")

    migrate(latest_targets())

    from django.contrib.contenttypes.models import ContentType as CurrentContentType

    from knowledge.models import AgentDocument
    from runs.models import AgentEvent, AgentExecution

    moved = AgentExecution.objects.get(id=execution.id)
    assert (moved.agent_id, moved.status, moved.input_data, moved.output_data) == (
        agent.id,
        "completed",
        {"q": 1},
        {"text": "hi"},
    )
    assert list(AgentEvent.objects.filter(execution=moved).values_list("seq", "event_type")) == [
        (1, "execution_started"),
        (2, "token"),
    ]
    document = AgentDocument.objects.get(agent_id=agent.id)
    assert (document.filename, bytes(document.content), document.chunks) == ("notes.md", b"hi", 1)
    assert CurrentContentType.objects.filter(app_label="runs", model="agentexecution").exists()
    assert not CurrentContentType.objects.filter(app_label="agents", model="agentexecution").exists()
