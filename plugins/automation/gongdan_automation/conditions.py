"""Conditions: the catalogue of fields and operators, validation, and compilation into closures.

A rule's conditions are compiled once per rule revision into one function of `Facts`, the
lazily computed, per-event view of a ticket; evaluating 200 rules then costs microseconds.
Fields a plugin declares are read from its block of the ticket representation
(`gongdan_ticket_blocks`): `pdd_connector.refund_amount` is the `refund_amount` of the
`pdd_connector` block (see docs/automation.md).
"""

from __future__ import annotations

import operator
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from gongdan import clock, hooks
from gongdan.db import db
from gongdan.errors import ValidationError
from gongdan.models import Category, Comment, Customer, Team, Tenant, Ticket, TicketEvent

Predicate = Callable[["Facts"], bool]

# field -> (kind, label_zh, label_en); kinds: text, number, list, bool, time, date
FIELDS: dict[str, tuple[str, str, str]] = {
    "status": ("text", "状态", "Status"),
    "priority": ("text", "优先级", "Priority"),
    "channel": ("text", "渠道", "Channel"),
    "subject": ("text", "主题", "Subject"),
    "text": ("text", "文字（主题、描述、本次留言）", "Text (subject, description, this comment)"),
    "tags": ("list", "标签", "Tags"),
    "team": ("text", "团队", "Team"),
    "assignee_id": ("number", "处理人编号", "Assignee id"),
    "category": ("text", "分类路径", "Category path"),
    "category_1": ("text", "一级分类（诉求）", "Category level 1"),
    "category_2": ("text", "二级分类（场景）", "Category level 2"),
    "category_3": ("text", "三级分类（问题）", "Category level 3"),
    "tier": ("text", "客户等级", "Customer tier"),
    "comment_author": ("text", "留言人（customer/agent/system）", "Comment author (customer/agent/system)"),
    "hour": ("number", "当地小时 (0–23)", "Local hour (0–23)"),
    "time": ("time", "当地时间 HH:MM", "Local time HH:MM"),
    "date": ("date", "当地日期 YYYY-MM-DD", "Local date YYYY-MM-DD"),
    "weekday": ("number", "星期 (1=周一)", "Weekday (1=Monday)"),
    "business_hours": ("bool", "工作时间内", "Within business hours"),
    "hours_since_created": ("number", "创建后小时数", "Hours since created"),
    "hours_since_updated": ("number", "更新后小时数", "Hours since updated"),
    "hours_since_pending": ("number", "待回复后小时数", "Hours since pending"),
    "hours_since_resolved": ("number", "解决后小时数", "Hours since resolved"),
}

