"""Console pages: write, review and publish articles; suggested articles on the ticket page."""

from __future__ import annotations

from typing import Any

import flask_login
from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from gongdan import tickets
from gongdan.actors import Actor
from gongdan.admin.base import ConsoleBaseView, has_role
from gongdan.admin.errors import flash_error
from gongdan.contributions import ConsoleView, TicketPanel
from gongdan.errors import GongdanError
from gongdan.ids import parse_id
from gongdan.models import Comment, Tenant, Ticket
from gongdan_knowledge import articles, gaps, index, intents, solved, suggestions, thesaurus, usage
from gongdan_knowledge.models import STATUSES, Article
from gongdan_knowledge.search import local_hits
from gongdan_knowledge.text import plain_text, render_html

PER_PAGE = 30


def _form_data() -> dict[str, Any]:
    form = request.form
    return {
        "title": form.get("title", "").strip(),
        "body": form.get("body", ""),
        "visibility": form.get("visibility", "internal"),
        "category": form.get("category", "").strip() or None,
        "tags": [t.strip() for t in form.get("tags", "").replace("，", ",").split(",") if t.strip()],
    }


class KnowledgeView(ConsoleBaseView):
    """The article list with search, the editor with versions, and the review actions."""

    role = "agent"
    plugin = "knowledge"

    @expose("/")
    def index(self) -> Any:
        """Articles, newest change first, or search results for `q`; filter by status."""
        tenant = self.current_tenant()
        q, status = request.args.get("q", "").strip(), request.args.get("status", "")
        statuses = (status,) if status in STATUSES else ("draft", "published")
        if q:
            found, _ = local_hits(tenant, q, index.Filters(statuses=statuses), PER_PAGE)
            ids = [item["id"] for item in found]
            by_id = {a.id: a for a in Article.of(tenant).where(Article.id.in_(ids))}
            rows = [by_id[i] for i in ids]
            snippets = {item["id"]: Markup(item["snippet"]) for item in found}  # noqa: S704 - escaped by snippet()
        else:
            query = Article.of(tenant).where(Article.status.in_(statuses))
            rows = list(query.order_by(Article.updated_at.desc()).limit(PER_PAGE))
            snippets = {}
        return self.render("knowledge/list.html", rows=rows, snippets=snippets, q=q, status=status, statuses=STATUSES)

    @expose("/new", methods=["GET", "POST"])
    def new(self) -> Any:
        """A blank editor; saving creates a draft."""
        if request.method == "POST":
            try:
                article = articles.create(self.current_tenant(), _form_data(), self.current_user)
            except GongdanError as exc:
                flash_error(exc)
                return self.render("knowledge/edit.html", article=None, form=_form_data(), versions=[])
            flash(gettext("Draft saved."))
            return redirect(self.get_url(".edit", article_id=article.id))
        return self.render("knowledge/edit.html", article=None, form={}, versions=[])

    def _article(self, article_id: int) -> Article:
        try:
            return articles.get(self.current_tenant(), article_id)
        except GongdanError:
            abort(404)

    @expose("/<int:article_id>", methods=["GET", "POST"])
    def edit(self, article_id: int) -> Any:
        """The editor with the rendered preview, the version history and the review buttons."""
        article = self._article(article_id)
        if request.method == "POST":
            data = {**_form_data(), "version": request.form.get("version", type=int)}
            try:
                articles.update(self.current_tenant(), article, data, self.current_user)
                flash(gettext("Saved."))
            except GongdanError as exc:
                flash_error(exc)
            return redirect(self.get_url(".edit", article_id=article_id))
        return self.render(
            "knowledge/edit.html",
            article=article,
            form=articles.article_dict(article, full=True),
            preview=Markup(render_html(article.body)),  # noqa: S704 - sanitised by bleach
            versions=articles.version_dicts(article),
            may_review=articles.may_review(self.current_user),
        )

    @expose("/<int:article_id>/status", methods=["POST"])
    def set_status(self, article_id: int) -> Any:
        """Publish, archive or send back to draft (supervisors and above)."""
        article = self._article(article_id)
        try:
            articles.update(
                self.current_tenant(), article, {"status": request.form.get("status", "")}, self.current_user
            )
            flash(gettext("Status changed."))
        except GongdanError as exc:
            flash_error(exc)
        return redirect(self.get_url(".edit", article_id=article_id))

    @expose("/<int:article_id>/restore/<int:number>", methods=["POST"])
    def restore(self, article_id: int, number: int) -> Any:
        """Make an old version current again."""
        article = self._article(article_id)
        try:
            articles.restore(self.current_tenant(), article, number, self.current_user)
            flash(gettext("Version %(n)s restored.", n=number))
        except GongdanError as exc:
            flash_error(exc)
        return redirect(self.get_url(".edit", article_id=article_id))

    @expose("/from-comment", methods=["POST"])
    def from_comment(self) -> Any:
        """Turn a solved ticket's answer into a draft article, then open it in the editor."""
        tenant = self.current_tenant()
        comment = Comment.get_or_none(
            (Comment.id == (parse_id(request.form.get("comment_id")) or 0)) & (Comment.tenant == tenant)
        )
        if comment is None:
            abort(404)
        try:
            article = articles.from_comment(tenant, comment, self.current_user)
        except GongdanError as exc:
            flash_error(exc)
            return redirect(self.get_url(".index"))
        flash(gettext("A draft article was made of the answer; edit it and publish."))
        return redirect(self.get_url(".edit", article_id=article.id))

    @expose("/send", methods=["POST"])
    def send(self) -> Any:
        """Send a suggested article as a reply on a ticket (from the ticket page's panel)."""
        tenant = self.current_tenant()
        article = self._article(request.form.get("article_id", type=int) or 0)
        try:
            ticket = tickets.get(tenant, request.form.get("ticket_id", ""), Actor.of(self.current_user))
            usage.send(tenant, ticket, article, self.current_user)
            flash(gettext("Article sent as a reply."))
        except GongdanError as exc:
            flash_error(exc)
            return redirect(self.get_url(".index"))
        return redirect(url_for("tickets.ticket", ticket_id=ticket.id))


