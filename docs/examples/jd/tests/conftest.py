"""Fixtures: gongdan.testing gives `tenant`, `enable_plugin`, `admin_api`, `console_client`, ...

Installed (`pip install -e .`), the plugin is discovered by its entry point and its tables
exist in every test database. gongdan's own test suite runs this example without installing
it: then `jd` registers the module for the test and creates its tables.
"""

import pytest

import gongdan_jd
from gongdan.cli import cli
from gongdan.plugins import get_host
from gongdan_jd.models import MODELS


@pytest.fixture
def jd(gongdan_db, register_plugin):
    """The plugin, loaded (registered for the test when it is not installed)."""
    host = get_host()
    registered = "jd" not in host.loaded
    if registered:
        register_plugin(gongdan_jd, "jd", everywhere=False)
        gongdan_db.create_tables(MODELS, safe=True)
    for model in MODELS:  # rows another test left (PostgreSQL keeps the tables)
        model.delete().execute()
    yield host.record("jd")
    for model in MODELS:
        model.delete().execute()
    if registered:  # `gongdan jd ...` and the tables leave with the plugin, for the tests that follow
        cli.commands.pop("jd", None)
        gongdan_db.drop_tables(MODELS, safe=True)


@pytest.fixture
def on(tenant, jd, enable_plugin):
    """The plugin switched on for `tenant`."""
    enable_plugin("jd")
    return tenant
