"""Console views: the tenant's rules, agents' availability, and each agent's live load with the queue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import ValidationError as MarshmallowValidationError

from gongdan.actors import Actor
from gongdan.admin.base import ConsoleBaseView, has_role
from gongdan.admin.form_rows import FormErrors
from gongdan.contributions import ConsoleView
from gongdan.errors import GongdanError
from gongdan.hooks import assignment_strategies
from gongdan.models import User
from gongdan.validation import flatten_messages
from gongdan_assignment import availability, console_forms, rules
from gongdan_assignment.jobs import availability_changed
from gongdan_assignment.load import open_counts
from gongdan_assignment.models import STATUSES, AgentState
from gongdan_assignment.routing import PLUGIN, waiting_tickets
from gongdan_assignment.schemas import AvailabilitySchema, RulesSchema

MENU = _l("Assignment")


def _agents(tenant: Any) -> list[User]:
    query = User.of(tenant).where(User.role.in_(("agent", "supervisor")) & (User.is_active == True))  # noqa: E712
    return list(query.order_by(User.name, User.id))


class RulesView(ConsoleBaseView):
    """Edit the ordered rules and the default in a form, validated like the API."""

    role = "supervisor"
    plugin = PLUGIN

    @expose("/", methods=("GET", "POST"))
    def index(self) -> Any:
        """Show the rules as rows of inputs; a POST replaces them (errors beside each input)."""
        tenant = self.current_tenant()
        current = rules.rules_dict(tenant)
        shown = {
            "rules": [console_forms.rule_entry(rule) for rule in current["rules"]],
            "default": console_forms.rule_entry(current["default"]),
        }
        errors = FormErrors()
        strategies = assignment_strategies()
        if request.method == "POST":
            body, errors, shown = console_forms.rules_from_form(request.form)
            if not errors:
                try:
                    rules.save(tenant, RulesSchema().load(body), Actor.of(self.current_user), set(strategies))
                except MarshmallowValidationError as exc:
                    errors = self._placed(flatten_messages(exc.messages), len(shown["rules"]))
                except GongdanError as exc:
                    errors = self._placed(exc.fields or {"rules": [exc.message]}, len(shown["rules"]))
            if not errors:
                flash(_l("Rules saved; they apply to the next ticket."), "success")
                return redirect(url_for(".index"))
        page = self.render(
            "gongdan_assignment/rules.html",
            rules=shown["rules"],
            default=shown["default"],
            errors=errors,
            updated_at=datetime.fromisoformat(current["updated_at"]) if current["updated_at"] else None,
            **console_forms.rule_choices(tenant, strategies),
        )
        return (page, 422) if errors else page

    @staticmethod
    def _placed(fields: dict[str, list[str]], count: int) -> FormErrors:
        return console_forms.service_errors(fields, console_forms.rule_error_places(count), "r")


class AvailabilityView(ConsoleBaseView):
    """Agents' status and capacity: agents change their own, supervisors anyone's."""

    role = "agent"
    plugin = PLUGIN

    @expose("/")
    def index(self) -> Any:
        """Every agent's availability."""
        tenant = self.current_tenant()
        me = self.current_user
        rows = [
            availability.availability_dict(availability.state_of(tenant, user), tenant)
            for user in _agents(tenant)
            if user.id == me.id or has_role(current_user, "supervisor")
        ]
        return self.render(
            "gongdan_assignment/availability.html", rows=rows, statuses=STATUSES, me=me, days=console_forms.DAY_LABELS
        )

    @expose("/<int:agent_id>", methods=("POST",))
    def change(self, agent_id: int) -> Any:
        """Set one agent's status, capacity and weight."""
        tenant = self.current_tenant()
        user = availability.agent_of(tenant, agent_id)
        if user.id != self.current_user.id and not has_role(current_user, "supervisor"):
            abort(403)
        form = {key: request.form[key] for key in ("status", "capacity", "weight") if request.form.get(key)}
        try:
            payload = AvailabilitySchema().load(form)
        except MarshmallowValidationError as exc:
            for field, messages in flatten_messages(exc.messages).items():
                label = console_forms.AVAILABILITY_LABELS.get(field, "")
                flash(f"{label}: {'; '.join(console_forms.worded(m) for m in messages)}", "error")
            return redirect(url_for(".index"))
        state, changes = availability.update(tenant, user, payload, Actor.of(self.current_user))
        if changes:
            availability_changed(tenant, state)
        flash(_l("Availability saved."), "success")
        return redirect(url_for(".index"))

    @expose("/<int:agent_id>/schedule", methods=("GET", "POST"))
    def schedule(self, agent_id: int) -> Any:
        """One agent's weekly shifts and leave in a form: agents their own, supervisors anyone's."""
        tenant = self.current_tenant()
        user = availability.agent_of(tenant, agent_id)
        if user.id != self.current_user.id and not has_role(current_user, "supervisor"):
            abort(403)
        state = availability.state_of(tenant, user)
        shown = console_forms.schedule_entry(availability.availability_dict(state, tenant))
        errors = FormErrors()
        if request.method == "POST":
            body, errors, shown = console_forms.schedule_from_form(request.form)
            if not errors:
                try:
                    payload = AvailabilitySchema().load(body)
                    state, changes = availability.update(tenant, user, payload, Actor.of(self.current_user))
                except MarshmallowValidationError as exc:
                    fields = flatten_messages(exc.messages)
                    errors = console_forms.service_errors(fields, console_forms.SCHEDULE_PLACES, "s")
                except GongdanError as exc:
                    fields = exc.fields or {"shifts": [exc.message]}
                    errors = console_forms.service_errors(fields, console_forms.SCHEDULE_PLACES, "s")
                else:
                    if changes:
                        availability_changed(tenant, state)
                    flash(_l("Shifts and leave saved."), "success")
                    return redirect(url_for(".schedule", agent_id=user.id))
        page = self.render(
            "gongdan_assignment/schedule.html",
            agent=user,
            entry=shown,
            errors=errors,
            days=console_forms.DAY_LABELS,
            colleagues=console_forms.colleagues(tenant, user),
        )
        return (page, 422) if errors else page


