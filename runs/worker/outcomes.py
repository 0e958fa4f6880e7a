"""How a run leaves its worker: each outcome knows the one service call that records it.

The host treats every outcome alike: it closes the run's stream (which
cancels the run on the agent server), frees the Celery thread that waited
on the run, and calls ``finish``. An outcome that is not an end belongs here
too: a run that must wait for a person is ``Interrupted``, whose ``finish``
parks the execution, and answering it enqueues ``run_execution`` again, so
a waiting run holds no thread, no stream and no lease.
"""

from dataclasses import dataclass

from runs import services


class Outcome:
    """Base class: ``finish(execution_id)`` records the outcome, returning the execution or None."""

    def finish(self, execution_id):
        raise NotImplementedError


@dataclass(frozen=True)
class Completed(Outcome):
    output: dict

    def finish(self, execution_id):
        return services.complete_execution(execution_id, self.output)


@dataclass(frozen=True)
class Failed(Outcome):
    message: str
    code: str

    def finish(self, execution_id):
        return services.fail_execution(execution_id, self.message, self.code)


@dataclass(frozen=True)
class GivenUp(Outcome):
    """The worker cannot carry the run on (it is shutting down): started again or failed."""

    message: str
    code: str

    def finish(self, execution_id):
        return services.give_up_execution(
            execution_id, code=self.code, message=self.message, only_if=services.claimed_here()
        )


@dataclass(frozen=True)
class Interrupted(Outcome):
    """The agent waits for a person: the execution waits (waiting_input) with its checkpoint."""

    kind: str
    payload: dict
    state: dict

    def finish(self, execution_id):
        return services.interrupt_execution(execution_id, self.kind, self.payload, self.state)


class Stopped(Outcome):
    """A stop was requested; the stream is closed, so the run has ended."""

    def finish(self, execution_id):
        return services.confirm_stopped(execution_id)


class Lost(Outcome):
    """Someone else ended the execution (a stop, the reaper): nothing left to record."""

    def finish(self, execution_id):
        return None


STOPPED = Stopped()
LOST = Lost()
SHUT_DOWN = GivenUp("The worker running this execution was stopped before the run finished.", "worker_shutdown")
