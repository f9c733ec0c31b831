"""Console: rule builders (forms, not JSON), macros, approvals, and the ticket page's panel.

Rules are listed by kind and position with an on/off switch, a position box, "last fired" and
a link to each rule's history (with a dry run against a real ticket). The ticket page's panel
lists the ticket's pending approvals (approve / reject with a reason) and the macros; applying
one runs its actions and puts its text into a reply box to edit before sending.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import abort, flash, redirect, request, session, url_for
from flask_admin import expose
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from gongdan import actions, pending_secrets, tickets
from gongdan.actors import Actor
from gongdan.contributions import ConsoleView, TicketPanel
from gongdan.errors import Conflict, GongdanError, ValidationError
from gongdan.event_kinds import OUTCOME_CODES
from gongdan.models import Team, Tenant, Ticket, User
from gongdan.permissions import ROLE_RANK, has_role

from . import action_rows, approvals, engine, macros, ordering, rules, webhooks
from .conditions import FIELDS, OPERATORS
from .models import RULE_KINDS, Approval, Rule, RuleRun, Subscription, WebhookDelivery

MENU = _l("Automation")
STATIC = str(Path(__file__).parent / "static")
CONDITION_ROWS = 6
DRAFT_KEY = "automation_drafts"
# a new webhook's signing secret waits on the server for the next page, never in the session cookie
HELD_KEY = "automation_webhook_secret"
HELD_PURPOSE = "webhook.secret"
HELD_SECONDS = 300


def _zh() -> bool:
    return str(get_locale() or "en").startswith("zh")


def _csrf() -> str:
    from flask_wtf.csrf import generate_csrf

    return generate_csrf()


# --- the ticket page ----------------------------------------------------------------------


def ticket_panels(tenant: Tenant, ticket: Ticket, user: User) -> list[TicketPanel]:
    """Pending approvals and macros for `ticket`, as one panel (none for the system)."""
    if user is None:
        return []
    parts = [_approvals_html(tenant, ticket, user), _macros_html(tenant, ticket, user)]
    html = Markup("").join(p for p in parts if p)
    return [TicketPanel(name="automation", title=gettext("Automation"), html=str(html), order=30)] if html else []


def _approvals_html(tenant: Tenant, ticket: Ticket, user: User) -> Markup:
    pending = approvals.pending_for(tenant, ticket)
    if not pending:
        return Markup("")
    rows = Markup("")
    for approval in pending:
        decide = Markup("")
        if approvals.may_decide(user, approval):
            decide = Markup(
                '<form method="post" action="{}" class="form-inline mt-1 approval-decide">'
                '<input type="hidden" name="csrf_token" value="{}">'
                '<input name="reason" class="form-control form-control-sm mr-1" placeholder="{}" maxlength="1000">'
                '<button name="decision" value="approve" class="btn btn-sm btn-success mr-1">{}</button>'
                '<button name="decision" value="reject" class="btn btn-sm btn-outline-danger">{}</button></form>'
            ).format(
                url_for("automation_approvals.decide", approval_id=approval.id, next=request.path),
                _csrf(),
                gettext("reason"),
                gettext("Approve"),
                gettext("Reject"),
            )
        inputs = inputs_in_words(tenant, approval)
        rows += Markup('<li id="approval-{}"><strong>{}</strong>{} · {} · {}{}</li>').format(
            approval.id,
            _action_label(tenant, approval.action),
            Markup(" <span class='approval-inputs'>（{}）</span>").format(inputs) if inputs else "",
            approval.reason,
            approvals.person(approval.requested_label, approval.requested_by, "zh" if _zh() else "en"),
            decide,
        )
    return Markup('<h6>{}</h6><ul class="pl-3 small" id="pending-approvals">{}</ul>').format(
        gettext("Waiting for approval"), rows
    )


def inputs_in_words(tenant: Tenant, approval: Approval) -> str:
    """What the held action would run with, as its form words it (优先级：紧急; secrets masked),
    so an approver sees what they approve."""
    from gongdan.admin.ticket_actions import labelled_inputs

    found = actions.registered().get(approval.action)
    if found is None or not approval.inputs:
        return ""
    values = actions.masked(found[1].schema(), approval.inputs)
    parts = []
    for field in labelled_inputs(tenant, approval.ticket, found[1]):
        value = values.get(field["name"])
        if value in (None, "", []):
            continue
        words = {str(code): label for code, label in field["choices"] or []}
        if isinstance(value, bool):
            shown = gettext("yes") if value else gettext("no")
        elif isinstance(value, list):
            shown = ", ".join(words.get(str(v), str(v)) for v in value)
        else:
            shown = words.get(str(value), str(value))
        parts.append(f"{field['label']}：{shown}" if _zh() else f"{field['label']}: {shown}")
    return "；".join(parts) if _zh() else "; ".join(parts)


def _action_label(tenant: Tenant, name: str) -> str:
    found = actions.registered().get(name)
    return found[1].label("zh" if _zh() else "en") if found else name


def _macros_html(tenant: Tenant, ticket: Ticket, user: User) -> Markup:
    found = macros.visible(tenant, user)
    drafts = session.get(DRAFT_KEY, {})
    draft = drafts.pop(str(ticket.id), None)
    if draft is not None:
        session[DRAFT_KEY] = drafts
    if not found and draft is None:
        return Markup("")
    options = Markup("").join(Markup('<option value="{}">{}</option>').format(m.id, m.name) for m in found)
    html = Markup(
        '<h6 class="mt-2">{}</h6><form method="post" action="{}" class="form-inline" id="macro-apply">'
        '<input type="hidden" name="csrf_token" value="{}"><input type="hidden" name="ticket_id" value="{}">'
        '<select name="macro_id" class="form-control form-control-sm mr-1">{}</select>'
        '<button class="btn btn-sm btn-outline-primary">{}</button></form>'
    ).format(gettext("Macros"), url_for("automation_macros.apply"), _csrf(), ticket.id, options, gettext("Apply"))
    if draft is not None and ticket.status != "closed":
        html += Markup(
            '<form method="post" action="{}" class="mt-2" id="macro-draft">'
            '<input type="hidden" name="csrf_token" value="{}">'
            '<textarea name="body" class="form-control form-control-sm mb-1" rows="5" required>{}</textarea>'
            '<button type="submit" name="internal" value="0" class="btn btn-sm btn-primary">{}</button></form>'
        ).format(url_for("tickets.comment", ticket_id=ticket.id), _csrf(), draft, gettext("Send reply"))
    return html


# --- forms -> rules -------------------------------------------------------------------------


def rule_from_form(tenant: Tenant, form: Any) -> dict[str, Any]:
    """The rule a builder form describes: a condition's field picked or typed by its words (or its
    name, `plugin.key` for a plugin's), a status, priority or channel value in words or as its code."""
    conditions = []
    by_words = {words.casefold(): name for name, words in field_words(tenant)}
    for i in range(CONDITION_ROWS):
        typed = form.get(f"cond_field_{i}", "").strip()
        if typed:
            field = by_words.get(typed.casefold(), typed)
            value = value_from_words(field, form.get(f"cond_value_{i}", ""))
            conditions.append({"field": field, "op": form.get(f"cond_op_{i}", ""), "value": value})
    steps, _shown = action_rows.posted(tenant, form)
    data: dict[str, Any] = {
        "name": form.get("name", "").strip(),
        "active": form.get("active") == "1",
        "match": form.get("match", "all"),
        "conditions": conditions,
        "actions": steps,
        "event": form.get("event", ""),
        "action": form.get("action", ""),
        "approver_role": form.get("approver_role", "supervisor"),
    }
    if "approver_team" in form:
        data["approver_team"] = form.get("approver_team", "").strip() or None
    for key in ("position", "expires_hours"):
        raw = form.get(key, "").strip()
        if raw:
            if not raw.lstrip("-").isdigit():
                raise ValidationError("invalid rule", {key: [gettext("must be a whole number")]})
            data[key] = int(raw)
    if not data["name"]:
        raise ValidationError("invalid rule", {"name": [gettext("must not be empty")]})
    return data


