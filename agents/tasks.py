"""Celery tasks: thin adapters that take ids and are safe to run twice."""

import logging

from celery import shared_task

from . import agent_server, runner, services

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


# The agent server may be restarting: retry with backoff before giving up.
RETRY = {"autoretry_for": (agent_server.AgentServerUnavailable,), "retry_backoff": 2, "max_retries": 6}


@shared_task(bind=True, **RETRY)
def index_document(self, document_id):
    services.index_document(document_id, final_attempt=self.request.retries >= self.max_retries)


@shared_task(**RETRY)
def unindex_document(agent_id, document_id):
    agent_server.remove_document(agent_id, document_id)
