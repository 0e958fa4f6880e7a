"""The worker's event writer takes what is queued in batches, at most once a window, and bounds the queue."""

import asyncio
import threading
import time

from realtime.publish import background
from runs.worker import host as host_module
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


def test_readers_wait_for_room_while_the_queue_is_full_and_go_on_once_the_writer_takes(monkeypatch):
    monkeypatch.setattr(host_module, "MAX_QUEUED_EVENTS", 2)
    host = ExecutionHost()
    assert asyncio.run_coroutine_threadsafe(host.room(), background.get()).result(timeout=1) is None
    for token in range(3):
        host.queue.put(token)

    waiting = asyncio.run_coroutine_threadsafe(host.room(), background.get())
    time.sleep(0.2)
    assert not waiting.done()  # over the limit: the reader waits, without polling

    assert host._take(timeout=1) == [0, 1, 2]
    host._give_room()
    waiting.result(timeout=2)
