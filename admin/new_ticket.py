"""A new ticket from the console (a phone call, a walk-in) with a customer lookup.

The lookup finds the tenant's customers by name, or by an exact e-mail or phone (through
`gongdan.customers`), and shows them masked; choosing one sends only its id. The ticket is
created by the ticket service, so validation and messages are the API's.
"""

from __future__ import annotations

from typing import Any

from flask import flash, jsonify, redirect, request
from flask_admin import expose
from flask_babel import gettext

from gongdan import customers, masking, tickets
from gongdan.actors import Actor
from gongdan.admin.errors import error_text
from gongdan.admin.settings_form import console_message
from gongdan.errors import GongdanError, ValidationError
from gongdan.models import PRIORITIES, Category, Customer

LOOKUP_LIMIT = 10
CONSOLE_CHANNELS = ("phone", "web", "email", "api")


def lookup(tenant: Any, term: str) -> list[dict[str, Any]]:
    """At most ten customers for `term`: an exact e-mail or phone, else names containing it; masked."""
    term = term.strip()
    if not term:
        return []
    exact = customers.exact_condition(term)
    condition = exact if exact is not None else Customer.name.contains(term)
    found = Customer.of(tenant).where(condition).order_by(Customer.name, Customer.id).limit(LOOKUP_LIMIT)
    return [masking.customer_dict(customer) for customer in found]


def _payload(form: Any) -> dict[str, Any]:
    """The create payload from the form: the chosen customer's id, or a new customer's fields."""
    payload: dict[str, Any] = {
        "subject": form.get("subject", ""),
        "description": form.get("description", ""),
        "channel": form.get("channel") or "phone",
        "priority": form.get("priority") or "normal",
    }
    if form.get("category"):
        payload["category"] = form["category"]
    if form.get("customer_id"):
        payload["customer"] = {"id": form["customer_id"]}
    else:
        fresh = {key: form.get(f"customer_{key}", "").strip() for key in ("name", "email", "phone")}
        if any(fresh.values()):
            payload["customer"] = {key: value or None for key, value in fresh.items()} | {"name": fresh["name"]}
    return payload


class NewTicketMixin:
    """`/console/tickets/new` (the form and its POST) and `/console/tickets/customers?q=` (the lookup)."""

    @expose("/new", methods=["GET", "POST"])
    def new_ticket(self) -> Any:
        """The form; a POST creates the ticket and opens it, or shows the form again with the errors."""
        tenant = self.current_tenant()  # type: ignore[attr-defined]
        errors: dict[str, list[str]] = {}
        if request.method == "POST":
            try:
                ticket, _ = tickets.create(tenant, _payload(request.form), Actor.of(self.current_user))  # type: ignore[attr-defined]
            except ValidationError as exc:
                errors = {key: [console_message(str(m)) for m in why] for key, why in (exc.fields or {}).items()}
                flash(gettext("The ticket was not created: correct the fields marked below."), "danger")
            except GongdanError as exc:
                flash(gettext("Not done: %(why)s", why=error_text(exc)), "danger")
            else:
                flash(gettext("Ticket #%(number)s created.", number=ticket.number), "success")
                return redirect(self.get_url(".ticket", ticket_id=ticket.id))  # type: ignore[attr-defined]
        chosen = request.form.get("customer_id", "")
        return self.render(  # type: ignore[attr-defined]
            "console/new_ticket.html",
            form=request.form,
            errors=errors,
            chosen=lookup_one(tenant, chosen),
            priorities=PRIORITIES,
            channels=CONSOLE_CHANNELS,
            categories=list(Category.of(tenant).order_by(Category.path)),
        ), (422 if errors else 200)

    @expose("/customers")
    def customer_lookup(self) -> Any:
        """JSON: the customers matching `?q=`, masked (for the form's lookup)."""
        return jsonify({"items": lookup(self.current_tenant(), request.args.get("q", ""))})  # type: ignore[attr-defined]


def lookup_one(tenant: Any, customer_id: str) -> dict[str, Any] | None:
    """The chosen customer, masked, to show again after a refused POST (None: none chosen)."""
    if not customer_id:
        return None
    try:
        return masking.customer_dict(customers.get(tenant, customer_id))
    except GongdanError:
        return None
