"""Deliveries to a real receiver on loopback: signed, idempotent, retried with backoff, given up, swept.

The unit tests call ``services.deliver`` as the task would (and move a
retry's time into the past instead of waiting); the last ones run the real
worker and broker end to end.
"""

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from testsupport import LOOPBACK, wait_until
from webhooks import services
from webhooks.models import Delivery

PAYLOAD = {"event": "run.completed", "execution": "e-1", "output": "Done: café ✓"}


class Receiver:
    """A webhook receiver: keeps every request, answers 500 to the next ``failures`` ones and 200 after."""

    def __init__(self):
        self.requests = []
        self.failures = 0
        self.lock = threading.Lock()

    def url(self, path="/hook"):
        return f"http://{LOOPBACK}:{self.port}{path}"

    def answer(self, headers, body):
        with self.lock:
            self.requests.append({"headers": headers, "body": body})
            if self.failures:
                self.failures -= 1
                return 500, b"receiver is down"
            return 200, b'{"ok":true}'


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = [LOOPBACK]
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            status, answer = receiver.answer(dict(self.headers), body)
            self.send_response(status)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()
    thread.join()


def signature_is_valid(secret, request):
    timestamp = request["headers"]["X-Webhook-Timestamp"]
    signed = f"{timestamp}.".encode() + request["body"]
    expected = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, request["headers"]["X-Webhook-Signature"])


def make_due(delivery):
    """As if the retry's backoff had passed."""
    Delivery.objects.filter(id=delivery.id).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


@pytest.mark.django_db
class TestDelivery:
    def test_a_delivery_is_posted_signed_with_the_owners_secret(
        self, owner, receiver, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks() as sent:
            delivery = services.enqueue_delivery(owner.id, receiver.url(), PAYLOAD, key="run:e-1:completed")
        assert len(sent) == 1  # the task is sent after the commit, not before

        services.deliver(delivery.id)

        (request,) = receiver.requests
        headers = request["headers"]
        assert json.loads(request["body"]) == PAYLOAD
        assert request["body"] == json.dumps(PAYLOAD, separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode()
        assert headers["Content-Type"] == "application/json"
        assert headers["User-Agent"] == "agent-platform-webhooks"
        assert headers["X-Webhook-Id"] == str(delivery.id)
        assert abs(int(headers["X-Webhook-Timestamp"]) - timezone.now().timestamp()) < 10
        assert signature_is_valid(services.secret_for(owner).secret, request)
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.last_error) == ("delivered", 1, "")
        assert delivery.delivered_at is not None
        (attempt,) = delivery.attempt_rows.all()
        assert (attempt.number, attempt.status_code, attempt.error) == (1, 200, "")
        assert attempt.response_excerpt == '{"ok":true}'

    def test_a_rotated_secret_signs_the_next_delivery_and_the_old_one_no_longer_verifies(self, owner, receiver):
        old = services.secret_for(owner).secret
        new = services.rotate_secret(owner).secret
        services.deliver(services.enqueue_delivery(owner.id, receiver.url(), PAYLOAD, key="k").id)
        (request,) = receiver.requests
        assert signature_is_valid(new, request) and not signature_is_valid(old, request)

    def test_enqueueing_the_same_key_twice_makes_one_delivery_and_sends_one_task(
        self, owner, receiver, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks() as sent:
            first = services.enqueue_delivery(owner.id, receiver.url(), PAYLOAD, key="run:e-1:completed")
            again = services.enqueue_delivery(owner.id, receiver.url("/other"), {"x": 1}, key="run:e-1:completed")
        assert again.id == first.id and again.url == receiver.url()
        assert Delivery.objects.count() == 1 and len(sent) == 1

    def test_a_failed_attempt_is_retried_after_a_backoff_then_delivered(
        self, owner, receiver, settings, django_capture_on_commit_callbacks
    ):
        settings.WEBHOOK_RETRY_BASE_SECONDS = 30
        receiver.failures = 1
        delivery = services.enqueue_delivery(owner.id, receiver.url(), PAYLOAD, key="k")

        with django_capture_on_commit_callbacks() as retries:
            before = timezone.now()
            services.deliver(delivery.id)
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == ("pending", 1)
        assert "500" in delivery.last_error
        # The first retry waits base * 2**0, jittered down to half of it at most.
        assert before + timedelta(seconds=15) <= delivery.next_attempt_at <= timezone.now() + timedelta(seconds=30)
        assert len(retries) == 1

        services.deliver(delivery.id)  # too early: the task of the retry has not come yet
        assert len(receiver.requests) == 1

        make_due(delivery)
        services.deliver(delivery.id)
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.last_error) == ("delivered", 2, "")
        assert [a.status_code for a in delivery.attempt_rows.all()] == [500, 200]
        assert delivery.attempt_rows.first().response_excerpt == "receiver is down"
        assert {r["headers"]["X-Webhook-Id"] for r in receiver.requests} == {str(delivery.id)}

    def test_it_gives_up_after_the_last_attempt(self, owner, receiver, settings):
        settings.WEBHOOK_MAX_ATTEMPTS = 3
        receiver.failures = 100
        delivery = services.enqueue_delivery(owner.id, receiver.url(), PAYLOAD, key="k")
        for _ in range(4):
            services.deliver(delivery.id)
            make_due(delivery)
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == ("failed", 3)
        assert [a.number for a in delivery.attempt_rows.all()] == [1, 2, 3]
        assert len(receiver.requests) == 3

    def test_a_failure_to_connect_is_a_failed_attempt(self, owner, receiver, settings):
        settings.WEBHOOK_MAX_ATTEMPTS = 1
        # Nothing listens on loopback's discard port.
        delivery = services.enqueue_delivery(owner.id, f"http://{LOOPBACK}:9/hook", PAYLOAD, key="k")
        services.deliver(delivery.id)
        delivery.refresh_from_db()
        assert delivery.status == "failed" and "ConnectError" in delivery.last_error
        assert delivery.attempt_rows.get().status_code is None

    def test_a_url_refused_when_the_attempt_is_made_fails_without_a_request(self, owner, receiver, settings):
        delivery = services.enqueue_delivery(owner.id, receiver.url(), PAYLOAD, key="k")
        settings.WEBHOOK_ALLOWED_HOSTS = []  # as if the host now resolved to an internal address
        services.deliver(delivery.id)
        delivery.refresh_from_db()
        assert delivery.status == "failed" and "private or reserved" in delivery.last_error
        assert receiver.requests == []
        assert delivery.attempt_rows.get().status_code is None

    def test_a_duplicate_task_after_the_delivery_sends_nothing(self, owner, receiver):
        delivery = services.enqueue_delivery(owner.id, receiver.url(), PAYLOAD, key="k")
        services.deliver(delivery.id)
        make_due(delivery)
        services.deliver(delivery.id)
        services.deliver("00000000-0000-0000-0000-000000000000")  # and a task whose delivery is gone
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, len(receiver.requests)) == ("delivered", 1, 1)

    def test_a_delivery_whose_worker_died_on_its_last_attempt_fails_when_swept(self, owner, settings):
        settings.WEBHOOK_MAX_ATTEMPTS = 2
        delivery = Delivery.objects.create(
            owner=owner, url="http://93.184.216.34/hook", payload={}, key="k", status="delivering", attempts=2
        )
        Delivery.objects.filter(id=delivery.id).update(updated_at=timezone.now() - timedelta(hours=1))
        assert services.redeliver_stalled() == 0
        delivery.refresh_from_db()
        assert delivery.status == "failed" and "lost" in delivery.last_error

    def test_the_backoff_doubles_up_to_its_cap(self, settings, monkeypatch):
        settings.WEBHOOK_RETRY_BASE_SECONDS, settings.WEBHOOK_RETRY_MAX_SECONDS = 5, 600
        monkeypatch.setattr(services.random, "uniform", lambda low, high: high)
        assert [services.retry_delay(n) for n in range(1, 10)] == [5, 10, 20, 40, 80, 160, 320, 600, 600]


