"""The portal's pages at `/portal/<tenant-slug>/`: help centre, submit, sign-in, my requests.

Server-rendered, one small stylesheet and one small script, both served from this plugin.
Every POST carries the portal's CSRF token; sign-in and submit are limited per address and
per IP by the core's shared limiter; the answer to a sign-in request is the same whether or
not the address is known.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, abort, g, jsonify, redirect, render_template, request
from werkzeug.exceptions import HTTPException

from gongdan import attachments, merge
from gongdan.api.attachments import download_response
from gongdan.errors import Conflict, GongdanError, NotFound, ValidationError
from gongdan_portal import access, context, csat, csrf, forms, helpcentre, i18n, identity, limiter, mail
from gongdan_portal import requests as service
from gongdan_portal.context import current, url
from gongdan_portal.models import Deflection, Logo
from gongdan_portal.timeline import RATING_WORDS, STATUS_WORDS, entries, expected_reply, ticket_attachments

log = logging.getLogger("gongdan.portal")
bp = Blueprint("portal", __name__, url_prefix="/portal/<slug>", template_folder="templates")
# the stylesheet and script, shared by every tenant's portal
assets = Blueprint("portal_assets", __name__, static_folder="static", static_url_path="/portal/_static")
FORM_MAX_BYTES = 64 * 1024
FIELDS_BYTES = 256 * 1024
POSTS = ("POST",)


# --- request set-up -----------------------------------------------------------------------


@bp.url_value_preprocessor
def _portal(endpoint: str | None, values: dict[str, Any] | None) -> None:
    if values is None:
        return
    g.portal = context.load(values.pop("slug"))


@bp.url_defaults
def _slug(endpoint: str, values: dict[str, Any]) -> None:
    if "slug" not in values and g.get("portal") is not None:
        values["slug"] = g.portal.tenant.slug


@bp.before_request
def _guard() -> Any:
    if request.method != "POST":
        return None
    uploads = request.endpoint in ("portal.submit", "portal.reply")
    request.max_content_length = attachments.message_max_bytes() + FIELDS_BYTES if uploads else FORM_MAX_BYTES
    if request.content_length and request.content_length > request.max_content_length:
        return _page("error.html", status=413, message=current().t("What you sent is too large."))
    if not csrf.valid():
        return _page("error.html", status=400, message=current().t("This form has expired. Please try again."))
    return None


@bp.after_request
def _cookies(response: Response) -> Response:
    portal = g.get("portal")
    if portal is None:
        return response
    if portal.visitor.changed:
        identity.write_session(response, portal.visitor, portal.path)
    csrf.keep_cookie(response, portal.path)
    if request.args.get("lang") in i18n.LANGUAGES:
        response.set_cookie(
            i18n.LANG_COOKIE, request.args["lang"], path=portal.path, max_age=365 * 86400, samesite="Lax"
        )
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


@bp.errorhandler(404)
def _not_found(exc: HTTPException) -> Any:
    if g.get("portal") is None:
        return exc
    return _page("error.html", status=404, message=current().t("This page does not exist."))


@bp.errorhandler(NotFound)
def _missing(exc: NotFound) -> Any:
    return _page("error.html", status=404, message=current().t("This page does not exist."))


@bp.context_processor
def _template_globals() -> dict[str, Any]:
    portal = g.get("portal")
    if portal is None:
        return {}
    return {
        "portal": portal,
        "t": portal.t,
        "url": url,
        "csrf_token": csrf.token,
        "languages": i18n.LANGUAGES,
        "status_word": lambda status: portal.t(STATUS_WORDS[status]),
        "rating_word": lambda score: portal.t(RATING_WORDS[score]),
        "local": lambda at: _local(portal, at),
    }


def _local(portal: context.Portal, at: Any) -> str:
    from zoneinfo import ZoneInfo

    if at is None:
        return ""
    try:
        zone = ZoneInfo(portal.tenant.timezone)
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _page(template: str, status: int = 200, **values: Any) -> Any:
    return render_template(f"portal/{template}", **values), status


def _limited() -> Any:
    return _page("error.html", status=429, message=current().t("Too many attempts. Please wait a while and try again."))


# --- help centre --------------------------------------------------------------------------


@bp.route("/")
def home() -> Any:
    """The help centre's front page: welcome, search, categories, popular articles."""
    tenant = current().tenant
    return _page(
        "home.html",
        categories=helpcentre.categories(tenant),
        popular=helpcentre.popular(tenant),
        has_articles=helpcentre.available(tenant),
    )


@bp.route("/search")
def search() -> Any:
    """Search results over the tenant's public articles."""
    text = request.args.get("q", "")[:200]
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 100))
    items, total = helpcentre.search(current().tenant, text, page) if forms.storable(text) else ([], 0)
    return _page("search.html", q=text, items=items, total=total, page=page)


