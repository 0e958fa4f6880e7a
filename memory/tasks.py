"""Celery tasks of long-term memory: thin, take ids, safe to run twice."""

from celery import shared_task

from knowledge.tasks import MAX_RETRIES, retried

from . import services


@shared_task(bind=True, max_retries=MAX_RETRIES)
def embed_item(self, item_id):
    retried(self, services.embed_item, item_id)
