"""The core's own hook implementations: its tables, its channels and its periodic repair."""

from __future__ import annotations

from gongdan.contributions import Channel, ScheduledJob, Schema
from gongdan.hookspecs import hookimpl
from gongdan.models import CORE_MODELS

CORE_CHANNELS = ("api", "web", "email", "phone")


@hookimpl
def gongdan_schema() -> Schema:
    """The core's tables."""
    return Schema(owner="core", models=CORE_MODELS, version=1)


@hookimpl
def gongdan_channels() -> list[Channel]:
    """The channels every installation has."""
    labels = {"api": "API", "web": "Web portal", "email": "E-mail", "phone": "Phone"}
    return [Channel(name=name, label=labels[name]) for name in CORE_CHANNELS]


@hookimpl
def gongdan_scheduled_jobs() -> list[ScheduledJob]:
    """Reconciliation: re-dispatch undelivered events, then let plugins repair their part."""
    from gongdan.reconcile import reconcile_all

    return [
        ScheduledJob(
            id="core.reconcile",
            func=reconcile_all,
            seconds=60,
            description="re-dispatch events a crash left undelivered; plugins repair their state",
        )
    ]
