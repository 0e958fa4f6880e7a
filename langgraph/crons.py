"""The LangGraph API's crons: runs made on a schedule by Celery beat, from the database.

A ``Cron`` is the user's: its schedule, its time zone and end, and the run
request each fire makes. Beat reads django-celery-beat's ``PeriodicTask``
rows; each cron has one (``beat_entry_of``), written in the same
transaction as the cron, so beat sees every change within seconds and never
a schedule the api did not commit. The entry's task (``fire_cron``) gets
the cron's id; ``fire`` makes the run as the owner would have, through
``services.start_run``: on the cron's thread, or on a new thread each time
(a threadless cron), which is deleted once its run has ended unless the
cron says ``keep``.

A fire is safe to repeat: its ``Run`` keeps the id of beat's message, which
a redelivery has too, and that id is unique.
"""

import json
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from agents import permissions
from contract.errors import PlatformError
from threads.selectors import with_metadata

from . import schedules, selectors, services
from .models import Cron, Run
from .serializers import CronCount, CronCreate, CronSearch, CronUpdate, RunCreate

logger = logging.getLogger(__name__)

FIRE_TASK = "langgraph.tasks.fire_cron"
ORDER = {"cron_id": "id", "assistant_id": "agent_id", "thread_id": "thread_id", "created_at": "created_at",
         "updated_at": "updated_at", "end_time": "end_time"}


def cron_of(user, cron_id):
    """The user's cron, or the 404 the clients expect."""
    key = selectors.as_uuid(cron_id)
    cron = Cron.objects.filter(owner=user, id=key).first() if key else None
    if cron is None:
        raise services.not_found("Cron", cron_id)
    return cron


def create_cron(user, body, thread_id=None):
    """A cron of ``user`` from a ``CronCreate`` body, on the thread ``thread_id`` (None: threadless)."""
    data = services.checked(CronCreate, body)
    thread = services.thread_of(user, thread_id) if thread_id is not None else None
    agent = selectors.assistant_for(user, data["assistant_id"])
    if agent is None:
        raise services.not_found("Assistant", data["assistant_id"])
    permissions.check_may_change(user, agent.owner_id, permissions.START_EXECUTION)
    with transaction.atomic():
        cron = Cron.objects.create(
            owner=user, agent=agent, thread=thread, schedule=data["schedule"], timezone=data.get("timezone") or "",
            end_time=data.get("end_time"), enabled=data.get("enabled") is not False,
            on_run_completed=data.get("on_run_completed") or Cron.OnRunCompleted.DELETE,
            payload=data["payload"], metadata=data.get("metadata") or {},
        )
        _write_beat_entry(cron)
    return cron


def update_cron(user, cron_id, body):
    """Change a cron (a ``CronUpdate`` body); the run its fires make must still be a valid one."""
    cron = cron_of(user, cron_id)
    data = services.checked(CronUpdate, body)
    with transaction.atomic():
        cron = Cron.objects.select_for_update().get(id=cron.id)
        for field in ("schedule", "end_time", "on_run_completed"):
            if field in data and (data[field] is not None or field == "end_time"):
                setattr(cron, field, data[field])
        if "timezone" in data:
            cron.timezone = data["timezone"] or ""
        if data.get("enabled") is not None:
            cron.enabled = data["enabled"]
        if data["payload"]:
            payload = {**cron.payload, **data["payload"]}
            services.checked(RunCreate, _run_request(cron, payload))
            cron.payload = payload
            if "metadata" in data["payload"]:
                cron.metadata = data.get("metadata") or {}
        cron.save()
        _write_beat_entry(cron)
    return cron


def delete_cron(user, cron_id):
    cron_of(user, cron_id).delete()  # its beat entry goes with it (receivers.drop_beat_entry)


