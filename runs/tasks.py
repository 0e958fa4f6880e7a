"""Celery tasks: thin adapters that take ids and are safe to run twice.

Also the worker's lifecycle: a ready worker starts sweeping (``runs.sweeper``),
and a worker asked to stop gives up its runs after ``WORKER_SHUTDOWN_GRACE``.
"""

import logging
import threading

from celery import shared_task
from celery.signals import worker_ready, worker_shutting_down
from django.conf import settings

from . import hooks, services, sweeper
from .models import AgentExecution

logger = logging.getLogger(__name__)


@shared_task
def run_execution(execution_id):
    # Imported here: only a worker runs executions, and the api must not load the worker's code.
    from .worker.host import host

    execution = services.claim_execution(execution_id)
    if execution is None:
        # Already claimed, stopped or gone: a redelivery or a duplicate.
        logger.info("Execution %s is not pending; nothing to run", execution_id)
        return
    host.run(execution)


@shared_task
def run_finished(execution_id):
    """Call the receivers of a finished run (``runs.hooks``); enqueued once per terminal move."""
    execution = AgentExecution.objects.select_related("agent").filter(id=execution_id).first()
    if execution is None or not execution.is_terminal:
        logger.info("Execution %s is gone or not finished; no hooks to run", execution_id)
        return
    hooks.run_finished(execution)


@shared_task
def run_paused(execution_id):
    """Call the receivers of a run that paused for a person (``runs.hooks``); enqueued once per pause.

    Called even if the run was answered meanwhile: the pause happened.
    """
    execution = AgentExecution.objects.select_related("agent").filter(id=execution_id).first()
    if execution is None:
        logger.info("Execution %s is gone; no hooks to run", execution_id)
        return
    hooks.run_paused(execution)


@shared_task
def sweep_executions():
    return services.sweep_executions()


@worker_ready.connect
def _sweep_in_worker(**_):
    sweeper.start()


@worker_shutting_down.connect
def _give_up_runs_after_grace(**_):
    """A warm shutdown waits for the running tasks, which may take up to the
    execution timeout: past the grace the worker gives its runs up instead
    (started again elsewhere when nothing was streamed yet, failed
    ``worker_shutdown`` otherwise), so it exits before a supervisor's SIGKILL."""
    from .worker.host import host

    grace = settings.AGENTS["WORKER_SHUTDOWN_GRACE"]
    timer = threading.Timer(grace, host.give_up_all)
    timer.daemon = True
    timer.start()
    logger.info("Worker stopping: its runs have %.1f s to finish", grace)
