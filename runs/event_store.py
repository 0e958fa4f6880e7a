"""The hot paths of recording and replaying events, in plain SQL.

Every event a worker stores goes through the three statements below, and
every replayed event through ``read_events``. Written
with the ORM they cost a millisecond or more of Python per batch each
(building and compiling expressions), several times what the database took
to run them, which capped a worker's throughput and added latency to every
event. Values still go through each field's own preparation, so every
backend gets what the ORM would give it. Call them inside a transaction.

Each function looks the connection up once: ``django.db.connection`` is a
proxy, and going through it for every value of every row was a cost of its
own.
"""

import json
import uuid
from datetime import datetime
from datetime import timezone as dt_timezone

from django.db import DEFAULT_DB_ALIAS, connections

from .models import AgentEvent, AgentExecution

_EXECUTION = AgentExecution._meta
_EVENT = AgentEvent._meta


def _execution_id_value(execution_id, db):
    if not isinstance(execution_id, uuid.UUID):
        execution_id = uuid.UUID(str(execution_id))
    return _EXECUTION.pk.get_db_prep_value(execution_id, db)


def lock_running(execution_ids, worker):
    """{execution id (UUID): (last_seq, room id or None)} of those still running on ``worker``, locked until commit."""
    if not execution_ids:
        return {}
    db = connections[DEFAULT_DB_ALIAS]
    quote = db.ops.quote_name
    values = [_execution_id_value(execution_id, db) for execution_id in execution_ids]
    sql = "SELECT {}, {}, {} FROM {} WHERE {} IN ({}) AND {} = %s AND {} = %s".format(
        quote(_EXECUTION.pk.column),
        quote("last_seq"),
        quote(_EXECUTION.get_field("room").column),
        quote(_EXECUTION.db_table),
        quote(_EXECUTION.pk.column),
        ", ".join(["%s"] * len(values)),
        quote("status"),
        quote("worker"),
    )
    if db.features.has_select_for_update:
        sql += " FOR UPDATE"
    with db.cursor() as cursor:
        cursor.execute(sql, [*values, AgentExecution.Status.RUNNING.value, worker])
        rows = cursor.fetchall()
    to_python, room_to_python = _EXECUTION.pk.to_python, _EXECUTION.get_field("room").target_field.to_python
    return {
        to_python(execution_id): (last_seq, room_id if room_id is None else room_to_python(room_id))
        for execution_id, last_seq, room_id in rows
    }


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


def read_events(execution_id, after_seq, limit, before_seq=None):
    """(seq, event_type, content, timestamp) of stored events with after_seq < seq < before_seq, in seq order.

    Through the ORM, Django's converters turned each row's timestamp and
    content into Python values at a cost greater than the rest of a replay
    together (they look settings up for every value). The values here are
    the same: content decoded from its JSON, the timestamp an aware UTC
    datetime, so a replayed event's message equals the live one.
    """
    db = connections[DEFAULT_DB_ALIAS]
    quote = db.ops.quote_name
    sql = "SELECT {}, {}, {}, {} FROM {} WHERE {} = %s AND {} > %s".format(
        quote("seq"),
        quote("event_type"),
        quote("content"),
        quote("timestamp"),
        quote(_EVENT.db_table),
        quote(_EVENT.get_field("execution").column),
        quote("seq"),
    )
    params = [_execution_id_value(execution_id, db), after_seq]
    if before_seq is not None:
        sql += " AND {} < %s".format(quote("seq"))
        params.append(before_seq)
    sql += " ORDER BY {} LIMIT %s".format(quote("seq"))
    params.append(limit)
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [(seq, event_type, _decoded(content), _utc(timestamp)) for seq, event_type, content, timestamp in rows]


def _decoded(content):
    return json.loads(content) if isinstance(content, (str, bytes)) else content


def _utc(value):
    if isinstance(value, str):  # SQLite keeps datetimes as UTC text
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=dt_timezone.utc)
    return value.astimezone(dt_timezone.utc)
