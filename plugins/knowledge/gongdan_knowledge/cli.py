"""`gongdan kb import PATH` / `gongdan kb export PATH`: a folder of Markdown files with front matter."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from tqdm import tqdm

from gongdan import accounts, audit
from gongdan.actors import Actor
from gongdan.cli import open_db
from gongdan_knowledge.corpus import import_records, read_folder, to_markdown
from gongdan_knowledge.models import Article


@click.group()
def kb() -> None:
    """Knowledge base articles: import and export Markdown."""


@kb.command("import")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--tenant", "tenant_slug", required=True, help="The tenant's slug.")
@click.option("--as", "email", default=None, help="E-mail of the user recorded as author (default: none).")
@click.option("--publish", is_flag=True, help="Publish articles whose front matter gives no status.")
def import_command(path: Path, tenant_slug: str, email: str | None, publish: bool) -> None:
    """Import every *.md under PATH (front matter: slug, title, status, visibility, category, tags).

    An article whose slug exists is updated (a new version); others are created.
    """
    open_db()
    tenant = accounts.tenant(tenant_slug)
    author = accounts.user_by_email(email) if email else None
    records = list(read_folder(path))
    if publish:
        for record in records:
            record.setdefault("status", "published")
    with tqdm(total=len(records), unit="article", desc="import", file=sys.stderr) as bar:
        created, updated = import_records(tenant, records, author, bar.update)
    click.echo(f"{created} created, {updated} updated")


@kb.command("export")
@click.argument("path", type=click.Path(file_okay=False, path_type=Path))
@click.option("--tenant", "tenant_slug", required=True, help="The tenant's slug.")
def export_command(path: Path, tenant_slug: str) -> None:
    """Write every article of the tenant to PATH/<slug>.md (created if missing); audited."""
    open_db()
    tenant = accounts.tenant(tenant_slug)
    path.mkdir(parents=True, exist_ok=True)
    query = Article.of(tenant).order_by(Article.id)
    with tqdm(total=query.count(), unit="article", desc="export", file=sys.stderr) as bar:
        for article in query:
            (path / f"{article.slug}.md").write_text(to_markdown(article), encoding="utf-8")
            bar.update(1)
    audit.record(tenant, "knowledge.exported", Actor.system("cli"), data={"articles": bar.n, "path": str(path)})
    click.echo(f"{bar.n} exported to {path}")