@bp.route("/suggest")
def suggest() -> Any:
    """JSON for the submit form: articles matching what the customer is typing."""
    text = request.args.get("q", "")[:200]
    items, _ = helpcentre.search(current().tenant, text, 1, 5) if forms.storable(text) else ([], 0)
    found = [{"id": i["id"], "title": i["title"], "url": url("article", article_id=i["id"])} for i in items]
    return jsonify({"items": found})


@bp.route("/categories/<int:category_id>")
def category(category_id: int) -> Any:
    """The public articles of one category."""
    tenant = current().tenant
    node = helpcentre.category(tenant, category_id)
    return _page("category.html", node=node, items=helpcentre.in_category(tenant, node))


@bp.route("/articles/<int:article_id>")
def article(article_id: int) -> Any:
    """One article with the 有帮助 / 没帮助 buttons."""
    found = helpcentre.article(current().tenant, article_id)
    return _page("article.html", article=helpcentre.article_view(found), voted=request.args.get("voted"))


@bp.route("/articles/<int:article_id>/vote", methods=POSTS)
def vote(article_id: int) -> Any:
    """Record a visitor's vote, then show the article again with thanks."""
    found = helpcentre.article(current().tenant, article_id)
    if not limiter.allow("portal.vote.ip", limiter.client_ip()):
        return _limited()
    visitor_key = f"{limiter.client_ip()}|{request.headers.get('User-Agent', '')}"
    helpcentre.vote(found, visitor_key, request.form.get("helpful") == "1")
    return redirect(url("article", article_id=article_id, voted=1))


# --- submitting ---------------------------------------------------------------------------


def _submit_form(status: int = 200, checked: forms.Checked | None = None) -> Any:
    portal = current()
    return _page(
        "new.html",
        status=status,
        categories=forms.public_categories(portal.tenant, portal.settings["public_categories"]),
        values=checked.values if checked else {},
        errors=checked.errors if checked else {},
        must_sign_in=_must_sign_in(),
    )


def _must_sign_in() -> bool:
    portal = current()
    if portal.settings["who_may_submit"] != "known_customers":
        return False
    return not access.customer_ids(portal.tenant, portal.visitor.email)


@bp.route("/new")
def new() -> Any:
    """The request form."""
    return _submit_form()


@bp.route("/new", methods=POSTS)
def submit() -> Any:
    """Create the request's ticket; the browser may then follow it (an access grant)."""
    portal = current()
    if _must_sign_in():
        return _submit_form(403)
    if request.form.get(forms.HONEYPOT):
        return _page("received.html", number=None)  # a bot filled the hidden field: same answer, no ticket
    categories = forms.public_categories(portal.tenant, portal.settings["public_categories"])
    checked = forms.submit(request.form, request.files.getlist("files"), portal.t, categories, portal.visitor.email)
    if checked.errors:
        return _submit_form(422, checked)
    address = checked.values["email"] or checked.values["phone"]
    if not (
        limiter.allow("portal.submit.ip", limiter.client_ip(), portal.settings["submits_per_ip_hour"])
        and limiter.allow("portal.submit.address", address.lower())
    ):
        return _limited()
    try:
        ticket = service.submit(portal.tenant, checked.values, portal.lang)
    except ValidationError as exc:
        checked.errors.update({k: "; ".join(v) for k, v in (exc.fields or {}).items()})
        return _submit_form(422, checked)
    service.store_files(portal.tenant, ticket, None, checked.values["files"])
    portal.visitor.grant(ticket.id)
    return _page("received.html", number=ticket.number, ticket=ticket)


@bp.route("/deflect", methods=POSTS)
def deflect() -> Any:
    """ "This answered my question": counted, and no ticket is made."""
    portal = current()
    article_id = request.form.get("article_id", type=int)
    if article_id is None:
        abort(404)
    helpcentre.article(portal.tenant, article_id)
    subject = request.form.get("subject", "")[:200]
    Deflection.create(tenant=portal.tenant, article_id=article_id, subject=subject if forms.storable(subject) else "")
    return _page("deflected.html")


# --- signing in ---------------------------------------------------------------------------


@bp.route("/signin")
def sign_in() -> Any:
    """Ask for the address to send a sign-in link and code to."""
    return _page("signin.html", can_mail=mail.configured(current().tenant), next=_next_path())


def _next_path() -> str:
    wanted = request.values.get("next", "")
    return wanted if wanted.startswith(current().path) and "//" not in wanted else ""