def _ordered(change: Any, back: str | None = None) -> Any:
    """Run an ordering `change`: JSON for the page's script (`{"positions"}` or 4xx with the
    reason), otherwise a flash and a redirect to `back` (or the referring page)."""
    wants_json = request.accept_mimetypes.best == "application/json"
    try:
        positions = change()
    except GongdanError as exc:
        if wants_json:
            return {"error": exc.message, "fields": exc.fields}, exc.status
        if isinstance(exc, Conflict):
            flash(gettext("The list changed since the page was shown: reload it and try again."), "danger")
        else:
            flash(gettext("Not done: %(why)s", why=action_rows.sentence(exc)), "danger")
        return redirect(back or request.referrer or url_for("automation_rules.index"))
    if wants_json:
        return {"positions": {str(k): v for k, v in positions.items()}, "message": gettext("Order saved.")}
    flash(gettext("Order saved."), "success")
    return redirect(back or request.referrer or url_for("automation_rules.index"))


def _delivery_error(text: str) -> str:
    """A delivery's last error (one of `gongdan.outbound`'s fixed sentences) in the console's language."""
    from gongdan import outbound

    if not text:
        return ""
    for english, chinese in outbound.MESSAGES.values():
        if text == english:
            return chinese if _zh() else english
    status = re.fullmatch(r"the remote side answered HTTP (\d+)", text)
    if status is not None:
        return outbound.StatusError(int(status.group(1))).localized("zh" if _zh() else "en")
    return action_rows.message_words(text)


