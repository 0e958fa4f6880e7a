"""Rate limits: on authentication (per client address and per username) and on
starting executions (per owner), shared by every api process through the cache (Redis).

DRF throttles (its rate syntax, ``"20/minute"``; see ``PlatformRateThrottle``
for how they count), with rates read from ``settings.AGENTS["RATES"]`` at
each check, so they can be changed per deployment (and per test); ``None``
turns a limit off. Authentication is checked before any password is hashed: a burst
of wrong passwords costs the api nothing beyond the refusals.

* ``auth_ip`` / ``auth_user``: ``POST /api/auth/token/``, ``/api/auth/login/``
  and the admin's login form, per client address and per username tried.
* ``start``: every way of starting an execution (REST, sockets, MCP), per the
  agent's owner, checked by ``runs.services.start_execution``.

Past a limit: 429 with ``Retry-After`` over HTTP (code ``throttled``), an
``error`` frame with code ``throttled`` on a socket. While Redis is down
nothing is counted and everything is let through (logged).
"""

import logging
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from redis.exceptions import RedisError
from rest_framework.throttling import BaseThrottle

from contract.errors import PlatformError


class Throttled(PlatformError):
    code = "throttled"
    status = 429

    def __init__(self, what, wait):
        self.wait = max(1, math.ceil(wait or 1))
        super().__init__(f"Too many {what}: try again in {self.wait} s.")


logger = logging.getLogger(__name__)

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class PlatformRateThrottle(BaseThrottle):
    """A DRF throttle allowing ``settings.AGENTS["RATES"][scope]`` (e.g. ``"20/minute"``) per key.

    Counted in fixed windows of the rate's period with the cache's atomic
    ``add`` and ``incr`` (Redis ``SET NX`` and ``INCR``): concurrent requests
    cannot all read the same count and all pass, as they can with DRF's
    read-modify-write history. The rate is read at each check, so it follows
    the settings (and a test's). Subclasses say what is counted
    (``get_cache_key``; ``None`` counts nothing).
    """

    scope = None

    def get_cache_key(self, request, view):
        raise NotImplementedError

    def allow_request(self, request, view):
        rate = settings.AGENTS["RATES"].get(self.scope)
        key = None if rate is None else self.get_cache_key(request, view)
        if key is None:
            return True
        count, _, period = rate.partition("/")
        limit, seconds = int(count), PERIODS[period[0]]
        now = time.time()
        self._wait = seconds - now % seconds
        bucket = f"throttle:{self.scope}:{key}:{int(now // seconds)}"
        try:
            used = self._count(bucket, seconds)
        except (RedisError, OSError) as exc:
            # The limits protect the platform; with Redis down they cannot be
            # counted, and refusing every login and start would be an outage of its own.
            logger.warning("Rate limit %s not counted: the cache is unavailable (%r)", self.scope, exc)
            return True
        return used <= limit

    @staticmethod
    def _count(bucket, seconds):
        cache.add(bucket, 0, timeout=seconds + 1)
        try:
            return cache.incr(bucket)
        except ValueError:  # the window's key expired between the two calls
            cache.add(bucket, 1, timeout=seconds + 1)
            return 1

    def wait(self):
        return self._wait


class AuthAddressThrottle(PlatformRateThrottle):
    scope = "auth_ip"

    def get_cache_key(self, request, view):
        return self.get_ident(request)


class AuthUsernameThrottle(PlatformRateThrottle):
    scope = "auth_user"

    def get_cache_key(self, request, view):
        username = _username_tried(request)
        if not username:
            return None  # nothing to count: the form is refused as invalid anyway
        return username.lower()[:150]


class StartThrottle(PlatformRateThrottle):
    scope = "start"

    def get_cache_key(self, request, view):
        # Called with the owner's id for ``request``: a start is counted the
        # same wherever it comes from, so the check lives in the service.
        return request


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
                    refusal = Throttled("login attempts", throttle.wait())
                    response = HttpResponse(refusal.message, status=429, content_type="text/plain; charset=utf-8")
                    response["Retry-After"] = str(refusal.wait)
                    return response
        return view(request, *args, **kwargs)

    return login


def _username_tried(request):
    data = getattr(request, "data", None)  # DRF request: JSON body
    if data is None:
        data = request.POST
    username = data.get("username") if hasattr(data, "get") else None
    return username if isinstance(username, str) else None
