"""Celery tasks of the LangGraph API: thin, take ids, safe to run twice (``crons.fire``)."""

from celery import shared_task

from . import crons


@shared_task(bind=True)
def fire_cron(self, cron_id):
    """Beat's fire of a cron: its message id makes a redelivery find the run it made."""
    run = crons.fire(cron_id, fire_id=self.request.id)
    return str(run.id) if run is not None else None
