"""gunicorn settings for production: `gunicorn -c python:gongdan.web.gunicorn_conf -w 4 "gongdan.web:create_app()"`.

gunicorn reads the module-level names below that are its settings; the command line overrides
them (`-w`, `-b`, `--threads`, ...). Why these:

* `worker_class = "gthread"` with `threads = 4`: each worker serves several requests at once,
  so one waiting on the database (SQLite's write lock, a PostgreSQL round trip) does not hold up
  the others, and connections are kept alive between requests. gunicorn's default `sync` worker
  answers every request with `Connection: close`, so each API call paid a new TCP connection on
  both sides. The app is thread-safe: each thread has its own database connection (peewee) and
  the per-process caches (enabled plugins, compiled statements, verified tokens) are shared
  read-mostly dictionaries. `bench.http` measured creates with every plugin, 2 workers and 4
  clients: about 1.5x the rate of the `sync` worker in the same run (see docs/scale.md).
* `keepalive = 5`: seconds an idle kept-alive connection waits for its next request. Behind
  nginx this only matters when nginx keeps its upstream connections alive (`keepalive` in the
  `upstream` block, `proxy_http_version 1.1` and an empty `Connection` header; see
  docs/operations.md).

`bench.http` runs gongdan and its peer with these settings (`SERVER_ARGS`).
"""

from __future__ import annotations

worker_class = "gthread"
threads = 4
keepalive = 5

# the same settings as command-line arguments, for a server started without this module (the
# peer in `bench.http`) and for documentation
SERVER_ARGS: tuple[str, ...] = (
    "--worker-class",
    worker_class,
    "--threads",
    str(threads),
    "--keep-alive",
    str(keepalive),
)
