"""Console pages (shops and their sync state, quarantine) and the ticket panel with actions.

Every action asks for confirmation (a checkbox the server checks, and a browser prompt),
runs as a ticket action (`gongdan.actions`, so approval rules apply), and records the outcome
as ticket events.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, time, timedelta
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from gongdan import actions as ticket_actions
from gongdan import attachments, clock, permissions, tickets
from gongdan.actors import Actor
from gongdan.api.attachments import send_bytes
from gongdan.contributions import ConsoleView, TicketPanel
from gongdan.errors import GongdanError
from gongdan.models import Tenant, Ticket
from gongdan_pdd_connector import actions, errors, evidence, mapping, protocol, shops, sync
from gongdan_pdd_connector.client import GatewayError
from gongdan_pdd_connector.models import PddQuarantine, PddRefund, PddShop
from gongdan_pdd_connector.store import PLUGIN

MENU = _l("Pinduoduo")


def _date(value: datetime | None) -> str:
    return value.astimezone(mapping.CHINA_TZ).strftime("%Y-%m-%d %H:%M") if value else "—"


def ticket_panel(tenant: Tenant, ticket: Ticket, user: Any) -> TicketPanel | None:
    """The after-sales record, and forms for the actions, on a Pinduoduo ticket's page."""
    refund = PddRefund.get_or_none((PddRefund.tenant == tenant) & (PddRefund.ticket == ticket))
    if refund is None:
        return None
    record = refund.record
    base = f"/console/pdd-actions/{ticket.id}"
    rows = [
        (gettext("Shop"), refund.shop.owner_name or refund.shop.owner_id),
        (gettext("After-sales id"), refund.after_sales_id),
        (gettext("Order"), refund.order_sn),
        (gettext("Type"), mapping.KIND_LABELS.get(refund.kind, refund.kind)),
        (gettext("Status"), mapping.STATUS_LABELS.get(refund.status, str(refund.status))),
        (gettext("Refund"), f"¥{record.get('refund_amount') or '—'}"),
        (gettext("Reason"), record.get("reason") or "—"),
        (gettext("Buyer's words"), record.get("remark") or "—"),
        (gettext("Deadline"), _date(refund.expire_time)),
    ]
    table = Markup("").join(Markup("<tr><th>{}</th><td>{}</td></tr>").format(k, v) for k, v in rows)
    images = Markup('<span class="attachments">{}</span>').format(
        Markup(" ").join(
            Markup(
                '<a href="{0}/evidence/{1}" target="_blank" rel="noopener" class="attachment-thumb">'
                '<img src="{0}/evidence/{1}?thumbnail=1" alt="{2}" loading="lazy"></a>'
            ).format(base, i, gettext("image %(n)s", n=i + 1))
            for i in range(len(record.get("images") or []))
        )
    )
    confirm = Markup(
        '<label class="small mr-2"><input type="checkbox" name="confirm" value="yes" required> {}</label>'
    ).format(gettext("I confirm"))

    def form(action: str, label: str, question: str, extra: Markup | None = None) -> Markup:
        # the console's script asks the question (data-confirm); no text goes into JavaScript
        return Markup(
            '<form method="post" action="{}/{}" class="form-inline mb-2 pdd-action" data-confirm="{}">'
            '<input type="hidden" name="csrf_token" value="{}">{}{}'
            '<button type="submit" class="btn btn-sm btn-outline-primary">{}</button></form>'
        ).format(base, action, question, _csrf(), extra or "", confirm, label)

    forms = Markup("")
    if refund.status in protocol.REFUND_AGREEABLE:
        forms += form("agree-refund", gettext("Agree to the refund"), gettext("Agree to this refund on Pinduoduo?"))
        if refund.status in protocol.RETURN_AGREEABLE:
            address = Markup(
                '<input name="address_id" class="form-control form-control-sm mr-2" required size="14" '
                'placeholder="{}">'
            ).format(gettext("address id"))
            forms += form(
                "agree-return", gettext("Agree to the return"), gettext("Agree to this return on Pinduoduo?"), address
            )
    note = Markup(
        '<input name="note" class="form-control form-control-sm mr-2" required maxlength="500" placeholder="{}">'
    ).format(gettext("note on the order"))
    forms += form("order-note", gettext("Save the order note"), gettext("Write this note on the order?"), note)
    order_link = Markup('<a href="{}/order" class="small">{}</a>').format(base, gettext("Show the order (masked)"))
    html = Markup('<table class="table table-sm small mb-2">{}</table><p class="small">{}</p>{}<p>{}</p>').format(
        table, images, forms, order_link
    )
    return TicketPanel(
        name="pdd_connector",
        title=gettext("Pinduoduo after-sales"),
        html=str(html),
        order=20,
        resolve_warning=_still_waiting(refund),
    )