OPERATORS: dict[str, tuple[str, str]] = {
    "is": ("等于", "is"),
    "is_not": ("不等于", "is not"),
    "in": ("属于（逗号分隔）", "is one of (comma-separated)"),
    "not_in": ("不属于", "is none of"),
    "contains": ("包含", "contains"),
    "not_contains": ("不包含", "does not contain"),
    "gt": ("大于", "greater than"),
    "gte": ("大于等于", "at least"),
    "lt": ("小于", "less than"),
    "lte": ("小于等于", "at most"),
    "between": ("介于（两个值，逗号分隔）", "between (two values, comma-separated)"),
    "is_true": ("为是", "is true"),
    "is_false": ("为否", "is false"),
}
ORDERED = {"gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le}


class Facts:
    """What conditions read about one ticket at one event; each field computed once, on demand."""

    def __init__(
        self, tenant: Tenant, ticket: Ticket, *, event: str = "", comment: Comment | None = None, hours: Any = None
    ) -> None:
        self.tenant, self.ticket, self.event, self.comment = tenant, ticket, event, comment
        # (start "HH:MM", end "HH:MM", weekdays) of business hours, a function giving them, or None
        self.hours = hours
        self.now = clock.now().astimezone(ZoneInfo(tenant.timezone or "Asia/Shanghai"))
        self._cache: dict[str, Any] = {}
        self._blocks: dict[str, Any] | None = None

    def get(self, name: str) -> Any:
        """The value of field `name` (None when the ticket has none)."""
        try:
            return self._cache[name]
        except KeyError:
            value = self._cache[name] = self._compute(name)
            return value

    def _compute(self, name: str) -> Any:
        t = self.ticket
        if name in ("status", "priority", "channel", "subject", "assignee_id"):
            return getattr(t, name)
        if name == "text":
            parts = [t.subject or "", t.description or "", self.comment.body if self.comment else ""]
            return "\n".join(parts)
        if name == "tags":
            return list(t.tags or [])
        if name == "team":
            return _name_of(self.tenant, Team, Team.name, t, "team")
        if name.startswith("category"):
            path = _name_of(self.tenant, Category, Category.path, t, "category")
            if name == "category" or path is None:
                return path
            levels = path.split("/")
            index = int(name[-1]) - 1
            return levels[index] if index < len(levels) else None
        if name == "tier":
            return _tier_of(self.tenant, t)
        if name == "comment_author":
            return self.comment.author_kind if self.comment else None
        if name == "hour":
            return self.now.hour
        if name == "time":
            return self.now.strftime("%H:%M")
        if name == "date":
            return self.now.date().isoformat()
        if name == "weekday":
            return self.now.isoweekday()
        if name == "business_hours":
            return self._in_business_hours()
        if name.startswith("hours_since_"):
            return self._hours_since(name.removeprefix("hours_since_"))
        return self._plugin_field(name)

    def _in_business_hours(self) -> bool:
        if callable(self.hours):
            self.hours = self.hours()
        if self.hours is None:
            return False
        start, end, days = self.hours
        return self.now.isoweekday() in days and start <= self.now.strftime("%H:%M") < end

    def _hours_since(self, what: str) -> float | None:
        t = self.ticket
        at: datetime | None
        if what == "created":
            at = t.created_at
        elif what == "updated":
            at = t.updated_at
        elif what == "resolved":
            at = t.resolved_at if t.status == "resolved" else None
        else:  # pending: since the last move to pending, while pending
            at = _pending_since(t) if t.status == "pending" else None
        return None if at is None else (clock.now() - at).total_seconds() / 3600

    def _plugin_field(self, name: str) -> Any:
        plugin, _, key = name.partition(".")
        if self._blocks is None:
            self._blocks = hooks.ticket_blocks(self.tenant, [self.ticket]).get(self.ticket.id, {})
        block = self._blocks.get(plugin)
        return block.get(key) if isinstance(block, dict) else None


NAMES_SECONDS = 2.0  # how long a process trusts the tenant's category paths and team names it read
_names: dict[tuple[str, str, int], tuple[float, dict[int, str]]] = {}


def db_token() -> str:
    """A name of the database now open, unique in the process (a test opens a new one per test):
    what the plugin's per-process caches are keyed by, with the tenant."""
    database = db.obj
    token = getattr(database, "_gongdan_automation_token", None)
    if token is None:
        token = database._gongdan_automation_token = uuid.uuid4().hex
    return token


def _name_of(tenant: Tenant, model: Any, column: Any, ticket: Ticket, relation: str) -> str | None:
    """The path of the ticket's category (or its team's name) without a query per event: the
    tenant's `{id: path}` is read at once and kept `NAMES_SECONDS` in the process (a category or
    team the map does not know yet reads it again). A ticket that already loaded the relation
    answers from it."""
    key_id = getattr(ticket, f"{relation}_id")
    if key_id is None:
        return None
    loaded = ticket.__rel__.get(relation)
    if loaded is not None:
        return getattr(loaded, column.name)
    key, now = (db_token(), model.__name__, tenant.id), time.monotonic()
    found = _names.get(key)
    if found is None or now - found[0] > NAMES_SECONDS or key_id not in found[1]:
        rows = model.select(model.id, column).where(model.tenant == tenant.id).tuples()
        found = _names[key] = (now, dict(rows))
    return found[1].get(key_id)


TIERS_KEPT = 10_000  # customers whose tier a process keeps (`NAMES_SECONDS` each)
_tiers: dict[tuple[str, int], tuple[float, str | None]] = {}


def _tier_of(tenant: Tenant, ticket: Ticket) -> str | None:
    """The tier of the ticket's customer: the one column (not the whole row, whose contact fields
    are decrypted on load), kept `NAMES_SECONDS` per customer so the events of one change (created,
    assigned, updated) read it once."""
    if ticket.customer_id is None:
        return None
    loaded = ticket.__rel__.get("customer")
    if loaded is not None:
        return loaded.tier
    key, now = (db_token(), ticket.customer_id), time.monotonic()
    found = _tiers.get(key)
    if found is None or now - found[0] > NAMES_SECONDS:
        tier = (
            Customer.select(Customer.tier)
            .where((Customer.id == ticket.customer_id) & (Customer.tenant == tenant.id))
            .scalar()
        )
        if len(_tiers) >= TIERS_KEPT:
            _tiers.clear()
        found = _tiers[key] = (now, tier)
    return found[1]


def _pending_since(ticket: Ticket) -> datetime | None:
    event = (
        TicketEvent.select(TicketEvent.at, TicketEvent.data)
        .where((TicketEvent.ticket == ticket.id) & (TicketEvent.kind == "status_changed"))
        .order_by(TicketEvent.id.desc())
        .first()
    )
    return event.at if event is not None and event.data.get("to") == "pending" else ticket.updated_at


def kind_of(field: str) -> str:
    """The kind of a field; a plugin's field (`plugin.key`) is compared as given."""
    return FIELDS[field][0] if field in FIELDS else "any"


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _coerce(kind: str, value: Any) -> Any:
    """A condition's value as the field's kind compares it (numbers for numbers, text otherwise)."""
    if kind in ("number", "any") and _number(value) is not None and not isinstance(value, bool):
        return _number(value)
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value).strip()


