"""Signing in and out of the console: sessions, CSRF, lock-out, language and tenant switching.

A session names the user and their session generation (`User.session_generation`): signing
out or changing the password bumps it, which ends every session of the user at once, copied
cookies included. A session idle for longer than `GONGDAN_SESSION_IDLE_MINUTES` ends too.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext, lazy_gettext
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError, generate_csrf, validate_csrf
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired
from wtforms.validators import ValidationError as WTFValidationError

from gongdan import clock, signin, twofactor
from gongdan.admin.base import TENANT_KEY
from gongdan.admin.i18n import LANG_KEY, LANGUAGES
from gongdan.db import write_transaction
from gongdan.ids import parse_id
from gongdan.models import Tenant, User

CONSOLE_URL = "/console"
SEEN_KEY = "console_seen"
SEEN_EVERY_SECONDS = 60
PENDING_KEY = "console_second_factor"
PENDING_SECONDS = 300
KEPT_KEYS = (LANG_KEY, "csrf_token")
# what an admin who must set up two-factor sign-in may still open
SETUP_PATHS = tuple(CONSOLE_URL + p for p in ("/account", "/logout", "/language", "/assets", "/static", "/login"))
REFUSALS = {
    "wrong": lazy_gettext("Wrong e-mail or password."),
    "locked": lazy_gettext("Too many failed attempts: this account is locked for a while. Try again later."),
    "throttled": lazy_gettext("Too many sign-in attempts. Wait a few minutes and try again."),
}

bp = Blueprint(
    "console_auth",
    __name__,
    url_prefix=CONSOLE_URL,
    template_folder="templates",
    static_folder="static",
    static_url_path="/assets",
)


class ConsoleUser:
    """The signed-in user as Flask-Login sees it; every other attribute is the `User`'s."""

    is_anonymous = False

    def __init__(self, user: User) -> None:
        self.user = user

    def __getattr__(self, name: str) -> Any:
        return getattr(self.user, name)

    @property
    def is_authenticated(self) -> bool:
        """Always True for a loaded user."""
        return True

    @property
    def is_active(self) -> bool:
        """Deactivated users lose their session."""
        return bool(self.user.is_active)

    def get_id(self) -> str:
        """The session's user key: the user's id and session generation, `"7.2"`."""
        return f"{self.user.id}.{self.user.session_generation}"


class LoginForm(FlaskForm):
    """E-mail and password (with the CSRF token)."""

    email = EmailField(lazy_gettext("E-mail"), validators=[DataRequired()])
    password = PasswordField(lazy_gettext("Password"), validators=[DataRequired()])


def _load_user(user_id: str) -> ConsoleUser | None:
    """The session's user, unless deactivated or the session's generation has ended."""
    number, _, generation = user_id.partition(".")
    if not (number.isdigit() and generation.isdigit()):
        return None
    user = User.get_or_none((User.id == int(number)) & (User.is_active == True))  # noqa: E712
    if user is None or user.session_generation != int(generation):
        return None
    return ConsoleUser(user)


def _safe_next(target: str | None) -> str:
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target.rstrip("?")
    return url_for("admin.index")


def client_ip() -> str:
    """The client's address (the proxies' `X-Forwarded-For` when `GONGDAN_PROXY_HOPS` trusts them)."""
    return request.remote_addr or ""


def _throttle() -> signin.Throttle:
    settings = current_app.config["GONGDAN_SETTINGS"]
    return signin.Throttle(per_account=settings.login_limit_per_account, per_ip=settings.login_limit_per_ip)


def _fresh_session() -> None:
    """Forget everything in the session but the language and the CSRF secret."""
    kept = {key: session[key] for key in KEPT_KEYS if key in session}
    session.clear()
    session.update(kept)


def start_session(user: User) -> Any:
    """Sign `user` in to a fresh session and go where they were headed."""
    _fresh_session()
    login_user(ConsoleUser(user))
    session[SEEN_KEY] = int(clock.now().timestamp())
    return redirect(_safe_next(request.args.get("next")))


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """The sign-in page."""
    form = LoginForm()
    error = ""
    status = 200
    if form.validate_on_submit():
        attempt = signin.authenticate(
            form.email.data or "", form.password.data or "", ip=client_ip(), throttle=_throttle()
        )
        if attempt.needs_second_factor and attempt.user is not None:
            return begin_second_factor(attempt.user)
        if attempt.user is not None:
            return start_session(attempt.user)
        error = str(REFUSALS[attempt.refusal])
        status = 429 if attempt.refusal == "throttled" else 401
    elif request.method == "POST":
        status = 401
    return render_template("console/login.html", form=form, error=error, languages=LANGUAGES), status


