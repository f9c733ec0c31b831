"""Self-service search without login, and knowledge sources merged into search."""

from __future__ import annotations

from typing import Any

from gongdan.contributions import KnowledgeHit, KnowledgeSource
from gongdan.hookspecs import hookimpl


def test_public_search_shows_published_public_only(kb: Any, publish: Any, client: Any, tenant: Any) -> None:
    public_id = publish("七天无理由退货", "签收后七天内可以退货。", visibility="public")
    publish("内部：退货审核口径", "退货审核时先看照片。")  # internal
    kb.post("/api/v1/kb/articles", json={"title": "退货草稿", "body": "退货", "visibility": "public"})
    response = client.get("/api/v1/kb/public/search", query_string={"tenant": tenant.slug, "q": "退货"})
    assert response.status_code == 200
    data = response.get_json()
    assert [i["id"] for i in data["items"]] == [public_id]
    assert set(data["items"][0]) == {"id", "title", "snippet", "score"}
    article = client.get(f"/api/v1/kb/public/articles/{public_id}", query_string={"tenant": tenant.slug})
    assert article.status_code == 200
    assert "七天内" in article.get_json()["body_html"]
    vote = client.post(
        f"/api/v1/kb/public/articles/{public_id}/votes", query_string={"tenant": tenant.slug}, json={"helpful": True}
    )
    assert vote.get_json()["helpful"] == 1
    assert kb.get(f"/api/v1/kb/articles/{public_id}").get_json()["views"] == 2  # portal view + this one


def test_public_routes_hide_what_is_not_public(
    kb: Any, publish: Any, client: Any, tenant: Any, other_tenant: Any
) -> None:
    internal_id = publish("内部口径", "退货审核时先看照片。")
    assert (
        client.get(f"/api/v1/kb/public/articles/{internal_id}", query_string={"tenant": tenant.slug}).status_code == 404
    )
    assert client.get("/api/v1/kb/public/search", query_string={"tenant": "nobody", "q": "退货"}).status_code == 404
    disabled = client.get("/api/v1/kb/public/search", query_string={"tenant": other_tenant.slug, "q": "退货"})
    assert disabled.status_code == 404
    assert client.get("/api/v1/kb/public/search", query_string={"tenant": tenant.slug}).status_code == 422


class OutsideWiki:
    """A plugin that registers an outside knowledge base as a source."""

    def __init__(self) -> None:
        self.queries: list[str] = []

    def search(self, tenant: Any, query: str, limit: int) -> list[KnowledgeHit]:
        self.queries.append(query)
        return [
            KnowledgeHit(
                "wiki", "42", "退货政策（总部维基）", "总部统一的<mark>退货</mark>政策", 0.95, "https://wiki/42"
            )
        ]

    @hookimpl
    def gongdan_knowledge_sources(self) -> Any:
        return KnowledgeSource(name="wiki", search=self.search, label="总部维基")


class BrokenSource:
    """A source that always fails: search must go on without it."""

    @staticmethod
    def search(tenant: Any, query: str, limit: int) -> list[KnowledgeHit]:
        raise RuntimeError("wiki is down")

    @hookimpl
    def gongdan_knowledge_sources(self) -> Any:
        return KnowledgeSource(name="broken", search=self.search)


def test_sources_are_merged_by_score(kb: Any, publish: Any, register_plugin: Any) -> None:
    wiki = OutsideWiki()
    register_plugin(wiki, "wiki-plugin")
    register_plugin(BrokenSource(), "broken-plugin")
    publish("七天无理由退货", "签收后七天内可以退货。")
    names = [s["name"] for s in kb.get("/api/v1/kb/sources").get_json()["items"]]
    assert names[0] == "local"
    assert {"wiki", "broken"} <= set(names)
    data = kb.get("/api/v1/kb/search", query_string={"q": "退货"}).get_json()
    assert [i["source"] for i in data["items"]] == ["wiki", "local"]
    assert data["items"][0]["id"] == "wiki:42"
    assert data["total"] == 2
    assert wiki.queries == ["退货"]
    only_local = kb.get("/api/v1/kb/search", query_string={"q": "退货", "source": "local"}).get_json()
    assert [i["source"] for i in only_local["items"]] == ["local"]
    filtered = kb.get("/api/v1/kb/search", query_string={"q": "退货", "tag": "x"}).get_json()
    assert filtered["items"] == []  # outside sources cannot filter by tag


def test_local_source_is_registered_first(kb: Any, publish: Any, tenant: Any) -> None:
    from gongdan.plugins import get_host

    publish("七天无理由退货", "签收后七天内可以退货。")
    sources = {s.name: s for _, s in get_host().collect("gongdan_knowledge_sources")}
    hits = sources["local"].search(tenant, "退货", 5)
    assert [h.title for h in hits] == ["七天无理由退货"]
    assert hits[0].source == "local"
