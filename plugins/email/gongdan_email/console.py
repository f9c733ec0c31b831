"""Console pages: mailboxes (form, status, test connection, fetch now), quarantine, originals,
and the ticket page's panel listing its mail."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from gongdan import permissions, tickets
from gongdan.actors import Actor
from gongdan.contributions import ConsoleView
from gongdan.errors import GongdanError, ValidationError
from gongdan.models import Team, Tenant, Ticket

from . import fetch, ingest, mailboxes, send
from .models import SECURITIES, EmailMessage, EmailQuarantine, Mailbox
from .settings import PLUGIN, settings_of

MENU = _l("Mail")
FORM_FIELDS = (
    "address",
    "imap_host",
    "imap_port",
    "imap_security",
    "imap_folder",
    "username",
    "password",
    "smtp_host",
    "smtp_port",
    "smtp_security",
    "smtp_username",
    "smtp_password",
    "team",
)
NUMBERS = ("imap_port", "smtp_port")


def _form_data(form: Any) -> dict[str, Any]:
    """The form's fields as the mailbox service takes them (empty numbers: the default port)."""
    data: dict[str, Any] = {}
    for name in FORM_FIELDS:
        value = form.get(name, "").strip()
        if name in NUMBERS or name == "team":
            data[name] = value or None
        elif value or name not in ("password", "smtp_password"):
            data[name] = value
    data["active"] = form.get("active") == "on"
    return data


def ticket_panel(tenant: Tenant, ticket: Ticket) -> str:
    """The ticket's mail: direction, sender, subject, time, a link to each received original."""
    rows = ingest.ticket_messages(tenant, ticket)
    if not rows:
        return ""
    items = Markup("").join(
        Markup('<tr><td>{}</td><td>{}</td><td>{}</td><td class="small">{}</td><td>{}</td></tr>').format(
            "←" if row.direction == "in" else "→",
            row.sender,
            row.subject,
            row.at.strftime("%Y-%m-%d %H:%M") if row.at else "",
            Markup('<a href="{}">{}</a>').format(url_for("email_messages.raw", message_id=row.id), gettext("original"))
            if row.direction == "in"
            else "",
        )
        for row in rows
    )
    return str(Markup('<table class="table table-sm small email-panel">{}</table>').format(items))


def _base() -> type:
    from gongdan.admin.base import ConsoleBaseView

    return ConsoleBaseView


