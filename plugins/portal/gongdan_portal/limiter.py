"""Abuse limits of the portal's forms, counted by the core's shared limiter (all web processes)."""

from __future__ import annotations

from flask import request

from gongdan import limits

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


def allow(bucket: str, key: str, hits: int | None = None) -> bool:
    """Record a hit in `bucket` for `key` and answer whether it is within the limit (`hits` overrides it)."""
    default, seconds = LIMITS[bucket]
    return limits.allow(bucket, key, hits or default, seconds)


def client_ip() -> str:
    """The visitor's address as the web server saw it (a proxy must set REMOTE_ADDR right)."""
    return request.remote_addr or "unknown"