def _still_waiting(refund: PddRefund) -> str:
    """The question before resolving while Pinduoduo still waits for the merchant ('' otherwise)."""
    if refund.status not in mapping.MERCHANT_TO_ACT:
        return ""
    return gettext(
        "Pinduoduo still waits for the merchant (%(status)s, deadline %(deadline)s): resolving here "
        "does not answer on Pinduoduo. Resolve anyway?",
        status=mapping.STATUS_LABELS.get(refund.status, str(refund.status)),
        deadline=_date(refund.expire_time),
    )


def _why(exc: GongdanError | GatewayError) -> str:
    """What went wrong, in the page's language: the gateway's code in words, else the error's message."""
    return errors.describe(exc.code) if isinstance(exc, GatewayError) else exc.message


def backfill_start(text: str) -> datetime | None:
    """The start of a backfill as an admin types it on the shops page: `7d`, `12h`, `90m` ago, a
    date written either language's way (2026-11-01, 2026年11月1日, 1 Nov 2026: from its midnight in
    China time) or an ISO time with its offset; None when it is none of these."""
    from gongdan.admin.form_rows import read_date
    from gongdan_pdd_connector.api import parse_since

    day = read_date(text)
    if day is not None:
        return datetime.combine(day, time.min, mapping.CHINA_TZ)
    try:
        return parse_since(text)
    except ValueError:
        return None


def _csrf() -> str:
    from flask_wtf.csrf import generate_csrf

    return generate_csrf()


def _base() -> type:
    from gongdan.admin.base import ConsoleBaseView

    return ConsoleBaseView


