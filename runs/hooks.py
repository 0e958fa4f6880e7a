"""What follows the end of a run, or its pause: receivers that features attach, called once per move.

Every move of an execution to a terminal status (completed, failed,
stopped) enqueues one ``run_finished(execution_id)`` task after its commit
(``runs.services``); the task calls each receiver registered here with the
finished execution. Webhooks, rooms, thread queues and limits attach here
instead of editing the transition::

    @on_run_finished
    def advance_room(execution): ...

Likewise every pause for a person (to waiting_input) enqueues one
``run_paused(execution_id)`` for the receivers of ``on_run_paused``: what
reports a run's end to the outside where a client counts a pause as one
(the LangGraph API's webhooks).

A feature whose hook's task may be lost also registers a catch-up with
``on_sweep``, which every sweep runs.

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


def _every_run(execution):
    return True


class Hook:
    """One moment of a run (its end, its pause) and the receivers registered for it."""

    def __init__(self, name):
        self.name = name
        self.receivers = {}  # receiver -> when

    def register(self, receiver=None, *, when=_every_run):
        """Register ``receiver(execution)`` for the runs ``when(execution)`` is true of (all by default).

        Usable as a decorator, with or without ``when``. Registering again
        replaces the first registration. ``when`` sees the execution as the
        transition left it (no related rows loaded) and must not query.
        """
        if receiver is None:
            return lambda function: self.register(function, when=when)
        self.receivers[receiver] = when
        return receiver

    def is_wanted(self, execution):
        """Whether any receiver is for this run: only then is the task enqueued."""
        return any(when(execution) for when in list(self.receivers.values()))

    def __call__(self, execution):
        for receiver, when in list(self.receivers.items()):
            if not when(execution):
                continue
            try:
                receiver(execution)
            except Exception:
                logger.exception("%s receiver %s failed for execution %s", self.name, receiver.__qualname__,
                                 execution.id)


class Sweeps:
    """Catch-ups that features run with the sweep (``runs.services.sweep_executions``), by name.

    For the work a lost hook task would leave undone (the broker was down
    as a run ended): each finds it from the database, so it is safe in any
    number of processes at once. One failing is logged; the others run.
    """

    def __init__(self):
        self.sweeps = {}  # name -> function

    def register(self, name, function):
        self.sweeps[name] = function
        return function

    def __call__(self):
        done = {}
        for name, function in list(self.sweeps.items()):
            try:
                done[name] = function()
            except Exception:
                logger.exception("Sweep %s failed", name)
        return done


run_finished = Hook("run_finished")
run_paused = Hook("run_paused")
on_run_finished = run_finished.register
on_run_paused = run_paused.register
is_wanted = run_finished.is_wanted
sweeps = Sweeps()
on_sweep = sweeps.register
