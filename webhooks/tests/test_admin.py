"""The admin shows deliveries with their attempts, and secrets without their value."""

import pytest
from django.utils import timezone

from webhooks import services
from webhooks.models import Delivery, DeliveryAttempt

pytestmark = pytest.mark.django_db


def test_deliveries_and_their_attempts_are_listed_and_shown_read_only(admin_client_for, owner):
    delivery = Delivery.objects.create(owner=owner, url="https://hooks.example.com/in", payload={"a": 1}, key="k-1")
    DeliveryAttempt.objects.create(delivery=delivery, number=1, started_at=timezone.now(), status_code=500,
                                   error="The receiver answered 500.", response_excerpt="down")
    listing = admin_client_for.get("/admin/webhooks/delivery/", {"status__exact": "pending", "q": "hooks.example"})
    assert listing.status_code == 200 and b"hooks.example.com" in listing.content
    page = admin_client_for.get(f"/admin/webhooks/delivery/{delivery.id}/change/")
    assert page.status_code == 200 and b"The receiver answered 500." in page.content
    assert admin_client_for.get("/admin/webhooks/delivery/add/").status_code == 403


def test_a_secret_is_never_shown_in_the_admin_and_can_be_rotated_there(admin_client_for, owner):
    secret = services.secret_for(owner)
    listing = admin_client_for.get("/admin/webhooks/webhooksecret/")
    page = admin_client_for.get(f"/admin/webhooks/webhooksecret/{secret.id}/change/")
    assert listing.status_code == page.status_code == 200
    assert secret.secret.encode() not in listing.content + page.content
    admin_client_for.post(
        "/admin/webhooks/webhooksecret/", {"action": "rotate", "_selected_action": [secret.id]}, follow=True
    )
    secret.refresh_from_db()
    assert secret.rotated_at is not None
