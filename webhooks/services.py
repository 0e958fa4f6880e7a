"""Signed outbound webhooks, sent through an outbox with retries.

``enqueue_delivery`` writes a ``Delivery`` row (one per idempotency key) and,
after commit, sends the ``deliver_webhook`` task; ``deliver`` is that task's
body: it claims the row with a conditional UPDATE, checks the URL again,
POSTs the signed payload and records the attempt, then marks the row
delivered, schedules a retry with backoff, or gives up. The row is the
source of truth: a task message lost with Redis, or a worker that died
mid-request, is noticed by ``redeliver_stalled`` (beat, every minute), and
the claim makes any duplicate task a no-op. Delivery is at least once:
receivers deduplicate on ``X-Webhook-Id``. See docs/webhooks.md.
"""

import hashlib
import hmac
import ipaddress
import json
import logging
import random
import socket
import time
from datetime import timedelta
from functools import partial
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from contract.errors import PlatformError

from .models import Delivery, DeliveryAttempt, WebhookSecret, new_secret

logger = logging.getLogger(__name__)

USER_AGENT = "agent-platform-webhooks"
EXCERPT_CHARS = 500
# A pending delivery still due this long after its time lost its task message.
LOST_MESSAGE_SECONDS = 60
# A Celery ETA may fire a little before the time the row says (another
# process's clock): a claim that early is still the retry it was meant for.
CLAIM_EARLY_SECONDS = 1


# --- Which URLs may be called --------------------------------------------------------


class WebhookUrlRefused(PlatformError):
    code = "webhook_url_refused"
    status = 422


def check_url(url):
    """``url`` if the platform may POST to it; ``WebhookUrlRefused`` otherwise.

    Only http(s) without credentials in the URL, to a host whose every address
    is public: a webhook must not reach the platform's own network (the
    database, Redis, a cloud's metadata service). The operator's
    ``WEBHOOK_ALLOWED_HOSTS`` (hostnames, IPs, CIDRs) lets chosen internal
    hosts through. Resolving is done here, so call it outside transactions.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        _refuse("The webhook URL is not a valid URL.")
    if parts.scheme.lower() not in ("http", "https"):
        _refuse("A webhook URL must start with http:// or https://.")
    if "@" in parts.netloc:
        _refuse("A webhook URL must not contain a user name or password.")
    host = parts.hostname
    if not host:
        _refuse("The webhook URL has no host.")
    allowed_names, allowed_networks = _allow_list()
    if host.rstrip(".").lower() in allowed_names:
        return url
    for address in _addresses(host, port or (443 if parts.scheme.lower() == "https" else 80)):
        if _is_internal(address) and not any(address in network for network in allowed_networks):
            _refuse(f"The webhook host {host} is a private or reserved address ({address}): webhooks cannot reach it.")
    return url


def _refuse(message):
    raise WebhookUrlRefused(message, fields={"webhook": [message]})


def _allow_list():
    """The operator's allowed hostnames (lower case) and networks (an IP is a one-address network)."""
    names, networks = set(), []
    for entry in settings.WEBHOOK_ALLOWED_HOSTS:
        try:
            networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
        except ValueError:
            names.add(entry.rstrip(".").lower())
    return names, networks