def begin_second_factor(user: User) -> Any:
    """The password was right: remember who is half-way in and ask for the second factor."""
    session[PENDING_KEY] = [user.id, user.session_generation, int(clock.now().timestamp())]
    return redirect(url_for("console_auth.second_factor", next=request.args.get("next")))


def _pending_user() -> User | None:
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, list) or len(pending) != 3:
        return None
    user_id, generation, since = pending
    if clock.now().timestamp() - since > PENDING_SECONDS:
        return None
    user = User.get_or_none((User.id == user_id) & (User.is_active == True))  # noqa: E712
    return user if user is not None and user.session_generation == generation else None


@bp.route("/login/second-factor", methods=["GET", "POST"])
def second_factor() -> Any:
    """The second sign-in step: a code from the authenticator app, or a recovery code."""
    user = _pending_user()
    if user is None:
        session.pop(PENDING_KEY, None)
        return redirect(url_for("console_auth.login"))
    error, status = "", 200
    if request.method == "POST":
        attempt = signin.second_factor(user, request.form.get("code", ""), ip=client_ip())
        if attempt.user is not None:
            return start_session(attempt.user)
        error, status = str(REFUSALS[attempt.refusal]), 401
        if attempt.refusal == "wrong":
            error = gettext("Wrong code.")
    return render_template("console/second_factor.html", error=error, languages=LANGUAGES), status


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    """Sign out (POST, with the CSRF token): every session of the user ends, copies included."""
    if current_user.is_authenticated:
        signin.sign_out(current_user.user, client_ip())
    logout_user()
    _fresh_session()
    return redirect(url_for("console_auth.login"))


@bp.route("/language", methods=["POST"])
def language() -> Any:
    """Switch the console's language; remembered in the session and on the user."""
    lang = request.form.get("lang", "")
    if lang not in LANGUAGES:
        abort(400)
    session[LANG_KEY] = lang
    if current_user.is_authenticated:
        with write_transaction():
            User.update(language=lang).where(User.id == current_user.id).execute()
    return redirect(_safe_next(request.form.get("next") or (request.referrer and urlsplit(request.referrer).path)))


@bp.route("/tenant", methods=["POST"])
@login_required
def switch_tenant() -> Any:
    """A superadmin picks the tenant the console works in."""
    if current_user.role != "superadmin":
        abort(403)
    tenant = Tenant.get_or_none(Tenant.id == parse_id(request.form.get("tenant_id")))
    if tenant is None:
        abort(404)
    session[TENANT_KEY] = tenant.id
    flash(gettext("Now working in %(name)s.", name=tenant.name), "info")
    return redirect(url_for("admin.index"))


def _check_csrf() -> None:
    if request.method in ("POST", "PUT", "PATCH", "DELETE") and request.path.startswith(CONSOLE_URL + "/"):
        token = request.form.get("csrf_token") or request.headers.get("X-CSRFToken")
        try:
            validate_csrf(token)
        except WTFValidationError as exc:
            raise CSRFError(str(exc)) from None


def _expire_idle() -> None:
    """End a session idle for longer than the configured minutes; note activity once a minute."""
    if "_user_id" not in session:
        return
    now = int(clock.now().timestamp())
    seen = session.get(SEEN_KEY)
    idle = current_app.config["GONGDAN_SETTINGS"].session_idle_minutes * 60
    if isinstance(seen, int) and now - seen > idle:
        logout_user()
        session.pop(TENANT_KEY, None)
        session.pop(SEEN_KEY, None)
        flash(gettext("You were signed out after a period of inactivity."), "info")
    elif not isinstance(seen, int) or now - seen >= SEEN_EVERY_SECONDS:
        session[SEEN_KEY] = now


def _require_second_factor() -> Any:
    """An admin whose tenant requires two-factor sign-in must set it up before anything else."""
    if not request.path.startswith(CONSOLE_URL + "/") or request.path.startswith(SETUP_PATHS):
        return None
    if not current_user.is_authenticated or current_user.totp_secret or not twofactor.required(current_user.user):
        return None
    flash(gettext("Your tenant requires two-factor sign-in for admins: set it up to go on."), "warning")
    return redirect(url_for("account.index"))


def init_auth(app: Flask) -> None:
    """Sessions (Flask-Login), the CSRF check on every console form, the sign-in pages."""
    manager = LoginManager()
    manager.login_view = "console_auth.login"
    manager.login_message = lazy_gettext("Please sign in to open this page.")
    manager.user_loader(_load_user)
    manager.init_app(app)
    app.before_request(_expire_idle)
    app.before_request(_require_second_factor)
    app.before_request(_check_csrf)
    app.jinja_env.globals.setdefault("csrf_token", generate_csrf)
    app.register_blueprint(bp)
