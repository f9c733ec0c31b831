"""What every REST route shares: the error envelope, token auth, roles, bodies and paging.

Routes (the core's and the plugins') are declared with `api_route`, which authenticates,
checks the role and the plugin's enablement, validates the body and query through marshmallow
schemas, and records the route for the OpenAPI document.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, current_app, g, jsonify, request
from marshmallow import Schema
from werkzeug.exceptions import BadRequest

from gongdan import clock
from gongdan.actors import Actor
from gongdan.api import ratelimit, token_cache
from gongdan.api.error_language import in_callers_language
from gongdan.errors import Forbidden, GongdanError, NotFound, ValidationError
from gongdan.models import ApiToken, Tenant, User
from gongdan.plugins import get_host
from gongdan.validation import load

ROLE_RANK = {"agent": 1, "supervisor": 2, "admin": 3, "superadmin": 4}
TOKEN_TOUCH_SECONDS = 60
UNSTORABLE = "must not contain NUL characters or unpaired surrogates"
MAX_JSON_DEPTH = 64


class Unauthorized(GongdanError):
    """No valid bearer token."""

    code = "unauthorized"
    status = 401


@dataclass
class RouteSpec:
    """One documented route: what the OpenAPI generator reads."""

    rule: str
    methods: tuple[str, ...]
    endpoint: str
    summary: str
    description: str
    auth: bool
    role: str | None
    plugin: str | None
    body: Schema | None
    query: Schema | None
    response: Schema | None
    status: int
    tags: tuple[str, ...] = field(default_factory=tuple)
    blueprint: Blueprint | None = None
    errors: tuple[int, ...] = ()
    upload: Schema | None = None
    produces: str | None = None


ROUTES: list[RouteSpec] = []


def error_body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """The contract's error envelope."""
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error}


def error_response(code: str, message: str, status: int, fields: dict[str, list[str]] | None = None) -> Any:
    """A JSON error response in the envelope, worded in the caller's `Accept-Language`."""
    response = jsonify(in_callers_language(error_body(code, message, fields)))
    response.status_code = status
    return response


def current_tenant() -> Tenant:
    """The tenant of the authenticated caller."""
    return g.tenant


def current_user() -> User:
    """The authenticated caller."""
    return g.user


def current_actor() -> Actor:
    """The authenticated caller as the author of a change."""
    return Actor.of(g.user)


def has_role(user: User, role: str) -> bool:
    """Whether `user`'s role is `role` or above (agent < supervisor < admin < superadmin)."""
    return ROLE_RANK.get(user.role, 0) >= ROLE_RANK[role]


def authenticate() -> User:
    """Resolve `Authorization: Bearer <token>` into `g.user`, `g.tenant`, `g.token`."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("missing bearer token (Authorization: Bearer <token>)")
    found = token_cache.verify(token.strip())
    if found is None:
        raise Unauthorized("invalid or revoked token")
    user, row = found
    g.user, g.tenant, g.token = user, user.tenant, row
    per_minute = current_app.config["GONGDAN_SETTINGS"].rate_limit_per_minute
    if per_minute > 0:
        g.rate_limit_remaining = ratelimit.take(row.id, per_minute)
    now = clock.now()
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > TOKEN_TOUCH_SECONDS:
        ApiToken.update(last_used_at=now).where(ApiToken.id == row.id).execute()
    return user


def json_body() -> Any:
    """The request's JSON body: 400 `bad_request` when it is not JSON, 422 for unstorable text."""
    raw = request.get_data(cache=True)  # not `request.data`, which first tries to parse a form
    if not raw:
        return {}
    try:
        data = request.get_json(force=True)
    except (BadRequest, RecursionError):
        raise GongdanError("malformed JSON body") from None
    if not _plainly_storable(raw):
        _check_storable(data)
    return data


def _plainly_storable(raw: bytes) -> bool:
    """Whether JSON text `raw` (already parsed) cannot hold what `_check_storable` refuses.

    A NUL or a lone surrogate comes from a `\\u` escape or from raw bytes: JSON forbids raw
    control characters, and `json.loads` decodes bytes with `surrogatepass`, so a surrogate's
    UTF-8 form (lead byte 0xED) passes; a zero byte means UTF-16/32 text. Any of these, or more
    than MAX_JSON_DEPTH brackets, and the parsed body is checked the long way.
    """
    return (
        b"\\u" not in raw
        and b"\x00" not in raw
        and b"\xed" not in raw
        and raw.count(b"[") + raw.count(b"{") <= MAX_JSON_DEPTH
    )


