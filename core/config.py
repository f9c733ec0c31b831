"""Settings read from the environment (see the README's Configuration table)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

DEFAULT_DATABASE_URL = "sqlite:///gongdan.db"


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def _names(name: str) -> frozenset[str]:
    raw = os.environ.get(name, "")
    return frozenset(part.strip() for part in raw.split(",") if part.strip())


def _secure_cookies() -> str:
    """`on`, `off` or `auto` (Secure when the request came over HTTPS) from GONGDAN_SECURE_COOKIES."""
    raw = os.environ.get("GONGDAN_SECURE_COOKIES", "auto").strip().lower()
    if raw in {"1", "true", "yes", "on"}:
        return "on"
    return "off" if raw in {"0", "false", "no", "off"} else "auto"


@dataclass(frozen=True)
class Settings:
    """A snapshot of gongdan's environment settings."""

    database_url: str = DEFAULT_DATABASE_URL
    disable_plugin_autoload: bool = False
    blocked_plugins: frozenset[str] = field(default_factory=frozenset)
    strict_plugins: bool = False
    rate_limit_per_minute: int = 600
    max_body_bytes: int = 1_048_576
    secure_cookies: str = "auto"
    proxy_hops: int = 0
    session_idle_minutes: int = 480
    login_limit_per_account: int = 20
    login_limit_per_ip: int = 100
    outbound_allow: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_env(cls) -> Settings:
        """Read every `GONGDAN_*` variable, falling back to the documented defaults."""
        return cls(
            database_url=os.environ.get("GONGDAN_DATABASE_URL") or DEFAULT_DATABASE_URL,
            disable_plugin_autoload=_flag("GONGDAN_DISABLE_PLUGIN_AUTOLOAD"),
            blocked_plugins=_names("GONGDAN_BLOCKED_PLUGINS"),
            strict_plugins=_flag("GONGDAN_STRICT_PLUGINS"),
            rate_limit_per_minute=int(os.environ.get("GONGDAN_RATE_LIMIT_PER_MINUTE", "600")),
            max_body_bytes=int(os.environ.get("GONGDAN_MAX_BODY_BYTES", "1048576")),
            secure_cookies=_secure_cookies(),
            proxy_hops=int(os.environ.get("GONGDAN_PROXY_HOPS", "0")),
            session_idle_minutes=int(os.environ.get("GONGDAN_SESSION_IDLE_MINUTES", "480")),
            login_limit_per_account=int(os.environ.get("GONGDAN_LOGIN_LIMIT_PER_ACCOUNT", "20")),
            login_limit_per_ip=int(os.environ.get("GONGDAN_LOGIN_LIMIT_PER_IP", "100")),
            outbound_allow=_names("GONGDAN_OUTBOUND_ALLOW"),
        )
