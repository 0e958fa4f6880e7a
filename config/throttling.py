"""Rate limits: on authentication (per client address and per username) and on
starting executions (per owner), shared by every api process through the cache (Redis).

Built on DRF's ``SimpleRateThrottle`` (its cache history and rate syntax,
``"20/minute"``), with rates read from ``settings.AGENTS["RATES"]`` at each
check, so they can be changed per deployment (and per test); ``None`` turns a
limit off. Authentication is checked before any password is hashed: a burst
of wrong passwords costs the api nothing beyond the refusals.

* ``auth_ip`` / ``auth_user``: ``POST /api/auth/token/``, ``/api/auth/login/``
  and the admin's login form, per client address and per username tried.
* ``start``: every way of starting an execution (REST, sockets, MCP), per the
  agent's owner, checked by ``runs.services.start_execution``.

Past a limit: 429 with ``Retry-After`` over HTTP (code ``throttled``), an
``error`` frame with code ``throttled`` on a socket.
"""

import math

from django.conf import settings
from django.http import HttpResponse
from rest_framework.throttling import SimpleRateThrottle

from contract.errors import PlatformError


class Throttled(PlatformError):
    code = "throttled"
    status = 429

    def __init__(self, what, wait):
        self.wait = max(1, math.ceil(wait or 1))
        super().__init__(f"Too many {what}: try again in {self.wait} s.")


class PlatformRateThrottle(SimpleRateThrottle):
    """A DRF throttle whose rate is ``settings.AGENTS["RATES"][scope]`` at the time of the check."""

    def __init__(self):
        # SimpleRateThrottle reads its rate once, from DRF's settings; here it is read per check.
        pass

    def allow_request(self, request, view):
        self.rate = settings.AGENTS["RATES"].get(self.scope)
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)



class AuthAddressThrottle(PlatformRateThrottle):
    scope = "auth_ip"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class AuthUsernameThrottle(PlatformRateThrottle):
    scope = "auth_user"

    def get_cache_key(self, request, view):
        username = _username_tried(request)
        if not username:
            return None  # nothing to count: the form is refused as invalid anyway
        return self.cache_format % {"scope": self.scope, "ident": username.lower()[:150]}


class StartThrottle(PlatformRateThrottle):
    scope = "start"

    def get_cache_key(self, request, view):
        # Called with the owner's id for ``request``: a start is counted the
        # same wherever it comes from, so the check lives in the service.
        return self.cache_format % {"scope": self.scope, "ident": request}


AUTH_THROTTLES = [AuthAddressThrottle, AuthUsernameThrottle]


def check_start_quota(owner_id):
    """Raise ``Throttled`` when the owner has started as many executions as their rate allows."""
    throttle = StartThrottle()
    if not throttle.allow_request(owner_id, None):
        raise Throttled("executions started", throttle.wait())


def throttled_login(view):
    """A login view (the admin's) behind the authentication throttles; only its POSTs count."""

    def login(request, *args, **kwargs):
        if request.method == "POST":
            for throttle in (cls() for cls in AUTH_THROTTLES):
                if not throttle.allow_request(request, None):
                    wait = Throttled("login attempts", throttle.wait())
                    response = HttpResponse(wait.message, status=429, content_type="text/plain; charset=utf-8")
                    response["Retry-After"] = str(wait.wait)
                    return response
        return view(request, *args, **kwargs)

    return login


def _username_tried(request):
    data = getattr(request, "data", None)  # DRF request: JSON body
    if data is None:
        data = request.POST
    username = data.get("username") if hasattr(data, "get") else None
    return username if isinstance(username, str) else None
