"""Errors under /api/ are JSON, whatever went wrong and with DEBUG on too."""

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


@override_settings(DEBUG=True)
def test_an_unknown_api_path_is_a_json_404_even_with_debug_on(client):
    response = client.get("/api/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_a_path_missing_its_slash_is_redirected_for_get_and_named_otherwise(api_as, owner):
    assert api_as(owner).get("/api/agents?status=active")["Location"] == "/api/agents/?status=active"
    response = api_as(owner).post("/api/agents", {}, format="json")
    assert response.status_code == 404
    assert "/api/agents/" in response.json()["detail"]


def test_missing_credentials_are_a_401_naming_the_token_scheme(api_as):
    response = api_as().get("/api/agents/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["detail"]


def test_a_login_without_its_csrf_token_is_a_json_403(client, owner):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/api/auth/login/", {"username": "olivia", "password": "x"}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"


def test_a_form_encoded_body_is_refused_as_unsupported(api_as, owner):
    response = api_as(owner).post("/api/agents/", "name=x&runtime=synthetic", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert response.json()["detail"]


def test_an_unexpected_failure_under_api_is_a_json_500(api_as, owner, monkeypatch):
    from runs import api

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(api.selectors, "executions_visible_to", broken)
    client = api_as(owner)
    client.raise_request_exception = False
    response = client.get("/api/executions/")
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal server error.", "code": "internal_error"}
