"""Celery tasks: thin adapters that take ids and are safe to run twice."""

import logging

from celery import shared_task

from . import services

logger = logging.getLogger(__name__)


@shared_task
def run_execution(execution_id):
    # Imported here: only a worker runs executions, and the api must not load the worker's code.
    from .worker import host

    execution = services.claim_execution(execution_id)
    if execution is None:
        # Already claimed, stopped or gone: a redelivery or a duplicate.
        logger.info("Execution %s is not pending; nothing to run", execution_id)
        return
    host.run(execution)


@shared_task
def reap_executions():
    return services.reap_executions()
