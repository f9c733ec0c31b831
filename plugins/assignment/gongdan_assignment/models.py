"""The assignment plugin's tables: agents' availability and load, the tenant's rules, routing state."""

from __future__ import annotations

import peewee as pw

from gongdan import clock
from gongdan.fields import JSONField, UTCDateTimeField
from gongdan.models import Team, TenantModel, Ticket, User

STATUSES = ("online", "away", "offline")


class AgentState(TenantModel):
    """One agent's availability and load.

    `open_count` is the agent's open tickets as the plugin accounts them: raised atomically
    when the plugin assigns (`UPDATE ... WHERE open_count < capacity`), recounted from the
    tickets under the row's lock whenever anything else changes them.
    """

    user = pw.ForeignKeyField(User, on_delete="CASCADE", unique=True)
    status = pw.CharField(max_length=16, default="offline")
    capacity = pw.IntegerField(default=8)
    weight = pw.IntegerField(default=1)
    shifts = JSONField(default=list)
    leave_start = UTCDateTimeField(null=True)
    leave_end = UTCDateTimeField(null=True)
    leave_replacement = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    leave = JSONField(null=True)
    open_count = pw.IntegerField(default=0)
    assigned_total = pw.IntegerField(default=0)
    last_assigned_at = UTCDateTimeField(null=True)
    updated_at = UTCDateTimeField(default=clock.now)

    class Meta:
        table_name = "assignment_agent"


# load relative to capacity, in the order `least_loaded` asks for: the short list of the
# least loaded agents is read off this index instead of sorting every agent of the tenant
LOAD = 'CAST("open_count" AS REAL) / "capacity"'
AgentState.add_index(
    AgentState.index(
        AgentState.tenant, AgentState.status, pw.SQL(f"({LOAD})"), AgentState.user, name="assignment_agent_load"
    )
)


class RuleSet(TenantModel):
    """The tenant's ordered routing rules and the default, as the API shows them."""

    rules = JSONField(default=list)
    default = JSONField(default=dict)
    updated_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
    updated_at = UTCDateTimeField(default=clock.now)

    class Meta:
        table_name = "assignment_rules"
        indexes = ((("tenant",), True),)


class Routing(TenantModel):
    """What the plugin knows of one ticket: waiting (and why) or assigned (since when, to whom).

    `lapsed` lists agents who let the ticket pass without a first response; they are not
    chosen for it again.
    """

    ticket = pw.ForeignKeyField(Ticket, on_delete="CASCADE", unique=True)
    waiting = pw.BooleanField(default=False)
    reason = pw.TextField(default="")
    team = pw.ForeignKeyField(Team, null=True, on_delete="SET NULL")
    assignee = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
    since = UTCDateTimeField(default=clock.now)
    lapsed = JSONField(default=list)

    class Meta:
        table_name = "assignment_routing"
        indexes = ((("tenant", "waiting"), False),)


MODELS: list[type[TenantModel]] = [AgentState, RuleSet, Routing]
