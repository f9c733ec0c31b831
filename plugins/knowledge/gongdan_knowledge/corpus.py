"""Articles in and out: Markdown files with front matter, bulk import, the demo corpus."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from gongdan import categories
from gongdan.db import write_transaction
from gongdan.errors import ValidationError
from gongdan.models import OPEN_STATUSES, Tenant, Ticket, User
from gongdan.validation import load
from gongdan_knowledge import articles, index, suggestions
from gongdan_knowledge.models import Article
from gongdan_knowledge.schemas import ArticleInSchema

FRONT = "---"
BATCH = 200


def parse_markdown(text: str, name: str = "") -> dict[str, Any]:
    """A Markdown file with YAML front matter → article fields (`body` is what follows it)."""
    meta: dict[str, Any] = {}
    body = text
    if text.startswith(FRONT):
        head, sep, rest = text[len(FRONT) :].partition(f"\n{FRONT}")
        if not sep:
            raise ValidationError(f"{name}: front matter is not closed", {"file": [name]})
        try:
            meta = yaml.safe_load(head) or {}
        except yaml.YAMLError as exc:
            raise ValidationError(f"{name}: bad front matter: {exc}", {"file": [name]}) from None
        body = rest.lstrip("\n")
    meta["body"] = body.rstrip() + "\n"
    meta.setdefault("title", Path(name).stem)
    if not meta.get("slug") and name:
        meta["slug"] = Path(name).stem
    return {k: v for k, v in meta.items() if k in ArticleInSchema().fields}


def to_markdown(article: Article) -> str:
    """An article as a Markdown file with front matter (what `gongdan kb export` writes)."""
    meta = {
        "slug": article.slug,
        "title": article.title,
        "status": article.status,
        "visibility": article.visibility,
        "category": article.category.path if article.category_id else None,
        "tags": list(article.tags or []),
    }
    head = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False).strip()
    return f"{FRONT}\n{head}\n{FRONT}\n\n{article.body.rstrip()}\n"


def read_folder(path: Path) -> Iterator[dict[str, Any]]:
    """The articles of every `*.md` file under `path`, in name order (see `markdown_files`)."""
    for file in markdown_files(path):
        yield parse_markdown(_read_no_follow(file), file.name)


def markdown_files(path: Path) -> list[Path]:
    """Every `*.md` file under `path`, in name order; refuses a folder holding symbolic links.

    An import reads the folder it was given and nothing else: a link (to a file or a folder,
    inside or out) or a file that resolves outside `path` is a ValidationError naming it,
    raised before any file is read.
    """
    root = path.resolve()
    found: list[Path] = []
    refused: list[str] = []
    for folder, dirs, names in os.walk(root):  # does not descend into linked folders
        for name in [*dirs, *names]:
            entry = Path(folder) / name
            if entry.is_symlink() or not entry.resolve().is_relative_to(root):
                refused.append(str(entry.relative_to(root)))
            elif name in names and name.endswith(".md"):
                found.append(entry)
    if refused:
        raise ValidationError(
            "the folder holds symbolic links or paths outside it; replace them with the files themselves",
            {"path": sorted(refused)},
        )
    return sorted(found)


def _read_no_follow(file: Path) -> str:
    """The file's text, refusing a link swapped in since the folder was listed."""
    try:
        handle = os.open(file, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        raise ValidationError("cannot read a file of the folder", {"path": [f"{file}: {exc.strerror}"]}) from None
    with open(handle, encoding="utf-8") as stream:
        return stream.read()


def import_records(
    tenant: Tenant,
    records: Iterable[dict[str, Any]],
    author: User | None,
    progress: Callable[[int], None] = lambda n: None,
) -> tuple[int, int]:
    """Create or update (matched by slug) articles; returns `(created, updated)`.

    Records are written in batches of `BATCH`, one transaction each, and new articles are
    indexed per batch, which is what makes a big import fast.
    """
    created = updated = 0
    ensured: set[str] = set()
    batch: list[dict[str, Any]] = []
    for record in records:
        batch.append(load(ArticleInSchema(), record))
        if len(batch) >= BATCH:
            c, u = _import_batch(tenant, batch, author, ensured)
            created, updated = created + c, updated + u
            progress(len(batch))
            batch = []
    c, u = _import_batch(tenant, batch, author, ensured)
    progress(len(batch))
    if created + c >= BATCH:
        index.refresh_statistics()
    return created + c, updated + u


def _import_batch(
    tenant: Tenant, batch: list[dict[str, Any]], author: User | None, ensured: set[str]
) -> tuple[int, int]:
    created: list[Article] = []
    updated = 0
    with write_transaction():
        for data in batch:
            if data.get("category") and data["category"] not in ensured:
                categories.ensure(tenant, data["category"])
                ensured.add(data["category"])
            existing = Article.of(tenant).where(Article.slug == data["slug"]).first() if data.get("slug") else None
            if existing is None:
                created.append(articles.create(tenant, data, author, reindex=False))
            else:
                data.pop("slug", None)
                articles.update(tenant, existing, data, author)
                updated += 1
        index.index_articles(created)
    return len(created), updated


def bundled(name: str) -> list[dict[str, Any]]:
    """The records of one JSON-lines file shipped in `gongdan_knowledge/data`."""
    text = resources.files("gongdan_knowledge").joinpath("data", name).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def load_demo(tenant: Tenant, admin: User | None) -> int:
    """Import the bundled corpus of after-sales articles (published) into `tenant`.

    The demo's tickets were created before the articles existed: their suggestions are
    computed again.
    """
    records = [{**r, "status": "published"} for r in bundled("corpus.jsonl")]
    created, _ = import_records(tenant, records, admin)
    for ticket in list(
        Ticket.of(tenant).where(Ticket.status.in_(OPEN_STATUSES)).order_by(Ticket.id.desc()).limit(1000)
    ):
        suggestions.refresh(tenant, ticket)
    return created
