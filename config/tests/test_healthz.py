"""/healthz reports the state of the database and Redis."""

import pytest

pytestmark = pytest.mark.django_db


def test_it_is_ok_when_db_and_redis_answer(client, redis_url):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "db": "ok", "redis": "ok"}


def test_it_answers_503_naming_redis_when_redis_is_down(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["db"] == "ok"
    assert response.json()["redis"].startswith("error")
