"""The buffer between a run and its SSE connection: coalescing and back-pressure."""

import asyncio

from mcp_server.responses import Outbox


def test_it_hands_over_everything_accumulated_as_one_chunk():
    async def scenario() -> bytes | None:
        outbox = Outbox()
        for frame in (b"a", b"b", b"c"):
            await outbox.put(frame)
        return await outbox.take()

    assert asyncio.run(scenario()) == b"abc"


def test_it_reports_the_end_only_after_the_last_frame_was_taken():
    async def scenario() -> list[bytes | None]:
        outbox = Outbox()
        await outbox.put(b"last")
        outbox.close()
        return [await outbox.take(), await outbox.take()]

    assert asyncio.run(scenario()) == [b"last", None]


def test_it_makes_the_producer_wait_while_the_client_lags_behind():
    async def scenario() -> tuple[bool, bool]:
        outbox = Outbox(max_bytes=4)
        await outbox.put(b"1234")
        blocked = asyncio.ensure_future(outbox.put(b"5"))
        await asyncio.sleep(0.01)
        waited = not blocked.done()
        await outbox.take()
        await asyncio.wait_for(blocked, timeout=1)
        return waited, blocked.done()

    assert asyncio.run(scenario()) == (True, True)
