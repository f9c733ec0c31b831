"""The web application: REST API, console and portal. Production: `gunicorn "gongdan.web:create_app()"`."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from flask import Flask, g, request
from werkzeug.exceptions import BadRequest, HTTPException, MethodNotAllowed, NotFound

from gongdan import crypto
from gongdan.api import api
from gongdan.api.attachments import raise_upload_limit
from gongdan.api.common import UNSTORABLE, error_response, storable
from gongdan.api.ratelimit import RateLimited
from gongdan.config import Settings
from gongdan.db import db, open_database
from gongdan.errors import GongdanError
from gongdan.ids import BoundedIntConverter
from gongdan.models import SchemaVersion
from gongdan.plugins import PluginHost, get_host
from gongdan.web.security import init_security

log = logging.getLogger("gongdan.web")

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
}


def create_app(settings: Settings | None = None, host: PluginHost | None = None) -> Flask:
    """Build the web app on the configured database (run `gongdan init` first)."""
    settings = settings or Settings.from_env()
    if db.obj is None:
        open_database(settings.database_url)
    if not db.table_exists(SchemaVersion._meta.table_name):
        raise RuntimeError("the database has no gongdan schema: run `gongdan init` first")
    host = host or get_host()
    app = Flask("gongdan")
    app.url_map.converters["int"] = BoundedIntConverter  # before any route: ids past MAX_ID are 404s
    app.config.update(
        SECRET_KEY=crypto.session_key(),  # from GONGDAN_SECRET_KEY or the key file, never the database
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        JSON_AS_ASCII=False,
        GONGDAN_SETTINGS=settings,
    )
    init_security(app, settings)
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    app.extensions["gongdan_host"] = host
    app.register_blueprint(api)
    _register_plugin_blueprints(app, host)
    _register_errors(app)
    _init_console(app)
    app.before_request_funcs.setdefault(None, []).insert(0, raise_upload_limit)  # before anything reads a form

    @app.before_request
    def _connect() -> None:
        db.connect(reuse_if_open=True)

    app.before_request(_refuse_unstorable_text)

    @app.after_request
    def _rate_headers(response: Any) -> Any:
        remaining = g.get("rate_limit_remaining")
        if remaining is not None:
            response.headers["X-RateLimit-Limit"] = str(settings.rate_limit_per_minute)
            response.headers["X-RateLimit-Remaining"] = str(remaining)
        return response

    return app


def _register_plugin_blueprints(app: Flask, host: PluginHost) -> None:
    """Register every plugin's blueprints, each on its own: one that cannot be registered (a name
    that clashes, say) is recorded as that plugin's failure and left out; the app still starts."""
    for plugin, blueprint in host.collect("gongdan_api_blueprints"):
        try:
            app.register_blueprint(blueprint)
        except Exception as exc:  # noqa: BLE001 - isolation is the point
            host.record_failure(plugin, None, "gongdan_api_blueprints", exc)
            continue
        log.debug("plugin %s adds blueprint %s", plugin, blueprint.name)


def _init_console(app: Flask) -> None:
    try:
        from gongdan.admin import init_console
    except ImportError:
        return
    init_console(app)


def _refuse_unstorable_text() -> None:
    """400 for a console, portal or plugin page whose form, query or path holds what no database
    stores (NUL, lone surrogates); the API refuses the same per field (`gongdan.api.common`)."""
    if _wants_json():
        return
    values = [("path", v) for v in (request.view_args or {}).values() if isinstance(v, str)]
    values += [(name, v) for source in (request.args, request.form) for name, v in source.items(multi=True)]
    for name, value in values:
        if not (storable(name) and storable(value)):
            raise BadRequest(f"“{name if storable(name) else '?'}”: 不能含有 NUL 等无法保存的字符 / {UNSTORABLE}")


def _routed(app: Flask, methods: Iterable[str]) -> bool:
    """Whether the request's path, converters and all, names a route for one of `methods`.

    A 405 for that method too is no route: werkzeug answers 405 for OPTIONS when only the path's
    shape matches, so three methods on one path (GET, PUT, DELETE) made an impossible id a 405.
    """
    adapter = app.url_map.bind_to_environ(request.environ)
    for method in methods:
        try:
            adapter.match(request.path, method=method)
        except (NotFound, MethodNotAllowed):
            continue
        except HTTPException:
            return True
        return True
    return False


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _register_errors(app: Flask) -> None:
    @app.errorhandler(GongdanError)
    def _domain(exc: GongdanError) -> Any:
        response = error_response(exc.code, exc.message, exc.status, exc.fields)
        if isinstance(exc, RateLimited):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Any:
        if not _wants_json():
            page = app.extensions.get("gongdan_error_page")  # the console's own, in the user's language
            return (page(exc) if page else None) or exc
        code = exc.code or 500
        response = error_response(HTTP_CODES.get(code, "error"), exc.description or exc.name, code)
        if code == 405 and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(MethodNotAllowed)
    def _method(exc: MethodNotAllowed) -> Any:
        # werkzeug answers 405 when a rule of another method matches the path's shape, before
        # its converters run: an impossible id (past MAX_ID) names nothing, so that is a 404
        return _http(exc if _routed(app, exc.valid_methods or ()) else NotFound())

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Any:
        log.exception("unhandled error on %s %s", request.method, request.path)
        if not _wants_json():
            raise exc
        return error_response("internal_error", "an unexpected error happened; it has been logged", 500)