def crons_matching(user, body, count=False):
    """The user's crons a ``CronSearch`` (or, for ``count``, ``CronCount``) body selects."""
    query = services.checked(CronCount if count else CronSearch, body)
    crons = Cron.objects.filter(owner=user)
    for field, column in (("assistant_id", "agent_id"), ("thread_id", "thread_id")):
        if query.get(field):
            crons = crons.filter(**{column: selectors.as_uuid(query[field])})
    if query.get("enabled") is not None:
        crons = crons.filter(enabled=query["enabled"])
    crons = with_metadata(crons, query.get("metadata"))
    if count:
        return crons.count()
    descending = query.get("sort_order", "desc") != "asc"
    sort_by = query.get("sort_by") or "created_at"
    start = query.get("offset") or 0
    end = start + (query.get("limit") or 10)
    if sort_by == "next_run_date":
        # Not a column (it moves with every fire): sorted here; the crons that fire no more count as the latest.
        now = timezone.now()
        dated = [(next_run_date(cron, now), cron) for cron in crons]
        dated.sort(key=lambda pair: (pair[0] is None, pair[0] or now), reverse=descending)
        return [cron for _, cron in dated[start:end]], query.get("select")
    column = ORDER[sort_by]
    return list(crons.order_by(f"-{column}" if descending else column, "id")[start:end]), query.get("select")


def fires(cron, now):
    return cron.enabled and (cron.end_time is None or cron.end_time > now)


def next_run_date(cron, now=None):
    """When beat fires the cron next; None when it is disabled or has ended."""
    now = now or timezone.now()
    if not fires(cron, now):
        return None
    moment = schedules.next_fire(cron.schedule, cron.timezone, after=now)
    return None if cron.end_time is not None and moment > cron.end_time else moment


def fire(cron_id, fire_id):
    """Make the run of one of the cron's fires (``fire_id``: beat's message id); the ``Run``, or None.

    None when the cron is gone, disabled or past its end, when this fire
    already made its run, or when the platform refuses the run (an
    inactive agent, a busy thread with ``reject``...), which is logged:
    the next fire tries again.
    """
    cron = Cron.objects.select_related("owner", "agent", "thread").filter(id=cron_id).first()
    # A fire delivered after the cron's end expired (beat sends it with the end as its expiry).
    if cron is None or not fires(cron, timezone.now()):
        return None
    if Run.objects.filter(fire=fire_id).exists():
        return None
    try:
        request = services.checked(RunCreate, _run_request(cron, cron.payload))
        with transaction.atomic():
            thread = cron.thread or services.create_thread(cron.owner, metadata={"cron_id": str(cron.id)})
            return services.start_run(cron.owner, thread, cron.agent, request, cron=cron, fire=fire_id)
    except IntegrityError:
        return None  # the same fire, delivered twice at once: the other made the run
    except PlatformError as error:
        logger.warning("Cron %s did not start a run: %s (%s)", cron.id, error.message, error.code)
        return None


def _run_request(cron, payload):
    request = {**payload, "assistant_id": str(cron.agent_id)}
    if cron.thread_id is None:
        request["on_run_completed"] = cron.on_run_completed
    return request


def _write_beat_entry(cron):
    """Create or change the cron's beat entry to match it (in the caller's transaction)."""
    fields = schedules.fields_of(cron.schedule)
    crontab = CrontabSchedule.objects.filter(**fields, timezone=cron.timezone or "UTC").first()
    if crontab is None:
        crontab = CrontabSchedule.objects.create(**fields, timezone=cron.timezone or "UTC")
    entry = cron.periodic_task or PeriodicTask(name=f"langgraph-cron:{cron.id}", task=FIRE_TASK)
    entry.crontab = crontab
    entry.kwargs = json.dumps({"cron_id": str(cron.id)})
    entry.enabled = cron.enabled
    entry.expires = cron.end_time
    entry.description = f"LangGraph cron of {cron.owner} for agent {cron.agent_id}"
    entry.save()
    if cron.periodic_task_id != entry.id:
        cron.periodic_task = entry
        cron.save(update_fields=["periodic_task"])
