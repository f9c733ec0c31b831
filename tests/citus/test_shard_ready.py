"""The shard-ready schema (issue 21): every table has a kind, tenant-owned keys carry tenant_id,
joins and deletes carry the tenant, sign-in finds the tenant first, and today's schema migrates.

Runs on SQLite, PostgreSQL (`GONGDAN_TEST_DATABASE_URL`) and Citus (`GONGDAN_TEST_CITUS=1`).
"""

from __future__ import annotations

from contextlib import closing
from urllib.parse import urlsplit, urlunsplit

import peewee as pw
import psycopg2
import pytest

from gongdan import accounts, citus
from gongdan.contributions import Schema
from gongdan.db import db, open_database
from gongdan.models import BaseModel, SchemaVersion, SignInName, Team, Tenant, TenantModel, Ticket, User
from gongdan.plugins import get_host
from gongdan.representation import with_relations
from gongdan.schema import schemas, upgrade
from gongdan.testing import citus_mode


def test_every_registered_table_has_a_kind_and_keeps_the_rule() -> None:
    found = schemas(get_host())
    assert citus.problems(found) == []
    kinds = citus.kinds(found)
    assert set(kinds) == {m._meta.table_name for s in found for m in s.models}
    assert kinds["ticket"].kind == "tenant"
    assert kinds["tenant"].kind == "reference"
    assert kinds["rate_counter"].column == "key"
    assert kinds["sign_in_name"].kind == "reference"
    if "pdd_shop_claim" in kinds:  # a shop is claimed across tenants
        assert kinds["pdd_shop_claim"].kind == "reference"


def test_a_new_table_without_tenant_id_fails_with_a_clear_message() -> None:
    class Note(BaseModel):
        ticket = pw.ForeignKeyField(Ticket, backref="+")

        class Meta:
            table_name = "shard_test_note"

    try:
        undeclared = citus.problems([*schemas(get_host()), Schema(owner="notes", models=[Note])])
        assert undeclared == [
            "notes: table 'shard_test_note' has no tenant_id and no declared kind: make it a TenantModel "
            "(tenant-owned) or declare it in Schema(kinds={...}) as 'reference' or 'distributed:<column>'"
        ]
        as_reference = Schema(owner="notes", models=[Note], kinds={"shard_test_note": "reference"})
        pointing = citus.problems([*schemas(get_host()), as_reference])
        assert len(pointing) == 1
        assert "foreign key 'ticket_id' to the tenant-owned table 'ticket'" in pointing[0]
        misnamed = Schema(owner="notes", models=[Note], kinds={"shard_test_note": "sharded"})
        assert "unknown kind 'sharded'" in citus.problems([*schemas(get_host()), misnamed])[0]
    finally:
        Note._meta.remove_ref(Note.ticket)


def test_a_tenant_owned_primary_key_is_an_id_the_tenant_first_or_the_tenant_itself() -> None:
    class ByCode(TenantModel):
        code = pw.CharField(primary_key=True)

        class Meta:
            table_name = "shard_test_by_code"

    class OnePerTenant(TenantModel):
        tenant = pw.ForeignKeyField(Tenant, primary_key=True, backref="+")

        class Meta:
            table_name = "shard_test_one_per_tenant"

    try:
        found = citus.problems([*schemas(get_host()), Schema(owner="notes", models=[ByCode, OnePerTenant])])
        assert found == [
            "notes: table 'shard_test_by_code': a tenant-owned table needs an `id` AutoField, a composite primary "
            "key starting with tenant, or the tenant itself (one row a tenant)"
        ]
    finally:
        ByCode._meta.remove_ref(ByCode.tenant)
        OnePerTenant._meta.remove_ref(OnePerTenant.tenant)


def _unique_indexes_without_tenant() -> list[str]:
    kinds = citus.kinds(schemas(get_host()))
    tables = [t for t, k in kinds.items() if k.kind == citus.TENANT]
    return [
        f"{table}.{index.name}"
        for table in tables
        for index in db.get_indexes(table)
        if index.unique and "tenant_id" not in index.columns
    ]