def console_views() -> list[ConsoleView]:
    """Shops (supervisors; admins start syncs), quarantine (supervisors), ticket actions (agents)."""
    base = _base()

    class ShopsView(base):
        """Connected shops: authorisation, cursor, last window, lag, errors; sync and backfill."""

        plugin = PLUGIN
        role = "supervisor"

        @expose("/")
        def index(self) -> Any:
            """Every shop of the tenant with its sync state."""
            tenant = self.current_tenant()
            rows = [shops.as_dict(shop) for shop in PddShop.of(tenant).order_by(PddShop.id)]
            return self.render(
                "pdd_connector/shops.html",
                shops=rows,
                can_sync=self.current_user.role != "supervisor",
                describe=errors.describe,
            )

        @expose("/<int:shop_id>/sync", methods=["POST"])
        def start(self, shop_id: int) -> Any:
            """Admins: sync now, or backfill from the date given."""
            if self.current_user.role == "supervisor":
                abort(403)
            shop = shops.get(self.current_tenant(), shop_id)
            since = None
            if (request.form.get("since") or "").strip():
                since = backfill_start(request.form["since"])
                if since is None:
                    flash(
                        gettext(
                            "Backfill from: write 7d (7 days ago), 12h (12 hours ago) or a date such as 2026-11-01."
                        ),
                        "danger",
                    )
                    return self.index(), 422
            if sync.start_in_background(shop.id, since):
                flash(gettext("Sync of %(shop)s started.", shop=shop.owner_name or shop.owner_id))
            else:
                flash(gettext("This shop is already syncing."), "warning")
            return redirect(self.get_url(".index"))

    class QuarantineView(base):
        """Records that could not be stored, with the reason; retried after a fix."""

        plugin = PLUGIN
        role = "supervisor"

        @expose("/")
        def index(self) -> Any:
            """Open (or, with ?status=resolved, resolved) quarantined records."""
            status = "resolved" if request.args.get("status") == "resolved" else "open"
            entries = (
                PddQuarantine.of(self.current_tenant())
                .where(PddQuarantine.status == status)
                .order_by(PddQuarantine.id.desc())
                .limit(200)
            )
            return self.render(
                "pdd_connector/quarantine.html", entries=list(entries), status=status, describe=errors.describe_problem
            )

        @expose("/<int:entry_id>/retry", methods=["POST"])
        def retry(self, entry_id: int) -> Any:
            """Try one record again."""
            entry = PddQuarantine.of(self.current_tenant()).where(PddQuarantine.id == entry_id).first()
            if entry is None:
                abort(404)
            try:
                stored = sync.retry_quarantined(entry)
            except GatewayError as error:
                flash(gettext("The gateway is unavailable: %(why)s", why=errors.describe(error.code)), "danger")
                return redirect(self.get_url(".index"))
            if stored:
                flash(gettext("Stored."))
            else:
                why = errors.describe_problem(PddQuarantine.get_by_id(entry.id))
                flash(gettext("Still not storable: %(why)s", why=why), "warning")
            return redirect(self.get_url(".index"))

    class DeadlinesView(base):
        """The Pinduoduo cases that wait for the merchant, soonest platform deadline (处理截止) first."""

        plugin = PLUGIN
        role = "agent"

        @expose("/")
        def index(self) -> Any:
            """Open tickets whose after-sales record waits for the merchant, by `expire_time`."""
            tenant = self.current_tenant()
            seen = permissions.visible_tickets(Actor.of(self.current_user), Ticket.of(tenant), tenant)
            found = (
                PddRefund.select(PddRefund, Ticket)
                .join(Ticket, on=(PddRefund.ticket == Ticket.id))
                .where(
                    (PddRefund.tenant == tenant)
                    & PddRefund.status.in_(sorted(mapping.MERCHANT_TO_ACT))
                    & Ticket.status.in_(("new", "open", "pending"))
                    & Ticket.id.in_(seen.select(Ticket.id))
                )
                .order_by(PddRefund.expire_time.asc(nulls="LAST"), PddRefund.id)
                .limit(200)
            )
            now = clock.now()
            rows = [
                {
                    "refund": refund,
                    "ticket": refund.ticket,
                    "status": mapping.STATUS_LABELS.get(refund.status, str(refund.status)),
                    "overdue": bool(refund.expire_time and refund.expire_time <= now),
                    "soon": bool(refund.expire_time and refund.expire_time <= now + timedelta(hours=12)),
                }
                for refund in found
            ]
            return self.render("pdd_connector/deadlines.html", rows=rows)

    from gongdan.admin.base import TicketPageView

    class ActionsView(TicketPageView):
        """The ticket panel's forms post here; the outcome is flashed and recorded on the ticket."""

        plugin = PLUGIN
        role = "agent"

        def _back(self, ticket_id: int) -> Any:
            return redirect(url_for("tickets.ticket", ticket_id=ticket_id))

        def _run(self, ticket_id: int, name: str, inputs: dict[str, Any], done: str) -> Any:
            """Run ticket action `name` as the console's Actions card does (gongdan.actions): the
            inputs are checked, the run recorded, and an approval rule may hold it."""
            tenant = self.current_tenant()
            ticket = tickets.get(tenant, ticket_id, Actor.of(self.current_user))
            if request.form.get("confirm") != "yes":
                flash(gettext("Please confirm the action."), "warning")
                return self._back(ticket_id)
            try:
                outcome = ticket_actions.run(
                    tenant, ticket, name, inputs, Actor.of(self.current_user), source="console"
                )
            except (GongdanError, GatewayError) as exc:
                flash(gettext("Not done: %(why)s", why=_why(exc)), "danger")
            else:
                held = outcome["outcome"] == "held"
                flash(gettext("Held for approval: %(why)s", why=outcome.get("reason", "")) if held else done)
            return self._back(ticket_id)

        @expose("/<int:ticket_id>/agree-refund", methods=["POST"])
        def agree_refund(self, ticket_id: int) -> Any:
            """Agree to the refund."""
            done = gettext("The refund was agreed on Pinduoduo.")
            return self._run(ticket_id, "pdd_connector.agree_refund", {}, done)

        @expose("/<int:ticket_id>/agree-return", methods=["POST"])
        def agree_return(self, ticket_id: int) -> Any:
            """Agree to the return to the address given."""
            inputs = {"address_id": request.form.get("address_id", "").strip()}
            return self._run(
                ticket_id, "pdd_connector.agree_return", inputs, gettext("The return was agreed on Pinduoduo.")
            )

        @expose("/<int:ticket_id>/order-note", methods=["POST"])
        def order_note(self, ticket_id: int) -> Any:
            """Write the merchant's note on the order."""
            inputs = {"note": request.form.get("note", "").strip()}
            return self._run(ticket_id, "pdd_connector.order_note", inputs, gettext("The order note was saved."))

        @expose("/<int:ticket_id>/evidence/<int:index>")
        def evidence_image(self, ticket_id: int, index: int) -> Any:
            """The buyer's image `index` of the ticket's after-sales record (`?thumbnail=1`: a preview)."""
            tenant = self.current_tenant()
            ticket = tickets.get(tenant, ticket_id, Actor.of(self.current_user))
            refund = PddRefund.get_or_none((PddRefund.tenant == tenant) & (PddRefund.ticket == ticket))
            urls = (refund.record.get("images") or []) if refund is not None else []
            if index >= len(urls):
                abort(404)
            wanted = request.args.get("thumbnail") == "1"
            data = (evidence.thumbnail if wanted else evidence.image)(tenant, urls[index])
            if data is None:
                abort(404)
            kind = attachments.thumbnail_type(data) if wanted else attachments.sniff(data)
            return send_bytes(data, kind, f"evidence-{index + 1}", inline=True, etag=hashlib.sha256(data).hexdigest())

        @expose("/<int:ticket_id>/order")
        def order(self, ticket_id: int) -> Any:
            """The order behind the ticket, masked; and the shop's return addresses."""
            tenant = self.current_tenant()
            ticket = tickets.get(tenant, ticket_id, Actor.of(self.current_user))
            try:
                order = actions.order(tenant, ticket)
                addresses = actions.addresses(tenant, ticket)
            except (GongdanError, GatewayError) as exc:
                flash(gettext("Not done: %(why)s", why=_why(exc)), "danger")
                return self._back(ticket_id)
            return self.render("pdd_connector/order.html", ticket=ticket, order=order, addresses=addresses)

    return [
        ConsoleView(
            view=DeadlinesView(name=_l("Deadlines"), endpoint="pdd_deadlines", url="/console/pdd-deadlines"), menu=MENU
        ),
        ConsoleView(view=ShopsView(name=_l("Shops"), endpoint="pdd_shops", url="/console/pdd-shops"), menu=MENU),
        ConsoleView(
            view=QuarantineView(name=_l("Quarantine"), endpoint="pdd_quarantine", url="/console/pdd-quarantine"),
            menu=MENU,
        ),
        ConsoleView(
            view=ActionsView(name=_l("Actions"), endpoint="pdd_actions", url="/console/pdd-actions"), menu=MENU
        ),
    ]