# --- With the real worker and broker ------------------------------------------------------------

WORKER_ENV = {"WEBHOOK_ALLOWED_HOSTS": LOOPBACK, "WEBHOOK_RETRY_BASE_SECONDS": "0.2"}


def test_a_worker_retries_a_failing_receiver_until_it_answers(worker_pool, transactional_db, owner, receiver):
    worker_pool.ensure(**WORKER_ENV)
    receiver.failures = 2
    delivery = services.enqueue_delivery(owner.id, receiver.url(), PAYLOAD, key="run:e-2:completed")

    wait_until(lambda: Delivery.objects.get(id=delivery.id).status == "delivered", timeout=20)

    delivery.refresh_from_db()
    assert delivery.attempts == 3 and len(receiver.requests) == 3
    secret = services.secret_for(owner).secret
    assert all(signature_is_valid(secret, request) for request in receiver.requests)


def test_the_sweep_sends_again_a_lost_task_and_a_delivery_whose_worker_died(
    worker_pool, transactional_db, owner, receiver
):
    worker_pool.ensure(**WORKER_ENV)
    long_ago = timezone.now() - timedelta(hours=1)
    # Rows as a lost task message and a dead worker leave them (made here, so no task was sent).
    Delivery.objects.create(owner=owner, url=receiver.url(), payload={"n": 1}, key="lost", next_attempt_at=long_ago)
    died = Delivery.objects.create(owner=owner, url=receiver.url(), payload={"n": 2}, key="died", status="delivering",
                                   attempts=1)
    # And two it must leave alone: one a worker is sending, one not due yet.
    Delivery.objects.create(owner=owner, url=receiver.url(), payload={"n": 3}, key="busy", status="delivering",
                            attempts=1)
    Delivery.objects.create(owner=owner, url=receiver.url(), payload={"n": 4}, key="later",
                            next_attempt_at=timezone.now() + timedelta(hours=1))
    Delivery.objects.filter(id=died.id).update(updated_at=long_ago)

    assert services.redeliver_stalled() == 2

    wait_until(lambda: Delivery.objects.filter(status="delivered").count() == 2, timeout=20)
    assert {d.key: (d.status, d.attempts) for d in Delivery.objects.all()} == {
        "lost": ("delivered", 1), "died": ("delivered", 2), "busy": ("delivering", 1), "later": ("pending", 0),
    }
    assert sorted(json.loads(r["body"])["n"] for r in receiver.requests) == [1, 2]