@bp.route("/signin", methods=POSTS)
def send_sign_in() -> Any:
    """Send the link and code when the address belongs to a customer; the answer is the same either way."""
    portal = current()
    address = identity.normal_email(request.form.get("email", ""))
    if not forms.email_ok(address):
        return _page(
            "signin.html",
            status=422,
            can_mail=mail.configured(portal.tenant),
            error=portal.t("This does not look like an e-mail address."),
            next=_next_path(),
        )
    if not mail.configured(portal.tenant):
        return _page("signin.html", status=503, can_mail=False, next=_next_path())
    if not (
        limiter.allow("portal.sign_in.ip", limiter.client_ip()) and limiter.allow("portal.sign_in.address", address)
    ):
        return _limited()
    challenge = identity.blank_challenge(portal.tenant, address)
    if access.customer_ids(portal.tenant, address):
        issued = identity.issue_sign_in(portal.tenant, address)
        challenge = issued.challenge
        _mail_sign_in(portal, address, issued)
    return _page("code.html", email=address, challenge=challenge, next=_next_path())


def _mail_sign_in(portal: context.Portal, address: str, issued: identity.SignIn) -> None:
    link = url("redeem_link", token=issued.link_token, _external=True)
    text = portal.t(
        "Your sign-in code for %(name)s is %(code)s.\n\nOr open this link to sign in:\n%(link)s\n\n"
        "The code and the link work once, for 15 minutes. If you did not ask for them, ignore this message.",
        name=portal.name,
        code=issued.code,
        link=link,
    )
    try:
        mail.send(portal.tenant, address, portal.t("Sign in to %(name)s", name=portal.name), text, portal.name)
    except Exception:  # the visitor sees the same page either way; the failure is logged
        log.exception("portal: sending the sign-in mail of tenant %s failed", portal.tenant.slug)


@bp.route("/signin/code", methods=POSTS)
def redeem_code() -> Any:
    """Check the six-digit code against the form's challenge (five tries per challenge)."""
    portal = current()
    challenge = request.form.get("challenge", "")
    address = identity.normal_email(request.form.get("email", ""))
    nonce = identity.challenge_nonce(portal.tenant, challenge)
    if nonce is None:
        return _page("error.html", status=400, message=portal.t("This code has expired. Please ask for a new one."))
    if not limiter.allow("portal.code.challenge", nonce):
        return _limited()
    email = identity.redeem_code(portal.tenant, challenge, request.form.get("code", ""))
    if email is None:
        return _page(
            "code.html",
            status=422,
            email=address,
            challenge=challenge,
            next=_next_path(),
            error=portal.t("That code is not right, or it was used already."),
        )
    portal.visitor.sign_in(email)
    return redirect(_next_path() or url("my_requests"))


@bp.route("/signin/<token>")
def redeem_link(token: str) -> Any:
    """Open a sign-in link: the visitor is signed in with its address."""
    portal = current()
    email = identity.redeem_link(portal.tenant, token)
    if email is None:
        return _page("error.html", status=400, message=portal.t("This sign-in link has expired or was used already."))
    portal.visitor.sign_in(email)
    return redirect(url("my_requests"))


@bp.route("/signout", methods=POSTS)
def sign_out() -> Any:
    """Forget the visitor."""
    current().visitor.sign_out()
    return redirect(url("home"))


@bp.route("/t/<token>")
def open_ticket(token: str) -> Any:
    """A per-ticket access link from a notification: opens that one ticket without signing in."""
    portal = current()
    ticket_id = identity.redeem_access(portal.tenant, token)
    if ticket_id is None:
        abort(404)
    access.visible(portal.tenant, identity.Visitor(portal.tenant.id, tickets=[ticket_id]), ticket_id)
    portal.visitor.grant(ticket_id)
    anchor = "#rate" if request.args.get("rate") else ""
    return redirect(url("ticket", ticket_id=ticket_id) + anchor)


# --- my requests --------------------------------------------------------------------------


@bp.route("/requests")
def my_requests() -> Any:
    """The visitor's requests, newest first (sign in first unless access links opened some)."""
    portal = current()
    if not portal.visitor.email and not portal.visitor.tickets:
        return redirect(url("sign_in", next=url("my_requests")))
    page = max(1, request.args.get("page", 1, type=int) or 1)
    rows, more = access.my_tickets(portal.tenant, portal.visitor, page)
    return _page("requests.html", rows=rows, page=page, more=more)


def _merged_into(portal: Any, ticket: Any) -> Any:
    """The request a closed one was merged into, when it is the same customer's (the visitor may
    then open it: their conversation moved there); else None."""
    if ticket.status != "closed" or ticket.customer_id is None:
        return None
    survivor = merge.survivor(portal.tenant, ticket)
    if survivor.id == ticket.id or survivor.customer_id != ticket.customer_id:
        return None
    portal.visitor.grant(survivor.id)
    return survivor