def load_percent(held: int, capacity: int) -> int:
    """The bar's width: share of capacity in use, at most 100; an agent with no capacity and
    no tickets (offline) shows an empty bar, not a full red one."""
    if not capacity:
        return 100 if held else 0
    return min(100, round(100 * held / capacity))


class LoadView(ConsoleBaseView):
    """Each agent's live load (open tickets / capacity) and the waiting queue."""

    role = "supervisor"
    plugin = PLUGIN

    @expose("/")
    def index(self) -> Any:
        """Load per agent, fullest first, then the queue, most urgent first."""
        tenant = self.current_tenant()
        states = {s.user_id: s for s in AgentState.of(tenant)}
        counts = open_counts(tenant)
        rows = []
        for user in _agents(tenant):
            held = counts.get(user.id, 0)
            state = states.get(user.id)
            capacity = state.capacity if state else 0
            rows.append(
                {
                    "user": user,
                    "status": state.status if state else "offline",
                    "open": held,
                    "capacity": capacity,
                    "percent": load_percent(held, capacity),
                    "over": held > capacity,
                    "available": availability.is_available(state, tenant) if state else False,
                }
            )
        rows.sort(key=lambda r: (-r["percent"], r["user"].id))
        queue = list(waiting_tickets(tenant).limit(50))
        return self.render("gongdan_assignment/load.html", rows=rows, queue=queue)


def console_views() -> list[ConsoleView]:
    """The plugin's console pages, built fresh for each app."""
    return [
        ConsoleView(view=LoadView(name=_l("Live load"), endpoint="assignment_load"), menu=MENU),
        ConsoleView(view=AvailabilityView(name=_l("Availability"), endpoint="assignment_availability"), menu=MENU),
        ConsoleView(view=RulesView(name=_l("Assignment rules"), endpoint="assignment_rules"), menu=MENU),
    ]