WORDED_VALUES = ("status", "priority", "channel")
PLUGIN_FIELD_SAMPLE = 50  # recent tickets whose plugin blocks tell which plugin fields exist


def field_words(tenant: Tenant) -> list[tuple[str, str]]:
    """`(field, words)` a condition can name, in the console's language: the core's fields, then
    the plugin fields (`plugin.key`) the blocks of the tenant's recent tickets carry, as
    "<plugin> · <key's label>" (the label a plugin gives the key in its event kinds, else the key)."""
    from gongdan import hooks
    from gongdan.plugins import get_host

    zh = _zh()
    found = [(name, (label_zh if zh else label_en)) for name, (_, label_zh, label_en) in FIELDS.items()]
    recent = list(Ticket.of(tenant).order_by(Ticket.id.desc()).limit(PLUGIN_FIELD_SAMPLE))
    keys: dict[str, set[str]] = {}
    for blocks in hooks.ticket_blocks(tenant, recent).values():
        for plugin, block in blocks.items():
            if isinstance(block, dict):
                keys.setdefault(plugin, set()).update(
                    k for k, v in block.items() if isinstance(v, (str, int, float, bool)) or v is None
                )
    if not keys:
        return found
    named: dict[str, str] = {}
    for kind in hooks.event_kinds().values():
        plugin = kind.kind.partition(".")[0]
        for key, (label_zh, label_en, _shown) in kind.fields.items():
            named.setdefault(f"{plugin}.{key}", label_zh if zh else label_en)
    records = get_host().records
    for plugin in sorted(keys):
        record = records.get(plugin)
        shown = (record.as_dict()["label_zh" if zh else "label"] if record else plugin) or plugin
        found += [(f"{plugin}.{k}", f"{shown} · {named.get(f'{plugin}.{k}', k)}") for k in sorted(keys[plugin])]
    return found


def _value_codes(field: str) -> list[str]:
    from gongdan import hooks
    from gongdan.admin.labels import CHANNEL_LABELS
    from gongdan.models import PRIORITIES, STATUSES

    if field == "status":
        return list(STATUSES)
    if field == "priority":
        return list(PRIORITIES)
    return sorted(set(CHANNEL_LABELS) | set(hooks.channels()))


def _value_word(field: str, code: str) -> str:
    from gongdan.admin.labels import channel_label, priority_label, status_label

    return {"status": status_label, "priority": priority_label, "channel": channel_label}[field](code)


def _parts(value: Any) -> list[str]:
    items = value if isinstance(value, list) else str(value).replace("，", ",").split(",")
    return [str(part).strip() for part in items if str(part).strip()]


def value_in_words(field: str, value: Any) -> str:
    """A condition's stored value as the builder shows it: statuses, priorities and channels in
    words (`resolved` → 已解决), several comma-separated; other fields as stored."""
    if value is None:
        return ""
    if field not in WORDED_VALUES:
        return ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    return ", ".join(_value_word(field, part) for part in _parts(value))


