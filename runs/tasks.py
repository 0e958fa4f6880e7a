"""Celery tasks: thin adapters that take ids and are safe to run twice."""

import logging

from celery import shared_task

from . import hooks, services
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
def reap_executions():
    return services.reap_executions()