class SynonymsView(ConsoleBaseView):
    """The tenant's synonym groups (admins edit, import and export them) and the searches that found nothing."""

    role = "supervisor"
    plugin = "knowledge"

    @expose("/", methods=("GET", "POST"))
    def index(self) -> Any:
        """The groups as lines of text; POST (admins) saves them."""
        tenant = self.current_tenant()
        text, errors = thesaurus.dump(thesaurus.own(tenant)), {}
        if request.method == "POST":
            self._require_admin()
            text = request.form.get("groups", "")
            errors = self._save(tenant, text)
            if not errors:
                return redirect(self.get_url(".index"))
        page = self.render(
            "knowledge/synonyms.html",
            text=text,
            errors=errors,
            gaps=gaps.top(tenant, 30),
            builtin=thesaurus.builtin(),
            builtin_on=thesaurus.uses_builtin(tenant),
            can_edit=has_role(flask_login.current_user, "admin"),
        )
        return (page, 422) if errors else page

    @expose("/upload", methods=("POST",))
    def upload(self) -> Any:
        """Replace the groups with an uploaded UTF-8 text file."""
        self._require_admin()
        raw = request.files["file"].read() if request.files.get("file") else b""
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            flash(gettext("Save the file as UTF-8 text."), "error")
            return redirect(self.get_url(".index"))
        errors = self._save(self.current_tenant(), text)
        for field, reasons in errors.items():
            flash(f"{field}: {'; '.join(reasons)}", "error")
        return redirect(self.get_url(".index"))

    def _require_admin(self) -> None:
        if not has_role(flask_login.current_user, "admin"):
            abort(403)

    def _save(self, tenant: Tenant, text: str) -> dict[str, list[str]]:
        try:
            groups = thesaurus.parse(text)
        except GongdanError as exc:
            return exc.fields or {"groups": [exc.message]}
        thesaurus.replace(tenant, groups, Actor.of(self.current_user), request.remote_addr)
        flash(gettext("Saved."))
        return {}


def console_views() -> list[ConsoleView]:
    """The console's knowledge pages (built per app)."""
    view = KnowledgeView(name=_l("Articles"), endpoint="knowledge_console", url="/console/knowledge")
    synonyms = SynonymsView(name=_l("Synonyms"), endpoint="knowledge_synonyms", url="/console/knowledge-synonyms")
    return [ConsoleView(view=view, menu=_l("Knowledge")), ConsoleView(view=synonyms, menu=_l("Knowledge"))]


def ticket_panel(tenant: Tenant, ticket: Ticket) -> TicketPanel | None:
    """The ticket page's panel: each suggested article with a button that opens the reply editor
    with the article's text filled in, to edit before sending (the console's workspace.js)."""
    rows = suggestions.current(tenant, ticket)
    if not rows:
        return None
    items = Markup("").join(
        Markup(
            '<li class="mb-2"><a href="{}">{}</a> '
            '<button class="btn btn-link btn-sm p-0 kb-fill" type="button" data-fill-reply="kb-text-{}">{}</button>'
            '<textarea hidden id="kb-text-{}">{}</textarea>'
            '<div class="small text-muted kb-why">{}</div></li>'
        ).format(
            url_for("knowledge_console.edit", article_id=row.article.id),
            row.article.title,
            row.article.id,
            gettext("send as reply"),
            row.article.id,
            plain_text(row.article.body),
            why_text(row.why or {}),
        )
        for row in rows
    )
    html = Markup('<ul class="list-unstyled kb-suggestions">{}</ul>').format(items)
    return TicketPanel(name="knowledge", title=gettext("Suggested articles"), html=str(html), order=30)


