"""The api process as users meet it: daphne serving REST, the WebSocket, docs, admin and health."""

import json

import httpx
import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from conftest import PASSWORD

pytestmark = pytest.mark.usefixtures("worker")


def ws_url(api, agent):
    return api.url.replace("http://", "ws://") + f"/ws/agents/{agent.id}/"


def login(api, user):
    client = httpx.Client(base_url=api.url, trust_env=False, timeout=10)
    client.get("/api/auth/me/")  # hands out the CSRF cookie
    response = client.post(
        "/api/auth/login/",
        json={"username": user.username, "password": PASSWORD},
        headers={"X-CSRFToken": client.cookies["csrftoken"], "Referer": api.url + "/"},
    )
    assert response.status_code == 200, response.text
    return client


async def test_a_logged_in_user_runs_an_agent_over_a_real_websocket(api, owner, agent):
    client = login(api, owner)
    cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    async with websockets.connect(
        ws_url(api, agent), additional_headers={"Cookie": cookie, "Origin": api.url}
    ) as socket:
        assert json.loads(await socket.recv())["type"] == "connection"
        await socket.send(json.dumps({"action": "start_agent", "input_data": {"n": 1}}))
        created = json.loads(await socket.recv())
        execution_id = created["execution"]["id"]
        seqs, last = [], None
        while last is None or last["type"] not in ("execution_completed", "execution_error"):
            last = json.loads(await socket.recv())
            if last.get("execution_id") == execution_id and "seq" in last:
                seqs.append(last["seq"])
    assert last["type"] == "execution_completed"
    assert seqs == list(range(1, len(seqs) + 1))
    events = client.get(f"/api/executions/{execution_id}/events/").json()["results"]
    assert [event["seq"] for event in events] == seqs


async def test_a_real_client_sees_close_codes_4001_and_4003(api, outsider, agent):
    async with websockets.connect(ws_url(api, agent), additional_headers={"Origin": api.url}) as socket:
        await socket.send(json.dumps({"action": "authenticate", "token": "wrong"}))
        with pytest.raises(ConnectionClosed) as closed:
            await socket.recv()
    assert closed.value.rcvd.code == 4001

    cookie = f"sessionid={login(api, outsider).cookies['sessionid']}"
    async with websockets.connect(ws_url(api, agent), additional_headers={"Cookie": cookie, "Origin": api.url}) as socket:
        with pytest.raises(ConnectionClosed) as closed:
            await socket.recv()
    assert closed.value.rcvd.code == 4003


async def test_a_program_without_an_origin_connects_with_a_token_but_a_foreign_site_is_refused(api, owner, agent):
    from asgiref.sync import sync_to_async
    from rest_framework.authtoken.models import Token

    token = await sync_to_async(Token.objects.create)(user=owner)
    async with websockets.connect(ws_url(api, agent)) as socket:
        await socket.send(json.dumps({"action": "authenticate", "token": token.key}))
        assert json.loads(await socket.recv())["type"] == "connection"
    with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
        async with websockets.connect(ws_url(api, agent), additional_headers={"Origin": "https://evil.example"}):
            pass
    assert refused.value.response.status_code == 403


def test_a_token_client_uses_the_rest_api(api, owner, agent):
    token = httpx.post(
        f"{api.url}/api/auth/token/", json={"username": owner.username, "password": PASSWORD}, trust_env=False
    ).json()["token"]
    headers = {"Authorization": f"Token {token}"}
    agents = httpx.get(f"{api.url}/api/agents/", headers=headers, trust_env=False).json()
    assert [item["id"] for item in agents["results"]] == [str(agent.id)]


def test_health_docs_schema_and_admin_are_served(api):
    health = httpx.get(f"{api.url}/healthz", trust_env=False)
    assert health.status_code == 200
    assert health.json() == {"status": "ok", "db": "ok", "redis": "ok"}
    schema = httpx.get(f"{api.url}/api/schema/?format=json", trust_env=False).json()
    assert "/api/agents/{id}/executions/" in schema["paths"]
    docs = httpx.get(f"{api.url}/api/docs/", trust_env=False)
    assert docs.status_code == 200 and "swagger-ui" in docs.text
    admin = httpx.get(f"{api.url}/admin/login/", trust_env=False)
    assert admin.status_code == 200
    css = httpx.get(f"{api.url}/static/admin/css/base.css", trust_env=False)
    assert css.status_code == 200
