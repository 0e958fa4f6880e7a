"""Settings for every process (api, worker, beat), read from the environment.

Defaults run on one machine with no configuration: SQLite in WAL mode under
var/, Redis on localhost, the agent server on localhost:8001. Production sets
DATABASE_URL, REDIS_URL, MCP_AGENT_URL, SECRET_KEY and ALLOWED_HOSTS.
"""

import math
import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from contract.files import private_directory, private_file

from .env import env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
# Everything this installation keeps on disk (the SQLite database, the beat
# schedule, generated secrets): 0700, so no other account on the host reads it.
VAR_DIR = private_directory(Path(env_str("VAR_DIR", str(BASE_DIR / "var"))))

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY", None)
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set unless DEBUG=1.")
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list(
    "CSRF_TRUSTED_ORIGINS",
    # The Vite dev server proxies the API from another port in development.
    ["http://127.0.0.1:5173", "http://localhost:5173"] if DEBUG else [],
)
if env_bool("HTTPS", False):
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Plain http is redirected (but a load balancer's health check may stay on it),
    # and browsers are told to use https only from then on.
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 365 * 24 * 3600, minimum=0)

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "django_celery_beat",
    "agents",
    "runs",
    "threads",
    "knowledge",
    "memory",
    "webhooks",
    "rooms",
    "realtime",
    "mcp_api",
    "langgraph",
    "ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.headers.ContentSecurityPolicy",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.errors.ApiErrorsAsJson",
]
CSRF_FAILURE_VIEW = "config.errors.csrf_failure"

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
# Threads serving HTTP requests in the api process (config/http.py); each
# keeps a database connection.
API_THREADS = env_int("API_THREADS", 16, minimum=1)
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if DATABASES["default"]["NAME"] not in ("", ":memory:"):
        # Created 0600 before SQLite opens it; its -wal and -shm files inherit that.
        private_file(Path(DATABASES["default"]["NAME"]))
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers (the api) and the writer (a worker) work at once;
        # IMMEDIATE takes the write lock at BEGIN, so two writers queue on the
        # busy timeout instead of failing with "database is locked" when a
        # read transaction tries to upgrade.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # Tests start real worker processes, which cannot see an in-memory database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files and the dashboard ---------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = private_directory(VAR_DIR / "static")
DASHBOARD_DIST = BASE_DIR / "web" / "dist"
# The dashboard's production build is served from /static/dashboard/.
STATICFILES_DIRS = [("dashboard", DASHBOARD_DIST)] if DASHBOARD_DIST.is_dir() else []
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- Redis: channel layer and Celery broker -------------------------------------

REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")