def test_tenant_owned_keys_carry_the_tenant(gongdan_db, gongdan_backend) -> None:
    kinds = citus.kinds(schemas(get_host()))
    if gongdan_backend == "sqlite":
        assert _unique_indexes_without_tenant() == []
        return
    assert citus.key_problems(kinds) == []
    assert [c for c in db.get_primary_keys("ticket")] == ["tenant_id", "id"]
    if citus.has_citus():
        assert citus.doctor(kinds) == []
        return
    db.execute_sql('CREATE UNIQUE INDEX shard_test_rogue ON "ticket" (number, id)')
    try:
        assert "ticket: unique index shard_test_rogue lacks tenant_id" in citus.key_problems(kinds)
    finally:
        db.execute_sql("DROP INDEX shard_test_rogue")


def test_joins_on_a_foreign_key_carry_the_tenant(gongdan_db) -> None:
    sql, _ = with_relations(Ticket.select()).sql()  # explicit on=(Ticket.category == Category.id), ...
    for table in ("category", "team", "customer", "user"):
        assert f'"{table}" AS "t' in sql
    assert sql.count('"t1"."tenant_id" = "t') == 4
    sql, _ = Ticket.select(Ticket.id).join(User).sql()
    assert '"t1"."assignee_id" = "t2"."id"' in sql
    assert '"t1"."tenant_id" = "t2"."tenant_id"' in sql
    sql, _ = User.select(User.id).join(Tenant).sql()  # the tenant itself: nothing added
    assert sql.count("tenant_id") == 1


def test_deleting_a_referenced_row_clears_the_references_on_every_database(tenant, other_tenant) -> None:
    team = Team.create(tenant=tenant, name="售后组")
    user = accounts.create_user(tenant, "a@example.com", "agent", team=team)
    stranger = Team.create(tenant=other_tenant, name="售后组")
    team.delete_instance()
    assert User.get_by_id(user.id).team_id is None
    assert Team.get_or_none(Team.id == stranger.id) is not None


def test_sign_in_finds_the_tenant_then_the_user(tenant, other_tenant) -> None:
    mine = accounts.create_user(tenant, "Same@Example.com", "agent")
    theirs = accounts.create_user(other_tenant, "other@example.com", "agent")
    assert accounts.signing_in_as("same@example.com") == mine
    assert accounts.signing_in_as(" OTHER@example.com ") == theirs
    assert accounts.signing_in_as("nobody@example.com") is None
    with pytest.raises(accounts.EmailTaken):  # one address, one account across the installation
        accounts.create_user(other_tenant, "same@example.com", "agent")
    assert SignInName.select().count() == 2