def _addresses(host, port):
    """Every address ``host`` stands for: itself when it is an IP literal, else what it resolves to."""
    try:
        return [_unmapped(ipaddress.ip_address(host))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        _refuse(f"The webhook host {host} does not resolve.")
    # A scoped IPv6 address comes back as "fe80::1%eth0".
    addresses = [_unmapped(ipaddress.ip_address(info[4][0].split("%")[0])) for info in infos]
    if not addresses:
        _refuse(f"The webhook host {host} does not resolve.")
    return addresses


def _unmapped(address):
    # ::ffff:127.0.0.1 is 127.0.0.1 to the network stack, and Python 3.11's
    # flags on the IPv6 form do not say so (is_loopback is False).
    return (address.ipv4_mapped or address) if address.version == 6 else address


def _is_internal(address):
    if address.version == 6:
        # 6to4 and Teredo addresses carry an IPv4 address a relay may forward to.
        embedded = [address.sixtofour, address.teredo and address.teredo[1]]
        if any(inner is not None and _is_internal(inner) for inner in embedded):
            return True
    return (
        address.is_loopback or address.is_link_local or address.is_private or address.is_reserved
        or address.is_multicast or address.is_unspecified
        # Nor shared or carrier-grade NAT space (100.64.0.0/10), which some clouds use for their metadata.
        or not address.is_global
    )


# --- Secrets and signatures -----------------------------------------------------------


def secret_for(user):
    """The user's webhook secret, made on first use (``get_or_create`` survives two first uses at once)."""
    secret, _created = WebhookSecret.objects.get_or_create(owner=user)
    return secret


def rotate_secret(user):
    """A new secret for the user; signatures made with the old one stop verifying at once."""
    secret = secret_for(user)
    secret.secret, secret.rotated_at = new_secret(), timezone.now()
    secret.save(update_fields=["secret", "rotated_at"])
    return secret


def sign(secret, timestamp, body):
    """``sha256=<hex>``: HMAC-SHA256 with the secret over ``"<timestamp>."`` followed by the body's bytes."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


# --- The outbox ---------------------------------------------------------------------------


def enqueue_delivery(owner_id, url, payload, *, key, execution_id=None):
    """The delivery of ``payload`` to ``url`` under idempotency ``key``; sent after the caller's commit.

    Enqueueing a key again returns the first delivery unchanged and sends
    nothing more. The URL is checked when the delivery is made, not here:
    resolving it must not hold the caller's transaction.
    """
    # get_or_create creates inside a savepoint and reads the row on an
    # IntegrityError: two calls racing on one key make one row.
    delivery, created = Delivery.objects.get_or_create(
        key=key, defaults={"owner_id": owner_id, "url": url, "payload": payload, "execution_id": execution_id}
    )
    if created:
        transaction.on_commit(partial(_send_task, delivery.id))
    return delivery


def deliver(delivery_id):
    """Make one attempt at the delivery if it is due (the ``deliver_webhook`` task; safe to run twice)."""
    now = timezone.now()
    due = now + timedelta(seconds=CLAIM_EARLY_SECONDS)
    claimed = Delivery.objects.filter(id=delivery_id, status=Delivery.Status.PENDING, next_attempt_at__lte=due).update(
        status=Delivery.Status.DELIVERING, attempts=F("attempts") + 1, updated_at=now
    )
    if not claimed:
        logger.info("Webhook delivery %s is not due or not pending; nothing to send", delivery_id)
        return
    delivery = Delivery.objects.get(id=delivery_id)
    started_at = timezone.now()
    try:
        # Again at each attempt: the host may resolve elsewhere since it was enqueued.
        check_url(delivery.url)
    except WebhookUrlRefused as refused:
        _record(delivery, started_at, 0, None, refused.message, "", retry=False)
        return
    status_code, error, excerpt = None, "", ""
    clock = time.monotonic()
    try:
        status_code, excerpt = _post(delivery)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    duration_ms = int((time.monotonic() - clock) * 1000)
    if status_code is not None and not 200 <= status_code < 300:
        error = f"The receiver answered {status_code}."
    _record(delivery, started_at, duration_ms, status_code, error, excerpt, retry=True)


def _post(delivery):
    """POST the signed payload (no transaction is open: this waits on the network); (status, excerpt)."""
    # Sorted keys: the same payload is the same bytes (and signature) whichever
    # database kept it (PostgreSQL's jsonb does not keep the keys' order).
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Webhook-Id": str(delivery.id),
        "X-Webhook-Timestamp": str(timestamp),
        "X-Webhook-Signature": sign(secret_for(delivery.owner).secret, timestamp, body),
    }
    # A redirect is not followed: its target was never checked.
    with httpx.stream(
        "POST", delivery.url, content=body, headers=headers,
        timeout=settings.WEBHOOK_TIMEOUT_SECONDS, follow_redirects=False,
    ) as response:
        return response.status_code, _excerpt(response)


def _excerpt(response):
    """The start of the answer, for the admin; only that much is read, and a broken body is no failure."""
    start = b""
    try:
        for chunk in response.iter_bytes():
            start += chunk
            if len(start) >= EXCERPT_CHARS * 4:
                break
    except httpx.HTTPError:
        pass
    return start.decode(response.encoding or "utf-8", errors="replace")[:EXCERPT_CHARS]


def _record(delivery, started_at, duration_ms, status_code, error, excerpt, *, retry):
    """Keep the attempt and move the delivery on: delivered, pending again after a backoff, or failed."""
    number = delivery.attempts
    now = timezone.now()
    changes = {"updated_at": now, "last_error": error}
    countdown = None
    if not error:
        changes.update(status=Delivery.Status.DELIVERED, delivered_at=now)
    elif retry and number < settings.WEBHOOK_MAX_ATTEMPTS:
        countdown = retry_delay(number)
        changes.update(status=Delivery.Status.PENDING, next_attempt_at=now + timedelta(seconds=countdown))
    else:
        changes.update(status=Delivery.Status.FAILED)
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            delivery=delivery, number=number, started_at=started_at, duration_ms=duration_ms,
            status_code=status_code, error=error, response_excerpt=excerpt,
        )
        # Only this claim's outcome: if the sweep took the row back (it thought
        # this worker dead) and another attempt claimed it, that one decides.
        moved = Delivery.objects.filter(id=delivery.id, status=Delivery.Status.DELIVERING, attempts=number).update(
            **changes
        )
        if moved and countdown is not None:
            transaction.on_commit(partial(_send_task, delivery.id, countdown=countdown))
    if error:
        logger.info("Webhook delivery %s attempt %s failed: %s", delivery.id, number, error)


def retry_delay(attempts):
    """Seconds before the next attempt after ``attempts`` failed ones: doubling, capped, jittered."""
    backoff = min(settings.WEBHOOK_RETRY_MAX_SECONDS, settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** (attempts - 1))
    # Jitter spreads the retries of many deliveries that failed together (a receiver's outage).
    return backoff * random.uniform(0.5, 1.0)


def redeliver_stalled(limit=500):
    """Send the task again for deliveries whose message was lost or whose worker died; returns how many.

    Safe in many processes at once: every change is a conditional UPDATE and
    the claim in ``deliver`` makes a duplicate task a no-op.
    """
    now = timezone.now()
    # A request lasts at most about twice the timeout (connect, then the
    # answer); a row delivering for longer than that lost its worker.
    stuck_before = now - timedelta(seconds=2 * settings.WEBHOOK_TIMEOUT_SECONDS + 60)
    stuck = Delivery.objects.filter(status=Delivery.Status.DELIVERING, updated_at__lt=stuck_before)
    stuck_ids = list(stuck.values_list("id", flat=True)[:limit])
    if stuck_ids:
        # The lost attempt counts: a delivery that had no attempt left fails instead.
        lost = stuck.filter(id__in=stuck_ids)
        lost.filter(attempts__gte=settings.WEBHOOK_MAX_ATTEMPTS).update(
            status=Delivery.Status.FAILED, last_error="The worker making the last attempt was lost.", updated_at=now
        )
        lost.filter(attempts__lt=settings.WEBHOOK_MAX_ATTEMPTS).update(
            status=Delivery.Status.PENDING, next_attempt_at=now,
            last_error="The worker making this attempt was lost.", updated_at=now,
        )
    overdue = Delivery.objects.filter(
        status=Delivery.Status.PENDING, next_attempt_at__lt=now - timedelta(seconds=LOST_MESSAGE_SECONDS)
    )
    room = max(limit - len(stuck_ids), 0)
    overdue_ids = list(overdue.order_by("next_attempt_at").values_list("id", flat=True)[:room])
    if overdue_ids:
        # Still due, and not sent again by the next sweep unless it is lost again.
        overdue.filter(id__in=overdue_ids).update(next_attempt_at=now)
    due_ids = [
        *Delivery.objects.filter(id__in=stuck_ids, status=Delivery.Status.PENDING).values_list("id", flat=True),
        *overdue_ids,
    ]
    for delivery_id in due_ids:
        _send_task(delivery_id)
    return len(due_ids)


def _send_task(delivery_id, countdown=None):
    from .tasks import deliver_webhook

    try:
        deliver_webhook.apply_async((str(delivery_id),), countdown=countdown)
    except Exception as exc:
        # The row is kept: redeliver_stalled sends the task again once the broker is back.
        logger.warning("Could not send the task of webhook delivery %s (%r)", delivery_id, exc)
