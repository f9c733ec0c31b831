"""Mailboxes of a tenant: validation (hosts vetted by the outbound guard), write-only passwords,
status as the console and the API show it, and "test connection"."""

from __future__ import annotations

import ipaddress
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from gongdan import audit, outbound
from gongdan.actors import Actor
from gongdan.db import write_transaction
from gongdan.errors import NotFound
from gongdan.errors import ValidationError as GongdanValidationError
from gongdan.ids import parse_id
from gongdan.models import Team, Tenant
from gongdan.representation import iso
from gongdan.validation import load

from .models import SECURITIES, Mailbox

PASSWORDS = ("password", "smtp_password")
HOSTS = (("imap_host", "imap_port", "imap_security"), ("smtp_host", "smtp_port", "smtp_security"))
DEFAULT_PORTS = {"imap": {"ssl": 993, "starttls": 143, "none": 143}, "smtp": {"ssl": 465, "starttls": 587, "none": 25}}
HOST = validate.Length(min=1, max=253)
PORT = validate.Range(min=1, max=65535)


class MailboxSchema(Schema):
    """A mailbox as `POST /api/v1/email/mailboxes` takes it (PATCH: any subset)."""

    address = fields.Email(required=True)
    imap_host = fields.String(required=True, validate=HOST)
    imap_port = fields.Integer(load_default=None, allow_none=True, validate=PORT)
    imap_security = fields.String(load_default="ssl", validate=validate.OneOf(SECURITIES))
    imap_folder = fields.String(load_default="INBOX", validate=validate.Length(min=1, max=200))
    username = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=254))
    password = fields.String(load_only=True, load_default=None, allow_none=True, validate=validate.Length(max=500))
    smtp_host = fields.String(load_default="", validate=validate.Length(max=253))
    smtp_port = fields.Integer(load_default=None, allow_none=True, validate=PORT)
    smtp_security = fields.String(load_default="ssl", validate=validate.OneOf(SECURITIES))
    smtp_username = fields.String(load_default="", validate=validate.Length(max=254))
    smtp_password = fields.String(load_only=True, load_default=None, allow_none=True, validate=validate.Length(max=500))
    team = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    active = fields.Boolean(load_default=True)

    @validates_schema
    def _plain_only_to_loopback(self, data: dict[str, Any], **_: Any) -> None:
        errors = {}
        for host_field, _port, security_field in HOSTS:
            host = data.get(host_field)
            if data.get(security_field) == "none" and host and not is_loopback(host):
                errors[security_field] = ["none (no TLS) is allowed only for a loopback host such as 127.0.0.1"]
        if errors:
            raise ValidationError(errors)


_schema = MailboxSchema()


def is_loopback(host: str) -> bool:
    """Whether `host` names this machine (localhost or a loopback address)."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _team(tenant: Tenant, value: str | None) -> Team | None:
    if not value:
        return None
    query = Team.of(tenant)
    team = query.where(Team.id == int(value)).first() if value.isdigit() and len(value) < 10 else None
    team = team or query.where(Team.name == value).first()
    if team is None:
        raise GongdanValidationError("unknown team", {"team": [f"no team {value!r}"]})
    return team


def _vet(values: dict[str, Any]) -> None:
    """Every host through the outbound guard: 422 with the field and the guard's reason."""
    errors: dict[str, list[str]] = {}
    for host_field, port_field, security_field in HOSTS:
        host = values.get(host_field)
        if not host:
            continue
        try:
            outbound.vet_host(host, int(values[port_field]), plaintext=values[security_field] == "none")
        except outbound.OutboundBlocked as exc:
            errors[host_field] = [exc.localized()]
    if errors:
        raise GongdanValidationError("a mail server address is not allowed", errors)


def _fill(values: dict[str, Any]) -> dict[str, Any]:
    for kind in ("imap", "smtp"):
        if not values.get(f"{kind}_port"):
            values[f"{kind}_port"] = DEFAULT_PORTS[kind][values.get(f"{kind}_security") or "ssl"]
    if not values.get("username"):
        values["username"] = values["address"]
    return values


# what the audit trail keeps of a mailbox (its passwords only as "changed", never their values)
AUDITED = ("address", "imap_host", "imap_port", "imap_security", "imap_folder", "username")
AUDITED += ("smtp_host", "smtp_port", "smtp_security", "smtp_username", "active")


def _audited(mailbox: Mailbox) -> dict[str, Any]:
    return {**{key: getattr(mailbox, key) for key in AUDITED}, **{key: getattr(mailbox, key) for key in PASSWORDS}}


def _audit(tenant: Tenant, kind: str, before: dict[str, Any], after: dict[str, Any], actor: Actor | None) -> None:
    changes = audit.diff(before, after, hidden=PASSWORDS)
    if changes:
        address = after.get("address") or before.get("address")
        audit.record(tenant, kind, actor or Actor.system("cli"), data={"address": address, "changes": changes})