CHANNEL_LAYER_BACKENDS = {
    # Pub/sub with pipelined batches; see agents/channel_layer.py.
    "pubsub": {"BACKEND": "realtime.channel_layer.BatchingPubSubChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}},
    # channels-redis's default layer, kept for comparison in the benchmark.
    "core": {"BACKEND": "realtime.channel_layer.CoreChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}},
}
_channel_layer = env_str("CHANNEL_LAYER", "pubsub")
if _channel_layer not in CHANNEL_LAYER_BACKENDS:
    raise ImproperlyConfigured(f"CHANNEL_LAYER={_channel_layer!r} is not one of {', '.join(CHANNEL_LAYER_BACKENDS)}.")
CHANNEL_LAYERS = {"default": CHANNEL_LAYER_BACKENDS[_channel_layer]}

# The cache holds the rate limits' counts, so every api process counts together.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}

CELERY_BROKER_URL = REDIS_URL
# kombu's Redis transport with a fix that keeps workers alive through a Redis restart (config/broker.py).
CELERY_BROKER_TRANSPORT = "config.broker:Transport"
# Separate queues let several deployments (or a benchmark beside a test
# run) share one Redis without taking each other's tasks.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "celery")
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged only after it ran, so a worker that dies mid-run has
# its task redelivered; the claim makes the redelivery a no-op.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- The agents app's knobs ------------------------------------------------------


def _rate(name, default):
    """A rate limit such as ``20/minute`` (DRF's syntax), or None when set empty."""
    value = env_str(name, default).strip()
    if value and not re.fullmatch(r"\d+/(s|sec|second|m|min|minute|h|hour|d|day)", value):
        raise ImproperlyConfigured(f"{name} must look like '20/minute' (or be empty for no limit), got {value!r}.")
    return value or None


_TOKEN_LIFETIME = env_int("API_TOKEN_LIFETIME_SECONDS", 30 * 24 * 3600, minimum=0)
AGENTS = {
    "MCP_URL": env_str("MCP_AGENT_URL", "http://127.0.0.1:8001").rstrip("/"),
    "MCP_TOKEN": env_str("MCP_AGENT_TOKEN", ""),
    "MCP_CONNECT_TIMEOUT": env_float("MCP_CONNECT_TIMEOUT", 5.0, minimum=0.1),
    # The agent server pings idle streams every few seconds, so silence this
    # long means it is gone.
    "MCP_READ_TIMEOUT": env_float("MCP_READ_TIMEOUT", 60.0, minimum=0.1),
    # A knowledge call (indexing a document) is no stream: it answers once,
    # within the agent server's MCP_INDEX_TIMEOUT (120 s), which must be shorter.
    "MCP_KNOWLEDGE_TIMEOUT": env_float("MCP_KNOWLEDGE_TIMEOUT", 180.0, minimum=0.1),
    "EXECUTION_TIMEOUT": env_float("EXECUTION_TIMEOUT", 3600.0, minimum=1),
    "LEASE_SECONDS": env_float("EXECUTION_LEASE_SECONDS", 30.0, minimum=0.5),
    "HEARTBEAT_SECONDS": env_float("EXECUTION_HEARTBEAT_SECONDS", 10.0, minimum=0.1),
    "REAP_INTERVAL": env_float("REAP_INTERVAL_SECONDS", 10.0, minimum=0.1),
    # A pending execution is sent to the workers again when it is still
    # pending this long after its last dispatch: its task message may have
    # been lost with Redis. Duplicates are harmless (the claim).
    "PENDING_REDISPATCH_SECONDS": env_float("PENDING_REDISPATCH_SECONDS", 60.0, minimum=0.1),
    # How many times an execution lost before its first agent event is run (1: never again).
    "MAX_ATTEMPTS": env_int("EXECUTION_MAX_ATTEMPTS", 3, minimum=1),
    # The most of a thread's conversation a run is given, in (estimated)
    # tokens; the oldest messages are dropped first. The local model's
    # context is 2048 tokens: this leaves room for the prompt and the answer.
    "THREAD_HISTORY_TOKENS": env_int("THREAD_HISTORY_TOKENS", 1200, minimum=0),
    # Long-term memory: the newest items a search compares with its query,
    # and how many of the best matches for its message a run is given.
    "MEMORY_SEARCH_SCAN": env_int("MEMORY_SEARCH_SCAN", 2000, minimum=1),
    "MEMORY_RUN_ITEMS": env_int("MEMORY_RUN_ITEMS", 8, minimum=0),
    # Runs of one user running at once (0: no limit); the next ones wait, pending, in order.
    "MAX_RUNNING_PER_USER": env_int("MAX_RUNNING_PER_USER", 8, minimum=0),
    # A run waiting for a person's answer fails (interrupt_expired) after this long.
    "INTERRUPT_TIMEOUT_SECONDS": env_float("INTERRUPT_TIMEOUT_SECONDS", 7 * 24 * 3600.0, minimum=1),
    # A worker asked to stop lets its runs finish for this long, then gives them up.
    "WORKER_SHUTDOWN_GRACE": env_float("WORKER_SHUTDOWN_GRACE", 25.0, minimum=0.0),
    # Api processes sweep too (reaping, re-dispatching), so a dead lone worker is
    # noticed with beat down; off only where a process hosts the api for tests.
    "API_SWEEPS": env_bool("API_SWEEPS", True),
    "MAX_BATCH_EVENTS": env_int("EVENT_BATCH_MAX", 500, minimum=1),
    "EVENT_WRITE_WINDOW": env_float("EVENT_WRITE_WINDOW_MS", 5.0, minimum=0.0) / 1000,
    "WS_AUTH_TIMEOUT": env_float("WS_AUTH_TIMEOUT", 10.0, minimum=0.1),
    # An SSE stream silent this long gets a ping comment (and a look at the database).
    "SSE_HEARTBEAT_SECONDS": env_float("SSE_HEARTBEAT_SECONDS", 15.0, minimum=0.1),
    "DOCUMENT_MAX_BYTES": env_int("DOCUMENT_MAX_BYTES", 10_000_000, minimum=1),
    # A whole upload request: the document and its multipart framing (config/http.py refuses more with a 413).
    "MAX_UPLOAD_BYTES": env_int("MAX_UPLOAD_BYTES", 0, minimum=0),
    # Rate limits (config/throttling.py): "<n>/<second|minute|hour|day>", empty for none.
    "RATES": {
        "auth_ip": _rate("AUTH_RATE_PER_ADDRESS", "20/minute"),
        "auth_user": _rate("AUTH_RATE_PER_USERNAME", "10/minute"),
        "start": _rate("START_RATE_PER_USER", "300/minute"),
    },
    # An API token stops working this long after it was issued (0: never).
    "TOKEN_LIFETIME": timedelta(seconds=_TOKEN_LIFETIME) if _TOKEN_LIFETIME else None,
}
AGENTS["MAX_UPLOAD_BYTES"] = AGENTS["MAX_UPLOAD_BYTES"] or AGENTS["DOCUMENT_MAX_BYTES"] + 100_000
# Every other request body (JSON, forms): config/http.py refuses a larger one
# with a 413 before Django reads it, and Django checks it too.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("MAX_BODY_BYTES", 1_000_000, minimum=1)
# An uploaded file past this goes to a temporary file while Django parses the form.
FILE_UPLOAD_MAX_MEMORY_SIZE = 1_000_000
if AGENTS["HEARTBEAT_SECONDS"] >= AGENTS["LEASE_SECONDS"]:
    raise ImproperlyConfigured("EXECUTION_HEARTBEAT_SECONDS must be shorter than EXECUTION_LEASE_SECONDS.")

# --- Operations: metrics, workers' heartbeats, chart history (ops/, docs/metrics.md) -------

# A scraper sending ``Authorization: Bearer <METRICS_TOKEN>`` may read /metrics
# without a user; empty: only staff sessions and tokens may.
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
OPS = {
    # Each process writes its metrics to Redis this often; /metrics shows them up to this late.
    "PUSH_SECONDS": env_float("METRICS_PUSH_SECONDS", 5.0, minimum=0.1),
    # A process silent this long (dead) has its metrics dropped from /metrics.
    "SNAPSHOT_TTL_SECONDS": 3600,
    # How often the api records the events total and queue depths for the charts (one day is kept).
    "SAMPLE_SECONDS": env_float("METRICS_SAMPLE_SECONDS", 10.0, minimum=1.0),
}

# --- Outbound webhooks (webhooks/, docs/webhooks.md) ---------------------------------

# Attempts in all, and the backoff between them: base * 2**(n-1), capped, jittered.
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 6, minimum=1)
WEBHOOK_RETRY_BASE_SECONDS = env_float("WEBHOOK_RETRY_BASE_SECONDS", 5.0, minimum=0.0)
WEBHOOK_RETRY_MAX_SECONDS = env_float("WEBHOOK_RETRY_MAX_SECONDS", 600.0, minimum=0.0)
WEBHOOK_TIMEOUT_SECONDS = env_float("WEBHOOK_TIMEOUT_SECONDS", 10.0, minimum=0.1)
# Internal hosts webhooks may reach anyway (hostnames, IPs, CIDRs); every other private address is refused.
WEBHOOK_ALLOWED_HOSTS = env_list("WEBHOOK_ALLOWED_HOSTS", [])

# Beat keeps its schedule in the database (django-celery-beat): the
# LangGraph API's crons are rows there, changed by the api processes, and
# beat sees a change within seconds. The entries below are written there
# when beat starts. That schedule counts intervals in whole seconds (workers
# and api processes sweep at REAP_INTERVAL_SECONDS themselves), and a
# message's time to live is its ``expire_seconds``.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "sweep-executions": {
        "task": "runs.tasks.sweep_executions",
        "schedule": float(math.ceil(AGENTS["REAP_INTERVAL"])),
        # Sweeps queued while no worker was up are redundant: keep only fresh ones.
        "options": {"expire_seconds": math.ceil(AGENTS["REAP_INTERVAL"] * 2)},
    },
    # Deliveries whose task message was lost, or whose worker died mid-request.
    "redeliver-webhooks": {
        "task": "webhooks.tasks.redeliver_stalled_webhooks",
        "schedule": 60.0,
        "options": {"expire_seconds": 120},
    },
}

