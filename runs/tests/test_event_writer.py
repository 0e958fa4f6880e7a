"""The worker's event writer takes what is queued in batches, at most once a window."""

import threading
import time

from runs.worker.host import ExecutionHost


def test_a_lone_event_is_taken_at_once():
    host = ExecutionHost()
    host.queue.put("first token")

    assert host._take(timeout=1) == ["first token"]


def test_events_arriving_within_the_window_share_one_batch():
    host = ExecutionHost()
    host.queue.put("token 1")
    # The second event arrives while the writer is still inside its window
    # (the window is far longer than the delay, so the test does not race).
    threading.Timer(0.05, host.queue.put, args=("token 2",)).start()

    batch = host._take(timeout=1, not_before=time.monotonic() + 1.0)

    assert batch == ["token 1", "token 2"]


def test_an_empty_queue_gives_an_empty_batch_after_the_timeout():
    assert ExecutionHost()._take(timeout=0.01) == []
