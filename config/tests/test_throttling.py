"""Rate limits: logins per address and per username, starts per owner; past them a 429 that says when to retry."""

import concurrent.futures
import time
import uuid
from types import SimpleNamespace

import httpx
import pytest
from asgiref.sync import sync_to_async
from redis import Redis
from rest_framework.test import APIClient

from config import throttling
from conftest import PASSWORD
from runs.models import AgentExecution
from testsupport.sockets import AgentSocket
from testsupport.stack import start_api

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(settings, monkeypatch):
    """Low limits, counted in a cache of this test's own, all within one window.

    The limits count in fixed windows: a test whose requests straddle a
    minute's turn would see its count start again, so the clock stays put.
    """
    start_of_a_minute = 1_800_000_000 - 1_800_000_000 % 60 + 1
    monkeypatch.setattr(throttling, "time", SimpleNamespace(time=lambda: start_of_a_minute))
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": uuid.uuid4().hex}}

    def set_rates(**rates):
        settings.AGENTS = {**settings.AGENTS, "RATES": {"auth_ip": None, "auth_user": None, "start": None, **rates}}

    return set_rates


def token_attempt(username, password, address="127.0.0.1"):
    return APIClient(REMOTE_ADDR=address).post(
        "/api/auth/token/", {"username": username, "password": password}, format="json"
    )


def test_token_requests_from_one_address_are_limited_wrong_or_right(rates, owner, outsider):
    rates(auth_ip="3/minute")

    codes = [token_attempt("olivia", "wrong").status_code for _ in range(2)]
    codes.append(token_attempt("oscar", PASSWORD).status_code)
    refused = token_attempt("olivia", PASSWORD)

    assert codes == [400, 400, 200]
    assert refused.status_code == 429
    assert refused.json()["detail"].startswith("Request was throttled")
    assert 0 < int(refused["Retry-After"]) <= 60
    assert token_attempt("olivia", PASSWORD, address="10.0.0.2").status_code == 200  # another address


def test_guesses_at_one_username_are_limited_from_any_address(rates, owner):
    rates(auth_user="2/minute")

    codes = [token_attempt("Olivia", "wrong", address=f"10.0.0.{n}").status_code for n in range(3)]

    assert codes == [400, 400, 429]
    assert token_attempt("oscar", "wrong").status_code == 400  # another username


def test_the_dashboard_login_and_the_admin_login_are_limited_too(rates, owner, client):
    rates(auth_ip="2/minute")
    login = APIClient()
    for _ in range(2):
        login.post("/api/auth/login/", {"username": "olivia", "password": "wrong"}, format="json")
    assert login.post("/api/auth/login/", {"username": "olivia", "password": PASSWORD}, format="json").status_code == 429

    rates(auth_ip="2/minute")
    rates(auth_user="2/minute")
    for _ in range(2):
        assert client.post("/admin/login/", {"username": "sam", "password": "x"}).status_code == 200  # the form again
    refused = client.post("/admin/login/", {"username": "sam", "password": "x"})
    assert refused.status_code == 429
    assert "Too many login attempts" in refused.content.decode()
    assert client.get("/admin/login/").status_code == 200  # showing the form is not an attempt


def test_starts_are_limited_per_owner_whatever_the_agent(rates, api_as, owner, outsider, make_agent, agent):
    rates(start="3/minute")
    other_agent = make_agent(name="Second")
    client = api_as(owner)

    codes = [client.post(f"/api/agents/{a.id}/executions/", {}, format="json").status_code
             for a in (agent, other_agent, agent, other_agent)]
    refused = client.post(f"/api/agents/{agent.id}/executions/", {}, format="json")

    assert codes == [201, 201, 201, 429]
    assert refused.json()["code"] == "throttled"
    assert int(refused["Retry-After"]) >= 1
    assert AgentExecution.objects.count() == 3
    theirs = make_agent(user=outsider, name="Oscar's")
    assert api_as(outsider).post(f"/api/agents/{theirs.id}/executions/", {}, format="json").status_code == 201


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("redis_url")
async def test_a_socket_start_past_the_limit_gets_an_error_frame_and_stays_open(rates, owner, agent):
    rates(start="1/minute")
    socket = await AgentSocket.open(agent.id, user=owner)

    await socket.send({"action": "start_agent", "input_data": {}})
    created = await socket.receive()
    assert created["type"] == "execution_created"
    await socket.send({"action": "start_agent", "input_data": {}})
    while (message := await socket.receive())["type"] != "error":
        pass
    assert message["code"] == "throttled"
    await socket.send({"action": "ping"})
    # The first run's frames (its status) may come in between, and nothing else.
    while (message := await socket.receive())["type"] != "pong":
        assert message["execution_id"] == created["execution"]["id"]
    assert await sync_to_async(AgentExecution.objects.count)() == 1
    await socket.close()


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_wrong_logins_at_the_real_api_is_refused_before_any_password_is_hashed(platform_env, owner):
    # The api counts in the shared Redis: start from nothing counted for this address.
    with Redis.from_url(platform_env["REDIS_URL"]) as redis:
        for key in redis.scan_iter(match="*throttle:auth_ip:127.0.0.1:*"):
            redis.delete(key)
    api = start_api({**platform_env, "AUTH_RATE_PER_ADDRESS": "5/minute", "AUTH_RATE_PER_USERNAME": ""})
    try:
        def attempt(_):
            return httpx.post(f"{api.url}/api/auth/token/", json={"username": "olivia", "password": "wrong"},
                              timeout=30, trust_env=False).status_code

        with concurrent.futures.ThreadPoolExecutor(32) as pool:
            burst = pool.map(attempt, range(32))
            started = time.monotonic()
            health = httpx.get(f"{api.url}/healthz", timeout=30, trust_env=False)
            health_seconds = time.monotonic() - started
            codes = list(burst)
    finally:
        api.stop()

    # 5 allowed a minute, counted atomically however the burst interleaves (a minute's
    # window may turn during the burst: 10 at the very most).
    assert 22 <= codes.count(429) <= 27
    assert set(codes) <= {400, 429}
    assert health.status_code == 200
    print(f"/healthz answered in {health_seconds:.2f} s during 32 concurrent wrong logins")
