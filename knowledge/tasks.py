"""Celery tasks for the agent server's index: thin, take ids, safe to run twice."""

from celery import shared_task

from . import services

# The agent server may be restarting: retry with backoff before giving up.
MAX_RETRIES = 6


@shared_task(bind=True, max_retries=MAX_RETRIES)
def index_document(self, document_id):
    retried(self, services.index_document, document_id, final_attempt=self.request.retries >= self.max_retries)


@shared_task(bind=True, max_retries=MAX_RETRIES)
def unindex_document(self, agent_id, document_id):
    from runs.worker.client import remove_document

    retried(self, remove_document, agent_id, document_id)


def retried(task, call, *args, **kwargs):
    """``call``, retried with backoff while the agent server is unavailable."""
    # Imported here: the agent server's client is the worker's, never the api's.
    from runs.worker.client import AgentServerUnavailable

    try:
        call(*args, **kwargs)
    except AgentServerUnavailable as error:
        raise task.retry(exc=error, countdown=2 * 2**task.request.retries) from None
