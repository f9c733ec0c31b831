"""Signing in and out of the console: sessions, CSRF, lock-out, language and tenant switching."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext, lazy_gettext
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError, generate_csrf, validate_csrf
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired
from wtforms.validators import ValidationError as WTFValidationError

from gongdan import accounts, clock
from gongdan.admin.base import TENANT_KEY
from gongdan.admin.i18n import LANG_KEY, LANGUAGES
from gongdan.db import write_transaction
from gongdan.models import Tenant, User

CONSOLE_URL = "/console"
MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 15

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
        """The session's user key."""
        return str(self.user.id)


class LoginForm(FlaskForm):
    """E-mail and password (with the CSRF token)."""

    email = EmailField(lazy_gettext("E-mail"), validators=[DataRequired()])
    password = PasswordField(lazy_gettext("Password"), validators=[DataRequired()])


def _load_user(user_id: str) -> ConsoleUser | None:
    user = User.get_or_none((User.id == int(user_id)) & (User.is_active == True))  # noqa: E712
    return ConsoleUser(user) if user is not None else None


def _safe_next(target: str | None) -> str:
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target.rstrip("?")
    return url_for("admin.index")


def authenticate(email: str, password: str) -> tuple[User | None, str]:
    """Check a sign-in attempt; `(user, "")` on success, else `(None, why)`. Counts failures."""
    user = User.get_or_none(User.email == email.strip().lower())
    now = clock.now()
    generic = gettext("Wrong e-mail or password.")
    if user is None or not user.is_active:
        return None, generic
    if user.locked_until is not None and user.locked_until > now:
        return None, gettext("Too many failed attempts: this account is locked for a while. Try again later.")
    if not accounts.check_password(user, password):
        failures = user.failed_logins + 1
        locked = now + timedelta(minutes=LOCK_MINUTES) if failures >= MAX_FAILED_LOGINS else None
        with write_transaction():
            User.update(failed_logins=0 if locked else failures, locked_until=locked).where(
                User.id == user.id
            ).execute()
        if locked:
            return None, gettext("Too many failed attempts: this account is locked for a while. Try again later.")
        return None, generic
    with write_transaction():
        User.update(failed_logins=0, locked_until=None, last_login_at=now).where(User.id == user.id).execute()
    return user, ""


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """The sign-in page."""
    form = LoginForm()
    error = ""
    if form.validate_on_submit():
        user, error = authenticate(form.email.data or "", form.password.data or "")
        if user is not None:
            session.pop(TENANT_KEY, None)
            login_user(ConsoleUser(user))
            return redirect(_safe_next(request.args.get("next")))
    status = 401 if request.method == "POST" else 200
    return render_template("console/login.html", form=form, error=error, languages=LANGUAGES), status


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    """Sign out (POST, with the CSRF token)."""
    logout_user()
    session.pop(TENANT_KEY, None)
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
    tenant = Tenant.get_or_none(Tenant.id == request.form.get("tenant_id", type=int))
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


def init_auth(app: Flask) -> None:
    """Sessions (Flask-Login), the CSRF check on every console form, the sign-in pages."""
    manager = LoginManager()
    manager.login_view = "console_auth.login"
    manager.login_message = lazy_gettext("Please sign in to open this page.")
    manager.user_loader(_load_user)
    manager.init_app(app)
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.before_request(_check_csrf)
    app.jinja_env.globals.setdefault("csrf_token", generate_csrf)
    app.register_blueprint(bp)