# --- REST API ------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: its scheme is what a 401's WWW-Authenticate names
        # (DRF answers 403 when the first class has none, as sessions do).
        "agents.tokens.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "config.pagination.PageNumberPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "config.schema.PlatformAutoSchema",
    # JSON bodies only (uploads declare multipart themselves): one request
    # type per operation is what generated clients handle.
    "DEFAULT_PARSER_CLASSES": ["config.limits.JSONParser"],
    "EXCEPTION_HANDLER": "config.errors.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Agent platform API",
    "DESCRIPTION": "Define agents, start executions and read their events. "
    "Live events stream over the WebSocket at /ws/agents/{agent_id}/.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Served from the sidecar package: the docs page works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The LangGraph-compatible API has its own document (/lg/openapi.json, langgraph.schema).
    "PREPROCESSING_HOOKS": ["langgraph.schema.exclude_langgraph", "ops.schema.exclude_metrics"],
    "APPEND_COMPONENTS": {"schemas": {"FieldErrors": {
        "type": "object",
        "description": "Field errors: each offending field (or non_field_errors) with its messages.",
        "additionalProperties": {"type": "array", "items": {"type": "string"}},
    }}},
    "ENUM_NAME_OVERRIDES": {
        "AgentStatusEnum": "agents.models.Agent.Status",
        "ExecutionStatusEnum": "runs.models.AgentExecution.Status",
    },
}

# Browser origins (e.g. an agent-chat-ui deployment) allowed to call the LangGraph-compatible API at /lg/.
LANGGRAPH_CORS_ORIGINS = env_list("LANGGRAPH_CORS_ORIGINS", [])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # httpx logs every request at INFO: one line per execution is noise.
    "loggers": {"httpx": {"level": "WARNING"}},
}
