"""Bearer tokens verified once per process, re-checked against the database on every request.

`gongdan.accounts.user_for_token` reads the token, its user and the user's tenant in one
compiled join and turns the row into three model instances; turning it into models is most of
its cost. This cache keeps, per token hash, the row as the database returned it and the models'
data. Every request still runs the same join (one indexed statement) and compares the row it gets
with the kept one, column by column:

* the same row: the request gets fresh model instances copied from the kept data (no parsing);
* any difference — the token revoked (`revoked_at` set: the join returns no row at all), the
  user deactivated, their role, team or password changed, the tenant's plugins or settings
  changed — or no row: the entry is dropped and the token verified from scratch.

So the cache can never outlive a revocation, a role change or a deactivation, whichever process
made it: its "revision" is the whole row, read with each request — but for two counters that
say nothing about who may do what and change on their own (`VOLATILE`): the tenant's ticket
number sequence, bumped by every create, and the token's `last_used_at`, noted once a minute.
Compared too, they made every request after a create verify from scratch. They are taken from
the row just read instead, so the models match that row exactly. Expiry is checked against the
clock on every request too. The cache is bounded (`MAX_ENTRIES`, cleared when full) and safe under
gunicorn's threads (each request gets its own instances; dict reads and writes are atomic).
"""

from __future__ import annotations

from typing import Any

from gongdan import clock
from gongdan.accounts import TOKEN_QUERY, token_hash, user_for_token
from gongdan.db import db
from gongdan.models import ApiToken, Tenant, User
from gongdan.statements import hydrate

MAX_ENTRIES = 10_000
# columns left out of the comparison and copied from the fresh row: (model, field)
VOLATILE = ((ApiToken, "last_used_at"), (Tenant, "ticket_seq"))

# token hash -> (the joined row as read, VOLATILE columns blanked; token data, user data, tenant data)
_verified: dict[str, tuple[tuple[Any, ...], dict[str, Any], dict[str, Any], dict[str, Any]]] = {}
stats = {"hits": 0, "misses": 0}
_positions: dict[type, tuple[int, ...]] = {}  # database kind -> where VOLATILE's columns are in the row


def _volatile_positions() -> tuple[int, ...]:
    """Where `VOLATILE`'s columns are in TOKEN_QUERY's row (the same for every run of it)."""
    key = type(db.obj)
    found = _positions.get(key)
    if found is None:
        query = TOKEN_QUERY.query(())  # the compiled peewee query: its columns in order
        columns = list(query._returning)
        # by identity: a peewee field's `==` builds an expression
        where = [[i for i, column in enumerate(columns) if column is getattr(model, name)] for model, name in VOLATILE]
        # in VOLATILE's order; a column missing from the select: compare everything
        found = _positions[key] = tuple(i[0] for i in where) if all(len(i) == 1 for i in where) else ()
    return found


def _stable(row: Any, positions: tuple[int, ...]) -> tuple[Any, ...]:
    """`row` with the volatile columns blanked, for the comparison."""
    values = list(row)
    for i in positions:
        values[i] = None
    return tuple(values)


def verify(token: str) -> tuple[User, ApiToken] | None:
    """The active user behind a valid, unrevoked, unexpired `token`, with its row; else None.

    The same answer as `user_for_token`, for one indexed read when this process has seen the
    token before and nothing about it, its user or its tenant changed since.
    """
    hashed = token_hash(token)
    row = TOKEN_QUERY.cursor((), {"hash": hashed}).fetchone()
    if row is None:
        _verified.pop(hashed, None)
        return None
    positions = _volatile_positions()
    stable = _stable(row, positions)
    kept = _verified.get(hashed)
    if kept is not None and kept[0] == stable:
        stats["hits"] += 1
        _, token_data, user_data, tenant_data = kept
        user = hydrate(User, dict(user_data))
        if not user.is_active:
            return None
        token_data, tenant_data = dict(token_data), dict(tenant_data)
        for (model, name), i in zip(VOLATILE, positions, strict=False):  # none when all is compared
            (token_data if model is ApiToken else tenant_data)[name] = getattr(model, name).python_value(row[i])
        found = hydrate(ApiToken, token_data)
        if found.expires_at is not None and found.expires_at <= clock.now():
            return None
        user.__rel__["tenant"] = hydrate(Tenant, tenant_data)
        found.__rel__["user"] = user
        return user, found
    stats["misses"] += 1
    _verified.pop(hashed, None)
    answer = user_for_token(token)
    if answer is not None:
        user, found = answer
        if len(_verified) >= MAX_ENTRIES:
            _verified.clear()
        # the row read first: if the models are newer, the next request's row differs and rebuilds
        _verified[hashed] = (stable, dict(found.__data__), dict(user.__data__), dict(user.tenant.__data__))
    return answer


def forget() -> None:
    """Drop every verified token (tests; a process never needs it for correctness)."""
    _verified.clear()
