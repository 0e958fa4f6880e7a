"""A worker killed mid-run: its execution ends failed (worker_lost) once the lease expires."""

import signal

from runs import services
from runs.models import AgentExecution
from testsupport import wait_until
from testsupport.sockets import wait_for_status


def test_a_killed_workers_execution_is_failed_by_the_reaper(worker, worker_pool, beat, agent):
    agent.config = {"steps": 1, "tokens": 100000, "delay_ms": 10}
    agent.save()
    execution = services.start_execution(agent, {})
    running = wait_for_status(execution.id, "running", timeout=15)
    assert running.worker
    # Past its first agent event: a lost run that streamed is failed, not started again.
    wait_until(lambda: AgentExecution.objects.get(id=execution.id).last_seq > 2, timeout=15, description="streaming")

    worker.kill()  # SIGKILL to the whole process group, like a crashed host
    assert worker.returncode == -signal.SIGKILL

    # The reaper runs on whichever worker is alive: here, its replacement.
    worker_pool.ensure()
    failed = wait_for_status(execution.id, ["failed", "completed", "stopped"], timeout=15)
    assert (failed.status, failed.error_code) == ("failed", "worker_lost")
    last = failed.events.order_by("seq").last()
    assert (last.seq, last.event_type, last.content["code"]) == (failed.last_seq, "execution_error", "worker_lost")
    assert not AgentExecution.objects.filter(status="running").exists()
