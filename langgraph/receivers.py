"""What the LangGraph API does when a run ends or pauses (``runs.hooks``), and when a cron goes.

A run ends with its execution, or at the interrupt its execution paused
at; either way its ``webhook`` gets the run and how it ended. When an
execution ends, the thread a threadless cron made for it is then deleted
(unless the cron said ``keep``): in that order, since the delivery reads
the run the thread's deletion takes with it.

The delivery is an outbox row (``webhooks``) keyed by the run, so a
redelivered hook, or the end of an execution whose run already reported
its pause, makes no second delivery; its task signs, sends and retries it.
Every LangGraph run is a run of a thread, which the thread queue's receiver
already asks ``run_finished`` for: ``when`` costs nothing more there.
"""

from django.db.models.signals import post_delete
from django.dispatch import receiver
from django_celery_beat.models import PeriodicTask

from runs import hooks
from runs.models import AgentExecution
from threads import services as threads_services

from . import selectors, shapes
from .models import Cron, Run


def _of_thread(execution):
    return execution.thread_id is not None


@hooks.on_run_finished(when=_of_thread)
def run_ended(execution):
    send_webhooks(execution)
    drop_cron_threads(execution)


@hooks.on_run_paused(when=_of_thread)
def run_paused(execution):
    """A run that reached an interrupt is over (the answer is a new run): its webhook is sent now."""
    send_webhooks(execution, paused_only=True)


def send_webhooks(execution, paused_only=False):
    from webhooks.services import enqueue_delivery

    runs = Run.objects.filter(execution_id=execution.id).exclude(webhook="")
    for run in runs:
        paused = selectors.paused_at(execution.id, run.after_seq) is not None
        if paused_only and not paused:
            continue
        payload = {
            **shapes.run(run, execution, paused),
            "run_started_at": shapes._time(execution.started_at),
            "run_ended_at": shapes._time(execution.completed_at),
            "values": selectors.final_values(run),
        }
        if execution.status == execution.Status.FAILED and not paused:
            payload["error"] = shapes.run_error(execution)
        enqueue_delivery(run.owner_id, run.webhook, payload, key=f"langgraph-run:{run.id}", execution_id=execution.id)


def drop_cron_threads(execution):
    """Delete the thread of a threadless cron's run that has ended (a repeat finds it gone).

    Not while the thread has other runs to go: someone took it on.
    """
    runs = Run.objects.filter(execution_id=execution.id, fire__isnull=False, kwargs__on_run_completed="delete")
    for run in runs.select_related("thread"):
        if not AgentExecution.objects.filter(thread_id=run.thread_id, status__in=threads_services.UNFINISHED).exists():
            threads_services.delete_thread(run.thread)


@receiver(post_delete, sender=Cron)
def drop_beat_entry(sender, instance, **kwargs):
    """A cron gone (deleted, or with its thread, agent or owner) takes its beat entry with it."""
    PeriodicTask.objects.filter(id=instance.periodic_task_id).delete()
