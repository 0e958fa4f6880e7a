"""The hot path of recording events, in plain SQL.

Every event a worker stores goes through these three statements. Written
with the ORM they cost a millisecond or more of Python per batch each
(building and compiling expressions), several times what the database took
to run them, which capped a worker's throughput and added latency to every
event. Values still go through each field's own preparation, so every
backend gets what the ORM would give it. Call them inside a transaction.

Each function looks the connection up once: ``django.db.connection`` is a
proxy, and going through it for every value of every row was a cost of its
own.
"""

import uuid

from django.db import DEFAULT_DB_ALIAS, connections

from .models import AgentEvent, AgentExecution

_EXECUTION = AgentExecution._meta
_EVENT = AgentEvent._meta


def _execution_id_value(execution_id, db):
    if not isinstance(execution_id, uuid.UUID):
        execution_id = uuid.UUID(str(execution_id))
    return _EXECUTION.pk.get_db_prep_value(execution_id, db)


def lock_running(execution_ids):
    """{execution id (UUID): last_seq} of those still running, locked until commit."""
    if not execution_ids:
        return {}
    db = connections[DEFAULT_DB_ALIAS]
    quote = db.ops.quote_name
    values = [_execution_id_value(execution_id, db) for execution_id in execution_ids]
    sql = "SELECT {}, {} FROM {} WHERE {} IN ({}) AND {} = %s".format(
        quote(_EXECUTION.pk.column),
        quote("last_seq"),
        quote(_EXECUTION.db_table),
        quote(_EXECUTION.pk.column),
        ", ".join(["%s"] * len(values)),
        quote("status"),
    )
    if db.features.has_select_for_update:
        sql += " FOR UPDATE"
    with db.cursor() as cursor:
        cursor.execute(sql, [*values, AgentExecution.Status.RUNNING.value])
        rows = cursor.fetchall()
    to_python = _EXECUTION.pk.to_python
    return {to_python(execution_id): last_seq for execution_id, last_seq in rows}


_EVENT_COLUMNS = ("execution", "seq", "event_type", "content", "timestamp")


def insert_events(rows):
    """Insert (execution id, seq, PendingEvent) rows with one executemany."""
    db = connections[DEFAULT_DB_ALIAS]
    quote = db.ops.quote_name
    fields = [_EVENT.get_field(name) for name in _EVENT_COLUMNS]
    _, _, _, content_field, timestamp_field = fields
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(_EVENT.db_table),
        ", ".join(quote(field.column) for field in fields),
        ", ".join(["%s"] * len(fields)),
    )
    execution_values = {}
    params = []
    for execution_id, seq, event in rows:
        if execution_id not in execution_values:
            execution_values[execution_id] = _execution_id_value(execution_id, db)
        params.append(
            (
                execution_values[execution_id],
                seq,
                event.event_type,
                content_field.get_db_prep_save(event.content, db),
                timestamp_field.get_db_prep_save(event.timestamp, db),
            )
        )
    with db.cursor() as cursor:
        cursor.executemany(sql, params)


def advance_executions(last_seqs, lease_expires_at):
    """Set each execution's last_seq (and renew its lease) with one executemany."""
    db = connections[DEFAULT_DB_ALIAS]
    quote = db.ops.quote_name
    lease_field = _EXECUTION.get_field("lease_expires_at")
    sql = "UPDATE {} SET {} = %s, {} = %s WHERE {} = %s".format(
        quote(_EXECUTION.db_table), quote("last_seq"), quote(lease_field.column), quote(_EXECUTION.pk.column)
    )
    lease = lease_field.get_db_prep_save(lease_expires_at, db)
    params = [(last_seq, lease, _execution_id_value(execution_id, db)) for execution_id, last_seq in last_seqs.items()]
    with db.cursor() as cursor:
        cursor.executemany(sql, params)
