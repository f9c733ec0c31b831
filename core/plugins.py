"""The plugin host: discovery, status, per-tenant enablement and safe hook dispatch.

Installed is per process (entry points in group `gongdan.plugins`); enabled is per tenant
(`TenantPlugin`). Core code reaches plugins through `gongdan.hooks`, which calls this host.
"""

from __future__ import annotations

import copy
import logging
import os
import threading
import time
import traceback
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from types import ModuleType
from typing import Any

import pluggy
from marshmallow import Schema as MarshmallowSchema
from marshmallow import ValidationError as MarshmallowValidationError
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

import gongdan
from gongdan import audit, clock, crypto, hookspecs, outbound, permissions
from gongdan.actors import Actor
from gongdan.config import Settings
from gongdan.contributions import PluginSpec
from gongdan.db import db, write_transaction
from gongdan.errors import NotFound, ValidationError
from gongdan.models import PluginFailure, Tenant, TenantPlugin, User
from gongdan.schemas import secret_names
from gongdan.validation import flatten_messages

log = logging.getLogger("gongdan.plugins")
trace = logging.getLogger("gongdan.hooks.trace")
TRACE_ENV = "GONGDAN_TRACE_HOOKS"

ENTRY_POINT_GROUP = "gongdan.plugins"
REDACTED, REDACTED_NEW = "[secret]", "[secret, changed]"
CORE = "core"


class PluginLoadError(RuntimeError):
    """A plugin failed to load while `GONGDAN_STRICT_PLUGINS=1`."""


@dataclass
class PluginRecord:
    """What the host knows of one discovered plugin."""

    name: str
    version: str = ""
    distribution: str = ""
    status: str = "loaded"  # loaded | failed | incompatible | blocked
    reason: str = ""
    spec: PluginSpec = field(default_factory=PluginSpec)
    module: Any = None

    def as_dict(self) -> dict[str, Any]:
        """The record as `gongdan plugins list --json` and the API show it."""
        return {
            "name": self.name,
            "label": self.spec.label or self.name,
            "label_zh": self.spec.label_zh or self.spec.label or self.name,
            "category": self.spec.category,
            "description": self.spec.description,
            "version": self.version,
            "distribution": self.distribution,
            "status": self.status,
            "reason": self.reason or None,
        }


