"""GET /health."""

from mcp_server.tests.helpers import health


def test_it_reports_ok_with_its_runtimes_and_no_active_runs(client):
    response = client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "runtimes": ["chat", "rag", "synthetic", "tools"], "active_runs": 0}


def test_it_answers_unknown_paths_with_a_json_not_found_error(client):
    response = client.get("/nowhere")

    assert response.status_code == 404
    assert response.json() == {"error": {"message": "Not Found", "code": "not_found"}}


def test_it_answers_a_wrong_method_with_a_json_error(client):
    response = client.get("/execute")

    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert health(client)["active_runs"] == 0
