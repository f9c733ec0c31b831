"""Fixtures: gongdan.testing gives `tenant`, `enable_plugin`, `admin_api`, `console_client`, ...
(installed with gongdan; the plugin must be installed too: `pip install -e .`)."""

import pytest


@pytest.fixture
def on(tenant, enable_plugin):
    """The plugin switched on for `tenant`."""
    enable_plugin("jd")
    return tenant
