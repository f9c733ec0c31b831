"""Keys outside the database (finding H2), key rotation and `gongdan init`'s encryption of old rows."""

from __future__ import annotations

import json
import multiprocessing
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from gongdan import crypto, customers, keys, tickets
from gongdan.actors import Actor
from gongdan.db import db
from gongdan.models import Customer, SystemSetting, TenantPlugin
from gongdan.plugins import get_host
from gongdan.testing import TEST_PASSWORD

SMTP_PASSWORD, WEBHOOK_SECRET = "smtp-pa55-word", "hook-s3cret-value"
EMAIL, PHONE = "wang.xiaojie@qq.com", "13812345678"
ATTACKER = """
import json, sys
from gongdan import crypto
from gongdan.db import open_database
from gongdan.models import SystemSetting
open_database(sys.argv[1])
out = {"session_key": crypto.session_key(), "settings": [r.key for r in SystemSetting.select()], "decrypted": []}
for token in json.loads(sys.argv[2]):
    try:
        out["decrypted"].append(crypto.decrypt(token))
    except crypto.CryptoError as exc:
        out["error"] = str(exc)
print(json.dumps(out))
"""


@pytest.fixture
def secrets_stored(tenant, enable_plugin):
    """SLA secret settings and a customer's contact details, stored the normal way."""
    enable_plugin("sla", settings={"smtp_password": SMTP_PASSWORD, "webhook_secret": WEBHOOK_SECRET})
    tickets.create(tenant, {"subject": "破损", "customer": {"email": EMAIL, "phone": PHONE}}, Actor.system("api"))
    return tenant


def _raw(sql: str) -> list[tuple]:
    return db.execute_sql(sql).fetchall()


def test_the_key_file_is_created_0600_outside_the_database(gongdan_db, gongdan_key_file, secrets_stored):
    assert gongdan_key_file.exists()
    assert stat.S_IMODE(gongdan_key_file.stat().st_mode) == 0o600
    secret = gongdan_key_file.read_text().strip()
    stored = " ".join(str(v) for row in _raw("SELECT key, value FROM system_setting") for v in row)
    assert secret not in stored
    assert crypto.session_key() not in stored
    assert SystemSetting.get_or_none(SystemSetting.key == "secret_key") is None


def test_gongdan_secret_key_overrides_the_key_file(gongdan_db, gongdan_key_file, monkeypatch):
    from_file = crypto.session_key()
    monkeypatch.setenv(crypto.SECRET_ENV, "an operator-provided secret of some length")
    assert crypto.session_key() != from_file


