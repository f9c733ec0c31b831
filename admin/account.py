"""The signed-in user's own account: password, two-factor sign-in, and the tenant's 2FA rule."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, session
from flask_admin import expose
from flask_babel import gettext
from flask_login import current_user, login_user

from gongdan import accounts, audit, pending_secrets, twofactor
from gongdan.actors import Actor
from gongdan.admin.auth import ConsoleUser, client_ip
from gongdan.admin.base import ConsoleBaseView, has_role
from gongdan.admin.errors import flash_error
from gongdan.db import write_transaction
from gongdan.errors import GongdanError
from gongdan.models import Tenant

# the session holds only a handle: the seed itself waits on the server (gongdan.pending_secrets)
ENROL_KEY = "console_totp_enrolment"
ENROL_PURPOSE = "totp.enrolment"
ENROL_SECONDS = 3600


class AccountView(ConsoleBaseView):
    """My account: change the password, turn two-factor sign-in on or off; admins set the tenant's rule."""

    role = "agent"

    def is_visible(self) -> bool:
        """Reached from the user menu, not the main menu."""
        return False

    @expose("/")
    def index(self) -> Any:
        """The account page; while two-factor is off it offers a fresh secret as a QR code."""
        user = self.current_user
        qr = secret = None
        if not user.totp_secret:
            secret = pending_secrets.read(user, ENROL_PURPOSE, session.get(ENROL_KEY))
            if secret is None:
                secret = twofactor.new_secret()
                session[ENROL_KEY] = pending_secrets.hold(user, ENROL_PURPOSE, secret, ENROL_SECONDS)
            qr = twofactor.qr_svg(user, secret)
        page = self.render(
            "console/account.html",
            user=user,
            qr=qr,
            secret=secret,
            required=twofactor.required(user),
            can_set_rule=has_role(current_user, "admin"),
            tenant=self.current_tenant(),
            recovery_codes=None,
        )
        return page, 200, {"Cache-Control": "no-store"}

    @expose("/password", methods=["POST"])
    def password(self) -> Any:
        """Change the password (the current one is asked); every other session of the user ends."""
        user = self.current_user
        new = request.form.get("new_password", "")
        if not accounts.check_password(user, request.form.get("current_password", "")):
            flash(gettext("Not done: the current password is wrong."), "danger")
        elif new != request.form.get("repeat_password", ""):
            flash(gettext("Not done: the two new passwords differ."), "danger")
        else:
            try:
                accounts.set_password(user, new, Actor.of(user), ip=client_ip())
            except GongdanError as exc:
                flash_error(exc)
            else:
                login_user(ConsoleUser(user))  # this session carries on under the new generation
                flash(gettext("Password changed. Your other sessions have been signed out."), "success")
        return redirect(self.get_url(".index"))

    @expose("/2fa/enable", methods=["POST"])
    def enable(self) -> Any:
        """Confirm the enrolment with a code from the app; shows the recovery codes once."""
        user = self.current_user
        secret = pending_secrets.read(user, ENROL_PURPOSE, session.get(ENROL_KEY))
        if not secret:
            return redirect(self.get_url(".index"))
        try:
            codes = twofactor.enable(user, secret, request.form.get("code", ""), Actor.of(user), ip=client_ip())
        except GongdanError:
            flash(gettext("Not done: the code does not match. Check the time on your phone and retry."), "danger")
            return redirect(self.get_url(".index"))
        pending_secrets.take(user, ENROL_PURPOSE, session.pop(ENROL_KEY, None))
        page = self.render(
            "console/account.html",
            user=user,
            qr=None,
            secret=None,
            required=twofactor.required(user),
            can_set_rule=has_role(current_user, "admin"),
            tenant=self.current_tenant(),
            recovery_codes=codes,
        )
        return page, 200, {"Cache-Control": "no-store"}

    @expose("/2fa/disable", methods=["POST"])
    def disable(self) -> Any:
        """Turn two-factor off (the password is asked; refused where the tenant requires it)."""
        user = self.current_user
        if twofactor.required(user):
            flash(gettext("Not done: your tenant requires two-factor sign-in for admins."), "danger")
        elif not accounts.check_password(user, request.form.get("current_password", "")):
            flash(gettext("Not done: the current password is wrong."), "danger")
        else:
            twofactor.disable(user, Actor.of(user), ip=client_ip())
            flash(gettext("Two-factor sign-in is off."), "info")
        return redirect(self.get_url(".index"))

    @expose("/tenant-rule", methods=["POST"])
    def tenant_rule(self) -> Any:
        """An admin requires (or stops requiring) two-factor sign-in of the tenant's admins."""
        user = self.current_user
        if not has_role(current_user, "admin"):
            abort(403)
        tenant = self.current_tenant()
        wanted = request.form.get("require_admin_2fa") == "y"
        with write_transaction():
            Tenant.update(require_admin_2fa=wanted).where(Tenant.id == tenant.id).execute()
            changes = audit.diff({"require_admin_2fa": tenant.require_admin_2fa}, {"require_admin_2fa": wanted})
            audit.record(tenant, "tenant.security_changed", Actor.of(user), data={"changes": changes}, ip=client_ip())
        flash(gettext("Saved."), "success")
        return redirect(self.get_url(".index"))
