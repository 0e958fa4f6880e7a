"""Celery tasks of webhooks: thin, take ids, safe to run twice (the claim in ``services.deliver``)."""

from celery import shared_task

from . import services


@shared_task
def deliver_webhook(delivery_id):
    services.deliver(delivery_id)


@shared_task
def redeliver_stalled_webhooks():
    return services.redeliver_stalled()
