"""/api/webhooks/secret/: each user reads and rotates their own signing secret; nobody sees another's."""

import pytest

from webhooks.models import WebhookSecret

pytestmark = pytest.mark.django_db

URL = "/api/webhooks/secret/"


def test_the_secret_is_made_on_first_read_and_the_same_on_the_next(api_as, owner):
    client = api_as(owner)
    first = client.get(URL)
    assert first.status_code == 200, first.content
    body = first.json()
    assert set(body) == {"secret", "created_at", "rotated_at"}
    assert len(body["secret"]) >= 40 and body["rotated_at"] is None
    assert client.get(URL).json() == body
    assert WebhookSecret.objects.get(owner=owner).secret == body["secret"]


def test_rotating_gives_a_new_secret_that_is_read_from_then_on(api_as, owner):
    client = api_as(owner)
    old = client.get(URL).json()["secret"]
    rotated = client.post(f"{URL}rotate/")
    assert rotated.status_code == 200, rotated.content
    new = rotated.json()
    assert new["secret"] != old and new["rotated_at"] is not None
    assert client.get(URL).json() == new


def test_rotating_before_any_read_makes_the_secret(api_as, owner):
    assert api_as(owner).post(f"{URL}rotate/").status_code == 200
    assert WebhookSecret.objects.filter(owner=owner).count() == 1


def test_each_user_has_their_own_secret_and_rotating_one_leaves_the_others(api_as, owner, outsider, staff):
    olivia = api_as(owner).get(URL).json()["secret"]
    oscar = api_as(outsider).get(URL).json()["secret"]
    sam = api_as(staff).get(URL).json()["secret"]  # staff too: it is personal
    assert len({olivia, oscar, sam}) == 3
    api_as(outsider).post(f"{URL}rotate/")
    assert api_as(owner).get(URL).json()["secret"] == olivia


def test_anonymous_requests_are_401(api_as):
    client = api_as(None)
    assert client.get(URL).status_code == 401
    assert client.post(f"{URL}rotate/").status_code == 401
    assert not WebhookSecret.objects.exists()


def test_other_methods_are_405(api_as, owner):
    client = api_as(owner)
    assert client.post(URL).status_code == 405
    assert client.get(f"{URL}rotate/").status_code == 405
