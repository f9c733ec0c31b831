"""`gongdan.testing`: a pytest plugin for testing gongdan and its plugins.

Installed with the core (entry point `pytest11`), so a plugin's own tests get these fixtures
without importing anything:

* `gongdan_db` — a throw-away database with every loaded plugin's schema. Parametrised over
  SQLite and, when `GONGDAN_TEST_DATABASE_URL` is a PostgreSQL URL, PostgreSQL. It comes with
  its own throw-away key file (`gongdan_key_file`, exported as `GONGDAN_KEY_FILE`).
* `app`, `client` — the web app on that database and Flask's test client.
* `tenant`, `other_tenant` — two tenants (`acme`, `globex`), for isolation tests.
* `make_user(role="agent", in_tenant=None, email=None, name="")` → `(user, api)` where `api` is an
  `ApiClient` with the user's token (the user's password is `TEST_PASSWORD`); `admin_api`,
  `agent_api` — ready ones in `tenant`.
* `console_client(role="admin", in_tenant=None, language=None)` → a `ConsoleClient`: a new user
  of that role signed in to the console, whose `post` adds the CSRF token.
* `enable_plugin(name, in_tenant=None, settings=None)` — switch a plugin on for a tenant.
* `register_plugin(obj, name, everywhere=True)` — register a plugin object for one test
  (dispatched in every tenant, or only where enabled with `everywhere=False`).
* `hook_recorder` — records every notification hook call: `hook_recorder.calls("gongdan_ticket_created")`.
* `frozen_clock` — `gongdan.clock` frozen at 2026-11-02 10:00 Asia/Shanghai; `.now()`,
  `.set(at)` (freeze at an aware datetime), `.advance(minutes=5)`.
* `outbound_loopback` — `GONGDAN_OUTBOUND_ALLOW=127.0.0.0/8,::1`, so `gongdan.outbound` lets the
  test reach its own servers on loopback.
* `http_server(host="127.0.0.1", respond=answer(...))` — a real HTTP server recording requests.

Under pytest-xdist (`pytest -n 2`) each worker gets its own PostgreSQL database, named after the
configured one with the worker's id (`gongdan_ci_gw0`), dropped and created afresh on first use.

Two plain functions for plugin tests: `run_job("name.sync")` runs a registered scheduled job as
the worker would (its failure recorded like a hook's), and `unexported_hookimpls(my_plugin)`
lists hook implementations in the plugin's modules that its entry-point module does not expose
(gongdan only sees the entry-point module's attributes: such a hook is silently never called).
`run_released_together(script, argvs, tmp_path)` starts one Python process per argument list
and releases them at once (each calls `wait_for_release()` when set up): two workers racing for
the same rows, for exactly-once tests. `wait_until_unlocked(name)` waits until a killed
process's lock is free (PostgreSQL frees it a moment after the process is gone).

`GONGDAN_TRACE_HOOKS=1` logs every hook call — hook, plugin, tenant and milliseconds — on the
logger `gongdan.hooks.trace` (`pytest -o log_cli=true` shows them live).
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import peewee
import pytest

from gongdan import accounts, audit, clock, crypto, hookspecs
from gongdan.db import db, open_database
from gongdan.models import SchemaVersion, Tenant
from gongdan.plugins import TRACE_ENV, get_host
from gongdan.schema import all_models, schemas, upgrade

PG_ENV = "GONGDAN_TEST_DATABASE_URL"
TEST_PASSWORD = "tea-kettle-2718"  # noqa: S105 - every test user's password (passes the policy)
_pg_ready: dict[str, bool] = {}
CITUS_ENV = "GONGDAN_TEST_CITUS"
_citus: dict[str, str] = {}


def pytest_configure(config: pytest.Config) -> None:
    """With `GONGDAN_TRACE_HOOKS=1`, hook calls are logged at INFO (shown with `-o log_cli=true`
    or in a failing test's captured log)."""
    if os.environ.get(TRACE_ENV) == "1":
        logging.getLogger("gongdan.hooks.trace").setLevel(logging.INFO)


def item_params(item: pytest.Item) -> dict[str, Any]:
    """The parameters a collected test runs with (`gongdan_backend`, `language`, ...); empty when
    it is not parametrized."""
    return getattr(getattr(item, "callspec", None), "params", {})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In the Citus mode the SQLite variants and the tests marked `single_node` are deselected
    (they ran in `make test`); outside it the tests marked `citus` (they need the cluster) are.
    A run reports only what it ran rather than a skip for each."""
    keep, dropped = [], []
    for item in items:
        params = item_params(item)
        if citus_mode():
            left_out = params.get("gongdan_backend") == "sqlite" or item.get_closest_marker("single_node") is not None
        else:
            left_out = item.get_closest_marker("citus") is not None
        (dropped if left_out else keep).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


def citus_mode() -> bool:
    """`GONGDAN_TEST_CITUS=1`: the PostgreSQL tests run on a Citus coordinator with two workers
    on loopback (`gongdan.citus_cluster`, started or reused), and the SQLite ones are deselected."""
    return os.environ.get(CITUS_ENV) == "1"


def _citus_url() -> str:
    """The Citus test database (one per pytest-xdist worker), made afresh once per test run on
    the kept nodes (like the PostgreSQL tests' databases); each test starts from emptied tables."""
    if "url" not in _citus:
        from gongdan import citus_cluster

        name = os.environ.get("GONGDAN_TEST_CITUS_DATABASE", "gongdan_test")
        worker = os.environ.get("PYTEST_XDIST_WORKER", "")
        database = f"{name}_{worker}" if worker else name
        citus_cluster.ensure(database)  # every node up, so the database goes from each of them
        citus_cluster.drop_database(database)
        _citus["url"] = citus_cluster.ensure(database)
    return _citus["url"]


def postgres_url() -> str | None:
    """The PostgreSQL URL tests may use, or None (a database of its own per pytest-xdist worker;
    in Citus mode, the cluster's test database)."""
    if citus_mode():
        return _citus_url()
    url = os.environ.get(PG_ENV, "")
    if not url.startswith("postgres"):
        return None
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return _worker_database(url, worker) if worker else url


_worker_urls: dict[str, str] = {}


def _worker_database(url: str, worker: str) -> str:
    """`url` with the database renamed for this xdist worker; created afresh once per process."""
    if url in _worker_urls:
        return _worker_urls[url]
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/')}_{worker}"
    admin = psycopg2.connect(url)
    try:
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        admin.close()
    _worker_urls[url] = urlunsplit(parts._replace(path=f"/{name}"))
    return _worker_urls[url]


class ApiClient:
    """Flask's test client with a bearer token; `get/post/put/patch/delete(path, json=...)`."""

    def __init__(self, client: Any, token: str, user: Any) -> None:
        self.client, self.token, self.user = client, token, user

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = dict(kwargs.pop("headers", {}) or {})
        headers.setdefault("Authorization", f"Bearer {self.token}")
        return getattr(self.client, method)(path, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        """GET with the token."""
        return self._call("get", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        """POST with the token."""
        return self._call("post", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Any:
        """PUT with the token."""
        return self._call("put", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Any:
        """PATCH with the token."""
        return self._call("patch", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        """DELETE with the token."""
        return self._call("delete", path, **kwargs)


class HookRecorder:
    """A plugin that records every call of the core's notification hooks."""

    def __init__(self) -> None:
        self.records: list[tuple[str, dict[str, Any]]] = []

    def calls(self, hook: str) -> list[dict[str, Any]]:
        """The keyword arguments of every call of `hook`, in order."""
        return [kwargs for name, kwargs in self.records if name == hook]

    def _add(self, hook: str, **kwargs: Any) -> None:
        self.records.append((hook, kwargs))

    @hookspecs.hookimpl
    def gongdan_ticket_created(self, tenant: Any, ticket: Any, actor: Any) -> None:
        self._add("gongdan_ticket_created", tenant=tenant, ticket=ticket, actor=actor)

    @hookspecs.hookimpl
    def gongdan_ticket_updated(self, tenant: Any, ticket: Any, changes: dict, actor: Any) -> None:
        self._add("gongdan_ticket_updated", tenant=tenant, ticket=ticket, changes=changes, actor=actor)

    @hookspecs.hookimpl
    def gongdan_ticket_status_changed(self, tenant: Any, ticket: Any, old: str, new: str, actor: Any) -> None:
        self._add("gongdan_ticket_status_changed", tenant=tenant, ticket=ticket, old=old, new=new, actor=actor)

    @hookspecs.hookimpl
    def gongdan_ticket_assigned(
        self, tenant: Any, ticket: Any, previous_id: Any, assignee: Any, reason: str, actor: Any
    ) -> None:
        self._add(
            "gongdan_ticket_assigned",
            tenant=tenant,
            ticket=ticket,
            previous_id=previous_id,
            assignee=assignee,
            reason=reason,
            actor=actor,
        )

    @hookspecs.hookimpl
    def gongdan_comment_added(self, tenant: Any, ticket: Any, comment: Any, actor: Any) -> None:
        self._add("gongdan_comment_added", tenant=tenant, ticket=ticket, comment=comment, actor=actor)

    @hookspecs.hookimpl
    def gongdan_ticket_linked(self, tenant: Any, parent: Any, child: Any, actor: Any) -> None:
        self._add("gongdan_ticket_linked", tenant=tenant, parent=parent, child=child, actor=actor)

    @hookspecs.hookimpl
    def gongdan_deadline_announced(self, tenant: Any, ticket: Any, kind: str, due_at: Any, source: str) -> None:
        self._add("gongdan_deadline_announced", tenant=tenant, ticket=ticket, kind=kind, due_at=due_at, source=source)

    @hookspecs.hookimpl
    def gongdan_plugin_toggled(self, tenant: Any, plugin: str, enabled: bool, actor: Any) -> None:
        self._add("gongdan_plugin_toggled", tenant=tenant, plugin=plugin, enabled=enabled, actor=actor)

    @hookspecs.hookimpl
    def gongdan_reconcile(self, tenant: Any) -> None:
        self._add("gongdan_reconcile", tenant=tenant)

    @hookspecs.hookimpl
    def gongdan_demo_prepared(self, tenant: Any, admin: Any) -> None:
        self._add("gongdan_demo_prepared", tenant=tenant, admin=admin)


def _owned_by_a_tenant(model: type[peewee.Model]) -> bool:
    """Every row has a tenant (a NOT NULL `tenant`), so deleting the tenants deletes them."""
    field = model._meta.fields.get("tenant")
    return field is not None and not field.null


def _empty(models: list[type[peewee.Model]]) -> None:
    """Delete every row but the schema versions; restart the id sequences (faster than TRUNCATE).

    The append-only audit trail refuses DELETE (see `gongdan.audit.protect`), so it is truncated.
    """
    ordered = [m for m in reversed(peewee.sort_models(models)) if m is not SchemaVersion]
    statements = [f'TRUNCATE "{m._meta.table_name}"' for m in audit.APPEND_ONLY]
    if citus_mode():  # on Citus a DELETE per shard of ~80 tables (or one TRUNCATE of all) takes
        # seconds; deleting the tenants cascades to their rows on each worker in one go
        statements += ['DELETE FROM "tenant"']
    # (rows without a tenant, such as a plugin failure of no tenant, are deleted on their own)
    left = [m for m in ordered if not (citus_mode() and (m is Tenant or _owned_by_a_tenant(m)))]
    statements += [f'DELETE FROM "{m._meta.table_name}"' for m in left if m not in audit.APPEND_ONLY]
    sequences = [
        f"pg_get_serial_sequence('\"{m._meta.table_name}\"', '{m._meta.primary_key.column_name}')"
        for m in ordered
        if isinstance(m._meta.primary_key, peewee.AutoField)
    ]
    statements += [f"SELECT setval({sequence}, 1, false)" for sequence in sequences]
    db.execute_sql("; ".join(statements))


@pytest.fixture(params=["sqlite", "postgresql"])
def gongdan_backend(request: pytest.FixtureRequest) -> str:
    """Which database a test runs on; PostgreSQL is skipped when no URL is configured."""
    if request.param == "postgresql" and postgres_url() is None:
        pytest.skip(f"PostgreSQL tests need {PG_ENV}=postgresql://...")
    return request.param


@pytest.fixture
def gongdan_database_url(gongdan_backend: str, tmp_path: Any) -> str:
    """The URL of this test's database (give it to subprocesses as GONGDAN_DATABASE_URL)."""
    if gongdan_backend == "postgresql":
        return postgres_url() or ""
    return f"sqlite:///{tmp_path / 'gongdan.db'}"


@pytest.fixture
def gongdan_key_file(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A throw-away key file (`GONGDAN_KEY_FILE`, inherited by subprocesses), created on first use."""
    path = tmp_path / "gongdan.key"
    monkeypatch.setenv(crypto.KEY_FILE_ENV, str(path))
    monkeypatch.delenv(crypto.SECRET_ENV, raising=False)
    crypto.forget()
    yield path
    crypto.forget()


@pytest.fixture
def gongdan_attachments_dir(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A throw-away attachment directory (`GONGDAN_ATTACHMENTS_DIR`, inherited by subprocesses)."""
    path = tmp_path / "attachments"
    monkeypatch.setenv("GONGDAN_ATTACHMENTS_DIR", str(path))
    return path


_sqlite_templates: dict[tuple[Any, ...], str] = {}


def _sqlite_template(host: Any, folder: Any) -> str:
    """The path of an SQLite file holding the fresh schema of the loaded plugins (`upgrade` run
    once per process and set of schemas, in `folder`); a test's database is a copy of it."""
    key = tuple((s.owner, s.version, tuple(s.models)) for s in schemas(host))
    if key not in _sqlite_templates:
        path = folder / f"gongdan-template-{len(_sqlite_templates)}.db"
        open_database(f"sqlite:///{path}")
        upgrade(host)
        db.close()
        _sqlite_templates[key] = str(path)
    return _sqlite_templates[key]


def _copy_sqlite(source: str, target: str) -> None:
    """Copy the SQLite database `source` to the new file `target` (the backup API: a consistent
    copy whatever is left in a write-ahead log)."""
    import sqlite3

    with closing(sqlite3.connect(source)) as original, closing(sqlite3.connect(target)) as copy:
        original.backup(copy)


@pytest.fixture
def gongdan_db(
    gongdan_backend: str,
    gongdan_database_url: str,
    gongdan_key_file: Any,
    gongdan_attachments_dir: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Any]:
    """An empty database with the schema of the core and every loaded plugin, its own key file
    and its own attachment directory.

    PostgreSQL: the worker's database, upgraded once, its rows deleted before each test.
    SQLite: a file of the test's own, copied from one that `upgrade` made once per process and
    set of schemas (the same tables, triggers and schema versions, the migrations not re-run).
    """
    host = get_host()
    if db.obj is not None:
        db.close()
    if gongdan_backend == "postgresql":
        database = open_database(gongdan_database_url)
        host.forget_tenants()
        if not _pg_ready.get(gongdan_database_url):
            upgrade(host)
            _pg_ready[gongdan_database_url] = True
        _empty(all_models(host))
    else:
        template = _sqlite_template(host, tmp_path_factory.getbasetemp())
        _copy_sqlite(template, gongdan_database_url.removeprefix("sqlite:///"))
        database = open_database(gongdan_database_url)
        host.forget_tenants()
    yield database
    if not database.is_closed():
        database.close()
    clock.unfreeze()


# key -> (app, the host and plugins that the key names by id, kept alive so no id is reused)
_apps: dict[tuple[Any, ...], tuple[Any, Any]] = {}
_MOST_APPS = 6  # the oldest is let go beyond these
# set per test (a tmp_path of its own) and read per request: no reason for another app
_PER_TEST_ENV = (crypto.KEY_FILE_ENV, "GONGDAN_ATTACHMENTS_DIR")


@pytest.fixture
def app(gongdan_db: Any) -> Any:
    """The web app on the test database.

    Building it takes ~0.4 s (a thousand routes compiled), so one is built per process for each
    plugin host, set of registered plugin objects, `GONGDAN_*` environment and kind of database,
    and reused: it keeps no state of its own between requests (the database, the key file and the
    attachment directory are the test's). Its `SECRET_KEY` comes from the test's key file.
    """
    from gongdan.web import create_app

    host = get_host()
    plugins = host.pm.list_name_plugin()
    environment = sorted((k, v) for k, v in os.environ.items() if k.startswith("GONGDAN_") and k not in _PER_TEST_ENV)
    key = (id(host), tuple((name, id(plugin)) for name, plugin in plugins), tuple(environment), type(db.obj))
    if key not in _apps:
        if len(_apps) >= _MOST_APPS:
            del _apps[next(iter(_apps))]
        application = create_app()
        application.testing = True
        _apps[key] = (application, (host, plugins))
    application = _apps[key][0]
    application.config["SECRET_KEY"] = crypto.session_key()
    return application


@pytest.fixture
def client(app: Any) -> Any:
    """Flask's test client for `app`."""
    return app.test_client()


@pytest.fixture
def tenant(gongdan_db: Any) -> Any:
    """A tenant `acme` (Acme 旗舰店)."""
    return accounts.create_tenant("acme", "Acme 旗舰店")


@pytest.fixture
def other_tenant(gongdan_db: Any) -> Any:
    """A second tenant `globex`, for isolation tests."""
    return accounts.create_tenant("globex", "Globex 专营店")


_test_password_hash: list[str] = []


def _create_test_user(tenant: Any, email: str, role: str, name: str) -> Any:
    """`accounts.create_user(..., TEST_PASSWORD)`, the password hashed (scrypt, ~0.3 s here) once
    per process: every such user carries that same real hash, and checking it stays real. When a
    test has replaced the hash function (a cheap one), that one is used as it is."""
    from werkzeug.security import generate_password_hash

    if accounts.generate_password_hash is not generate_password_hash:
        return accounts.create_user(tenant, email, role, name, TEST_PASSWORD)
    if not _test_password_hash:
        _test_password_hash.append(accounts.hash_password(TEST_PASSWORD))
    real = accounts.hash_password
    accounts.hash_password = lambda password: _test_password_hash[0] if password == TEST_PASSWORD else real(password)
    try:
        return accounts.create_user(tenant, email, role, name, TEST_PASSWORD)
    finally:
        accounts.hash_password = real


@pytest.fixture
def make_user(client: Any, tenant: Any) -> Any:
    """`make_user(role="agent", in_tenant=None, email=None, name="")` → `(user, ApiClient)`.

    The user belongs to `in_tenant` (default: the `tenant` fixture); their password is `TEST_PASSWORD`
    (its scrypt hash made once per process and shared by these users, see `_create_test_user`).
    """
    counter = {"n": 0}

    def make(role: str = "agent", in_tenant: Any = None, email: str | None = None, name: str = "") -> Any:
        counter["n"] += 1
        owner = in_tenant or tenant
        address = email or f"{role}{counter['n']}@{owner.slug}.example.com"
        user = _create_test_user(owner, address, role, name or f"{role} {counter['n']}")
        _, token = accounts.create_token(user)
        return user, ApiClient(client, token, user)

    return make


CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


class ConsoleClient:
    """Flask's test client signed in to the console through its form, as `user`.

    `post(path, data)` adds the session's CSRF token; `text(path)` is the HTML of a page that
    must answer 200; `language` (`"en"`, `"zh_CN"`) is sent as `Accept-Language`.
    """

    def __init__(self, app: Any, user: Any, password: str = TEST_PASSWORD, language: str | None = None) -> None:
        self.client, self.user = app.test_client(), user
        self.headers = {"Accept-Language": language} if language else {}
        found = CSRF_FIELD.search(self.get("/console/login").get_data(as_text=True))
        assert found, "the sign-in page has no CSRF field"
        self.token = found.group(1) or found.group(2)
        answer = self.post("/console/login", {"email": user.email, "password": password})
        assert answer.status_code == 302, answer.get_data(as_text=True)

    def get(self, path: str, **kwargs: Any) -> Any:
        """GET a page (`follow_redirects=True` and the like pass through)."""
        return self.client.get(path, headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs)

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        """POST a form with the CSRF token (a `csrf_token` in `data` wins, to test forgeries)."""
        form = {"csrf_token": self.token, **(data or {})}
        return self.client.post(path, data=form, headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs)

    def text(self, path: str) -> str:
        """The HTML of `path`, which must answer 200 itself (not redirect)."""
        response = self.get(path)
        assert response.status_code == 200, (path, response.status_code)
        return response.get_data(as_text=True)


@pytest.fixture
def console_client(app: Any, make_user: Any) -> Callable[..., ConsoleClient]:
    """`console_client(role="admin", in_tenant=None, language=None)` → a `ConsoleClient` of a new
    user with that role (in `tenant` unless `in_tenant` is given), signed in to the console."""

    def make(role: str = "admin", in_tenant: Any = None, language: str | None = None) -> ConsoleClient:
        user, _ = make_user(role, in_tenant=in_tenant)
        return ConsoleClient(app, user, language=language)

    return make


@pytest.fixture
def admin_api(make_user: Any) -> ApiClient:
    """An admin of `tenant`, with a token."""
    return make_user("admin")[1]


@pytest.fixture
def agent_api(make_user: Any) -> ApiClient:
    """An agent of `tenant`, with a token."""
    return make_user("agent")[1]


@pytest.fixture
def enable_plugin(tenant: Any) -> Any:
    """`enable_plugin(name, in_tenant=None, settings=None)`: switch a plugin on for a tenant."""

    def enable(name: str, in_tenant: Any = None, settings: dict | None = None) -> Any:
        owner = in_tenant or tenant
        get_host().set_enabled(owner, name, enabled=True, settings=settings)
        return owner

    return enable


@pytest.fixture
def register_plugin() -> Iterator[Any]:
    """`register_plugin(obj, name, everywhere=True)`: register a plugin object (a module or an
    object with hookimpls) for this test only; dispatched in every tenant, or with
    `everywhere=False` only where `enable_plugin(name)` switches it on. Its tables are not
    created (`gongdan_db` creates the tables of installed plugins only)."""
    host = get_host()
    added: list[str] = []

    def register(obj: Any, name: str, everywhere: bool = True) -> Any:
        record = host.add(obj, name)
        if everywhere:
            host.always_on.add(name)
        added.append(name)
        return record

    yield register
    for name in added:
        host.always_on.discard(name)
        host.remove(name)


@pytest.fixture
def hook_recorder(register_plugin: Any) -> HookRecorder:
    """Records every notification hook call in every tenant."""
    recorder = HookRecorder()
    register_plugin(recorder, "hook-recorder")
    return recorder


class FrozenClock:
    """The frozen clock of a test."""

    start = datetime(2026, 11, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))

    def now(self) -> datetime:
        """The frozen time."""
        return clock.now()

    def set(self, at: datetime) -> None:
        """Freeze at `at`."""
        clock.freeze(at)

    def advance(self, **kwargs: float) -> datetime:
        """Move forward: `advance(minutes=5)`."""
        return clock.advance(timedelta(**kwargs))


@pytest.fixture
def frozen_clock() -> Iterator[FrozenClock]:
    """gongdan's clock frozen at Monday 2026-11-02 10:00 Asia/Shanghai."""
    frozen = FrozenClock()
    clock.freeze(frozen.start)
    yield frozen
    clock.unfreeze()


LOOPBACK = "127.0.0.0/8,::1"


@pytest.fixture
def outbound_loopback(monkeypatch: pytest.MonkeyPatch) -> str:
    """`GONGDAN_OUTBOUND_ALLOW=127.0.0.0/8,::1` for this test: outbound requests may reach
    servers on loopback (simulators, receivers), plain http and SMTP to them included."""
    monkeypatch.setenv("GONGDAN_OUTBOUND_ALLOW", LOOPBACK)
    return LOOPBACK


Responder = Callable[[BaseHTTPRequestHandler], None]


def run_job(job_id: str) -> bool:
    """Run the scheduled job `job_id` once, as `gongdan worker` does (a failure is recorded in
    `plugin_failure` and `JobRun.last_error`, not raised); True if it ran. KeyError names the
    registered ids when there is no such job."""
    from gongdan import scheduler

    registered = {job.id: job for job in scheduler.jobs(get_host())}
    if job_id not in registered:
        raise KeyError(f"no scheduled job {job_id!r}; registered: {', '.join(sorted(registered))}")
    return scheduler.run_job(registered[job_id])


READY_ENV = "GONGDAN_TEST_READY"
RELEASE_ENV = "GONGDAN_TEST_RELEASE"


def wait_for_release() -> None:
    """In a process started by `run_released_together`: say it is ready (imported, connected,
    set up) and wait until every process of the group is, so their next statements race.
    Returns at once in a process started otherwise."""
    import time
    from pathlib import Path

    ready, release = os.environ.get(READY_ENV), os.environ.get(RELEASE_ENV)
    if not (ready and release):
        return
    Path(ready).touch()
    while not Path(release).exists():
        time.sleep(0.005)


def wait_until_unlocked(name: str, *, seconds: float = 10.0) -> None:
    """Wait until the installation-wide lock `name` (`gongdan.locks.try_lock`) is free, after its
    holder was killed: PostgreSQL ends a dead client's session, and frees its advisory locks, a
    moment after the process is gone. AssertionError when it is still held after `seconds`."""
    import time

    from gongdan.locks import try_lock

    deadline = time.monotonic() + seconds
    while True:
        with try_lock(name) as got:
            if got:
                return
        if time.monotonic() > deadline:
            raise AssertionError(f"the lock {name!r} is still held {seconds:g} s later")
        time.sleep(0.05)


@dataclass
class Ended:
    """How one process of `run_released_together` ended."""

    returncode: int
    stdout: str
    stderr: str

    def last_line(self) -> str:
        """The last line it printed (its answer), or "" when it printed nothing."""
        lines = self.stdout.strip().splitlines()
        return lines[-1] if lines else ""


def run_released_together(script: str, argvs: list[list[str]], folder: Any, *, timeout: float = 120.0) -> list[Ended]:
    """Run `script` (`python -c`) in one process per argument list of `argvs` (its `sys.argv[1:]`)
    and release them at the same moment: each calls `wait_for_release()` when set up, and all go
    once all are ready — two workers racing for the same rows (exactly-once tests). `folder`
    (a test's `tmp_path`) holds the ready and release marks. Returns how each ended, in order
    (a process killed by a signal has a negative `returncode`, e.g. -9)."""
    import subprocess
    import sys
    import time
    from pathlib import Path

    folder = Path(folder)
    release = folder / "release"
    marks = [folder / f"ready-{n}" for n in range(len(argvs))]
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, *map(str, argv)],
            env={**os.environ, READY_ENV: str(mark), RELEASE_ENV: str(release)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for argv, mark in zip(argvs, marks, strict=True)
    ]
    deadline = time.monotonic() + timeout
    while not all(mark.exists() for mark in marks) and time.monotonic() < deadline:
        if any(p.poll() is not None for p, mark in zip(processes, marks, strict=True) if not mark.exists()):
            break  # one died before it was ready: release the others rather than wait
        time.sleep(0.01)
    release.touch()
    ended = []
    for process in processes:
        out, err = process.communicate(timeout=timeout)
        ended.append(Ended(process.returncode, out, err))
    return ended


def unexported_hookimpls(package: Any) -> list[str]:
    """`module.function` of every `@hookimpl` in `package`'s modules that `package` itself (the
    module your entry point names) does not expose under the hook's name: gongdan registers that
    module's attributes only, so such a hook is never called. `[]` when every hook is reachable."""
    import importlib
    import inspect
    import pkgutil

    marker = "gongdan_impl"  # where pluggy's HookimplMarker("gongdan") leaves its options
    missing = []
    names = [package.__name__]
    if hasattr(package, "__path__"):
        found = pkgutil.walk_packages(package.__path__, package.__name__ + ".")
        names += [info.name for info in found if not info.name.endswith(".__main__")]  # never run a CLI
    for name in names:
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            if not (inspect.isfunction(value) and hasattr(value, marker) and value.__module__ == name):
                continue
            hook = getattr(value, marker).get("specname") or attr
            if getattr(package, hook, None) is not value:
                missing.append(f"{name}.{attr}")
    return sorted(missing)


def answer(status: int = 200, body: bytes = b'{"ok": true}', **headers: str) -> Responder:
    """A `RecordingServer` responder sending `status`, `headers` (`Location=...`) and `body`."""

    def respond(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        for key, value in headers.items():
            handler.send_header(key.replace("_", "-"), value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return respond


class RecordingServer:
    """A threaded HTTP server on `host` (any loopback address) that records every request as
    `(method, path, headers, body)` in `seen` and answers through `respond(handler)`."""

    def __init__(self, host: str = "127.0.0.1", respond: Responder | None = None) -> None:
        self.seen: list[tuple[str, str, dict[str, str], bytes]] = []
        recorder, respond = self, respond or answer()

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                recorder.seen.append((self.command, self.path, dict(self.headers), body))
                respond(self)

            def do_GET(self) -> None:
                self._any()

            def do_POST(self) -> None:
                self._any()

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        self.port = self.httpd.server_address[1]
        self.base = f"http://{host}:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Shut the server down."""
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def http_server() -> Iterator[Callable[..., RecordingServer]]:
    """`http_server(host="127.0.0.1", respond=answer())` → a running `RecordingServer`, stopped
    after the test (webhook receivers, gateways, internal services an SSRF test protects)."""
    started: list[RecordingServer] = []

    def start(host: str = "127.0.0.1", respond: Responder | None = None) -> RecordingServer:
        started.append(RecordingServer(host, respond))
        return started[-1]

    yield start
    for server in started:
        server.stop()