class PluginHost:
    """Owns the pluggy manager and everything that depends on which plugins are enabled."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.config = settings or Settings.from_env()
        self.pm = pluggy.PluginManager("gongdan")
        self.pm.add_hookspecs(hookspecs)
        self.records: dict[str, PluginRecord] = {}
        # plugins dispatched in every tenant regardless of toggles (the core; test helpers)
        self.always_on: set[str] = {CORE}
        self._enabled_cache: dict[int, tuple[int, frozenset[str]]] = {}
        self._subset_cache: dict[tuple[str, frozenset[str]], Any] = {}
        self._registered: dict[str, list[tuple[str, Any]]] = {}
        self._settings_cache: dict[tuple[int, str], tuple[int, dict[str, Any]]] = {}
        self._lock = threading.Lock()
        # GONGDAN_TRACE_HOOKS=1: log every hook call (plugin, tenant, time) on logger gongdan.hooks.trace
        self.trace_hooks = os.environ.get(TRACE_ENV) == "1"
        from gongdan import builtin

        self.pm.register(builtin, name=CORE)

    # --- discovery ------------------------------------------------------------------------

    def discover(self) -> None:
        """Load every plugin from entry points, in sorted order, each load isolated."""
        if self.config.disable_plugin_autoload:
            return
        found = sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name)
        for ep in found:
            self._load_entry_point(ep)

    def _load_entry_point(self, ep: EntryPoint) -> None:
        record = PluginRecord(name=ep.name)
        if ep.dist is not None:
            record.distribution = ep.dist.name
            record.version = ep.dist.version
        self.records[ep.name] = record
        if ep.name in self.config.blocked_plugins:
            record.status, record.reason = "blocked", "listed in GONGDAN_BLOCKED_PLUGINS"
            self.pm.set_blocked(ep.name)
            return
        try:
            module = ep.load()
        except Exception as exc:  # noqa: BLE001 - any import error is the plugin's failure
            self._fail(record, "failed", f"import failed: {type(exc).__name__}: {exc}")
            return
        self.add(module, ep.name, record)

    def add(self, module: ModuleType | object, name: str, record: PluginRecord | None = None) -> PluginRecord:
        """Check and register a plugin object under `name` (entry points and tests use this)."""
        record = record or PluginRecord(name=name)
        self.records[name] = record
        record.module = module
        record.spec = getattr(module, "PLUGIN", None) or PluginSpec(label=name)
        problem = _incompatibility(record.spec)
        if problem:
            self._fail(record, "incompatible", problem)
            return record
        try:
            extra_specs = getattr(module, "hookspecs", None)
            if extra_specs is not None:
                self.pm.add_hookspecs(extra_specs)
            self.pm.register(module, name=name)
            self.pm.check_pending()
        except Exception as exc:  # noqa: BLE001 - pluggy validation errors and the like
            if self.pm.get_plugin(name) is not None:
                self.pm.unregister(name=name)
            self._fail(record, "failed", f"registration failed: {type(exc).__name__}: {exc}")
            return record
        record.status, record.reason = "loaded", ""
        self._forget_plugins()
        return record

    def remove(self, name: str) -> None:
        """Unregister a plugin (tests)."""
        if self.pm.get_plugin(name) is not None:
            self.pm.unregister(name=name)
        self.records.pop(name, None)
        self._forget_plugins()

    def _forget_plugins(self) -> None:
        self._subset_cache.clear()
        self._registered.clear()
        self._settings_cache.clear()

    def _fail(self, record: PluginRecord, status: str, reason: str) -> None:
        record.status, record.reason = status, reason
        log.error("plugin %s %s: %s", record.name, status, reason)
        if self.config.strict_plugins:
            raise PluginLoadError(f"plugin {record.name} {status}: {reason}")

    @property
    def loaded(self) -> list[str]:
        """Names of the plugins that loaded, sorted."""
        return sorted(n for n, r in self.records.items() if r.status == "loaded")

    def record(self, name: str) -> PluginRecord:
        """The record of plugin `name`; NotFound if no such plugin was discovered."""
        try:
            return self.records[name]
        except KeyError:
            raise NotFound(f"no plugin named {name!r}") from None

    # --- per-tenant enablement ------------------------------------------------------------

    def enabled(self, tenant: Tenant) -> frozenset[str]:
        """Loaded plugins enabled for `tenant` (cached until its `plugins_rev` changes)."""
        cached = self._enabled_cache.get(tenant.id)
        if cached is not None and cached[0] == tenant.plugins_rev:
            return cached[1]
        names = self.switched_on(tenant) & frozenset(self.loaded)
        self._enabled_cache[tenant.id] = (tenant.plugins_rev, names)
        return names

    def switched_on(self, tenant: Tenant) -> frozenset[str]:
        """Every plugin whose toggle is on for `tenant`, loaded or not (a plugin that failed to
        load keeps its toggle, and runs again once it loads)."""
        rows = TenantPlugin.select(TenantPlugin.plugin).where(
            (TenantPlugin.tenant == tenant) & (TenantPlugin.enabled == True)  # noqa: E712
        )
        return frozenset(row.plugin for row in rows)

    def _dispatched(self, tenant: Tenant) -> frozenset[str]:
        return self.enabled(tenant) | self.always_on

    def forget_tenants(self) -> None:
        """Drop the cached enablement and settings of every tenant (a new database was opened)."""
        self._enabled_cache.clear()
        self._settings_cache.clear()
        from gongdan import tenant_cache

        tenant_cache.forget()

    def is_enabled(self, tenant: Tenant, name: str) -> bool:
        """Whether plugin `name` is loaded and enabled for `tenant`."""
        return name in self.enabled(tenant)

    def tenants_with(self, name: str) -> list[Tenant]:
        """Every tenant where plugin `name` is enabled (for scheduled jobs)."""
        if name not in self.loaded:
            return []
        return list(
            Tenant.select()
            .join(TenantPlugin)
            .where((TenantPlugin.plugin == name) & (TenantPlugin.enabled == True))  # noqa: E712
            .order_by(Tenant.id)
        )

    def set_enabled(
        self,
        tenant: Tenant,
        name: str,
        enabled: bool | None = None,
        settings: dict[str, Any] | None = None,
        actor: User | None = None,
    ) -> TenantPlugin:
        """Enable/disable `name` for `tenant` and/or replace its settings (validated).

        Raises NotFound for an unknown plugin, ValidationError (with fields) for bad settings or
        for enabling a plugin that is not loaded. Secrets `settings` omits keep their stored
        value. Records an audit event (with the settings' diff, secrets redacted) and notifies plugins.
        """
        permissions.require(Actor.of(actor) if actor else Actor.system("cli"), "plugin.manage")
        record = self.record(name)
        if enabled and record.status != "loaded":
            raise ValidationError(
                f"plugin {name} cannot be enabled: {record.status}",
                {"enabled": [f"plugin is {record.status}: {record.reason}"]},
            )
        with write_transaction():
            row, _ = TenantPlugin.get_or_create(tenant=tenant, plugin=name)
            before = (row.enabled, self._plain(name, row.settings))
            if enabled is not None:
                row.enabled = enabled
            if settings is not None:
                with settings_for(tenant):
                    row.settings = self.validate_settings(name, settings, stored=row.settings)
            row.updated_by = actor
            row.updated_at = clock.now()
            row.save()
            Tenant.update(plugins_rev=Tenant.plugins_rev + 1).where(Tenant.id == tenant.id).execute()
            tenant.plugins_rev = Tenant.get_by_id(tenant.id).plugins_rev
            self._enabled_cache.pop(tenant.id, None)
            self._settings_cache.pop((tenant.id, name), None)
            changes = self._settings_diff(name, before[1], self._plain(name, row.settings))
            audit.record(
                tenant,
                "plugin.changed",
                Actor.of(actor) if actor else Actor.system("cli"),
                data={
                    "plugin": name,
                    "enabled": row.enabled,
                    "was_enabled": before[0],
                    "settings_changed": bool(changes),
                    "changes": changes,
                },
            )
        if enabled is not None and enabled != before[0]:
            self.notify_all(tenant, "gongdan_plugin_toggled", tenant=tenant, plugin=name, enabled=enabled, actor=actor)
        return row

    # --- settings -------------------------------------------------------------------------

    def settings_schema(self, name: str) -> type[MarshmallowSchema] | None:
        """The marshmallow schema class plugin `name` declares for its settings, if any."""
        return dict(self.registered("gongdan_settings_schema")).get(name)

    def validate_settings(
        self, name: str, settings: dict[str, Any], stored: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Validate settings through the plugin's schema; ValidationError lists the fields.

        Returns the settings as they are stored: `gongdan.schemas.Secret` values encrypted, and
        a secret that `settings` omits taken from `stored` (the settings stored so far).
        """
        schema_cls = self.settings_schema(name)
        if schema_cls is None:
            if settings:
                raise ValidationError("this plugin has no settings", {"settings": ["takes no settings"]})
            return {}
        schema = schema_cls()
        secrets = secret_names(schema)
        given = dict(settings)
        for key in secrets:
            if key not in given and (stored or {}).get(key):
                given[key] = crypto.plain(stored[key])
        try:
            with outbound.saving():  # addresses in the settings are resolved and checked now
                loaded = schema.load(given)
        except MarshmallowValidationError as exc:
            raise ValidationError("invalid settings", flatten_messages(exc.messages, "settings")) from None
        clean = schema.dump(loaded)
        for key in secrets:
            clean[key] = crypto.encrypt(clean.get(key) or "")
        return clean

    def secret_settings(self, name: str) -> list[str]:
        """The keys of plugin `name`'s `Secret` settings."""
        schema_cls = self.settings_schema(name)
        return secret_names(schema_cls()) if schema_cls is not None else []

    def _plain(self, name: str, stored: dict[str, Any]) -> dict[str, Any]:
        """Stored settings with their secrets decrypted."""
        return {**stored, **{key: crypto.plain(stored[key]) for key in self.secret_settings(name) if key in stored}}

    def _settings_diff(self, name: str, before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
        """`audit.diff` of two plain settings, each secret shown only as set or changed."""
        secrets = self.secret_settings(name)
        changes = audit.diff(
            {k: v for k, v in before.items() if k not in secrets}, {k: v for k, v in after.items() if k not in secrets}
        )
        for key in secrets:
            old, new = before.get(key) or "", after.get(key) or ""
            if old != new:
                changes[key] = [REDACTED if old else None, (REDACTED_NEW if old else REDACTED) if new else None]
        return dict(sorted(changes.items()))

    def settings(self, tenant: Tenant, name: str) -> dict[str, Any]:
        """Plugin `name`'s settings for `tenant`, with the schema's defaults filled in.

        Cached until the tenant's `plugins_rev` changes (every settings change bumps it); the
        caller gets its own copy.
        """
        return copy.deepcopy(self._loaded_settings(tenant, name))

    def setting(self, tenant: Tenant, name: str, key: str) -> Any:
        """One of plugin `name`'s settings for `tenant` (None when the schema has no such key):
        what a hook on the ticket path reads, without copying the others (a copy if mutable)."""
        value = self._loaded_settings(tenant, name).get(key)
        return value if isinstance(value, (str, int, float, bool, type(None))) else copy.deepcopy(value)

    def _loaded_settings(self, tenant: Tenant, name: str) -> dict[str, Any]:
        """The cached settings of `settings` (shared: never hand it out to be changed)."""
        cached = self._settings_cache.get((tenant.id, name))
        if cached is None or cached[0] != tenant.plugins_rev:
            row = TenantPlugin.get_or_none(tenant=tenant, plugin=name)
            stored = self._plain(name, row.settings) if row else {}
            schema_cls = self.settings_schema(name)
            loaded = schema_cls().load(stored) if schema_cls is not None else dict(stored)
            cached = (tenant.plugins_rev, loaded)
            self._settings_cache[(tenant.id, name)] = cached
        return cached[1]

    def shown_settings(self, tenant: Tenant, name: str) -> tuple[dict[str, Any], dict[str, bool]]:
        """What the API and the console may show: the settings without secrets, and per secret whether it is set."""
        current = self.settings(tenant, name)
        secrets = self.secret_settings(name)
        return {k: v for k, v in current.items() if k not in secrets}, {k: bool(current.get(k)) for k in secrets}

    # --- dispatch -------------------------------------------------------------------------

    def _caller(self, tenant: Tenant | None, hook: str) -> Any:
        if tenant is None:
            return getattr(self.pm.hook, hook)
        active = self._dispatched(tenant)
        key = (hook, active)
        caller = self._subset_cache.get(key)
        if caller is None:
            excluded = [
                plugin for name, plugin in self.pm.list_name_plugin() if name not in active and plugin is not None
            ]
            caller = self.pm.subset_hook_caller(hook, remove_plugins=excluded)
            with self._lock:
                self._subset_cache[key] = caller
        return caller

    def listens(self, tenant: Tenant, hook: str) -> bool:
        """Whether any plugin dispatched in `tenant` implements `hook`."""
        return bool(self._caller(tenant, hook).get_hookimpls())

    def listening(self, tenant: Tenant, hook: str) -> list[Any]:
        """The implementations of `hook` dispatched in `tenant` (each names its `plugin_name`)."""
        return list(self._caller(tenant, hook).get_hookimpls())

    def _each(self, caller: Any) -> Iterator[Any]:
        # pluggy calls the last registered first; keep that order
        yield from reversed(caller.get_hookimpls())

    def _call_one(
        self, impl: Any, tenant: Tenant | None, hook: str, kwargs: dict[str, Any], *, savepoint: bool = False
    ) -> Any:
        started = time.perf_counter() if self.trace_hooks else 0.0
        try:
            if savepoint and db.in_transaction():  # what the plugin wrote goes back if it raises
                with db.atomic():
                    return impl.function(*[kwargs[name] for name in impl.argnames])
            return impl.function(*[kwargs[name] for name in impl.argnames])
        except Exception as exc:  # noqa: BLE001 - isolation is the point
            self.record_failure(impl.plugin_name, tenant, hook, exc)
            return None
        finally:
            if self.trace_hooks:
                elapsed = (time.perf_counter() - started) * 1000
                trace.info(
                    "%s plugin=%s tenant=%s %.2f ms", hook, impl.plugin_name, getattr(tenant, "slug", "-"), elapsed
                )

    def notify(self, tenant: Tenant, hook: str, /, **kwargs: Any) -> None:
        """Call notification `hook` on the tenant's enabled plugins, each on its own.

        Inside a transaction (the ticket service dispatches an event's hooks in one) each plugin
        runs in a savepoint: one that raises is rolled back to it and recorded as failed, and
        what the others wrote commits with the transaction.
        """
        for impl in self._each(self._caller(tenant, hook)):
            self._call_one(impl, tenant, hook, kwargs, savepoint=True)

    def notify_all(self, tenant: Tenant | None, hook: str, /, **kwargs: Any) -> None:
        """Call notification `hook` on every loaded plugin, each on its own (in a savepoint inside
        a transaction, as `notify`)."""
        for impl in self._each(self._caller(None, hook)):
            self._call_one(impl, tenant, hook, kwargs, savepoint=True)

    def decide(self, tenant: Tenant, hook: str, /, **kwargs: Any) -> Any:
        """Call decision `hook` in the tenant's scope; the first non-None answer wins."""
        for impl in self._each(self._caller(tenant, hook)):
            answer = self._call_one(impl, tenant, hook, kwargs)
            if answer is not None:
                return answer
        return None

    def gather(self, tenant: Tenant, hook: str, /, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call `hook` in the tenant's scope; `(plugin, answer)` for every non-None answer."""
        answers = []
        for impl in self._each(self._caller(tenant, hook)):
            answer = self._call_one(impl, tenant, hook, kwargs)
            if answer is not None:
                answers.append((impl.plugin_name, answer))
        return answers

    def gather_from(self, tenant: Tenant, plugin: str, hook: str, /, **kwargs: Any) -> Any:
        """Call `hook` of one plugin in the tenant's scope (None when it is not enabled there)."""
        for impl in self._each(self._caller(tenant, hook)):
            if impl.plugin_name == plugin:
                return self._call_one(impl, tenant, hook, kwargs)
        return None

    def collect(self, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call registration `hook` on every loaded plugin: `(plugin, item)` per item returned."""
        items: list[tuple[str, Any]] = []
        for impl in self._each(self._caller(None, hook)):
            answer = self._call_one(impl, None, hook, kwargs)
            for item in _as_list(answer):
                items.append((impl.plugin_name, item))
        return items

    def registered(self, hook: str) -> list[tuple[str, Any]]:
        """`collect(hook)` of an argument-less registration hook, kept until plugins change.

        What plugins register (channels, strategies, schemas, ...) is fixed while the set of
        loaded plugins is, so hot paths such as validating a ticket's channel read it here.
        """
        items = self._registered.get(hook)
        if items is None:
            items = self._registered[hook] = self.collect(hook)
        return items

    def running(self, tenant: Tenant) -> dict[str, dict[str, bool]]:
        """For each discovered plugin, in `tenant`: `enabled` (its toggle is on, loaded or not)
        and `running` (on and loaded: the core calls it there)."""
        on = self.switched_on(tenant)
        return {
            name: {"enabled": name in on, "running": name in on and record.status == "loaded"}
            for name, record in self.records.items()
        }

    def last_failures(self, tenant: Tenant) -> dict[str, dict[str, Any]]:
        """Each plugin's latest recorded failure in `tenant` or outside any tenant (a scheduled
        job's, a load's): `{"hook", "error", "at"}` (aware UTC), by plugin name."""
        from peewee import fn

        scope = (PluginFailure.tenant == tenant) | PluginFailure.tenant.is_null()
        latest = PluginFailure.select(fn.MAX(PluginFailure.id)).where(scope).group_by(PluginFailure.plugin)
        rows = PluginFailure.select().where(PluginFailure.id.in_(latest))
        return {row.plugin: {"hook": row.hook, "error": row.error, "at": row.at} for row in rows}

    def record_failure(self, plugin: str, tenant: Tenant | None, hook: str, exc: BaseException) -> None:
        """Store (and log) that `plugin` raised in `hook` for `tenant`."""
        text = "".join(traceback.format_exception(exc))
        log.error("plugin %s failed in %s (tenant %s): %s", plugin, hook, getattr(tenant, "slug", "-"), exc)
        try:
            with write_transaction():  # its own transaction: the write lock waited for, not raced
                PluginFailure.create(
                    plugin=plugin, tenant=tenant, hook=hook, error=f"{type(exc).__name__}: {exc}", traceback=text
                )
        except Exception:
            log.exception("could not record the failure of plugin %s", plugin)


def _as_list(answer: Any) -> Iterable[Any]:
    if answer is None:
        return ()
    if isinstance(answer, (list, tuple)):
        return answer
    return (answer,)


def _incompatibility(spec: PluginSpec) -> str:
    if not spec.requires_core:
        return ""
    try:
        wanted = SpecifierSet(spec.requires_core)
    except InvalidSpecifier:
        return f"requires_core {spec.requires_core!r} is not a valid version range"
    core = Version(gongdan.__version__)
    if not wanted.contains(core, prereleases=True):
        return f"requires gongdan {spec.requires_core}, this is {core}"
    return ""


_host: PluginHost | None = None
_host_lock = threading.Lock()


def get_host() -> PluginHost:
    """The process's plugin host, created and discovered on first use."""
    global _host
    if _host is None:
        with _host_lock:
            if _host is None:
                host = PluginHost()
                host.discover()
                _host = host
    return _host


def set_host(host: PluginHost | None) -> None:
    """Replace the process's host (tests and the CLI's settings reload)."""
    global _host
    _host = host


_settings_tenant: ContextVar[Tenant | None] = ContextVar("gongdan_settings_tenant", default=None)


@contextmanager
def settings_for(tenant: Tenant) -> Iterator[None]:
    """Within it, `settings_tenant()` is `tenant`: a settings schema's choices (the console's
    form) and validators (`set_enabled`) read the tenant whose settings they show or check."""
    token = _settings_tenant.set(tenant)
    try:
        yield
    finally:
        _settings_tenant.reset(token)


def settings_tenant() -> Tenant | None:
    """The tenant whose plugin settings are being shown or saved (None elsewhere, e.g. when
    stored settings are loaded: a value that names a since-deleted row still loads)."""
    return _settings_tenant.get()
