"""gongdan (工单): a ticket core for customer-service teams, extended by plugins."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("gongdan")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"
