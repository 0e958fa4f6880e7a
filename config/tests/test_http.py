"""The api's HTTP entry: a WSGI application served from a pool of threads."""

import asyncio
import json
import threading

from config.http import PooledWsgiToAsgi


async def _get(app, path="/"):
    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "query_string": b"",
        "headers": [],
        "http_version": "1.1",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 5555),
    }
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    await app(scope, receive, send)
    return sent


async def test_requests_run_at_once_on_the_pools_threads():
    both_inside = threading.Barrier(2, timeout=5)  # each request waits for the other
    threads = []

    def wsgi_app(environ, start_response):
        threads.append(threading.current_thread().name)
        both_inside.wait()
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [environ["PATH_INFO"].encode()]

    app = PooledWsgiToAsgi(wsgi_app, threads=2)
    first, second = await asyncio.gather(_get(app, "/a"), _get(app, "/b"))

    assert [m["status"] for m in (first[0], second[0])] == [200, 200]
    assert first[1]["body"] == b"/a" and second[1]["body"] == b"/b"
    assert len(set(threads)) == 2 and all(name.startswith("http") for name in threads)


async def test_one_request_after_another_reuses_a_thread_and_so_its_database_connection():
    threads = []

    def wsgi_app(environ, start_response):
        threads.append(threading.current_thread())
        start_response("204 No Content", [])
        return []

    app = PooledWsgiToAsgi(wsgi_app, threads=4)
    for _ in range(3):
        assert (await _get(app))[0]["status"] == 204
        # The response is sent from inside the thread's work item, so the
        # client can be done before the thread is back in the pool; a new
        # request in that instant would rightly get another thread.
        await asyncio.sleep(0.1)

    assert len(set(threads)) == 1


async def _post(app, chunks, headers):
    scope = {
        "type": "http", "method": "POST", "path": "/", "query_string": b"", "headers": headers,
        "http_version": "1.1", "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 5555),
    }
    messages = [{"type": "http.request", "body": chunk, "more_body": True} for chunk in chunks]
    messages.append({"type": "http.request", "body": b"", "more_body": False})
    received, sent = [], []

    async def receive():
        received.append(messages[len(received)])
        return received[-1]

    async def send(message):
        sent.append(message)

    await app(scope, receive, send)
    return sent, len(received)


def _never_called(environ, start_response):
    raise AssertionError("the application ran")


async def test_a_body_declared_past_the_limit_is_refused_before_it_is_read(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10
    app = PooledWsgiToAsgi(_never_called, threads=1)

    sent, read = await _post(app, [b"x" * 11], [(b"content-type", b"application/json"), (b"content-length", b"11")])

    assert (sent[0]["status"], read) == (413, 0)
    assert json.loads(sent[1]["body"]) == {"detail": "The request body is larger than 10 bytes.", "code": "too_large"}


async def test_a_streamed_body_is_refused_once_it_passes_the_limit_and_uploads_have_their_own(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10
    settings.AGENTS = {**settings.AGENTS, "MAX_UPLOAD_BYTES": 25}
    app = PooledWsgiToAsgi(_never_called, threads=1)

    sent, read = await _post(app, [b"x" * 8] * 10, [(b"content-type", b"multipart/form-data; boundary=b")])

    assert (sent[0]["status"], read) == (413, 4)  # the fourth piece passed 25 bytes
