"""Every hookspec is documented and exercised: a plugin implementing all of them sees each called."""

import inspect
from pathlib import Path

import pytest

from gongdan import accounts, delivery, demo, hooks, hookspecs, representation, scheduler, tickets
from gongdan import actions as ticket_actions
from gongdan.actors import Actor
from gongdan.cli import _add_plugin_commands
from gongdan.contributions import AssignmentDecision
from gongdan.errors import Conflict
from gongdan.hookspecs import hookimpl
from gongdan.models import Delivery
from gongdan.plugins import get_host
from gongdan.schema import upgrade
from gongdan.web import create_app

DOCS = Path(__file__).resolve().parents[2] / "docs" / "hooks"  # a page per hook
SPECS = sorted(name for name, obj in vars(hookspecs).items() if name.startswith("gongdan_") and callable(obj))


class Everything:
    """Implements every hook and remembers which were called."""

    def __init__(self):
        self.called = set()
        for name in SPECS:
            spec = getattr(hookspecs, name)
            setattr(self, name, hookimpl(specname=name)(self._impl(name, spec)))

    def _impl(self, name, spec):
        params = list(inspect.signature(spec).parameters)
        answer = {"gongdan_assign_ticket": None}.get(name)
        source = f"def {name}({', '.join(params)}):\n    called.add({name!r})\n    return answer\n"
        scope = {"called": self.called, "answer": answer}
        exec(source, scope)  # a function with the spec's exact argument names
        return scope[name]


def no_decision(tenant, ticket):
    with pytest.raises(Conflict, match="no assignment strategy"):
        tickets.auto_assign(tenant, ticket, Actor.system())


def triggers(tenant):
    ticket, _ = tickets.create(tenant, {"subject": "触发"}, Actor.system())
    agent = accounts.create_user(tenant, "agent@acme.example.com", "agent")
    actions = {
        "gongdan_schema": lambda: upgrade(get_host()),
        "gongdan_channels": lambda: hooks.channels(),
        "gongdan_settings_schema": lambda: get_host().settings_schema("everything"),
        "gongdan_api_blueprints": create_app,
        "gongdan_console_views": create_app,
        "gongdan_scheduled_jobs": lambda: scheduler.jobs(get_host()),
        "gongdan_cli_commands": _add_plugin_commands,
        "gongdan_assignment_strategies": hooks.assignment_strategies,
        "gongdan_notification_transports": hooks.notification_transports,
        "gongdan_knowledge_sources": hooks.knowledge_sources,
        "gongdan_connectors": hooks.connectors,
        "gongdan_event_kinds": hooks.event_kinds,
        "gongdan_ticket_actions": lambda: ticket_actions.offered(tenant),
        "gongdan_assign_ticket": lambda: no_decision(tenant, ticket),
        "gongdan_action_gate": lambda: ticket_actions.run(tenant, ticket, "add_note", {"body": "门"}, Actor.system()),
        "gongdan_ticket_blocks": lambda: representation.tickets_dicts(tenant, [ticket]),
        "gongdan_ticket_panels": lambda: hooks.ticket_panels(tenant, ticket, None),
        "gongdan_notification_links": lambda: delivery.build_message(
            Delivery.create(tenant=tenant, ticket=ticket, channel="api", kind="resolved")
        ),
        "gongdan_customer_orders": lambda: hooks.customer_orders(tenant, ticket.customer),
        "gongdan_customer_ratings": lambda: hooks.customer_ratings(tenant, ticket.customer),
        "gongdan_ticket_created": lambda: None,
        "gongdan_ticket_updated": lambda: tickets.update(tenant, ticket, {"priority": "high"}, Actor.system()),
        "gongdan_ticket_status_changed": lambda: tickets.transition(tenant, ticket, "open", Actor.system()),
        "gongdan_ticket_assigned": lambda: tickets.assign(tenant, ticket, agent.id, Actor.system()),
        "gongdan_comment_added": lambda: tickets.comment(tenant, ticket, "你好", Actor.system()),
        "gongdan_ticket_linked": lambda: tickets.link(tenant, ticket, {"subject": "跟进"}, Actor.system()),
        "gongdan_deadline_announced": lambda: tickets.announce_deadline(
            tenant, ticket, "resolution", ticket.created_at, "test"
        ),
        "gongdan_plugin_toggled": lambda: get_host().set_enabled(tenant, "everything", enabled=False),
        "gongdan_reconcile": lambda: hooks.reconcile(tenant),
        "gongdan_demo_prepared": demo.prepare,
        "gongdan_demo_history_built": lambda: hooks.demo_history_built(tenant, [ticket]),
    }
    return actions


@pytest.fixture
def everything(register_plugin):
    plugin = Everything()
    register_plugin(plugin, "everything")
    return plugin


def test_every_hookspec_has_a_docstring_and_a_page_in_the_docs():
    for name in SPECS:
        doc = inspect.getdoc(getattr(hookspecs, name))
        assert doc, f"{name} has no docstring"
        page = DOCS / f"{name}.md"
        assert page.is_file(), f"{name} has no page docs/hooks/{name}.md"
        assert f"`{name}" in page.read_text(encoding="utf-8"), f"docs/hooks/{name}.md does not name {name}"


def test_every_hookspec_is_exercised(tenant, everything):
    actions = triggers(tenant)
    assert set(actions) == set(SPECS), "a hookspec without a trigger here: add one"
    for name in SPECS:
        actions[name]()
        assert name in everything.called, f"{name} was not called by its trigger"


def test_assignment_decisions_are_applied_with_their_guard(tenant, make_user, register_plugin):
    agent, _ = make_user("agent")
    guarded = []

    class Picker:
        @hookimpl
        def gongdan_assign_ticket(self, ticket):
            return AssignmentDecision(agent.id, "test", "the only agent", guard=lambda: guarded.append(ticket.id))

    register_plugin(Picker(), "picker")
    ticket, _ = tickets.create(tenant, {"subject": "分配"}, Actor.system())
    assigned, decision = tickets.auto_assign(tenant, ticket, Actor.system())
    assert assigned.assignee_id == agent.id
    assert decision.reason == "the only agent"
    assert guarded == [ticket.id]
