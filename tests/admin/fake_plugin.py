"""A small plugin for the console tests: settings, a console view, a ticket panel and translations."""

from __future__ import annotations

from typing import Any

from flask_admin import expose
from markupsafe import Markup, escape
from marshmallow import Schema, fields, validate

from gongdan.admin.base import ConsoleBaseView
from gongdan.contributions import ConsoleView, PluginSpec, TicketPanel
from gongdan.hookspecs import hookimpl

NAME = "widget"


class WidgetSettings(Schema):
    """The widget's per-tenant settings."""

    greeting = fields.String(load_default="你好", validate=validate.Length(min=1, max=20))
    max_items = fields.Integer(load_default=5, validate=validate.Range(min=1, max=50))
    mode = fields.String(load_default="simple", validate=validate.OneOf(["simple", "fancy"]))
    loud = fields.Boolean(load_default=False)
    words = fields.List(fields.String(), load_default=list)


class WidgetView(ConsoleBaseView):
    """A plugin page for supervisors, shown only where the widget is enabled."""

    role = "supervisor"
    plugin = NAME

    @expose("/")
    def index(self) -> Any:
        return f"widget page of {escape(self.current_tenant().slug)} for {escape(self.current_user.email)}"


class WidgetPlugin:
    """Hook implementations (an object, registered with `register_plugin`)."""

    PLUGIN = PluginSpec(label="Widget", label_zh="小部件", category="test", requires_core=">=0.1,<1")

    @hookimpl
    def gongdan_settings_schema(self) -> Any:
        return WidgetSettings

    @hookimpl
    def gongdan_console_views(self) -> Any:
        return [ConsoleView(view=WidgetView(name="Widget", endpoint="widget", url="/console/widget"), menu="Extras")]

    @hookimpl
    def gongdan_ticket_panels(self, tenant: Any, ticket: Any, user: Any) -> Any:
        return TicketPanel(
            name="widget",
            title="Widget panel",
            html=Markup("<p class='widget-panel'>{} <b>{}</b></p>").format("订单号", ticket.subject),
            order=10,
        )