def create(tenant: Tenant, data: dict[str, Any], actor: Actor | None = None) -> Mailbox:
    """A new mailbox; 422 with the fields on bad input, 409-free: one address once per tenant.
    Audited as `email.mailbox_created` by `actor` (the command line when None)."""
    body = load(_schema, data)
    values = _fill({k: v for k, v in body.items() if k != "team"})
    values["address"] = values["address"].lower()
    _unique(tenant, values["address"])
    _vet(values)
    for name in PASSWORDS:
        values[name] = values.get(name) or ""
    with write_transaction():
        mailbox = Mailbox.create(tenant=tenant, team=_team(tenant, body.get("team")), **values)
        _audit(tenant, "email.mailbox_created", {}, _audited(mailbox), actor)
    return mailbox


def delete(tenant: Tenant, mailbox: Mailbox, actor: Actor | None = None) -> None:
    """Remove a mailbox (its messages stay on their tickets); audited as `email.mailbox_deleted`."""
    with write_transaction():
        before = _audited(mailbox)
        mailbox.delete_instance()
        audit.record(tenant, "email.mailbox_deleted", actor or Actor.system("cli"), data={"address": before["address"]})


def _unique(tenant: Tenant, address: str, but: int | None = None) -> None:
    query = Mailbox.of(tenant).where(Mailbox.address == address)
    if but is not None:
        query = query.where(Mailbox.id != but)
    if query.exists():
        raise GongdanValidationError("address taken", {"address": ["this tenant already has a mailbox for it"]})


def update(tenant: Tenant, mailbox: Mailbox, data: dict[str, Any], actor: Actor | None = None) -> Mailbox:
    """Change the fields given; omitted (or empty) passwords are kept. Audited as
    `email.mailbox_changed` with what changed (passwords as changed, never their values)."""
    if not isinstance(data, dict):
        raise GongdanValidationError("a JSON object is expected", {"_schema": ["must be an object"]})
    current = {name: getattr(mailbox, name) for name in _schema.fields if name not in PASSWORDS and name != "team"}
    body = load(_schema, {**current, **data})
    changed = {k: v for k, v in body.items() if k in data and k != "team"}
    changed = {k: v for k, v in changed.items() if k not in PASSWORDS or v}
    if "address" in changed:
        changed["address"] = changed["address"].lower()
        _unique(tenant, changed["address"], but=mailbox.id)
    merged = _fill({**current, **changed})
    if any(k in changed for host in HOSTS for k in host):
        _vet(merged)
    for key in ("imap_port", "smtp_port", "username"):
        changed[key] = merged[key]
    if "team" in data:
        changed["team"] = _team(tenant, body.get("team"))
    if (
        changed.get("imap_host", mailbox.imap_host) != mailbox.imap_host
        or changed.get("imap_folder", mailbox.imap_folder) != mailbox.imap_folder
    ):
        changed.update(uidvalidity=None, last_uid=0)  # another folder: its own watermark
    before = _audited(mailbox)
    for key, value in changed.items():
        setattr(mailbox, key, value)
    with write_transaction():
        mailbox.save()
        _audit(tenant, "email.mailbox_changed", before, _audited(mailbox), actor)
    return mailbox


def get(tenant: Tenant, mailbox_id: int | str) -> Mailbox:
    """The tenant's mailbox; NotFound also for another tenant's."""
    number = parse_id(mailbox_id)
    if number is None:
        raise NotFound("no such mailbox")
    found = Mailbox.get_or_none((Mailbox.id == number) & (Mailbox.tenant == tenant))
    if found is None:
        raise NotFound("no such mailbox")
    return found


def as_dict(mailbox: Mailbox) -> dict[str, Any]:
    """The API's view: settings, whether passwords are set (never them), and fetch status."""
    return {
        "id": mailbox.id,
        "address": mailbox.address,
        "imap_host": mailbox.imap_host,
        "imap_port": mailbox.imap_port,
        "imap_security": mailbox.imap_security,
        "imap_folder": mailbox.imap_folder,
        "username": mailbox.username,
        "password_set": bool(mailbox.password),
        "smtp_host": mailbox.smtp_host,
        "smtp_port": mailbox.smtp_port,
        "smtp_security": mailbox.smtp_security,
        "smtp_username": mailbox.smtp_username,
        "smtp_password_set": bool(mailbox.smtp_password),
        "team": mailbox.team.name if mailbox.team_id else None,
        "active": mailbox.active,
        "status": {
            "last_fetch_at": iso(mailbox.last_fetch_at),
            "last_success_at": iso(mailbox.last_success_at),
            "last_error": mailbox.last_error or None,
            "last_error_at": iso(mailbox.last_error_at),
            "backlog": mailbox.backlog,
            "fetched": mailbox.fetched_total,
            "uidvalidity": mailbox.uidvalidity,
            "last_uid": mailbox.last_uid,
        },
        "created_at": iso(mailbox.created_at),
    }


def sender_of(tenant: Tenant, mailbox_id: int | None) -> Mailbox | None:
    """The mailbox to send from: `mailbox_id` if it is still active, else the tenant's first active one."""
    active = Mailbox.of(tenant).where(Mailbox.active == True)  # noqa: E712
    if mailbox_id is not None:
        found = active.where(Mailbox.id == mailbox_id).first()
        if found is not None:
            return found
    return active.order_by(Mailbox.id).first()
