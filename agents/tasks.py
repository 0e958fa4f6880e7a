"""Celery tasks: thin adapters that take ids and are safe to run twice."""

import logging

from celery import shared_task

from . import runner, services

logger = logging.getLogger(__name__)


@shared_task
def run_execution(execution_id):
    execution = services.claim_execution(execution_id)
    if execution is None:
        # Already claimed, stopped or gone: a redelivery or a duplicate.
        logger.info("Execution %s is not pending; nothing to run", execution_id)
        return
    runner.run(execution)


@shared_task
def reap_executions():
    return services.reap_executions()
