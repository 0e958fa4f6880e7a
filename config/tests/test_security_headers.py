"""Security headers: a CSP every page the api serves can live with; HSTS and a redirect with HTTPS on."""

import json
import os
import re
import subprocess
import sys

import pytest
from django.test import override_settings

from testsupport import REPO_ROOT

pytestmark = pytest.mark.django_db

PAGES = ["/", "/agents", "/api/docs/", "/admin/login/"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_a_policy_its_scripts_satisfy(client, path):
    response = client.get(path)
    html = b"".join(response.streaming_content if response.streaming else [response.content]).decode()

    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    # script-src 'self' allows no inline script and no inline event handler.
    for script in re.findall(r"<script\b[^>]*>(.*?)</script>", html, flags=re.S):
        assert not script.strip(), f"inline script on {path}: {script[:80]!r}"
    assert not re.search(r"\son[a-z]+\s*=", html), f"inline event handler on {path}"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


def test_the_api_docs_script_is_served_from_this_origin(client):
    page = client.get("/api/docs/").content.decode()
    sources = re.findall(r'<script\b[^>]*src="([^"]+)"', page)
    assert sources and all(source.startswith("/") for source in sources)
    assert all(client.get(source).status_code == 200 for source in sources)


def test_https_on_means_a_redirect_and_hsts():
    env = {**os.environ, "HTTPS": "1", "DEBUG": "0", "SECRET_KEY": "x"}
    probe = ("import django, json; django.setup(); from django.conf import settings as s; "
             "print(json.dumps([s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE]))")
    output = subprocess.run([sys.executable, "-c", probe], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                            check=True).stdout
    assert json.loads(output.splitlines()[-1]) == [True, 365 * 24 * 3600, True]


@override_settings(SECURE_SSL_REDIRECT=True, SECURE_HSTS_SECONDS=31536000, SECURE_REDIRECT_EXEMPT=[r"^healthz$"],
                   SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"))
def test_with_https_plain_http_is_redirected_and_https_answers_carry_hsts(client):
    assert client.get("/api/runtimes/")["Location"].startswith("https://")
    assert client.get("/healthz").status_code in (200, 503)  # a load balancer's check may stay on http
    secure = client.get("/admin/login/", HTTP_X_FORWARDED_PROTO="https")
    assert secure["Strict-Transport-Security"] == "max-age=31536000"
