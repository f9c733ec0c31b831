"""`gongdan.testing.run_job` and `unexported_hookimpls`: the two helpers a plugin's tests call
directly (the 抖店 newcomer trial: a job run by hand from the scaffold's test, and three hooks
written in a submodule that gongdan never called)."""

from __future__ import annotations

import importlib
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from gongdan.contributions import ScheduledJob
from gongdan.hookspecs import hookimpl
from gongdan.models import JobRun
from gongdan.testing import run_job, unexported_hookimpls


def test_unexported_hookimpls_names_hooks_gongdan_would_never_call(tmp_path: Path) -> None:
    package = tmp_path / "gongdan_trial"
    package.mkdir()
    (package / "__init__.py").write_text("from .hooks import gongdan_channels\n")
    (package / "__main__.py").write_text("raise SystemExit('a CLI: never imported')\n")
    (package / "hooks.py").write_text(
        textwrap.dedent(
            """
            from gongdan.hookspecs import hookimpl

            @hookimpl
            def gongdan_channels():
                return []

            @hookimpl
            def gongdan_ticket_actions():
                return []

            @hookimpl(specname="gongdan_event_kinds")
            def kinds():
                return []

            def helper():
                return None
            """
        )
    )
    sys.path.insert(0, str(tmp_path))
    try:
        module = importlib.import_module("gongdan_trial")
        assert unexported_hookimpls(module) == [
            "gongdan_trial.hooks.gongdan_ticket_actions",
            "gongdan_trial.hooks.kinds",
        ]
        module.gongdan_ticket_actions = module.hooks.gongdan_ticket_actions
        module.gongdan_event_kinds = module.hooks.kinds
        assert unexported_hookimpls(module) == []
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n.startswith("gongdan_trial")]:
            del sys.modules[name]


ran: list[str] = []


class Sweeper:
    @hookimpl
    def gongdan_scheduled_jobs(self) -> list[ScheduledJob]:
        return [ScheduledJob(id="sweeper.sweep", func=lambda: ran.append("swept"), seconds=60)]


def test_run_job_runs_a_registered_job_and_names_the_ids_when_there_is_none(
    gongdan_db: Any, register_plugin: Any
) -> None:
    register_plugin(Sweeper(), "sweeper")
    ran.clear()
    assert run_job("sweeper.sweep") is True
    assert ran == ["swept"]
    assert JobRun.get(JobRun.job_id == "sweeper.sweep").runs == 1
    with pytest.raises(KeyError, match=r"sweeper\.sweep"):
        run_job("sweeper.nothing")
