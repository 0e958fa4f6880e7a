"""Project-level views: the health check and the dashboard's entry page."""

from django.conf import settings
from django.db import connection
from django.http import FileResponse, HttpResponse, JsonResponse
from redis import Redis

NOT_BUILT = """<!doctype html><title>Agent platform</title>
<h1>Agent platform</h1>
<p>The dashboard has not been built (<code>make run</code> builds it into web/dist).</p>
<p>Meanwhile: <a href="/api/docs/">API docs</a> and <a href="/admin/">admin</a>.</p>"""


def healthz(request):
    """200 when the database and Redis answer, 503 naming what does not."""
    checks = {"db": _check(_ping_db), "redis": _check(_ping_redis)}
    healthy = all(state == "ok" for state in checks.values())
    return JsonResponse({"status": "ok" if healthy else "degraded", **checks}, status=200 if healthy else 503)


def _check(ping):
    try:
        ping()
    except Exception as exc:
        return f"error: {type(exc).__name__}"
    return "ok"


def _ping_db():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _ping_redis():
    with Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2) as redis:
        redis.ping()


def dashboard(request):
    """The single-page app: every non-API path gets its index.html (history routing)."""
    index = settings.DASHBOARD_DIST / "index.html"
    if not index.is_file():
        return HttpResponse(NOT_BUILT)
    return FileResponse(index.open("rb"), content_type="text/html")
