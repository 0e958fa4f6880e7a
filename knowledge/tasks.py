"""Celery tasks for the agent server's index: thin, take ids, safe to run twice."""

from celery import shared_task

from . import services

# The agent server may be restarting: retry with backoff before giving up.
MAX_RETRIES = 6


@shared_task(bind=True, max_retries=MAX_RETRIES)
def index_document(self, document_id):
    # Imported here: the agent server's client is the worker's, never the api's.
    from runs.worker.client import AgentServerUnavailable

    try:
        services.index_document(document_id, final_attempt=self.request.retries >= self.max_retries)
    except AgentServerUnavailable as error:
        raise self.retry(exc=error, countdown=2 * 2**self.request.retries) from None


@shared_task(bind=True, max_retries=MAX_RETRIES)
def unindex_document(self, agent_id, document_id):
    from runs.worker.client import AgentServerUnavailable, remove_document

    try:
        remove_document(agent_id, document_id)
    except AgentServerUnavailable as error:
        raise self.retry(exc=error, countdown=2 * 2**self.request.retries) from None