def _fresh_database(gongdan_backend: str, tmp_path) -> str:
    if gongdan_backend == "sqlite":
        return f"sqlite:///{tmp_path / 'old.db'}"
    name = "gongdan_shard_migration"
    if citus_mode():
        from gongdan import citus_cluster

        citus_cluster.drop_database(name)
        return citus_cluster.ensure(name)
    from gongdan.testing import postgres_url

    url = postgres_url() or ""
    with closing(psycopg2.connect(url)) as admin:
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def test_todays_schema_migrates(gongdan_backend, gongdan_key_file, tmp_path) -> None:
    """A database made before issue 21 (global keys, user e-mail unique across the installation,
    single-column foreign keys, no sign-in table) upgrades in place, keeping its rows."""
    if db.obj is not None:
        db.close()
    database = open_database(_fresh_database(gongdan_backend, tmp_path))
    try:
        host = get_host()
        found = schemas(host)
        old = [m for s in found for m in s.models if m is not SignInName]
        db.create_tables(old)  # peewee's own keys, as every release before this one made them
        for schema in found:
            SchemaVersion.create(owner=schema.owner, version=schema.version)
        tenant = Tenant.create(slug="acme", name="Acme")
        team = Team.create(tenant=tenant, name="售后组")
        user_id = User.insert(tenant=tenant, email="old@example.com", team=team).execute()  # no sign-in row
        ticket = Ticket.create(tenant=tenant, number=1, subject="旧工单", assignee=user_id, team=team)

        report: list[str] = []
        upgrade(host, report=report)
        upgrade(host)  # again: nothing left to do, nothing breaks

        kinds = citus.kinds(found)
        assert "sign_in_name: 1 users' addresses recorded for sign-in" in report
        assert accounts.signing_in_as("old@example.com").id == user_id
        assert Ticket.get_by_id(ticket.id).assignee_id == user_id
        if gongdan_backend == "sqlite":
            assert _unique_indexes_without_tenant() == []
        else:
            assert "ticket: primary key (tenant_id, id)" in report
            if citus.has_citus():  # init says what it distributed
                assert "ticket: distributed by tenant_id" in report
                assert "tenant: reference table" in report
            assert citus.key_problems(kinds) == []
            assert citus.doctor(kinds) == []
        team.delete_instance()
        assert User.get_by_id(user_id).team_id is None
        assert Ticket.get_by_id(ticket.id).team_id is None
    finally:
        database.close()


def test_doctor_reports_the_layout(gongdan_db, gongdan_backend) -> None:
    from click.testing import CliRunner

    from gongdan.cli import cli

    where = {"sqlite": "SQLite", "postgresql": "Citus" if citus.has_citus() else "PostgreSQL"}[gongdan_backend]
    result = CliRunner().invoke(cli, ["doctor"])
    assert result.exit_code == 0, result.output
    assert f"tables checked on {where}: no problem" in result.output
    if gongdan_backend == "postgresql" and not citus.has_citus():
        db.execute_sql('CREATE UNIQUE INDEX shard_test_doctor ON "user" (email)')
        try:
            result = CliRunner().invoke(cli, ["doctor"])
            assert result.exit_code == 1
            assert "user: unique index shard_test_doctor lacks tenant_id" in result.output
        finally:
            db.execute_sql("DROP INDEX shard_test_doctor")


@pytest.mark.citus
def test_a_plugin_table_added_to_a_kept_citus_database_is_distributed(gongdan_key_file, register_plugin) -> None:
    """A table a new plugin brings to a Citus database already in use is created with its foreign key to
    the reference table `tenant` (Citus then makes it a "Citus local" table); init distributes it."""
    from gongdan import citus_cluster
    from gongdan.hookspecs import hookimpl

    class Memo(TenantModel):
        ticket = pw.ForeignKeyField(Ticket, on_delete="CASCADE", backref="+")
        body = pw.TextField()

        class Meta:
            table_name = "shard_test_memo"

    class Memos:
        @hookimpl
        def gongdan_schema(self):
            return Schema(owner="memos", models=[Memo])

    if db.obj is not None:
        db.close()
    name = "gongdan_plugin_upgrade"
    citus_cluster.ensure(name)
    citus_cluster.drop_database(name)
    database = open_database(citus_cluster.ensure(name))
    try:
        host = get_host()
        upgrade(host)
        register_plugin(Memos(), "memos")
        report: list[str] = []
        upgrade(host, report=report)
        assert "shard_test_memo: distributed by tenant_id" in report
        kinds = citus.kinds(schemas(host))
        assert citus.doctor(kinds) == []
        tenant = Tenant.create(slug="memo", name="Memo")
        ticket = Ticket.create(tenant=tenant, number=1, subject="备注")
        Memo.create(tenant=tenant, ticket=ticket, body="已核实")
        assert Memo.select().where(Memo.tenant == tenant).count() == 1
    finally:
        Memo._meta.remove_ref(Memo.tenant)
        Memo._meta.remove_ref(Memo.ticket)
        database.close()
        citus_cluster.drop_database(name)