def value_from_words(field: str, value: str) -> str:
    """What the builder posted as the value the rule stores: words of statuses, priorities and
    channels (in either language, or the code itself) as their codes; other fields as typed."""
    if field not in WORDED_VALUES or not value.strip():
        return value
    from gongdan.event_kinds import PRIORITY_CODES, STATUS_CODES

    table = {"status": STATUS_CODES, "priority": PRIORITY_CODES}.get(field, {})
    known: dict[str, str] = {}
    for code in _value_codes(field):
        words = (code, _value_word(field, code), *table.get(code, ()))
        known.update({str(word).casefold(): code for word in words})
    return ",".join(known.get(part.casefold(), part) for part in _parts(value))


def _base() -> type:
    from gongdan.admin.base import ConsoleBaseView

    return ConsoleBaseView


def console_views() -> list[ConsoleView]:
    """Rules, macros and approvals pages."""
    base = _base()

    class RulesView(base):  # type: ignore[misc, valid-type]
        """Triggers, time rules and approval rules: list, builder, history and dry run."""

        plugin = engine.PLUGIN
        role = "supervisor"

        def _catalogue(self) -> dict[str, Any]:
            tenant = self.current_tenant()
            zh = _zh()
            return {
                "fields": field_words(tenant),
                "operators": [(k, v[0] if zh else v[1]) for k, v in OPERATORS.items()],
                "events": [(k, label_zh if zh else label_en) for k, label_zh, label_en in rules.events_offered(tenant)],
                "actions": [(a.name, a.label("zh" if zh else "en")) for a in actions.offered(tenant)],
                "roles": [r for r in ROLE_RANK if r != "agent"],
                "teams": [(str(t.id), t.name) for t in Team.of(tenant).order_by(Team.name)],
                "kinds": RULE_KINDS,
                "condition_rows": CONDITION_ROWS,
                "can_edit": has_role(self.current_user, "admin"),
                "offered": action_rows.catalogue(tenant),
                "value_words": value_in_words,
            }

        @expose("/")
        def index(self) -> Any:
            """Every rule by kind and position."""
            rows = list(Rule.of(self.current_tenant()).order_by(Rule.kind, Rule.position, Rule.id))
            catalogue = self._catalogue()
            labels = {"event_labels": dict(catalogue["events"]), "action_labels": dict(catalogue["actions"])}
            return self.render("automation/rules.html", rows=rows, **labels, **catalogue)

        @expose("/new/<kind>", methods=("GET", "POST"))
        def new(self, kind: str) -> Any:
            """The builder for a new rule of `kind`."""
            if kind not in RULE_KINDS:
                abort(404)
            return self._builder(None, kind)

        @expose("/<int:rule_id>/edit", methods=("GET", "POST"))
        def edit(self, rule_id: int) -> Any:
            """The builder for an existing rule."""
            rule = self._rule(rule_id)
            return self._builder(rule, rule.kind)

        def _rule(self, rule_id: int) -> Rule:
            try:
                return rules.get(self.current_tenant(), rule_id)
            except GongdanError:
                abort(404)

        def _builder(self, rule: Rule | None, kind: str) -> Any:
            errors: dict[str, list[str]] = {}
            values = (
                rules.as_dict(rule)
                if rule
                else {
                    "kind": kind,
                    "active": True,
                    "match": "all",
                    "position": 100,
                    "conditions": [],
                    "actions": [],
                    "expires_hours": 24,
                    "approver_role": "supervisor",
                    "event": "",
                    "action": "",
                }
            )
            if request.method == "POST":
                if not has_role(self.current_user, "admin"):
                    abort(403)
                tenant = self.current_tenant()
                try:
                    data = rule_from_form(tenant, request.form)
                    saved = rules.update(tenant, rule, data) if rule else rules.create(tenant, kind, data)
                    flash(gettext("Rule saved."), "success")
                    return redirect(self.get_url(".history", rule_id=saved.id))
                except ValidationError as exc:
                    errors = action_rows.errors_of(exc)
                    values = {**values, **{k: v for k, v in request.form.items()}}
            steps = (
                action_rows.posted(self.current_tenant(), request.form)[1]
                if request.method == "POST"
                else action_rows.stored_rows(values.get("actions"))
            )
            page = self.render(
                "automation/rule_form.html",
                rule=rule,
                kind=kind,
                values=values,
                steps=steps,
                errors=errors,
                form=request.form if request.method == "POST" else None,
                **self._catalogue(),
            )
            return (page, 422) if errors else page

        @expose("/<int:rule_id>/switch", methods=("POST",))
        def switch(self, rule_id: int) -> Any:
            """Turn a rule on or off, or move it (`position`)."""
            if not has_role(self.current_user, "admin"):
                abort(403)
            rule = self._rule(rule_id)
            change: dict[str, Any] = {}
            if "active" in request.form:
                change["active"] = request.form["active"] == "1"
            position = request.form.get("position", "").strip()
            if position:
                if not position.lstrip("-").isdigit():
                    flash(gettext("Not done: %(why)s", why=gettext("the position must be a whole number")), "danger")
                    return redirect(self.get_url(".index"))
                change["position"] = int(position)
            rules.update(self.current_tenant(), rule, change)
            return redirect(self.get_url(".index"))

        @expose("/order/<kind>", methods=("POST",))
        def order(self, kind: str) -> Any:
            """A new order of one kind's rules (drag and drop): `ids` first to last."""
            if not has_role(self.current_user, "admin"):
                abort(403)
            return _ordered(lambda: ordering.reorder_rules(self.current_tenant(), kind, request.form.get("ids", "")))

        @expose("/<int:rule_id>/move", methods=("POST",))
        def move(self, rule_id: int) -> Any:
            """One rule up or down (the keyboard's and no-script way)."""
            if not has_role(self.current_user, "admin"):
                abort(403)
            rule = self._rule(rule_id)
            direction = request.form.get("direction", "")
            return _ordered(
                lambda: ordering.move_rule(self.current_tenant(), rule, direction),
                self.get_url(".index", _anchor=f"rule-{rule.id}"),
            )

        @expose("/<int:rule_id>", methods=("GET", "POST"))
        def history(self, rule_id: int) -> Any:
            """The rule, its last firings, and a dry run against a ticket number."""
            tenant = self.current_tenant()
            rule = self._rule(rule_id)
            runs = list(RuleRun.of(tenant).where(RuleRun.rule == rule.id).order_by(RuleRun.id.desc()).limit(50))
            trial, status = None, 200
            if request.method == "POST":
                number = request.form.get("ticket_number", "").strip().lstrip("#")
                ticket = Ticket.of(tenant).where(Ticket.number == int(number)).first() if number.isdigit() else None
                if ticket is None:
                    flash(gettext("Not done: %(why)s", why=gettext("no such ticket")), "danger")
                    status = 422
                else:
                    trial = engine.dry_run(tenant, rule, ticket)
            numbers = {t.id: t.number for t in Ticket.of(tenant).where(Ticket.id.in_([r.ticket_id for r in runs]))}
            outcomes = {code: pair[0] if _zh() else pair[1] for code, pair in OUTCOME_CODES.items()}
            page = self.render(
                "automation/rule_history.html",
                rule=rule,
                runs=runs,
                trial=trial,
                numbers=numbers,
                outcome_words=outcomes,
                **self._catalogue(),
            )
            return page, status

    class MacrosView(base):  # type: ignore[misc, valid-type]
        """Macros: the caller's and the shared ones; create and edit; apply from the ticket page."""

        plugin = engine.PLUGIN
        role = "agent"

        @expose("/", methods=("GET", "POST"))
        def index(self) -> Any:
            """The list, and a form for a new macro (or the one being edited: `?id=`)."""
            tenant, user = self.current_tenant(), self.current_user
            editing = None
            if request.args.get("id"):
                try:
                    editing = macros.get(tenant, request.args["id"], user)
                except GongdanError:
                    abort(404)
            errors: dict[str, list[str]] = {}
            shown = action_rows.stored_rows(editing.actions if editing else [])
            if request.method == "POST":
                form = request.form
                steps, shown = action_rows.posted(tenant, form)
                data = {
                    "name": form.get("name", ""),
                    "body_zh": form.get("body_zh", ""),
                    "body_en": form.get("body_en", ""),
                    "shared": form.get("shared") == "1",
                    "actions": steps,
                }
                try:
                    macros.save(tenant, user, data, editing)
                    flash(gettext("Macro saved."), "success")
                    return redirect(self.get_url(".index"))
                except GongdanError as exc:
                    errors = action_rows.errors_of(exc)
            page = self.render(
                "automation/macros.html",
                items=macros.visible(tenant, user),
                editing=editing,
                errors=errors,
                offered=action_rows.catalogue(tenant),
                steps=shown,
                form=request.form if request.method == "POST" else None,
                can_share=has_role(user, "supervisor"),
                placeholders=macros.PLACEHOLDERS,
            )
            return (page, 422) if errors else page

        @expose("/order", methods=("POST",))
        def order(self) -> Any:
            """A new order of the macros (drag and drop): `ids` first to last."""
            if not has_role(self.current_user, "supervisor"):
                abort(403)
            return _ordered(lambda: ordering.reorder_macros(self.current_tenant(), request.form.get("ids", "")))

        @expose("/<int:macro_id>/move", methods=("POST",))
        def move(self, macro_id: int) -> Any:
            """One macro up or down among those the user sees (the keyboard's and no-script way)."""
            if not has_role(self.current_user, "supervisor"):
                abort(403)
            tenant, user = self.current_tenant(), self.current_user
            seen = [m.id for m in macros.visible(tenant, user)]
            direction = request.form.get("direction", "")
            return _ordered(
                lambda: ordering.move_macro(tenant, seen, macro_id, direction),
                self.get_url(".index", _anchor=f"macro-{macro_id}"),
            )

        @expose("/apply", methods=("POST",))
        def apply(self) -> Any:
            """Apply a macro to a ticket: run its actions and put its text into the ticket page's reply box."""
            tenant, user = self.current_tenant(), self.current_user
            ticket_id = request.form.get("ticket_id", "")
            try:
                ticket = tickets.get(tenant, ticket_id, Actor.of(user))
            except GongdanError:
                abort(404)
            try:
                macro = macros.get(tenant, request.form.get("macro_id", ""), user)
                applied = macros.apply(tenant, macro, ticket, user, "zh" if _zh() else "en")
                drafts = session.get(DRAFT_KEY, {})
                drafts[str(ticket.id)] = applied["body"]
                session[DRAFT_KEY] = drafts
                flash(gettext("Macro applied: edit the reply below and send it."), "success")
            except GongdanError as exc:
                flash(gettext("Not done: %(why)s", why=action_rows.sentence(exc)), "danger")
            return redirect(url_for("tickets.ticket", ticket_id=ticket.id))

    class ApprovalsView(base):  # type: ignore[misc, valid-type]
        """Approvals: pending ones to decide, and the recent decisions."""

        plugin = engine.PLUGIN
        role = "agent"

        @expose("/")
        def index(self) -> Any:
            """Pending approvals first, then the last decided."""
            tenant = self.current_tenant()
            approvals.expire_due(tenant)
            pending = list(Approval.of(tenant).where(Approval.status == "pending").order_by(Approval.id))
            decided = list(
                Approval.of(tenant).where(Approval.status != "pending").order_by(Approval.id.desc()).limit(50)
            )
            return self.render(
                "automation/approvals.html",
                pending=pending,
                decided=decided,
                may_decide=lambda a: approvals.may_decide(self.current_user, a),
                label=lambda name: _action_label(tenant, name),
                inputs=lambda a: inputs_in_words(tenant, a),
                asker=lambda a: approvals.person(a.requested_label, a.requested_by, "zh" if _zh() else "en"),
            )

        @expose("/<int:approval_id>/decide", methods=("POST",))
        def decide(self, approval_id: int) -> Any:
            """Approve or reject with a reason; back to where the form was."""
            approve = request.form.get("decision") == "approve"
            try:
                done = approvals.decide(
                    self.current_tenant(),
                    approval_id,
                    self.current_user,
                    approve,
                    request.form.get("reason", "").strip(),
                )
                if done.status == "approved":
                    flash(gettext("Approved: the action ran."), "success")
                elif done.status == "failed":
                    why = action_rows.message_words(done.result.get("error", ""))
                    flash(gettext("Approved, but the action failed: %(why)s", why=why), "danger")
                else:
                    flash(gettext("Rejected."), "info")
            except Conflict:
                flash(gettext("Not done: this approval was already decided or has expired."), "warning")
            except GongdanError as exc:
                flash(gettext("Not done: %(why)s", why=action_rows.sentence(exc)), "danger")
            target = request.args.get("next", "")
            return redirect(target if target.startswith("/console/") else self.get_url(".index"))

    class WebhooksView(base):  # type: ignore[misc, valid-type]
        """Webhook subscriptions (create, on/off) and the delivery log with replay."""

        plugin = engine.PLUGIN
        role = "admin"

        @expose("/", methods=("GET", "POST"))
        def index(self) -> Any:
            """Subscriptions, a form for a new one, and the last deliveries."""
            tenant = self.current_tenant()
            errors: dict[str, list[str]] = {}
            if request.method == "POST":
                posted = ",".join(request.form.getlist("kinds")).replace("，", ",")
                kinds = [k.strip() for k in posted.split(",") if k.strip()]
                try:
                    url = request.form.get("url", "").strip()
                    _, secret = webhooks.subscribe(tenant, url, kinds, actor=Actor.of(self.current_user))
                    held = pending_secrets.hold(self.current_user, HELD_PURPOSE, secret, HELD_SECONDS)
                    session[HELD_KEY] = held
                    return redirect(self.get_url(".index"))
                except GongdanError as exc:
                    errors = action_rows.errors_of(exc)
            new_secret = pending_secrets.take(self.current_user, HELD_PURPOSE, session.pop(HELD_KEY, None))
            subs = list(Subscription.of(tenant).order_by(Subscription.id))
            log = list(WebhookDelivery.of(tenant).order_by(WebhookDelivery.id.desc()).limit(100))
            zh = _zh()
            offered = [
                (kind, label_zh if zh else label_en) for kind, label_zh, label_en in webhooks.kinds_offered(tenant)
            ]
            page = self.render(
                "automation/webhooks.html",
                subs=subs,
                log=log,
                errors=errors,
                offered=offered,
                kind_words=dict(offered),
                error_words=_delivery_error,
                checked=request.form.getlist("kinds") if request.method == "POST" else [],
                url=request.form.get("url", "") if request.method == "POST" else "",
                new_secret=new_secret,
            )
            return (page, 422) if errors else (page, 200, {"Cache-Control": "no-store"})

        @expose("/<int:subscription_id>/switch", methods=("POST",))
        def switch(self, subscription_id: int) -> Any:
            """Turn a subscription on or off."""
            try:
                sub = webhooks.subscription(self.current_tenant(), subscription_id)
            except GongdanError:
                abort(404)
            active = request.form.get("active") == "1"
            webhooks.change(self.current_tenant(), sub, {"active": active}, Actor.of(self.current_user))
            return redirect(self.get_url(".index"))

        @expose("/deliveries/<int:delivery_id>/replay", methods=("POST",))
        def replay(self, delivery_id: int) -> Any:
            """Queue a delivery again."""
            try:
                webhooks.replay(self.current_tenant(), delivery_id)
                flash(gettext("Queued again."), "success")
            except GongdanError as exc:
                flash(gettext("Not done: %(why)s", why=action_rows.sentence(exc)), "danger")
            return redirect(self.get_url(".index"))

    static = {"static_folder": STATIC, "static_url_path": "/_static"}
    return [
        ConsoleView(
            RulesView(name=_l("Rules"), endpoint="automation_rules", url="/console/automation/rules", **static), MENU
        ),
        ConsoleView(
            WebhooksView(name=_l("Webhooks"), endpoint="automation_webhooks", url="/console/automation/webhooks"), MENU
        ),
        ConsoleView(
            MacrosView(name=_l("Macros"), endpoint="automation_macros", url="/console/automation/macros", **static),
            MENU,
        ),
        ConsoleView(
            ApprovalsView(name=_l("Approvals"), endpoint="automation_approvals", url="/console/automation/approvals"),
            MENU,
        ),
    ]
