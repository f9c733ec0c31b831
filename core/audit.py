"""The security audit trail: who did what to accounts, keys, settings and data, with a diff.

Every security-relevant action is recorded here by its real actor (`record`). Events are
tenant-level rows of the append-only event log (`TicketEvent` without a ticket); a ticket's
own history lives in the same table. The database refuses to change or delete a row of it
(`protect`, installed by `gongdan init`/`upgrade`): the only change allowed is the
`dispatched_at` stamp the ticket service writes after notifying plugins.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import peewee

from gongdan.actors import Actor
from gongdan.db import db, is_postgres
from gongdan.models import Tenant, TicketEvent, User

HIDDEN = "(hidden)"  # stands for a secret or personal value in a diff: that it changed, never what
APPEND_ONLY = (TicketEvent,)
_REFUSAL = "the audit trail is append-only"


def diff(before: dict[str, Any], after: dict[str, Any], *, hidden: Iterable[str] = ()) -> dict[str, list[Any]]:
    """`{field: [old, new]}` for every field whose value differs between `before` and `after`.

    Fields named in `hidden` (secrets, personal data) appear as `[HIDDEN, HIDDEN]`: the
    trail says that they changed, never their values.
    """
    secret = set(hidden)
    changed = (k for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k))
    return {k: [HIDDEN, HIDDEN] if k in secret else [before.get(k), after.get(k)] for k in changed}


def flat(items: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """`{"工作日": {"tz": "Asia/Shanghai"}}` → `{"工作日.tz": "Asia/Shanghai"}`, so that a `diff`
    of named items (policies, calendars, shops) has one line per field that changed."""
    return {f"{name}.{key}": value for name, fields in items.items() for key, value in fields.items()}


def record(
    tenant: Tenant, kind: str, actor: Actor, *, data: dict[str, Any] | None = None, ip: str | None = None
) -> None:
    """Append one audit event of `kind` (e.g. `auth.login_failed`, `user.role_changed`).

    `data` must be JSON-serialisable and must never hold a secret in clear (use `diff` with
    `hidden`); a `changes` key holding a `diff` is shown as "field: old → new" in the console.
    `ip` is the client address when the action came over the web.
    """
    from gongdan import tickets

    payload = dict(data or {})
    if ip:
        payload["ip"] = ip
    tickets.record_event(tenant, None, kind, payload, actor)


def events(
    tenant: Tenant,
    *,
    actor: str | None = None,
    kind: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> peewee.ModelSelect:
    """The tenant's trail, newest first, filtered by actor (label — e-mail, `plugin:sla` — or
    user name contains), kind (exact, or a prefix ending in `.` such as `user.`) and time
    (`since` ≤ at < `until`)."""
    query = TicketEvent.of(tenant)
    if actor:
        named = User.select(User.id).where((User.tenant == tenant) & User.name.contains(actor))
        query = query.where(TicketEvent.actor_label.contains(actor) | TicketEvent.actor.in_(named))
    if kind:
        query = query.where(TicketEvent.kind.startswith(kind) if kind.endswith(".") else TicketEvent.kind == kind)
    if since is not None:
        query = query.where(TicketEvent.at >= since)
    if until is not None:
        query = query.where(TicketEvent.at < until)
    return query.order_by(TicketEvent.at.desc(), TicketEvent.id.desc())


def kinds(tenant: Tenant) -> list[str]:
    """Every event kind the tenant's trail holds, sorted (for the console's filter)."""
    rows = TicketEvent.of(tenant).select(TicketEvent.kind).distinct().order_by(TicketEvent.kind)
    return [row.kind for row in rows]


def actors(tenant: Tenant) -> list[str]:
    """Everyone (labels: e-mail addresses, `plugin:sla`, ...) the tenant's trail names, sorted."""
    rows = TicketEvent.of(tenant).select(TicketEvent.actor_label).distinct().order_by(TicketEvent.actor_label)
    return [row.actor_label for row in rows if row.actor_label]


# --- append-only --------------------------------------------------------------------------

_PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION gongdan_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND (to_jsonb(NEW) - 'dispatched_at') = (to_jsonb(OLD) - 'dispatched_at') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '{_REFUSAL}: %% on %% refused', TG_OP, TG_TABLE_NAME;
END
$$
"""


def _sqlite_triggers(table: str, columns: list[str]) -> list[str]:
    unchanged = " AND ".join(f'NEW."{c}" IS OLD."{c}"' for c in columns if c != "dispatched_at")
    return [
        f'DROP TRIGGER IF EXISTS "{table}_no_update"',
        f'DROP TRIGGER IF EXISTS "{table}_no_delete"',
        f'CREATE TRIGGER "{table}_no_update" BEFORE UPDATE ON "{table}" WHEN NOT ({unchanged}) '
        f"BEGIN SELECT RAISE(ABORT, '{_REFUSAL}: UPDATE on {table} refused'); END",
        f'CREATE TRIGGER "{table}_no_delete" BEFORE DELETE ON "{table}" '
        f"BEGIN SELECT RAISE(ABORT, '{_REFUSAL}: DELETE on {table} refused'); END",
    ]


def protect() -> None:
    """Install the triggers that refuse UPDATE (but of `dispatched_at`) and DELETE of the trail.

    Idempotent; `gongdan init`/`upgrade` call it, and re-create the SQLite triggers so that
    columns added since are covered. Owners of the database can still drop the triggers:
    ship the trail off the machine (e.g. the database's log) for evidence against them.
    """
    with db.atomic():
        for model in APPEND_ONLY:
            table = model._meta.table_name
            if is_postgres():
                db.execute_sql(_PG_FUNCTION)
                db.execute_sql(
                    f'CREATE OR REPLACE TRIGGER "{table}_append_only" BEFORE UPDATE OR DELETE ON "{table}" '
                    "FOR EACH ROW EXECUTE FUNCTION gongdan_append_only()"
                )
            else:
                for statement in _sqlite_triggers(table, [c.name for c in db.get_columns(table)]):
                    db.execute_sql(statement)


__all__ = ["HIDDEN", "actors", "diff", "events", "flat", "kinds", "protect", "record"]