def solved_panel(tenant: Tenant, ticket: Ticket, user: Any = None) -> TicketPanel | None:
    """The ticket page's panel of similar solved tickets `user` may see, each answer with "turn into article"."""
    found = solved.similar(tenant, ticket, actor=Actor.of(user) if user is not None else None)
    if not found:
        return None
    action = url_for("knowledge_console.from_comment")
    items = Markup("").join(
        Markup(
            '<li class="mb-2"><a href="{}">#{} {}</a><div class="small text-muted">{}</div>'
            '<form method="post" action="{}" class="d-inline">'
            '<input type="hidden" name="csrf_token" value="{}"><input type="hidden" name="comment_id" value="{}">'
            '<button class="btn btn-link btn-sm p-0" type="submit">{}</button></form></li>'
        ).format(
            url_for("tickets.ticket", ticket_id=item["ticket_id"]),
            item["number"],
            item["subject"],
            item["answer"],
            action,
            _csrf_token(),
            item["comment_id"],
            gettext("turn into article"),
        )
        for item in found
    )
    html = Markup('<ul class="list-unstyled kb-solved">{}</ul>').format(items)
    return TicketPanel(name="knowledge-solved", title=gettext("Similar solved tickets"), html=str(html), order=31)


INTENT_LABELS = {
    "cancel": _l("cancelling an order not yet shipped"),
    "intercept": _l("stopping a parcel already sent"),
    "return": _l("returning goods received"),
    "exchange": _l("exchanging for another size or colour"),
    "refund-status": _l("where the refund is"),
    "not-received": _l("goods never received"),
    "refund-only": _l("a refund without sending the goods back"),
    "return-late": _l("a return approved but not yet sent back"),
    "logistics-stuck": _l("tracking not moving"),
    "shipping-time": _l("when it ships or arrives"),
    "late-shipping": _l("still not shipped after days"),
    "price-protect": _l("price dropped after buying"),
    "invoice-fix": _l("a wrong invoice"),
    "address-change": _l("changing the delivery address"),
    "reject": _l("refusing delivery"),
    "return-freight": _l("return postage"),
    "warranty": _l("warranty and repair"),
    "complaint": _l("a complaint"),
    "colour-mismatch": _l("colour not as shown"),
    "colour-ran": _l("colour ran or faded"),
    "shrank": _l("shrank or lost its shape"),
    "pilled": _l("pilling"),
    "shed": _l("shedding fibres"),
    "seam-split": _l("split seams"),
    "too-big": _l("does not fit the space"),
    "short-weight": _l("short weight"),
    "damaged-on-arrival": _l("damaged when unpacked"),
    "spoiled": _l("spoiled on arrival"),
    "short-count": _l("fewer pieces than ordered"),
    "wrong-item": _l("a different item sent"),
    "unanswered": _l("nobody answering the chat"),
    "fast-refund": _l("a refund before the return arrives"),
    "coupon-back": _l("a coupon used on a cancelled order"),
    "refund-apply": _l("how to ask for a refund"),
    "missing-part": _l("a promised part or gift missing"),
}
"""What a question was read as, for each built-in intent (`data/intents.txt`), in the reader's language."""


def intent_label(name: str) -> str:
    """Intent `name` as a person reads it: its label in the reader's language, or for an intent
    without one the first word its articles use (never the intent's code name)."""
    label = INTENT_LABELS.get(name)
    return str(label) if label is not None else intents.label(name)


def why_text(why: dict[str, Any]) -> str:
    """Why an article was found, in the reader's language (matched words are the default)."""
    reasons = []
    if why.get("learned"):
        reasons.append(gettext("similar tickets were answered with this article"))
    if why.get("intents"):
        # what the question asks for, in the reader's words (not the intent's code name)
        what = gettext(", ").join(intent_label(n) for n in why["intents"][:3])
        reasons.append(gettext("read as: %(what)s", what=what))
    if why.get("synonyms"):
        reasons.append(gettext("synonyms: %(words)s", words="、".join(why["synonyms"][:5])))
    if why.get("translations"):
        reasons.append(gettext("English read as: %(words)s", words="、".join(why["translations"][:5])))
    if why.get("partial"):
        reasons.append(gettext("partial match"))
    if why.get("category"):
        reasons.append(gettext("same category as the ticket"))
    return " · ".join(reasons) or gettext("matching words")


def _csrf_token() -> str:
    from flask_wtf.csrf import generate_csrf

    return generate_csrf()
