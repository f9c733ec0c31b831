"""The core's ticket actions: status, priority, team, assignee, category, tags, note, reply, follow-up.

Each runs through the ticket service (`gongdan.tickets`), which checks and records the change;
`gongdan.actions.run` records the run itself. Registered by `gongdan.builtin`.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from gongdan import tickets
from gongdan.actors import Actor
from gongdan.contributions import TicketAction
from gongdan.models import PRIORITIES, STATUSES, Category, Team, Tenant, Ticket, User

TAG_MODES = ("set", "add", "remove")


def _text(label_zh: str, label_en: str, **kwargs: Any) -> fields.String:
    return fields.String(metadata={"label_zh": label_zh, "label_en": label_en, **kwargs.pop("metadata", {})}, **kwargs)


class StatusInputs(Schema):
    """Inputs of `set_status`."""

    status = _text("状态", "Status", required=True, validate=validate.OneOf(STATUSES))


class PriorityInputs(Schema):
    """Inputs of `set_priority`."""

    priority = _text("优先级", "Priority", required=True, validate=validate.OneOf(PRIORITIES))


class TeamInputs(Schema):
    """Inputs of `set_team` (a team's name or id; empty: no team)."""

    team = _text("团队", "Team", required=True, allow_none=True)


class AssigneeInputs(Schema):
    """Inputs of `set_assignee` (null: unassign)."""

    assignee_id = fields.Integer(
        required=True, allow_none=True, strict=False, metadata={"label_zh": "处理人", "label_en": "Assignee"}
    )


class CategoryInputs(Schema):
    """Inputs of `set_category` (a `/`-separated path; empty: none)."""

    category = _text("分类", "Category", required=True, allow_none=True)


class TagsInputs(Schema):
    """Inputs of `set_tags`: replace the tags, or add or remove some."""

    tags = fields.List(
        fields.String(validate=validate.Length(min=1, max=50)),
        required=True,
        metadata={"label_zh": "标签", "label_en": "Tags"},
    )
    mode = _text("方式", "How", load_default="set", validate=validate.OneOf(TAG_MODES))


class BodyInputs(Schema):
    """Inputs of `add_note` and `send_reply`."""

    body = _text("内容", "Text", required=True, validate=validate.Length(min=1), metadata={"widget": "textarea"})


class FollowupInputs(Schema):
    """Inputs of `link_followup`."""

    subject = _text("主题", "Subject", required=True, validate=validate.Length(min=1, max=200))
    description = _text("描述", "Description", load_default="", metadata={"widget": "textarea"})


def _open(tenant: Tenant, ticket: Ticket, user: Any) -> bool:
    return ticket.status != "closed"


def _set_status(tenant: Tenant, ticket: Ticket, inputs: dict[str, Any], actor: Actor) -> dict[str, Any]:
    return {"status": tickets.transition(tenant, ticket, inputs["status"], actor).status}


def _updater(key: str) -> Any:
    def run(tenant: Tenant, ticket: Ticket, inputs: dict[str, Any], actor: Actor) -> dict[str, Any]:
        value = inputs[key] or None
        tickets.update(tenant, ticket, {key: value}, actor)
        return {key: value}

    return run


def _set_assignee(tenant: Tenant, ticket: Ticket, inputs: dict[str, Any], actor: Actor) -> dict[str, Any]:
    tickets.assign(tenant, ticket, inputs["assignee_id"], actor, reason="ticket action", strategy="action")
    return {"assignee_id": inputs["assignee_id"]}


def _set_tags(tenant: Tenant, ticket: Ticket, inputs: dict[str, Any], actor: Actor) -> dict[str, Any]:
    given, mode = inputs["tags"], inputs["mode"]
    if mode == "add":
        tags = [*ticket.tags, *given]
    elif mode == "remove":
        tags = [t for t in ticket.tags if t not in given]
    else:
        tags = given
    return {"tags": tickets.update(tenant, ticket, {"tags": tags}, actor).tags}


def _commenter(internal: bool) -> Any:
    def run(tenant: Tenant, ticket: Ticket, inputs: dict[str, Any], actor: Actor) -> dict[str, Any]:
        return {"comment_id": tickets.comment(tenant, ticket, inputs["body"], actor, internal=internal).id}

    return run


def _link_followup(tenant: Tenant, ticket: Ticket, inputs: dict[str, Any], actor: Actor) -> dict[str, Any]:
    child = tickets.link(tenant, ticket, {"subject": inputs["subject"], "description": inputs["description"]}, actor)
    return {"ticket_id": child.id, "number": child.number}


def _team_choices(tenant: Tenant, ticket: Ticket) -> dict[str, list[tuple[Any, str]]]:
    return {"team": [(t.name, t.name) for t in Team.of(tenant).order_by(Team.name)]}


def _agent_choices(tenant: Tenant, ticket: Ticket) -> dict[str, list[tuple[Any, str]]]:
    users = User.of(tenant).where(User.is_active == True).order_by(User.name, User.email)  # noqa: E712
    return {"assignee_id": [(u.id, u.name or u.email) for u in users]}


def _category_choices(tenant: Tenant, ticket: Ticket) -> dict[str, list[tuple[Any, str]]]:
    return {"category": [(c.path, c.path) for c in Category.of(tenant).order_by(Category.path)]}


def core_actions() -> list[TicketAction]:
    """The actions every installation offers."""
    return [
        TicketAction("set_status", "设置状态", "Set status", StatusInputs, _set_status, _open, order=10),
        TicketAction(
            "set_priority", "设置优先级", "Set priority", PriorityInputs, _updater("priority"), _open, order=11
        ),
        TicketAction(
            "set_team", "设置团队", "Set team", TeamInputs, _updater("team"), _open, choices=_team_choices, order=12
        ),
        TicketAction(
            "set_assignee",
            "设置处理人",
            "Set assignee",
            AssigneeInputs,
            _set_assignee,
            _open,
            permission="ticket.assign",
            choices=_agent_choices,
            order=13,
        ),
        TicketAction(
            "set_category",
            "设置分类",
            "Set category",
            CategoryInputs,
            _updater("category"),
            _open,
            choices=_category_choices,
            order=14,
        ),
        TicketAction("set_tags", "设置标签", "Set tags", TagsInputs, _set_tags, _open, order=15),
        TicketAction("add_note", "添加内部备注", "Add an internal note", BodyInputs, _commenter(True), _open, order=20),
        TicketAction("send_reply", "回复客户", "Send a reply", BodyInputs, _commenter(False), _open, order=21),
        TicketAction("link_followup", "创建跟进工单", "Open a follow-up", FollowupInputs, _link_followup, order=30),
    ]
