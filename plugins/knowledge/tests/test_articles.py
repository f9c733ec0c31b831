"""Articles through the API: create, read, change, versions, restore, votes, views, roles."""

from __future__ import annotations

from typing import Any

from gongdan import categories


def test_create_defaults_and_representation(kb: Any) -> None:
    response = kb.post(
        "/api/v1/kb/articles", json={"title": "七天无理由退货", "body": "# 规则\n\n签收后**7天**内可退。"}
    )
    assert response.status_code == 201
    article = response.get_json()
    assert article["status"] == "draft"
    assert article["visibility"] == "internal"
    assert article["version"] == 1
    assert article["tags"] == []
    assert article["category"] is None
    for key in (
        "id",
        "title",
        "body",
        "status",
        "visibility",
        "category",
        "tags",
        "version",
        "created_at",
        "updated_at",
    ):
        assert key in article
    assert "<strong>7天</strong>" in article["body_html"]


def test_html_is_sanitised(kb: Any) -> None:
    body = "hello <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>"
    article = kb.post("/api/v1/kb/articles", json={"title": "xss", "body": body}).get_json()
    html = article["body_html"]
    assert "<script" not in html
    assert "javascript:" not in html
    assert "onerror" not in html


def test_validation_errors(kb: Any) -> None:
    response = kb.post("/api/v1/kb/articles", json={"title": ""})
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert "title" in fields
    assert "body" in fields
    bad = kb.post("/api/v1/kb/articles", json={"title": "t", "body": "b", "status": "live"})
    assert bad.status_code == 422
    unknown = kb.post("/api/v1/kb/articles", json={"title": "t", "body": "b", "category": "没有/这个/分类"})
    assert unknown.status_code == 422
    assert "category" in unknown.get_json()["error"]["fields"]


def test_versions_diff_and_restore(kb: Any) -> None:
    article = kb.post("/api/v1/kb/articles", json={"title": "运费说明", "body": "退货运费由买家承担。"}).get_json()
    url = f"/api/v1/kb/articles/{article['id']}"
    changed = kb.patch(url, json={"body": "质量问题退货运费由商家承担。", "version": 1}).get_json()
    assert changed["version"] == 2
    stale = kb.patch(url, json={"title": "别的标题", "version": 1})
    assert stale.status_code == 409
    same = kb.patch(url, json={"body": "质量问题退货运费由商家承担。"}).get_json()
    assert same["version"] == 2
    versions = kb.get(f"{url}/versions").get_json()
    assert [v["number"] for v in versions["items"]] == [2, 1]
    diff = versions["items"][0]["diff"]
    assert "-退货运费由买家承担。" in diff
    assert "+质量问题退货运费由商家承担。" in diff
    one = kb.get(f"{url}/versions/1").get_json()
    assert one["body"] == "退货运费由买家承担。"
    restored = kb.post(f"{url}/versions/1/restore").get_json()
    assert restored["version"] == 3
    assert restored["body"] == "退货运费由买家承担。"
    assert kb.get(f"{url}/versions/9").status_code == 404


def test_agents_write_drafts_supervisors_publish(kb: Any, agent_api: Any) -> None:
    draft = agent_api.post("/api/v1/kb/articles", json={"title": "草稿", "body": "内容"}).get_json()
    url = f"/api/v1/kb/articles/{draft['id']}"
    assert agent_api.patch(url, json={"body": "改过的内容"}).status_code == 200
    assert agent_api.patch(url, json={"status": "published"}).status_code == 403
    assert (
        agent_api.post("/api/v1/kb/articles", json={"title": "t", "body": "b", "status": "published"}).status_code
        == 403
    )
    published = kb.patch(url, json={"status": "published"}).get_json()
    assert published["status"] == "published"
    assert published["reviewer"]["id"] == kb.user.id
    assert published["author"]["id"] == agent_api.user.id
    assert agent_api.patch(url, json={"body": "再改"}).status_code == 403
    assert agent_api.delete(url).status_code == 403
    assert kb.delete(url).status_code == 204
    assert kb.get(url).status_code == 404


def test_votes_and_views(kb: Any, agent_api: Any) -> None:
    article = kb.post("/api/v1/kb/articles", json={"title": "尺码表", "body": "见下表"}).get_json()
    url = f"/api/v1/kb/articles/{article['id']}"
    assert kb.post(f"{url}/votes", json={"helpful": True}).get_json() == {
        "id": article["id"],
        "helpful": 1,
        "not_helpful": 0,
    }
    agent_api.post(f"{url}/votes", json={"helpful": False})
    again = kb.post(f"{url}/votes", json={"helpful": False}).get_json()
    assert (again["helpful"], again["not_helpful"]) == (0, 2)
    kb.get(url)
    assert kb.get(url).get_json()["views"] == 2


def test_other_tenant_and_disabled_plugin(kb: Any, make_user: Any, other_tenant: Any, enable_plugin: Any) -> None:
    article = kb.post("/api/v1/kb/articles", json={"title": "私有", "body": "x"}).get_json()
    _, outsider = make_user("admin", in_tenant=other_tenant)
    assert outsider.get("/api/v1/kb/articles").status_code == 404  # plugin off there
    enable_plugin("knowledge", in_tenant=other_tenant)
    assert outsider.get(f"/api/v1/kb/articles/{article['id']}").status_code == 404
    assert outsider.get("/api/v1/kb/articles").get_json()["total"] == 0


def test_list_filters(kb: Any, publish: Any, tenant: Any) -> None:
    categories.ensure(tenant, "售后/退货退款/七天无理由")
    publish("七天无理由", "可退", category="售后/退货退款/七天无理由", tags=["退货"])
    kb.post("/api/v1/kb/articles", json={"title": "草稿", "body": "x", "tags": ["退货"]})
    assert kb.get("/api/v1/kb/articles").get_json()["total"] == 2
    assert kb.get("/api/v1/kb/articles?status=published").get_json()["total"] == 1
    assert kb.get("/api/v1/kb/articles?category=售后").get_json()["total"] == 1
    assert kb.get("/api/v1/kb/articles?tag=退货").get_json()["total"] == 2
