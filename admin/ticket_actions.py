"""The ticket page's actions section: every available `TicketAction` as a form built from its inputs.

Mixed into `TicketsView`; the template `console/ticket_actions.html` asks
`admin_view.action_forms(ticket)` for the forms and posts each to `run_action`, which turns
the form into inputs and runs the action through `gongdan.actions.run` (source `console`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import flash, redirect, request
from flask_admin import expose
from flask_babel import get_locale, gettext

from gongdan import actions
from gongdan.actors import Actor
from gongdan.admin.errors import flash_error
from gongdan.admin.labels import choice_words
from gongdan.contributions import TicketAction
from gongdan.errors import GongdanError
from gongdan.models import Ticket

TRUE = ("1", "on", "true", "yes")


@dataclass(frozen=True)
class ActionForm:
    """One action as the page shows it: its label, its inputs (labelled) and its confirmation."""

    name: str
    label: str
    needs_confirmation: bool
    inputs: list[dict[str, Any]]


def _zh() -> bool:
    return str(get_locale() or "en").startswith("zh")


def labelled_inputs(tenant: Any, ticket: Ticket | None, action: TicketAction) -> list[dict[str, Any]]:
    """The action's inputs (`gongdan.actions.inputs_of`) with `label` in the console's language and
    words, not codes, in their choices (statuses, priorities…): what a console form shows."""
    zh = _zh()
    return [
        {**field, "label": field["label_zh"] if zh else field["label_en"], "choices": choice_words(field["choices"])}
        for field in actions.inputs_of(tenant, ticket, action)
    ]


def action_forms_for(tenant: Any, ticket: Ticket, actor: Actor) -> list[ActionForm]:
    """The forms of the actions `actor` may run on `ticket` now, labelled in the console's language."""
    zh = _zh()
    return [
        ActionForm(
            action.name,
            action.label("zh" if zh else "en"),
            action.needs_confirmation,
            labelled_inputs(tenant, ticket, action),
        )
        for action in actions.available(tenant, ticket, actor)
    ]


def form_inputs(fields: list[dict[str, Any]], form: Any) -> dict[str, Any]:
    """A posted form as the action's inputs: lists split on commas, empty optional values left out.

    Values are passed as typed (an integer field keeps a non-number so the schema names it).
    """
    inputs: dict[str, Any] = {}
    for field in fields:
        name, kind = field["name"], field["kind"]
        if kind == "boolean":
            inputs[name] = form.get(name, "").lower() in TRUE
            continue
        raw = form.get(name, "").strip()
        if kind == "list":
            inputs[name] = [part.strip() for part in raw.replace("，", ",").split(",") if part.strip()]
        elif raw == "":
            if field["allow_none"]:
                inputs[name] = None
            elif field["required"]:
                inputs[name] = raw
        elif kind == "integer" and raw.lstrip("-").isdigit():
            inputs[name] = int(raw)
        else:
            inputs[name] = raw
    return inputs


class TicketActionsMixin:
    """The ticket page's actions: `action_forms` for the template, `run_action` for the posts."""

    def action_forms(self, ticket: Ticket) -> list[ActionForm]:
        """The available actions' forms (called by the template)."""
        return action_forms_for(self.current_tenant(), ticket, Actor.of(self.current_user))  # type: ignore[attr-defined]

    @expose("/<int:ticket_id>/actions/<action_name>", methods=["POST"])
    def run_action(self, ticket_id: int, action_name: str) -> Any:
        """Run one action from its form; the result (or why not) is flashed on the ticket page."""
        tenant, ticket = self.current_tenant(), self._ticket(ticket_id)  # type: ignore[attr-defined]
        try:
            action: TicketAction = actions.find(tenant, action_name)
            inputs = form_inputs(actions.inputs_of(tenant, ticket, action), request.form)
            actions.run(tenant, ticket, action_name, inputs, Actor.of(self.current_user), source="console")  # type: ignore[attr-defined]
            flash(gettext("Done: %(action)s.", action=action.label("zh" if _zh() else "en")), "success")
        except GongdanError as exc:
            flash_error(exc)
        return redirect(self.get_url(".ticket", ticket_id=ticket_id))  # type: ignore[attr-defined]
