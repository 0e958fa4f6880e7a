"""What follows the end of a run: receivers that features attach, called once per terminal move.

Every move of an execution to a terminal status (completed, failed,
stopped) enqueues one ``run_finished(execution_id)`` task after its commit
(``runs.services``); the task calls each receiver registered here with the
finished execution. Webhooks, rooms, thread queues and limits attach here
instead of editing the transition::

    @on_run_finished
    def advance_room(execution): ...

Receivers register when their app loads (its ``AppConfig.ready``), so every
process knows them, each with the runs it is for (``when``): a run that no
receiver wants enqueues no task at all (each costs a broker round trip and a
worker's time, measured in the benchmark as a doubled p99 latency with 500
streams ending).

A receiver runs on a worker, outside the transition's transaction. The task
may run twice (a redelivery), so a receiver must be safe to repeat: claim
its own work with a conditional update. One receiver failing is logged and
does not keep the others from running.
"""

import logging

logger = logging.getLogger(__name__)

_receivers = {}  # receiver -> when


def _every_run(execution):
    return True


def on_run_finished(receiver=None, *, when=_every_run):
    """Register ``receiver(execution)`` for the runs ``when(execution)`` is true of (all by default).

    Usable as a decorator, with or without ``when``. Registering again
    replaces the first registration. ``when`` sees the execution as the
    transition left it (no related rows loaded) and must not query.
    """
    if receiver is None:
        return lambda function: on_run_finished(function, when=when)
    _receivers[receiver] = when
    return receiver


def is_wanted(execution):
    """Whether any receiver is for this finished run: only then is run_finished enqueued."""
    return any(when(execution) for when in list(_receivers.values()))


def run_finished(execution):
    for receiver, when in list(_receivers.items()):
        if not when(execution):
            continue
        try:
            receiver(execution)
        except Exception:
            logger.exception("run_finished receiver %s failed for execution %s", receiver.__qualname__, execution.id)
