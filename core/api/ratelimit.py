"""Per-token rate limiting for the REST API, on the shared limiter (`gongdan.limits`).

Each token may make `per_minute` requests in any sliding minute, counted in the database, so
the limit holds however many web processes and machines serve the API.
"""

from __future__ import annotations

from gongdan import limits
from gongdan.errors import GongdanError

BUCKET = "api"


class RateLimited(GongdanError):
    """Too many requests; `retry_after` seconds until the next is allowed."""

    code = "rate_limited"
    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def take(token_id: int, per_minute: int) -> int:
    """Count one request of token `token_id` and return how many are left this minute.

    Raises RateLimited when the token has used its `per_minute` requests.
    """
    verdict = limits.hit(BUCKET, str(token_id), per_minute, 60)
    if not verdict.allowed:
        raise RateLimited(f"rate limit of {per_minute} requests a minute exceeded", verdict.retry_after)
    return verdict.remaining
