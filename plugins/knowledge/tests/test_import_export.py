"""`gongdan kb import` / `gongdan kb export` and the demo corpus with its evaluation set."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from gongdan_knowledge import suggestions
from gongdan_knowledge.cli import kb as kb_group
from gongdan_knowledge.corpus import bundled, parse_markdown
from gongdan_knowledge.evaluation import evaluate
from gongdan_knowledge.models import Article

from gongdan import tickets
from gongdan.actors import Actor
from gongdan.plugins import get_host

GONGDAN = [sys.executable, "-c", "from gongdan.cli import main; main()"]

ARTICLE = """---
slug: return-policy
title: 七天无理由退货
status: published
visibility: public
category: 售后/退货退款/七天无理由
tags: [退货, 七天无理由]
---

签收后**七天内**可以无理由退货。
"""


def _run(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "GONGDAN_DATABASE_URL": url}
    return subprocess.run([*GONGDAN, *args], capture_output=True, text=True, env=env, timeout=120, check=False)


def test_import_then_export_round_trip(
    kb: Any, tenant: Any, gongdan_database_url: str, gongdan_db: Any, tmp_path: Path
) -> None:
    source = tmp_path / "in"
    source.mkdir()
    (source / "return-policy.md").write_text(ARTICLE, encoding="utf-8")
    (source / "no-front-matter.md").write_text("只有正文的文章，尺码表见详情页。\n", encoding="utf-8")
    gongdan_db.close()  # let the child process write (SQLite)
    done = _run(gongdan_database_url, "kb", "import", str(source), "--tenant", tenant.slug)
    assert done.returncode == 0, done.stderr
    assert "2 created, 0 updated" in done.stdout
    assert "import" in done.stderr  # the progress bar
    found = kb.get("/api/v1/kb/search", query_string={"q": "无理由"}).get_json()["items"]
    assert [i["title"] for i in found] == ["七天无理由退货"]
    article = kb.get(f"/api/v1/kb/articles/{found[0]['id']}").get_json()
    assert (article["status"], article["visibility"], article["category"]) == (
        "published",
        "public",
        "售后/退货退款/七天无理由",
    )
    (source / "return-policy.md").write_text(ARTICLE.replace("七天内", "7天内"), encoding="utf-8")
    again = CliRunner().invoke(kb_group, ["import", str(source), "--tenant", tenant.slug])
    assert "0 created, 2 updated" in again.output
    assert kb.get(f"/api/v1/kb/articles/{found[0]['id']}").get_json()["version"] == 2
    target = tmp_path / "out"
    exported = CliRunner().invoke(kb_group, ["export", str(target), "--tenant", tenant.slug])
    assert exported.exit_code == 0, exported.output
    files = sorted(p.name for p in target.glob("*.md"))
    assert files == ["no-front-matter.md", "return-policy.md"]
    back = parse_markdown((target / "return-policy.md").read_text(encoding="utf-8"), "return-policy.md")
    assert back["title"] == "七天无理由退货"
    assert back["tags"] == ["退货", "七天无理由"]
    assert "7天内" in back["body"]


def test_import_reports_bad_files(
    kb: Any, tenant: Any, gongdan_database_url: str, gongdan_db: Any, tmp_path: Path
) -> None:
    (tmp_path / "broken.md").write_text("---\ntitle: [unclosed\n---\nbody\n", encoding="utf-8")
    gongdan_db.close()
    done = _run(gongdan_database_url, "kb", "import", str(tmp_path), "--tenant", tenant.slug)
    assert done.returncode != 0
    assert "bad front matter" in done.stderr


def test_demo_corpus_answers_buyer_questions(kb: Any, tenant: Any) -> None:
    """The demo hook loads 300+ articles; search finds the labelled answer in the top 3 for ≥ 90%."""
    waiting, _ = tickets.create(tenant, {"subject": "羽绒服跑绒了怎么办", "channel": "web"}, Actor.system("test"))
    assert suggestions.stored(waiting.id) == []  # no articles yet
    get_host().notify(tenant, "gongdan_demo_prepared", tenant=tenant, admin=None)
    assert suggestions.stored(waiting.id)[0].article.slug == "down-quality"
    corpus = bundled("corpus.jsonl")
    assert len(corpus) >= 300
    assert Article.of(tenant).count() == len(corpus)
    slug_of = dict(Article.select(Article.id, Article.slug).where(Article.tenant == tenant).tuples())
    questions = bundled("questions.jsonl")
    assert len(questions) >= 200

    def ranked(question: str) -> list[str]:
        items = kb.get("/api/v1/kb/search", query_string={"q": question, "per_page": 10}).get_json()["items"]
        return [slug_of[i["id"]] for i in items]

    typos = evaluate([q for q in questions if q["kind"] == "typo"], ranked)
    plain = evaluate([q for q in questions if q["kind"] == "plain"][::3], ranked)
    assert typos.recall_at_3 >= 0.9, typos.misses
    assert plain.recall_at_3 >= 0.9, plain.misses