def _values(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    return [part.strip() for part in str(value).replace("，", ",").split(",") if part.strip()]


def validate_conditions(conditions: Any, where: str = "conditions") -> list[dict[str, Any]]:
    """Check a rule's conditions; ValidationError names each bad one (`conditions.0.op`)."""
    if not isinstance(conditions, list):
        raise ValidationError("invalid conditions", {where: ["must be a list"]})
    problems: dict[str, list[str]] = {}
    clean = []
    for i, cond in enumerate(conditions):
        at = f"{where}.{i}"
        if not isinstance(cond, dict):
            problems[at] = ["must be an object with field, op and value"]
            continue
        field, op, value = cond.get("field"), cond.get("op"), cond.get("value")
        if not isinstance(field, str) or (field not in FIELDS and "." not in field):
            problems[f"{at}.field"] = ["unknown field (see GET /api/v1/automation/fields; a plugin's is plugin.key)"]
        if op not in OPERATORS:
            problems[f"{at}.op"] = [f"must be one of: {', '.join(OPERATORS)}"]
        elif op == "between" and len(_values(value)) != 2:
            problems[f"{at}.value"] = ["between needs two values"]
        elif op in ("gt", "gte", "lt", "lte") and kind_of(str(field)) == "number" and _number(value) is None:
            problems[f"{at}.value"] = ["must be a number"]
        elif op not in ("is_true", "is_false") and value in (None, "", []):
            problems[f"{at}.value"] = ["must not be empty"]
        clean.append({"field": field, "op": op, "value": value})
    if problems:
        raise ValidationError("invalid conditions", problems)
    return clean


def compile_condition(cond: dict[str, Any]) -> Predicate:
    """One condition as a function of `Facts`."""
    field, op, raw = cond["field"], cond["op"], cond.get("value")
    kind = kind_of(field)
    get = operator.methodcaller("get", field)
    if op == "is_true":
        return lambda f: bool(get(f))
    if op == "is_false":
        return lambda f: not get(f)
    if op in ("in", "not_in"):
        wanted = frozenset(str(_coerce(kind, v)) for v in _values(raw))
        hit = (
            (lambda v: v is not None and str(_coerce(kind, v)) in wanted)
            if kind != "list"
            else (lambda v: bool(wanted & set(v or ())))
        )
        return (lambda f: hit(get(f))) if op == "in" else (lambda f: not hit(get(f)))
    if op in ("contains", "not_contains"):
        needle = str(raw).strip().casefold()
        if kind == "list":
            has = lambda v: any(needle == str(x).casefold() for x in v or ())  # noqa: E731
        else:
            has = lambda v: v is not None and needle in str(v).casefold()  # noqa: E731
        return (lambda f: has(get(f))) if op == "contains" else (lambda f: not has(get(f)))
    if op in ORDERED:
        compare, bound = ORDERED[op], _coerce(kind, raw)
        return lambda f: _ordered(compare, get(f), bound)
    if op == "between":
        low, high = (_coerce(kind, v) for v in _values(raw))
        return lambda f: _ordered(operator.ge, get(f), low) and _ordered(operator.le, get(f), high)
    wanted = _coerce(kind, raw)
    if isinstance(wanted, str) and kind == "text":  # the common case, compared as it is
        return (lambda f: f.get(field) == wanted) if op == "is" else (lambda f: f.get(field) != wanted)
    same = lambda v: v is not None and _coerce(kind, v) == wanted  # noqa: E731
    return (lambda f: same(get(f))) if op == "is" else (lambda f: not same(get(f)))


def _ordered(compare: Callable[[Any, Any], bool], value: Any, bound: Any) -> bool:
    if value is None:
        return False
    if isinstance(bound, float):
        number = _number(value)
        return number is not None and compare(number, bound)
    return compare(str(value), str(bound))


def compile_rule(match: str, conditions: list[dict[str, Any]]) -> Predicate:
    """All (or any) of the conditions as one function; no conditions: always true."""
    predicates = tuple(compile_condition(c) for c in conditions)
    if not predicates:
        return lambda f: True
    if len(predicates) == 1:
        return predicates[0]
    if match == "any":

        def any_holds(f: Facts) -> bool:
            return any(predicate(f) for predicate in predicates)

        return any_holds

    def all_hold(f: Facts) -> bool:
        return all(predicate(f) for predicate in predicates)

    return all_hold


def explain(conditions: list[dict[str, Any]], facts: Facts) -> list[dict[str, Any]]:
    """Each condition with the ticket's value and whether it holds (for a dry run)."""
    return [
        {**cond, "actual": _plain(facts.get(cond["field"])), "holds": compile_condition(cond)(facts)}
        for cond in conditions
    ]


def _plain(value: Any) -> Any:
    return value if isinstance(value, (str, int, float, bool, list, type(None))) else str(value)