def _check_storable(data: Any) -> None:
    """400 for JSON nested deeper than MAX_JSON_DEPTH; 422 when a string holds what no database
    stores (NUL, lone surrogates), anywhere in `data`."""
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        value, where, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise GongdanError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(value, str):
            if not storable(value):
                raise ValidationError("unstorable characters", {where or "_schema": [UNSTORABLE]})
        elif isinstance(value, dict):
            for key, item in value.items():
                stack.append((key, where, depth + 1))
                stack.append((item, f"{where}.{key}" if where else str(key), depth + 1))
        elif isinstance(value, list):
            stack.extend((item, where, depth + 1) for item in value)


def storable(text: str) -> bool:
    """Whether `text` can be stored in SQLite and PostgreSQL (no NUL, valid UTF-8)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def query_args() -> dict[str, str]:
    """The query string as a dict (first value of each name); 422 for unstorable text."""
    args = request.args.to_dict()
    for name, value in args.items():
        if not storable(name) or not storable(value):
            raise ValidationError("unstorable characters", {name if storable(name) else "_query": [UNSTORABLE]})
    return args


def page_args(default_per_page: int = 25) -> tuple[int, int]:
    """`page` (from 1) and `per_page` (1–100) from the query string; 422 when out of range."""
    fields = {}
    values = {}
    for name, default, upper in (("page", 1, 100_000), ("per_page", default_per_page, 100)):
        raw = request.args.get(name, str(default))
        try:
            values[name] = int(raw)
        except ValueError:
            fields[name] = ["must be a whole number"]
            continue
        if not 1 <= values[name] <= upper:
            fields[name] = [f"must be between 1 and {upper}"]
    if fields:
        raise ValidationError("invalid paging", fields)
    return values["page"], values["per_page"]


def page_of(query: Any, page: int, per_page: int) -> tuple[list[Any], int]:
    """One page of a peewee query and the total count."""
    return list(query.paginate(page, per_page)), query.count()


def api_route(
    bp: Blueprint,
    rule: str,
    methods: Iterable[str] = ("GET",),
    *,
    auth: bool = True,
    role: str | None = None,
    plugin: str | None = None,
    body: Schema | type[Schema] | None = None,
    query: Schema | type[Schema] | None = None,
    response: Schema | type[Schema] | None = None,
    status: int = 200,
    summary: str = "",
    tags: Iterable[str] = (),
    errors: Iterable[int] = (),
    upload: Schema | type[Schema] | None = None,
    produces: str | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a REST route.

    The view receives the URL arguments, plus `body` (the loaded body) when `body` is given
    and `args` (the loaded query string) when `query` is given. It returns a dict or list
    (sent as JSON with `status`), a `(data, status)` pair, or a Flask response. `role` is the
    lowest role allowed; `plugin` makes the route 404 where that plugin is disabled.
    `errors` lists further error statuses the view may answer (e.g. 502 from a gateway) for
    the OpenAPI document; the usual ones (401, 403, 404, 409, 422, 429, ...) are implied.
    `upload` documents a `multipart/form-data` body (the view reads `request.files` itself;
    mark it with `gongdan.api.attachments.accepts_uploads`); `produces` the media type of a
    view that answers with a file instead of JSON (several: comma-separated).
    """
    body_schema = body() if isinstance(body, type) else body
    query_schema = query() if isinstance(query, type) else query
    response_schema = response() if isinstance(response, type) else response
    methods = tuple(m.upper() for m in methods)

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def view(**kwargs: Any) -> Any:
            if auth:
                user = authenticate()
                if role is not None and not has_role(user, role):
                    raise Forbidden(f"this needs the {role} role or above")
                if plugin is not None and not get_host().is_enabled(g.tenant, plugin):
                    raise NotFound(f"the {plugin} plugin is not enabled for this tenant")
            if body_schema is not None:
                kwargs["body"] = load(body_schema, json_body())
            if query_schema is not None:
                kwargs["args"] = load(query_schema, query_args())
            result = fn(**kwargs)
            if isinstance(result, tuple):
                data, code = result
                return _json(data, code)
            if isinstance(result, (dict, list)):
                return _json(result, status)
            return result

        bp.add_url_rule(rule, endpoint=fn.__name__, view_func=view, methods=list(methods))
        doc = (fn.__doc__ or "").strip()
        ROUTES.append(
            RouteSpec(
                rule=rule,
                methods=methods,
                endpoint=f"{bp.name}.{fn.__name__}",
                summary=summary or doc.split("\n", 1)[0],
                description=doc,
                auth=auth,
                role=role,
                plugin=plugin,
                body=body_schema,
                query=query_schema,
                response=response_schema,
                status=status,
                tags=tuple(tags) or (plugin or bp.name,),
                blueprint=bp,
                errors=tuple(errors),
                upload=upload() if isinstance(upload, type) else upload,
                produces=produces,
            )
        )
        return view

    return decorate


def _json(data: Any, status: int) -> Any:
    response = jsonify(data)
    response.status_code = status
    return response
