"""django-helpdesk as the peer in `bench.http`: its REST API served the same way, in the same run.

django-helpdesk (PyPI `django-helpdesk`) lives in a virtual environment of its own, never in
gongdan's: make it once with

    python3 -m venv /tmp/dh-venv && /tmp/dh-venv/bin/pip install django-helpdesk gunicorn

and `bench.http` finds it there (or at `--peer-venv` / `GONGDAN_BENCH_PEER_VENV`). `start` writes
a minimal Django site into a work folder: SQLite in WAL mode like gongdan's, persistent database
connections as gongdan keeps them, teams mode off, the REST API on with DRF token
authentication (as cheap per request as gongdan's bearer tokens; Django's password hashing on
every basic-auth request would make the peer look slower than it is). It migrates the site,
creates a staff user, a queue and a token, and serves it with gunicorn, the same number of
workers and the same worker settings (`server_args`: gongdan's production `gthread` workers with
threads and kept-alive connections, or `sync`); Django is thread-safe (a connection per
thread). Figures only; nothing here asserts on time.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SETTINGS = """
import os
SECRET_KEY = "bench"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = [
    "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions",
    "django.contrib.messages", "django.contrib.staticfiles", "django.contrib.sites", "django.contrib.humanize",
    "rest_framework", "rest_framework.authtoken", "helpdesk",
]
SITE_ID = 1
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware", "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware", "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware", "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "peer_urls"
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True, "OPTIONS": {
    "context_processors": ["django.template.context_processors.request",
                           "django.contrib.auth.context_processors.auth",
                           "django.contrib.messages.context_processors.messages"]}}]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["PEER_DB"],
                         "CONN_MAX_AGE": None,  # one connection per worker, as gongdan keeps
                         "OPTIONS": {"init_command": "PRAGMA journal_mode=wal; PRAGMA synchronous=normal;"}}}
USE_TZ = True
STATIC_URL = "/static/"
REST_FRAMEWORK = {"DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.TokenAuthentication"]}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
HELPDESK_TEAMS_MODE_ENABLED = False
"""

URLS = """
from django.urls import include, path
urlpatterns = [path("", include("helpdesk.urls", namespace="helpdesk"))]
"""

WSGI = """
from django.core.wsgi import get_wsgi_application
application = get_wsgi_application()
"""

SETUP = """
import django
django.setup()
from django.contrib.auth.models import User
from helpdesk.models import Queue
from rest_framework.authtoken.models import Token
user = User.objects.create_superuser("bench", "bench@example.com", "bench-pass-not-used")
queue = Queue.objects.create(title="售后", slug="aftersales")
print(queue.id, Token.objects.create(user=user).key)
"""


def find_venv(given: str | None) -> Path | None:
    """The peer's virtual environment: `given`, `GONGDAN_BENCH_PEER_VENV`, or /tmp/dh-venv, if it
    has django-helpdesk and gunicorn; None otherwise."""
    for candidate in (given, os.environ.get("GONGDAN_BENCH_PEER_VENV"), "/tmp/dh-venv"):
        if not candidate:
            continue
        venv = Path(candidate)
        has_helpdesk = any(venv.glob("lib/python3*/site-packages/helpdesk/__init__.py"))
        if has_helpdesk and (venv / "bin" / "gunicorn").exists():
            return venv
    return None


def version(venv: Path) -> str:
    """The installed django-helpdesk version."""
    found = sorted(venv.glob("lib/python3*/site-packages/django_helpdesk-*.dist-info"))
    return found[-1].name.removeprefix("django_helpdesk-").removesuffix(".dist-info") if found else "?"


def start(
    venv: Path,
    workdir: Path,
    workers: int,
    port: int,
    ready: Callable[[int], bool],
    server_args: tuple[str, ...] = (),
) -> tuple[subprocess.Popen, int, str]:
    """Serve django-helpdesk on `port` from a fresh site in `workdir` with gunicorn's `server_args`
    (e.g. `--worker-class gthread --threads 4`); (process, queue id, token)."""
    site = workdir / "peer"
    site.mkdir(parents=True, exist_ok=True)
    for name, text in (("peer_settings.py", SETTINGS), ("peer_urls.py", URLS), ("peer_wsgi.py", WSGI)):
        (site / name).write_text(text, encoding="utf-8")
    env = {
        **os.environ,
        "PEER_DB": str(site / "peer.db"),
        "DJANGO_SETTINGS_MODULE": "peer_settings",
        "PYTHONPATH": str(site),
    }
    python = str(venv / "bin" / "python")
    subprocess.run([python, "-m", "django", "migrate", "-v0"], env=env, cwd=site, check=True, capture_output=True)
    made = subprocess.run([python, "-c", SETUP], env=env, cwd=site, check=True, capture_output=True, text=True)
    queue, token = made.stdout.split()
    server = subprocess.Popen(
        [
            str(venv / "bin" / "gunicorn"),
            *server_args,
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "peer_wsgi:application",
        ],
        env=env,
        cwd=site,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if ready(port):
            return server, int(queue), token
        time.sleep(0.2)
    server.terminate()
    raise RuntimeError("django-helpdesk did not answer within 60 s")


def create_body(queue: int, client: int, n: int) -> dict[str, Any]:
    """The same ticket gongdan's create phase sends, in django-helpdesk's fields."""
    return {
        "queue": queue,
        "title": f"收到的商品破损 #{client}-{n}",
        "description": "外包装完好，但杯子碎了",
        "submitter_email": f"buyer{client}@example.com",
        "priority": 3,
    }
