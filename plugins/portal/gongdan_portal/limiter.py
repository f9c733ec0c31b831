"""Abuse limits of the portal's forms, counted by the core's shared limiter (all web processes)."""

from __future__ import annotations

from flask import request

# bucket -> (hits, seconds)
LIMITS = {
    "portal.submit.ip": (20, 3600),
    "portal.submit.address": (5, 3600),
    "portal.sign_in.ip": (20, 3600),
    "portal.sign_in.address": (5, 3600),
    "portal.code.challenge": (5, 900),
    "portal.vote.ip": (60, 3600),
    "portal.reply.ticket": (30, 3600),
}


def allow(bucket: str, key: str) -> bool:
    """Record a hit in `bucket` for `key` and answer whether it is within the limit."""
    from gongdan.limits import allow as shared_allow

    hits, seconds = LIMITS[bucket]
    return shared_allow(bucket, key, hits, seconds)


def client_ip() -> str:
    """The visitor's address as the web server saw it (a proxy must set REMOTE_ADDR right)."""
    return request.remote_addr or "unknown"