def test_a_copy_of_the_database_alone_decrypts_no_secret_and_signs_no_session(
    gongdan_backend, gongdan_database_url, secrets_stored, app, tmp_path, make_user
):
    """H2: before, `system_setting.secret_key` was in the database: a copy decrypted every shop
    secret and forged a console session."""
    (row,) = _raw("SELECT settings FROM tenant_plugin WHERE plugin = 'sla'")
    stored_settings = json.loads(row[0])
    tokens = [stored_settings["smtp_password"], stored_settings["webhook_secret"]]
    tokens += [v for v in _raw("SELECT email, phone FROM customer")[0]]
    assert all(t.startswith("gd1:") for t in tokens)
    database_url = gongdan_database_url
    if gongdan_backend == "sqlite":  # a consistent copy of the file, as a thief would take it
        copy = tmp_path / "stolen" / "copy.db"
        copy.parent.mkdir()
        with sqlite3.connect(gongdan_database_url.removeprefix("sqlite:///")) as source, sqlite3.connect(copy) as out:
            source.backup(out)
        content = copy.read_bytes()
        for plain in (SMTP_PASSWORD, WEBHOOK_SECRET, EMAIL, PHONE):
            assert plain.encode() not in content
        database_url = f"sqlite:///{copy}"
    attacker_dir = tmp_path / "attacker"
    attacker_dir.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in (crypto.KEY_FILE_ENV, crypto.SECRET_ENV)}
    ran = subprocess.run(
        [sys.executable, "-c", ATTACKER, database_url, json.dumps(tokens)],
        cwd=attacker_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    seen = json.loads(ran.stdout.strip().splitlines()[-1])
    assert seen["decrypted"] == []
    assert "cannot be unwrapped" in seen["error"]
    assert "secret_key" not in seen["settings"]
    assert seen["session_key"] != app.config["SECRET_KEY"]

    admin, _ = make_user("admin")
    browser = app.test_client()
    page = browser.get("/console/login").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    browser.post("/console/login", data={"email": admin.email, "password": TEST_PASSWORD, "csrf_token": token})
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    real = browser.get_cookie(cookie_name).value
    contents = app.session_interface.get_signing_serializer(app).loads(real)
    assert contents.get("_user_id")

    def console_with(signed_by: str) -> int:
        forger = Flask("forger")
        forger.config.update(SECRET_KEY=signed_by)
        forged = forger.session_interface.get_signing_serializer(forger).dumps(contents)
        other = app.test_client()
        other.set_cookie(cookie_name, forged)
        return other.get("/console/tickets/").status_code

    assert console_with(app.config["SECRET_KEY"]) == 200  # the forging method itself works
    assert console_with(seen["session_key"]) == 302  # with the key a copy yields: back to sign-in


def test_rotate_moves_every_value_to_a_new_key_and_drops_the_old(gongdan_db, secrets_stored, monkeypatch):
    monkeypatch.setattr(crypto, "ACTIVE_TTL", 0.0)
    old = crypto.active_key_id()
    host = get_host()
    steps = []
    result = keys.rotate(host, progress=steps.append)
    assert result.old_keys == [old]
    assert result.dropped == [old]
    assert result.kept == []
    assert crypto.key_ids() == [result.new_key]
    assert len(steps) == keys.count_values(host)
    tokens = [json.loads(_raw("SELECT settings FROM tenant_plugin")[0][0])["smtp_password"]]
    tokens += list(_raw("SELECT email, phone FROM customer")[0])
    assert {crypto.key_id(t) for t in tokens} == {result.new_key}
    settings = host.settings(secrets_stored, "sla")
    assert (settings["smtp_password"], settings["webhook_secret"]) == (SMTP_PASSWORD, WEBHOOK_SECRET)
    assert customers.by_email(secrets_stored, EMAIL).phone == PHONE


def test_an_interrupted_rotation_keeps_every_value_readable_and_a_second_run_finishes(
    gongdan_db, secrets_stored, monkeypatch
):
    monkeypatch.setattr(crypto, "ACTIVE_TTL", 0.0)
    first = crypto.active_key_id()

    def stop_after_one(_: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        keys.rotate(get_host(), progress=stop_after_one)
    assert first in crypto.key_ids()
    assert len(crypto.key_ids()) == 2
    crypto.forget()  # as another process would: keys read afresh from the database
    assert customers.by_email(secrets_stored, EMAIL).phone == PHONE
    assert get_host().settings(secrets_stored, "sla")["webhook_secret"] == WEBHOOK_SECRET
    result = keys.rotate(get_host())
    assert set(result.dropped) == {k for k in result.old_keys}
    assert crypto.key_ids() == [result.new_key]
    assert customers.by_email(secrets_stored, EMAIL).phone == PHONE


def test_gongdan_keys_rotate_on_the_command_line(gongdan_database_url, secrets_stored):
    before = crypto.active_key_id()
    ran = subprocess.run(
        [str(Path(sys.executable).with_name("gongdan")), "keys", "rotate"],
        env={**os.environ, "GONGDAN_DATABASE_URL": gongdan_database_url},
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    new_key = ran.stdout.strip().splitlines()[-1]
    assert "re-encrypting" in ran.stderr
    assert f"dropped old keys: {before}" in ran.stderr
    crypto.forget()
    assert crypto.key_ids() == [new_key]
    assert get_host().settings(secrets_stored, "sla")["smtp_password"] == SMTP_PASSWORD


def test_init_encrypts_rows_stored_in_clear_and_removes_the_old_secret_key(gongdan_db, gongdan_backend, tenant):
    """Rows written before encryption (plain e-mail and phone, plain plugin secrets, the
    database-held secret key) are converted by `gongdan init`'s data step."""
    if gongdan_backend == "postgresql":  # as the column was created before it held ciphertexts
        db.execute_sql("ALTER TABLE customer ALTER COLUMN phone TYPE varchar(32)")
    db.execute_sql(
        f"INSERT INTO customer (tenant_id, name, email, phone, tier, created_at) VALUES ({db.param}, '老客户',"
        f" {db.param}, {db.param}, 'normal', '2026-01-01 00:00:00')",
        (tenant.id, EMAIL, PHONE),
    )
    TenantPlugin.insert(tenant=tenant, plugin="sla", enabled=True, settings={"smtp_password": SMTP_PASSWORD}).execute()
    SystemSetting.insert(key="secret_key", value="the-old-database-secret").execute()
    assert customers.by_email(tenant, EMAIL) is None  # no blind index yet

    done = keys.encrypt_plain_values(get_host())

    assert done == {"encrypted": 3, "indexed": 1, "legacy_key_removed": 1}
    email, phone = _raw("SELECT email, phone FROM customer")[0]
    assert email.startswith("gd1:")
    assert phone.startswith("gd1:")
    assert json.loads(_raw("SELECT settings FROM tenant_plugin")[0][0])["smtp_password"].startswith("gd1:")
    assert customers.by_email(tenant, EMAIL.upper()).phone == PHONE
    assert [c.name for c in customers.by_phone(tenant, "+86 138 1234 5678")] == ["老客户"]
    assert SystemSetting.get_or_none(SystemSetting.key == "secret_key") is None
    assert {c.name: c.data_type for c in db.get_columns("customer")}["phone"] in ("text", "TEXT")
    assert keys.encrypt_plain_values(get_host()) == {"encrypted": 0, "indexed": 0, "legacy_key_removed": 0}


def test_a_key_file_that_is_not_the_databases_is_a_clear_error(gongdan_db, secrets_stored, tmp_path, monkeypatch):
    monkeypatch.setenv(crypto.KEY_FILE_ENV, str(tmp_path / "another.key"))
    crypto.forget()
    with pytest.raises(crypto.CryptoError, match="key file"):
        Customer.get().email  # noqa: B018 - reading decrypts


def _secret_after(barrier: Any, path: str, results: Any) -> None:
    """In a child process: wait for the others, then read or create the key file at `path`."""
    os.environ[crypto.KEY_FILE_ENV] = path
    os.environ.pop(crypto.SECRET_ENV, None)
    crypto.forget()
    barrier.wait()
    try:
        results.put(crypto.root_secret().decode())
    except crypto.CryptoError as exc:
        results.put(f"error: {exc}")


def test_processes_starting_at_once_share_one_whole_key_file(tmp_path):
    """gunicorn's workers start together and each reads the key file on its first request: one
    creates it and every one reads the whole secret (the file appears complete, never empty)."""
    context = multiprocessing.get_context("fork")
    for round_ in range(10):
        path = tmp_path / f"round{round_}.key"
        barrier, results = context.Barrier(6), context.Queue()
        workers = [context.Process(target=_secret_after, args=(barrier, str(path), results)) for _ in range(6)]
        for worker in workers:
            worker.start()
        read = [results.get(timeout=30) for _ in workers]
        for worker in workers:
            worker.join(timeout=30)
        assert len(set(read)) == 1, read
        assert path.read_text().strip() == read[0]
        assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left