def _ticket_page(ticket: Any, status: int = 200, **values: Any) -> Any:
    portal = current()
    values.setdefault("merged_into", _merged_into(portal, ticket))
    return _page(
        "ticket.html",
        status=status,
        ticket=ticket,
        entries=entries(ticket),
        files=ticket_attachments(ticket),
        expected=expected_reply(portal.tenant, ticket),
        may_reply=service.may_reply(portal.settings, ticket),
        reopen_until=service.reopen_until(portal.settings, ticket),
        ask_rating=csat.pending(portal.tenant, ticket),
        **values,
    )


@bp.route("/requests/<ticket_id>")
def ticket(ticket_id: str) -> Any:
    """One request: status in the customer's words, expected reply, public timeline, actions."""
    portal = current()
    return _ticket_page(access.visible(portal.tenant, portal.visitor, ticket_id))


@bp.route("/requests/<ticket_id>/reply", methods=POSTS)
def reply(ticket_id: str) -> Any:
    """The customer's reply, with files."""
    portal = current()
    found = access.visible(portal.tenant, portal.visitor, ticket_id)
    if not service.may_reply(portal.settings, found):
        return _ticket_page(found, 409, error=portal.t("This request is closed. Please submit a new one."))
    if not limiter.allow("portal.reply.ticket", str(found.id)):
        return _limited()
    checked = forms.reply(request.form, request.files.getlist("files"), portal.t)
    if checked.errors:
        return _ticket_page(found, 422, errors=checked.errors, values=checked.values)
    try:
        comment = service.reply(portal.tenant, found, checked.values["body"], portal.visitor.email)
    except Conflict:
        return _ticket_page(found, 409, error=portal.t("This request is closed. Please submit a new one."))
    service.store_files(portal.tenant, found, comment, checked.values["files"])
    return redirect(url("ticket", ticket_id=found.id))


@bp.route("/requests/<ticket_id>/close", methods=POSTS)
def close(ticket_id: str) -> Any:
    """The customer closes the request (resolved first, closed when already resolved)."""
    portal = current()
    found = access.visible(portal.tenant, portal.visitor, ticket_id)
    try:
        service.close(portal.tenant, found, portal.visitor.email)
    except GongdanError:
        return _ticket_page(found, 409, error=portal.t("This request cannot be closed now."))
    return redirect(url("ticket", ticket_id=found.id))


@bp.route("/requests/<ticket_id>/reopen", methods=POSTS)
def reopen(ticket_id: str) -> Any:
    """Reopen a resolved request within the tenant's window."""
    portal = current()
    found = access.visible(portal.tenant, portal.visitor, ticket_id)
    try:
        service.reopen(portal.tenant, portal.settings, found, portal.visitor.email)
    except GongdanError:
        return _ticket_page(found, 409, error=portal.t("This request can no longer be reopened."))
    return redirect(url("ticket", ticket_id=found.id))


@bp.route("/requests/<ticket_id>/rate", methods=POSTS)
def rate(ticket_id: str) -> Any:
    """满意 / 一般 / 不满意 with an optional comment, once per resolution."""
    portal = current()
    found = access.visible(portal.tenant, portal.visitor, ticket_id)
    try:
        csat.rate(
            portal.tenant,
            found,
            request.form.get("rating", ""),
            request.form.get("comment", ""),
            service.customer_actor(portal.visitor.email),
        )
    except ValidationError:
        return _ticket_page(found, 422, error=portal.t("Please choose one of the three answers."))
    except Conflict:
        return _ticket_page(found, 409, error=portal.t("You have already rated this answer. Thank you!"))
    return redirect(url("ticket", ticket_id=found.id, rated=1))


@bp.route("/files/<int:attachment_id>")
def attachment(attachment_id: int) -> Any:
    """A file of a request the visitor may see (404 otherwise)."""
    portal = current()
    row = attachments.get(portal.tenant, attachment_id)
    access.visible(portal.tenant, portal.visitor, row.ticket_id)
    if row.comment_id is not None and row.comment.internal:
        abort(404)
    # the core's safe download: inline only png/jpeg/gif/webp (an SVG's script would run here,
    # on the console's origin), a sandbox CSP, the file's name in the header
    return download_response(row)


@bp.route("/logo")
def logo() -> Any:
    """The tenant's logo."""
    row = Logo.get_or_none(Logo.tenant == current().tenant)
    if row is None:
        abort(404)
    response = Response(bytes(row.data), mimetype=row.content_type)
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


__all__ = ["assets", "bp"]
