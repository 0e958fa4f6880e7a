"""check_url: which webhook URLs the platform will POST to. Nothing here sends traffic or asks real DNS."""

import socket

import pytest

from webhooks import services
from webhooks.services import WebhookUrlRefused, check_url


@pytest.fixture
def dns(monkeypatch):
    """Answers for getaddrinfo, by hostname; an unknown name does not resolve, and no real DNS is asked."""
    answers = {}

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))
            for address in answers[host]
        ]

    monkeypatch.setattr(services.socket, "getaddrinfo", getaddrinfo)
    return answers


def refusal(url):
    with pytest.raises(WebhookUrlRefused) as refused:
        check_url(url)
    error = refused.value
    assert (error.code, error.status) == ("webhook_url_refused", 422)
    assert error.fields == {"webhook": [error.message]}
    return error.message


@pytest.mark.parametrize("url", ["http://93.184.216.34/hook", "https://93.184.216.34:8443/hook?x=1",
                                 "http://[2606:2800:220:1:248:1893:25c8:1946]/hook"])
def test_a_public_ip_is_accepted_without_resolving_anything(dns, url):
    assert check_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://127.1.2.3:8000/",
        "http://10.0.0.8/hook",
        "http://192.168.1.1/",
        "http://172.16.5.4/",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.100.100.200/",  # shared address space, a cloud's metadata service
        "http://0.0.0.0/",
        "http://224.0.0.1/",
        "http://[::1]/hook",
        "http://[::]/",
        "http://[fe80::1]/",
        "http://[fc00::1]/",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[::ffff:10.0.0.1]/",
        "http://[2002:7f00:1::]/",  # 6to4 around 127.0.0.1
    ],
)
def test_an_internal_address_is_refused(dns, url):
    assert "private or reserved" in refusal(url)


@pytest.mark.parametrize(
    "url, words",
    [
        ("ftp://93.184.216.34/hook", "http:// or https://"),
        ("file:///etc/passwd", "http:// or https://"),
        ("javascript:alert(1)", "http:// or https://"),
        ("http://user:secret@93.184.216.34/hook", "user name or password"),
        ("http://user@93.184.216.34/hook", "user name or password"),
        ("http:///hook", "no host"),
        ("http://93.184.216.34:99999/", "not a valid URL"),
    ],
)
def test_other_schemes_credentials_and_missing_hosts_are_refused(dns, url, words):
    assert words in refusal(url)


def test_a_hostname_is_accepted_when_every_address_it_resolves_to_is_public(dns):
    dns["hooks.example.com"] = ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"]
    assert check_url("https://hooks.example.com/in") == "https://hooks.example.com/in"


@pytest.mark.parametrize("addresses", [["93.184.216.34", "10.0.0.5"], ["127.0.0.1"], ["::ffff:169.254.169.254"]])
def test_a_hostname_is_refused_when_any_address_it_resolves_to_is_internal(dns, addresses):
    dns["sneaky.example.com"] = addresses
    assert "private or reserved" in refusal("https://sneaky.example.com/in")


def test_a_hostname_that_does_not_resolve_is_refused(dns):
    assert "does not resolve" in refusal("https://nowhere.invalid/in")


def test_the_operator_can_allow_an_internal_ip(dns, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    assert check_url("http://127.0.0.1:8080/hook") == "http://127.0.0.1:8080/hook"
    assert "private or reserved" in refusal("http://127.0.0.2/hook")


def test_the_operator_can_allow_an_internal_network_by_ip_or_by_a_name_resolving_into_it(dns, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["10.20.0.0/16", "fd00::/8"]
    dns["ci.internal"] = ["10.20.3.4"]
    assert check_url("http://10.20.1.1/hook")
    assert check_url("http://[fd00::5]/hook")
    assert check_url("http://ci.internal/hook")
    assert "private or reserved" in refusal("http://10.21.1.1/hook")


def test_the_operator_can_allow_a_hostname_exactly_and_in_any_case(dns, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["Hooks.Internal"]
    # An allowed name is not resolved (the fake DNS knows nothing of it).
    assert check_url("http://hooks.internal/in")
    assert check_url("http://HOOKS.internal./in")
    assert "does not resolve" in refusal("http://other.hooks.internal/in")