def _eml(raw: bytes, name: str) -> Response:
    response = Response(bytes(raw), mimetype="message/rfc822")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.eml"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def console_views() -> list[ConsoleView]:
    """Mailboxes (admins), quarantine (supervisors), originals (agents, reached from tickets)."""
    base = _base()

    class MailboxesView(base):
        """The tenant's mailboxes: add and edit them, see how fetching goes, test them."""

        plugin = PLUGIN
        role = "admin"

        def _mailbox(self, mailbox_id: int) -> Mailbox:
            try:
                return mailboxes.get(self.current_tenant(), mailbox_id)
            except GongdanError:
                abort(404)

        @expose("/")
        def index(self) -> Any:
            """Every mailbox with its last fetch, error and backlog."""
            rows = list(Mailbox.of(self.current_tenant()).order_by(Mailbox.id))
            return self.render("email/mailboxes.html", mailboxes=rows)

        def _form(self, mailbox: Mailbox | None, values: dict[str, Any], errors: dict[str, list[str]]) -> Any:
            teams = list(Team.of(self.current_tenant()).order_by(Team.name))
            page = self.render(
                "email/mailbox_form.html",
                mailbox=mailbox,
                values=values,
                errors=errors,
                teams=teams,
                securities=SECURITIES,
                settings=settings_of(self.current_tenant()),
            )
            return (page, 422) if errors else page

        @expose("/new", methods=("GET", "POST"))
        def new(self) -> Any:
            """Add a mailbox."""
            values: dict[str, Any] = {"imap_security": "ssl", "smtp_security": "ssl", "imap_folder": "INBOX"}
            if request.method == "POST":
                values = _form_data(request.form)
                try:
                    mailboxes.create(self.current_tenant(), values, Actor.of(self.current_user))
                except ValidationError as exc:
                    return self._form(None, values, exc.fields or {"_schema": [exc.message]})
                flash(gettext("Mailbox added."))
                return redirect(self.get_url(".index"))
            return self._form(None, values | {"active": True}, {})

        @expose("/<int:mailbox_id>/edit", methods=("GET", "POST"))
        def edit(self, mailbox_id: int) -> Any:
            """Change a mailbox (passwords left empty are kept)."""
            mailbox = self._mailbox(mailbox_id)
            values = mailboxes.as_dict(mailbox)
            if request.method == "POST":
                values = _form_data(request.form)
                try:
                    mailboxes.update(self.current_tenant(), mailbox, values, Actor.of(self.current_user))
                except ValidationError as exc:
                    return self._form(mailbox, values, exc.fields or {"_schema": [exc.message]})
                flash(gettext("Mailbox saved."))
                return redirect(self.get_url(".index"))
            return self._form(mailbox, values, {})

        @expose("/<int:mailbox_id>/test", methods=("POST",))
        def test(self, mailbox_id: int) -> Any:
            """Sign in to IMAP and SMTP without fetching or sending; flash both answers."""
            mailbox = self._mailbox(mailbox_id)
            for label, (ok, what) in (("IMAP", fetch.check(mailbox)), ("SMTP", send.check(mailbox))):
                flash(
                    f"{label}: {gettext('works') if ok else gettext('fails')} — {what}", "success" if ok else "danger"
                )
            return redirect(self.get_url(".index"))

        @expose("/<int:mailbox_id>/fetch", methods=("POST",))
        def fetch_now(self, mailbox_id: int) -> Any:
            """Fetch this mailbox now."""
            run = fetch.fetch_mailbox(self._mailbox(mailbox_id).id)
            flash(run.summary(), "danger" if run.error else "success")
            return redirect(self.get_url(".index"))

        @expose("/<int:mailbox_id>/delete", methods=("POST",))
        def delete(self, mailbox_id: int) -> Any:
            """Remove a mailbox (its messages stay on their tickets)."""
            mailboxes.delete(self.current_tenant(), self._mailbox(mailbox_id), Actor.of(self.current_user))
            flash(gettext("Mailbox removed."))
            return redirect(self.get_url(".index"))

    class QuarantineView(base):
        """Messages that could not become tickets: the reason, the original; retry or discard."""

        plugin = PLUGIN
        role = "supervisor"

        def _entry(self, entry_id: int) -> EmailQuarantine:
            entry = EmailQuarantine.of(self.current_tenant()).where(EmailQuarantine.id == entry_id).first()
            if entry is None:
                abort(404)
            return entry

        @expose("/")
        def index(self) -> Any:
            """Open (or resolved, or discarded) quarantined messages."""
            status = request.args.get("status", "open")
            status = status if status in ("open", "resolved", "discarded") else "open"
            fields = [f for f in EmailQuarantine._meta.sorted_fields if f.name != "raw"]
            entries = (
                EmailQuarantine.select(*fields)
                .where((EmailQuarantine.tenant == self.current_tenant()) & (EmailQuarantine.status == status))
                .order_by(EmailQuarantine.id.desc())
                .limit(200)
            )
            return self.render("email/quarantine.html", entries=list(entries), status=status)

        @expose("/<int:entry_id>/retry", methods=("POST",))
        def retry(self, entry_id: int) -> Any:
            """Try the message again."""
            entry = self._entry(entry_id)
            result = ingest.retry(entry, settings_of(self.current_tenant())["reopen_days"])
            if result.outcome == "quarantined":
                flash(gettext("Still not possible: %(why)s", why=result.reason), "warning")
            else:
                flash(gettext("Done: %(outcome)s", outcome=result.outcome))
            return redirect(self.get_url(".index"))

        @expose("/<int:entry_id>/discard", methods=("POST",))
        def discard(self, entry_id: int) -> Any:
            """Give up on the message."""
            ingest.discard(self._entry(entry_id))
            flash(gettext("Discarded."))
            return redirect(self.get_url(".index"))

        @expose("/<int:entry_id>/raw")
        def raw(self, entry_id: int) -> Any:
            """The message as it arrived."""
            return _eml(self._entry(entry_id).raw, f"quarantine-{entry_id}")

    from gongdan.admin.base import TicketPageView

    class MessagesView(TicketPageView):
        """The originals of received mail, linked from the ticket page."""

        plugin = PLUGIN
        role = "agent"

        @expose("/<int:message_id>/raw")
        def raw(self, message_id: int) -> Any:
            """The received message as it arrived (download)."""
            tenant = self.current_tenant()
            row = EmailMessage.of(tenant).where(EmailMessage.id == message_id).first()
            if row is None or row.raw is None:
                abort(404)
            actor = Actor.of(self.current_user)
            if row.ticket_id is not None:
                tickets.get(tenant, row.ticket_id, actor)  # a ticket the reader may not see: 404
            elif not permissions.has_role(actor.user, "supervisor"):
                abort(404)  # mail that made no ticket is read where the quarantine is: supervisors
            return _eml(row.raw, f"message-{message_id}")

    return [
        ConsoleView(
            view=MailboxesView(name=_l("Mailboxes"), endpoint="email_mailboxes", url="/console/email-mailboxes"),
            menu=MENU,
        ),
        ConsoleView(
            view=QuarantineView(name=_l("Quarantine"), endpoint="email_quarantine", url="/console/email-quarantine"),
            menu=MENU,
        ),
        ConsoleView(
            view=MessagesView(name=_l("Originals"), endpoint="email_messages", url="/console/email-messages"),
            menu=MENU,
        ),
    ]
